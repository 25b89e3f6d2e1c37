"""Customer notices: compute what is due to whom, queue it once, send it reliably.

compute -> queue -> send:

- ``due_*`` modules are pure computation over rows already read: what each
  customer is owed at ``now`` (visits, repairs, loans, deliveries, loyalty, the
  club's capsules and descaling), each a :class:`~dispatch.notices.kinds.Due`
  with its dedupe key;
- ``outbox`` renders them (``render`` + ``templates/``, Jinja2) in the
  customer's language and channel (``prefs``) and inserts them with
  ``INSERT ... ON CONFLICT DO NOTHING`` on the unique dedupe key;
- ``sender`` claims pending rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a
  claim lease on SQLite's serialized writers) and hands them to ``transport``
  (SMTP via the standard library, SMS as a JSON POST), with retries.

``run`` ties the three together for ``tournee notices run``. May import
``data``, ``repairs``, ``loaner_pool``, ``dispatch.loyalty``,
``dispatch.deliveries``, ``dispatch.access`` and ``dispatch.labels``.
"""
