"""``python -m dispatch.cli``: the same as the ``tournee`` script."""

import sys

from dispatch.cli.main import main

sys.exit(main())
