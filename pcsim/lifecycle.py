"""How a run's directory begins and ends: claiming it, recording in ``run.json`` how the
run ended, signals, Brian2's log, and telling a live run from a dead one.

``run.json`` says ``status``: "running" while the run lives, then "complete", "failed"
(with ``error``) or "interrupted" (with ``interruption``: signal, phase, condition, time
reached). A run killed without a chance to write (SIGKILL, power loss) stays "running";
`read_status` then reports it as "stale", since the process recorded in ``pid`` on
``host`` is gone.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pcsim import results, simulate
from pcsim.errors import ConfigError, Interrupted, interruption_in

#: The claim file of a run directory, created exclusively: two runs never share one.
CLAIM = ".pcsim-run"


def claim_directory(out: Path, source: str = "--out") -> Path:
    """Create ``out`` (or take it if it exists and is empty) for one run, atomically: the
    claim file is created with O_EXCL, so of two runs started at the same instant one
    gets the directory and the other a `ConfigError`."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / CLAIM, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        if out.is_dir():
            raise ConfigError(f"'{out}' is already used by another run", source=source) from None
        raise ConfigError(f"'{out}' exists and is not a directory", source=source) from None
    except NotADirectoryError:
        raise ConfigError(f"'{out}' lies under a file, not a directory", source=source) from None
    except OSError as error:
        raise ConfigError(
            f"cannot create the results directory '{out}': {error.strerror or error}",
            source=source,
        ) from None
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{socket.gethostname()} {os.getpid()}\n")
    others = [p.name for p in out.iterdir() if p.name != CLAIM]
    if others:
        (out / CLAIM).unlink()
        raise ConfigError(f"output directory '{out}' exists and is not empty", source=source)
    return out


class RunRecord:
    """``run.json`` of one run: written at once (status "running", with the process's
    ``pid`` and ``host``), updated as the run goes, closed by `ending`."""

    def __init__(self, out_dir: Path, info: dict):
        self.path = Path(out_dir) / "run.json"
        self.info = {
            "status": "running",
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
            **info,
        }
        self.write()

    def write(self) -> None:
        results.write_json(self.path, self.info)

    def update(self, **fields) -> None:
        self.info.update(fields)
        self.write()

    @contextmanager
    def ending(self) -> Iterator[None]:
        """Record how the block ends: "complete", "interrupted" (`Interrupted`, Ctrl-C)
        or "failed" with the error; exceptions propagate."""
        try:
            yield
        except KeyboardInterrupt:
            self._close("interrupted", interruption={"signal": "SIGINT"})
            raise
        except BaseException as error:
            stop = interruption_in(error)
            if stop is None:
                self._close("failed", error=f"{type(error).__name__}: {error}")
                raise
            self._close("interrupted", interruption=describe(stop))
            raise stop from None
        self._close("complete")

    def _close(self, status: str, **fields) -> None:
        self.update(status=status, finished=time.strftime("%Y-%m-%dT%H:%M:%S"), **fields)


def describe(stop: Interrupted) -> dict:
    """An interruption as run.json records it."""
    out = {"signal": stop.signal, "phase": stop.phase, "condition": stop.condition}
    if stop.reached is not None:
        out.update(reached_s=stop.reached, duration_s=stop.duration)
    return {k: v for k, v in out.items() if v}


def read_status(run_dir: Path) -> str:
    """The status ``run.json`` records, or "stale" for a run still marked "running" whose
    process (same host) no longer exists; "missing" without a readable run.json."""
    try:
        info = json.loads((Path(run_dir) / "run.json").read_text())
    except (OSError, ValueError):
        return "missing"
    status = info.get("status", "missing")
    if status == "running" and info.get("host") == socket.gethostname():
        try:
            os.kill(int(info["pid"]), 0)
        except ProcessLookupError:
            return "stale"
        except (KeyError, ValueError, PermissionError):
            pass
    return status


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (sent by ``timeout``, batch schedulers, Dask) raises `Interrupted` in the
    main thread, so that the run records how it ended; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        if simulate.runtime_simulation_running():
            simulate.request_stop("SIGTERM")  # stops at the end of the step, then raises
        else:
            raise Interrupted("SIGTERM")  # a standalone binary is killed with its wait

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def brian2_log(out_dir: Path) -> Iterator[None]:
    """Brian2's log of a run goes to ``out_dir/brian2.log`` (warnings included), not to
    the console, the compiler's output to ``out_dir/compiler_stdout.log`` and
    ``compiler_stderr.log`` (Brian2 prints them on the console when compilation fails),
    and Brian2 leaves no debug log, script copy or output file in the temporary folder."""
    from brian2.utils.logger import BrianLogger, std_silent

    logger = logging.getLogger("brian2")
    _drop_temporary_files(BrianLogger, logger)
    for stream in ("stdout", "stderr"):  # where Brian2's std_silent keeps the compiler output
        old = getattr(std_silent, f"dest_{stream}")
        if old is not None:
            old.close()
            Path(getattr(std_silent, f"dest_fname_{stream}")).unlink(missing_ok=True)
        name = str(Path(out_dir) / f"compiler_{stream}.log")
        setattr(std_silent, f"dest_fname_{stream}", name)
        setattr(std_silent, f"dest_{stream}", open(name, "w"))  # noqa: SIM115 (closed below)
    handler = logging.FileHandler(Path(out_dir) / "brian2.log", encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-8s %(name)s: %(message)s"))
    console = BrianLogger.console_handler
    level = console.level if console else None
    logger.addHandler(handler)
    if console:
        console.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        handler.close()
        if console:
            console.setLevel(level)
        for stream in ("stdout", "stderr"):
            getattr(std_silent, f"dest_{stream}").close()
            setattr(std_silent, f"dest_{stream}", None)


def _drop_temporary_files(brian_logger, logger: logging.Logger) -> None:
    if brian_logger.file_handler is not None:
        logger.removeHandler(brian_logger.file_handler)
        brian_logger.file_handler.close()
        brian_logger.file_handler = None
    for name in ("tmp_log", "tmp_script"):
        path = getattr(brian_logger, name, None)
        if path:
            for file in (path, f"{path}.1"):
                Path(file).unlink(missing_ok=True)
            setattr(brian_logger, name, None)
