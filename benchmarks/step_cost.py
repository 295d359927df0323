"""Cost of one simulated time step, per backend, for dense and local circuits.

Prints a Markdown table: for every connectivity and size, the synapse count and, for the
dense NumPy oracle and each Brian2 backend, the time per simulated step (µs), the time per
synapse-step (ns) and the one-off set-up cost (cpp_standalone: compilation; cython: code
generation and compilation of the first run). Timings come from ``time.perf_counter``
only (pcsim's ``Result.simulate_seconds`` / ``compile_seconds`` and this script's own).

Examples::

    python benchmarks/step_cost.py                 # default run, a few minutes on 2 cores
    python benchmarks/step_cost.py --quick         # smoke test, well under a minute
    python benchmarks/step_cost.py --backends oracle cpp_standalone --sizes 0 1
    python benchmarks/step_cost.py --steps 20001   # fixed step count instead of adaptive

Step counts are adaptive unless ``--steps`` is given: a one-frame pilot (51 steps)
estimates the cost of a step, then a second run is sized to last about
``--target-seconds``. cpp_standalone bakes the duration into the binary, so it is built
twice per size (a one-frame build and a long one); its cost per step is the difference of
the two run times divided by the difference of their step counts, which removes the
process start, the reading of inputs and the writing of results from the figure.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import brian2
import numpy as np
from brian2 import Hz, ms

from pcsim import oracle
from pcsim.backends import BackendOptions
from pcsim.circuit import CircuitSpec, LayerSpec
from pcsim.layouts import Layout
from pcsim.network import Protocol
from pcsim.simulate import Inputs, Simulator

BACKENDS = ("oracle", "numpy", "cython", "cpp_standalone")
#: (connectivity, N0, N1); local layers see ``LOCAL_FRACTION`` of the ring below.
SIZES = (
    ("dense", 64, 32),
    ("dense", 256, 128),
    ("dense", 1024, 512),
    ("local", 256, 128),
    ("local", 1024, 512),
    ("local", 4096, 2048),
)
QUICK_SIZES = (("dense", 16, 8), ("local", 64, 32))
LOCAL_FRACTION = 0.05
FRAME = 50 * ms
DT = 1 * ms
STEPS_PER_FRAME = int(round(float(FRAME / DT)))


@dataclass
class Cell:
    """One measurement: ``steps`` simulated in ``seconds`` (per-step cost already net of
    start-up where ``per_step`` is given), set-up cost ``setup`` seconds, or an ``error``."""

    steps: int = 0
    per_step: float | None = None
    setup: float | None = None
    wall: float = 0.0
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def machine_lines(threads: int) -> list[str]:
    model = platform.processor() or ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except (OSError, subprocess.CalledProcessError) as exc:
        model = model or f"unknown (lscpu failed: {exc})"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return [
        f"- machine: {model or 'unknown'}, {os.cpu_count()} logical cores"
        + (f" ({usable} usable)" if usable is not None else "")
        + f", {platform.system()} {platform.machine()}",
        f"- python {platform.python_version()}, brian2 {brian2.__version__}, "
        f"numpy {np.__version__}",
        f"- cpp_standalone OpenMP threads: {threads} (0 = Brian2 default: no OpenMP, one thread)",
    ]


def make_spec(connectivity: str, n0: int, n1: int) -> CircuitSpec:
    if connectivity == "dense":
        top = LayerSpec(Layout("ring", (n1,)), connectivity="dense")
    else:
        # A window of half-width r on a ring of circumference 1 covers 2 r of it.
        top = LayerSpec(Layout("ring", (n1,)), connectivity="local", rf_radius=LOCAL_FRACTION / 2)
    return CircuitSpec(
        layers=(LayerSpec(Layout("ring", (n0,))), top),
        tau_r=10 * ms,
        eta=1 * Hz,
        eta_decay=0 * Hz,
        alpha=0.05,
        nonlinearity="tanh",
    )


def make_case(spec: CircuitSpec, n_frames: int, seed: int = 0) -> tuple[Protocol, Inputs]:
    proto = Protocol(n_frames=n_frames, frame_duration=FRAME, dt=DT, interval=FRAME)
    rng = np.random.default_rng(seed)
    frames = rng.standard_normal((n_frames, spec.sizes[0]))
    inputs = Inputs(frames, np.ones(n_frames), tuple(spec.initial_weights(rng)))
    return proto, inputs


def frames_for(steps: int) -> int:
    """Whole frames covering at least ``steps`` steps (n_steps = frames * 50 + 1)."""
    return max(1, math.ceil((steps - 1) / STEPS_PER_FRAME))


def frames_for_seconds(per_step: float, target: float, max_steps: int) -> int:
    steps = min(max_steps, max(STEPS_PER_FRAME + 1, int(target / max(per_step, 1e-9))))
    return frames_for(steps)


def run_runtime(backend, spec, n_frames, dtype: str = "float64"):
    """One oracle / runtime-backend run in ``dtype``: (n_steps, simulate s, set-up s,
    diverged)."""
    proto, inputs = make_case(spec, n_frames)
    if backend == "oracle":
        res = oracle.simulate(spec, proto, inputs, dtype=dtype)
    else:
        res = Simulator(spec, proto, BackendOptions(backend, float_dtype=dtype)).run(inputs)
    return proto.n_steps, res.simulate_seconds, res.compile_seconds, res.divergence


def measure_runtime(backend: str, spec: CircuitSpec, args) -> Cell:
    """The oracle times its own loop only: time per step = simulate_seconds / n_steps.
    Brian2's runtime ``run()`` also pays a fixed cost per call (preparing the code
    objects) inside simulate_seconds, so for numpy and cython the cost per step is the
    difference between a one-frame pilot and a long run, divided by their step difference."""
    cell = Cell()
    n_p, s_p, setup, div = run_runtime(backend, spec, 1)  # pilot: also the first-run set-up
    cell.setup = setup if backend != "oracle" else None
    n, sim = n_p, s_p
    if args.steps:
        n, sim, _, div = run_runtime(backend, spec, frames_for(args.steps))
    else:
        estimate = s_p / n_p  # an overestimate for Brian2 (fixed cost included)
        for _ in range(2):  # second pass only when the fixed cost made the first too short
            long_enough = sim >= args.target_seconds / 2 or n >= args.max_steps
            if long_enough and (backend == "oracle" or n > n_p):  # Brian2: always 2 runs
                break
            frames = frames_for_seconds(estimate, args.target_seconds, args.max_steps)
            if frames <= 1:
                break
            n, sim, _, div = run_runtime(backend, spec, frames)
            if backend != "oracle":
                estimate = max((sim - s_p) / (n - n_p), 1e-9)
    if backend == "oracle" or n == n_p:
        cell.steps, cell.per_step = n, sim / n
        if backend != "oracle":
            cell.notes.append("one run only: fixed per-run cost included")
    else:
        cell.steps, cell.per_step = n, (sim - s_p) / (n - n_p)
        fixed = s_p - n_p * cell.per_step
        cell.notes.append(
            f"fixed per-run cost ~{fixed * 1e3:.0f} ms excluded "
            f"(raw simulate_seconds / n_steps = {sim / n * 1e6:.3g} µs)"
        )
    if div is not None:
        cell.notes.append(f"diverged ({div[0]} at {div[1]:.2f} s)")
    return cell


def run_standalone(spec, n_frames, build_dir: Path, threads: int, repeats: int):
    """Build one cpp_standalone binary; returns (n_steps, best run s, compile s, diverged)."""
    proto, inputs = make_case(spec, n_frames)
    sim = Simulator(
        spec, proto, BackendOptions("cpp_standalone", threads=threads), build_dir=build_dir
    )
    first = sim.run(inputs)
    runs = [first.simulate_seconds]
    for _ in range(repeats - 1):
        runs.append(sim.run(inputs).simulate_seconds)  # reuses the binary: no compilation
    return proto.n_steps, min(runs), first.compile_seconds, first.divergence


def measure_standalone(spec: CircuitSpec, args, estimate: float | None) -> Cell:
    cell = Cell()
    with tempfile.TemporaryDirectory(prefix="pcsim-step-cost-") as tmp:
        n0, t0, c0, _ = run_standalone(spec, 1, Path(tmp) / "short", args.threads, repeats=3)
        if args.steps:
            frames = frames_for(args.steps)
        else:
            # Sized from a per-step cost measured at this size by another backend; else
            # from the short run, start-up included (an overestimate: a shorter run).
            per_step = estimate if estimate else t0 / n0
            frames = frames_for_seconds(per_step, args.target_seconds, args.max_steps)
        frames = max(frames, 2)
        n1, t1, c1, div = run_standalone(spec, frames, Path(tmp) / "long", args.threads, 1)
    cell.steps = n1
    cell.per_step = (t1 - t0) / (n1 - n0)
    cell.setup = c1
    startup = t0 - n0 * cell.per_step
    cell.notes.append(
        f"start-up {startup * 1e3:.0f} ms excluded ({n0}-step build: {t0 * 1e3:.0f} ms, "
        f"{c0:.1f} s compile)"
        + (" (negative: below the timing noise of the long run)" if startup < 0 else "")
    )
    if cell.per_step <= 0 or t1 < 5 * t0:
        cell.notes.append("**run too short for the difference to be reliable**")
    if div is not None:
        cell.notes.append(f"diverged ({div[0]} at {div[1]:.2f} s)")
    return cell


def measure(backend: str, spec: CircuitSpec, args, estimate: float | None) -> Cell:
    start = time.perf_counter()
    try:
        if backend == "cpp_standalone":
            cell = measure_standalone(spec, args, estimate)
        else:
            cell = measure_runtime(backend, spec, args)
    except Exception as exc:  # reported in the table and on stderr, never swallowed
        traceback.print_exc(file=sys.stderr)
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        cell = Cell(error=message[:300])
    cell.wall = time.perf_counter() - start
    return cell


def fmt(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}g}" if abs(value) < 10**digits else f"{value:.0f}"


def row(conn, n0, n1, synapses, backend, cell: Cell) -> str:
    label = f"{conn} | {n0}×{n1} | {synapses}"
    name = f"{backend}¹" if backend == "oracle" and conn == "local" else backend
    if cell.error:
        error = cell.error.replace("|", "\\|")
        return f"| {label} | {name} | — | — | — | — | ERROR: {error} |"
    per_syn = cell.per_step / synapses if cell.per_step is not None else None
    setup = fmt(cell.setup, 3) if cell.setup is not None else "—"
    return (
        f"| {label} | {name} | {cell.steps} | {fmt(cell.per_step * 1e6)} | "
        f"{fmt(per_syn * 1e9 if per_syn is not None else None)} | {setup} | "
        f"{'; '.join(cell.notes) or ''} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke version (< 60 s)")
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="simulate this many steps (rounded up to whole 50-step frames, plus one) in "
        "every cell instead of choosing the count adaptively",
    )
    parser.add_argument(
        "--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS), metavar="BACKEND"
    )
    all_sizes = ", ".join(f"{i}={c}:{a}x{b}" for i, (c, a, b) in enumerate(SIZES))
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=int,
        default=None,
        metavar="INDEX",
        help=f"which sizes to run (default all): {all_sizes}",
    )
    parser.add_argument(
        "--target-seconds",
        type=float,
        default=3.0,
        help="adaptive mode: aim for runs of about this long per cell (default 3)",
    )
    parser.add_argument(
        "--max-steps",
        type=int,
        default=200_001,
        help="adaptive mode: never simulate more steps than this per run (default 200001)",
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="cpp_standalone OpenMP threads (default 0)"
    )
    args = parser.parse_args(argv)
    if args.steps is not None and args.steps < 2 * STEPS_PER_FRAME + 1:
        parser.error(f"--steps must be at least {2 * STEPS_PER_FRAME + 1}")
    if args.quick:
        sizes = QUICK_SIZES
        args.target_seconds = min(args.target_seconds, 0.3)
        args.max_steps = min(args.max_steps, 2001)
    else:
        sizes = SIZES
    if args.sizes is not None:
        bad = [i for i in args.sizes if not 0 <= i < len(sizes)]
        if bad:
            parser.error(f"--sizes: no size {bad} (have 0..{len(sizes) - 1})")
        sizes = tuple(sizes[i] for i in args.sizes)

    start = time.perf_counter()
    print("## pcsim: cost of one simulated step\n")
    print("\n".join(machine_lines(args.threads)))
    mode = (
        f"fixed: {args.steps} steps requested"
        if args.steps
        else f"adaptive: one-frame pilot, then runs of ~{args.target_seconds:g} s, "
        f"at most {args.max_steps} steps"
    )
    print(f"- step count: {mode}; dt = 1 ms, frames of 50 ms, learning on, no monitors\n")
    print(
        "| connectivity | N0×N1 | synapses | backend | steps | µs / step | ns / synapse-step "
        "| set-up (s)² | notes |"
    )
    print("|---|---|---:|---|---:|---:|---:|---:|---|")
    for conn, n0, n1 in sizes:
        spec = make_spec(conn, n0, n1)
        synapses = spec.synapse_count()
        measured: dict[str, float] = {}
        for backend in args.backends:
            # cpp_standalone's run length is sized from a Brian2 runtime backend's cost
            # (usually within a few times of it), else from the oracle's.
            runtime = [measured[b] for b in ("numpy", "cython") if b in measured]
            estimate = min(runtime) if runtime else measured.get("oracle")
            cell = measure(backend, spec, args, estimate)
            if cell.per_step and backend != "cpp_standalone":
                measured[backend] = cell.per_step
            print(row(conn, n0, n1, synapses, backend, cell), flush=True)
            print(f"[{conn} {n0}x{n1} {backend}: {cell.wall:.1f} s]", file=sys.stderr)
    print()
    print(
        "¹ The oracle is dense NumPy: on local circuits it still multiplies and updates the "
        "full N0×N1 masked matrix, so its cost per *synapse* is inflated by "
        f"~1/{LOCAL_FRACTION:g} = {1 / LOCAL_FRACTION:.0f}×."
    )
    print(
        "² Set-up: numpy, the first `run(0 s)` (network preparation); cython, code "
        "generation and compilation of the first run of that size (Brian2 caches compiled "
        "extensions on disk, so later sizes and later invocations mostly hit the cache); "
        "cpp_standalone, generating and compiling the long-run project."
    )
    print(
        "- Time per step. oracle: `simulate_seconds / n_steps` (its timer wraps the step "
        "loop only). numpy / cython: `simulate_seconds` of `Network.run` includes a fixed "
        "per-call cost, so a 51-step pilot is subtracted as a measured baseline: "
        "(T_long − T_51) / (n_long − 51); the raw ratio is in the notes. cpp_standalone: "
        "`simulate_seconds` includes process start and input/result file I/O, so a separate "
        "51-step build (best of 3 runs) is subtracted the same way. `steps` is n_long."
    )
    print(f"- total wall time: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
