"""Run one scenario on cuda_standalone and cpp_standalone and check that they agree.

    python benchmarks/gpu_compare.py [--scenario torus] [--out DIR] [--full] [--pair A B]
                                     [--float32] [--set KEY=VALUE ...]

States and weights (frame-end traces, final per-synapse weights, the prior pi) must agree
to RTOL relative to each array's largest magnitude: both run float64 and the same
operations; the GPU sums summed variables with atomics in an unspecified order, which
changes the last bits (1e-16) and, through the contractive dynamics, stays far below
1e-6. Metrics derived from them must agree to 1e-4 relative and the accepted effective
group must be identical. With ``--float32`` both run in single precision and the
tolerances are RTOL32 and METRIC_RTOL32: a different order of summation changes the last
bit of float32 (6e-8), which thousands of steps carry to about 1e-5 at most (measured on
CPU backends: float32 against the float64 oracle stays within 1e-4 of the scale, see
tests/test_float32.py). Prints one line per check and exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from pcsim import cli

RTOL, RTOL32 = 1e-6, 1e-3
METRIC_RTOL, METRIC_RTOL32 = 1e-4, 1e-2
KEYS = ("heldout_prediction_error", "transformed_heldout_prediction_error", "weight_sharing_index")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="torus")
    parser.add_argument("--out", type=Path, default=Path("gpu_compare_out"))
    parser.add_argument("--full", action="store_true", help="the full run, not --quick")
    parser.add_argument(
        "--pair",
        nargs=2,
        default=("cpp_standalone", "cuda_standalone"),
        help="the two backends (the check itself can be tried on CPU backends)",
    )
    parser.add_argument("--float32", action="store_true", help="both in single precision")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="as pcsim run --set"
    )
    args = parser.parse_args()
    rtol, metric_rtol = (RTOL32, METRIC_RTOL32) if args.float32 else (RTOL, METRIC_RTOL)
    overrides = [f"--set={kv}" for kv in args.set]
    if args.float32:
        overrides.append("--set=simulation.float_dtype=float32")
    runs = {}
    for backend in args.pair:
        out = args.out / backend
        start = time.perf_counter()
        argv = ["run", args.scenario, "--backend", backend, "--out", str(out), "--quiet"]
        code = cli.main(argv + overrides + ([] if args.full else ["--quick"]))
        info = json.loads((out / "run.json").read_text())
        seconds = time.perf_counter() - start
        print(f"{backend}: exit {code} in {seconds:.1f} s; timings {info['timings_s']}")
        if code:
            return 1
        runs[backend] = out
    failures = 0
    cpu, gpu = (runs[b] for b in args.pair)
    for condition in ("symmetry", "baseline"):
        a, b = np.load(cpu / f"traces_{condition}.npz"), np.load(gpu / f"traces_{condition}.npz")
        for key in sorted(k for k in a.files if k.startswith("frame_end/") or k.startswith("W")):
            scale = np.abs(a[key]).max() or 1.0
            error = float(np.abs(a[key] - b[key]).max() / scale)
            ok = error <= rtol
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {condition:9s} {key:24s} max rel diff {error:.2e}")
    ma, mb = (json.loads((p / "metrics.json").read_text()) for p in (cpu, gpu))
    for block_a, block_b, name in (
        (ma, mb, "symmetry"),
        (ma["baseline"], mb["baseline"], "baseline"),
    ):
        for key in KEYS:
            x, y = block_a[key], block_b[key]
            ok = abs(x - y) <= metric_rtol * max(abs(x), 1e-12)
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name:9s} {key:38s} cpu {x:.6g} gpu {y:.6g}")
        same = block_a["effective_group"]["accepted"] == block_b["effective_group"]["accepted"]
        failures += not same
        accepted = block_b["effective_group"]["accepted"]
        print(f"{'ok  ' if same else 'FAIL'} {name:9s} effective group {accepted}")
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
