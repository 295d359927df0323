"""Tests of the torus world's quarter-turn transitions (``rotations``), the range of its
new scenes' rows (``rows``) and ranges that straddle the wrap-around (``centres``,
``rows``, held-out and novel-position centres)."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from pcsim.config import load_scenario
from pcsim.config.schema import Probe
from pcsim.groups import transformation
from pcsim.validation import problems
from pcsim.worlds import RingWorld, TorusWorld, rotation
from tests.test_config import TORUS_MODEL, assert_error, changed, error_of, write_torus
from tests.test_config import TORUS_SCENARIO as TORUS


def candidate(k: int) -> dict:
    """The candidate spec of ``k`` quarter turns, as a scenario lists it."""
    return {"kind": "rotate90", "times": k, "channels": "rotate90"}


def turned(centre: tuple[float, float], k: int, h: int) -> tuple[float, float]:
    """Where ``k`` quarter turns about pixel (0, 0) take a point: ``(r, c) -> (-c, r)``."""
    r, c = centre
    for _ in range(k):
        r, c = (-c) % h, r
    return r, c


# -- rotations as transitions -------------------------------------------------------------


def test_rotation_transitions_are_the_candidates():
    world = TorusWorld(shape=(7, 7), reflections=("y",), rotations=(1, 2, 3))
    layout = world.layout()
    specs = world.generator_specs()
    kinds = ["shift"] * 4 + ["reflect"] + ["rotate90"] * 3
    assert [g["kind"] for g in specs] == kinds
    assert specs[-3:] == [rotation(1), rotation(2), rotation(3)]
    assert world.transition_names().endswith("reflect_y, rotate90, rotate180, rotate270")
    img = np.random.default_rng(0).normal(size=world.n_units)
    for k, spec in zip((1, 2, 3), specs[-3:], strict=True):
        perm = transformation(layout, spec)
        np.testing.assert_array_equal(perm.array, transformation(layout, candidate(k)).array)
        # the image turned k times about pixel (0, 0): np.rot90 moved back onto the torus
        want = img.reshape(7, 7)
        for _ in range(k):
            want = np.roll(np.rot90(want), 1, axis=0)
        np.testing.assert_array_equal(perm.apply(img), want.ravel())


def test_a_sequence_turns_with_step_codes_as_often_as_weighted():
    weights = (1, 1, 2, 4)  # one step, one mirror, then a half and a three-quarter turn
    world = TorusWorld(
        shape=(6, 6),
        steps=((0, 1),),
        reflections=("x",),
        rotations=(2, 3),
        weights=weights,
        noise_sd=0.0,
        p_new_scene=0.1,
    )
    seq = world.sequence(3000, np.random.default_rng(4))
    specs = world.generator_specs()
    moved = np.flatnonzero(~seq.new_scene)
    assert set(np.unique(seq.step)) == {0, 1, 2, 3, 4}
    index = world.generator_index(seq.step[moved])
    np.testing.assert_array_equal(index, seq.step[moved] - 1)
    perms = [transformation(world.layout(), g) for g in specs]
    for i, f in enumerate(moved):
        np.testing.assert_array_equal(seq.clean[f], perms[index[i]].apply(seq.clean[f - 1]))
    # frames turned by k quarter turns are the candidate's image of the frame before
    for code, k in ((3, 2), (4, 3)):
        for f in moved[seq.step[moved] == code][:20]:
            want = transformation(world.layout(), candidate(k)).apply(seq.clean[f - 1])
            np.testing.assert_array_equal(seq.clean[f], want)
    share = np.bincount(index, minlength=4) / len(index)
    expected = np.array(weights) / sum(weights)
    sd = np.sqrt(expected * (1 - expected) / len(index))
    assert np.all(np.abs(share - expected) < 4 * sd), share


def test_weights_cover_steps_reflections_then_rotations():
    world = TorusWorld(shape=(5, 5), reflections=("x",), rotations=(1,), weights=[1] * 6)
    assert len(world.weights) == len(world.generator_specs()) == 6
    with pytest.raises(ValidationError) as info:
        TorusWorld(shape=(5, 5), reflections=("x",), rotations=(1,), weights=[1] * 5)
    ((key, message),) = problems(info.value, TorusWorld)
    assert key == "weights", key
    assert "one weight per transition (6: shift(0,1)" in message
    assert "reflect_x, rotate90), got 5" in message
    # rotations alone are transitions enough for p_new_scene < 1
    only = TorusWorld(shape=(5, 5), steps=(), rotations=(1,), p_new_scene=0.5)
    assert only.transition_names() == "rotate90"


@pytest.mark.parametrize("orientations", [2, 4, 6, 8])
@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("size", [13, 16])
def test_a_turned_bar_is_the_bar_of_the_turned_orientation(orientations, k, size):
    """Turning a bar image by k quarter turns gives the bar of orientation o + k O/2 (mod
    O) centred at the turned centre (integer pixels, so the pixel grid maps onto itself)."""
    world = TorusWorld(shape=(size, size), orientations=orientations, rotations=(k,))
    centres = [(3.0, 5.0), (10.0, 1.0), (0.0, 12.0)]
    orient = np.arange(3) % orientations
    amps = [1.0, 0.7, 0.5]
    image = world.render(centres, orient, amps)
    moved = transformation(world.layout(), world.generator_specs()[-1]).apply(image)
    want = world.render(
        [turned(c, k, size) for c in centres], (orient + k * orientations // 2) % orientations, amps
    )
    np.testing.assert_allclose(moved, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "key", "message"),
    [
        (
            {"shape": (6, 7), "rotations": (1,)},
            "rotations",
            r"needs a square shape .* got shape \[6, 7\]",
        ),
        ({"shape": (6, 6), "rotations": (2, 2)}, "rotations", "lists a quarter-turn count twice"),
        (
            {"shape": (6, 6), "rotations": (1, 3, 1)},
            "rotations",
            "lists a quarter-turn count twice",
        ),
        ({"shape": (6, 6), "rotations": (4,)}, "rotations.0", "less than or equal to 3"),
        ({"shape": (6, 6), "rotations": (0,)}, "rotations.0", "greater than or equal to 1"),
        ({"shape": (6, 6), "rotations": (True,)}, "rotations.0", "a valid integer"),
        ({"shape": (6, 6), "rotations": (1.0,)}, "rotations.0", "a valid integer"),
    ],
)
def test_bad_rotations_raise_with_messages(kwargs, key, message):
    with pytest.raises(ValidationError, match=rf"{key}\n.*{message}"):
        TorusWorld(**kwargs)


def test_scenario_rotations_load_and_are_checked(tmp_path):
    world = {**TORUS["world"], "rotations": [1, 2], "rows": [-0.25, 0.25]}
    cfg = load_scenario(write_torus(tmp_path, changed(TORUS, "world", world)))
    assert cfg.world.rotations == (1, 2) and cfg.world.rows == (-0.25, 0.25)
    assert cfg.world.generator_specs()[-2:] == [rotation(1), rotation(2)]
    # a non-square sheet cannot turn
    model = changed(TORUS_MODEL, "circuit.layers.0.shape", [6, 8])
    model = changed(model, "circuit.layers.1.shape", [3, 4])
    model = changed(model, "circuit.layers.2.shape", [3, 4])
    world = {**TORUS["world"], "shape": [6, 8], "rotations": [1]}
    msg = error_of(write_torus(tmp_path, changed(TORUS, "world", world), model))
    assert_error(msg, "scenario.toml", "world.rotations", "needs a square shape", "[6, 8]")
    world = {**TORUS["world"], "rotations": [3, 3]}
    msg = error_of(write_torus(tmp_path, changed(TORUS, "world", world)))
    assert_error(msg, "scenario.toml", "world.rotations", "lists a quarter-turn count twice")


# -- rows and wrapped ranges ----------------------------------------------------------------


def in_band(x: np.ndarray, lo: float, hi: float, n: int) -> np.ndarray:
    """Whether positions ``x`` (in [0, n)) lie in ``[lo n, hi n)`` wrapped modulo ``n``."""
    return np.mod(x - lo * n, n) < (hi - lo) * n


def test_wrapped_centres_and_rows_keep_bars_in_the_band():
    h, w = 10, 20
    world = TorusWorld(shape=(h, w), bars=(1, 3), centres=(-0.25, 0.25), rows=(-0.3, 0.1))
    rng = np.random.default_rng(6)
    centres = np.concatenate([world.draw_scene(rng)[0] for _ in range(2000)])
    cy, cx = centres[:, 0], centres[:, 1]
    assert np.all((cy >= 0) & (cy < h) & (cx >= 0) & (cx < w))
    assert np.all(in_band(cx, -0.25, 0.25, w)) and np.all(in_band(cy, -0.3, 0.1, h))
    # uniform over the band: each side of the seam holds its share (4 s.d.)
    n = len(cx)
    for share, got in ((0.5, np.mean(cx >= w / 2)), (0.75, np.mean(cy >= h / 2))):
        assert abs(got - share) < 4 * np.sqrt(share * (1 - share) / n), (share, got)
    # held-out centres override the columns only; the rows keep the world's band
    held = np.concatenate([world.draw_scene(rng, centres=(-0.1, 0.1))[0] for _ in range(500)])
    assert np.all(in_band(held[:, 1], -0.1, 0.1, w)) and np.all(in_band(held[:, 0], -0.3, 0.1, h))
    assert np.mean(held[:, 1] >= w / 2) > 0.3  # both sides of column 0
    # the images follow: all of a one-bar scene's mass sits near the band
    one = TorusWorld(shape=(h, w), bars=(1, 1), centres=(-0.1, 0.1), rows=(-0.1, 0.1), noise_sd=0.0)
    frames = one.heldout(50, np.random.default_rng(2)).clean.reshape(50, h, w)
    peak_rows, peak_cols = np.unravel_index(frames.reshape(50, -1).argmax(axis=1), (h, w))
    assert np.all(np.minimum(peak_rows, h - peak_rows) <= 4)
    assert np.all(np.minimum(peak_cols, w - peak_cols) <= 5)


def test_wrapped_ring_centres_straddle_channel_0():
    world = RingWorld(channels=16, bumps=(1, 2), centres=(-0.25, 0.25))
    rng = np.random.default_rng(3)
    where = np.concatenate([world.draw_scene(rng)[0] for _ in range(2000)])
    assert np.all((where >= 0) & (where < 16)) and np.all(in_band(where, -0.25, 0.25, 16))
    assert abs(np.mean(where >= 8) - 0.5) < 4 * np.sqrt(0.25 / len(where))
    # a bump's peak is the channel nearest its centre, on either side of channel 0
    peaks = RingWorld(channels=16, bumps=(1, 1), noise_sd=0.0).heldout(
        200, np.random.default_rng(1), centres=(-0.125, 0.125)
    )
    top = peaks.clean.argmax(axis=1)
    assert np.all(np.minimum(top, 16 - top) <= 2) and np.any(top >= 14) and np.any(top <= 2)


def test_rows_default_draws_as_before():
    """With the default rows (0, 1) a scene's draws are bit for bit those before rows
    existed: the row is rng.uniform(0.0, H)."""
    world = TorusWorld(shape=(7, 9), bars=(3, 3), centres=(0.25, 0.75))
    centres, orient, amps = world.draw_scene(np.random.default_rng(11))
    assert centres[:, 0].tolist() == [0.8999914193843973, 3.4949450370808046, 4.210488503363502]
    assert centres[:, 1].tolist() == [2.3791005376737506, 2.915667380598552, 6.426949603321662]
    assert orient.tolist() == [2, 0, 2]
    assert amps.tolist() == [0.9741642266458875, 0.8109417963981914, 0.6844965618648955]
    rng = np.random.default_rng(11)
    n = int(rng.integers(3, 4))
    np.testing.assert_array_equal(centres[:, 0], rng.uniform(0.0, 7, size=n))
    held = TorusWorld(shape=(7, 9)).heldout(2, np.random.default_rng(5), centres=(0.5, 0.75))
    assert held.x[0, 30] == 0.2144696679494948 and held.x[1, 40] == -0.049665048780634866


@pytest.mark.parametrize(
    ("kwargs", "key", "message"),
    [
        ({"centres": (-0.5, 0.75)}, "centres", r"needs lo < hi and hi - lo <= 1"),
        ({"centres": (-1.0, 1.0)}, "centres", r"hi - lo <= 1 .*got \[-1.0, 1.0\]"),
        ({"rows": (0.5, 0.5)}, "rows", r"needs lo < hi"),
        ({"rows": (0.6, -0.2)}, "rows", r"needs lo < hi"),
        ({"rows": (-1.5, 0.0)}, "rows.0", "greater than or equal to -1"),
        ({"rows": (0.0, 1.5)}, "rows.1", "less than or equal to 1"),
        ({"rows": (0.5,)}, "rows", "must be a list of 2 entries"),
    ],
)
def test_invalid_ranges_raise_naming_the_key(kwargs, key, message):
    with pytest.raises(ValidationError, match=rf"{key}\n.*{message}"):
        TorusWorld(shape=(6, 6), **kwargs)
    with pytest.raises(ValidationError) as info:
        TorusWorld(shape=(6, 6), **kwargs)
    assert problems(info.value, TorusWorld)[0][0] == key


def test_wrapped_ranges_are_valid_and_checked_everywhere(tmp_path):
    assert TorusWorld(shape=(6, 6), centres=(-1.0, 0.0), rows=(-0.25, 0.75)).rows == (-0.25, 0.75)
    assert Probe(novel_centres=(-0.2, 0.2)).novel_centres == (-0.2, 0.2)
    with pytest.raises(ValueError, match="centres"):
        TorusWorld(shape=(6, 6)).heldout(2, np.random.default_rng(0), centres=(-0.6, 0.6))
    with pytest.raises(ValueError, match="centres"):
        RingWorld(channels=8).heldout(2, np.random.default_rng(0), centres=(0.2, -0.2))
    world = {**TORUS["world"], "rows": [0.5, 0.25]}
    msg = error_of(write_torus(tmp_path, changed(TORUS, "world", world)))
    assert_error(msg, "scenario.toml", "world.rows", "needs lo < hi and hi - lo <= 1")
    scenario = changed(TORUS, "probe.novel_centres", [-0.5, 0.6])
    msg = error_of(write_torus(tmp_path, scenario))
    assert_error(msg, "scenario.toml", "probe.novel_centres", "hi - lo <= 1")
    cfg = load_scenario(write_torus(tmp_path, changed(TORUS, "probe.novel_centres", [-0.2, 0.2])))
    assert cfg.probe.novel_centres == (-0.2, 0.2)
