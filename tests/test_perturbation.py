"""The perturbation block (docs/model.md#56-the-perturbation-block): its frames, the
occlusion, the metrics on hand-made rates, and the `[perturbation]` table."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from pcsim import perturbation
from pcsim.config import load_scenario
from pcsim.worlds import RingWorld, TorusWorld
from tests.test_config import SCENARIO, assert_error, changed, error_of, write
from tests.test_perception import paradigm_plan

SPEC = perturbation.PerturbationSpec(scenes=3, noise=(0.1, 0.3), occlusion=(0.25, 0.5))


def test_block_shows_each_clean_scene_then_its_versions():
    world = RingWorld(channels=16, noise_sd=0.2)
    x, labels = SPEC.stimuli(world, np.random.default_rng(0))
    assert x.shape == (3 * 5, 16)
    kinds = [perturbation.CLEAN, perturbation.NOISE, perturbation.NOISE]
    kinds += [perturbation.OCCLUSION, perturbation.OCCLUSION]
    np.testing.assert_array_equal(labels["kind"], kinds * 3)
    np.testing.assert_array_equal(labels["level"], [0, 0.1, 0.3, 0.25, 0.5] * 3)
    np.testing.assert_array_equal(labels["scene"], np.repeat([0, 1, 2], 5))
    rng = np.random.default_rng(0)
    first = world.scene(rng)  # the clean frame carries no world noise
    np.testing.assert_array_equal(x[0], first)
    np.testing.assert_array_equal(x[1], first + rng.normal(0.0, 0.1, 16))  # fresh noise
    np.testing.assert_array_equal(x[2], first + rng.normal(0.0, 0.3, 16))
    hidden = x[3] == 0
    assert hidden.sum() == 4 and np.all(x[3][~hidden] == x[0][~hidden])


def test_occlusion_hides_a_contiguous_band_of_columns():
    world = TorusWorld(shape=(4, 8))
    image = np.arange(1, 33, dtype=float)
    out = perturbation.occlude(world, image, 0.25, np.random.default_rng(3)).reshape(4, 8)
    hidden = np.flatnonzero(np.all(out == 0, axis=0))
    assert len(hidden) == 2 and (hidden[1] - hidden[0]) % 8 in (1, 7)  # wrapping band
    assert np.count_nonzero(out) == 24


def test_metrics_of_hand_made_rates():
    """Rates that are twice the input: the representation changes exactly as much as
    the input (relative), so every gain is 1; rates that ignore the input: gain 0."""
    world = RingWorld(channels=16, noise_sd=0.0)
    x, labels = SPEC.stimuli(world, np.random.default_rng(1))
    plan = paradigm_plan(x, "perturbation", labels)
    m = SPEC.metrics(None, plan, SimpleNamespace(frame_traces={"L1.r": 2 * x}))
    clean = x[labels["kind"] == perturbation.CLEAN]
    noisy = x[(labels["kind"] == perturbation.NOISE) & (labels["level"] == 0.3)]
    change = np.mean(np.linalg.norm(noisy - clean, axis=1) / np.linalg.norm(clean, axis=1))
    assert m["noise"]["0.3"]["input_change"] == pytest.approx(change)
    assert m["noise"]["0.3"]["representation_change"] == pytest.approx(change)
    for kind in ("noise", "occlusion"):
        assert [r["gain"] for r in m[kind].values()] == pytest.approx([1.0, 1.0])
    still = SimpleNamespace(frame_traces={"L1.r": np.ones_like(x)})
    assert SPEC.metrics(None, plan, still)["occlusion"]["0.5"]["gain"] == 0.0


@pytest.mark.parametrize(
    ("table", "key", "problem"),
    [
        ({"noise": [0.1, -0.1]}, "perturbation.noise.1", "must be > 0"),
        ({"occlusion": [1.0]}, "perturbation.occlusion.0", "must be < 1"),
        ({"layer": 3}, "perturbation.layer", "(1..1), got 3"),
        ({"scenes": 0}, "perturbation.scenes", "must be >= 1"),
    ],
)
def test_perturbation_table_errors(tmp_path, table, key, problem):
    msg = error_of(write(tmp_path, changed(SCENARIO, "perturbation", table)))
    assert_error(msg, "scenario.toml", key, problem)


def test_perturbation_table_defaults(tmp_path):
    seen = load_scenario(write(tmp_path, changed(SCENARIO, "perturbation", {}))).perturbation
    assert (seen.scenes, seen.noise, seen.occlusion, seen.layer) == (
        8,
        [0.05, 0.1, 0.2, 0.4],
        [0.125, 0.25, 0.5],
        1,
    )
