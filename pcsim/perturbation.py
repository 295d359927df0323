"""The perturbation block (docs/model.md#56-the-perturbation-block): after development,
clean scenes and their noisy and occluded versions, learning frozen; and how far the
representation moves per unit of input change. NumPy only: `PerturbationSpec` is a
`pcsim.plan.Paradigm`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from pcsim.plan import Plan
from pcsim.simulate import Result

#: Frame kinds of the block: a clean scene, its noisy versions, its occluded versions.
CLEAN, NOISE, OCCLUSION = 0, 1, 2
KIND_NAMES = {NOISE: "noise", OCCLUSION: "occlusion"}


@dataclass(frozen=True)
class PerturbationSpec:
    """``scenes`` new scenes of the world without noise, each followed by itself with
    Gaussian noise of each sd in ``noise`` and with each fraction in ``occlusion`` of
    the input hidden (a contiguous arc of the ring, or band of the torus's columns, set
    to 0); the representation is read on layer ``layer``."""

    scenes: int = 8
    noise: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4)
    occlusion: tuple[float, ...] = (0.125, 0.25, 0.5)
    layer: int = 1

    name: ClassVar[str] = "perturbation"
    learn: ClassVar[bool] = False  # a test of the representation: nothing learns

    def stimuli(self, world: Any, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
        """The block's frames (n, N_0); labels per frame: ``scene``, ``kind`` (CLEAN,
        NOISE, OCCLUSION) and ``level`` (the noise sd or the hidden fraction; 0 clean)."""
        frames, scene, kind, level = [], [], [], []
        for s in range(self.scenes):
            clean = world.scene(rng)
            versions = [(CLEAN, 0.0, clean)]
            versions += [(NOISE, sd, clean + rng.normal(0.0, sd, clean.shape)) for sd in self.noise]
            versions += [(OCCLUSION, f, occlude(world, clean, f, rng)) for f in self.occlusion]
            for k, v, x in versions:
                frames.append(x)
                scene.append(s)
                kind.append(k)
                level.append(v)
        labels = {
            "scene": np.array(scene, dtype=np.int64),
            "kind": np.array(kind, dtype=np.int64),
            "level": np.array(level),
        }
        return np.array(frames), labels

    def metrics(self, dev: Any, plan: Plan, result: Result) -> dict:
        """Per kind and level (docs/model.md#612-perturbation): the mean relative change
        of the input and of the representation against the scene's clean frame, and
        ``gain``, the ratio of the two means (representation change per unit of input
        change)."""
        section = plan.paradigms[self.name]
        scene, kind, level = (section.labels[k] for k in ("scene", "kind", "level"))
        clean = np.zeros(self.scenes, dtype=np.int64)
        clean[scene[kind == CLEAN]] = section.frames[kind == CLEAN]
        now, ref = section.frames, clean[scene]  # each frame and its scene's clean frame
        d_in = relative_change(plan.inputs.frames[now], plan.inputs.frames[ref])
        rates = result.frame_traces[f"L{self.layer}.r"]
        d_rep = relative_change(rates[now], rates[ref])
        out: dict = {"layer": self.layer}
        for code, name in KIND_NAMES.items():
            out[name] = {}
            for v in np.unique(level[kind == code]):
                mine = (kind == code) & (level == v)
                out[name][f"{v:g}"] = {
                    "input_change": float(d_in[mine].mean()),
                    "representation_change": float(d_rep[mine].mean()),
                    "gain": float(d_rep[mine].mean() / d_in[mine].mean()),
                }
        return out


def relative_change(x: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """|x - reference| / |reference| per row, (n,) for (n, N) arrays."""
    return np.linalg.norm(x - reference, axis=1) / np.linalg.norm(reference, axis=1)


def occlude(world: Any, image: np.ndarray, fraction: float, rng) -> np.ndarray:
    """``image`` with a contiguous ``fraction`` of it set to 0: an arc of a ring of
    channels, or a band of whole columns of a torus (wrapping), at a random start."""
    layout = world.layout()
    width = layout.shape[-1]
    hidden = (rng.integers(width) + np.arange(int(round(fraction * width)))) % width
    out = np.array(image, dtype=float).reshape(-1, width)
    out[:, hidden] = 0.0
    return out.ravel()
