"""Tests of pcsim.config: loading, merging, overrides, round trip and every error path."""

from __future__ import annotations

import copy
from pathlib import Path

import brian2
import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pcsim.backends import BACKENDS
from pcsim.circuit import NONLINEARITIES
from pcsim.config import (
    MODELS_DIR,
    SCENARIOS_DIR,
    dump_toml,
    list_scenarios,
    load_resolved,
    load_scenario,
    parse_quantity,
    resolve_scenario_path,
)
from pcsim.errors import ConfigError
from pcsim.experiment import development_from_config
from pcsim.quantities import format_quantity
from pcsim.worlds import RingWorld, TorusWorld

ms, Hz, second = brian2.ms, brian2.Hz, brian2.second

SCENARIO = {
    "description": "test scenario",
    "model": "model.toml",
    "seed": 3,
    "backend": "numpy",
    "world": {"kind": "ring", "channels": 8, "frame_duration": "20 ms"},
    "training": {"frames": 10},
    "quick": {"training": {"frames": 2}},
}
MODEL = {
    "circuit": {
        "tau_r": "10 ms",
        "eta": "1 Hz",
        "layers": [
            {"layout": "ring", "shape": [8]},
            {"layout": "ring", "shape": [4]},
        ],
    }
}


def write(tmp_path: Path, scenario=None, model=None) -> Path:
    """Write a scenario (scenario.toml) and its model (model.toml) into tmp_path."""
    (tmp_path / "model.toml").write_text(tomli_w.dumps(MODEL if model is None else model))
    path = tmp_path / "scenario.toml"
    path.write_text(tomli_w.dumps(SCENARIO if scenario is None else scenario))
    return path


def changed(base: dict, dotted: str, value=None, *, delete: bool = False) -> dict:
    """A deep copy of base with one key path (list indices as digits) set or deleted."""
    out = copy.deepcopy(base)
    *parents, last = dotted.split(".")
    node = out
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
    if delete:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


def error_of(path: Path, **kw) -> str:
    with pytest.raises(ConfigError) as info:
        load_scenario(path, **kw)
    return str(info.value)


def assert_error(msg: str, file: str, key: str | None, *problems: str) -> None:
    assert file in msg, msg
    if key is not None:
        assert f"[at {key}]" in msg, msg
    for p in problems:
        assert p in msg, msg


# ---------------------------------------------------------------------------------------------
# The shipped ring scenario
# ---------------------------------------------------------------------------------------------


def test_ring_scenario_loads_with_units_and_defaults():
    cfg = load_scenario("ring")
    assert cfg.name == "ring"
    assert Path(cfg.source) == SCENARIOS_DIR / "ring.toml"
    assert cfg.seed == 1 and cfg.backend == "cpp_standalone"
    assert cfg.world.channels == 32
    assert cfg.world.frame_duration == 50 * ms
    assert cfg.world.steps == (1, -1)
    assert cfg.world.p_new_scene == 0.2
    assert cfg.training.frames == 1500 and cfg.probe.frames == 60
    assert cfg.probe.novel_centres == (0.55, 0.95)
    sym = cfg.symmetry
    assert sym.lam == 10.0 and sym.tau_dev == 2 * second
    assert [c.name for c in sym.candidates] == [
        "rot+1",
        "rot-1",
        "reflect",
        "rot+3",
        "random",
    ]
    assert sym.evidence_weights == [1.0, 0.0]
    c = cfg.circuit
    assert c.tau_r == 10 * ms and c.eta == 2 * Hz and c.eta_decay == 0.01 * Hz
    assert c.tau_r.dim == second.dim
    assert c.nonlinearity == "tanh" and c.alpha == 0.2 and c.learning is True
    assert [layer.shape for layer in c.layers] == [[32], [32]]
    assert c.layers[0].connectivity is None
    assert c.layers[1].connectivity == "dense"
    # defaults filled in
    assert cfg.simulation.model_dump() == {
        "dt": 1 * ms,
        "threads": 0,
        "float_dtype": "float64",
        "divergence_bound": 1e6,
    }
    assert cfg.world.kappa == 4.0 and cfg.world.centres == (0.0, 0.5)
    assert cfg.monitors.model_dump() == {"variables": ["L0.eps", "L1.r"], "interval": None}
    assert "quick" not in type(cfg).model_fields


def test_ring_quick_and_listing():
    cfg = load_scenario("ring", quick=True)
    assert cfg.training.frames == 800 and cfg.probe.frames == 30
    assert cfg.symmetry.checkpoints == 4
    assert cfg.world.channels == 32
    listed = {name: (desc, where) for name, desc, where in list_scenarios()}
    assert list(listed) == sorted(listed) and "ring" in listed
    assert listed["ring"][0].startswith("Orientation hypercolumn")
    assert (MODELS_DIR / "ring.toml").is_file()


def test_names_are_looked_up_in_the_current_directory_first(tmp_path, monkeypatch):
    """./scenarios and ./models shadow the shipped files of the same name; other names
    still reach the shipped ones; `list_scenarios` says where each comes from."""
    monkeypatch.chdir(tmp_path)
    assert dict((n, w) for n, _, w in list_scenarios())["ring"] == "shipped with pcsim"
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "models").mkdir()
    ring = (SCENARIOS_DIR / "ring.toml").read_text(encoding="utf-8")
    (tmp_path / "scenarios" / "ring.toml").write_text(
        ring.replace('description = "', 'description = "LOCAL '), encoding="utf-8"
    )
    (tmp_path / "scenarios" / "mine.toml").write_text(ring, encoding="utf-8")
    model = (MODELS_DIR / "ring.toml").read_text(encoding="utf-8")
    (tmp_path / "models" / "ring.toml").write_text(
        model.replace('tau_r = "10 ms"', 'tau_r = "12 ms"'), encoding="utf-8"
    )
    listed = {n: (d, w) for n, d, w in list_scenarios()}
    assert listed["ring"] == (listed["ring"][0], "./scenarios")
    assert listed["ring"][0].startswith("LOCAL")
    assert listed["mine"][1] == "./scenarios" and listed["torus"][1] == "shipped with pcsim"
    cfg = load_scenario("ring")
    assert Path(cfg.source).resolve() == (tmp_path / "scenarios" / "ring.toml").resolve()
    assert float(cfg.circuit.tau_r / ms) == pytest.approx(12)  # ./models/ring.toml
    assert Path(load_scenario("torus").source).parent == SCENARIOS_DIR
    with pytest.raises(ConfigError, match=r"unknown scenario 'rign' \(did you mean 'ring'\?\)"):
        load_scenario("rign")


def test_a_directory_or_a_non_utf8_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="is a directory, not a scenario file"):
        load_scenario(str(tmp_path) + "/")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('description = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(
        ConfigError, match=r"latin1.toml: not UTF-8 text \(byte 0xe9 at offset 18\)"
    ):
        load_scenario(str(bad))


def test_scenario_by_path_and_model_by_relative_path(tmp_path):
    path = write(tmp_path)
    cfg = load_scenario(str(path))
    assert cfg.name == "scenario" and cfg.training.frames == 10
    assert cfg.circuit.eta_decay == 0 * Hz  # default
    assert load_scenario(path, quick=True).training.frames == 2


def test_quick_can_replace_circuit_values(tmp_path):
    sc = changed(SCENARIO, "quick.circuit", {"tau_r": "5 ms"})
    cfg = load_scenario(write(tmp_path, sc), quick=True)
    assert cfg.circuit.tau_r == 5 * ms and cfg.circuit.eta == 1 * Hz


def test_overrides(tmp_path):
    path = write(tmp_path)
    cfg = load_scenario(
        path,
        overrides=[
            "circuit.tau_r=20 ms",
            "training.frames=50",
            "world.steps=[1,2]",
            "circuit.layers.1.precision=2",
            "world.bumps.1=3",
            "circuit.nonlinearity=rectified",
            "monitors.interval=40 ms",
        ],
    )
    assert cfg.circuit.tau_r == 20 * ms
    assert cfg.training.frames == 50
    assert cfg.world.steps == (1, 2)
    assert cfg.circuit.layers[1].precision == 2.0
    assert cfg.world.bumps == (1, 3)
    assert cfg.circuit.nonlinearity == "rectified"
    assert cfg.monitors.interval == 40 * ms
    # overrides apply after --quick
    assert load_scenario(path, quick=True, overrides=["training.frames=7"]).training.frames == 7


def test_dump_and_load_resolved_round_trip(tmp_path):
    for cfg in (
        load_scenario("ring"),
        load_scenario(
            write(tmp_path),
            overrides=[
                "simulation.dt=0.1 ms",
                "world.frame_duration=0.3 s",
                "circuit.eta=0.001 kHz",
                "monitors.interval=0.7 ms",
                "circuit.layers.1.connectivity=local",
                "circuit.layers.1.rf_radius=0.25",
            ],
        ),
    ):
        text = dump_toml(cfg)
        out = tmp_path / "resolved.toml"
        out.write_text(text)
        back = load_resolved(out)
        assert back == cfg
        assert back.circuit.tau_r.dim == second.dim


def test_parse_quantity():
    assert parse_quantity("10 ms", "time") == 10 * ms
    assert parse_quantity("1e-3s", "time") == 1 * ms
    assert parse_quantity("0.5 hertz", "rate") == 0.5 * Hz
    assert parse_quantity("2 kHz", "rate") == 2000 * Hz
    assert parse_quantity("-5 ms", "time") == -5 * ms
    with pytest.raises(ConfigError, match=r"f\.toml: \[at a\.b\] needs a unit"):
        parse_quantity(10, "time", path="a.b", source="f.toml")


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
    st.sampled_from(["time", "rate"]),
)
def test_format_quantity_round_trips_exactly(x, dimension):
    unit = second if dimension == "time" else Hz
    q = x * unit
    text = format_quantity(q)
    assert parse_quantity(text, dimension) == q, text


# ---------------------------------------------------------------------------------------------
# Errors: each names the file, the key path and the problem
# ---------------------------------------------------------------------------------------------


def test_malformed_toml(tmp_path):
    path = write(tmp_path)
    path.write_text('description = "x"\nseed = = 3\n')
    assert_error(error_of(path), "scenario.toml", None, "invalid TOML", "line 2")


def test_malformed_model_toml(tmp_path):
    path = write(tmp_path)
    (tmp_path / "model.toml").write_text("[circuit\n")
    assert_error(error_of(path), "model.toml", None, "invalid TOML", "line 1")


@pytest.mark.parametrize(
    ("where", "key", "file", "suggestion"),
    [
        ("sede", "sede", "scenario.toml", "seed"),
        ("world.chanels", "world.chanels", "scenario.toml", "channels"),
        ("quick.training.frame", "quick.training.frame", "scenario.toml", "frames"),
    ],
)
def test_unknown_key_in_scenario(tmp_path, where, key, file, suggestion):
    path = write(tmp_path, changed(SCENARIO, where, 1))
    name = key.rsplit(".", 1)[-1]
    assert_error(
        error_of(path), file, key, f"unknown key '{name}'", f"(did you mean '{suggestion}'?)"
    )


def test_unknown_key_in_layer(tmp_path):
    path = write(tmp_path, model=changed(MODEL, "circuit.layers.1.precison", 1.0))
    assert_error(
        error_of(path),
        "model.toml",
        "circuit.layers.1.precison",
        "unknown key 'precison' (did you mean 'precision'?)",
    )


def test_unknown_key_in_circuit_without_suggestion(tmp_path):
    path = write(tmp_path, model=changed(MODEL, "circuit.zzz", 1))
    assert_error(error_of(path), "model.toml", "circuit.zzz", "unknown key 'zzz'", "tau_r")


def test_missing_field(tmp_path):
    path = write(tmp_path, changed(SCENARIO, "training.frames", delete=True))
    assert_error(error_of(path), "scenario.toml", "training.frames", "missing required field")
    path = write(tmp_path, model=changed(MODEL, "circuit.tau_r", delete=True))
    assert_error(error_of(path), "model.toml", "circuit.tau_r", "missing required field")


def test_wrong_type(tmp_path):
    path = write(tmp_path, changed(SCENARIO, "training.frames", "ten"))
    assert_error(
        error_of(path), "scenario.toml", "training.frames", 'must be an integer, got "ten"'
    )


def test_bool_is_not_an_int(tmp_path):
    path = write(tmp_path, changed(SCENARIO, "seed", True))
    assert_error(error_of(path), "scenario.toml", "seed", "must be an integer, got true")


@pytest.mark.parametrize("value", ["10 mV", "3 Hz"])
def test_wrong_unit_dimension(tmp_path, value):
    path = write(tmp_path, model=changed(MODEL, "circuit.tau_r", value))
    assert_error(error_of(path), "model.toml", "circuit.tau_r", "must be a time", value)


def test_rate_given_a_time(tmp_path):
    path = write(tmp_path, model=changed(MODEL, "circuit.eta", "2 ms"))
    assert_error(error_of(path), "model.toml", "circuit.eta", "must be a rate")


@pytest.mark.parametrize("value", [10, "10", 2.5])
def test_missing_unit(tmp_path, value):
    path = write(tmp_path, changed(SCENARIO, "world.frame_duration", value))
    assert_error(
        error_of(path), "scenario.toml", "world.frame_duration", 'needs a unit, e.g. "10 ms"'
    )


def test_unknown_unit(tmp_path):
    path = write(tmp_path, model=changed(MODEL, "circuit.tau_r", "10 msec"))
    assert_error(
        error_of(path), "model.toml", "circuit.tau_r", "unknown unit 'msec'", "allowed units", "ms"
    )


def test_negative_time_constant(tmp_path):
    path = write(tmp_path, model=changed(MODEL, "circuit.tau_r", "-5 ms"))
    assert_error(error_of(path), "model.toml", "circuit.tau_r", "must be > 0, got -5. ms")


def test_probability_out_of_range(tmp_path):
    path = write(tmp_path, changed(SCENARIO, "world.p_new_scene", 1.5))
    assert_error(error_of(path), "scenario.toml", "world.p_new_scene", "must be <= 1, got 1.5")


def test_list_item_bounds_and_order(tmp_path):
    path = write(tmp_path, changed(SCENARIO, "world.steps", [1, 0]))
    assert_error(error_of(path), "scenario.toml", "world.steps.1", "must be nonzero")
    path = write(tmp_path, changed(SCENARIO, "world.bumps", [3, 1]))
    assert_error(error_of(path), "scenario.toml", "world.bumps", "min <= max")
    path = write(tmp_path, changed(SCENARIO, "world.centres", [0.5, 0.5]))
    assert_error(error_of(path), "scenario.toml", "world.centres", "lo < hi")


def test_bad_choice(tmp_path):
    path = write(tmp_path, model=changed(MODEL, "circuit.nonlinearity", "relu"))
    assert_error(
        error_of(path),
        "model.toml",
        "circuit.nonlinearity",
        "must be one of 'identity', 'rectified', 'tanh', got 'relu'",
    )


def test_bad_layer_shape_length(tmp_path):
    path = write(tmp_path, model=changed(MODEL, "circuit.layers.1.shape", [4, 4]))
    assert_error(error_of(path), "model.toml", "circuit.layers.1.shape", "ring layout needs 1")
    model = changed(MODEL, "circuit.layers.1", {"layout": "torus", "shape": [4]})
    path = write(tmp_path, model=model)
    assert_error(error_of(path), "model.toml", "circuit.layers.1.shape", "torus layout needs 2")


def test_too_few_layers(tmp_path):
    path = write(
        tmp_path, model=changed(MODEL, "circuit.layers", [{"layout": "ring", "shape": [8]}])
    )
    assert_error(error_of(path), "model.toml", "circuit.layers", "at least 2 layers")


def test_layer0_connectivity_forbidden(tmp_path):
    path = write(tmp_path, model=changed(MODEL, "circuit.layers.0.connectivity", "dense"))
    assert_error(error_of(path), "model.toml", "circuit.layers.0.connectivity", "layer 0")


def test_layer0_channel_mismatch_with_world(tmp_path):
    path = write(tmp_path, changed(SCENARIO, "world.channels", 12))
    assert_error(
        error_of(path), "scenario.toml", "world.channels", "circuit layer 0", "= 8), got 12"
    )


def test_frame_duration_not_multiple_of_dt(tmp_path):
    path = write(tmp_path, changed(SCENARIO, "simulation", {"dt": "0.3 ms"}))
    assert_error(
        error_of(path), "scenario.toml", "world.frame_duration", "whole multiple of simulation.dt"
    )
    path = write(tmp_path, changed(SCENARIO, "monitors", {"interval": "2.5 ms"}))
    assert_error(error_of(path), "scenario.toml", "monitors.interval", "whole multiple")


def test_local_connectivity_without_rf_radius(tmp_path):
    path = write(tmp_path, model=changed(MODEL, "circuit.layers.1.connectivity", "local"))
    assert_error(error_of(path), "model.toml", "circuit.layers.1.rf_radius", "required", "'local'")


def test_local_connectivity_needs_same_layout(tmp_path):
    layer = {"layout": "grid", "shape": [2, 2], "connectivity": "local", "rf_radius": 0.3}
    path = write(tmp_path, model=changed(MODEL, "circuit.layers.1", layer))
    assert_error(error_of(path), "model.toml", "circuit.layers.1.layout", "same layout")


def test_unknown_override_key(tmp_path):
    path = write(tmp_path)
    msg = error_of(path, overrides=["circuit.tau=20 ms"])
    assert_error(msg, "--set circuit.tau=20 ms", "circuit.tau", "did you mean 'tau_r'?")
    msg = error_of(path, overrides=["circuit.layers.5.precision=2"])
    assert_error(msg, "--set circuit.layers.5.precision=2", "circuit.layers.5", "out of range")


@pytest.mark.parametrize(
    ("override", "key", "problem"),
    [
        ("seed.x=1", "seed", "is a single value (3) with no key 'x'"),
        ("world.steps.0.x=1", "world.steps.0", "is a single value (1) with no key 'x'"),
        ("circuit.layers.x.precision=1", "circuit.layers.x", "'x' is not a list index"),
        ("training.frames", None, "an override must read key.path=value"),
        ("training..frames=1", "training..frames", "empty key in override"),
        ("quick.training.frames=1", "quick", "overrides apply after --quick"),
    ],
)
def test_override_that_does_not_fit_the_tables(tmp_path, override, key, problem):
    assert_error(error_of(write(tmp_path), overrides=[override]), f"--set {override}", key, problem)


def test_override_creates_missing_tables_and_lists_from_defaults(tmp_path):
    path = write(tmp_path)  # no world.bumps, no [simulation]
    assert load_scenario(path, overrides=["world.bumps.0=2"]).world.bumps == (2, 2)
    cfg = load_scenario(path, overrides=["simulation.threads=2"])
    assert cfg.simulation.threads == 2 and cfg.simulation.dt == 1 * ms
    cfg = load_scenario(write_torus(tmp_path), overrides=["world.steps.1=[2, 0]"])
    assert cfg.world.steps == ((0, 1), (2, 0), (0, -1), (-1, 0))


def test_bad_override_value_names_the_override(tmp_path):
    msg = error_of(write(tmp_path), overrides=["circuit.tau_r=-3 ms"])
    assert_error(msg, "--set circuit.tau_r=-3 ms", "circuit.tau_r", "must be > 0")


def test_bad_monitor_variable(tmp_path):
    sc = changed(SCENARIO, "monitors", {"variables": ["L0.eps", "L1.r", "L2.r"]})
    assert_error(error_of(write(tmp_path, sc)), "scenario.toml", "monitors.variables.2", "layer 2")
    sc = changed(SCENARIO, "monitors", {"variables": ["L0.v"]})
    assert_error(
        error_of(write(tmp_path, sc)), "scenario.toml", "monitors.variables.0", "L<layer>."
    )
    sc = changed(SCENARIO, "monitors", {"variables": ["L0.eps", "L1.m"]})
    msg = error_of(write(tmp_path, sc))
    assert_error(msg, "scenario.toml", "monitors.variables.1", "needs a [symmetry] section")


def test_learned_variance_monitor_needs_learned_precision(tmp_path):
    sc = changed(TORUS_SCENARIO, "monitors", {"variables": ["L0.u", "L1.u"]})
    assert load_scenario(write_torus(tmp_path, sc)).monitors.variables == ["L0.u", "L1.u"]
    sc = changed(sc, "symmetry.precision", "fixed")
    msg = error_of(write_torus(tmp_path, sc))
    assert_error(msg, "scenario.toml", "monitors.variables.0", "symmetry.precision = 'learned'")
    sc = changed(TORUS_SCENARIO, "monitors", {"variables": ["L2.u"]})  # the top: no errors
    assert_error(error_of(write_torus(tmp_path, sc)), "scenario.toml", "monitors.variables.0")


def test_unknown_scenario_name():
    with pytest.raises(ConfigError) as info:
        resolve_scenario_path("rign")
    assert_error(str(info.value), "", None, "unknown scenario 'rign'", "did you mean 'ring'?")


def test_unknown_model_name(tmp_path):
    path = write(tmp_path, changed(SCENARIO, "model", "rin"))
    assert_error(error_of(path), "scenario.toml", "model", "unknown model 'rin'", "'ring'")


def test_scenario_must_not_define_circuit(tmp_path):
    path = write(tmp_path, changed(SCENARIO, "circuit", {"tau_r": "1 ms"}))
    assert_error(error_of(path), "scenario.toml", "circuit", "model file")


def test_load_resolved_validates(tmp_path):
    text = dump_toml(load_scenario("ring")).replace('tau_r = "10.0 ms"', 'tau_r = "10.0 mV"')
    out = tmp_path / "bad.toml"
    out.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_resolved(out)
    assert_error(str(info.value), "bad.toml", "circuit.tau_r", "must be a time")


def test_choices_come_from_the_modules_that_define_them(tmp_path):
    """Backends, nonlinearities and world kinds are defined once (pcsim.backends,
    pcsim.circuit, pcsim.worlds): the schema accepts exactly those."""
    path = write(tmp_path)
    for backend in BACKENDS:
        assert load_scenario(path, overrides=[f'backend="{backend}"']).backend == backend
    for f in NONLINEARITIES:
        cfg = load_scenario(path, overrides=[f"circuit.nonlinearity={f}"])
        assert cfg.circuit.nonlinearity == f
    listed = ", ".join(map(repr, BACKENDS))
    msg = error_of(path, overrides=["backend=gpu"])
    assert_error(msg, "--set backend=gpu", "backend", f"must be one of {listed}, got 'gpu'")
    kinds = ", ".join(repr(w.model_fields["kind"].default) for w in (RingWorld, TorusWorld))
    msg = error_of(write(tmp_path, changed(SCENARIO, "world.kind", "disc")))
    assert_error(msg, "scenario.toml", "world.kind", f"must be one of {kinds}, got 'disc'")


@pytest.mark.parametrize(
    ("world", "key", "value"),
    [
        (RingWorld, "channels", 2),
        (RingWorld, "steps", [1, 8]),
        (RingWorld, "contrast", [0.0, 1.0]),
        (RingWorld, "centres", [0.5, 0.5]),
        (TorusWorld, "shape", [2, 18]),
        (TorusWorld, "orientations", 1),
        (TorusWorld, "steps", [[6, 0]]),
    ],
)
def test_a_world_and_its_table_have_the_same_limits(tmp_path, world, key, value):
    base, model = (SCENARIO, MODEL) if world is RingWorld else (TORUS_SCENARIO, TORUS_MODEL)
    fields = {k: v for k, v in base["world"].items() if k not in ("kind", "frame_duration")}
    with pytest.raises(ValidationError, match=key):
        world(**fields | {key: value})
    msg = error_of(write(tmp_path, changed(base, f"world.{key}", value), model))
    assert_error(msg, "scenario.toml", None, f"[at world.{key}")


@pytest.mark.parametrize("value", ["nan ms", "1e400 ms", "-inf s"])
def test_quantity_must_be_finite(tmp_path, value):
    path = write(tmp_path, model=changed(MODEL, "circuit.tau_r", value))
    assert_error(error_of(path), "model.toml", "circuit.tau_r", f'must be finite, got "{value}"')


# ---------------------------------------------------------------------------------------------
# The torus world and the [symmetry] section
# ---------------------------------------------------------------------------------------------

TORUS_SCENARIO = {
    "description": "torus test scenario",
    "model": "model.toml",
    "backend": "numpy",
    "world": {"kind": "torus", "shape": [6, 6], "frame_duration": "20 ms"},
    "training": {"frames": 10},
    "symmetry": {
        "candidates": [
            {"name": "right", "kind": "shift", "by": [0, 2]},
            {"name": "flip", "kind": "reflect", "axis": "x", "channels": "mirror"},
            {"name": "noise", "kind": "random", "seed": 3},
            {"name": "id", "kind": "identity"},
        ]
    },
    "quick": {"symmetry": {"checkpoints": 2}, "world": {"bars": [1, 1]}},
}
TORUS_MODEL = {
    "circuit": {
        "tau_r": "10 ms",
        "eta": "1 Hz",
        "layers": [
            {"layout": "torus", "shape": [6, 6]},
            {"layout": "torus", "shape": [3, 3], "channels": 2},
            {"layout": "torus", "shape": [3, 3]},
        ],
    }
}


def write_torus(tmp_path: Path, scenario=None, model=None) -> Path:
    return write(
        tmp_path,
        TORUS_SCENARIO if scenario is None else scenario,
        TORUS_MODEL if model is None else model,
    )


def test_torus_world_and_symmetry_load_with_defaults(tmp_path):
    cfg = load_scenario(write_torus(tmp_path))
    assert cfg.world.model_dump() == {
        "kind": "torus",
        "shape": (6, 6),
        "frame_duration": 20 * ms,
        "bars": (1, 2),
        "orientations": 4,
        "bar_length": 2.5,
        "bar_width": 0.7,
        "contrast": (0.5, 1.0),
        "noise_sd": 0.05,
        "steps": ((0, 1), (1, 0), (0, -1), (-1, 0)),
        "reflections": (),
        "rotations": (),
        "weights": None,
        "p_new_scene": 0.2,
        "centres": (0.0, 1.0),
        "rows": (0.0, 1.0),
    }
    sym = cfg.symmetry
    assert sym.lam == 1.0 and sym.precision == "learned" and sym.tau_precision == 1 * second
    assert sym.theta == 1.5 and sym.beta == 10.0  # the defaults of learned precision
    assert sym.weight_coupling == 0 * Hz and sym.coupling_step == "dt"
    assert sym.tau_dev == 2 * second and sym.pi_min == 0.05
    assert sym.checkpoints == 5 and sym.probe_stimuli == 8
    assert sym.evidence_weights == [1.0, 0.0, 0.0]  # filled in from the circuit
    # candidates are pcsim.groups specs plus a name: absent optional keys are left out
    assert [c.spec() for c in sym.candidates] == [
        {"name": "right", "kind": "shift", "by": [0, 2]},
        {"name": "flip", "kind": "reflect", "axis": "x", "channels": "mirror"},
        {"name": "noise", "kind": "random", "seed": 3},
        {"name": "id", "kind": "identity"},
    ]


def test_symmetry_is_optional_and_quick_can_override_it(tmp_path):
    assert load_scenario(write(tmp_path)).symmetry is None
    cfg = load_scenario(write_torus(tmp_path), quick=True)
    assert cfg.symmetry.checkpoints == 2 and cfg.symmetry.lam == 1.0
    assert cfg.world.bars == (1, 1)
    sc = changed(TORUS_SCENARIO, "symmetry.lam", 0.5)
    sc = changed(sc, "symmetry.evidence_weights", [1.0, 0.5, 0])
    cfg = load_scenario(write_torus(tmp_path, sc), overrides=["symmetry.beta=50"])
    assert cfg.symmetry.lam == 0.5 and cfg.symmetry.beta == 50.0
    assert cfg.symmetry.evidence_weights == [1.0, 0.5, 0.0]
    # a ring scenario with a prior on its ring
    sc = changed(SCENARIO, "symmetry", {"candidates": [{"name": "r1", "kind": "rotate", "by": 2}]})
    cfg = load_scenario(write(tmp_path, sc))
    assert [c.spec() for c in cfg.symmetry.candidates] == [
        {"name": "r1", "kind": "rotate", "by": 2}
    ]


def test_torus_and_symmetry_round_trip(tmp_path):
    for cfg in (load_scenario(write(tmp_path)), load_scenario(write_torus(tmp_path))):
        out = tmp_path / "resolved.toml"
        out.write_text(dump_toml(cfg))
        assert load_resolved(out) == cfg


def test_quick_world_without_kind_is_checked_per_key(tmp_path):
    sc = changed(TORUS_SCENARIO, "quick.world", {"noise_sd": 0.1, "shape": [6, 6]})
    assert load_scenario(write_torus(tmp_path, sc), quick=True).world.noise_sd == 0.1
    sc = changed(TORUS_SCENARIO, "quick.world", {"orientation": 3})
    assert_error(
        error_of(write_torus(tmp_path, sc)),
        "scenario.toml",
        "quick.world.orientation",
        "did you mean 'orientations'?",
    )
    sc = changed(TORUS_SCENARIO, "quick.world", {"steps": [[0, 0]]})
    assert_error(
        error_of(write_torus(tmp_path, sc)),
        "scenario.toml",
        "quick.world.steps.0",
        "must not be [0, 0]",
    )
    # without any kind (a scenario that misses world.kind): a key any kind accepts passes
    sc = changed(TORUS_SCENARIO, "world.kind", delete=True)
    sc = changed(sc, "quick.world", {"steps": [[0, 1]]})
    assert_error(error_of(write_torus(tmp_path, sc)), "scenario.toml", "world.kind", "missing")


@pytest.mark.parametrize(
    ("where", "value", "key", "problems"),
    [
        ("world.shape", None, "world.shape", ["missing required field"]),
        ("world.shape", [2, 18], "world.shape.0", ["must be >= 3, got 2"]),
        ("world.shape", [6], "world.shape", ["must be a list of 2 entries"]),
        ("world.shape", [6, 7], "world.shape", ["H x W must equal", "= 36), got 6 x 7 = 42"]),
        ("world.shape", [4, 9], "world.shape", ["must equal circuit layer 0's shape [6, 6]"]),
        ("world.steps", [[0, 0]], "world.steps.0", ["must not be [0, 0]"]),
        ("world.steps", [[0, 1, 2]], "world.steps.0", ["must be a list of 2 entries"]),
        ("world.steps", [], "world.steps", ["is empty, so p_new_scene must be 1"]),
        ("world.steps", [1, -1], "world.steps.0", ["must be a list, got 1"]),
        ("world.orientations", 1, "world.orientations", ["must be >= 2, got 1"]),
        ("world.bar_length", 0.0, "world.bar_length", ["must be > 0"]),
        ("world.bar_width", -1, "world.bar_width", ["must be > 0"]),
        ("world.bars", [2, 1], "world.bars", ["min <= max"]),
        ("world.centres", [0.5, 0.2], "world.centres", ["lo < hi"]),
        (
            "world.channels",
            36,
            "world.channels",
            ["unknown key 'channels'", 'with kind = "torus" the allowed keys are', "shape"],
        ),
        (
            "world.orientation",
            4,
            "world.orientation",
            ["(did you mean 'orientations'?)", "bar_length", "bar_width"],
        ),
        ("world.kind", None, "world.kind", ["missing required field"]),
        ("world.kind", "disc", "world.kind", ["must be one of 'ring', 'torus', got 'disc'"]),
    ],
)
def test_torus_world_errors(tmp_path, where, value, key, problems):
    sc = changed(TORUS_SCENARIO, where, value, delete=value is None)
    assert_error(error_of(write_torus(tmp_path, sc)), "scenario.toml", key, *problems)


def test_ring_world_keys_stay_ring_specific(tmp_path):
    sc = changed(SCENARIO, "world.channels", delete=True)
    assert_error(error_of(write(tmp_path, sc)), "scenario.toml", "world.channels", "missing")
    sc = changed(SCENARIO, "world.shape", [8, 1])
    assert_error(
        error_of(write(tmp_path, sc)),
        "scenario.toml",
        "world.shape",
        "unknown key 'shape'",
        'with kind = "ring" the allowed keys are',
        "kappa",
    )


def test_torus_world_needs_a_torus_sensory_layer(tmp_path):
    model = changed(TORUS_MODEL, "circuit.layers.0", {"layout": "ring", "shape": [36]})
    sc = changed(TORUS_SCENARIO, "symmetry", delete=True)
    assert_error(
        error_of(write_torus(tmp_path, sc, model)),
        "model.toml",
        "circuit.layers.0.layout",
        "a torus world needs a 'torus' sensory layer, got 'ring'",
    )


def test_override_unknown_key_names_the_kind(tmp_path):
    msg = error_of(write_torus(tmp_path), overrides=["world.kappa=3"])
    assert_error(msg, "--set world.kappa=3", "world.kappa", 'with kind = "torus"', "bar_width")
    cfg = load_scenario(write_torus(tmp_path), overrides=["world.steps.0=[2,0]"])
    assert cfg.world.steps[0] == (2, 0)


@pytest.mark.parametrize(
    ("where", "value", "key", "problems"),
    [
        ("symmetry.lam", -1.0, "symmetry.lam", ["must be >= 0, got -1.0"]),
        ("symmetry.beta", 0, "symmetry.beta", ["must be > 0"]),
        ("symmetry.theta", 0.0, "symmetry.theta", ["must be > 0"]),
        ("symmetry.tau_dev", 2, "symmetry.tau_dev", ["needs a unit"]),
        ("symmetry.tau_dev", "0 s", "symmetry.tau_dev", ["must be > 0"]),
        ("symmetry.pi_min", 1.0, "symmetry.pi_min", ["must be < 1"]),
        ("symmetry.pi_min", 0.0, "symmetry.pi_min", ["must be > 0"]),
        ("symmetry.checkpoints", -1, "symmetry.checkpoints", ["must be >= 0"]),
        ("symmetry.probe_stimuli", 0, "symmetry.probe_stimuli", ["must be >= 1"]),
        (
            "symmetry.evidence_weights",
            [1.0, 0.0],
            "symmetry.evidence_weights",
            ["one weight per circuit layer (3)", "got [1.0, 0.0]"],
        ),
        ("symmetry.evidence_weights", [1, -1, 0], "symmetry.evidence_weights.1", [">= 0"]),
        ("symmetry.lamda", 1.0, "symmetry.lamda", ["did you mean 'lam'?"]),
        ("symmetry.candidates", [], "symmetry.candidates", ["at least 1 candidate, got 0"]),
        (
            "symmetry.candidates",
            None,
            "symmetry.candidates",
            ["missing required list of tables [[symmetry.candidates]]"],
        ),
        ("symmetry.candidates.0.name", None, "symmetry.candidates.0.name", ["missing required"]),
        (
            "symmetry.candidates.2.name",
            "right",
            "symmetry.candidates.2.name",
            ['duplicate candidate name "right"', "candidate 0"],
        ),
        (
            "symmetry.candidates.0.kind",
            "spin",
            "symmetry.candidates.0.kind",
            ["must be one of 'identity', 'rotate', 'shift'", "got 'spin'"],
        ),
        (
            "symmetry.candidates.0.axis",
            "x",
            "symmetry.candidates.0.axis",
            ["unknown key 'axis'", 'with kind = "shift" the allowed keys are: name, kind, by'],
        ),
        ("symmetry.candidates.0.bye", 1, "symmetry.candidates.0.bye", ["did you mean 'by'?"]),
        (
            "symmetry.candidates.0.by",
            1.5,
            "symmetry.candidates.0.by",
            ["must be an integer or a list of 2 integers, got 1.5"],
        ),
        ("symmetry.candidates.0.by", [1], "symmetry.candidates.0.by", ["list of 2 entries"]),
        ("symmetry.candidates.1.axis", "z", "symmetry.candidates.1.axis", ["'x', 'y'"]),
        (
            "symmetry.candidates.1.channels",
            3,
            "symmetry.candidates.1.channels",
            ["must be a string or a list of integers, got 3"],
        ),
        (
            "symmetry.candidates.0.by",
            None,
            "symmetry.candidates.0",
            ["candidate 'right' is not a valid transformation", "needs 'by'"],
        ),
        (
            "symmetry.candidates.1.axis",
            None,
            "symmetry.candidates.1",
            ["candidate 'flip' is not a valid transformation", "needs 'axis'"],
        ),
        (
            "symmetry.candidates.1.channels",
            "spin",
            "symmetry.candidates.1",
            ["'flip' is not a valid transformation", "unknown channel map 'spin'"],
        ),
    ],
)
def test_symmetry_errors(tmp_path, where, value, key, problems):
    sc = changed(TORUS_SCENARIO, where, value, delete=value is None)
    assert_error(error_of(write_torus(tmp_path, sc)), "scenario.toml", key, *problems)


def test_fixed_precision_has_its_own_defaults_and_no_time_constant(tmp_path):
    sc = changed(TORUS_SCENARIO, "symmetry.precision", "fixed")
    sym = load_scenario(write_torus(tmp_path, sc)).symmetry
    assert (sym.theta, sym.beta) == (0.01, 1000.0)
    sym = load_scenario(write_torus(tmp_path, sc), overrides=["symmetry.theta=0.04"]).symmetry
    assert (sym.theta, sym.beta) == (0.04, 1000.0)
    msg = error_of(write_torus(tmp_path, sc), overrides=["symmetry.tau_precision=2 s"])
    assert_error(msg, "--set symmetry.tau_precision=2 s", "symmetry.tau_precision", "'learned'")
    key = "symmetry.inference_precision"
    msg = error_of(write_torus(tmp_path, sc), overrides=[f"{key}=learned"])
    assert_error(msg, f"--set {key}=learned", key, "symmetry.precision is 'fixed'")


def test_inference_precision_defaults_to_fixed_and_reaches_the_prior(tmp_path):
    key = "symmetry.inference_precision"
    assert load_scenario(write_torus(tmp_path, TORUS_SCENARIO)).symmetry.inference_precision == (
        "fixed"
    )
    cfg = load_scenario(write_torus(tmp_path, TORUS_SCENARIO), overrides=[f"{key}=learned"])
    assert development_from_config(cfg).symmetry.weighs_inference


@pytest.mark.parametrize(
    ("where", "value", "key", "problems"),
    [
        ("symmetry.precision", "adaptive", "symmetry.precision", ["'learned'", "'fixed'"]),
        ("symmetry.tau_precision", "0 s", "symmetry.tau_precision", ["must be > 0"]),
        ("symmetry.tau_precision", "1 Hz", "symmetry.tau_precision", ["time"]),
        (
            "symmetry.inference_precision",
            "adaptive",
            "symmetry.inference_precision",
            ["'fixed'", "'learned'"],
        ),
        (
            "symmetry.evidence_weights",
            [1.0, 0.0, 0.5],
            "symmetry.evidence_weights",
            ["top layer has no error units", "must be 0 with precision = 'learned'"],
        ),
    ],
)
def test_learned_precision_errors(tmp_path, where, value, key, problems):
    sc = changed(TORUS_SCENARIO, where, value, delete=value is None)
    assert_error(error_of(write_torus(tmp_path, sc)), "scenario.toml", key, *problems)


def test_weight_coupling_end_anneals_a_coupling(tmp_path):
    sc = changed(TORUS_SCENARIO, "symmetry.weight_coupling", "3 Hz")
    end = "symmetry.weight_coupling_end"
    cfg = load_scenario(write_torus(tmp_path, sc), overrides=[f"{end}=0 Hz"])
    assert cfg.symmetry.weight_coupling_end == 0 * Hz
    assert load_scenario(write_torus(tmp_path, sc)).symmetry.weight_coupling_end is None
    msg = error_of(write_torus(tmp_path, TORUS_SCENARIO), overrides=[f"{end}=1 Hz"])
    assert_error(msg, f"--set {end}=1 Hz", end, "weight_coupling is 0 Hz (off)")
    msg = error_of(write_torus(tmp_path, sc), overrides=[f"{end}=-1 Hz"])
    assert_error(msg, f"--set {end}=-1 Hz", end, ">= 0")


def test_frame_step_coupling_must_not_overshoot(tmp_path):
    """coupling_step = "frame" takes one Euler step of weight_coupling x frame_duration
    (20 ms here): 3 Hz is a step of 0.06, 60 Hz of 1.2 (> 1, refused, as is an annealed
    coupling that reaches it)."""
    step = "symmetry.coupling_step"
    sc = changed(TORUS_SCENARIO, "symmetry.weight_coupling", "3 Hz")
    cfg = load_scenario(write_torus(tmp_path, sc), overrides=[f"{step}=frame"])
    assert cfg.symmetry.coupling_step == "frame"
    assert load_scenario(write_torus(tmp_path, sc)).symmetry.coupling_step == "dt"
    strong = changed(sc, "symmetry.weight_coupling", "60 Hz")
    msg = error_of(write_torus(tmp_path, strong), overrides=[f"{step}=frame"])
    assert_error(msg, f"--set {step}=frame", step, "= 1.2, exceeds 1")
    over = [f"{step}=frame", "symmetry.weight_coupling_end=60 Hz"]
    msg = error_of(write_torus(tmp_path, sc), overrides=over)
    assert_error(msg, f"--set {step}=frame", step, "= 1.2, exceeds 1")
    msg = error_of(write_torus(tmp_path, sc), overrides=[f"{step}=frames"])
    assert_error(msg, f"--set {step}=frames", step, "one of 'dt', 'frame', got 'frames'")


def test_candidate_kind_must_suit_the_sensory_layout(tmp_path):
    sc = changed(TORUS_SCENARIO, "symmetry.candidates.0", {"name": "r", "kind": "rotate", "by": 1})
    assert_error(
        error_of(write_torus(tmp_path, sc)),
        "scenario.toml",
        "symmetry.candidates.0",
        "candidate 'r' is not a valid transformation",
        "ring layout",
    )


def test_override_of_a_candidate_key_names_the_override(tmp_path):
    path = write_torus(tmp_path)
    msg = error_of(path, overrides=["symmetry.candidates.0.by=0"])
    assert msg.startswith(
        "--set symmetry.candidates.0.by=0: [at symmetry.candidates.0] "
        "candidate 'right' is not a valid transformation"
    ), msg
    msg = error_of(path, overrides=["symmetry.candidates.0.by=[0, 1]"])
    assert msg.startswith(
        "--set symmetry.candidates.0.by=[0, 1]: [at symmetry.candidates.0] "
        "candidate 'right' cannot be carried to circuit layer 1"
    ), msg


def test_candidate_must_carry_to_every_layer(tmp_path):
    # a 1-pixel shift of the 6 x 6 sheet is half a position of the 3 x 3 layer 1
    sc = changed(TORUS_SCENARIO, "symmetry.candidates.0.by", [0, 1])
    assert_error(
        error_of(write_torus(tmp_path, sc)),
        "scenario.toml",
        "symmetry.candidates.0",
        "candidate 'right' cannot be carried to circuit layer 1 (torus [3, 3] x 2 channels)",
        "whole number",
    )
    # a geometric candidate cannot reach a ring layer 2
    model = changed(TORUS_MODEL, "circuit.layers.2", {"layout": "ring", "shape": [4]})
    sc = changed(
        TORUS_SCENARIO, "symmetry.candidates", [{"name": "s", "kind": "shift", "by": [2, 0]}]
    )
    assert_error(
        error_of(write_torus(tmp_path, sc, model)),
        "scenario.toml",
        "symmetry.candidates.0",
        "cannot be carried to circuit layer 2 (ring [4] x 1 channels)",
        "from a torus layout to a ring layout",
    )


def test_invariant_layer_needs_no_layout_that_carries_the_candidates(tmp_path):
    # every candidate is the identity on an invariant layer: the ring above is fine
    model = changed(
        TORUS_MODEL, "circuit.layers.2", {"layout": "ring", "shape": [4], "invariant": True}
    )
    sc = changed(
        TORUS_SCENARIO, "symmetry.candidates", [{"name": "s", "kind": "shift", "by": [2, 0]}]
    )
    path = write_torus(tmp_path, sc, model)
    cfg = load_scenario(path)
    assert [layer.invariant for layer in cfg.circuit.layers] == [False, False, True]
    msg = error_of(path, overrides=["circuit.layers.2.invariant=false"])
    assert_error(msg, "scenario.toml", "symmetry.candidates.0", "cannot be carried to circuit")
    # the sensory layer defines the candidates
    msg = error_of(path, overrides=["circuit.layers.0.invariant=true"])
    assert_error(
        msg, "--set circuit.layers.0.invariant=true", "circuit.layers.0.invariant", "sensory"
    )


def test_probe_transformations_load_as_named_specs(tmp_path):
    diagonal = {"name": "diagonal", "kind": "shift", "by": [1, 1]}
    cfg = load_scenario(
        write_torus(tmp_path, changed(TORUS_SCENARIO, "probe.transformations", [diagonal]))
    )
    assert [t.spec() for t in cfg.probe.transformations] == [diagonal]
    wrong = changed(TORUS_SCENARIO, "probe.transformations", [{**diagonal, "axis": "x"}])
    msg = error_of(write_torus(tmp_path, wrong))
    assert_error(msg, "scenario.toml", "probe.transformations.0.axis", "unknown key")
