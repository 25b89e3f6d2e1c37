"""A job's priority and its reason in words, read from ``priority.toml``.

Pure scoring over plain inputs (tier, SLA due time, severity, waiting time), used by
planning, deliveries and the page services. May import ``data``, ``repairs`` and
``dispatch.loyalty`` (for tiers).
"""
