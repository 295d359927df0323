"""This machine's single-core memory bandwidth, and what it allows per synapse-step.

    python benchmarks/bandwidth.py [--mib 800] [--repeats 5]

Times three NumPy kernels on arrays far larger than the caches (one thread): ``read``
(``a.sum()``: 8 bytes read per element), ``copy`` (``np.copyto(b, a)``: 8 read + 8
written) and ``update`` (``a += b``: 16 read + 8 written), best of ``repeats``, in GB/s
(10^9 bytes). Then prints the bytes that cpp_standalone moves per synapse-step on a
plain learning circuit, counted from its generated code (two passes over the synapses
per step, each reading the two int32 indices of a synapse: the prediction ``mu_post``
reads both indices and ``w``; the fused feedback and learning pass reads both indices
and ``w`` and writes ``w``; the per-unit gathers and scatters stay in the caches), and
the time per synapse-step those bytes need at the measured bandwidth: the floor of that
layout once the synapses no longer fit in the caches.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

#: Bytes per synapse-step of cpp_standalone's two passes: 4 int32 index reads and 3
#: accesses to w (2 reads, 1 write), w of ``itemsize`` bytes.
INDEX_BYTES, WEIGHT_ACCESSES = 4 * 4, 3


def bytes_per_synapse_step(itemsize: int) -> int:
    return INDEX_BYTES + WEIGHT_ACCESSES * itemsize


def best_seconds(kernel, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        kernel()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=800, help="size of each array (default 800)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    n = args.mib * 2**20 // 8
    a, b = np.ones(n), np.ones(n)
    kernels = {
        "read": (lambda: a.sum(), 8),
        "copy": (lambda: np.copyto(b, a), 16),
        "update": (lambda: np.add(a, b, out=a), 24),
    }
    print("| kernel | bytes per element | GB/s |\n|---|---:|---:|")
    rates = {}
    for name, (kernel, per_element) in kernels.items():
        kernel()  # touch every page first
        rates[name] = per_element * n / best_seconds(kernel, args.repeats) / 1e9
        print(f"| {name} | {per_element} | {rates[name]:.1f} |")
    rate = rates["update"]
    print(f"\ncpp_standalone, plain local circuit, at the 'update' rate ({rate:.1f} GB/s):")
    print("| dtype | bytes per synapse-step | floor, ns per synapse-step |\n|---|---:|---:|")
    for dtype in ("float64", "float32"):
        moved = bytes_per_synapse_step(np.dtype(dtype).itemsize)
        print(f"| {dtype} | {moved} | {moved / rate:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
