"""The workshop path without manual steps: loaner, courier legs, and the ticket moving on.

``flow`` starts a workshop repair (lend a loaner when the rules say so, create the
swap legs at once, ticket to "awaiting pickup"), creates the return legs once the
machine is repaired, and moves the ticket (and the loan) as each leg is delivered.
May import ``repairs``, ``loaner_pool``, ``data`` and ``dispatch.labels``; sits
below ``deliveries`` in the layers, whose order flow calls :func:`flow.leg_moved`.
"""
