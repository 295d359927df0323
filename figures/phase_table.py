"""The phase tables of the README: phased-world runs (`rearing`, `development`) of a
`pcsim sweep`, per grid point and condition, over seeds.

    pcsim sweep rearing --seeds 1-3 --out results/rearing
    python figures/phase_table.py results/rearing

Per phase (docs/model.md#69-phases): the frames until each candidate was accepted or
pruned (mean ± sd over seeds; "never" counts the seeds in which it did not happen within
the phase), the candidates accepted at its end in every seed, the layer-1 equivariance
error to each probed transformation at the phase's last checkpoint, and the equivariance
half-times.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from robustness_table import main


def frames(values: list[int | None]) -> str:
    """Mean ± sd of the frame counts that happened, and how many seeds never got there."""
    seen = [v for v in values if v is not None]
    never = len(values) - len(seen)
    if not seen:
        return f"never ({never})"
    text = f"{seen[0]}" if len(seen) == 1 else f"{np.mean(seen):.0f} ± {np.std(seen, ddof=1):.0f}"
    return text + (f" (never in {never})" if never else "")


def equivariance_at(metrics: dict, frame: int) -> dict[str, float]:
    """Layer-1 equivariance errors at the last checkpoint at or before ``frame``."""
    course = [c for c in metrics["equivariance_course"] if c["frames_developed"] <= frame]
    return course[-1]["equivariance_error"]["L1"]


def phase_rows(runs: list[dict]) -> list[str]:
    lines = []
    for p, phase in enumerate(runs[0]["phases"]):
        phases = [m["phases"][p] for m in runs]
        end = phase["first_frame"] + phase["frames"]
        changes = []
        for key, verb in (("accepted_after", "accepted"), ("pruned_after", "pruned")):
            names = sorted({n for ph in phases for n in ph[key]})
            changes += [
                f"{n} {verb} after {frames([ph[key].get(n) for ph in phases])}" for n in names
            ]
        always = set.intersection(*(set(ph["accepted_at_end"]) for ph in phases))
        errors = defaultdict(list)
        for m in runs:
            for name, value in equivariance_at(m, end).items():
                errors[name].append(value)
        equi = ", ".join(f"{n} {np.mean(v):.2f}" for n, v in errors.items())
        halves = sorted({n for ph in phases for n in ph["equivariance_half_time"]})
        half = ", ".join(
            f"{n} {frames([ph['equivariance_half_time'].get(n) for ph in phases])}" for n in halves
        )
        lines.append(
            f"| {phase['name']} ({phase['frames']} frames) | {'; '.join(changes) or '—'} "
            f"| {', '.join(sorted(always)) or '—'} | {equi} | {half or '—'} |"
        )
    return lines


def table(sweep_dir: Path) -> str:
    points: dict[str, list[dict]] = defaultdict(list)
    for run in sorted((sweep_dir / "runs").iterdir()):
        if (run / "metrics.json").exists():
            points[run.name.rsplit("seed=", 1)[0].rstrip(",") or "defaults"].append(
                json.loads((run / "metrics.json").read_text())
            )
    lines = []
    for point, runs in points.items():
        for condition, pick in (("with prior", lambda m: m), ("baseline", lambda m: m["baseline"])):
            lines += [
                f"**{point}, {condition}** ({len(runs)} seeds)",
                "",
                "| phase | accepted / pruned after (frames) | accepted at the end (all seeds) "
                "| equivariance error at the end, layer 1 | equivariance half-time (frames) |",
                "|---|---|---|---|---|",
                *phase_rows([pick(m) for m in runs]),
                "",
            ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(table, __doc__))
