"""Slot offers and booking for on-site visits: the windows the real rounds can keep.

``rules`` (how long a window is, how many offers, how much capacity is held back),
``day`` (a day's committed rounds per technician: the published or draft plan's
routes, plus bookings not in a plan yet), ``offers`` (real insertions of the visit
into those rounds, ranked) and ``book`` (the booking itself, serialised on the
technician-day capacity row). May import ``planning`` (the builder's vehicles and
time arithmetic), ``loyalty``, ``access``, ``data``, ``repairs`` and ``routing``;
``views`` and ``cli`` import this package, never the other way round.
"""
