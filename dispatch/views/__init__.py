"""Page services: what each dashboard page shows and does, for the signed-in user only.

One module per page (board, loaners, store, tickets, kpis). Pages call these and
hold no business logic; each function checks the actor's role (and store scope).
May import every lower dispatch subpackage, ``repairs``, ``loaner_pool`` and ``data``.
"""
