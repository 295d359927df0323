"""Results on disk: one fresh directory per run, every file written atomically.

A file is written to a temporary name in the same directory and renamed into place, so
a crash or Ctrl-C leaves either the complete file or none (never a truncated one that
looks complete). ``run.json`` carries ``status``: "running", then "complete" or "failed".
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

import numpy as np


def current_umask() -> int:
    """The process's file-creation mask (read without changing it for good)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path: Path, write) -> None:
    """Call ``write(binary file handle)`` on a temporary file beside ``path``, then rename
    it into place; on any error (Ctrl-C included) the temporary file is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file + rename)."""
    _atomic_write(path, lambda handle: handle.write(data))


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def write_json(path: Path, data: dict) -> None:
    atomic_write_text(path, json.dumps(_jsonable(data), indent=2, sort_keys=False) + "\n")


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Save arrays to a compressed ``.npz`` atomically."""
    _atomic_write(path, lambda handle: np.savez_compressed(handle, **arrays))


def save_figure(figure, path: Path) -> None:
    """Save a matplotlib figure atomically, in the format of ``path``'s suffix (``.png``,
    ``.pdf``). A PDF carries no creation date, so an unchanged figure saves to the same
    bytes (committed figures do not change when they are rebuilt)."""
    kind = Path(path).suffix.lstrip(".")
    metadata = {"CreationDate": None} if kind == "pdf" else None

    def write(handle) -> None:
        figure.savefig(handle, format=kind, dpi=110, bbox_inches="tight", metadata=metadata)

    _atomic_write(path, write)


def read_run_info(run_dir: Path) -> dict:
    """A run directory's run.json; empty when there is none that can be read (a run that
    never started, or stopped before writing it)."""
    try:
        return json.loads((Path(run_dir) / "run.json").read_text())
    except (OSError, ValueError):
        return {}


def new_run_directory(root: Path, scenario: str) -> Path:
    """Create and return a fresh ``root/<scenario>-<timestamp>[-n]`` directory."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        candidate = root / (f"{scenario}-{stamp}" + (f"-{n}" if n else ""))
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a fresh run directory under {root}")


def source_commit(package_dir: Path) -> str | None:
    """The git commit (with ``-dirty`` when modified) of the checkout that ``package_dir``
    (a package's folder) was imported from; None when it was not imported from the top of
    a git checkout (an installed wheel, even one inside some other repository)."""
    package_dir = Path(package_dir).resolve()
    top = _git(package_dir, "rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != package_dir.parent:
        return None
    commit = _git(package_dir, "rev-parse", "HEAD")
    dirty = _git(package_dir, "status", "--porcelain", "--untracked-files=no")
    if commit is None or dirty is None:
        return None
    return commit + ("-dirty" if dirty else "")


def _git(cwd: Path, *args: str) -> str | None:
    """The output of ``git ARGS`` in ``cwd``, stripped; None when git fails."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= HUGE:
        return _scientific(value)
    return value


#: Integers from here on (a group order such as 4096!) are written as text in scientific
#: notation: JSON readers (Python's included) refuse integers of thousands of digits.
HUGE = 10**300


def _scientific(value: int) -> str:
    """``value`` as "<mantissa>e<exponent>" text, 6 significant digits."""
    exponent = math.floor(math.log10(abs(value)))
    mantissa = abs(value) / 10 ** (exponent - 5) / 1e5  # int / int: correctly rounded
    sign = "-" if value < 0 else ""
    return f"{sign}{mantissa:.5f}e{exponent}"
