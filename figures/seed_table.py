"""Run a scenario for several seeds and print the headline numbers as mean and sd.

    python figures/seed_table.py ring --seeds 1 2 3 [--quick] [--backend cpp_standalone]

Each seed is a full `pcsim run` (prior and baseline) into ``results/seeds/<scenario>-<seed>``;
the table compares the prior with its baseline on every metric of docs/model.md#6-metrics
that the scenario reports.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from pcsim import cli

ROWS = (
    ("effective group precision", lambda m: m["effective_group"]["precision"]),
    ("effective group recall", lambda m: m["effective_group"]["recall"]),
    ("generated order / true order", lambda m: m["effective_group"]["order"]
     / m["effective_group"]["true_order"]),
    ("equivariance error L1", lambda m: m["equivariance_error_mean"]["L1"]),
    ("held-out prediction error", lambda m: m["heldout_prediction_error"]),
    ("transformed held-out prediction error", lambda m: m["transformed_heldout_prediction_error"]),
    ("weight-sharing index", lambda m: m["weight_sharing_index"]),
)  # fmt: skip


def invariance_rows(metrics: dict) -> tuple:
    """One row per invariant layer: its invariance index, averaged over the generators."""
    return tuple(
        (f"invariance index {layer}", lambda m, layer=layer: mean_of(m["invariance_index"][layer]))
        for layer in metrics.get("invariance_index", {})
    )


def mean_of(values: dict[str, float]) -> float:
    return statistics.mean(values.values())


def stats(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.4g} ± {sd:.2g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backend", default=None)
    parser.add_argument("--root", type=Path, default=Path("results/seeds"))
    args = parser.parse_args()
    runs = []
    for seed in args.seeds:
        out = args.root / f"{args.scenario}-{seed}{'-quick' if args.quick else ''}"
        if not (out / "metrics.json").exists():
            argv = ["run", args.scenario, "--seed", str(seed), "--out", str(out), "--quiet"]
            argv += ["--quick"] if args.quick else []
            argv += ["--backend", args.backend] if args.backend else []
            if cli.main(argv) != 0:
                raise SystemExit(f"seed {seed} failed; see {out}/run.json")
        runs.append(json.loads((out / "metrics.json").read_text()))
    print(f"{args.scenario}: seeds {args.seeds}{' (quick)' if args.quick else ''}, mean ± sd\n")
    print("| metric | with prior | baseline (prior off) |")
    print("|---|---|---|")
    for name, get in ROWS + invariance_rows(runs[0]):
        prior = [get(m) for m in runs]
        base = [get(m["baseline"]) for m in runs]
        print(f"| {name} | {stats(prior)} | {stats(base)} |")
    ratio = [m["baseline"]["equivariance_error_mean"]["L1"] / m["equivariance_error_mean"]["L1"]
             for m in runs]  # fmt: skip
    print(f"| equivariance error ratio baseline / prior | {stats(ratio)} | |")
    wins = sum(
        m["transformed_heldout_prediction_error"]
        < m["baseline"]["transformed_heldout_prediction_error"]
        for m in runs
    )
    print(f"\nprior lower transformed held-out error in {wins} of {len(runs)} seeds")


if __name__ == "__main__":
    main()
