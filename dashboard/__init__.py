"""The Streamlit dashboard: ``app.py`` (sign-in and navigation), ``app_pages/`` (one page per
file), ``components/`` (maps, charts, tables). Pages call the page services in
``dispatch.views`` and hold no business logic; they never import ``repairs``,
``loaner_pool`` or ``routing`` (an import-linter contract).
"""
