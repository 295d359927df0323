"""Stimulus environments ("worlds") that show the circuit short transformed sequences.

A world makes frames: each frame is either the previous (clean) frame moved by one of
the world's own transformations, or an independent new scene (DESIGN section 2,
"Transitions"). Everything is generated in NumPy from a ``numpy.random.Generator`` so
that every backend sees identical inputs (DESIGN section 5, "Randomness"). No Brian2
here.

The ring world is an orientation hypercolumn (DESIGN section 4, "ring"): ``channels``
units on a ring, stimuli are sums of von Mises bumps, and the world rotates them by
whole channels. Channel ``i`` sits at angle ``2 * pi * i / channels`` on the ring; a
rotation by step ``s`` is ``np.roll(frame, s)``, which matches
``pcsim.groups.ring_rotation(Layout("ring", (channels,)), s)``.

The torus world is a retinotopic sheet (DESIGN section 4, "torus"): an H x W image on a
torus (one unit per pixel, unit index ``row * W + col`` as in ``pcsim.layouts``), stimuli
are sums of oriented bars, and the world translates them by whole pixels. A step
``(dy, dx)`` is ``np.roll(img.reshape(H, W), (dy, dx), axis=(0, 1)).ravel()``, which matches
``pcsim.groups.transformation(Layout("torus", (H, W)), {"kind": "shift", "by": [dy, dx]})``.

Every world offers the same interface: ``scene(rng)``, ``sequence(n_frames, rng)``,
``heldout(n_frames, rng, centres=None)``, ``layout()`` (the sensory ``Layout``),
``generator_specs()`` (its own transformations as ``pcsim.groups`` specs, in the order of
``steps``), ``generator_index(step)`` and ``n_units``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pcsim.errors import ConfigError, did_you_mean
from pcsim.layouts import Layout

__all__ = ["FrameSequence", "RingWorld", "TorusWorld", "WORLD_KINDS", "make_world"]


@dataclass(frozen=True, eq=False)
class FrameSequence:
    """Frames shown to the circuit, one row per frame.

    Attributes:
        x: (n_frames, channels) float64, the stimuli the circuit sees (``clean`` + noise).
        clean: (n_frames, channels) float64, the same frames without noise.
        step: (n_frames,) int64, the world step that made clean frame ``k`` from clean
            frame ``k - 1``; 0 where frame ``k`` is a new scene (always 0 for frame 0), so
            ``step == 0`` (``new_scene``) marks new scenes exactly in every world. What a
            nonzero value means depends on the world: a ``RingWorld`` stores the rotation
            ``s`` itself (never 0 modulo the ring); a ``TorusWorld`` stores ``i + 1`` where
            ``i`` indexes its ``steps``. ``world.generator_index(step)`` turns either into
            an index into ``world.generator_specs()`` (-1 for new scenes).
    """

    x: np.ndarray
    clean: np.ndarray
    step: np.ndarray

    def __post_init__(self) -> None:
        if self.x.ndim != 2 or self.x.shape != self.clean.shape:
            raise ValueError(
                f"x and clean must be equal (n_frames, channels) arrays, "
                f"got {self.x.shape} and {self.clean.shape}"
            )
        if self.step.shape != (self.x.shape[0],):
            raise ValueError(f"step must have shape ({self.x.shape[0]},), got {self.step.shape}")
        for arr in (self.x, self.clean, self.step):
            arr.setflags(write=False)

    @property
    def n_frames(self) -> int:
        return int(self.x.shape[0])

    @property
    def channels(self) -> int:
        return int(self.x.shape[1])

    @property
    def new_scene(self) -> np.ndarray:
        """(n_frames,) bool, True where a frame is a new scene (``step == 0``)."""
        return self.step == 0

    @property
    def noise(self) -> np.ndarray:
        """(n_frames, channels) float64, the additive noise ``x - clean``."""
        return self.x - self.clean


def _pair(value: Any, name: str) -> tuple:
    try:
        pair = tuple(value)
    except TypeError:
        raise ValueError(f"{name} must be a pair (lo, hi), got {value!r}") from None
    if len(pair) != 2:
        raise ValueError(f"{name} must be a pair (lo, hi), got {value!r}")
    return pair


@dataclass(frozen=True)
class RingWorld:
    """Von Mises bumps on a ring of ``channels`` units that rotate between frames.

    Attributes:
        channels: number of ring channels (>= 2).
        steps: the rotations (in channels) the world applies between frames; each
            nonzero modulo ``channels``. Chosen uniformly at each transition.
        bumps: (min, max) number of bumps in a new scene, drawn uniformly (inclusive).
        kappa: von Mises concentration (> 0).
        contrast: (lo, hi), bump amplitudes drawn uniformly in [lo, hi].
        noise_sd: s.d. of i.i.d. Gaussian noise added per channel and frame, after
            rotation (noise is not rotated with the scene).
        p_new_scene: probability that a frame (after the first) is a new scene instead
            of a rotated copy of the previous one.
        centres: (lo, hi) fractions of the ring; new scenes put bump centres uniformly
            at continuous positions in ``[lo * channels, hi * channels)``.

    A bump centred at ``c`` (in channels) with amplitude ``a`` gives
    ``a * exp(kappa * (cos(2 * pi * (i - c) / channels) - 1))`` on channel ``i``, so
    its peak value is ``a``; several bumps add.
    """

    channels: int
    steps: tuple[int, ...] = (1, -1)
    bumps: tuple[int, int] = (1, 2)
    kappa: float = 4.0
    contrast: tuple[float, float] = (0.5, 1.0)
    noise_sd: float = 0.05
    p_new_scene: float = 0.2
    centres: tuple[float, float] = (0.0, 1.0)
    _angles: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if isinstance(self.channels, bool) or not isinstance(self.channels, int | np.integer):
            raise ValueError(f"channels must be an integer, got {self.channels!r}")
        if self.channels < 2:
            raise ValueError(f"channels must be >= 2, got {self.channels}")
        set_(self, "channels", int(self.channels))
        try:
            steps = tuple(int(s) for s in self.steps)
        except (TypeError, ValueError):
            raise ValueError(f"steps must be a sequence of integers, got {self.steps!r}") from None
        bad = [s for s in steps if s % self.channels == 0]
        if bad:
            raise ValueError(
                f"steps must be nonzero modulo channels={self.channels} (0 marks a new "
                f"scene), got {bad}"
            )
        set_(self, "steps", steps)
        set_(self, "bumps", _count_pair(self.bumps, "bumps"))
        if not (math.isfinite(self.kappa) and self.kappa > 0):
            raise ValueError(f"kappa must be a positive number, got {self.kappa!r}")
        set_(self, "kappa", float(self.kappa))
        _check_scene_statistics(self, steps)
        set_(self, "_angles", 2.0 * np.pi * np.arange(self.channels) / self.channels)

    # -- scenes -----------------------------------------------------------------------
    def render(self, centres: np.ndarray, amplitudes: np.ndarray) -> np.ndarray:
        """Clean frame (channels,) with bumps at ``centres`` (in channels) of ``amplitudes``."""
        centres = np.atleast_1d(np.asarray(centres, dtype=float))
        amplitudes = np.atleast_1d(np.asarray(amplitudes, dtype=float))
        if centres.shape != amplitudes.shape or centres.ndim != 1:
            raise ValueError(
                f"centres and amplitudes must be equal 1-d arrays, "
                f"got {centres.shape} and {amplitudes.shape}"
            )
        phase = self._angles[None, :] - 2.0 * np.pi * centres[:, None] / self.channels
        return (amplitudes[:, None] * np.exp(self.kappa * (np.cos(phase) - 1.0))).sum(axis=0)

    def draw_scene(
        self, rng: np.random.Generator, centres: tuple[float, float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw a new scene's bump centres (in channels) and amplitudes, each (n_bumps,)."""
        lo, hi = self.centres if centres is None else _check_centres(centres)
        n = int(rng.integers(self.bumps[0], self.bumps[1] + 1))
        where = rng.uniform(lo, hi, size=n) * self.channels
        amps = rng.uniform(self.contrast[0], self.contrast[1], size=n)
        return np.mod(where, self.channels), amps

    def scene(
        self, rng: np.random.Generator, centres: tuple[float, float] | None = None
    ) -> np.ndarray:
        """One clean new scene, shape (channels,) float64."""
        return self.render(*self.draw_scene(rng, centres))

    # -- interface shared by the worlds -----------------------------------------------
    @property
    def n_units(self) -> int:
        """Number of sensory units (= channels)."""
        return self.channels

    def layout(self) -> Layout:
        """The sensory layout: a ring of ``channels`` positions with one channel each."""
        return Layout("ring", (self.channels,))

    def generator_specs(self) -> list[dict[str, Any]]:
        """The world's rotations as ``pcsim.groups`` specs, in the order of ``steps``."""
        return [{"kind": "rotate", "by": s} for s in self.steps]

    def generator_index(self, step: np.ndarray) -> np.ndarray:
        """Index into ``generator_specs()`` of each ``FrameSequence.step`` (-1: new scene)."""
        step = np.asarray(step)
        out = np.full(step.shape, -1, dtype=np.int64)
        for i, s in reversed(list(enumerate(self.steps))):
            out[step == s] = i
        return out

    # -- sequences --------------------------------------------------------------------
    def sequence(self, n_frames: int, rng: np.random.Generator) -> FrameSequence:
        """A developmental sequence: rotated copies, with new scenes at rate ``p_new_scene``.

        Frame 0 is always a new scene. For k >= 1, with probability ``p_new_scene`` frame k
        is a new scene (``step[k] = 0``); otherwise ``clean[k] = np.roll(clean[k-1], s)``
        with ``s`` drawn uniformly from ``steps`` and ``step[k] = s``. Noise is added last.
        """

        def rotate(previous: np.ndarray, i: int) -> tuple[np.ndarray, int]:
            return np.roll(previous, self.steps[i]), self.steps[i]

        return _sequence(self, n_frames, rng, rotate)

    def heldout(
        self,
        n_frames: int,
        rng: np.random.Generator,
        centres: tuple[float, float] | None = None,
    ) -> FrameSequence:
        """Independent new scenes only (``step`` all 0), for testing.

        ``centres`` overrides the world's centre range (fractions of the ring), e.g. to
        place stimuli where development never showed them.
        """
        return _independent(self, n_frames, rng, centres)


@dataclass(frozen=True)
class TorusWorld:
    """Oriented bars on an H x W torus of pixels that translate between frames.

    Attributes:
        shape: (H, W), rows and columns of the torus (each >= 2).
        steps: the translations ``(dy, dx)`` (rows, columns) the world applies between
            frames; none may be a no-move (``(0, 0)`` modulo the shape). Chosen uniformly
            at each transition.
        bars: (min, max) number of bars in a new scene, drawn uniformly (inclusive).
        orientations: number of bar orientations (>= 1), evenly spaced over 180 degrees:
            orientation ``o`` has angle ``o * pi / orientations``.
        bar_length: half-length ``L`` of a bar's core, in pixels (> 0).
        bar_width: Gaussian s.d. ``w`` across a bar (and of its fall-off beyond its ends),
            in pixels (> 0).
        contrast: (lo, hi), bar amplitudes drawn uniformly in [lo, hi].
        noise_sd: s.d. of i.i.d. Gaussian noise added per pixel and frame, after the
            translation (noise is not moved with the scene).
        p_new_scene: probability that a frame (after the first) is a new scene instead of
            a translated copy of the previous one.
        centres: (lo, hi) fractions of the width; new bars get centres with column
            (x) uniform in ``[lo * W, hi * W)`` and row (y) uniform in ``[0, H)``.

    A bar centred at (cy, cx) (continuous, in pixels) with angle ``phi`` and amplitude
    ``a`` gives pixel (r, c), with torus-wrapped displacements ``dy = r - cy``,
    ``dx = c - cx`` (each wrapped into ``[-n/2, n/2)``), the value
    ``a * exp(-d_perp**2 / (2 w**2)) * exp(-max(|d_par| - L, 0)**2 / (2 w**2))`` where
    ``d_par = dx cos(phi) - dy sin(phi)`` runs along the bar and
    ``d_perp = dx sin(phi) + dy cos(phi)`` across it. Angles are counter-clockwise as an
    image is shown (rows down): angle 0 is horizontal (along a row), ``pi/2`` vertical.
    Several bars add. ``FrameSequence.step`` holds ``i + 1`` for ``steps[i]``.
    """

    shape: tuple[int, int]
    steps: tuple[tuple[int, int], ...] = ((0, 1), (1, 0), (0, -1), (-1, 0))
    bars: tuple[int, int] = (1, 2)
    orientations: int = 4
    bar_length: float = 2.5
    bar_width: float = 0.7
    contrast: tuple[float, float] = (0.5, 1.0)
    noise_sd: float = 0.05
    p_new_scene: float = 0.2
    centres: tuple[float, float] = (0.0, 1.0)
    _rows: np.ndarray = field(init=False, repr=False, compare=False)
    _cols: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        try:
            shape = tuple(self.shape)
        except TypeError:
            shape = ()
        if (
            len(shape) != 2
            or any(isinstance(n, bool) or not isinstance(n, int | np.integer) for n in shape)
            or min(shape) < 2
        ):
            raise ValueError(f"shape must be two integers (H, W), each >= 2, got {self.shape!r}")
        h, w = int(shape[0]), int(shape[1])
        set_(self, "shape", (h, w))
        try:
            steps = tuple((int(dy), int(dx)) for dy, dx in self.steps)
        except (TypeError, ValueError):
            raise ValueError(
                f"steps must be a sequence of integer pairs (dy, dx), got {self.steps!r}"
            ) from None
        bad = [st for st in steps if st[0] % h == 0 and st[1] % w == 0]
        if bad:
            raise ValueError(
                f"steps must move the image (not (0, 0) modulo shape={self.shape}), got {bad}"
            )
        set_(self, "steps", steps)
        set_(self, "bars", _count_pair(self.bars, "bars"))
        o = self.orientations
        if isinstance(o, bool) or not isinstance(o, int | np.integer) or o < 1:
            raise ValueError(f"orientations must be a positive integer, got {o!r}")
        set_(self, "orientations", int(o))
        for name in ("bar_length", "bar_width"):
            v = getattr(self, name)
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or not (math.isfinite(v) and v > 0)
            ):
                raise ValueError(f"{name} must be a positive number (pixels), got {v!r}")
            set_(self, name, float(v))
        _check_scene_statistics(self, steps)
        rows, cols = np.divmod(np.arange(h * w), w)
        set_(self, "_rows", rows.astype(float))
        set_(self, "_cols", cols.astype(float))

    # -- scenes -----------------------------------------------------------------------
    def render(
        self, centres: np.ndarray, orientations: np.ndarray, amplitudes: np.ndarray
    ) -> np.ndarray:
        """Clean image (H * W,) with bars at ``centres`` ((n, 2): row, col in pixels), of
        orientation indices ``orientations`` (n,) and ``amplitudes`` (n,)."""
        centres = np.asarray(centres, dtype=float).reshape(-1, 2)
        orient = np.atleast_1d(np.asarray(orientations))
        amps = np.atleast_1d(np.asarray(amplitudes, dtype=float))
        n = centres.shape[0]
        if orient.shape != (n,) or amps.shape != (n,):
            raise ValueError(
                f"centres (n, 2), orientations (n,) and amplitudes (n,) must agree, got "
                f"{np.shape(centres)}, {orient.shape} and {amps.shape}"
            )
        if n and (not np.issubdtype(orient.dtype, np.integer) or orient.min() < 0):
            raise ValueError(
                f"orientations must be indices in range({self.orientations}), got {orient}"
            )
        h, w = self.shape
        dy = _wrap(self._rows[None, :] - centres[:, :1], h)
        dx = _wrap(self._cols[None, :] - centres[:, 1:], w)
        phi = np.mod(orient, self.orientations)[:, None] * np.pi / self.orientations
        cos, sin = np.cos(phi), np.sin(phi)
        d_par = dx * cos - dy * sin
        d_perp = dx * sin + dy * cos
        beyond = np.maximum(np.abs(d_par) - self.bar_length, 0.0)
        two_w2 = 2.0 * self.bar_width**2
        bars = np.exp(-(d_perp**2 + beyond**2) / two_w2)
        return (amps[:, None] * bars).sum(axis=0)

    def draw_scene(
        self, rng: np.random.Generator, centres: tuple[float, float] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draw a new scene: bar centres (n, 2) (row, col in pixels), orientation indices
        (n,) and amplitudes (n,)."""
        lo, hi = self.centres if centres is None else _check_centres(centres)
        h, w = self.shape
        n = int(rng.integers(self.bars[0], self.bars[1] + 1))
        cy = rng.uniform(0.0, h, size=n)
        cx = np.mod(rng.uniform(lo, hi, size=n) * w, w)
        orient = rng.integers(self.orientations, size=n)
        amps = rng.uniform(self.contrast[0], self.contrast[1], size=n)
        return np.stack([cy, cx], axis=1), orient, amps

    def scene(
        self, rng: np.random.Generator, centres: tuple[float, float] | None = None
    ) -> np.ndarray:
        """One clean new scene, shape (H * W,) float64 (row-major: ``row * W + col``)."""
        return self.render(*self.draw_scene(rng, centres))

    def move(self, image: np.ndarray, step: tuple[int, int]) -> np.ndarray:
        """``image`` (..., H * W) translated by ``step = (dy, dx)`` (wrapping)."""
        image = np.asarray(image)
        h, w = self.shape
        grid = image.reshape(*image.shape[:-1], h, w)
        return np.roll(grid, (int(step[0]), int(step[1])), axis=(-2, -1)).reshape(image.shape)

    # -- interface shared by the worlds -----------------------------------------------
    @property
    def n_units(self) -> int:
        """Number of sensory units (pixels, H * W)."""
        return self.shape[0] * self.shape[1]

    def layout(self) -> Layout:
        """The sensory layout: an H x W torus with one channel per pixel."""
        return Layout("torus", self.shape)

    def generator_specs(self) -> list[dict[str, Any]]:
        """The world's translations as ``pcsim.groups`` specs, in the order of ``steps``."""
        return [{"kind": "shift", "by": [dy, dx]} for dy, dx in self.steps]

    def generator_index(self, step: np.ndarray) -> np.ndarray:
        """Index into ``generator_specs()`` of each ``FrameSequence.step`` (-1: new scene)."""
        return np.asarray(step, dtype=np.int64) - 1

    # -- sequences --------------------------------------------------------------------
    def sequence(self, n_frames: int, rng: np.random.Generator) -> FrameSequence:
        """A developmental sequence: translated copies, with new scenes at rate ``p_new_scene``.

        Frame 0 is always a new scene. For k >= 1, with probability ``p_new_scene`` frame k
        is a new scene (``step[k] = 0``); otherwise ``i`` is drawn uniformly from
        ``range(len(steps))``, ``clean[k] = move(clean[k-1], steps[i])`` and
        ``step[k] = i + 1``. Noise is added last.
        """

        def shift(previous: np.ndarray, i: int) -> tuple[np.ndarray, int]:
            return self.move(previous, self.steps[i]), i + 1

        return _sequence(self, n_frames, rng, shift)

    def heldout(
        self,
        n_frames: int,
        rng: np.random.Generator,
        centres: tuple[float, float] | None = None,
    ) -> FrameSequence:
        """Independent new scenes only (``step`` all 0), for testing.

        ``centres`` overrides the world's range of bar centres' x coordinate (fractions of
        the width), e.g. to place stimuli where development never showed them.
        """
        return _independent(self, n_frames, rng, centres)


def _wrap(d: np.ndarray, n: int) -> np.ndarray:
    """Displacements on a circle of circumference ``n``, wrapped into ``[-n/2, n/2)``."""
    return np.mod(d + n / 2.0, n) - n / 2.0


def _sequence(world: Any, n_frames: int, rng: np.random.Generator, advance) -> FrameSequence:
    """Frames of ``world``: frame 0 and, with probability ``p_new_scene``, any later frame
    is a new scene (step 0); otherwise a generator index i is drawn uniformly and
    ``advance(previous clean frame, i)`` gives the new clean frame and its step code."""
    n_frames = _check_n_frames(n_frames)
    clean = np.empty((n_frames, world.n_units))
    step = np.zeros(n_frames, dtype=np.int64)
    for k in range(n_frames):
        if k == 0 or rng.random() < world.p_new_scene:
            clean[k] = world.scene(rng)
        else:
            clean[k], step[k] = advance(clean[k - 1], int(rng.integers(len(world.steps))))
    return _with_noise(clean, step, rng, world.noise_sd)


def _independent(
    world: Any, n_frames: int, rng: np.random.Generator, centres: Any
) -> FrameSequence:
    """``n_frames`` independent new scenes of ``world`` (``centres`` as in heldout)."""
    n_frames = _check_n_frames(n_frames)
    clean = np.empty((n_frames, world.n_units))
    for k in range(n_frames):
        clean[k] = world.scene(rng, centres)
    return _with_noise(clean, np.zeros(n_frames, dtype=np.int64), rng, world.noise_sd)


def _with_noise(
    clean: np.ndarray, step: np.ndarray, rng: np.random.Generator, noise_sd: float
) -> FrameSequence:
    noise = rng.normal(0.0, noise_sd, size=clean.shape) if noise_sd else 0.0
    return FrameSequence(x=clean + noise, clean=clean, step=step)


def _count_pair(value: Any, name: str) -> tuple[int, int]:
    """A validated [min, max] count of objects per scene."""
    lo, hi = _pair(value, name)
    if int(lo) != lo or int(hi) != hi or not 1 <= lo <= hi:
        raise ValueError(f"{name} must be integers with 1 <= min <= max, got {value!r}")
    return int(lo), int(hi)


def _check_scene_statistics(world: Any, steps: tuple) -> None:
    """Validate and normalise the fields every world shares: contrast, noise_sd,
    p_new_scene (with the world's validated ``steps``) and centres."""
    set_ = object.__setattr__
    lo, hi = _pair(world.contrast, "contrast")
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo <= hi):
        raise ValueError(f"contrast must satisfy 0 <= lo <= hi, got {world.contrast!r}")
    set_(world, "contrast", (float(lo), float(hi)))
    if not (math.isfinite(world.noise_sd) and world.noise_sd >= 0):
        raise ValueError(f"noise_sd must be >= 0, got {world.noise_sd!r}")
    set_(world, "noise_sd", float(world.noise_sd))
    if not 0.0 <= world.p_new_scene <= 1.0:
        raise ValueError(f"p_new_scene must lie in [0, 1], got {world.p_new_scene!r}")
    set_(world, "p_new_scene", float(world.p_new_scene))
    if world.p_new_scene < 1.0 and not steps:
        raise ValueError("steps is empty, so p_new_scene must be 1 (only new scenes)")
    set_(world, "centres", _check_centres(world.centres))


def _check_centres(value: Any) -> tuple[float, float]:
    lo, hi = _pair(value, "centres")
    if not (0.0 <= lo <= hi <= 1.0):
        raise ValueError(f"centres must satisfy 0 <= lo <= hi <= 1 (fractions), got {value!r}")
    return float(lo), float(hi)


def _check_n_frames(n_frames: int) -> int:
    if isinstance(n_frames, bool) or not isinstance(n_frames, int | np.integer) or n_frames < 1:
        raise ValueError(f"n_frames must be a positive integer, got {n_frames!r}")
    return int(n_frames)


# -- config --------------------------------------------------------------------------
WORLD_KINDS = ("ring", "torus")
_KEYS: dict[str, tuple[str, ...]] = {
    "ring": (
        "channels",
        "bumps",
        "kappa",
        "contrast",
        "noise_sd",
        "steps",
        "p_new_scene",
        "centres",
    ),
    "torus": (
        "shape",
        "bars",
        "orientations",
        "bar_length",
        "bar_width",
        "contrast",
        "noise_sd",
        "steps",
        "p_new_scene",
        "centres",
    ),
}
_REQUIRED = {"ring": "channels", "torus": "shape"}
_CLASSES: dict[str, type] = {"ring": RingWorld, "torus": TorusWorld}
_IGNORED_KEYS = ("kind", "frame_duration")


def _tuples(value: Any) -> Any:
    """Lists (also nested, e.g. torus steps) as tuples."""
    if isinstance(value, list | tuple):
        return tuple(_tuples(v) for v in value)
    return value


def make_world(cfg_world: dict) -> RingWorld | TorusWorld:
    """Build the world of a scenario from its validated ``[world]`` table.

    Dispatches on ``kind``: "ring" (keys ``channels``, ``bumps``, ``kappa``, ``contrast``,
    ``noise_sd``, ``steps``, ``p_new_scene``, ``centres``) or "torus" (``shape``, ``bars``,
    ``orientations``, ``bar_length``, ``bar_width``, ``contrast``, ``noise_sd``, ``steps``,
    ``p_new_scene``, ``centres``); ``frame_duration`` (a brian2 Quantity) is not used here.
    Lists become tuples; missing optional keys take the class defaults. Raises
    ``ConfigError`` (a ``ValueError``) naming the key.
    """
    kind = cfg_world.get("kind", "ring")
    if kind not in WORLD_KINDS:
        raise ConfigError(
            f"unknown world kind '{kind}' (known: {', '.join(WORLD_KINDS)})", path="world.kind"
        )
    keys = _KEYS[kind]
    unknown = sorted(set(cfg_world) - set(keys) - set(_IGNORED_KEYS))
    if unknown:
        known = keys + _IGNORED_KEYS
        raise ConfigError(
            f"unknown key(s) {unknown} for a {kind} world (known: {', '.join(known)})"
            f"{did_you_mean(unknown[0], known)}",
            path=f"world.{unknown[0]}",
        )
    required = _REQUIRED[kind]
    if required not in cfg_world:
        raise ConfigError(f"a {kind} world needs '{required}'", path=f"world.{required}")
    kwargs = {k: _tuples(v) for k, v in cfg_world.items() if k in keys}
    try:
        return _CLASSES[kind](**kwargs)
    except ValueError as err:
        key = next((k for k in sorted(keys, key=len, reverse=True) if str(err).startswith(k)), "")
        raise ConfigError(str(err), path=f"world.{key}" if key else "world") from err
