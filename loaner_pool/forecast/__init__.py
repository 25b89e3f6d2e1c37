"""Loaner stock forecast per site and day, and the transfers that keep every shelf stocked.

Pure: plain values in (:class:`~loaner_pool.forecast.model.Snapshot`: stock now, open
loans, tickets waiting, what history taught), frozen dataclasses out. No database, no
``dispatch``: the dispatch service (``dispatch.stock``) reads the rows, the backtest
(``bench/loaner_forecast.py``) rebuilds past snapshots from the demo's history.

``model`` holds the values; ``learn`` turns history records into rates and delays;
``project`` computes expected stock with its band; ``transfers`` proposes the moves.
"""
