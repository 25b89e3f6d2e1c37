"""Who is acting and what they may do: users, password sign-in, roles and store scope.

``auth`` holds users and sign-in; ``roles`` the checks every service calls
(``check_role``, ``check_store_access``) whatever the page did before. May import
``data`` only: every other dispatch subpackage may import this one.
"""
