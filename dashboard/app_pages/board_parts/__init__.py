"""The dispatcher board's parts, split along its seams (the page itself is ``app_pages.board``).

``common`` holds the page's settings and cached reads, ``plan`` a plan's header,
publish confirmation, map, routes, unassigned list, timeline and route sheets,
``adjust`` pins, re-plans and what-ifs. Like every page module they call the
dispatch services only.
"""
