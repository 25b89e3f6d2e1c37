"""CSV imports: read the files people export, check every row, write all or none.

One skeleton for every kind (``pipeline``): ``csvfile`` reads encodings, separators and
quoting; ``rows`` holds one pydantic row model per kind (the columns as a contract,
typed by ``values``; ``columns`` prints them); ``kinds`` is the registry and the shape
of a kind; ``customers``, ``tickets``, ``orders`` are the kinds. May import ``data``,
``repairs``, ``loaner_pool`` and the lower dispatch subpackages (``deliveries``,
``loyalty``, ``priority``, ``access``).
"""
