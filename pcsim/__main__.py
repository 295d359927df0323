"""``python -m pcsim``: the ``pcsim`` command."""

import sys

from pcsim.cli import main

sys.exit(main())
