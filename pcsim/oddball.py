"""The oddball block (docs/model.md#54-the-oddball-block): after development, a standard
scene repeated with rare deviants, learning on; and the mismatch responses measured
from the sensory prediction errors. NumPy only: `OddballSpec` is a
`pcsim.plan.Paradigm`, which `pcsim.development` puts into the plan and
`pcsim.analysis` asks for its metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import brian2
import numpy as np

from pcsim.groups import transformation
from pcsim.plan import Plan
from pcsim.simulate import Result

#: Frame kinds of the block: the standard, a deviant by a group element (the world's
#: first generator applied ``magnitude`` times), a deviant by a contrast change at the
#: same input-space distance (outside the group: every group element keeps the norm).
STANDARD, GROUP, CONTRAST = 0, 1, 2
KIND_NAMES = {GROUP: "group", CONTRAST: "contrast"}

#: Repetitions of the standard after a deviant over which adaptation is reported.
REPETITIONS = 6


@dataclass(frozen=True)
class OddballSpec:
    """``frames`` oddball frames; each frame after ``lead`` standards and at least
    ``min_standards`` standards since the last deviant is a deviant with probability
    ``p_deviant``, of either kind and a magnitude from ``magnitudes`` with equal
    probability; the response is the mean squared sensory error over the ``window``
    after each frame's onset."""

    frames: int
    p_deviant: float
    magnitudes: tuple[int, ...]
    window: brian2.Quantity
    lead: int = 10
    min_standards: int = 2

    name: ClassVar[str] = "oddball"
    learn: ClassVar[bool] = True  # as in a real experiment

    def stimuli(self, world: Any, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
        """The block's frames (`block`) and their kind, magnitude, repetition, distance."""
        made = block(self, world, rng)
        labels = ("kind", "magnitude", "repetition", "distance")
        return made.x, {k: getattr(made, k) for k in labels}

    def metrics(self, dev: Any, plan: Plan, result: Result) -> dict:
        """The mismatch signatures (`metrics`), from the sensory errors recorded every
        step (``L0.eps`` with ``monitors.interval = dt``)."""
        steps = int(round(float(dev.frame_duration / dev.dt)))
        window = int(round(float(self.window / dev.dt)))
        if "L0.eps" not in result.traces or dev.interval is None or dev.interval != dev.dt:
            raise ValueError("the oddball metrics need L0.eps recorded every step (monitors)")
        section = plan.paradigms[self.name]
        response = responses(result.traces["L0.eps"], section.frames, steps, window)
        return metrics(section.labels, response)


@dataclass(frozen=True)
class Block:
    """An oddball sequence: ``x`` (n, N_0) frames with noise; per frame its ``kind``
    (STANDARD, GROUP, CONTRAST), ``magnitude`` (0 for standards), ``repetition`` (for a
    standard, how many standards since the last deviant, itself included) and
    ``distance`` (|deviant - standard| of the clean frames; 0 for standards)."""

    x: np.ndarray
    kind: np.ndarray
    magnitude: np.ndarray
    repetition: np.ndarray
    distance: np.ndarray


def block(spec: OddballSpec, world, rng: np.random.Generator) -> Block:
    """The oddball sequence of ``world`` (its ``scene`` is the standard, its first
    generator makes the group deviants)."""
    standard = world.scene(rng)
    step = transformation(world.layout(), world.generator_specs()[0])
    deviant = {}
    for d in spec.magnitudes:
        moved = standard
        for _ in range(d):
            moved = step.apply(moved)
        distance = float(np.linalg.norm(moved - standard))
        contrast = (1 + distance / np.linalg.norm(standard)) * standard
        deviant[GROUP, d] = (moved, distance)
        deviant[CONTRAST, d] = (contrast, distance)
    n = spec.frames
    clean = np.empty((n, len(standard)))
    kind, magnitude = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    repetition, distance = np.zeros(n, dtype=np.int64), np.zeros(n)
    since = 0
    for k in range(n):
        eligible = k >= spec.lead and since >= spec.min_standards
        if eligible and rng.random() < spec.p_deviant:
            kind[k] = GROUP if rng.random() < 0.5 else CONTRAST
            magnitude[k] = spec.magnitudes[rng.integers(len(spec.magnitudes))]
            clean[k], distance[k] = deviant[kind[k], magnitude[k]]
            since = 0
        else:
            clean[k] = standard
            since += 1
            repetition[k] = since if k >= spec.lead else 0
    noise = rng.normal(0.0, world.noise_sd, clean.shape) if world.noise_sd else 0.0
    return Block(clean + noise, kind, magnitude, repetition, distance)


def responses(eps: np.ndarray, frames: np.ndarray, steps_per_frame: int, window: int) -> np.ndarray:
    """Mean over units and over the first ``window`` steps of each frame of eps_0^2,
    shape (len(frames),). ``eps``: (n_samples, N_0), sampled every step (sample k holds
    the error computed in step k - 1, so a frame's first step is sample start + 1)."""
    first = np.asarray(frames) * steps_per_frame + 1
    rows = first[:, None] + np.arange(window)
    return np.mean(eps[rows] ** 2, axis=(1, 2))


def _slope(x: np.ndarray, y: np.ndarray) -> float | None:
    return float(np.polyfit(x, y, 1)[0]) if len(np.unique(x)) > 1 else None


def metrics(labels: dict[str, np.ndarray], response: np.ndarray) -> dict:
    """The mismatch signatures of one condition (docs/model.md#610-oddball).

    ``labels``: the block's ``kind``, ``magnitude``, ``repetition`` and ``distance`` per
    frame; ``response``: each frame's response (`responses`). A deviant's mismatch is its
    response minus that of the standard just before it."""
    kind, magnitude = labels["kind"], labels["magnitude"]
    repetition, distance = labels["repetition"], labels["distance"]
    deviants = np.flatnonzero(kind != STANDARD)
    deviants = deviants[deviants > 0]
    mismatch = response[deviants] - response[deviants - 1]
    out: dict = {"deviants": int(len(deviants)), "mismatch_mean": _mean(mismatch)}
    by_kind: dict[str, dict[str, float | None]] = {}
    for code, name in KIND_NAMES.items():
        mine = kind[deviants] == code
        by_kind[name] = {
            str(d): _mean(mismatch[mine & (magnitude[deviants] == d)])
            for d in np.unique(magnitude[deviants])
        }
        out[f"slope_{name}"] = _slope(distance[deviants][mine], mismatch[mine])
    out["mismatch"] = by_kind
    out["distance"] = {
        str(d): float(distance[deviants][magnitude[deviants] == d][0])
        for d in np.unique(magnitude[deviants])
    }
    contrast = by_kind["contrast"]
    differences = [
        g - contrast[d]
        for d, g in by_kind["group"].items()
        if g is not None and contrast.get(d) is not None
    ]
    out["group_minus_contrast"] = _mean(np.array(differences))
    runs = {r: _mean(response[repetition == r]) for r in range(1, REPETITIONS + 1)}
    out["standard_by_repetition"] = {str(r): v for r, v in runs.items()}
    present = {r: v for r, v in runs.items() if v is not None}
    out["repetition_slope"] = _slope(np.array(list(present)), np.array(list(present.values())))
    standards = np.flatnonzero(repetition > 0)
    quarter = max(1, len(standards) // 4)
    out["standard_first_quarter"] = _mean(response[standards[:quarter]])
    out["standard_last_quarter"] = _mean(response[standards[-quarter:]])
    return out


def _mean(values: np.ndarray) -> float | None:
    return float(np.mean(values)) if len(values) else None
