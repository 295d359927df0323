"""Wall time of N seeds of a quick scenario: N sequential `pcsim run`s that each compile
(build cache off, as pcsim ran before it had one) against one `pcsim sweep` on all cores
with an empty build cache, then one more `pcsim run` with the warm cache. Prints a
markdown table (wall times, compilations, the load average before and after).

    python benchmarks/sweep_timing.py [--scenario ring] [--seeds 10] [--backend cpp_standalone]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pcsim

ENV = {**os.environ, "PYTHONPATH": str(Path(pcsim.__file__).resolve().parents[1])}


def pcsim_command(argv: list[str], cache: str) -> float:
    """Run ``pcsim ARGV`` with the build cache ``cache``; returns its wall time."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pcsim", *argv, "-q"],
        env={**ENV, "PCSIM_CACHE_DIR": cache},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def compiled(run_dir: Path) -> bool:
    return json.loads((run_dir / "run.json").read_text())["build"]["compiled"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="ring")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--backend", default="cpp_standalone")
    args = parser.parse_args()
    n = args.seeds
    common = [args.scenario, "--quick", "--backend", args.backend]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        each = [
            pcsim_command(["run", *common, "--seed", str(s), "--out", str(root / f"seq{s}")], "off")
            for s in range(1, n + 1)
        ]
        sequential = sum(each)
        seq_compiled = sum(compiled(root / f"seq{s}") for s in range(1, n + 1))
        cache = str(root / "cache")
        sweep_out = root / "sweep"
        swept = pcsim_command(
            ["sweep", *common, "--seeds", f"1-{n}", "--out", str(sweep_out)], cache
        )
        state = json.loads((sweep_out / "sweep.json").read_text())
        warm_out = root / "warm"
        warm = pcsim_command(["run", *common, "--seed", str(n + 1), "--out", str(warm_out)], cache)
        warm_compiled = int(compiled(warm_out))
        same = all(
            json.loads((root / f"seq{s}" / "metrics.json").read_text())
            == json.loads((sweep_out / "runs" / p["name"] / "metrics.json").read_text())
            for s, p in zip(range(1, n + 1), state["points"], strict=True)
        )
    load_after = os.getloadavg()
    cores = os.cpu_count()
    print(f"{args.scenario} --quick, {args.backend}, {n} seeds, {cores} cores")
    print(f"load average (1, 5, 15 min) before {load_before}, after {load_after}\n")
    print("| what | wall time (s) | compilations |")
    print("|---|---:|---:|")
    print(f"| {n} sequential `pcsim run`s, no build cache | {sequential:.1f} | {seq_compiled} |")
    print(f"| `pcsim sweep --seeds 1-{n}`, empty cache | {swept:.1f} | {state['compilations']} |")
    print(f"| one more `pcsim run`, warm cache | {warm:.1f} | {warm_compiled} |")
    print(f"\nspeed-up of the sweep: {sequential / swept:.1f}x; metrics identical: {same}")
    print(f"sequential runs, wall time each (s): {', '.join(f'{t:.1f}' for t in each)}")


if __name__ == "__main__":
    main()
