"""The symmetry-perception block (docs/model.md#55-the-perception-block): after
development, dot patterns with a controlled proportion of mirror-paired dots, each shown
twice with learning frozen; and the response of the representation to each pattern's
mirror symmetry. NumPy only: `PerceptionSpec` is a `pcsim.plan.Paradigm`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from pcsim.groups import transformation
from pcsim.plan import Plan
from pcsim.simulate import Result
from pcsim.worlds import reflection

#: Frame kinds of the block: a pattern's first presentation and its repeat.
ONSET, REPEAT = 0, 1


@dataclass(frozen=True)
class PerceptionSpec:
    """``patterns`` dot patterns per proportion in ``proportions`` and axis in ``axes``,
    each of ``dots`` dots of which the given proportion lie in pairs mirrored about the
    axis; each pattern is shown for two frames (onset, repeat). The response is read on
    layer ``layer`` (>= 1)."""

    proportions: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    patterns: int = 12
    dots: int = 10
    axes: tuple[str, ...] = ("x", "y")
    layer: int = 1

    name: ClassVar[str] = "perception"
    learn: ClassVar[bool] = False  # a perception test: nothing learns, pi and the pull rest

    def stimuli(self, world: Any, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
        """The block's frames (n, H * W) with the world's noise, in random order of the
        patterns; labels per frame: ``axis`` (index into ``axes``), ``proportion``,
        ``presentation`` (ONSET or REPEAT)."""
        trials = [(a, p) for a in range(len(self.axes)) for p in self.proportions] * self.patterns
        order = rng.permutation(len(trials))
        clean, axis, proportion = [], [], []
        for t in order:
            a, p = trials[t]
            image = render(world, pattern(world.shape, self.axes[a], self.dots, p, rng))
            clean += [image, image]
            axis += [a, a]
            proportion += [p, p]
        clean = np.array(clean)
        noise = rng.normal(0.0, world.noise_sd, clean.shape) if world.noise_sd else 0.0
        labels = {
            "axis": np.array(axis, dtype=np.int64),
            "proportion": np.array(proportion),
            "presentation": np.tile([ONSET, REPEAT], len(order)),
        }
        return clean + noise, labels

    def metrics(self, dev: Any, plan: Plan, result: Result) -> dict:
        """The symmetry signatures of one condition (docs/model.md#611-perception):
        per axis the response to each proportion, its difference from the random
        patterns' (relative to them), the slope and R^2 of that difference against the
        proportion, and the same for the stimulus itself (layer 0)."""
        layer0 = dev.spec.layers[0].layout
        here = dev.spec.layers[self.layer].layout
        rates = result.frame_traces[f"L{self.layer}.r"]
        section = plan.paradigms[self.name]
        repeat = section.labels["presentation"] == REPEAT
        repeats, kinds = section.frames[repeat], section.labels["axis"][repeat]
        onsets, share = repeats - 1, section.labels["proportion"][repeat]
        stimuli = plan.inputs.frames
        out: dict = {"layer": self.layer, "axes": list(self.axes)}
        for a, axis in enumerate(self.axes):
            mine = kinds == a
            spec = reflection(axis)
            response = asymmetry(rates[repeats[mine]], rates[onsets[mine]], here, spec)
            stimulus = asymmetry(stimuli[repeats[mine]], stimuli[onsets[mine]], layer0, spec)
            out[axis] = {
                **signature(share[mine], response),
                "stimulus": signature(share[mine], stimulus),
            }
        return out


def asymmetry(now: np.ndarray, before: np.ndarray, layout: Any, spec: dict) -> np.ndarray:
    """Mean over units of ``(now - R before)^2`` per row, ``R`` the representation of
    ``spec`` on ``layout``: the mirror consistency error of a pattern's repeat against
    its onset, (n,) for rows of (n, N) arrays."""
    moved = transformation(layout, spec).apply(before)
    return np.mean((now - moved) ** 2, axis=1)


def signature(proportion: np.ndarray, response: np.ndarray) -> dict:
    """Per proportion the mean ``response``; ``difference``: its change from the random
    patterns' (proportion 0), relative to theirs; ``slope`` and ``r2`` of a
    least-squares line through the differences against the proportion; ``monotone``:
    whether each proportion's difference is below the one before (the response falls
    as symmetry rises)."""
    levels = np.unique(proportion)
    means = np.array([response[proportion == p].mean() for p in levels])
    difference = (means - means[0]) / means[0]
    slope, intercept = np.polyfit(levels, difference, 1)
    fitted = slope * levels + intercept
    spread = np.sum((difference - difference.mean()) ** 2)
    r2 = 1.0 - np.sum((difference - fitted) ** 2) / spread if spread > 0 else None
    return {
        "response": {f"{p:g}": float(m) for p, m in zip(levels, means, strict=True)},
        "difference": {f"{p:g}": float(d) for p, d in zip(levels, difference, strict=True)},
        "slope": float(slope),
        "r2": None if r2 is None else float(r2),
        "monotone": bool(np.all(np.diff(difference) < 0)),
    }


def pattern(shape: tuple[int, int], axis: str, dots: int, proportion: float, rng) -> np.ndarray:
    """Dot positions (dots, 2) (row, col) on an H x W torus: ``proportion * dots / 2``
    (rounded) pairs mirrored about ``axis`` (``col -> -col mod W`` for "x", ``row -> -row mod
    H`` for "y"), the other dots placed so that no dot's mirror image is a dot. No dot
    lies on the axis (its own mirror image)."""
    h, w = shape
    cells = [(r, c) for r in range(h) for c in range(w)]

    def mirror(cell: tuple[int, int]) -> tuple[int, int]:
        r, c = cell
        return (r, (-c) % w) if axis == "x" else ((-r) % h, c)

    free = [cell for cell in cells if mirror(cell) != cell]
    if dots > len(free) // 2:
        raise ValueError(f"{dots} dots do not fit a {h} x {w} pattern ({len(free) // 2} at most)")
    pairs = int(round(proportion * dots / 2))
    taken: set[tuple[int, int]] = set()
    out = []
    for n, single in ((pairs, False), (dots - 2 * pairs, True)):
        for _ in range(n):
            options = [cell for cell in free if cell not in taken and mirror(cell) not in taken]
            cell = options[rng.integers(len(options))]
            taken |= {cell, mirror(cell)}
            out += [cell] if single else [cell, mirror(cell)]
    return np.array(out)


def render(world: Any, dots: np.ndarray) -> np.ndarray:
    """A clean image (H * W,) of Gaussian dots at ``dots`` (n, 2) integer (row, col), of
    s.d. ``world.bar_width`` and the world's mean contrast (torus-wrapped)."""
    h, w = world.shape
    rows, cols = np.divmod(np.arange(h * w), w)
    dy = np.mod(rows[None, :] - dots[:, :1] + h / 2, h) - h / 2
    dx = np.mod(cols[None, :] - dots[:, 1:] + w / 2, w) - w / 2
    amplitude = float(np.mean(world.contrast))
    blobs = np.exp(-(dy**2 + dx**2) / (2 * world.bar_width**2))
    return amplitude * blobs.sum(axis=0)
