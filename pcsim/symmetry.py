"""The symmetry prior as data: candidate transformations and their actions on each layer
(docs/model.md#2-the-symmetry-prior). Building the Brian2 objects is `pcsim.network`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import brian2
import numpy as np

from pcsim.circuit import CircuitSpec
from pcsim.groups import Perm, transformation_at

#: Default (theta, beta) of each precision mode (docs/model.md#213-learned-precision):
#: learned, energies in units of the learned variance (the true candidate's is about 1);
#: fixed, raw per-unit mean squared errors (the true candidate's is 2 noise_sd^2).
EVIDENCE_DEFAULTS: dict[str, tuple[float, float]] = {
    "learned": (1.5, 10.0),
    "fixed": (0.01, 1000.0),
}

#: How the weight coupling is integrated (docs/model.md#211-the-weight-coupling): "dt", in
#: every time step with the rest of the weight dynamics; "frame", one Euler step over a
#: whole frame at its start.
COUPLING_STEPS = ("dt", "frame")

#: Which precision weighs the prediction errors in inference and learning
#: (docs/model.md#214-learned-precision-in-inference): "fixed", the configured Pi_l;
#: "learned", Pi_l redistributed over the layer's units by their learned variances.
INFERENCE_PRECISIONS = ("fixed", "learned")


@dataclass(frozen=True)
class SymmetrySpec:
    """Candidates t_1..t_K and the parameters of the prior.

    ``actions[l][k]`` is the permutation rho_l(t_k) of layer l's units (images: unit i
    goes to ``actions[l][k][i]``; layer 0: the action P_k on the stimulus).
    ``evidence_weights[l]`` is w_l in E_k = sum_l w_l mean_i s_{l,k,i}^2 (a mean over the
    layer's units, so that one theta and beta suit layers of any size).
    ``lam`` (lambda) weighs structural surprise in inference; 0 is the plain-PC baseline.
    ``tau_dev`` (time) is the developmental time constant of the prior pi over candidates.
    ``weight_coupling`` (rate): the prior's action on the weights, each synapse relaxing
    towards its partner under every candidate with weight pi_k (0: off).
    ``weight_coupling_end`` (rate or None): anneal the coupling linearly over the
    development frames, from ``weight_coupling`` at the first to this at the last
    (None: constant).
    ``coupling_step``: "dt" (the coupling integrated in every time step) or "frame" (one
    Euler step of it per frame, at the frame's start; see `COUPLING_STEPS`).
    ``precision``: "learned" (every error unit learns its variance with time constant
    ``tau_precision`` and the energies are measured in units of it, so ``theta`` and
    ``beta`` are dimensionless) or "fixed" (raw mean squared errors).
    ``inference_precision``: "fixed" (inference and learning weigh the errors with the
    configured Pi_l) or "learned" (with Pi_l N_l (1/u_i) / sum_j (1/u_j): the layer's
    mean precision stays Pi_l, its units share it by their learned variances; needs
    ``precision`` "learned").
    """

    names: tuple[str, ...]
    actions: tuple[tuple[np.ndarray, ...], ...]
    lam: float
    beta: float
    theta: float
    tau_dev: brian2.Quantity
    evidence_weights: tuple[float, ...]
    pi_min: float = 0.05
    initial_prior: float | None = None
    weight_coupling: brian2.Quantity = field(default_factory=lambda: 0 * brian2.Hz)
    weight_coupling_end: brian2.Quantity | None = None
    coupling_step: str = "dt"
    precision: str = "learned"
    tau_precision: brian2.Quantity = field(default_factory=lambda: 1 * brian2.second)
    inference_precision: str = "fixed"

    def __post_init__(self) -> None:
        k = len(self.names)
        if k == 0:
            raise ValueError("the symmetry prior needs at least one candidate")
        if len(set(self.names)) != k:
            raise ValueError(f"candidate names must be unique, got {self.names}")
        for l, layer_actions in enumerate(self.actions):
            if len(layer_actions) != k:
                raise ValueError(f"layer {l}: {len(layer_actions)} actions for {k} candidates")
            for name, p in zip(self.names, layer_actions, strict=True):
                if sorted(p.tolist()) != list(range(len(p))):
                    raise ValueError(f"candidate '{name}' on layer {l} is not a permutation")
        if len(self.evidence_weights) != len(self.actions):
            raise ValueError("evidence_weights needs one weight per layer")
        if self.lam < 0 or self.beta <= 0 or float(self.tau_dev) <= 0:
            raise ValueError("need lam >= 0, beta > 0 and tau_dev > 0")
        if self.weight_coupling_end is not None:
            if float(self.weight_coupling_end) < 0:
                raise ValueError("need weight_coupling_end >= 0")
            if not self.couples_weights:
                raise ValueError(
                    "weight_coupling_end anneals the coupling: needs weight_coupling > 0"
                )
        if self.coupling_step not in COUPLING_STEPS:
            raise ValueError(f"coupling_step must be one of {COUPLING_STEPS}")
        if self.precision not in EVIDENCE_DEFAULTS:
            raise ValueError(f"precision must be one of {tuple(EVIDENCE_DEFAULTS)}")
        if self.learns_precision:
            if float(self.tau_precision) <= 0:
                raise ValueError("need tau_precision > 0")
            if self.evidence_weights[-1] != 0:
                raise ValueError(
                    "with learned precision the top layer (no error units, no variance) "
                    "must have evidence weight 0"
                )
        if self.inference_precision not in INFERENCE_PRECISIONS:
            raise ValueError(f"inference_precision must be one of {INFERENCE_PRECISIONS}")
        if self.weighs_inference and not self.learns_precision:
            raise ValueError(
                "inference_precision 'learned' needs the learned variances: precision 'learned'"
            )

    @property
    def n_candidates(self) -> int:
        return len(self.names)

    @property
    def prior0(self) -> float:
        """Initial pi of every candidate and of the null hypothesis."""
        return self.initial_prior or 1.0 / (self.n_candidates + 1)

    @property
    def learns_precision(self) -> bool:
        return self.precision == "learned"

    @property
    def weighs_inference(self) -> bool:
        """True: the learned variances also weigh the errors in inference and learning."""
        return self.inference_precision == "learned"

    @property
    def couples_weights(self) -> bool:
        return float(self.weight_coupling) > 0

    def coupling_gain(self, plastic: np.ndarray) -> np.ndarray | None:
        """The factor on the weight coupling per frame, shape (n_frames,), for the
        plasticity gate ``plastic`` (n_frames,): with ``weight_coupling_end``, it falls
        (or rises) linearly over the development frames (``plastic > 0``), from 1 at the
        first to kappa_end / kappa at the last; a frozen frame keeps the value of the
        development frame before it (the gate stops the coupling there anyway). None
        without annealing."""
        if self.weight_coupling_end is None:
            return None
        done = np.cumsum(np.asarray(plastic) > 0)  # development frames up to this one
        n = max(int(done[-1]) if len(done) else 0, 1)
        position = np.clip(done - 1, 0, None) / max(n - 1, 1)
        end = float(self.weight_coupling_end / self.weight_coupling)
        return 1.0 + (end - 1.0) * position

    def partners(self, spec: CircuitSpec, l: int) -> np.ndarray:
        """(K, S_l) synapse indices: the partner of synapse s of W_l under candidate k,
        i.e. the synapse whose weight P_k W_l rho_l(t_k)^T puts at s; a synapse without a
        partner (the connectivity is not invariant under t_k) is its own partner. An
        invariant layer's units stay put (the trivial representation): with layer l
        invariant, only a synapse's unit below moves."""
        pre, post = spec.connections(l)
        n_post = spec.sizes[l - 1]
        keys = pre * n_post + post  # ascending: synapses are sorted by pre, then post
        out = np.empty((self.n_candidates, len(pre)), dtype=np.int64)
        for k in range(self.n_candidates):
            want = (
                np.argsort(self.actions[l][k])[pre] * n_post
                + np.argsort(self.actions[l - 1][k])[post]
            )
            found = np.clip(np.searchsorted(keys, want), 0, len(keys) - 1)
            out[k] = np.where(keys[found] == want, found, np.arange(len(pre)))
        return out

    def gather(self, l: int) -> np.ndarray:
        """Index array of length K * N_l: (rho_l(t_k) m)_i = m[gather[k * N_l + i]]."""
        return np.concatenate([np.argsort(p) for p in self.actions[l]])


def candidate_actions(
    spec: CircuitSpec, candidates: list[dict]
) -> tuple[tuple[str, ...], tuple[tuple[np.ndarray, ...], ...]]:
    """Names and per-layer actions of candidate transformation specs (``{"name": ...,
    "kind": ...}`` tables of a scenario), each defined on the sensory layout and carried to
    every layer's layout (positions moved alike; channel maps as the spec says). On an
    invariant layer every candidate is the identity (the trivial representation), whatever
    that layer's layout and size; the sensory layer defines the candidates and cannot be
    invariant (ValueError)."""
    sensory = spec.layers[0].layout
    if spec.layers[0].invariant:
        raise ValueError("layer 0 (sensory) defines the candidates and cannot be invariant")
    names = tuple(c["name"] for c in candidates)
    actions = []
    for layer in spec.layers:
        perms: list[Perm] = []
        for candidate in candidates:
            perms.append(
                transformation_at(candidate, sensory, layer.layout, invariant=layer.invariant)
            )
        actions.append(tuple(np.asarray(p.array) for p in perms))
    return names, tuple(actions)


def symmetry_prior(
    spec: CircuitSpec,
    candidates: list[dict],
    *,
    lam: float = 1.0,
    beta: float | None = None,
    theta: float | None = None,
    tau_dev: brian2.Quantity = 2 * brian2.second,
    evidence_weights: tuple[float, ...] | None = None,
    pi_min: float = 0.05,
    weight_coupling: brian2.Quantity = 0 * brian2.Hz,
    weight_coupling_end: brian2.Quantity | None = None,
    coupling_step: str = "dt",
    precision: str = "learned",
    tau_precision: brian2.Quantity = 1 * brian2.second,
    inference_precision: str = "fixed",
) -> SymmetrySpec:
    """A `SymmetrySpec` for ``spec`` from candidate tables such as
    ``{"name": "rot+1", "kind": "rotate", "by": 1}`` (see `pcsim.groups.transformation`).
    By default only the sensory layer weighs in the evidence (w_0 = 1, others 0), and
    ``theta``, ``beta`` are those of ``precision`` in `EVIDENCE_DEFAULTS`."""
    names, actions = candidate_actions(spec, candidates)
    if evidence_weights is None:
        evidence_weights = (1.0,) + (0.0,) * (spec.n_layers - 1)
    if precision not in EVIDENCE_DEFAULTS:
        raise ValueError(f"precision must be one of {tuple(EVIDENCE_DEFAULTS)}, got {precision!r}")
    default_theta, default_beta = EVIDENCE_DEFAULTS[precision]
    return SymmetrySpec(
        names,
        actions,
        lam,
        default_beta if beta is None else beta,
        default_theta if theta is None else theta,
        tau_dev,
        tuple(evidence_weights),
        pi_min,
        weight_coupling=weight_coupling,
        weight_coupling_end=weight_coupling_end,
        coupling_step=coupling_step,
        precision=precision,
        tau_precision=tau_precision,
        inference_precision=inference_precision,
    )
