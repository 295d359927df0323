"""How the cost of one simulated step scales with the synapse count, per backend.

Prints a Markdown table: for dense and local (ring, receptive fields covering ~2% of the
ring below) two-layer circuits of about 1e4 .. 1e7 synapses (``--gpu``: up to 1e8), the
steps per second and the nanoseconds per synapse-step of the dense NumPy oracle, the
scipy.sparse CSR twin (``benchmarks/csr_twin.py``), the JAX twin (``benchmarks/jax_twin.py``,
W held dense, as an edge list or as a BCOO matrix; XLA on one CPU core; its columns read
"not installed" without the ``bench`` extra), Brian2 runtime (cython) and the
standalone devices cpp_standalone and cuda_standalone (the latter only where
`pcsim.backends.gpu_available()`), with the set-up / compile time of each Brian2 backend
and of the JAX twin. With cuda_standalone it also prints a memory-bandwidth bound per size.

Examples::

    python benchmarks/scaling.py                       # CPU, 1e4..1e7 synapses, ~6-8 min
    python benchmarks/scaling.py --quick               # two small sizes, < 60 s
    python benchmarks/scaling.py --gpu                 # adds cuda_standalone, up to 1e8
    python benchmarks/scaling.py --backends csr cython --max-synapses 1e6
    python benchmarks/scaling.py --quick --backends csr jax-dense jax-edges jax-bcoo

Protocol of every cell: frames of 50 ms, dt = 1 ms, learning on, no monitors. Step counts
come from a one-frame pilot (51 steps), then a run sized to last ``--target-seconds``; the
pilot is subtracted from Brian2 runs to remove their fixed per-run costs (the timing
approach and helpers of ``benchmarks/step_cost.py``). Standalone backends build the pilot
and the long run in one project directory, so the second build only recompiles what the
duration changes; the compile time reported is the first (full) build. Each cell runs in
its own forked process with a time limit, so a crash, an out-of-memory kill or a hang
shows up in its cell instead of ending the benchmark.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import step_cost as sc  # noqa: E402
from brian2 import Hz, ms  # noqa: E402
from csr_twin import simulate_csr  # noqa: E402

from pcsim import oracle  # noqa: E402
from pcsim.backends import BackendOptions, gpu_available  # noqa: E402
from pcsim.circuit import CircuitSpec, LayerSpec  # noqa: E402
from pcsim.layouts import Layout  # noqa: E402
from pcsim.simulate import Simulator  # noqa: E402

#: the JAX twin's connectivity implementations, as backends of this table
JAX_BACKENDS = {"jax-dense": "dense", "jax-edges": "edges", "jax-bcoo": "bcoo"}
BACKENDS = ("oracle", "csr", *JAX_BACKENDS, "cython", "cpp_standalone", "cuda_standalone")
TITLES = {
    "oracle": "NumPy oracle (dense)",
    "csr": "CSR twin",
    "jax-dense": "JAX twin (dense)",
    "jax-edges": "JAX twin (edges)",
    "jax-bcoo": "JAX twin (BCOO)",
    "cython": "Brian2 cython",
    "cpp_standalone": "cpp_standalone",
    "cuda_standalone": "cuda_standalone",
}
SETUP_TITLES = {
    "jax-dense": "JAX dense compile (s)",
    "jax-edges": "JAX edges compile (s)",
    "jax-bcoo": "JAX BCOO compile (s)",
    "cython": "cython set-up (s)",
    "cpp_standalone": "cpp compile (s)",
    "cuda_standalone": "cuda compile (s)",
}
TARGETS = (1e4, 1e5, 1e6, 1e7, 1e8)
#: --quick: (connectivity, target synapses)
QUICK_ROWS = (("dense", 1e3), ("local", 1e4))
#: local receptive fields: a window of half-width rf_radius covers 2 * rf_radius of the ring
LOCAL_FRACTION = 0.02
#: the dense oracle holds N0 x N1 matrices (weights, mask, Hebbian outer product, ...)
#: backends that work on the whole N0 x N1 matrix, and the most entries each is run with
#: (the JAX twin keeps W, its mask and one outer product: 2e7 entries are ~0.5 GB)
DENSE_MAX_ENTRIES = {"oracle": 6e6, "jax-dense": 2e7}
#: rough peak bytes per synapse (per dense entry for dense backends), for skipping cells
#: whose memory would not fit; from peak RSS measured at 1e7 synapses (2 cores, float64),
#: except the JAX twin's: estimates from its arrays and temporaries, not measured at scale
BYTES_PER_SYNAPSE = {
    "oracle": 60,
    "csr": 100,
    "jax-dense": 60,
    "jax-edges": 100,
    "jax-bcoo": 120,
    "cython": 200,
    "cpp_standalone": 220,
    "cuda_standalone": 250,
}
#: per synapse and step, float64 weights and int32 indices (see `bandwidth_lines`)
STREAM_BYTES = (8 + 4 + 4) + (8 + 4 + 4) + (8 + 8 + 4 + 4)
WORST_BYTES = STREAM_BYTES + (8 + 16) + (8 + 8 + 16) + (8 + 8 + 8)
#: cap on frames x N0 of the stimulus table (memory of long runs of wide layers)
MAX_STIMULUS_VALUES = 5e7
#: XLA's Eigen kernels on one thread (the flag is read when jax loads: in the children)
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false"


def jax_installed() -> bool:
    """Whether the ``bench`` extra is there; the parent only looks, never imports jax
    (XLA's threads must not exist before a fork)."""
    return importlib.util.find_spec("jax") is not None


def make_spec(connectivity: str, target: float) -> CircuitSpec:
    """Two rings, N0 = 2 N1; dense: N0 N1 ~ target; local: N0 N1 * LOCAL_FRACTION ~ target."""
    entries = target if connectivity == "dense" else target / LOCAL_FRACTION
    n1 = max(2, round(math.sqrt(entries / 2)))
    if connectivity == "dense":
        top = LayerSpec(Layout("ring", (n1,)))
    else:
        top = LayerSpec(Layout("ring", (n1,)), connectivity="local", rf_radius=LOCAL_FRACTION / 2)
    return CircuitSpec(
        layers=(LayerSpec(Layout("ring", (2 * n1,))), top),
        tau_r=10 * ms,
        eta=1 * Hz,
        alpha=0.05,
        nonlinearity="tanh",
    )


def max_frames(spec: CircuitSpec, args) -> int:
    by_steps = sc.frames_for(args.max_steps)
    return max(2, min(by_steps, int(MAX_STIMULUS_VALUES // spec.sizes[0])))


def sized_frames(spec, per_step: float, args) -> int:
    frames = sc.frames_for_seconds(per_step, args.target_seconds, args.max_steps)
    return max(2, min(frames, max_frames(spec, args)))


# --- measurements (each runs in a forked child; returns a plain dict) -----------------


def measure_loop(backend: str, spec: CircuitSpec, args) -> dict:
    """oracle, CSR and JAX twins: their timers wrap the step loop only: time / steps. The
    JAX twin's set-up: the pilot's tracing and XLA compilation (the long run, of other
    shapes, compiles again, outside its timer)."""
    setup = []

    def run(frames: int) -> tuple[int, float]:
        proto, inputs = sc.make_case(spec, frames)
        if backend == "oracle":
            result = oracle.simulate(spec, proto, inputs, dtype=args.dtype)
            return proto.n_steps, result.simulate_seconds
        if backend == "csr":
            return proto.n_steps, simulate_csr(spec, proto, inputs, dtype=args.dtype).seconds
        impl = JAX_BACKENDS[backend]
        out = simulate_jax_one_core(spec, proto, inputs, impl=impl, dtype=args.dtype)
        setup.append(out.compile_seconds)
        return proto.n_steps, out.seconds

    n, seconds = run(1)
    if seconds < args.target_seconds / 2:
        n, seconds = run(sized_frames(spec, seconds / n, args))
    return {"steps": n, "per_step": seconds / n, "setup": setup[0] if setup else None, "notes": []}


def simulate_jax_one_core(*args, **kwargs):
    """`jax_twin.simulate_jax` on one CPU core: the forked child pins itself to one CPU
    before jax loads, so that every XLA thread inherits it (XLA_ONE_THREAD alone still
    left the edge list's scatters on two threads)."""
    if hasattr(os, "sched_setaffinity"):  # Linux
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from jax_twin import simulate_jax

    return simulate_jax(*args, **kwargs)


def measure_cython(spec: CircuitSpec, args) -> dict:
    """Brian2 runtime, pilot-subtracted like step_cost: (T_long - T_51) / (n_long - 51),
    the long run at least two frames; set-up = the pilot's code generation + compilation
    (cached on disk across sizes and invocations)."""
    n_p, s_p, setup, _ = sc.run_runtime("cython", spec, 1, args.dtype)
    frames = sized_frames(spec, s_p / n_p, args)
    for _ in range(2):  # lengthen once if the pilot's fixed cost made the estimate too high
        n, sim, _, div = sc.run_runtime("cython", spec, frames, args.dtype)
        per_step = (sim - s_p) / (n - n_p)
        if sim - s_p >= args.target_seconds / 2 or frames >= max_frames(spec, args):
            break
        if per_step > 0:
            frames = max(2 * frames, sized_frames(spec, per_step, args))
    notes = [f"diverged ({div[0]} at {div[1]:.2f} s)"] if div is not None else []
    return {"steps": n, "per_step": per_step, "setup": setup, "notes": notes}


def run_standalone(backend, spec, frames, build_dir: Path, args, repeats: int):
    proto, inputs = sc.make_case(spec, frames)
    options = BackendOptions(backend, threads=args.threads, float_dtype=args.dtype)
    sim = Simulator(spec, proto, options, build_dir=build_dir)
    first = sim.run(inputs)
    runs = [first.simulate_seconds]
    for _ in range(repeats - 1):
        runs.append(sim.run(inputs).simulate_seconds)  # same binary, no compilation
    return proto.n_steps, min(runs), first.compile_seconds, first.divergence


def measure_standalone(backend: str, spec: CircuitSpec, args, estimate: float | None) -> dict:
    """Pilot build (51 steps, best of 3 runs) and long build in one directory; the cost
    per step is (T_long - T_pilot) / (n_long - n_pilot): process start, input and result
    I/O cancel. The long run is lengthened (cheap incremental rebuilds) if too short."""
    with tempfile.TemporaryDirectory(prefix="pcsim-scaling-") as tmp:
        project = Path(tmp) / "project"
        repeats = 1 if args.quick else 3
        n0, t0, compile0, _ = run_standalone(backend, spec, 1, project, args, repeats)
        per_step = estimate if estimate else t0 / n0
        frames, notes = sized_frames(spec, per_step, args), []
        for _ in range(1 if args.quick else 2):  # lengthen at most once
            n1, t1, _, div = run_standalone(backend, spec, frames, project, args, 1)
            per_step = (t1 - t0) / (n1 - n0)
            limit = max_frames(spec, args)
            if t1 - t0 >= args.target_seconds / 2 or frames >= limit or per_step <= 0:
                break
            frames = min(limit, max(2 * frames, sized_frames(spec, per_step, args)))
    if per_step <= 0 or t1 - t0 < 0.25:
        notes.append(f"long run only {t1 - t0:.2f} s longer than the pilot: noisy")
    if div is not None:
        notes.append(f"diverged ({div[0]} at {div[1]:.2f} s)")
    return {"steps": n1, "per_step": per_step, "setup": compile0, "notes": notes}


def measure(backend: str, spec: CircuitSpec, args, estimate: float | None) -> dict:
    if backend in ("oracle", "csr", *JAX_BACKENDS):
        return measure_loop(backend, spec, args)
    if backend == "cython":
        return measure_cython(spec, args)
    return measure_standalone(backend, spec, args, estimate)


def _child(conn, backend, spec, args, estimate) -> None:
    try:
        out = measure(backend, spec, args, estimate)
    except BaseException as exc:  # reported in the cell
        traceback.print_exc(file=sys.stderr)
        out = {"error": " ".join(f"{type(exc).__name__}: {exc}".split())}
    out["peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    conn.send(out)
    conn.close()


def measure_isolated(backend: str, spec: CircuitSpec, args, estimate: float | None) -> dict:
    """`measure` in a forked child, killed after ``--cell-timeout`` seconds."""
    start = time.perf_counter()
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, backend, spec, args, estimate))
    child.start()
    send.close()
    try:
        if recv.poll(args.cell_timeout):
            out = recv.recv()
        else:
            child.kill()
            out = {"error": f"timed out after {args.cell_timeout:.0f} s"}
    except EOFError:
        child.join()
        code = child.exitcode
        why = f"killed by signal {-code} (out of memory?)" if code and code < 0 else code
        out = {"error": f"process died: {why}"}
    child.join()
    recv.close()
    out["wall"] = time.perf_counter() - start
    return out


# --- skip rules ------------------------------------------------------------------------


def available_gb() -> float:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("inf")


def skip_reason(backend: str, spec: CircuitSpec, synapses: int, args) -> str | None:
    entries = spec.sizes[0] * spec.sizes[1]
    if backend == "cuda_standalone" and not gpu_available():
        return "no GPU"
    if backend in JAX_BACKENDS and not jax_installed():
        return "not installed"
    if entries > DENSE_MAX_ENTRIES.get(backend, math.inf):
        return f"skipped: dense matrix {entries:.1e} entries > {DENSE_MAX_ENTRIES[backend]:.0e}"
    if backend != "cuda_standalone" and synapses > args.cpu_max_synapses * 1.5:
        return f"skipped: > --cpu-max-synapses {args.cpu_max_synapses:.0e}"
    need = (
        BYTES_PER_SYNAPSE[backend] * (entries if backend in DENSE_MAX_ENTRIES else synapses) / 2**30
    )
    limit = min(args.max_memory_gb, 0.8 * available_gb())
    if need > limit:
        return f"skipped: needs ~{need:.0f} GB > {limit:.0f} GB"
    return None


# --- output ------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}g}" if abs(value) < 10**digits else f"{value:.0f}"


def cell_text(out: dict | str, synapses: int) -> str:
    if isinstance(out, str):
        return out
    if "error" in out:
        return "ERROR: " + out["error"][:160].replace("|", "\\|")
    per_step = out["per_step"]
    if per_step is None or per_step <= 0:
        return f"unreliable ({fmt(per_step)} s/step)"
    return f"{fmt(1 / per_step)} st/s · {fmt(per_step / synapses * 1e9)} ns"


def setup_text(out: dict | str | None) -> str:
    if out is None:
        return "—"
    if isinstance(out, str) or "error" in out or out.get("setup") is None:
        return "—"
    return fmt(out["setup"])


def gpu_name() -> str | None:
    try:
        cmd = ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=20)
        return out.stdout.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return None


def bandwidth_lines(rows: list[tuple], bandwidth: float, source: str) -> list[str]:
    lines = [
        "",
        f"### cuda_standalone vs the memory-bandwidth bound ({bandwidth:g} GB/s, {source})",
        "",
        "Bytes moved per step, float64 weights and int32 synapse indices: "
        f"B = {STREAM_BYTES} x synapses (streaming only: mu pass w 8 + pre 4 + post 4; "
        "fb pass 8 + 4 + 4; learning w read+write 16 + pre 4 + post 4; per-unit gathers "
        "and atomic sums assumed cached), or at worst "
        f"{WORST_BYTES} x synapses (every gather of phi_r_pre, Pi_post, eps_post from DRAM "
        "and every atomic add to mu_post / fb_pre a 16-byte read-modify-write). "
        "Per-unit (neuron) traffic is O(N0 + N1) and left out. "
        "bound = B / bandwidth; ratio = measured / bound (1 = at the bound).",
        "",
        "| connectivity | synapses | bound µs/step (stream) | bound µs/step (worst) "
        "| measured µs/step | measured / stream bound | measured / worst bound |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for conn, synapses, out in rows:
        stream = STREAM_BYTES * synapses / (bandwidth * 1e9)
        worst = WORST_BYTES * synapses / (bandwidth * 1e9)
        if isinstance(out, dict) and out.get("per_step"):
            measured = out["per_step"]
            cells = [fmt(measured * 1e6), fmt(measured / stream), fmt(measured / worst)]
        else:
            cells = [cell_text(out, synapses) if out is not None else "—", "—", "—"]
        lines.append(
            f"| {conn} | {synapses} | {fmt(stream * 1e6)} | {fmt(worst * 1e6)} | "
            + " | ".join(cells)
            + " |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two small sizes (< 60 s)")
    parser.add_argument(
        "--gpu", action="store_true", help="include cuda_standalone; sizes up to 1e8 synapses"
    )
    parser.add_argument(
        "--max-synapses",
        type=float,
        default=None,
        help="largest target synapse count (default 1e7; 1e8 with --gpu)",
    )
    parser.add_argument(
        "--cpu-max-synapses",
        type=float,
        default=1e7,
        help="CPU backends skip sizes above this (default 1e7)",
    )
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=None, metavar="BACKEND")
    parser.add_argument(
        "--connectivity", nargs="+", choices=("dense", "local"), default=["dense", "local"]
    )
    parser.add_argument("--target-seconds", type=float, default=2.0, help="per run (default 2)")
    parser.add_argument(
        "--max-steps", type=int, default=200_001, help="most steps per run (default 200001)"
    )
    parser.add_argument(
        "--cell-timeout", type=float, default=180.0, help="seconds per cell (default 180)"
    )
    parser.add_argument(
        "--max-memory-gb",
        type=float,
        default=None,
        help="skip cells estimated to need more host memory (default 8; with --gpu: 80%% of "
        "what is available)",
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="cpp_standalone OpenMP threads (default 0)"
    )
    parser.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="floating-point type of every backend's state and weights (default float64)",
    )
    parser.add_argument(
        "--bandwidth-gbs",
        type=float,
        default=None,
        help="GPU memory bandwidth (default 3350, H100 SXM; 4800 if nvidia-smi reports an H200)",
    )
    args = parser.parse_args(argv)
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {XLA_ONE_THREAD}".strip()
    if args.max_memory_gb is None:
        args.max_memory_gb = float("inf") if args.gpu else 8.0
    gpu = gpu_available()
    backends = args.backends or [b for b in BACKENDS if b != "cuda_standalone" or args.gpu or gpu]
    if args.quick:
        rows = [row for row in QUICK_ROWS if row[0] in args.connectivity]
        args.target_seconds = min(args.target_seconds, 0.3)
        args.max_steps = min(args.max_steps, 2001)
    else:
        top = args.max_synapses or (1e8 if args.gpu else 1e7)
        rows = [(c, t) for c in args.connectivity for t in TARGETS if t <= top * 1.001]
    name = gpu_name() if gpu else None
    if args.bandwidth_gbs is not None:
        bandwidth, source = args.bandwidth_gbs, "--bandwidth-gbs"
    elif name and "H200" in name:
        bandwidth, source = 4800.0, f"default for {name}"
    else:
        bandwidth, source = 3350.0, "default: H100 SXM"

    start = time.perf_counter()
    print("## pcsim: scaling of the cost per step with the synapse count\n")
    print("\n".join(sc.machine_lines(args.threads)))
    print(f"- GPU: {name or ('present' if gpu else 'none')}")
    print(f"- jax: {metadata.version('jax') if jax_installed() else 'not installed'}")
    print(
        f"- two rings, N0 = 2 N1; local: rf_radius {LOCAL_FRACTION / 2:g} (each unit of "
        f"layer 1 sees ~{LOCAL_FRACTION:.0%} of layer 0); tanh, learning on, frames of "
        f"50 ms, dt = 1 ms, no monitors; {args.dtype}"
    )
    print(
        f"- steps: one-frame pilot, then runs of ~{args.target_seconds:g} s "
        f"(at most {args.max_steps} steps); each cell: steps per second · ns per synapse-step\n"
    )
    setups = [b for b in backends if b in SETUP_TITLES]
    header = ["connectivity", "N0×N1", "synapses"] + [TITLES[b] for b in backends]
    header += [SETUP_TITLES[b] for b in setups]
    print("| " + " | ".join(header) + " |")
    print("|---|---|---:|" + "---:|" * (len(backends) + len(setups)))
    notes: list[str] = []
    gpu_rows: list[tuple] = []
    for conn, target in rows:
        try:
            spec = make_spec(conn, target)
            synapses = spec.synapse_count()  # k-d tree pairs, computed once, forked
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            error = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
            print(f"| {conn} | ~{target:.0e} | — | ERROR building the circuit: {error} |")
            continue
        results: dict[str, dict | str] = {}
        for backend in backends:
            reason = skip_reason(backend, spec, synapses, args)
            if reason:
                results[backend] = reason
                continue
            estimate = None
            for source_backend in ("cython", "cpp_standalone"):  # sizes standalone runs
                got = results.get(source_backend)
                if isinstance(got, dict) and got.get("per_step"):
                    estimate = got["per_step"]
            if backend == "cuda_standalone" and estimate:
                estimate /= 10  # a GPU guess; the run is lengthened if too short
            out = measure_isolated(backend, spec, args, estimate)
            results[backend] = out
            label = f"{conn} {synapses} {backend}"
            print(
                f"[{label}: {out['wall']:.1f} s, peak RSS {out.get('peak_gb', 0):.2f} GB]",
                file=sys.stderr,
                flush=True,
            )
            for note in out.get("notes", []):
                notes.append(f"{label}: {note}")
        n0, n1 = spec.sizes
        cells = [cell_text(results[b], synapses) for b in backends]
        cells += [setup_text(results.get(b)) for b in setups]
        print(f"| {conn} | {n0}×{n1} | {synapses} | " + " | ".join(cells) + " |", flush=True)
        if "cuda_standalone" in backends:
            gpu_rows.append((conn, synapses, results.get("cuda_standalone")))
    print()
    print(
        "- oracle: dense NumPy (`pcsim.oracle.simulate`): on local circuits it multiplies and "
        f"updates the full masked N0×N1 matrix (~{1 / LOCAL_FRACTION:.0f}× the synapses); "
        f"run only up to {DENSE_MAX_ENTRIES['oracle']:.0e} matrix entries (the JAX twin's dense "
        f"W up to {DENSE_MAX_ENTRIES['jax-dense']:.0e}). oracle, CSR and JAX twins: their "
        "timers wrap the step loop only (time / steps)."
    )
    print(
        "- JAX twin: XLA on one CPU core (the measuring process pinned to one CPU, "
        f"{XLA_ONE_THREAD}), the step loop one compiled `lax.scan` per frame "
        "inside a scan over frames; its compile = the pilot's tracing and XLA compilation."
    )
    print(
        "- cython: pilot-subtracted (T_long − T_51) / (n_long − 51); its set-up is the "
        "first run's code generation and compilation (Brian2 caches compiled code on disk, "
        "so after the first size it is mostly network preparation). Standalone: the same "
        "difference of two builds' run times; compile = the first, full build."
    )
    if gpu_rows and gpu:
        print("\n".join(bandwidth_lines(gpu_rows, bandwidth, source)))
    if notes:
        print("\nNotes:\n" + "\n".join(f"- {n}" for n in notes))
    print(f"\n- total wall time: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
