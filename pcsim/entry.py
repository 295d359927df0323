"""The ``pcsim`` command's entry point (also ``python -m pcsim``): it checks that every
argument is text before Brian2 is imported, since Brian2's logger writes the command line
to a file at import and fails on bytes that are not UTF-8."""

from __future__ import annotations

import os
import sys


def main() -> int:
    for position, argument in enumerate(sys.argv[1:], start=1):
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            raw = os.fsencode(argument)
            print(f"pcsim: error: argument {position} ({raw!r}) is not UTF-8 text", file=sys.stderr)
            return 2
    from pcsim.cli import main as run

    return run()
