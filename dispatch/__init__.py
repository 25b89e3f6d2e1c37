"""dispatch: the product's services between the pages and the rules.

Subpackages, from the top: ``cli`` (the command line), ``views`` (page services),
``planning`` and ``intake``, ``deliveries``, ``priority``, ``loyalty``, ``access``;
each imports only those below it (an import-linter contract). dispatch may import
``repairs``, ``loaner_pool``, ``routing`` and ``data``, never ``dashboard``.
"""
