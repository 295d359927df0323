"""The robustness tables of the README: one row per grid point of `pcsim sweep` runs.

    pcsim sweep ring --seeds 1-3 --grid world.noise_sd=0.01,0.05,0.1 --out results/noise/ring
    python figures/robustness_table.py results/noise/ring [more sweep directories ...]

Per grid point, over its seeds: in how many the effective group was recovered exactly
(accepted set generating the world's group, no accepted candidate outside the true
generators: precision and recall 1), what else was accepted, the learned error variance
of layer 0 against noise_sd^2, the equivariance error, and the held-out and
novel-position prediction errors with the prior and in the baseline. Prediction errors
are measured against the noisy frames (docs/model.md#61-relative-prediction-error);
"noise floor" is what predicting the clean frames exactly would score, N_0 noise_sd^2 /
|x|^2 over the held-out frames, so an error below it means the model also reproduces
the noise.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tomllib
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pcsim.analysis import recovered_exactly


def grid_key(run: str) -> str:
    """The grid point of a run directory name (``world.noise_sd=0.1,seed=2``; "default"
    for a sweep without a grid, ``seed=2``)."""
    return run.rsplit(",seed=", 1)[0] if ",seed=" in run else "default"


def noise_sd(run_dir: Path) -> float:
    return tomllib.loads((run_dir / "config.toml").read_text())["world"]["noise_sd"]


def noise_floor(run_dir: Path) -> float:
    """N_0 noise_sd^2 / |x|^2, averaged over the run's held-out frames."""
    with np.load(run_dir / "traces_symmetry.npz") as traces:
        x = traces["frames"][traces["plan/heldout"]]
    return float(np.mean(x.shape[1] * noise_sd(run_dir) ** 2 / np.sum(x**2, axis=1)))


def cell(values: list[float]) -> str:
    """Mean ± sd over seeds (3 significant digits)."""
    if len(values) == 1:
        return f"{values[0]:.3g}"
    return f"{np.mean(values):.3g} ± {np.std(values, ddof=1):.2g}"


def pair(runs: list[dict], name: str) -> str:
    """``name`` with the prior / in the baseline."""
    prior = cell([float(r[name]) for r in runs])
    return f"{prior} / {cell([float(r['baseline.' + name]) for r in runs])}"


def table(sweep_dir: Path) -> str:
    rows: dict[str, list[dict]] = defaultdict(list)
    with open(sweep_dir / "summary.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["status"] == "complete":
                rows[grid_key(row["run"])].append(row)
    lines = [
        f"`{sweep_dir}`",
        "",
        "| grid point | group exact (seeds) | also accepted | u_0 / noise_sd^2 "
        "| equivariance error, prior / baseline | held-out error, prior / baseline "
        "/ noise floor | novel-position error, prior / baseline |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, runs in rows.items():
        dirs = [sweep_dir / "runs" / r["run"] for r in runs]
        exact, extra = 0, set()
        for d in dirs:
            group = json.loads((d / "metrics.json").read_text())["effective_group"]
            exact += recovered_exactly(group)
            extra.update(group["false_accepted"])
        variance = "—"
        if runs[0].get("error_variance.L0"):
            variance = cell(
                [
                    float(r["error_variance.L0"]) / noise_sd(d) ** 2
                    for r, d in zip(runs, dirs, strict=True)
                ]
            )
        floor = [noise_floor(d) for d in dirs]
        lines.append(
            f"| {key} | {exact} of {len(runs)} | {', '.join(sorted(extra)) or '—'} | {variance} "
            f"| {pair(runs, 'equivariance_error_mean.L1')} "
            f"| {pair(runs, 'heldout_prediction_error')} / {cell(floor)} "
            f"| {pair(runs, 'transformed_heldout_prediction_error')} |"
        )
    return "\n".join(lines)


def main(table: Callable[[Path], str], doc: str, separator: str = "\n") -> int:
    """Print ``table`` of every sweep directory given on the command line (the shared
    command line of the README's table scripts, described by the first line of ``doc``)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("sweeps", nargs="+", type=Path, help="sweep directories")
    args = parser.parse_args()
    print(separator.join(table(d) for d in args.sweeps))
    return 0


if __name__ == "__main__":
    sys.exit(main(table, __doc__, "\n\n"))
