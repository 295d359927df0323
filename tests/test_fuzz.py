"""Random edits of the shipped scenarios and circuits (wrong types, units, out-of-range
and huge values, missing and unknown keys): every outcome of ``pcsim check`` is either a
valid scenario or one clear error line with a non-zero exit, never a traceback, within a
time bound; a few valid edits also run to the end."""

from __future__ import annotations

import copy
import tempfile
import time
import tomllib
from pathlib import Path

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcsim import cli, config

SHIPPED = sorted(p.stem for p in config.SCENARIOS_DIR.glob("*.toml"))
VALUES = st.one_of(
    st.integers(-(10**15), 10**15),
    st.sampled_from([0, -1, 1, 2, 3, 10**7, 10**12, -(10**9)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(
        ["5 ms", "-3 Hz", "nan ms", "1e400 s", "10 kg", "0 s", "2 Hz", "ms", "1e9 s", "tanh"]
    ),
    st.lists(st.integers(-5, 10**6), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def paths(tree, prefix=()):
    """Every key path of a TOML tree (list entries by index)."""
    items = tree.items() if isinstance(tree, dict) else enumerate(tree)
    for key, value in items:
        yield (*prefix, key)
        tables = isinstance(value, dict) or (
            isinstance(value, list) and value and isinstance(value[0], dict)
        )
        if tables:
            yield from paths(value, (*prefix, key))


def edit(tree: dict, path: tuple, action: str, value) -> None:
    node = tree
    for key in path[:-1]:
        node = node[key]
    last = path[-1]
    if action == "delete" and isinstance(node, dict):
        del node[last]
    elif action == "unknown" and isinstance(node, dict):
        node[f"{last}_x"] = value
    else:
        node[last] = value


def files(name: str) -> tuple[dict, dict]:
    scenario = tomllib.loads((config.SCENARIOS_DIR / f"{name}.toml").read_text())
    model = tomllib.loads((config.MODELS_DIR / f"{scenario['model']}.toml").read_text())
    return scenario, model


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(SHIPPED),
    which=st.sampled_from(["scenario", "model"]),
    pick=st.integers(0, 10**6),
    action=st.sampled_from(["set", "set", "set", "delete", "unknown"]),
    value=VALUES,
    quick=st.booleans(),
)
def test_every_edit_is_valid_or_one_clear_error(name, which, pick, action, value, quick):
    scenario, model = files(name)
    tree = scenario if which == "scenario" else model
    choices = list(paths(tree))
    edit(tree, choices[pick % len(choices)], action, copy.deepcopy(value))
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        scenario["model"] = "model.toml"
        (folder / "scenario.toml").write_text(tomli_w.dumps(scenario))
        (folder / "model.toml").write_text(tomli_w.dumps(model))
        argv = ["check", str(folder / "scenario.toml")] + (["--quick"] if quick else [])
        began = time.monotonic()
        status, err = run_captured(argv)
        assert time.monotonic() - began < 60
    assert status in (0, 2), err
    if status == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("pcsim: error: "), err
        assert "Traceback" not in err


def run_captured(argv: list[str]) -> tuple[int, str]:
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = cli.main(argv)
    return status, err.getvalue()


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tau=st.sampled_from(["5 ms", "20 ms"]),
    noise=st.floats(0.0, 0.2),
    lam=st.floats(0.0, 12.0),
    nonlinearity=st.sampled_from(["identity", "rectified", "tanh"]),
)
def test_valid_edits_run_to_the_end_or_stop_with_one_line(tau, noise, lam, nonlinearity):
    """Runs of valid edits (tiny, numpy backend): complete, or one clear line (a
    divergence is a legitimate outcome of an unstable parameter set)."""
    with tempfile.TemporaryDirectory() as folder:
        argv = ["run", "ring", "--backend", "numpy", "-q", "--out", f"{folder}/run"]
        for override in (
            f"circuit.tau_r={tau}", f"world.noise_sd={noise}", f"symmetry.lam={lam}",
            f"circuit.nonlinearity={nonlinearity!r}".replace("'", '"'),
            "training.frames=10", "probe.frames=3", "symmetry.checkpoints=1",
            "symmetry.probe_stimuli=2",
        ):  # fmt: skip
            argv += ["--set", override]
        status, err = run_captured(argv)
    assert status in (0, 3), err
    assert "Traceback" not in err and len(err.splitlines()) <= 1
