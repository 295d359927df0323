"""Stimulus environments ("worlds") that show the circuit short transformed sequences.

A world makes frames: each frame is either the previous (clean) frame moved by one of
the world's own transformations, or an independent new scene. Everything is generated in
NumPy from a ``numpy.random.Generator`` so that every backend sees identical inputs
(docs/model.md#4-worlds). No Brian2 here.

The ring world is an orientation hypercolumn: ``channels`` units on a ring, stimuli are
sums of von Mises bumps, and the world rotates them by whole channels. Channel ``i`` sits
at angle ``2 * pi * i / channels`` on the ring; a rotation by step ``s`` is
``np.roll(frame, s)``, which matches
``pcsim.groups.ring_rotation(Layout("ring", (channels,)), s)``.

The torus world is a retinotopic sheet: an H x W image on a torus (one unit per pixel,
unit index ``row * W + col`` as in ``pcsim.layouts``), stimuli are sums of oriented bars,
and the world translates them by whole pixels. A step ``(dy, dx)`` is
``np.roll(img.reshape(H, W), (dy, dx), axis=(0, 1)).ravel()``, which matches
``pcsim.groups.transformation(Layout("torus", (H, W)), {"kind": "shift", "by": [dy, dx]})``.
Besides its steps it may mirror the image (``reflections``, the candidate
``{"kind": "reflect", "axis": a, "channels": "mirror"}``) and, on a square torus, turn it
by quarter turns about pixel (0, 0) (``rotations``, the candidate
``{"kind": "rotate90", "times": k, "channels": "rotate90"}``).

A world is a frozen pydantic model (`pcsim.validation.Table`): its fields and their limits
are stated once, here, and a scenario's ``[world]`` table is validated by the same model
(`pcsim.config.schema`). Invalid arguments raise pydantic's ``ValidationError`` (a
``ValueError``) naming the field.

Every world offers the same interface: ``scene(rng)``, ``sequence(n_frames, rng)``,
``heldout(n_frames, rng, centres=None)``, ``layout()`` (the sensory ``Layout``),
``generator_specs()`` (its own transformations as ``pcsim.groups`` specs: its ``steps``,
then on the torus its ``reflections`` and ``rotations``), ``generator_index(step)`` and
``n_units``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pcsim.errors import show
from pcsim.groups import spec_name, transformation
from pcsim.layouts import Layout
from pcsim.validation import Count, Table, invalid, pair

__all__ = ["FrameSequence", "Phase", "PhasedWorld", "RingWorld", "TorusWorld", "World"]


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
            ``i`` indexes its transitions (``generator_specs()``: steps, reflections,
            rotations). ``world.generator_index(step)`` turns either into
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


# [min, max] objects per scene, drawn uniformly (inclusive)
Counts = pair(Count, "<=")
Fraction = Annotated[float, Field(ge=0, le=1)]


def _one_turn(value: tuple[float, float]) -> tuple[float, float]:
    lo, hi = value
    if not (lo < hi and hi - lo <= 1):
        raise invalid(
            "needs lo < hi and hi - lo <= 1 (at most one full turn; a range may start "
            f"below 0 to straddle the wrap-around), got {show(value)}"
        )
    return value


# [lo, hi] fractions of an extent of the world (the ring; the torus's width or height)
# where new scenes centre their objects: -1 <= lo < hi <= 1 and hi - lo <= 1, drawn
# uniformly in [lo, hi) and wrapped modulo 1, so [-0.25, 0.25] is a band centred on 0.
# The one type of every such range (world.centres and .rows, probe.novel_centres).
Fractions = Annotated[pair(Annotated[float, Field(ge=-1, le=1)]), AfterValidator(_one_turn)]


class World(Table):
    """The fields every world has (see `RingWorld` and `TorusWorld`)."""

    model_config = ConfigDict(frozen=True)

    kind: str
    contrast: pair(PositiveFloat, "<=") = (0.5, 1.0)
    noise_sd: NonNegativeFloat = 0.05
    p_new_scene: Fraction = 0.2
    centres: Fractions = (0.0, 1.0)
    # relative frequencies of the transitions, in the order of generator_specs() (None:
    # uniform)
    weights: Annotated[tuple[PositiveFloat, ...], Strict(False)] | None = None

    @model_validator(mode="after")
    def _steps_or_only_new_scenes(self) -> World:
        """Each world declares its ``steps``; without any, every frame is a new scene."""
        n = len(self.generator_specs())
        if not n and self.p_new_scene < 1.0:
            raise invalid(
                "is empty, so p_new_scene must be 1 (only new scenes), "
                f"got p_new_scene = {self.p_new_scene}",
                at="steps",
            )
        if self.weights is not None and len(self.weights) != n:
            raise invalid(
                f"must give one weight per transition ({n}: {self.transition_names()}), "
                f"got {len(self.weights)}",
                at="weights",
            )
        return self

    def probe_specs(self) -> list[dict[str, Any]]:
        """The transformations equivariance is probed with: the world's generators."""
        return self.generator_specs()

    def transition_names(self) -> str:
        """The transitions, as ``weights`` lists them (for messages)."""
        return ", ".join(spec_name(g) for g in self.generator_specs())

    def draw_transition(self, rng: np.random.Generator) -> int:
        """Index into ``generator_specs()`` of the next transition: uniform, or by
        ``weights`` (the uniform draw is ``rng.integers``, so worlds without weights
        see the random stream they always did)."""
        n = len(self.generator_specs())
        if self.weights is None:
            return int(rng.integers(n))
        p = np.asarray(self.weights) / sum(self.weights)
        return int(rng.choice(n, p=p))


class RingWorld(World):
    """Von Mises bumps on a ring of ``channels`` units that rotate between frames.

    Attributes:
        channels: number of ring channels (>= 3).
        steps: the rotations (in channels) the world applies between frames; each
            nonzero modulo ``channels``; empty only with ``p_new_scene = 1``. Chosen
            uniformly at each transition unless ``weights`` are given.
        weights: relative frequencies of the steps (None: uniform).
        bumps: (min, max) number of bumps in a new scene, drawn uniformly (inclusive).
        kappa: von Mises concentration (> 0).
        contrast: (lo, hi), bump amplitudes drawn uniformly in [lo, hi] (0 < lo <= hi).
        noise_sd: s.d. of i.i.d. Gaussian noise added per channel and frame, after
            rotation (noise is not rotated with the scene).
        p_new_scene: probability that a frame (after the first) is a new scene instead
            of a rotated copy of the previous one.
        centres: (lo, hi) fractions of the ring (-1 <= lo < hi <= 1, hi - lo <= 1); new
            scenes put bump centres uniformly at continuous positions in
            ``[lo * channels, hi * channels)``, wrapped modulo ``channels`` (a range with
            ``lo < 0`` straddles channel 0).

    A bump centred at ``c`` (in channels) with amplitude ``a`` gives
    ``a * exp(kappa * (cos(2 * pi * (i - c) / channels) - 1))`` on channel ``i``, so
    its peak value is ``a``; several bumps add.
    """

    kind: Literal["ring"] = "ring"
    channels: Annotated[int, Field(ge=3)]
    steps: Annotated[tuple[int, ...], Strict(False)] = (1, -1)
    bumps: Counts = (1, 2)
    kappa: PositiveFloat = 4.0

    @field_validator("steps")
    @classmethod
    def _steps_move(cls, steps: tuple[int, ...], info: ValidationInfo) -> tuple[int, ...]:
        n = info.data.get("channels")  # absent in a partial table ([quick.world])
        for i, s in enumerate(steps):
            if (s % n == 0) if n else (s == 0):
                modulo = f" modulo channels = {n}" if n else ""
                raise invalid(f"must be nonzero{modulo} (0 marks a new scene), got {s}", at=str(i))
        return steps

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
        angles = 2.0 * np.pi * np.arange(self.channels) / self.channels
        phase = angles[None, :] - 2.0 * np.pi * centres[:, None] / self.channels
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


def _listed_once(items: tuple, what: str) -> tuple:
    """``items`` if none repeats; else the error naming ``what`` was listed twice."""
    if len(set(items)) != len(items):
        raise invalid(f"lists {what} twice (use weights for frequencies), got {list(items)}")
    return items


class TorusWorld(World):
    """Oriented bars on an H x W torus of pixels that translate (and possibly mirror or
    turn) between frames.

    Attributes:
        shape: (H, W), rows and columns of the torus (each >= 3).
        steps: the translations ``(dy, dx)`` (rows, columns) the world applies between
            frames; none may be a no-move (``(0, 0)`` modulo the shape); without them
            and ``reflections``, ``p_new_scene`` must be 1. Chosen uniformly at each
            transition unless ``weights`` are given.
        reflections: axes the world also mirrors about between frames (``"x"``:
            ``col -> -col mod W``, ``"y"``: ``row -> -row mod H``), as the candidate
            ``{kind = "reflect", axis = ...}``.
        rotations: quarter turns the world also applies between frames, each a count
            ``k`` in {1, 2, 3}: the image turned by ``k`` x 90 degrees counter-clockwise
            about pixel (0, 0), ``(r, c) -> (-c mod H, r)`` applied ``k`` times, as the
            candidate ``{kind = "rotate90", times = k, channels = "rotate90"}`` (see
            `rotation`). Needs a square shape. A bar of orientation ``o`` centred at
            ``(cy, cx)`` turned by a quarter turn is the bar of orientation
            ``o + O/2 mod O`` at ``(-cx mod H, cy)`` (``O`` = ``orientations``, even).
        weights: relative frequencies of the transitions (steps, then reflections, then
            rotations).
        bars: (min, max) number of bars in a new scene, drawn uniformly (inclusive).
        orientations: number of bar orientations (>= 2), evenly spaced over 180 degrees:
            orientation ``o`` has angle ``o * pi / orientations``.
        bar_length: half-length ``L`` of a bar's core, in pixels (> 0).
        bar_width: Gaussian s.d. ``w`` across a bar (and of its fall-off beyond its ends),
            in pixels (> 0).
        contrast: (lo, hi), bar amplitudes drawn uniformly in [lo, hi] (0 < lo <= hi).
        noise_sd: s.d. of i.i.d. Gaussian noise added per pixel and frame, after the
            translation (noise is not moved with the scene).
        p_new_scene: probability that a frame (after the first) is a new scene instead of
            a translated copy of the previous one.
        centres: (lo, hi) fractions of the width (-1 <= lo < hi <= 1, hi - lo <= 1); new
            bars get centres with column (x) uniform in ``[lo * W, hi * W)``, wrapped
            modulo ``W`` (a range with ``lo < 0`` straddles column 0).
        rows: (lo, hi) fractions of the height, as ``centres``: the row (y) of new bars'
            centres is uniform in ``[lo * H, hi * H)``, wrapped modulo ``H``. Held-out
            scenes use it too (their ``centres`` override the columns only).

    A bar centred at (cy, cx) (continuous, in pixels) with angle ``phi`` and amplitude
    ``a`` gives pixel (r, c), with torus-wrapped displacements ``dy = r - cy``,
    ``dx = c - cx`` (each wrapped into ``[-n/2, n/2)``), the value
    ``a * exp(-d_perp**2 / (2 w**2)) * exp(-max(|d_par| - L, 0)**2 / (2 w**2))`` where
    ``d_par = dx cos(phi) - dy sin(phi)`` runs along the bar and
    ``d_perp = dx sin(phi) + dy cos(phi)`` across it. Angles are counter-clockwise as an
    image is shown (rows down): angle 0 is horizontal (along a row), ``pi/2`` vertical.
    Several bars add. ``reflections`` and ``rotations`` add mirror and quarter-turn
    transitions (see the fields); ``weights`` sets how often each transition happens.
    ``FrameSequence.step`` holds ``i + 1`` for ``generator_specs()[i]``.
    """

    kind: Literal["torus"] = "torus"
    shape: pair(Annotated[int, Field(ge=3)])
    steps: Annotated[tuple[pair(int), ...], Strict(False)] = ((0, 1), (1, 0), (0, -1), (-1, 0))
    bars: Counts = (1, 2)
    orientations: Annotated[int, Field(ge=2)] = 4
    bar_length: PositiveFloat = 2.5
    bar_width: PositiveFloat = 0.7
    # mirrors the world applies between frames besides its steps: "x" (about a vertical
    # line, col -> -col mod W) and/or "y" (about a horizontal one, row -> -row mod H)
    reflections: Annotated[tuple[Literal["x", "y"], ...], Strict(False)] = ()
    # quarter turns (counts k in {1, 2, 3}) the world applies between frames besides its
    # steps and reflections, each counter-clockwise about pixel (0, 0); square shapes only
    rotations: Annotated[tuple[Annotated[int, Field(ge=1, le=3)], ...], Strict(False)] = ()
    # [lo, hi] fractions of the height where new scenes centre their bars' rows
    rows: Fractions = (0.0, 1.0)

    @field_validator("reflections")
    @classmethod
    def _distinct(cls, axes: tuple[str, ...]) -> tuple[str, ...]:
        return _listed_once(axes, "an axis")

    @field_validator("rotations")
    @classmethod
    def _quarter_turns(cls, times: tuple[int, ...], info: ValidationInfo) -> tuple[int, ...]:
        _listed_once(times, "a quarter-turn count")
        shape = info.data.get("shape")  # absent in a partial table ([quick.world])
        if times and shape and shape[0] != shape[1]:
            raise invalid(
                "needs a square shape (a quarter turn maps an H x W torus onto itself only "
                f"when H = W), got shape {show(shape)}"
            )
        return times

    @field_validator("steps")
    @classmethod
    def _steps_move(
        cls, steps: tuple[tuple[int, int], ...], info: ValidationInfo
    ) -> tuple[tuple[int, int], ...]:
        shape = info.data.get("shape")  # absent in a partial table ([quick.world])
        for i, (dy, dx) in enumerate(steps):
            if (dy % shape[0] == 0 and dx % shape[1] == 0) if shape else dy == dx == 0:
                modulo = f" modulo the shape {show(shape)}" if shape else ""
                why = "a step must move the image"
                raise invalid(f"must not be [0, 0]{modulo} ({why}), got {show([dy, dx])}", str(i))
        return steps

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
        rows, cols = np.divmod(np.arange(h * w), w)
        dy = _wrap(rows.astype(float)[None, :] - centres[:, :1], h)
        dx = _wrap(cols.astype(float)[None, :] - centres[:, 1:], w)
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
        (n,) and amplitudes (n,). ``centres`` overrides the range of the columns only."""
        lo, hi = self.centres if centres is None else _check_centres(centres)
        h, w = self.shape
        n = int(rng.integers(self.bars[0], self.bars[1] + 1))
        # rows (0, 1) draw rng.uniform(0.0, h) exactly, as before rows existed
        cy = np.mod(rng.uniform(self.rows[0] * h, self.rows[1] * h, size=n), h)
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
        """The world's transitions as ``pcsim.groups`` specs: its translations in the order
        of ``steps``, then its ``reflections``, then its ``rotations``."""
        shifts = [{"kind": "shift", "by": [dy, dx]} for dy, dx in self.steps]
        mirrors = [reflection(axis) for axis in self.reflections]
        return shifts + mirrors + [rotation(k) for k in self.rotations]

    def generator_index(self, step: np.ndarray) -> np.ndarray:
        """Index into ``generator_specs()`` of each ``FrameSequence.step`` (-1: new scene)."""
        return np.asarray(step, dtype=np.int64) - 1

    # -- sequences --------------------------------------------------------------------
    def sequence(self, n_frames: int, rng: np.random.Generator) -> FrameSequence:
        """A developmental sequence: translated (or mirrored, or turned) copies, with new
        scenes at rate ``p_new_scene``.

        Frame 0 is always a new scene. For k >= 1, with probability ``p_new_scene`` frame k
        is a new scene (``step[k] = 0``); otherwise a transition ``i`` is drawn
        (uniformly, or by ``weights``), ``clean[k]`` is ``clean[k-1]`` moved by
        ``generator_specs()[i]`` and ``step[k] = i + 1``. Noise is added last.
        """
        layout = self.layout()
        moves = [transformation(layout, g) for g in self.generator_specs()]

        def advance(previous: np.ndarray, i: int) -> tuple[np.ndarray, int]:
            return moves[i].apply(previous), i + 1

        return _sequence(self, n_frames, rng, advance)

    def heldout(
        self,
        n_frames: int,
        rng: np.random.Generator,
        centres: tuple[float, float] | None = None,
    ) -> FrameSequence:
        """Independent new scenes only (``step`` all 0), for testing.

        ``centres`` overrides the world's range of bar centres' x coordinate (fractions of
        the width), e.g. to place stimuli where development never showed them; the rows
        keep the world's ``rows``.
        """
        return _independent(self, n_frames, rng, centres)


def reflection(axis: str) -> dict[str, Any]:
    """The mirror about ``axis`` of a sheet ("x": about a vertical line, "y": about a
    horizontal one) as a ``pcsim.groups`` spec; on feature layers the channels follow as
    mirrored orientations (``channels = "mirror"``)."""
    return {"kind": "reflect", "axis": axis, "channels": "mirror"}


#: The names of the quarter-turn transitions, by count.
ROTATION_NAMES = {1: "rotate90", 2: "rotate180", 3: "rotate270"}


def rotation(times: int) -> dict[str, Any]:
    """``times`` quarter turns of a square sheet, counter-clockwise about pixel (0, 0), as a
    ``pcsim.groups`` spec named ``ROTATION_NAMES[times]``; on feature layers the channels
    follow as turned orientations (``channels = "rotate90"``: ``c -> c + C/2`` per quarter
    turn, C even; the identity on a layer of one channel)."""
    return {
        "kind": "rotate90",
        "times": times,
        "channels": "rotate90",
        "name": ROTATION_NAMES[times],
    }


@dataclass(frozen=True)
class Phase:
    """One stretch of development: ``frames`` frames of ``world``, called ``name``."""

    name: str
    world: RingWorld | TorusWorld
    frames: int


@dataclass(frozen=True)
class PhasedWorld:
    """A world that changes during development: its ``phases`` in order, each a world of
    the same kind and size (docs/model.md#45-phased-worlds).

    ``sequence`` shows every phase's frames in turn (each phase starts with a new scene);
    held-out probes are scenes of the last phase's world. ``generator_specs()`` are the
    last phase's generators (what the world does at the end), ``probe_specs()`` every
    generator any phase applies, in order of appearance; ``FrameSequence.step`` codes
    index the latter (``generator_index``)."""

    phases: tuple[Phase, ...]

    def __post_init__(self) -> None:
        if not self.phases:
            raise ValueError("a phased world needs at least one phase")
        first = self.phases[0].world
        for phase in self.phases:
            if (phase.world.kind, phase.world.layout()) != (first.kind, first.layout()):
                raise ValueError(
                    f"phase '{phase.name}': every phase's world must have the kind and size "
                    f"of the first ({first.kind}, {first.n_units} units)"
                )

    @property
    def final(self) -> RingWorld | TorusWorld:
        return self.phases[-1].world

    @property
    def n_frames(self) -> int:
        return sum(phase.frames for phase in self.phases)

    @property
    def starts(self) -> list[int]:
        """The development frame at which each phase starts."""
        return np.cumsum([0] + [p.frames for p in self.phases[:-1]]).tolist()

    @property
    def n_units(self) -> int:
        return self.final.n_units

    @property
    def noise_sd(self) -> float:
        return self.final.noise_sd

    def layout(self) -> Layout:
        return self.final.layout()

    def generator_specs(self) -> list[dict[str, Any]]:
        return self.final.generator_specs()

    def probe_specs(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for phase in self.phases:
            out += [g for g in phase.world.generator_specs() if g not in out]
        return out

    def generator_index(self, step: np.ndarray) -> np.ndarray:
        """Index into ``probe_specs()`` of each step code (-1: new scene)."""
        return np.asarray(step, dtype=np.int64) - 1

    def sequence(self, n_frames: int, rng: np.random.Generator) -> FrameSequence:
        """Every phase's frames in turn; ``n_frames`` must be their total."""
        if n_frames != self.n_frames:
            raise ValueError(f"the phases have {self.n_frames} frames, not {n_frames}")
        union = self.probe_specs()
        parts = []
        for phase in self.phases:
            part = phase.world.sequence(phase.frames, rng)
            codes = np.array([union.index(g) + 1 for g in phase.world.generator_specs()])
            index = phase.world.generator_index(part.step)
            step = np.where(index < 0, 0, codes[np.maximum(index, 0)] if len(codes) else 0)
            parts.append((part.x, part.clean, step))
        x, clean, step = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
        return FrameSequence(x=x, clean=clean, step=step.astype(np.int64))

    def heldout(
        self, n_frames: int, rng: np.random.Generator, centres: tuple[float, float] | None = None
    ) -> FrameSequence:
        return self.final.heldout(n_frames, rng, centres)


def _wrap(d: np.ndarray, n: int) -> np.ndarray:
    """Displacements on a circle of circumference ``n``, wrapped into ``[-n/2, n/2)``."""
    return np.mod(d + n / 2.0, n) - n / 2.0


def _sequence(world: Any, n_frames: int, rng: np.random.Generator, advance) -> FrameSequence:
    """Frames of ``world``: frame 0 and, with probability ``p_new_scene``, any later frame
    is a new scene (step 0); otherwise a generator index i is drawn (``draw_transition``) and
    ``advance(previous clean frame, i)`` gives the new clean frame and its step code."""
    n_frames = _check_n_frames(n_frames)
    clean = np.empty((n_frames, world.n_units))
    step = np.zeros(n_frames, dtype=np.int64)
    for k in range(n_frames):
        if k == 0 or rng.random() < world.p_new_scene:
            clean[k] = world.scene(rng)
        else:
            clean[k], step[k] = advance(clean[k - 1], world.draw_transition(rng))
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


class _Centres(Table):
    centres: Fractions


def _check_centres(value: Any) -> tuple[float, float]:
    """``centres`` given to ``heldout`` or ``scene``, checked like a world's ``centres``."""
    return _Centres(centres=value).centres


def _check_n_frames(n_frames: int) -> int:
    if isinstance(n_frames, bool) or not isinstance(n_frames, int | np.integer) or n_frames < 1:
        raise ValueError(f"n_frames must be a positive integer, got {n_frames!r}")
    return int(n_frames)
