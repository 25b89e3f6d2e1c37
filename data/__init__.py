"""The data layer: SQLAlchemy 2.0 models, engines and sessions, Alembic migrations,
the offline gazetteer of French places, the audit log and the demo network. Imports
nothing of the product's other packages.
"""
