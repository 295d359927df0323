"""The plan of a developmental run: its frame table and what each frame is for.

A plan is made by `pcsim.development.Development.plan`, run by the simulator and read by
`pcsim.analysis`; `to_arrays`/`from_arrays` carry it through a run's traces file so that
a finished run can be analysed again without simulating it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pcsim.simulate import Inputs


@dataclass(frozen=True)
class Plan:
    """The frames of one run and what each is for (indices into the frame table).

    ``develop`` (n_train,): development frames, in order; ``new_scene`` (n_train,) marks
    those that were new scenes. ``checkpoints``: one (frames developed so far, indices
    (M, 1 + G)) per equivariance probe: column 0 the base stimuli, column 1 + g the base
    stimuli moved by the world's generator g. ``heldout`` and ``novel``: frozen probes of
    new scenes, the latter centred where development's new scenes never were (its
    moving stimuli may pass there; may be empty). ``oddball``: the frames of the oddball
    block after them (learning on; may be empty) and ``oddball_labels`` their ``kind``,
    ``magnitude``, ``repetition`` and ``distance`` (`pcsim.oddball.Block`).
    """

    inputs: Inputs
    develop: np.ndarray
    new_scene: np.ndarray
    checkpoints: list[tuple[int, np.ndarray]]
    heldout: np.ndarray
    novel: np.ndarray
    oddball: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    oddball_labels: dict[str, np.ndarray] = field(default_factory=dict)

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
        if self.oddball.size:
            out["plan/oddball"] = self.oddball
            out.update({f"plan/oddball_{k}": v for k, v in self.oddball_labels.items()})
        return out

    @classmethod
    def from_arrays(cls, arrays, weights: tuple[np.ndarray, ...]) -> Plan:
        """The plan that `to_arrays` wrote (``arrays``: a mapping such as an npz file),
        with the initial ``weights``."""
        seen = arrays["plan/checkpoint_frames"]
        return cls(
            inputs=Inputs(arrays["frames"], arrays["plastic"], tuple(weights)),
            develop=arrays["plan/develop"],
            new_scene=arrays["plan/new_scene"],
            checkpoints=[(int(s), arrays[f"plan/checkpoint_{c}"]) for c, s in enumerate(seen)],
            heldout=arrays["plan/heldout"],
            novel=arrays["plan/novel"],
            **(
                {
                    "oddball": arrays["plan/oddball"],
                    "oddball_labels": {
                        k.removeprefix("plan/oddball_"): arrays[k]
                        for k in arrays
                        if k.startswith("plan/oddball_")
                    },
                }
                if "plan/oddball" in arrays
                else {}
            ),
        )
