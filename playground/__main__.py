"""``python -m playground``: the command line (see ``playground.cli``)."""

import sys

from playground.cli import main

sys.exit(main())
