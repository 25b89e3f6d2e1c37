"""The technician's day: their published round, and the statuses they report from it.

``visits`` holds the visit statuses and their transition table; ``rounds`` reads a
technician's published round (the phone page); ``status`` applies a reported status
to the visit and its ticket (through ``repairs.lifecycle``, audited); ``outcomes``
decides what a visit that could not fix does to the ticket. Every service takes the
acting user and refuses another technician's visit. May import ``data``, ``repairs``,
``loaner_pool``, ``routing`` and ``dispatch.access`` / ``dispatch.labels``.
"""
