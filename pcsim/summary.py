"""The summaries of a sweep: ``summary.csv`` (one row per run, every scalar metric) and
``summary.md`` (the headline metrics per grid point over seeds: mean ± sd and the 95 %
confidence interval of the mean).

A run is named by its directory under ``runs/``, its seed and its grid values ((key,
value) pairs); its numbers come from the ``metrics.json`` there.
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from scipy import stats

from pcsim import results

BASELINE = "baseline"
#: A run: (directory name under runs/, seed, ((grid key, value), ...)).
Run = tuple[str, int, tuple[tuple[str, str], ...]]
#: A headline metric: its label and how to read it from a row (given the column prefix
#: of the condition: "" for the main one, "baseline." for the baseline).
Headline = tuple[str, Callable[[dict, str], float | None]]


def write(out: Path, runs: Sequence[Run]) -> list[dict]:
    """Write ``out/summary.csv`` and ``out/summary.md`` for ``runs`` (directories under
    ``out/runs``); returns the rows of summary.csv."""
    out = Path(out)
    rows = [row(run, out / "runs" / run[0]) for run in runs]
    columns = dict.fromkeys(["run", "status", "seed", *(k for k, _ in runs[0][2])] if runs else [])
    for entry in rows:
        columns.update(dict.fromkeys(k for k in entry if k != "error"))
    columns["error"] = None
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    results.atomic_write_text(out / "summary.csv", buffer.getvalue())
    results.atomic_write_text(out / "summary.md", markdown(runs, rows))
    return rows


def row(run: Run, run_dir: Path) -> dict:
    """One row of summary.csv: the run, its status, seed and grid values, and (complete
    runs) every scalar metric, the baseline's prefixed ``baseline.``; failed runs have
    their error."""
    name, seed, values = run
    info = results.read_run_info(run_dir)
    entry: dict[str, Any] = {"run": name, "status": "failed", "seed": seed, **dict(values)}
    if info.get("status") != "complete":
        entry["error"] = info.get("error") or "did not finish"
        return entry
    try:
        metrics = json.loads((run_dir / "metrics.json").read_text())
    except (OSError, ValueError) as error:
        entry["error"] = f"metrics.json: {error}"
        return entry
    entry["status"] = "complete"
    entry.update(_scalars(metrics, ""))
    entry.update(_scalars(metrics.get(BASELINE) or {}, f"{BASELINE}."))
    return entry


def _scalars(metrics: dict, prefix: str) -> dict[str, Any]:
    """The numbers in ``metrics``, nested tables flattened to dotted keys, without the
    baseline's table and the comparisons (which repeat numbers of both conditions)."""
    flat: dict[str, Any] = {}
    for key, value in metrics.items():
        if key in (BASELINE, "comparison"):
            continue
        if isinstance(value, dict):
            flat.update(_scalars(value, f"{prefix}{key}."))
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
            flat[f"{prefix}{key}"] = float(value)  # a group order beyond int64
        elif value is None or isinstance(value, bool | int | float):
            flat[f"{prefix}{key}"] = value
    return flat


def headline(rows: Sequence[dict]) -> list[Headline]:
    """The headline metrics that ``rows`` report: effective group, equivariance error
    and invariance index per layer, prediction errors, weight sharing."""
    keys = {key for entry in rows for key in entry}

    def column(name: str) -> Callable[[dict, str], float | None]:
        return lambda entry, prefix: entry.get(prefix + name)

    def mean_of(table: str) -> Callable[[dict, str], float | None]:
        def get(entry: dict, prefix: str) -> float | None:
            found = [v for k, v in entry.items() if k.startswith(f"{prefix}{table}.")]
            return statistics.fmean(found) if found and None not in found else None

        return get

    def order(entry: dict, prefix: str) -> float | None:
        found, true = (entry.get(f"{prefix}effective_group.{k}") for k in ("order", "true_order"))
        return None if found is None or not true else found / true

    def layers(table: str) -> list[str]:
        return sorted({k.split(".")[1] for k in keys if k.startswith(f"{table}.")})

    items: list[Headline] = [
        ("effective group: precision", column("effective_group.precision")),
        ("effective group: recall", column("effective_group.recall")),
        ("order of the generated group / true order", order),
    ]
    items += [
        (f"equivariance error, layer {layer[1:]}", column(f"equivariance_error_mean.{layer}"))
        for layer in layers("equivariance_error_mean")
    ]
    for layer in layers("invariance_index"):
        label = f"invariance index, layer {layer[1:]} (mean over generators)"
        items.append((label, mean_of(f"invariance_index.{layer}")))
    return items + [
        ("held-out prediction error", column("heldout_prediction_error")),
        ("transformed held-out prediction error", column("transformed_heldout_prediction_error")),
        ("weight-sharing index", column("weight_sharing_index")),
    ]


def markdown(runs: Sequence[Run], rows: Sequence[dict]) -> str:
    """summary.md: per grid point, the headline metrics over seeds with the prior and for
    its baseline, and how often the prior predicts novel positions better."""
    complete = [entry for entry in rows if entry["status"] == "complete"]
    keys = [key for key, _ in runs[0][2]] if runs else []
    items = headline(complete)
    baseline = any(key.startswith(f"{BASELINE}.") for entry in complete for key in entry)
    seeds = sorted({seed for _, seed, _ in runs})
    lines = [
        f"# Sweep: {len(rows)} runs ({len(seeds)} seeds x {len(rows) // max(len(seeds), 1)} "
        f"grid points), {len(complete)} complete",
        "",
        "Each cell: mean ± sd over seeds [95 % confidence interval of the mean, Student t].",
    ]
    groups: dict[tuple, list[dict]] = {}
    for entry in rows:
        groups.setdefault(tuple(entry[k] for k in keys), []).append(entry)
    for values, group in groups.items():
        done = [entry for entry in group if entry["status"] == "complete"]
        title = ", ".join(f"{k} = {v}" for k, v in zip(keys, values, strict=True))
        lines += ["", f"## {title or 'all runs'}", "", f"{len(done)} of {len(group)} runs complete"]
        if not done:
            continue
        lines += [
            "",
            "| metric | with prior | baseline (prior off) |" if baseline else "| metric | value |",
        ]
        lines.append("|---|---|---|" if baseline else "|---|---|")
        prefixes = ["", f"{BASELINE}."] if baseline else [""]
        for label, get in items:
            cells = [_stats([get(entry, prefix) for entry in done]) for prefix in prefixes]
            if any(cell != "n/a" for cell in cells):
                lines.append(f"| {label} | {' | '.join(cells)} |")
        if baseline:
            lines += ["", *_comparisons(done)]
    return "\n".join(lines) + "\n"


def _comparisons(done: list[dict]) -> list[str]:
    """The prior against its baseline, seed by seed."""
    lines = []
    key = "equivariance_error_mean.L1"
    ratios = [_ratio(entry.get(f"{BASELINE}.{key}"), entry.get(key)) for entry in done]
    if any(r is not None for r in ratios):
        lines.append(f"- equivariance error ratio, baseline / prior, layer 1: {_stats(ratios)}")
    key = "transformed_heldout_prediction_error"
    pairs = [(entry.get(key), entry.get(f"{BASELINE}.{key}")) for entry in done]
    pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
    if pairs:
        wins = sum(a < b for a, b in pairs)
        lines.append(
            f"- the prior has the lower transformed held-out prediction error in {wins} of "
            f"{len(pairs)} seeds"
        )
    return lines


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _stats(values: Sequence[float | None]) -> str:
    """``mean ± sd [lo, hi]`` of the numbers in ``values`` (None and NaN left out)."""
    xs = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if not xs:
        return "n/a"
    mean = statistics.fmean(xs)
    if len(xs) == 1:
        return f"{mean:.4g} (n = 1)"
    sd = statistics.stdev(xs)
    half = float(stats.t.ppf(0.975, len(xs) - 1)) * sd / math.sqrt(len(xs))
    return f"{mean:.4g} ± {sd:.2g} [{mean - half:.4g}, {mean + half:.4g}]"
