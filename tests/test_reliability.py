"""Nothing lost, nothing false: every way a run can end (Ctrl-C during compilation or
simulation, SIGTERM, SIGKILL, failures before anything ran) leaves a run.json that says
which, nothing that looks complete, one line on the console and no traceback; two runs
never share a directory; a run that cannot fit in memory is refused before it starts;
operating-system errors are one clear line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pcsim import cli, config, footprint, lifecycle
from pcsim.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
TINY = [
    "--set", "training.frames=12", "--set", "probe.frames=4",
    "--set", "symmetry.checkpoints=1", "--set", "symmetry.probe_stimuli=2",
]  # fmt: skip
#: The numpy runtime in the fast tier, the compiled backend in the slow one.
BACKENDS = ["numpy", pytest.param("cpp_standalone", marks=pytest.mark.slow)]
#: A torus development long enough to interrupt (tens of seconds on every backend).
LONG = ["--quick", "--set", "training.frames=20000"]


class Run:
    """``pcsim ARGV`` in its own process group (as a shell runs a command), its standard
    output collected line by line as it comes."""

    def __init__(self, *argv: str, cwd: Path):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pcsim", *argv],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for_output(self, text: str, timeout: float = 300.0) -> None:
        wait_for(lambda: any(text in line for line in self.lines), repr(text), timeout)

    def signal_group(self, signum: int) -> None:
        os.killpg(self.process.pid, signum)

    def finish(self) -> tuple[int, str]:
        """(exit status, standard error)."""
        _, stderr = self.process.communicate(timeout=300)
        self.reader.join(timeout=10)
        return self.process.returncode, stderr


def wait_for(condition, what: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def read(out: Path) -> dict:
    return json.loads((out / "run.json").read_text())


def assert_one_line(stderr: str, *fragments: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def assert_nothing_looks_complete(out: Path) -> None:
    assert not (out / "metrics.json").exists()
    assert not list(out.glob("traces_*.npz")) or read(out)["status"] != "complete"
    assert not list(out.rglob(".*.tmp"))


@pytest.mark.parametrize(
    "backend", ["numpy", pytest.param("cpp_standalone", marks=pytest.mark.slow)]
)
def test_ctrl_c_during_simulation_is_recorded_as_interrupted(tmp_path, backend):
    out = tmp_path / "run"
    run = Run("run", "torus", "--backend", backend, *LONG, "--out", str(out), cwd=tmp_path)
    run.wait_for_output("Starting simulation")
    time.sleep(2)
    run.signal_group(signal.SIGINT)  # what Ctrl-C in a terminal does
    status, stderr = run.finish()
    assert status == 130
    assert_one_line(stderr, "interrupted by SIGINT during the simulation of condition 'symmetry'")
    info = read(out)
    assert info["status"] == "interrupted"
    stop = info["interruption"]
    assert stop["signal"] == "SIGINT" and stop["condition"] == "symmetry"
    assert 0 < stop["reached_s"] < stop["duration_s"]
    assert not (out / "traces_symmetry.npz").exists()  # the truncated run is not a result
    assert_nothing_looks_complete(out)
    if backend == "numpy":  # Brian2's warning went to the run's log, not to the console
        assert "Simulation stop requested" in (out / "brian2.log").read_text()


@pytest.mark.slow
def test_ctrl_c_during_compilation_says_interrupted(tmp_path):
    out = tmp_path / "run"
    run = Run("run", "torus", "--quick", "--out", str(out), cwd=tmp_path)
    wait_for(lambda: any((out / "build").glob("**/*.o")), "the compiler to start")
    run.signal_group(signal.SIGINT)
    status, stderr = run.finish()
    assert status == 130
    # make reports its own interruption on the console (Brian2 shows the compiler's
    # output when compilation fails); pcsim's line is the last, and says what happened
    assert stderr.splitlines()[-1].startswith("pcsim: interrupted by SIGINT during the compilation")
    assert "clean=True" not in stderr and "Traceback" not in stderr
    info = read(out)
    assert info["status"] == "interrupted" and info["interruption"]["phase"] == "compilation"
    assert_nothing_looks_complete(out)


@pytest.mark.parametrize(
    "backend", ["numpy", pytest.param("cpp_standalone", marks=pytest.mark.slow)]
)
def test_sigterm_is_recorded_as_interrupted(tmp_path, backend):
    out = tmp_path / "run"
    run = Run("run", "torus", "--backend", backend, *LONG, "--out", str(out), cwd=tmp_path)
    run.wait_for_output("Starting simulation")
    run.process.terminate()  # what timeout, batch schedulers and Dask send (the process only)
    status, stderr = run.finish()
    assert status == 143
    assert_one_line(stderr, "interrupted by SIGTERM")
    info = read(out)
    assert info["status"] == "interrupted" and info["interruption"]["signal"] == "SIGTERM"
    assert_nothing_looks_complete(out)


def test_sigkill_leaves_a_run_that_reads_as_stale(tmp_path):
    out = tmp_path / "run"
    run = Run("run", "torus", "--backend", "numpy", *LONG, "--out", str(out), cwd=tmp_path)
    run.wait_for_output("Starting simulation")
    assert lifecycle.read_status(out) == "running"
    run.signal_group(signal.SIGKILL)
    run.finish()
    assert read(out)["status"] == "running"  # it had no chance to write
    assert lifecycle.read_status(out) == "stale"
    assert cli.main(["analyse", str(out)]) == 2


def test_failure_before_anything_ran_is_recorded(tmp_path, monkeypatch, capsys):
    from pcsim import experiment

    def broken(cfg):
        raise ValueError("no world for you")

    monkeypatch.setattr(experiment, "development_from_config", broken)
    out = tmp_path / "run"
    assert cli.main(["run", "ring", "--backend", "numpy", "--out", str(out), "-q"]) == 1
    info = read(out)
    assert info["status"] == "failed" and info["error"] == "ValueError: no world for you"
    assert_one_line(capsys.readouterr().err, "unexpected ValueError: no world for you")


def test_two_runs_started_together_never_share_a_directory(tmp_path):
    out = tmp_path / "shared"
    runs = [
        Run("run", "ring", "--backend", "numpy", *TINY, "--seed", seed, "--out", str(out),
            cwd=tmp_path)
        for seed in ("1", "2")
    ]  # fmt: skip
    outcomes = sorted(run.finish() for run in runs)
    assert [status for status, _ in outcomes] == [0, 2]
    assert_one_line(outcomes[1][1], "--out")
    assert read(out)["status"] == "complete"
    assert config.load_resolved(out / "config.toml").seed == read(out)["seed"]


def test_claim_is_exclusive_and_refuses_files(tmp_path):
    lifecycle.claim_directory(tmp_path / "a")
    with pytest.raises(ConfigError, match="already used by another run"):
        lifecycle.claim_directory(tmp_path / "a")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="exists and is not a directory"):
        lifecycle.claim_directory(tmp_path / "file")
    with pytest.raises(ConfigError, match="lies under a file"):
        lifecycle.claim_directory(tmp_path / "file" / "run")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("precious")
    with pytest.raises(ConfigError, match="exists and is not empty"):
        lifecycle.claim_directory(tmp_path / "full")
    assert sorted(p.name for p in (tmp_path / "full").iterdir()) == ["keep.txt"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("file", "exists and is not a directory"),
        ("file/run", "lies under a file"),
        ("/proc/pcsim-run", "cannot create the results directory"),
    ],
)
def test_unusable_out_is_one_line(tmp_path, capsys, target, message):
    (tmp_path / "file").write_text("x")
    out = target if target.startswith("/") else str(tmp_path / target)
    assert cli.main(["run", "ring", "--backend", "numpy", "--out", out, *TINY]) == 2
    assert_one_line(capsys.readouterr().err, "--out", message)


def test_non_utf8_argument_is_one_line(tmp_path):
    process = subprocess.run(
        [sys.executable, "-m", "pcsim", "run", os.fsdecode(b"\xff\xfe")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 2
    assert_one_line(process.stderr, "argument 2", "is not UTF-8 text")


def test_build_only_with_a_runtime_backend_leaves_no_directory(tmp_path, capsys):
    out = tmp_path / "never"
    assert cli.main(["run", "ring", "--backend", "numpy", "--build-only", "--out", str(out)]) == 2
    assert not out.exists()
    assert_one_line(capsys.readouterr().err, "--build-only needs a standalone backend")


def test_quiet_run_still_says_where_its_results_are(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "ring", "--backend", "numpy", "-q", *TINY]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("pcsim: results in results/ring-")
    assert (tmp_path / line.split(" in ")[1] / "metrics.json").is_file()


# --- memory ---------------------------------------------------------------------------------


def sized(scenario: str, *overrides: str):
    return config.load_scenario(scenario, overrides=list(overrides))


def test_estimate_counts_synapses_units_and_frames_like_the_run():
    from pcsim.experiment import development_from_config

    for name in sorted(p.stem for p in config.SCENARIOS_DIR.glob("*.toml")):
        cfg = sized(name)
        dev = development_from_config(cfg)
        counts = [len(dev.spec.connections(l)[0]) for l in range(1, dev.spec.n_layers)]
        estimated = footprint.synapse_counts(cfg)
        for got, want in zip(estimated, counts, strict=True):
            assert want / 1.5 <= got <= want * 1.5, (name, got, want)
        assert footprint.layer_sizes(cfg) == list(dev.spec.sizes)
        assert footprint.frame_count(cfg) == len(dev.plan().inputs.frames)


@pytest.mark.parametrize(
    ("overrides", "part"),
    [
        (["world.shape=[200,200]", "circuit.layers.0.shape=[200,200]",
          "circuit.layers.1.shape=[200,200]"], "weight coupling"),
        (["world.channels=1000000", "circuit.layers.0.shape=[1000000]",
          "circuit.layers.1.shape=[1000000]"], "weight coupling"),
        (["training.frames=10000000000000"], "recordings"),
    ],
)  # fmt: skip
def test_runs_that_cannot_fit_are_refused_quickly_with_the_reason(
    tmp_path, capsys, overrides, part
):
    scenario = "torus" if "world.shape" in overrides[0] else "ring"
    argv = ["run", scenario, "--out", str(tmp_path / "x")]
    for override in overrides:
        argv += ["--set", override]
    began = time.monotonic()
    assert cli.main(argv) == 2
    assert time.monotonic() - began < 30
    assert_one_line(
        capsys.readouterr().err, "this run needs about", "GB are available", f"the {part}"
    )
    assert not (tmp_path / "x").exists()


def test_a_ring_of_ten_million_channels_is_checked_in_seconds(capsys):
    n = 10_000_000
    argv = ["check", "ring", "--set", f"world.channels={n}", "--set",
            f"circuit.layers.0.shape=[{n}]", "--set", f"circuit.layers.1.shape=[{n}]"]  # fmt: skip
    began = time.monotonic()
    assert cli.main(argv) == 2
    assert time.monotonic() - began < 60
    assert "this run needs about" in capsys.readouterr().err


def test_check_reports_size_and_memory(capsys):
    assert cli.main(["check", "ring", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "ring" in out and "1,024 synapses" in out and "5 candidates" in out
    assert "memory: about" in out


def test_the_estimate_is_refused_against_a_small_machine():
    cfg = sized("ring")
    need = footprint.estimate(cfg)
    assert footprint.check(cfg, available=need.total * 1.01) is not None
    with pytest.raises(footprint.ResourceError, match="Python and Brian2"):
        footprint.check(cfg, available=need.total / 2)


def test_brian2_logs_to_the_run_and_leaves_nothing_in_the_temporary_folder(tmp_path, capsys):
    from brian2.utils.logger import BrianLogger

    out = tmp_path / "div"
    argv = ["run", "ring", "--backend", "numpy", "--out", str(out), "-q", *TINY]
    argv += ["--set", "circuit.eta=50000 Hz", "--set", "circuit.nonlinearity=identity"]
    assert cli.main(argv) == 3
    assert_one_line(capsys.readouterr().err, "simulation diverged", "files written")
    assert BrianLogger.tmp_log is None and BrianLogger.tmp_script is None
    assert (out / "brian2.log").is_file()
    assert read(out)["status"] == "failed"
