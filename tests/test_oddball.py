"""The oddball block (docs/model.md#54-the-oddball-block): the sequence, the response
window, the mismatch metrics on hand-made responses, the `[oddball]` table, and the
directions on the quick run."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import ms

from pcsim import oddball
from pcsim.config import load_scenario
from pcsim.worlds import RingWorld
from tests.test_config import SCENARIO, assert_error, changed, error_of, write

SPEC = oddball.OddballSpec(frames=400, p_deviant=0.3, magnitudes=(1, 3), window=20 * ms)


def test_block_follows_its_rules():
    world = RingWorld(channels=16, steps=(1, -1), noise_sd=0.0)
    block = oddball.block(SPEC, world, np.random.default_rng(2))
    kind, x = block.kind, block.x
    standard = x[0]
    assert np.all(kind[: SPEC.lead] == oddball.STANDARD)
    deviants = np.flatnonzero(kind != oddball.STANDARD)
    assert np.all(np.diff(deviants) > SPEC.min_standards)  # at least 2 standards between
    assert 0.1 < len(deviants) / SPEC.frames < 0.3  # p_deviant of the eligible frames
    for k in deviants:
        d = block.magnitude[k]
        moved = np.roll(standard, d)  # the ring's first generator: rotation by +1
        distance = np.linalg.norm(moved - standard)
        assert block.distance[k] == pytest.approx(distance)
        if kind[k] == oddball.GROUP:
            np.testing.assert_allclose(x[k], moved)
        else:  # the same distance, along the standard itself: a contrast change
            np.testing.assert_allclose(np.linalg.norm(x[k] - standard), distance)
            np.testing.assert_allclose(
                x[k] / np.linalg.norm(x[k]), standard / np.linalg.norm(standard)
            )
    standards = np.flatnonzero(kind == oddball.STANDARD)
    np.testing.assert_array_equal(x[standards], np.broadcast_to(standard, x[standards].shape))
    after = deviants[deviants + 1 < SPEC.frames] + 1
    assert np.all(block.repetition[after] == 1)
    assert {oddball.GROUP, oddball.CONTRAST} <= set(kind[deviants])


def test_response_is_the_windowed_mean_squared_error():
    steps, window = 5, 2
    eps = np.zeros((3 * steps + 1, 2))
    eps[steps + 1 : steps + 3] = [[1.0, 3.0], [2.0, 0.0]]  # frame 1's first two steps
    eps[steps + 3] = 100.0  # outside the window
    got = oddball.responses(eps, np.array([0, 1]), steps, window)
    np.testing.assert_allclose(got, [0.0, (1 + 9 + 4 + 0) / 4])


def test_metrics_of_hand_made_responses():
    kind = np.array([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0])
    magnitude = np.array([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0])
    repetition = np.array([0, 0, 0, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2])
    distance = np.where(magnitude == 1, 1.0, np.where(magnitude == 2, 2.0, 0.0))
    response = np.array([1, 1, 1, 5, 3, 1, 1, 2, 4, 2, 1, 9, 3, 1], dtype=float)
    labels = dict(kind=kind, magnitude=magnitude, repetition=repetition, distance=distance)
    m = oddball.metrics(labels, response)
    assert m["deviants"] == 3
    assert m["mismatch"]["group"] == {"1": 4.0, "2": 8.0}
    assert m["mismatch"]["contrast"] == {"1": 1.0, "2": None}  # no contrast deviant of 2
    assert m["slope_group"] == pytest.approx(4.0)
    assert m["slope_contrast"] is None  # one distance only
    assert m["group_minus_contrast"] == pytest.approx(3.0)
    assert m["mismatch_mean"] == pytest.approx(13 / 3)
    assert m["standard_by_repetition"]["1"] == pytest.approx(10 / 3)
    assert m["standard_by_repetition"]["3"] == pytest.approx(1.0)
    assert m["standard_by_repetition"]["4"] is None
    assert m["repetition_slope"] == pytest.approx(np.polyfit([1, 2, 3], [10 / 3, 4 / 3, 1], 1)[0])


RECORDING = {"variables": ["L0.eps"], "interval": "1 ms"}


@pytest.mark.parametrize(
    ("table", "monitors", "key", "problem"),
    [
        ({"window": "30 ms"}, RECORDING, "oddball.window", "at most world.frame_duration"),
        ({"window": "2.5 ms"}, RECORDING, "oddball.window", "whole multiple of simulation.dt"),
        ({}, {"variables": ["L0.eps"]}, "oddball", 'hold "L0.eps" and monitors.interval'),
        ({"p_deviant": 0.6}, RECORDING, "oddball.p_deviant", "must be <= 0.5"),
        ({"magnitudes": []}, RECORDING, "oddball.magnitudes", "at least 1"),
    ],
)
def test_oddball_table_errors(tmp_path, table, monitors, key, problem):
    sc = changed(changed(SCENARIO, "oddball", table), "monitors", monitors)
    assert_error(error_of(write(tmp_path, sc)), "scenario.toml", key, problem)


def test_oddball_needs_a_world_that_moves(tmp_path):
    sc = changed(changed(SCENARIO, "oddball", {}), "monitors", RECORDING)
    sc = changed(changed(sc, "world.steps", []), "world.p_new_scene", 1.0)
    msg = error_of(write(tmp_path, sc))
    assert_error(msg, "scenario.toml", "oddball", "needs a world with steps")


def test_oddball_table_defaults(tmp_path):
    sc = changed(changed(SCENARIO, "oddball", {}), "monitors", RECORDING)
    odd = load_scenario(write(tmp_path, sc)).oddball
    assert (odd.frames, odd.p_deviant, odd.magnitudes, odd.window) == (
        600,
        0.1,
        [1, 2, 4, 8],
        20 * ms,
    )


@pytest.mark.slow
def test_oddball_quick_run_directions(tmp_path):
    """Seed 1, quick: (a) the mismatch grows with deviance for both kinds in both
    conditions; (d) the standard's response falls after its first repetition; (c) as
    measured (README), group deviants evoke the *larger* mismatch at equal distance, with
    and without the prior: the signature the issue predicted does not come out."""
    from pcsim.experiment import run_scenario

    m = run_scenario(load_scenario("oddball", quick=True), tmp_path / "run", report=False)
    for condition in (m, m["baseline"]):
        odd = condition["oddball"]
        for kind in ("group", "contrast"):
            assert odd[f"slope_{kind}"] > 0, kind
        reps = odd["standard_by_repetition"]
        assert reps["1"] > 2 * reps["3"]
        assert odd["group_minus_contrast"] > 0
