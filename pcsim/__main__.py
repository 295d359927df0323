"""``python -m pcsim``: the ``pcsim`` command."""

import sys

from pcsim.entry import main

sys.exit(main())
