"""The perception table of the README: the `mirror` runs of a `pcsim sweep`, per grid
point, condition and mirror axis, over seeds.

    pcsim sweep mirror --seeds 1-3 --out results/mirror
    python figures/perception_table.py results/mirror

Per row (docs/model.md#611-perception): the response's change from the random patterns
at each proportion of mirror-paired dots, the slope and R^2 of that change against the
proportion, and in how many seeds it fell monotonically (mean ± sd over seeds); the
stimulus rows are the input's own asymmetry, the same in both conditions.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from robustness_table import cell, grid_key, main


def rows(label: str, signatures: list[dict]) -> str:
    """One table row from the per-seed signatures of one condition and axis."""
    levels = list(signatures[0]["difference"])
    changes = [cell([s["difference"][p] for s in signatures]) for p in levels[1:]]
    monotone = sum(s["monotone"] for s in signatures)
    return (
        f"| {label} | {' | '.join(changes)} | {cell([s['slope'] for s in signatures])} "
        f"| {cell([s['r2'] for s in signatures])} | {monotone} of {len(signatures)} |"
    )


def table(sweep_dir: Path) -> str:
    runs: dict[str, list[dict]] = defaultdict(list)
    for run in sorted((sweep_dir / "runs").iterdir()):
        if (run / "metrics.json").exists():
            runs[grid_key(run.name)].append(json.loads((run / "metrics.json").read_text()))
    lines = []
    for key, metrics in runs.items():
        seen = metrics[0]["perception"]
        levels = list(seen[seen["axes"][0]]["difference"])[1:]
        lines += [
            f"`{sweep_dir}` {key} ({len(metrics)} seeds)",
            "",
            f"| change from random patterns | {' | '.join(f'p = {p}' for p in levels)} "
            "| slope | R^2 | monotone |",
            "|---|" + "---|" * (len(levels) + 3),
        ]
        for axis in seen["axes"]:
            for name, pick in (("prior", lambda m: m), ("baseline", lambda m: m["baseline"])):
                signatures = [pick(m)["perception"][axis] for m in metrics]
                lines.append(rows(f"axis {axis}, {name}", signatures))
            stimulus = [m["perception"][axis]["stimulus"] for m in metrics]
            lines.append(rows(f"axis {axis}, stimulus", stimulus))
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(table, __doc__))
