"""The plan of a developmental run: its frame table and what each frame is for.

A plan is made by `pcsim.development.Development.plan`, run by the simulator and read by
`pcsim.analysis`; `to_arrays`/`from_arrays` carry it through a run's traces file so that
a finished run can be analysed again without simulating it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from pcsim.simulate import Inputs, Result

#: Prefix of the paradigms' arrays in `Plan.to_arrays`.
PARADIGM = "plan/paradigm/"


class Paradigm(Protocol):
    """An experiment after development and its probes (docs/model.md#5-experiment-protocol):
    its frames, shown with learning on or frozen, and the metrics read from the run.
    `pcsim.oddball.OddballSpec` and `pcsim.perception.PerceptionSpec` are paradigms."""

    name: ClassVar[str]  # key of its plan section, metrics and figure
    learn: ClassVar[bool]  # whether weights, pi and the prior's pull run during it

    def stimuli(self, world: Any, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
        """Its stimuli (n, N_0) with noise, and named (n,) labels per frame."""

    def metrics(self, dev: Any, plan: Plan, result: Result) -> dict:
        """Its signatures in one condition's ``result`` (``dev``: the `Development`; its
        frames: ``plan.paradigms[name]``)."""


@dataclass(frozen=True)
class Section:
    """The frames of one paradigm after the probes (`Paradigm`):
    ``frames`` (n,) indices into the frame table and ``labels``, named (n,) arrays that
    say what each frame is (e.g. the oddball block's ``kind`` per frame)."""

    frames: np.ndarray
    labels: dict[str, np.ndarray]


@dataclass(frozen=True)
class Plan:
    """The frames of one run and what each is for (indices into the frame table).

    ``develop`` (n_train,): development frames, in order; ``new_scene`` (n_train,) marks
    those that were new scenes. ``checkpoints``: one (frames developed so far, indices
    (M, 1 + G)) per equivariance probe: column 0 the base stimuli, column 1 + g the base
    stimuli moved by probed transformation g (`Development.probe_specs`). ``heldout``
    and ``novel``: frozen probes of new scenes, the latter centred where development's
    new scenes never were (its moving stimuli may pass there; may be empty).
    ``paradigms``: the frames of the paradigms after them, by name (the oddball block,
    the perception block; may be empty).
    """

    inputs: Inputs
    develop: np.ndarray
    new_scene: np.ndarray
    checkpoints: list[tuple[int, np.ndarray]]
    heldout: np.ndarray
    novel: np.ndarray
    paradigms: dict[str, Section] = field(default_factory=dict)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The plan as named arrays (``plan/...``), initial weights excluded."""
        out = {
            "frames": self.inputs.frames,
            "plastic": self.inputs.plastic,
            "plan/develop": self.develop,
            "plan/new_scene": self.new_scene,
            "plan/heldout": self.heldout,
            "plan/novel": self.novel,
            "plan/checkpoint_frames": np.array([seen for seen, _ in self.checkpoints]),
        }
        for c, (_, block) in enumerate(self.checkpoints):
            out[f"plan/checkpoint_{c}"] = block
        for name, section in self.paradigms.items():
            out[f"{PARADIGM}{name}"] = section.frames
            out.update({f"{PARADIGM}{name}/{k}": v for k, v in section.labels.items()})
        return out

    @classmethod
    def from_arrays(cls, arrays, weights: tuple[np.ndarray, ...]) -> Plan:
        """The plan that `to_arrays` wrote (``arrays``: a mapping such as an npz file),
        with the initial ``weights``."""
        seen = arrays["plan/checkpoint_frames"]
        keys = [k.removeprefix(PARADIGM) for k in arrays if k.startswith(PARADIGM)]
        paradigms = {
            name: Section(
                arrays[PARADIGM + name],
                {
                    k.removeprefix(f"{name}/"): arrays[PARADIGM + k]
                    for k in keys
                    if k.startswith(f"{name}/")
                },
            )
            for name in keys
            if "/" not in name
        }
        return cls(
            inputs=Inputs(arrays["frames"], arrays["plastic"], tuple(weights)),
            develop=arrays["plan/develop"],
            new_scene=arrays["plan/new_scene"],
            checkpoints=[(int(s), arrays[f"plan/checkpoint_{c}"]) for c, s in enumerate(seen)],
            heldout=arrays["plan/heldout"],
            novel=arrays["plan/novel"],
            paradigms=paradigms,
        )
