"""pcsim sweep: arguments checked first, every point run (locally or on a Dask cluster
started here), failures recorded, resume, the lock, a killed worker, the summaries."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import pcsim
from pcsim import cli, sweep
from pcsim.errors import ConfigError

SMALL = [
    "--set", "training.frames=12", "--set", "probe.frames=4",
    "--set", "symmetry.checkpoints=1", "--set", "symmetry.probe_stimuli=2",
]  # fmt: skip
SWEEP = ["sweep", "ring", "--backend", "numpy", "--quiet", *SMALL]
#: The checkout or installation under test, for the processes the tests start.
ENV = {**os.environ, "PYTHONPATH": str(Path(pcsim.__file__).resolve().parents[1])}


def read_csv(path: Path) -> list[dict]:
    """summary.csv as pandas reads it when installed, else with the csv module."""
    try:
        import pandas
    except ImportError:
        with open(path, newline="") as handle:
            return list(csv.DictReader(handle))
    frame = pandas.read_csv(path)
    assert frame["heldout_prediction_error"].dtype.kind == "f"
    return frame.to_dict("records")


def statuses(out: Path) -> dict[str, str]:
    return {p["name"]: p["status"] for p in json.loads((out / "sweep.json").read_text())["points"]}


def test_seeds_and_grid_are_parsed():
    assert sweep.parse_seeds("1-3,7,2") == (1, 2, 3, 7)
    grid = sweep.parse_grid(["world.bumps=[1,2],[2,3]", 'circuit.tau_r="10 ms","20 ms"'])
    assert grid == (("world.bumps", ("[1,2]", "[2,3]")), ("circuit.tau_r", ('"10 ms"', '"20 ms"')))
    for bad, problem in (("3-1", "empty range"), ("1-x", "not a seed")):
        with pytest.raises(ConfigError, match=problem):
            sweep.parse_seeds(bad)
    for bad, problem in (
        ("symmetry.lam", "key.path=value1"),
        ("symmetry.lam=1,,2", "empty value"),
        ("seed=1,2", "--seeds"),
        ("symmetry.lam=1,1", "listed twice"),
    ):
        with pytest.raises(ConfigError, match=problem):
            sweep.parse_grid([bad])


def test_bad_grid_value_is_refused_before_anything_runs(tmp_path, capsys):
    out = tmp_path / "sweep"
    argv = [*SWEEP, "--seeds", "1-2", "--grid", "symmetry.lam=3,-1", "--out", str(out)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "--grid symmetry.lam=-1: [at symmetry.lam]" in err
    assert not out.exists()
    argv = [*SWEEP, "--seeds", "1", "--grid", "symmetry.lam=3", "--set", "symmetry.lam=2"]
    assert cli.main([*argv, "--out", str(out)]) == 2
    assert "both set and gridded" in capsys.readouterr().err


def test_sweep_runs_every_point_records_failures_and_resumes(tmp_path, capsys):
    out = tmp_path / "sweep"
    # a divergence bound of 0.1 stops every run at its first check: two failing points
    argv = [*SWEEP, "--seeds", "1-2", "--grid", "simulation.divergence_bound=1e6,0.1"]
    argv += ["--out", str(out), "--workers", "2"]
    assert cli.main(argv) == 1
    ok = [f"simulation.divergence_bound=1e6,seed={s}" for s in (1, 2)]
    bad = [f"simulation.divergence_bound=0.1,seed={s}" for s in (1, 2)]
    assert statuses(out) == {**dict.fromkeys(ok, "complete"), **dict.fromkeys(bad, "failed")}
    state = json.loads((out / "sweep.json").read_text())
    assert state["status"] == "failed" and state["compilations"] == 0
    assert state["grid_points"] == [
        {"simulation.divergence_bound": "1e6"},
        {"simulation.divergence_bound": "0.1"},
    ]
    for point in state["points"]:
        log = (out / point["dir"] / "log.txt").read_text()
        if point["name"] in bad:
            assert "DivergenceError" in point["error"] and "DivergenceError" in log
        else:
            assert point["error"] is None and "simulated" in log
    rows = read_csv(out / "summary.csv")
    assert [r["run"] for r in rows] == ok + bad
    assert [int(r["seed"]) for r in rows] == [1, 2, 1, 2]
    for row in rows[:2]:
        assert row["status"] == "complete" and float(row["simulation.divergence_bound"]) == 1e6
        assert 0 < float(row["heldout_prediction_error"]) < 10
        assert 0 < float(row["baseline.equivariance_error_mean.L1"]) < 10
    for row in rows[2:]:
        assert row["status"] == "failed" and "DivergenceError" in row["error"]
    summary = (out / "summary.md").read_text()
    assert "## simulation.divergence_bound = 1e6" in summary and "2 of 2 runs complete" in summary
    assert "0 of 2 runs complete" in summary
    assert "| equivariance error, layer 1 | " in summary and "] | " in summary
    assert "failed" in capsys.readouterr().err

    # resume: complete runs are kept, failed and unfinished ones run again
    kept = out / "runs" / ok[0]
    (kept / "kept").touch()
    (out / "runs" / bad[0] / "old").touch()
    lost = out / "runs" / ok[1]
    lost.rename(out / "runs" / f".{ok[1]}.x1.partial")  # as a worker killed mid-run leaves it
    assert cli.main(argv) == 1
    assert statuses(out) == {**dict.fromkeys(ok, "complete"), **dict.fromkeys(bad, "failed")}
    assert (kept / "kept").exists() and not (out / "runs" / bad[0] / "old").exists()
    assert json.loads((lost / "run.json").read_text())["status"] == "complete"
    assert not list((out / "runs").glob(".*"))
    assert json.loads((out / "sweep.json").read_text())["invocations"] == 2
    other = [*SWEEP, "--seeds", "1-3", "--out", str(out)]
    assert cli.main(other) == 2
    assert "holds a different sweep" in capsys.readouterr().err


def test_second_sweep_into_a_busy_directory_is_refused(tmp_path, capsys):
    out = tmp_path / "sweep"
    argv = [*SWEEP, "--seeds", "1-2", "--out", str(out), "--workers", "1"]
    first = subprocess.Popen([sys.executable, "-m", "pcsim", *argv], env=ENV)
    try:
        deadline = time.monotonic() + 60
        while not (out / "sweep.json").exists() and first.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert "another sweep is running into this directory (pid" in err
        assert first.wait(120) == 0
    finally:
        first.kill()
    assert set(statuses(out).values()) == {"complete"}


@contextlib.contextmanager
def dask_cluster(tmp_path: Path, n_workers: int) -> Iterator[tuple[str, list]]:
    """A `dask scheduler` and ``n_workers`` single-threaded `dask worker` processes (no
    nanny: a killed worker stays dead) on 127.0.0.1; yields (address, worker processes)."""
    from distributed import Client

    file = tmp_path / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    common = {"env": ENV, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(file)], **common,
    )  # fmt: skip
    workers = []
    try:
        deadline = time.monotonic() + 60
        while not file.exists():
            assert time.monotonic() < deadline and scheduler.poll() is None
            time.sleep(0.1)
        workers = [
            subprocess.Popen(
                [
                    *dask,
                    "worker",
                    "--scheduler-file",
                    str(file),
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--local-directory",
                    str(tmp_path / "dask"),
                ],
                **common,
            )  # fmt: skip
            for _ in range(n_workers)
        ]
        address = json.loads(file.read_text())["address"]
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(n_workers, timeout=60)
        yield address, workers
    finally:
        for process in [*workers, scheduler]:
            process.kill()
            process.wait()


def test_sweep_runs_on_a_dask_scheduler_with_two_workers(tmp_path):
    out = tmp_path / "sweep"
    with dask_cluster(tmp_path, 2) as (address, _):
        assert address.startswith("tcp://127.0.0.1:")
        argv = [*SWEEP, "--seeds", "1-3", "--out", str(out), "--scheduler", address]
        assert cli.main(argv) == 0
    state = json.loads((out / "sweep.json").read_text())
    assert state["cluster"] == address and state["status"] == "complete"
    assert len(read_csv(out / "summary.csv")) == 3


def test_run_of_a_killed_worker_is_run_again(tmp_path):
    out = tmp_path / "sweep"
    request = sweep.Request(
        "ring", seeds=(1, 2, 3, 4), overrides=tuple(SMALL[1::2]), backend="numpy"
    )
    with dask_cluster(tmp_path, 2) as (address, workers):
        done: dict = {}
        thread = threading.Thread(
            target=lambda: done.update(result=sweep.run_sweep(request, out, scheduler=address))
        )
        thread.start()
        deadline = time.monotonic() + 120
        while len(list((out / "runs").glob(".*.partial"))) < 2:  # both workers running
            assert time.monotonic() < deadline
            time.sleep(0.05)
        workers[0].send_signal(signal.SIGKILL)
        thread.join(180)
    assert not thread.is_alive()
    outcome = done["result"]
    assert [p["status"] for p in outcome.points] == ["complete"] * 4
    assert workers[0].returncode == -signal.SIGKILL
    assert not list((out / "runs").glob(".*"))
