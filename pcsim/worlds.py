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
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pcsim.errors import ConfigError

__all__ = ["FrameSequence", "RingWorld", "WORLD_KINDS", "make_world"]


@dataclass(frozen=True, eq=False)
class FrameSequence:
    """Frames shown to the circuit, one row per frame.

    Attributes:
        x: (n_frames, channels) float64, the stimuli the circuit sees (``clean`` + noise).
        clean: (n_frames, channels) float64, the same frames without noise.
        step: (n_frames,) int64, the world step (rotation in channels) that made clean
            frame ``k`` from clean frame ``k - 1``; 0 where frame ``k`` is a new scene
            (always 0 for frame 0). Worlds never use 0 as a step, so ``step == 0``
            marks new scenes exactly.
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
        lo, hi = _pair(self.bumps, "bumps")
        if int(lo) != lo or int(hi) != hi or not 1 <= lo <= hi:
            raise ValueError(f"bumps must be integers with 1 <= min <= max, got {self.bumps!r}")
        set_(self, "bumps", (int(lo), int(hi)))
        if not (math.isfinite(self.kappa) and self.kappa > 0):
            raise ValueError(f"kappa must be a positive number, got {self.kappa!r}")
        set_(self, "kappa", float(self.kappa))
        lo, hi = _pair(self.contrast, "contrast")
        if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo <= hi):
            raise ValueError(f"contrast must satisfy 0 <= lo <= hi, got {self.contrast!r}")
        set_(self, "contrast", (float(lo), float(hi)))
        if not (math.isfinite(self.noise_sd) and self.noise_sd >= 0):
            raise ValueError(f"noise_sd must be >= 0, got {self.noise_sd!r}")
        set_(self, "noise_sd", float(self.noise_sd))
        if not 0.0 <= self.p_new_scene <= 1.0:
            raise ValueError(f"p_new_scene must lie in [0, 1], got {self.p_new_scene!r}")
        set_(self, "p_new_scene", float(self.p_new_scene))
        if self.p_new_scene < 1.0 and not steps:
            raise ValueError("steps is empty, so p_new_scene must be 1 (only new scenes)")
        set_(self, "centres", _check_centres(self.centres))
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

    # -- sequences --------------------------------------------------------------------
    def sequence(self, n_frames: int, rng: np.random.Generator) -> FrameSequence:
        """A developmental sequence: rotated copies, with new scenes at rate ``p_new_scene``.

        Frame 0 is always a new scene. For k >= 1, with probability ``p_new_scene`` frame k
        is a new scene (``step[k] = 0``); otherwise ``clean[k] = np.roll(clean[k-1], s)``
        with ``s`` drawn uniformly from ``steps`` and ``step[k] = s``. Noise is added last.
        """
        n_frames = _check_n_frames(n_frames)
        clean = np.empty((n_frames, self.channels))
        step = np.zeros(n_frames, dtype=np.int64)
        for k in range(n_frames):
            if k == 0 or rng.random() < self.p_new_scene:
                clean[k] = self.scene(rng)
            else:
                s = self.steps[int(rng.integers(len(self.steps)))]
                step[k] = s
                clean[k] = np.roll(clean[k - 1], s)
        return self._with_noise(clean, step, rng)

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
        n_frames = _check_n_frames(n_frames)
        clean = np.empty((n_frames, self.channels))
        for k in range(n_frames):
            clean[k] = self.scene(rng, centres)
        return self._with_noise(clean, np.zeros(n_frames, dtype=np.int64), rng)

    def _with_noise(
        self, clean: np.ndarray, step: np.ndarray, rng: np.random.Generator
    ) -> FrameSequence:
        noise = rng.normal(0.0, self.noise_sd, size=clean.shape) if self.noise_sd else 0.0
        return FrameSequence(x=clean + noise, clean=clean, step=step)


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
WORLD_KINDS = ("ring",)
_RING_KEYS = ("channels", "bumps", "kappa", "contrast", "noise_sd", "steps", "p_new_scene",
              "centres")  # fmt: skip
_IGNORED_KEYS = ("kind", "frame_duration")


def make_world(cfg_world: dict) -> RingWorld:
    """Build the world of a scenario from its validated ``[world]`` table.

    Keys: ``kind`` ("ring"), ``channels``, ``frame_duration`` (a brian2 Quantity; not
    used here), ``bumps``, ``kappa``, ``contrast``, ``noise_sd``, ``steps``,
    ``p_new_scene``, ``centres``. Lists become tuples; missing optional keys take the
    ``RingWorld`` defaults. Raises ``ConfigError`` (a ``ValueError``) naming the key.
    """
    kind = cfg_world.get("kind", "ring")
    if kind not in WORLD_KINDS:
        raise ConfigError(
            f"unknown world kind '{kind}' (known: {', '.join(WORLD_KINDS)})", path="world.kind"
        )
    unknown = sorted(set(cfg_world) - set(_RING_KEYS) - set(_IGNORED_KEYS))
    if unknown:
        raise ConfigError(
            f"unknown key(s) {unknown} for a ring world (known: "
            f"{', '.join(_RING_KEYS + _IGNORED_KEYS)})",
            path="world",
        )
    if "channels" not in cfg_world:
        raise ConfigError("a ring world needs 'channels'", path="world.channels")
    kwargs = {
        k: tuple(v) if isinstance(v, list | tuple) else v
        for k, v in cfg_world.items()
        if k in _RING_KEYS
    }
    try:
        return RingWorld(**kwargs)
    except ValueError as err:
        key = next((k for k in _RING_KEYS if str(err).startswith(k)), "")
        raise ConfigError(str(err), path=f"world.{key}" if key else "world") from err
