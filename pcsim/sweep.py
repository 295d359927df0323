"""Sweeps: one scenario over seeds x a grid of config values, run on Dask.

`plan` resolves and validates every point before anything runs. `run_sweep` runs the
points that have not completed yet, each one `pcsim.experiment.run_scenario` into its own
directory, on a Dask cluster (a `LocalCluster` of single-threaded processes, or the
scheduler at ``scheduler``), and writes:

======================  ====================================================================
``sweep.json``          what was asked, the resolved grid, every point's status (and error)
``summary.csv``         one row per run: seed, grid values, every scalar metric of both
                        conditions (the baseline's prefixed ``baseline.``)
``summary.md``          per grid point, mean ± sd and 95 % confidence interval of the
                        headline metrics
``runs/<point>/``       the point's run directory (as `pcsim run` writes it) and ``log.txt``
======================  ====================================================================

A point runs in a private ``runs/.<point>.<random>.partial`` directory, renamed to
``runs/<point>`` once it has finished, complete or failed: a directory under a point's name
is a finished run, an attempt cut short (a killed worker, Ctrl-C) leaves only a partial
directory. Running the same sweep into the same directory again skips complete points and
redoes failed and unfinished ones. A lock (``.lock``, held by the process that runs the
sweep) keeps a second sweep out of a directory in use.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import logging
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcsim import __version__, config, experiment, results, summary
from pcsim.errors import ConfigError, PcsimError

#: One pcsim run at a time per process: Brian2's device and the working directory are
#: process-wide (Dask workers should run one thread each; this keeps extra threads safe).
_RUN_LOCK = threading.Lock()


@dataclass(frozen=True)
class Request:
    """What a sweep asks for: ``scenario`` (name or path) for every seed in ``seeds`` and
    every combination of the ``grid`` values (``(key.path, (value, ...))`` pairs, values
    as `--set` takes them), with the ``overrides`` (``key=value``) and ``quick`` of
    `pcsim run`; ``backend`` None keeps the scenario's."""

    scenario: str
    seeds: tuple[int, ...]
    grid: tuple[tuple[str, tuple[str, ...]], ...] = ()
    overrides: tuple[str, ...] = ()
    quick: bool = False
    backend: str | None = None

    def to_json(self) -> dict:
        return {
            "scenario": self.scenario,
            "seeds": list(self.seeds),
            "grid": {key: list(values) for key, values in self.grid},
            "overrides": list(self.overrides),
            "quick": self.quick,
            "backend": self.backend,
        }


@dataclass(frozen=True)
class Point:
    """One run of a sweep: its directory ``name``, ``seed``, grid ``values`` (key, value)
    and the resolved, validated ``config``."""

    name: str
    seed: int
    values: tuple[tuple[str, str], ...]
    config: Any = field(repr=False, compare=False)


@dataclass
class Sweep:
    """The outcome of `run_sweep`: its directory, one record per point (``status``
    "complete" or "failed", ``error``, ``seconds``, ``compiled``, ...) and the rows of
    summary.csv (dicts, one per run: pandas takes them as ``DataFrame(sweep.rows)``)."""

    out: Path
    points: list[dict]
    rows: list[dict]

    @property
    def failed(self) -> list[dict]:
        return [p for p in self.points if p["status"] != "complete"]


# --- Arguments ---------------------------------------------------------------------------


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"1-10"``, ``"1,3,5"`` or ``"1-3,7"`` -> the seeds, in order, without repeats."""
    seeds: list[int] = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise ConfigError(
                f"'{part.strip()}' is not a seed or a range of seeds (e.g. 1-10 or 1,3,5)",
                source=f"--seeds {text}",
            )
        first, last = int(match[1]), int(match[2] or match[1])
        if last < first:
            raise ConfigError(f"empty range {first}-{last}", source=f"--seeds {text}")
        seeds += [s for s in range(first, last + 1) if s not in seeds]
    return tuple(seeds)


def parse_grid(texts: Sequence[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``["key.path=v1,v2", ...]`` -> ``(("key.path", ("v1", "v2")), ...)``. Values are
    split at commas outside brackets and quotes, so ``world.bumps=[1,2],[2,3]`` has two."""
    grid: dict[str, tuple[str, ...]] = {}
    for text in texts:
        key, sep, values = text.partition("=")
        key = key.strip()
        source = f"--grid {text}"
        if not sep or not key:
            raise ConfigError("a grid must read key.path=value1,value2,...", source=source)
        if key == "seed":
            raise ConfigError("the seeds are given with --seeds", source=source)
        if key in grid:
            raise ConfigError(f"'{key}' is gridded twice", source=source)
        items = tuple(v.strip() for v in _split_values(values))
        if not items or any(not v for v in items):
            raise ConfigError("empty value in the list", path=key, source=source)
        if len(set(items)) < len(items):
            raise ConfigError("a value is listed twice", path=key, source=source)
        grid[key] = items
    return tuple(grid.items())


def _split_values(text: str) -> list[str]:
    """``text`` split at the commas that are outside brackets, braces and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


# --- Planning ----------------------------------------------------------------------------


def plan(request: Request) -> list[Point]:
    """Every point of ``request`` (grid values outer, seeds inner), each config resolved
    and validated; raises `ConfigError` (naming the ``--grid`` value) before anything runs."""
    if not request.seeds:
        raise ConfigError("no seeds given", source="--seeds")
    gridded = {key for key, _ in request.grid}
    for text in request.overrides:
        key = text.partition("=")[0].strip()
        if key in gridded:
            raise ConfigError(f"'{key}' is both set and gridded", source=f"--set {text}")
    backend = [f"backend={json.dumps(request.backend)}"] if request.backend else []
    keys = [key for key, _ in request.grid]
    width = len(str(max(request.seeds)))
    points, names = [], set()
    for combination in itertools.product(*(values for _, values in request.grid)):
        values = tuple(zip(keys, combination, strict=True))
        grid_overrides = [f"{key}={value}" for key, value in values]
        for seed in request.seeds:
            overrides = [*request.overrides, *grid_overrides, f"seed={seed}", *backend]
            try:
                cfg = config.load_scenario(
                    request.scenario, overrides=overrides, quick=request.quick
                )
            except ConfigError as error:
                raise _as_grid_error(error, values) from None
            name = _point_name(values, seed, width)
            if name in names:
                raise ConfigError(
                    f"two grid points share the directory name '{name}'; "
                    "give values that differ in letters or digits",
                    source="--grid",
                )
            names.add(name)
            points.append(Point(name, seed, values, cfg))
    return points


def _as_grid_error(error: ConfigError, values: tuple[tuple[str, str], ...]) -> ConfigError:
    """``error`` named after the ``--grid`` value it is about (it names ``--set``)."""
    for key, value in values:
        if error.source == f"--set {key}={value}":
            return ConfigError(error.problem, path=error.path, source=f"--grid {key}={value}")
    return error


def _point_name(values: tuple[tuple[str, str], ...], seed: int, width: int) -> str:
    """``key.path=value,...,seed=07``: readable, sortable, safe as a directory name."""
    parts = [f"{key}={re.sub(r'[^A-Za-z0-9.+-]+', '_', value).strip('_')}" for key, value in values]
    return ",".join([*parts, f"seed={seed:0{width}d}"])


# --- One point (runs on a Dask worker) ---------------------------------------------------


def run_point(point: Point, runs: Path, topic: str | None = None) -> dict:
    """Run ``point`` into ``runs / point.name`` (through a private partial directory, its
    output in ``log.txt``) unless it is complete already; returns its record. A failing
    run is recorded, not raised. ``topic``: the Dask event topic to announce the start on."""
    runs = Path(runs)
    final = runs / point.name
    with _RUN_LOCK:
        if _status(final) != "complete":
            _announce(topic, point.name)
            partial = Path(tempfile.mkdtemp(prefix=f".{point.name}.", suffix=".partial", dir=runs))
            os.chmod(partial, 0o777 & ~results.current_umask())
            error = None
            with _output_to(partial / "log.txt"):
                try:
                    experiment.run_scenario(
                        point.config, partial, report=True, command=f"pcsim sweep: {point.name}"
                    )
                except Exception as exc:
                    traceback.print_exc()
                    error = f"{type(exc).__name__}: {exc}"
            _finish(partial, final)
            record = _record(point, final)
            return {**record, "error": record["error"] or error}
    return _record(point, final)


def _announce(topic: str | None, name: str) -> None:
    if topic is None:
        return
    from distributed import get_worker  # here: `pcsim run` need not import Dask

    with contextlib.suppress(ValueError):  # not on a Dask worker
        get_worker().log_event(topic, {"point": name})


@contextlib.contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """Send this process's stdout and stderr (Python, Brian2, the compiler and the
    binary: file descriptors 1 and 2) to ``path``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    try:
        with open(path, "ab") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            try:
                yield
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
    finally:
        os.close(saved[0])
        os.close(saved[1])


def _finish(partial: Path, final: Path) -> None:
    """Move the finished attempt ``partial`` to ``final``, replacing a failed run there;
    if a complete run got there first (a duplicate attempt), drop ``partial``."""
    if final.exists() and _status(final) != "complete":
        _remove(final)
    try:
        os.rename(partial, final)
    except OSError:
        if _status(final) != "complete":
            raise
        _remove(partial)


def _remove(path: Path) -> None:
    """Delete the directory ``path`` (renamed out of the way first, so that its name is
    free at once)."""
    trash = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.old")
    os.rename(path, trash)
    shutil.rmtree(trash, ignore_errors=True)


def _remove_partials(runs: Path) -> None:
    """Delete the partial directories of attempts that did not finish."""
    for stale in runs.glob(".*.partial"):
        shutil.rmtree(stale, ignore_errors=True)


def _status(run_dir: Path) -> str | None:
    return results.read_run_info(run_dir).get("status")


def _record(point: Point, run_dir: Path) -> dict:
    """What sweep.json says about a point, read from its run directory."""
    info = results.read_run_info(run_dir)
    timings = info.get("timings_s", {})
    seconds = sum(t["compile"] + t["simulate"] for t in timings.values())
    return {
        "name": point.name,
        "seed": point.seed,
        "grid": dict(point.values),
        "status": "complete" if info.get("status") == "complete" else "failed",
        "error": info.get("error"),
        "dir": f"runs/{point.name}",
        "compiled": bool(info.get("build", {}).get("compiled")),
        "seconds": round(seconds, 3),  # compile (or copy) and simulate, both conditions
        "started": info.get("started"),
        "finished": info.get("finished"),
    }


# --- The sweep (runs where the command runs) ---------------------------------------------


def run_sweep(
    request: Request,
    out: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> Sweep:
    """Run the points of ``request`` that are not complete in ``out`` (created if needed;
    an existing sweep directory must hold this same request) on Dask: ``workers`` local
    processes (default: one per core), or the cluster of ``scheduler`` (``tcp://host:port``).
    ``progress`` is called with a `Progress` report about four times a second.

    Raises `ConfigError` for a bad request and `PcsimError` when ``out`` is in use by
    another sweep or holds another; failed runs are recorded, not raised (see
    `Sweep.failed`)."""
    if workers is not None and scheduler:
        raise ConfigError("--workers sizes the local cluster; drop it with --scheduler")
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    points = plan(request)
    out = Path(out).resolve()
    foreign = out.is_dir() and not (out / "sweep.json").exists()
    if foreign and any(p.name not in ("runs", ".lock") for p in out.iterdir()):
        raise PcsimError(f"{out}: exists and is not a sweep directory (no sweep.json)")
    runs = out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    with _sweep_lock(out):
        state = _open_state(out, request, points, workers, scheduler)
        _remove_partials(runs)  # attempts cut short before
        records = state["points"]
        todo = [p for p in points if records[p.name]["status"] != "complete"]
        for point in todo:
            records[point.name].update(status="pending", error=None)
        _write_state(out, state)
        try:
            if todo:
                with _client(workers, scheduler, len(todo)) as client:
                    _execute(client, todo, runs, state, lambda: _write_state(out, state), progress)
                _remove_partials(runs)  # attempts lost with their worker
            failed = [r for r in records.values() if r["status"] != "complete"]
            state["status"] = "failed" if failed else "complete"
        except BaseException as error:
            state["status"] = "interrupted"
            state["error"] = f"{type(error).__name__}: {error}"
            raise
        finally:
            state["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
            state["compilations"] = sum(r["compiled"] for r in records.values())
            _write_state(out, state)
            rows = summary.write(out, [(p.name, p.seed, p.values) for p in points])
    return Sweep(out, [records[p.name] for p in points], rows)


@contextlib.contextmanager
def _sweep_lock(out: Path) -> Iterator[None]:
    """Hold ``out/.lock`` for the sweep; another holder (alive) makes this fail at once."""
    handle = open(out / ".lock", "a+")  # noqa: SIM115 (closed below)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise PcsimError(
                f"{out}: another sweep is running into this directory ({holder}); "
                "wait for it to finish or choose another --out"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(
            f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%H:%M:%S')}"
        )
        handle.flush()
        yield
    finally:
        handle.close()


def _open_state(
    out: Path, request: Request, points: list[Point], workers: int | None, scheduler: str | None
) -> dict:
    """sweep.json's content for this invocation: a new one, or the one in ``out`` (which
    must hold ``request``) with its points' statuses read again from their directories."""
    path = out / "sweep.json"
    asked = request.to_json()
    if path.exists():
        try:
            previous = json.loads(path.read_text())
        except ValueError as error:
            raise PcsimError(f"{path}: unreadable ({error})") from None
        if previous.get("request") != asked:
            raise PcsimError(
                f"{out} holds a different sweep ({_difference(previous.get('request'), asked)}); "
                "repeat its command to resume it, or choose another --out"
            )
        invocations = previous.get("invocations", 0) + 1
    else:
        invocations = 1
    runs = out / "runs"
    return {
        "status": "running",
        "request": asked,
        "grid_points": [dict(values) for values in dict.fromkeys(p.values for p in points)],
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "invocations": invocations,
        "cluster": scheduler or f"local, {workers or os.cpu_count()} worker processes",
        "versions": {"pcsim": __version__, "python": sys.version.split()[0]},
        "command": " ".join(sys.argv),
        "points": {p.name: _record(p, runs / p.name) for p in points},
    }


def _difference(before: dict | None, now: dict) -> str:
    if not isinstance(before, dict):
        return "no request recorded"
    keys = [k for k in now if before.get(k) != now[k]]
    return "; ".join(f"{k}: {before.get(k)!r} there, {now[k]!r} now" for k in keys)


def _write_state(out: Path, state: dict) -> None:
    shown = {**state, "points": list(state["points"].values())}
    results.write_json(out / "sweep.json", shown)


@contextlib.contextmanager
def _client(workers: int | None, scheduler: str | None, n_points: int) -> Iterator[Any]:
    """A Dask client of the cluster at ``scheduler``, or of a new local cluster."""
    from distributed import Client  # here: `pcsim run` need not import Dask

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as error:
            raise PcsimError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
        with client:
            yield client
        return
    n = min(workers or os.cpu_count() or 1, n_points)
    with local_cluster(n) as address, Client(address) as client:
        yield client


@contextlib.contextmanager
def local_cluster(workers: int | None = None) -> Iterator[str]:
    """A Dask `LocalCluster` of ``workers`` single-threaded processes (default: one per
    core) for as long as the context lasts; yields its scheduler address, which
    `run_sweep` takes as ``scheduler`` (several sweeps on one cluster start their
    workers once)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


def _execute(
    client: Any,
    todo: list[Point],
    runs: Path,
    state: dict,
    save: Callable[[], None],
    progress: Callable[[Progress], None] | None,
) -> None:
    """Submit ``todo``, record each result in ``state`` as it arrives (then ``save``),
    report progress. A run lost with its worker is run again by Dask."""
    token = uuid.uuid4().hex[:8]
    topic = f"pcsim-sweep-{token}"
    records = state["points"]
    running: set[str] = set()
    finished: set[str] = set()

    def started(event: tuple) -> None:
        name = event[1]["point"]
        if name not in finished:
            running.add(name)
            records[name]["status"] = "running"

    client.subscribe_topic(topic, started)
    futures = {
        client.submit(run_point, point, runs, topic, key=f"pcsim-{token}-{i}", pure=False): point
        for i, point in enumerate(todo)
    }
    pace = _Pace(progress)
    try:
        while futures:
            for future in [f for f in futures if f.done()]:
                point = futures.pop(future)
                try:
                    record = future.result()
                except Exception as error:  # the task itself failed (e.g. its workers died)
                    record = {
                        **_record(point, runs / point.name),
                        "status": "failed",
                        "error": f"{type(error).__name__}: {error}",
                    }
                finished.add(point.name)
                running.discard(point.name)
                records[point.name] = record
                pace.finished_here += 1
                save()
            busy = sum(p.name in running and not f.done() for f, p in futures.items())
            pace.show(records, busy, final=not futures)
            if futures:
                time.sleep(0.25)
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        client.unsubscribe_topic(topic)


@dataclass(frozen=True)
class Progress:
    """Where a sweep stands: runs ``done`` (complete), ``running`` and ``failed`` of
    ``total``, seconds ``elapsed`` and the estimated seconds ``left`` (None: no estimate
    yet; from the pace of the runs this invocation finished); ``final`` on the last report."""

    total: int
    done: int
    running: int
    failed: int
    elapsed: float
    left: float | None
    final: bool = False

    def __str__(self) -> str:
        eta = "?" if self.left is None else _clock(self.left)
        return (
            f"pcsim sweep: {self.done}/{self.total} done, {self.running} running, "
            f"{self.failed} failed, {_clock(self.elapsed)} elapsed, ETA {eta}"
        )


class _Pace:
    """Turns the points' records into `Progress` reports."""

    def __init__(self, report: Callable[[Progress], None] | None):
        self.report = report
        self.start = time.monotonic()
        self.finished_here = 0

    def show(self, records: dict, running: int, *, final: bool) -> None:
        if self.report is None:
            return
        done = sum(r["status"] == "complete" for r in records.values())
        failed = sum(r["status"] == "failed" for r in records.values())
        elapsed = time.monotonic() - self.start
        remaining = len(records) - done - failed
        left = elapsed / self.finished_here * remaining if self.finished_here else None
        left = 0.0 if final or remaining == 0 else left
        self.report(Progress(len(records), done, running, failed, elapsed, left, final))


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
