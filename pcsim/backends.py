"""The backend switch: the only module of pcsim that calls `brian2.set_device`.

Backends: ``numpy`` and ``cython`` (Brian2 runtime, code generation target), and the
standalone devices ``cpp_standalone`` (C++/OpenMP) and ``cuda_standalone`` (Brian2CUDA).
"""

from __future__ import annotations

import re
import shutil
import signal
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import brian2
import numpy as np
from brian2 import prefs
from brian2.codegen.cpp_prefs import get_compiler_and_args

from pcsim.errors import BackendError, Interrupted

RUNTIME_TARGETS = ("numpy", "cython")
STANDALONE_DEVICES = ("cpp_standalone", "cuda_standalone")
BACKENDS = RUNTIME_TARGETS + STANDALONE_DEVICES
FLOAT_DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class BackendOptions:
    """How to run: ``name`` in BACKENDS, OpenMP ``threads`` (cpp_standalone; 0 = Brian2's
    default), ``float_dtype`` of state variables, and for cuda_standalone the GPU's
    ``compute_capability`` (9.0: H100/H200; the GPU is never probed, so that projects
    build on machines without one)."""

    name: str = "numpy"
    threads: int = 0
    float_dtype: str = "float64"
    compute_capability: float = 9.0

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


#: C++ flags for standalone builds; C++17 because CUDA 13's CUB/Thrust need it.
GCC_FLAGS = ["-w", "-O3", "-ffast-math", "-fno-finite-math-only", "-march=native", "-std=c++17"]
NVCC_FLAGS = ["-w", "-use_fast_math", "-std=c++17"]


def activate(options: BackendOptions) -> None:
    """Make ``options`` the active Brian2 device and preferences, starting from a clean
    device (so that a process can build several projects one after another).
    Must be called before the network's objects are created."""
    prefs.core.default_float_dtype = getattr(np, options.float_dtype)
    if options.float_dtype == "float32":  # Brian2's check of state values compares with 1e50
        warnings.filterwarnings(
            "ignore", "overflow encountered in cast", RuntimeWarning, "brian2.groups.group"
        )
    if options.standalone:
        prefs.devices.cpp_standalone.openmp_threads = options.threads
        if options.name == "cuda_standalone":
            _cuda_preferences(options)
        brian2.set_device(options.name, build_on_run=False)
        brian2.get_device().reinit()
        brian2.get_device().activate(build_on_run=False)
    else:
        brian2.set_device("runtime")
        prefs.codegen.target = options.name


def _cuda_preferences(options: BackendOptions) -> None:
    """Every Brian2CUDA preference pcsim needs, set afresh (a build edits some lists in
    place). cuRAND's headers and library come from the ``nvidia-curand`` package."""
    try:
        import brian2cuda  # noqa: F401  (registers the cuda_standalone device)
    except ImportError as error:
        raise BackendError(f"cuda_standalone needs brian2cuda ({error})") from error
    brian2.BrianLogger.log_level_warn()  # brian2cuda lists every preference at INFO
    curand = curand_root()
    cuda = prefs.devices.cuda_standalone.cuda_backend
    cuda.detect_gpus = False
    cuda.compute_capability = options.compute_capability
    cuda.gpu_id = 0
    cuda.cuda_runtime_version = 13.0
    cuda.extra_compile_args_nvcc = list(NVCC_FLAGS)
    prefs.codegen.cpp.extra_compile_args_gcc = list(GCC_FLAGS)
    prefs.codegen.cpp.include_dirs = [str(curand / "include")]
    libs = [str(curand / d) for d in ("lib", "lib64") if (curand / d).is_dir()]
    prefs.codegen.cpp.library_dirs = libs
    prefs.codegen.cpp.runtime_library_dirs = libs


def curand_root() -> Path:
    """A folder with cuRAND's ``include/curand.h`` and ``lib/libcurand.so*``: the
    ``nvidia-curand`` package (CUDA 13 or older layout), else the CUDA toolkit's."""
    candidates = []
    try:
        import nvidia

        for base in map(Path, nvidia.__path__):
            candidates += [base / "cu13", base / "curand"]
    except ImportError:
        pass
    nvcc = shutil.which("nvcc")
    if nvcc:
        candidates.append(Path(nvcc).resolve().parent.parent)
    for root in candidates:
        libs = list((root / "lib").glob("libcurand.so*")) + list(
            (root / "lib64").glob("libcurand.so*")
        )
        if (root / "include" / "curand.h").exists() and libs:
            return root
    raise BackendError(
        "cuda_standalone needs cuRAND's headers and library: install pcsim with its "
        "'cuda' extra (nvidia-curand) or a CUDA toolkit that has them"
    )


def _link_curand(directory: Path) -> None:
    """The wheel ships ``libcurand.so.10`` only; the generated makefile links ``-lcurand``:
    give the linker a ``libcurand.so`` inside the project directory."""
    root = curand_root()
    target = next(p for d in ("lib", "lib64") for p in (root / d).glob("libcurand.so*"))
    links = Path(directory) / "curand_link"
    links.mkdir(parents=True, exist_ok=True)
    (links / "libcurand.so").unlink(missing_ok=True)
    (links / "libcurand.so").symlink_to(target)
    prefs.codegen.cpp.library_dirs = [*prefs.codegen.cpp.library_dirs, str(links)]


def generate_project(directory: Path, options: BackendOptions) -> None:
    """Write the active standalone project (sources, makefile, data) into ``directory``
    without compiling it."""
    directory = Path(directory)
    if options.name == "cuda_standalone":
        _cuda_preferences(options)
        _link_curand(directory)
    brian2.get_device().build(directory=str(directory), compile=False, run=False)


def compile_project(directory: Path) -> None:
    """Compile the project that `generate_project` wrote into ``directory``; the binary is
    ``directory / "main"`` (the compiler's output is shown when it fails)."""
    compiler, _ = get_compiler_and_args()
    try:
        brian2.get_device().compile_source(str(directory), compiler, False, False)
    except RuntimeError as error:
        raise _interrupted_compilation(error) or error from None


def _interrupted_compilation(error: RuntimeError) -> Interrupted | None:
    """An `Interrupted` when Brian2's "Project compilation failed (error code: N)" means
    that ``make`` was killed by SIGINT (Ctrl-C; the wait status N carries the signal in
    its low bits), else None. Brian2 runs ``make`` through ``os.system``, which ignores
    SIGINT in the calling process, so the status is the only trace of the Ctrl-C."""
    match = re.search(r"compilation failed \(error code: (\d+)\)", str(error))
    if match and int(match[1]) & 0x7F == signal.SIGINT:
        return Interrupted("SIGINT", phase="compilation")
    return None


def completed_fraction() -> float:
    """The fraction of its simulated time that the last standalone run completed (below
    1 when the binary stopped early: Brian2's binaries stop at the end of the current
    step on SIGINT and save what they have)."""
    return float(getattr(brian2.get_device(), "_last_run_completed_fraction", 1.0))


def gpu_available() -> bool:
    """Whether an NVIDIA GPU (driver device node) is present on this machine."""
    return Path("/dev/nvidiactl").exists() or Path("/dev/nvidia0").exists()


def rerun(directory: Path, run_args: dict, *, report: bool) -> float:
    """Run the compiled standalone binary with ``run_args``; returns its run time in
    seconds (no recompilation)."""
    device = brian2.get_device()
    start = time.perf_counter()
    device.run(directory=str(directory), with_output=report, run_args=run_args)
    return time.perf_counter() - start
