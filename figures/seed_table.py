"""The seed tables of the README: a scenario over several seeds, summarised.

    python figures/seed_table.py ring --seeds 1-3 [--quick] [--backend cpp_standalone]

A thin use of `pcsim.sweep` (the same as ``pcsim sweep SCENARIO --seeds ... --out
results/seeds/<scenario>[-quick]``): the runs go to that directory (run it again to
resume), and the table printed is the sweep's summary.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pcsim import sweep


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--seeds", default="1-3", help="e.g. 1-3 or 1,4,7")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backend", default=None)
    parser.add_argument("--root", type=Path, default=Path("results/seeds"))
    args = parser.parse_args()
    request = sweep.Request(
        args.scenario, sweep.parse_seeds(args.seeds), quick=args.quick, backend=args.backend
    )
    out = args.root / f"{Path(args.scenario).stem}{'-quick' if args.quick else ''}"
    outcome = sweep.run_sweep(request, out)
    print((outcome.out / "summary.md").read_text(), end="")
    return 1 if outcome.failed else 0


if __name__ == "__main__":
    sys.exit(main())
