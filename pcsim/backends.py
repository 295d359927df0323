"""The backend switch: the only module of pcsim that calls `brian2.set_device`.

Backends: ``numpy`` and ``cython`` (Brian2 runtime, code generation target), and the
standalone devices ``cpp_standalone`` (C++/OpenMP) and ``cuda_standalone`` (Brian2CUDA).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import brian2
from brian2 import prefs

from pcsim.errors import BackendError

RUNTIME_TARGETS = ("numpy", "cython")
STANDALONE_DEVICES = ("cpp_standalone", "cuda_standalone")
BACKENDS = RUNTIME_TARGETS + STANDALONE_DEVICES
FLOAT_DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class BackendOptions:
    """How to run: ``name`` in BACKENDS, OpenMP ``threads`` (cpp_standalone; 0 = Brian2's
    default), ``float_dtype`` of state variables."""

    name: str = "numpy"
    threads: int = 0
    float_dtype: str = "float64"

    def __post_init__(self) -> None:
        if self.name not in BACKENDS:
            raise BackendError(f"unknown backend '{self.name}' (known: {', '.join(BACKENDS)})")
        if self.float_dtype not in FLOAT_DTYPES:
            raise BackendError(
                f"unknown float_dtype '{self.float_dtype}' (known: {', '.join(FLOAT_DTYPES)})"
            )
        if self.threads < 0:
            raise BackendError(f"threads must be >= 0, got {self.threads}")

    @property
    def standalone(self) -> bool:
        return self.name in STANDALONE_DEVICES


def activate(options: BackendOptions) -> None:
    """Make ``options`` the active Brian2 device and preferences, starting from a clean
    device (so that a process can build several projects one after another).
    Must be called before the network's objects are created."""
    import numpy as np

    prefs.core.default_float_dtype = getattr(np, options.float_dtype)
    if options.standalone:
        if options.name == "cuda_standalone":
            raise BackendError("cuda_standalone is not available yet in this version of pcsim")
        prefs.devices.cpp_standalone.openmp_threads = options.threads
        brian2.set_device(options.name, build_on_run=False)
        brian2.get_device().reinit()
        brian2.get_device().activate(build_on_run=False)
    else:
        brian2.set_device("runtime")
        prefs.codegen.target = options.name


def build_and_run(directory: Path, run_args: dict, *, report: bool) -> tuple[float, float]:
    """Generate, compile and run the active standalone project in ``directory``.

    Returns (compile seconds, simulation seconds), the latter the binary's own run time.
    """
    import time

    device = brian2.get_device()
    start = time.perf_counter()
    device.build(directory=str(directory), compile=True, run=False, with_output=report)
    compiled = time.perf_counter() - start
    return compiled, rerun(directory, run_args, report=report)


def rerun(directory: Path, run_args: dict, *, report: bool) -> float:
    """Run the compiled standalone binary again with new ``run_args``; returns its run time
    in seconds (no recompilation)."""
    import time

    device = brian2.get_device()
    start = time.perf_counter()
    device.run(directory=str(directory), with_output=report, run_args=run_args)
    return time.perf_counter() - start
