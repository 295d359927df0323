"""Build (without running) a cortical-sheet-sized circuit with the full symmetry prior.

    python benchmarks/scale_build.py [--side 128] [--channels 4] [--backend cuda_standalone]

A --side x --side torus of pixels, a layer of the same positions with --channels feature
channels and local receptive fields (radius 2.5 pixels), and eight candidates (four
translations, a 90-degree rotation, two reflections, a random permutation). Prints the
sizes, the time to set the network up and to generate and compile the project, and the
size of the binary's static data. Frames: --frames per run; longer developments reuse
the binary with new frame tables through run_args (see the README, "Scale").
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from brian2 import Hz, ms, second

from pcsim.backends import BackendOptions
from pcsim.circuit import CircuitSpec, LayerSpec
from pcsim.layouts import Layout
from pcsim.network import Protocol, Setup
from pcsim.simulate import Simulator
from pcsim.symmetry import symmetry_prior

CANDIDATES = [
    {"name": "shift_x+1", "kind": "shift", "by": [0, 1]},
    {"name": "shift_y+1", "kind": "shift", "by": [1, 0]},
    {"name": "shift_x-1", "kind": "shift", "by": [0, -1]},
    {"name": "shift_y-1", "kind": "shift", "by": [-1, 0]},
    {"name": "rotate90", "kind": "rotate90", "channels": "rotate90"},
    {"name": "reflect_x", "kind": "reflect", "axis": "x", "channels": "mirror"},
    {"name": "reflect_y", "kind": "reflect", "axis": "y", "channels": "mirror"},
    {"name": "random", "kind": "random", "seed": 7},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=128)
    parser.add_argument("--channels", type=int, default=4)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--backend", default="cuda_standalone")
    parser.add_argument("--float32", action="store_true")
    args = parser.parse_args()
    side = args.side
    spec = CircuitSpec(
        layers=(
            LayerSpec(Layout("torus", (side, side))),
            LayerSpec(
                Layout("torus", (side, side), args.channels),
                connectivity="local",
                rf_radius=2.5 / side,
            ),
        ),
        tau_r=10 * ms,
        eta=2 * Hz,
        eta_decay=0.01 * Hz,
        alpha=0.2,
    )
    start = time.perf_counter()
    prior = symmetry_prior(spec, CANDIDATES, lam=10.0, tau_dev=2 * second)
    proto = Protocol(n_frames=args.frames, frame_duration=50 * ms, dt=1 * ms, interval=50 * ms)
    options = BackendOptions(args.backend, float_dtype="float32" if args.float32 else "float64")
    with tempfile.TemporaryDirectory(prefix="pcsim-scale-") as tmp:
        sim = Simulator(spec, proto, options, Setup(prior), build_dir=Path(tmp))
        binary = sim.build()
        total = time.perf_counter() - start
        static = sum(p.stat().st_size for p in (Path(tmp) / "static_arrays").iterdir())
        size = binary.stat().st_size
    k = prior.n_candidates
    units = sum(spec.sizes) + k * sum(spec.sizes)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| sheet | {side} x {side} pixels, {side} x {side} x {args.channels} features |")
    print("|---|---|")
    print(f"| synapses (W_1) | {spec.synapse_count():,} |")
    print(f"| candidates | {k}; consistency units {k * sum(spec.sizes):,}; all units {units:,} |")
    print(f"| backend | {args.backend} ({options.float_dtype}) |")
    print(f"| set-up + generate + compile | {total:.1f} s |")
    print(f"| binary | {size / 1e6:.1f} MB; static arrays {static / 1e6:.1f} MB |")
    table = args.frames * spec.sizes[0] * 8 / 1e6
    print(f"| frame table per run | {args.frames} frames = {table:.1f} MB |")
    print(f"| peak host memory of this process | {peak:.0f} MB |")


if __name__ == "__main__":
    main()
