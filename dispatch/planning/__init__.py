"""Planning a day: database rows -> ``routing.Problem`` -> solved, validated, saved plans.

``builder`` (technician day, shared conversions) and ``couriers`` (courier day) build
the pure problem; ``plans`` solves, persists, reads back, publishes and compares;
``runs`` records a solve in the database and ``worker`` executes it in its own
process. May import ``routing``, ``data``, ``repairs`` and the lower dispatch
subpackages (``deliveries``, ``priority``, ``loyalty``, ``access``).
"""
