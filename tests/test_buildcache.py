"""The build cache: what changes the key, reuse that reproduces a fresh build, and
concurrent builders that compile once and never expose a partial entry."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from pcsim import backends, buildcache, config
from pcsim.backends import BackendOptions
from pcsim.experiment import development_from_config

SMALL = (
    "training.frames=12",
    "probe.frames=4",
    "symmetry.checkpoints=1",
    "symmetry.probe_stimuli=2",
)


def development(*overrides: str):
    """The ring scenario, small, on cpp_standalone."""
    cfg = config.load_scenario("ring", overrides=[*SMALL, 'backend="cpp_standalone"', *overrides])
    return development_from_config(cfg)


def key(tmp_path: Path, *overrides: str) -> str:
    dev = development(*overrides)
    return dev.simulator(dev.plan(), tmp_path / "-".join(overrides or ("base",))).generate()


# Values that reach the binary only through run_args (initial weights and stimuli from
# the seed; scalar parameters), and values compiled into it (sizes, frame count, time
# step, recorded variables, float type, threads, whether the weights are coupled, the
# precision mode).
RUN_TIME = (
    "seed=2",
    "symmetry.lam=3",
    "symmetry.theta=0.02",
    'circuit.tau_r="20 ms"',
    "circuit.layers.1.precision=0.5",
    "symmetry.evidence_weights=[0.5, 0.0]",
    'symmetry.tau_precision="2 s"',
    "world.noise_sd=0.1",
)
COMPILED = (
    "training.frames=13",
    'simulation.dt="0.5 ms"',
    'monitors.variables=["L1.r"]',
    'simulation.float_dtype="float32"',
    'symmetry.weight_coupling="0 Hz"',
    "symmetry.precision=fixed",
)


def test_run_time_values_share_a_key_and_compiled_ones_do_not(tmp_path):
    base = key(tmp_path)
    assert len(base) == 64
    for override in RUN_TIME:
        assert key(tmp_path, override) == base, override
    keys = {override: key(tmp_path, override) for override in COMPILED}
    assert base not in keys.values()
    assert len(set(keys.values())) == len(COMPILED)
    assert key(tmp_path, "seed=3") == base  # the networks built before leave no trace


@pytest.mark.slow
def test_cached_binary_reproduces_a_fresh_build(tmp_path, monkeypatch):
    monkeypatch.setenv(buildcache.ENV, str(tmp_path / "cache"))
    changed = ("seed=2", "symmetry.lam=3", 'circuit.tau_r="20 ms"')

    def run(*overrides: str, name: str):
        return development(*overrides).run(build_dir=tmp_path / name)

    first = run(name="first")
    assert first.main.build.compiled
    reused = run(*changed, name="reused")
    assert not reused.main.build.compiled and reused.main.build.key == first.main.build.key
    entry = tmp_path / "cache" / first.main.build.key
    assert (tmp_path / "reused" / "main").read_bytes() == (entry / "main").read_bytes()
    assert json.loads((entry / "build.json").read_text())["brian2"]
    monkeypatch.setenv(buildcache.ENV, "off")
    fresh = run(*changed, name="fresh")
    assert fresh.main.build.compiled and fresh.main.build.key is None
    for condition in ("symmetry", "baseline"):
        mine, theirs = reused.results[condition], fresh.results[condition]
        for name in theirs.traces:
            np.testing.assert_array_equal(mine.traces[name], theirs.traces[name])
        for w, w_fresh in zip(mine.weights, theirs.weights, strict=True):
            np.testing.assert_array_equal(w, w_fresh)
    assert not np.array_equal(first.main.traces["L1.r"], reused.main.traces["L1.r"])


def fake_toolchain(monkeypatch, compile_project) -> None:
    """Generation that writes one source file and returns a fixed key; a given compiler."""

    def generate(directory: Path, options: BackendOptions) -> str:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "main.cpp").write_text("int main() {}")
        return "f" * 64

    monkeypatch.setattr(buildcache, "generate", generate)
    monkeypatch.setattr(backends, "compile_project", compile_project)


def test_concurrent_builders_compile_once_and_never_see_a_partial_entry(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv(buildcache.ENV, str(root))
    compiling, release, compiled = threading.Event(), threading.Event(), []

    def compile_project(directory: Path) -> None:
        compiled.append(directory)
        compiling.set()
        assert release.wait(30)
        (directory / "main").write_bytes(b"binary")

    fake_toolchain(monkeypatch, compile_project)
    builds = {}

    def build(name: str) -> None:
        builds[name] = buildcache.build(
            tmp_path / name, BackendOptions("cpp_standalone"), report=False
        )

    threads = [threading.Thread(target=build, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    assert compiling.wait(30)
    time.sleep(0.3)  # the other builder is now waiting for the key's lock
    assert not (root / ("f" * 64)).exists()  # nothing published while compiling
    release.set()
    for thread in threads:
        thread.join(30)
    assert len(compiled) == 1
    assert sorted(b.compiled for b in builds.values()) == [False, True]
    for name in ("a", "b"):
        assert (tmp_path / name / "main").read_bytes() == b"binary"
    assert sorted(p.name for p in (root / ("f" * 64)).iterdir()) == ["build.json", "main"]
    assert not list(root.glob(".*"))  # no private folder left behind


def test_failed_compilation_publishes_nothing(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv(buildcache.ENV, str(root))

    def broken(directory: Path) -> None:
        raise RuntimeError("Project compilation failed")

    fake_toolchain(monkeypatch, broken)
    with pytest.raises(RuntimeError, match="compilation failed"):
        buildcache.build(tmp_path / "a", BackendOptions("cpp_standalone"), report=False)
    assert [p.name for p in root.iterdir()] == ["f" * 64 + ".lock"]


def test_cache_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(buildcache.ENV, str(tmp_path))
    assert buildcache.cache_root() == tmp_path
    monkeypatch.setenv(buildcache.ENV, "off")
    assert buildcache.cache_root() is None
    monkeypatch.delenv(buildcache.ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert buildcache.cache_root() == tmp_path / "xdg" / "pcsim" / "builds"
