"""Loaner stock ahead of time: the forecast per site and day, shortage alerts, transfers.

``snapshot`` reads the pool, open loans, waiting tickets and history into the pure
``loaner_pool.forecast`` values; ``service`` is what pages and the CLI call (role
checked, store staff limited to their store); ``proposals`` keeps the proposed
transfers and the dispatcher's decisions (audited); ``legs`` turns accepted transfers
into the courier plan's pickup-and-delivery pairs and moves the loaners when the vans
are loaded. May import ``data``, ``loaner_pool``, ``routing`` (job values) and
``dispatch.access``; never ``planning`` or ``deliveries`` (they call it).
"""
