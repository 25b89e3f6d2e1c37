"""CSV imports: read the files people export, validate every row, write all or none.

``csvfile`` reads encodings, separators and decimal commas; ``pipeline`` validates
and writes each kind. May import ``data``, ``repairs``, ``loaner_pool`` and the lower
dispatch subpackages (``loyalty``, ``deliveries``, ``priority``, ``access``).
"""
