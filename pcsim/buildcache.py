"""Compiled standalone binaries, cached by what changes the generated code.

A standalone run generates its project (Brian2's C++ or CUDA sources and makefile) in its
own build directory. The cache key is the SHA-256 of those sources together with the
compiler's and the CPU's identity (builds use ``-march=native``): runs whose sources are
equal get the same binary, whatever their seed, because nothing that varies between runs
is written into the sources:

* stimuli, plasticity gates and initial weights are passed with Brian2's ``run_args``;
* every scalar parameter of the network (tau_r, alpha, eta, precisions, lambda, beta,
  theta, tau_dev, the weight coupling, the divergence bound, ...) is taken out of the
  generated initialisation (`detach_parameters`) and passed with ``run_args`` in every
  run, so that runs differing only in these values share a binary;
* Brian2 writes some independent statements (clock resets, clocks without code) in the
  order of a Python set; pcsim puts them in a fixed order.

What still changes the sources (sizes, connectivity, candidate set, monitors, frame
count and duration, dt, backend, float dtype, threads, Brian2's and pcsim's code) changes
the key. An entry is a directory ``<root>/<key>/`` holding ``main`` and ``build.json``;
it is built in the run's own directory and published with one rename, so a reader sees a
complete entry or none. A lock file per key makes concurrent builders of the same key
wait for the first one instead of compiling twice.

The root is ``$PCSIM_CACHE_DIR`` (empty or ``off``: no cache), else
``$XDG_CACHE_HOME/pcsim/builds`` (``~/.cache/pcsim/builds``).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import brian2
from brian2.core.variables import ArrayVariable

from pcsim import __version__, backends, results
from pcsim.backends import BackendOptions
from pcsim.errors import BackendError

ENV = "PCSIM_CACHE_DIR"
#: Generated files that make compiles (everything else in a project is data).
SOURCE_SUFFIXES = (".cpp", ".c", ".h", ".hpp", ".cu", ".cuh")
SOURCE_NAMES = ("makefile", "win_makefile")
#: Changes whenever the layout of an entry or the meaning of the key changes.
FORMAT = 1


def cache_root() -> Path | None:
    """The cache directory (created on first use), or None when caching is off."""
    value = os.environ.get(ENV)
    if value is None:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(base) / "pcsim" / "builds"
    if value.strip().lower() in ("", "off"):
        return None
    return Path(value).expanduser()


@dataclass(frozen=True)
class Build:
    """How a project got its binary: ``key`` (None without cache), ``compiled`` (False:
    the binary came from the cache) and ``seconds`` (generation, then compilation or copy)."""

    key: str | None
    compiled: bool
    seconds: float


def detach_parameters(network: brian2.Network) -> dict[tuple[str, str], brian2.Quantity]:
    """The scalar constant parameters set on the groups of ``network`` (standalone
    device, before the network's run is recorded), keyed by (group name, variable), with
    their initialisation removed from the project: the caller passes them with
    ``run_args`` in every run."""
    device = brian2.get_device()
    parameters, arrays = {}, set()
    for obj in network.objects:
        if not isinstance(obj, brian2.Group):
            continue
        for name, var in obj.variables.items():
            if not (
                isinstance(var, ArrayVariable)
                and var.scalar
                and var.constant
                and not var.read_only
                and var.owner.name == obj.name
            ):
                continue
            value = device.array_cache.get(var)
            if value is None:  # never set: keeps its default, nothing to detach
                continue
            parameters[(obj.name, name)] = brian2.Quantity(value[0], dim=var.dim)
            arrays.add(device.get_array_name(var, access_data=False))
    device.main_queue[:] = [
        entry
        for entry in device.main_queue
        if not (entry[0] == "set_by_single_value" and entry[1][0] in arrays)
    ]
    return parameters


def _canonical(queue: list) -> list:
    """``queue`` with Brian2's set-ordered statements in a fixed order: every maximal run
    of single-value assignments to distinct targets sorted by target, and in every
    network run the clocks without code (``add(&clock, NULL)``) sorted by name. Both are
    independent statements; a run that assigns one target twice keeps its order."""
    out: list = []
    block: list = []

    def flush() -> None:
        targets = [(array, str(item)) for _, (array, item, _) in block]
        if len(set(targets)) == len(targets):
            block.sort(key=lambda entry: (entry[1][0], str(entry[1][1])))
        out.extend(block)
        block.clear()

    for func, args in queue:
        if func == "set_by_single_value":
            block.append((func, args))
            continue
        flush()
        if func == "run_network":
            net, lines = args
            args = (net, _sorted_runs(lines, lambda line: line.endswith(", NULL);")))
        out.append((func, args))
    flush()
    return out


def _sorted_runs(lines: list[str], movable) -> list[str]:
    """``lines`` with every maximal run of consecutive ``movable`` lines sorted."""
    out: list[str] = []
    run: list[str] = []
    for line in [*lines, None]:
        if line is not None and movable(line):
            run.append(line)
            continue
        out.extend(sorted(run))
        run.clear()
        if line is not None:
            out.append(line)
    return out


def generate(directory: Path, options: BackendOptions) -> str:
    """Generate the active standalone project in ``directory``, its statements in
    canonical order (so that equal networks give equal sources); returns its cache key."""
    device = brian2.get_device()
    device.main_queue[:] = _canonical(device.main_queue)
    backends.generate_project(directory, options)
    return source_key(directory, options)


def build(directory: Path, options: BackendOptions, *, report: bool) -> Build:
    """`generate` the active standalone project in ``directory`` and give it its binary
    ``directory / "main"``: from the cache when an entry has the key of these sources,
    else compiled here and published."""
    start = time.perf_counter()
    directory = Path(directory)
    key = generate(directory, options)
    root = cache_root()
    if root is None:
        backends.compile_project(directory)
        return Build(None, True, time.perf_counter() - start)
    entry = root / key
    compiled = False
    if not entry.is_dir():
        with _key_lock(root, key):
            if not entry.is_dir():  # nobody published it while we waited
                backends.compile_project(directory)
                _publish(directory, entry, time.perf_counter() - start)
                compiled = True
    if not compiled:
        shutil.copy2(entry / "main", directory / "main")
    return Build(key, compiled, time.perf_counter() - start)


def source_key(directory: Path, options: BackendOptions) -> str:
    """SHA-256 of the project's sources in ``directory`` and of what else decides its
    binary: the compilers, the CPU, Brian2, pcsim and this cache's format."""
    digest = hashlib.sha256()
    identity = {
        "format": FORMAT,
        "pcsim": __version__,
        "brian2": brian2.__version__,
        "backend": options.name,
        "toolchain": _toolchain(options.name),
        "cpu": _cpu(),
    }
    digest.update(json.dumps(identity, sort_keys=True).encode())
    for path in sorted(directory.rglob("*")):
        if path.is_file() and (path.suffix in SOURCE_SUFFIXES or path.name in SOURCE_NAMES):
            relative = path.relative_to(directory).as_posix()
            if relative.startswith(("results/", "static_arrays/")):
                continue
            digest.update(relative.encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@functools.cache
def _toolchain(backend: str) -> str:
    """The ``--version`` output of the compilers a build of ``backend`` calls."""
    compilers = [os.environ.get("CXX", "g++")]
    if backend == "cuda_standalone":
        compilers.append("nvcc")
    lines = []
    for compiler in compilers:
        try:
            done = subprocess.run(
                [compiler, "--version"], capture_output=True, text=True, timeout=60
            )
            lines.append(f"{compiler}: {done.stdout.strip()}")
        except (OSError, subprocess.TimeoutExpired) as error:
            lines.append(f"{compiler}: {error}")
    return "\n".join(lines)


@functools.cache
def _cpu() -> str:
    """The CPU model and instruction-set flags (``-march=native`` builds for them)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return f"{platform.machine()} {platform.processor()}"
    wanted = ("model name", "flags", "Features", "CPU part")
    fields = {}
    for line in info.splitlines():
        name, _, value = line.partition(":")
        if name.strip() in wanted:
            fields.setdefault(name.strip(), value.strip())
    return f"{platform.machine()} {json.dumps(fields, sort_keys=True)}"


@contextlib.contextmanager
def _key_lock(root: Path, key: str) -> Iterator[None]:
    """Hold the build lock of ``key`` (released by the OS if this process dies)."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        handle = open(root / f"{key}.lock", "a")  # noqa: SIM115 (closed below)
    except OSError as error:
        raise BackendError(
            f"build cache {root} is not usable ({error}); set {ENV} to a writable "
            "directory, or to 'off' to build without a cache"
        ) from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        handle.close()


def _publish(directory: Path, entry: Path, seconds: float) -> None:
    """Copy the binary of ``directory`` into a private folder beside ``entry`` and
    rename it into place (an entry is complete the moment it exists)."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", suffix=".tmp", dir=entry.parent))
    try:
        shutil.copy2(directory / "main", tmp / "main")
        info = {
            "built": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "seconds": round(seconds, 3),
            "host": platform.node(),
            "project": str(directory.resolve()),
            "pcsim": __version__,
            "brian2": brian2.__version__,
        }
        (tmp / "build.json").write_text(json.dumps(info, indent=2) + "\n")
        os.chmod(tmp, 0o777 & ~results.current_umask())
        os.rename(tmp, entry)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not entry.is_dir():  # not merely published by someone else first
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
