"""The ``tournee`` command line: one module per command group, thin over the services.

``main`` builds the parser from ``COMMAND_MODULES``; ``common`` holds what every
group shares (refusals as one line, the actor, tables, transactions). The CLI is the
top of dispatch: it may import everything below, nothing imports it.
"""
