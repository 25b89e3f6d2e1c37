"""Ruin-and-recreate around OR-Tools: a search that keeps improving until its time is up.

OR-Tools' own iterated local search does not iterate when driven from Python
in 9.15 (with a ruin strategy set, guided local search runs exactly as without
it and greedy descent stops at its first local optimum: ``docs`` in
``loop``), so the loop lives here. Each iteration ruins the current routes
(``ruin``: strings of nearby visits, SISR-style, or whole nearby routes),
re-inserts the removed visits by priority with blinks (``recreate``), lets
OR-Tools' local search polish the result from that assignment, and accepts it
by simulated annealing (``loop``). OR-Tools holds every product constraint:
a candidate it refuses to read is discarded, so every answer stays valid.
``eject`` places left-out visits on a whole day by ejection chains (the
cross-border repair of ``routing.partition`` calls it), checking rounds with
``routing.construct.step``.

Imports ``routing.model``, ``routing.matrix``, ``routing.construct`` and, in
``loop`` only, OR-Tools through ``routing.ortools_model``.
"""
