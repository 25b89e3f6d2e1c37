"""The club: tiers, points that expire, the perk cycle, members and their contacts.

``rules`` is pure (purchases in, frozen dataclasses out, figures from
``loyalty.toml``); ``service`` applies them to the database; ``customers`` finds a
member by phone or e-mail; ``contact`` normalises phones and e-mails. May import
``data``, ``repairs`` and ``dispatch.access``.
"""
