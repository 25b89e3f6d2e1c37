"""Delivery orders: each mode's flow of states, relay points' capacity, store bags.

``flows`` owns every order state change (audited, one at a time); ``relays`` places
orders at the nearest relay with room; ``store_bags`` is what a store prepares and
hands over. May import ``data``, ``dispatch.priority``, ``dispatch.loyalty`` and
``dispatch.access``; never ``dispatch.planning`` (planning reads deliveries).
"""
