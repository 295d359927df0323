"""Tests of pcsim.worlds: the ring world (orientation hypercolumn) and the torus world
(retinotopic sheet of translating oriented bars)."""

import math

import numpy as np
import pytest
from brian2 import ms
from pydantic import ValidationError

from pcsim.config.schema import RingWorldTable, TorusWorldTable
from pcsim.groups import ring_rotation, transformation
from pcsim.layouts import Layout
from pcsim.worlds import FrameSequence, RingWorld, TorusWorld


def test_same_seed_gives_identical_arrays():
    world = RingWorld(channels=16)
    a = world.sequence(200, np.random.default_rng(7))
    b = world.sequence(200, np.random.default_rng(7))
    c = world.sequence(200, np.random.default_rng(8))
    for name in ("x", "clean", "step"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.x, c.x)
    h1 = world.heldout(20, np.random.default_rng(3), centres=(0.0, 0.5))
    h2 = world.heldout(20, np.random.default_rng(3), centres=(0.0, 0.5))
    np.testing.assert_array_equal(h1.x, h2.x)


def test_shapes_and_dtypes():
    seq = RingWorld(channels=12).sequence(30, np.random.default_rng(0))
    assert isinstance(seq, FrameSequence)
    assert seq.x.shape == seq.clean.shape == (30, 12)
    assert seq.x.dtype == seq.clean.dtype == np.float64
    assert seq.step.shape == (30,) and np.issubdtype(seq.step.dtype, np.integer)
    assert seq.n_frames == 30 and seq.channels == 12
    assert seq.step[0] == 0 and seq.new_scene[0]
    with pytest.raises(ValueError):
        seq.x[0, 0] = 1.0  # read-only


def test_rotated_frame_is_roll_of_previous_clean_frame():
    world = RingWorld(channels=16, steps=(1, -1, 3))
    seq = world.sequence(300, np.random.default_rng(1))
    moved = np.flatnonzero(seq.step != 0)
    assert moved.size > 100
    assert set(np.unique(seq.step[moved])) == {1, -1, 3}
    for k in moved:
        np.testing.assert_array_equal(seq.clean[k], np.roll(seq.clean[k - 1], seq.step[k]))
    # the same move as pcsim.groups' ring rotation
    layout = Layout("ring", (16,))
    k = moved[0]
    rot = ring_rotation(layout, int(seq.step[k]))
    np.testing.assert_array_equal(rot.apply(seq.clean[k - 1]), seq.clean[k])


def test_fraction_of_new_scenes_matches_p_new_scene():
    p, n = 0.2, 5001
    seq = RingWorld(channels=8, p_new_scene=p).sequence(n, np.random.default_rng(2))
    # frames 1..n-1 are new scenes independently with probability p: Binomial(n-1, p);
    # allow 4 standard deviations (two-sided false-alarm rate ~6e-5).
    count = int(seq.new_scene[1:].sum())
    sd = math.sqrt((n - 1) * p * (1 - p))
    assert abs(count - (n - 1) * p) < 4 * sd


def test_extreme_p_new_scene():
    rng = np.random.default_rng(0)
    only_new = RingWorld(channels=8, steps=(), p_new_scene=1.0).sequence(50, rng)
    assert np.all(only_new.step == 0)
    never_new = RingWorld(channels=8, p_new_scene=0.0).sequence(50, rng)
    assert np.all(never_new.step[1:] != 0)


@pytest.mark.parametrize("centre", [0.0, 3.0, 7.4, 15.6])
def test_bump_peak_sits_at_centre(centre):
    world = RingWorld(channels=16, kappa=4.0)
    frame = world.render([centre], [0.8])
    assert int(np.argmax(frame)) == round(centre) % 16
    # peak value is the amplitude when the centre is on a channel
    on_channel = world.render([5.0], [0.8])
    assert on_channel[5] == pytest.approx(0.8)
    # the formula of the brief
    i = np.arange(16)
    want = 0.8 * np.exp(4.0 * (np.cos(2 * np.pi * (i - centre) / 16) - 1))
    np.testing.assert_allclose(frame, want)


def test_bumps_add():
    world = RingWorld(channels=16)
    both = world.render([2.0, 9.0], [0.5, 1.0])
    np.testing.assert_allclose(both, world.render([2.0], [0.5]) + world.render([9.0], [1.0]))


def test_scene_draws_respect_ranges():
    world = RingWorld(channels=32, bumps=(1, 3), contrast=(0.4, 0.6), centres=(0.25, 0.5))
    rng = np.random.default_rng(4)
    counts = set()
    for _ in range(300):
        centres, amps = world.draw_scene(rng)
        counts.add(len(centres))
        assert np.all((amps >= 0.4) & (amps <= 0.6))
        assert np.all((centres >= 8.0) & (centres < 16.0))
    assert counts == {1, 2, 3}


def test_heldout_respects_centre_restriction():
    world = RingWorld(channels=32, bumps=(1, 1), noise_sd=0.0)
    held = world.heldout(400, np.random.default_rng(5), centres=(0.5, 0.75))
    assert np.all(held.step == 0)
    peaks = held.clean.argmax(axis=1)
    # centres in [16, 24) channels; the peak is the nearest channel
    assert peaks.min() >= 16 and peaks.max() <= 24
    assert peaks.max() - peaks.min() >= 6  # spread over the range, not stuck
    default = world.heldout(400, np.random.default_rng(5))
    assert default.clean.argmax(axis=1).min() < 8  # without override: the whole ring


def test_noise_sd_estimate():
    sd = 0.05
    world = RingWorld(channels=16, noise_sd=sd)
    seq = world.sequence(2000, np.random.default_rng(6))
    noise = seq.x - seq.clean
    n = noise.size
    # s.e. of a sample s.d. of n Gaussian draws is about sd / sqrt(2 n); allow 5 of them
    assert abs(noise.std() - sd) < 5 * sd / math.sqrt(2 * n)
    assert abs(noise.mean()) < 5 * sd / math.sqrt(n)
    # noise is not rotated with the scene: consecutive rotated frames' noise is uncorrelated
    moved = np.flatnonzero(seq.step != 0)
    a = noise[moved].ravel()
    b = np.stack([np.roll(noise[k - 1], seq.step[k]) for k in moved]).ravel()
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / math.sqrt(a.size)
    clean_world = RingWorld(channels=16, noise_sd=0.0).sequence(10, np.random.default_rng(0))
    np.testing.assert_array_equal(clean_world.x, clean_world.clean)


@pytest.mark.parametrize(
    ("kwargs", "key", "message"),
    [
        ({"channels": 2}, "channels", "greater than or equal to 3"),
        ({"channels": 8.0}, "channels", "a valid integer"),
        ({"channels": 8, "steps": (1, 8)}, "steps", "nonzero modulo channels = 8"),
        ({"channels": 8, "steps": (0,)}, "steps", "nonzero modulo channels = 8"),
        ({"channels": 8, "bumps": (2, 1)}, "bumps", "needs min <= max"),
        ({"channels": 8, "bumps": (0, 1)}, "bumps.0", "greater than or equal to 1"),
        ({"channels": 8, "bumps": (1,)}, "bumps", "must be a list of 2 entries"),
        ({"channels": 8, "kappa": 0.0}, "kappa", "greater than 0"),
        ({"channels": 8, "contrast": (1.0, 0.5)}, "contrast", "needs min <= max"),
        ({"channels": 8, "noise_sd": -0.1}, "noise_sd", "greater than or equal to 0"),
        ({"channels": 8, "p_new_scene": 1.5}, "p_new_scene", "less than or equal to 1"),
        ({"channels": 8, "steps": ()}, "", "is empty, so p_new_scene must be 1"),
        ({"channels": 8, "centres": (0.5, 1.5)}, "centres.1", "less than or equal to 1"),
        ({"channels": 8, "centres": (0.6, 0.4)}, "centres", "needs lo < hi"),
        ({"channels": 8, "kapa": 1.0}, "kapa", "Extra inputs are not permitted"),
    ],
)
def test_bad_arguments_raise_with_messages(kwargs, key, message):
    with pytest.raises(ValidationError, match=rf"{key}\n.*{message}"):
        RingWorld(**kwargs)


def test_bad_call_arguments():
    world = RingWorld(channels=8)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n_frames"):
        world.sequence(0, rng)
    with pytest.raises(ValueError, match="centres"):
        world.heldout(3, rng, centres=(0.2, 1.2))


def test_world_table_of_a_scenario_is_the_world():
    """A scenario's [world] table is validated by the world's own model: the table is a
    RingWorld (with a frame_duration) and makes the same frames as the world built directly."""
    table = RingWorldTable.model_validate(
        {
            "kind": "ring",
            "channels": 16,
            "frame_duration": "20 ms",
            "bumps": [1, 3],
            "kappa": 3.0,
            "contrast": [0.2, 0.9],
            "noise_sd": 0.1,
            "steps": [1, -1, 2],
            "p_new_scene": 0.3,
            "centres": [0.0, 0.5],
        }
    )
    world = RingWorld(
        channels=16,
        steps=(1, -1, 2),
        bumps=(1, 3),
        kappa=3.0,
        contrast=(0.2, 0.9),
        noise_sd=0.1,
        p_new_scene=0.3,
        centres=(0.0, 0.5),
    )
    assert isinstance(table, RingWorld) and table.frame_duration == 20 * ms
    assert table.model_dump(exclude={"frame_duration"}) == world.model_dump()
    assert isinstance(table.steps, tuple) and isinstance(table.centres, tuple)
    a, b = (w.sequence(100, np.random.default_rng(4)) for w in (table, world))
    np.testing.assert_array_equal(a.x, b.x)


def test_ring_world_interface():
    world = RingWorld(channels=12, steps=(1, -1, 3))
    assert world.layout() == Layout("ring", (12,)) and world.n_units == 12
    specs = world.generator_specs()
    assert specs == [
        {"kind": "rotate", "by": 1},
        {"kind": "rotate", "by": -1},
        {"kind": "rotate", "by": 3},
    ]
    seq = world.sequence(200, np.random.default_rng(3))
    idx = world.generator_index(seq.step)
    np.testing.assert_array_equal(idx == -1, seq.new_scene)
    for k in np.flatnonzero(~seq.new_scene):
        move = transformation(world.layout(), specs[idx[k]])
        np.testing.assert_array_equal(move.apply(seq.clean[k - 1]), seq.clean[k])


# ---------------------------------------------------------------------------------------------
# The torus world
# ---------------------------------------------------------------------------------------------


def test_torus_same_seed_gives_identical_arrays():
    world = TorusWorld(shape=(6, 8))
    a = world.sequence(100, np.random.default_rng(7))
    b = world.sequence(100, np.random.default_rng(7))
    c = world.sequence(100, np.random.default_rng(8))
    for name in ("x", "clean", "step"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.x, c.x)
    h1 = world.heldout(10, np.random.default_rng(3), centres=(0.0, 0.5))
    h2 = world.heldout(10, np.random.default_rng(3), centres=(0.0, 0.5))
    np.testing.assert_array_equal(h1.x, h2.x)


def test_torus_shapes_and_step_codes():
    world = TorusWorld(shape=(5, 7))
    seq = world.sequence(300, np.random.default_rng(0))
    assert seq.x.shape == seq.clean.shape == (300, 35) and seq.x.dtype == np.float64
    assert seq.step.dtype == np.int64 and seq.step[0] == 0 and seq.new_scene[0]
    # step = index into steps + 1; 0 = new scene
    assert set(np.unique(seq.step)) == {0, 1, 2, 3, 4}
    np.testing.assert_array_equal(seq.new_scene, seq.step == 0)
    np.testing.assert_array_equal(world.generator_index(seq.step), seq.step - 1)
    assert world.n_units == 35 and world.layout() == Layout("torus", (5, 7))
    assert world.scene(np.random.default_rng(1)).shape == (35,)


def test_torus_step_is_roll_and_matches_groups_shift():
    world = TorusWorld(shape=(6, 9), steps=((0, 1), (1, 0), (0, -1), (-1, 0), (2, -3)))
    specs = world.generator_specs()
    assert specs[0] == {"kind": "shift", "by": [0, 1]} and specs[-1] == {
        "kind": "shift",
        "by": [2, -3],
    }
    seq = world.sequence(300, np.random.default_rng(1))
    moved = np.flatnonzero(~seq.new_scene)
    assert moved.size > 150
    layout = world.layout()
    for k in moved:
        dy, dx = world.steps[seq.step[k] - 1]
        prev = seq.clean[k - 1]
        want = np.roll(prev.reshape(6, 9), (dy, dx), axis=(0, 1)).ravel()
        np.testing.assert_array_equal(seq.clean[k], want)
        shift = transformation(layout, {"kind": "shift", "by": [dy, dx]})
        np.testing.assert_array_equal(shift.apply(prev), want)
        np.testing.assert_array_equal(
            transformation(layout, specs[seq.step[k] - 1]).apply(prev), seq.clean[k]
        )
    # the same on any image, e.g. a random one (unit index = row * W + col)
    img = np.random.default_rng(2).normal(size=54)
    for dy, dx in world.steps:
        shift = transformation(layout, {"kind": "shift", "by": [dy, dx]})
        np.testing.assert_array_equal(
            shift.apply(img), np.roll(img.reshape(6, 9), (dy, dx), axis=(0, 1)).ravel()
        )
        np.testing.assert_array_equal(world.move(img, (dy, dx)), shift.apply(img))


def test_torus_fraction_of_new_scenes_matches_p_new_scene():
    p, n = 0.3, 3001
    seq = TorusWorld(shape=(4, 4), p_new_scene=p).sequence(n, np.random.default_rng(2))
    count = int(seq.new_scene[1:].sum())
    sd = math.sqrt((n - 1) * p * (1 - p))
    assert abs(count - (n - 1) * p) < 4 * sd
    rng = np.random.default_rng(0)
    assert np.all(TorusWorld(shape=(4, 4), steps=(), p_new_scene=1.0).sequence(20, rng).step == 0)
    assert np.all(TorusWorld(shape=(4, 4), p_new_scene=0.0).sequence(20, rng).step[1:] != 0)


def _principal_angle(image: np.ndarray, centre: tuple[float, float], shape) -> float:
    """Angle (mod pi, counter-clockwise as shown, rows down) of an image's principal axis."""
    h, w = shape
    rows, cols = np.divmod(np.arange(h * w), w)
    dy = (rows - centre[0] + h / 2) % h - h / 2
    dx = (cols - centre[1] + w / 2) % w - w / 2
    up = -dy  # rows grow downwards; "up" on the screen is -row
    m = image / image.sum()
    cov = np.array(
        [[np.sum(m * dx * dx), np.sum(m * dx * up)], [np.sum(m * dx * up), np.sum(m * up * up)]]
    )
    vals, vecs = np.linalg.eigh(cov)
    vx, vy = vecs[:, np.argmax(vals)]
    return math.atan2(vy, vx) % math.pi


@pytest.mark.parametrize("orientation", range(8))
@pytest.mark.parametrize("centre", [(8.0, 8.0), (0.3, 15.6), (11.5, 2.25)])
def test_bar_orientation_is_the_principal_axis(orientation, centre):
    world = TorusWorld(shape=(16, 16), orientations=8, bar_length=3.0, bar_width=0.7)
    image = world.render([centre], [orientation], [0.9])
    assert image.max() == pytest.approx(0.9, abs=0.25)
    want = orientation * math.pi / 8
    got = _principal_angle(image, centre, world.shape)
    diff = abs((got - want + math.pi / 2) % math.pi - math.pi / 2)
    assert diff < math.radians(4), (got, want)


def test_bar_profile_formula():
    world = TorusWorld(shape=(10, 12), orientations=4, bar_length=2.0, bar_width=0.8)
    image = world.render([[3.0, 4.0]], [0], [1.0]).reshape(10, 12)
    # horizontal bar through row 3: flat core over |dx| <= L, Gaussian across and beyond
    np.testing.assert_allclose(image[3, 2:7], 1.0)
    assert image[2, 4] == pytest.approx(math.exp(-1 / (2 * 0.64)))
    assert image[3, 7] == pytest.approx(math.exp(-1 / (2 * 0.64)))
    # wrapped: a bar at column 0 reaches column W - 1
    wrapped = world.render([[3.0, 0.0]], [0], [1.0]).reshape(10, 12)
    assert wrapped[3, 11] == pytest.approx(1.0)
    # bars add
    two = world.render([[3.0, 4.0], [7.0, 9.0]], [0, 2], [1.0, 0.5])
    one = world.render([[3.0, 4.0]], [0], [1.0]) + world.render([[7.0, 9.0]], [2], [0.5])
    np.testing.assert_allclose(two, one)


def test_torus_scene_draws_respect_ranges():
    world = TorusWorld(shape=(8, 10), bars=(1, 3), orientations=6, contrast=(0.4, 0.6))
    rng = np.random.default_rng(4)
    counts, orients = set(), set()
    for _ in range(300):
        centres, orient, amps = world.draw_scene(rng)
        counts.add(len(centres))
        orients.update(orient.tolist())
        assert np.all((amps >= 0.4) & (amps <= 0.6))
        assert np.all((centres[:, 0] >= 0) & (centres[:, 0] < 8))
        assert np.all((centres[:, 1] >= 0) & (centres[:, 1] < 10))
    assert counts == {1, 2, 3} and orients == set(range(6))


def test_torus_heldout_respects_centre_restriction():
    w = 20
    world = TorusWorld(shape=(6, w), bars=(1, 1), noise_sd=0.0, centres=(0.0, 0.25))
    rng = np.random.default_rng(5)
    for _ in range(100):
        centres, _, _ = world.draw_scene(rng, centres=(0.5, 0.75))
        assert 10.0 <= centres[0, 1] < 15.0
    held = world.heldout(200, np.random.default_rng(5), centres=(0.5, 0.75))
    assert np.all(held.step == 0) and held.n_frames == 200
    # the image's mass sits at columns in [10, 15): circular mean of the column profile
    profile = held.clean.reshape(200, 6, w).sum(axis=1)
    angle = np.angle(profile @ np.exp(2j * np.pi * np.arange(w) / w))
    mean_col = np.mod(angle, 2 * np.pi) * w / (2 * np.pi)
    assert mean_col.min() > 9.5 and mean_col.max() < 15.5
    assert mean_col.max() - mean_col.min() > 3  # spread over the range
    default = world.heldout(200, np.random.default_rng(5)).clean.reshape(200, 6, w).sum(axis=1)
    angle = np.angle(default @ np.exp(2j * np.pi * np.arange(w) / w))
    cols = np.mod(angle, 2 * np.pi) * w / (2 * np.pi)
    assert np.all((cols < 5.5) | (cols > w - 0.5))  # the world's own range: [0, 5)


def test_torus_noise_is_not_moved():
    world = TorusWorld(shape=(6, 6), noise_sd=0.1)
    seq = world.sequence(1000, np.random.default_rng(6))
    noise = seq.noise
    assert abs(noise.std() - 0.1) < 5 * 0.1 / math.sqrt(2 * noise.size)
    moved = np.flatnonzero(~seq.new_scene)
    a = noise[moved].ravel()
    b = np.stack([world.move(noise[k - 1], world.steps[seq.step[k] - 1]) for k in moved]).ravel()
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / math.sqrt(a.size)


@pytest.mark.parametrize(
    ("kwargs", "key", "message"),
    [
        ({"shape": (8,)}, "shape", "must be a list of 2 entries"),
        ({"shape": (2, 8)}, "shape.0", "greater than or equal to 3"),
        ({"shape": (4.0, 4)}, "shape.0", "a valid integer"),
        ({"shape": (4, 4), "steps": ((0, 0),)}, "steps", r"must not be \[0, 0\] modulo the shape"),
        ({"shape": (4, 4), "steps": ((4, -4),)}, "steps", r"must not be \[0, 0\] modulo the shape"),
        ({"shape": (4, 4), "steps": (1, 2)}, "steps.0", "a valid tuple"),
        ({"shape": (4, 4), "steps": ()}, "", "is empty, so p_new_scene must be 1"),
        ({"shape": (4, 4), "bars": (2, 1)}, "bars", "needs min <= max"),
        ({"shape": (4, 4), "bars": (0, 1)}, "bars.0", "greater than or equal to 1"),
        ({"shape": (4, 4), "orientations": 1}, "orientations", "greater than or equal to 2"),
        ({"shape": (4, 4), "orientations": 2.0}, "orientations", "a valid integer"),
        ({"shape": (4, 4), "bar_length": 0.0}, "bar_length", "greater than 0"),
        ({"shape": (4, 4), "bar_width": -1.0}, "bar_width", "greater than 0"),
        ({"shape": (4, 4), "contrast": (1.0, 0.5)}, "contrast", "needs min <= max"),
        ({"shape": (4, 4), "noise_sd": -0.1}, "noise_sd", "greater than or equal to 0"),
        ({"shape": (4, 4), "p_new_scene": -0.1}, "p_new_scene", "greater than or equal to 0"),
        ({"shape": (4, 4), "centres": (0.6, 0.4)}, "centres", "needs lo < hi"),
        ({"shape": (4, 4), "bar_widht": 1.0}, "bar_widht", "Extra inputs are not permitted"),
    ],
)
def test_torus_bad_arguments_raise_with_messages(kwargs, key, message):
    with pytest.raises(ValidationError, match=rf"{key}\n.*{message}"):
        TorusWorld(**kwargs)


def test_torus_bad_call_arguments():
    world = TorusWorld(shape=(4, 4))
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n_frames"):
        world.sequence(0, rng)
    with pytest.raises(ValueError, match="centres"):
        world.heldout(3, rng, centres=(0.2, 1.2))
    with pytest.raises(ValueError, match="must agree"):
        world.render([[1.0, 1.0]], [0, 1], [1.0])
    with pytest.raises(ValueError, match="orientations must be indices"):
        world.render([[1.0, 1.0]], [0.5], [1.0])


def test_torus_world_table_of_a_scenario_is_the_world():
    table = TorusWorldTable.model_validate(
        {
            "kind": "torus",
            "shape": [6, 8],
            "frame_duration": "20 ms",
            "bars": [1, 3],
            "orientations": 6,
            "bar_length": 2.0,
            "bar_width": 0.5,
            "contrast": [0.2, 0.9],
            "noise_sd": 0.1,
            "steps": [[0, 1], [1, 0]],
            "p_new_scene": 0.3,
            "centres": [0.0, 0.5],
        }
    )
    world = TorusWorld(
        shape=(6, 8),
        steps=((0, 1), (1, 0)),
        bars=(1, 3),
        orientations=6,
        bar_length=2.0,
        bar_width=0.5,
        contrast=(0.2, 0.9),
        noise_sd=0.1,
        p_new_scene=0.3,
        centres=(0.0, 0.5),
    )
    assert isinstance(table, TorusWorld)
    assert table.model_dump(exclude={"frame_duration"}) == world.model_dump()
    assert table.steps == ((0, 1), (1, 0)) and isinstance(table.steps[0], tuple)
    a, b = (w.sequence(100, np.random.default_rng(4)) for w in (table, world))
    np.testing.assert_array_equal(a.x, b.x)


def test_frames_are_pinned():
    """A few frames of each world, as the worlds made them before they became pydantic
    models: any change to how frames are drawn shows here."""
    ring = RingWorld(channels=8).sequence(12, np.random.default_rng(7))
    assert ring.step.tolist() == [0, -1, 0, -1, -1, 1, -1, -1, -1, -1, -1, 1]
    np.testing.assert_allclose(
        ring.x[:, 3],
        [-0.12516088339779713, 0.0597658993379951, -0.06085883734935315, 0.04230277622237164,
         0.16013792830481782, 0.04912798422315644, 0.15106254758635118, 0.6345897794728002,
         0.4575176969723829, -0.04127762387303829, 0.012318863014602572, 0.04489692442836251],
        rtol=1e-12,
    )  # fmt: skip
    torus = TorusWorld(shape=(4, 5)).sequence(12, np.random.default_rng(7))
    assert torus.step.tolist() == [0, 4, 4, 2, 4, 2, 3, 4, 2, 4, 0, 4]
    np.testing.assert_allclose(
        torus.x[:, 7],
        [0.24999051740106154, 1.0586325130162042, 1.0584893718313113, 0.9022961775650695,
         1.1196024772530597, 0.9787130351348647, 0.9371177225929702, 0.3652564747106412,
         0.8316339626198921, 0.3076466765244871, 0.9493556294048008, 0.6498963393615403],
        rtol=1e-12,
    )  # fmt: skip
    held = TorusWorld(shape=(4, 5)).heldout(3, np.random.default_rng(2), centres=(0.5, 0.75))
    np.testing.assert_allclose(
        held.x[:, 11], [0.7863886764294745, 0.10359259378769586, 0.07794472587418232], rtol=1e-12
    )
