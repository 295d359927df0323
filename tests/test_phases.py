"""Phased worlds (docs/model.md#45-phased-worlds): the frames each phase shows, the
`[[training.phases]]` tables, the per-phase metrics on hand-made pi traces, and the
directions of the rearing and development scenarios on their quick runs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from brian2 import Hz, ms

from pcsim import analysis
from pcsim.circuit import CircuitSpec, LayerSpec
from pcsim.config import load_scenario
from pcsim.errors import ConfigError
from pcsim.layouts import Layout
from pcsim.symmetry import symmetry_prior
from pcsim.worlds import Phase, PhasedWorld, TorusWorld
from tests.test_config import TORUS_SCENARIO, assert_error, changed, error_of, write_torus

X_ONLY = ((0, 1), (0, -1))
ALL = ((0, 1), (1, 0), (0, -1), (-1, 0))


def phased(frames=(30, 20)) -> PhasedWorld:
    x = TorusWorld(shape=(6, 6), steps=X_ONLY, noise_sd=0.0)
    full = TorusWorld(shape=(6, 6), steps=ALL, noise_sd=0.0)
    return PhasedWorld((Phase("x", x, frames[0]), Phase("full", full, frames[1])))


def test_each_phase_shows_its_own_world():
    world = phased()
    seq = world.sequence(50, np.random.default_rng(3))
    union = world.probe_specs()
    assert [g["by"] for g in union] == [[0, 1], [0, -1], [1, 0], [-1, 0]]
    assert world.generator_specs() == [{"kind": "shift", "by": list(s)} for s in ALL]
    assert seq.new_scene[0] and seq.new_scene[30]  # every phase starts with a new scene
    index = world.generator_index(seq.step)
    assert set(index[:30][index[:30] >= 0]) <= {0, 1}  # x-shifts only in phase "x"
    assert {2, 3} & set(index[30:])  # y-shifts appear in phase "full"
    for k in np.flatnonzero(index >= 0):  # every step code is the move that was made
        by = union[index[k]]["by"]
        moved = np.roll(seq.clean[k - 1].reshape(6, 6), by, axis=(0, 1)).ravel()
        np.testing.assert_array_equal(seq.clean[k], moved)
    assert world.starts == [0, 30] and world.n_frames == 50


def test_a_phased_world_refuses_other_sizes_and_frame_counts():
    other = TorusWorld(shape=(4, 4), steps=ALL)
    with pytest.raises(ValueError, match="kind and size of the first"):
        PhasedWorld((*phased().phases, Phase("small", other, 5)))
    with pytest.raises(ValueError, match="the phases have 50 frames, not 40"):
        phased().sequence(40, np.random.default_rng(0))


def torus_phases(phases, frames=10) -> dict:
    return changed(TORUS_SCENARIO, "training", {"frames": frames, "phases": phases})


def test_phases_load_into_worlds(tmp_path):
    sc = torus_phases(
        [
            {"name": "x", "frames": 6, "world": {"steps": [[0, 1], [0, -1]]}},
            {"name": "full", "frames": 4},
        ]
    )
    cfg = load_scenario(write_torus(tmp_path, sc))
    worlds = cfg.phase_worlds()
    assert worlds[0].steps == X_ONLY and worlds[1] == cfg.world


@pytest.mark.parametrize(
    ("phases", "key", "problem"),
    [
        ([{"name": "a", "frames": 4}], "training.phases", "add up to 4, but training.frames is 10"),
        ([], "training.phases", "at least one phase"),
        (
            [{"name": "a", "frames": 5}, {"name": "a", "frames": 5}],
            "training.phases.1.name",
            'duplicate phase name "a"',
        ),
        (
            [{"name": "a", "frames": 10, "world": {"shape": [4, 4]}}],
            "training.phases.0.world.shape",
            "cannot change world.shape",
        ),
        (
            [{"name": "a", "frames": 10, "world": {"steps": [[0, 0]]}}],
            "training.phases.0.world.steps.0",
            "must not be [0, 0] modulo the shape",
        ),
        (
            [{"name": "a", "frames": 10, "world": {"kapa": 1.0}}],
            "training.phases.0.world.kapa",
            "unknown key 'kapa'",
        ),
        ([{"name": "a", "frames": 0}], "training.phases.0.frames", "must be >= 1"),
        ([{"frames": 10}], "training.phases.0.name", "missing"),
    ],
)
def test_phase_errors_name_the_phase_and_key(tmp_path, phases, key, problem):
    msg = error_of(write_torus(tmp_path, torus_phases(phases)))
    assert_error(msg, "scenario.toml", key, problem)


def test_phase_metrics_of_hand_made_pi():
    """Two candidates (x+1 applied throughout, y+1 only in the second phase): y+1 falls
    below pi_min after 3 frames of phase 1 and rises above it 2 frames into phase 2."""
    spec = CircuitSpec(
        layers=(LayerSpec(Layout("torus", (6, 6))), LayerSpec(Layout("torus", (6, 6)))),
        tau_r=10 * ms,
        eta=1 * Hz,
    )
    candidates = [
        {"name": "x+1", "kind": "shift", "by": [0, 1]},
        {"name": "y+1", "kind": "shift", "by": [1, 0]},
    ]
    sym = symmetry_prior(spec, candidates, evidence_weights=(1.0, 0.0))
    world = phased((5, 4))
    y = [0.2, 0.1, 0.04, 0.03, 0.01, 0.02, 0.3, 0.4, 0.5]
    pi = np.column_stack([np.full(9, 0.1), np.full(9, 0.5), y])
    course = [
        {"frames_developed": f, "equivariance_error": {"L1": {"shift(1,0)": v}}}
        for f, v in [(0, 1.4), (5, 1.2), (7, 0.9), (9, 0.2)]
    ]
    dev = SimpleNamespace(spec=spec, symmetry=sym, world=world)
    plan = SimpleNamespace(develop=np.arange(9))
    result = SimpleNamespace(frame_traces={"cand.prior": pi})
    first, second = analysis.phase_metrics(dev, plan, result, course)
    assert first["pruned_after"] == {"y+1": 3} and first["accepted_after"] == {}
    assert first["accepted_at_end"] == ["x+1"]
    assert second["accepted_after"] == {"y+1": 2} and second["pruned_after"] == {}
    assert second["accepted_at_end"] == ["x+1", "y+1"]
    # y-shifts start in phase 2: from 1.2 (frame 5) to 0.2 (frame 9), halfway 0.7 at frame 9
    assert second["equivariance_half_time"]["shift(1,0)"] == 4
    assert second["first_frame"] == 5 and second["generators"][1] == "shift(1,0)"


def outcome_of(name: str, tmp_path) -> dict:
    from pcsim.experiment import run_scenario

    cfg = load_scenario(name, quick=True)
    return run_scenario(cfg, tmp_path / name, report=False)


@pytest.mark.slow
def test_rearing_quick_run_shows_deprivation_and_recovery(tmp_path):
    m = outcome_of("rearing", tmp_path)
    for condition in (m, m["baseline"]):  # the evidence is the sensory layer's in both
        reared, recovery = condition["phases"]
        assert not {"shift_y+1", "shift_y-1"} & set(reared["accepted_at_end"])
        assert {"shift_y+1", "shift_y-1"} <= set(recovery["accepted_at_end"])
    course = m["equivariance_course"]
    after_rearing = next(c for c in course if c["frames_developed"] == 800)["equivariance_error"]
    l1 = after_rearing["L1"]
    assert l1["shift(1,0)"] > 1.5 * l1["shift(0,1)"]  # y-equivariance lags after rearing
    assert course[-1]["equivariance_error"]["L1"]["shift(1,0)"] < l1["shift(1,0)"]  # recovers
    assert m["equivariance_error_mean"]["L1"] < 0.5 * m["baseline"]["equivariance_error_mean"]["L1"]


@pytest.mark.slow
def test_development_quick_run_tracks_the_world(tmp_path):
    m = outcome_of("development", tmp_path)
    x_only, both, y_only = m["phases"]
    assert all(n is not None for n in both["accepted_after"].values())
    assert set(both["accepted_after"]) == {"shift_y+1", "shift_y-1"}
    assert set(y_only["pruned_after"]) == {"shift_x+1", "shift_x-1"}
    assert all(n is not None for n in y_only["pruned_after"].values())
    assert set(y_only["accepted_at_end"]) == {"shift_y+1", "shift_y-1"}


def test_quick_phases_must_add_up_too(tmp_path):
    sc = torus_phases([{"name": "a", "frames": 10}])
    sc["quick"]["training"] = {"frames": 4}
    with pytest.raises(ConfigError, match="add up to 10, but training.frames is 4"):
        load_scenario(write_torus(tmp_path, sc), quick=True)
