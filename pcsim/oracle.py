"""Dense NumPy twin of the circuit: the same equations, the same explicit Euler scheme
and the same operation order inside a step as `pcsim.network` (see its schedule table),
symmetry prior included. Every Brian2 backend is tested against it.
"""

from __future__ import annotations

import time

import numpy as np
from brian2 import second

from pcsim.circuit import CircuitSpec
from pcsim.network import Protocol, parse_monitor_name
from pcsim.simulate import Inputs, Result, population_name
from pcsim.symmetry import SymmetrySpec

PHI = {
    "identity": (lambda r: r, lambda r: np.ones_like(r)),
    "rectified": (lambda r: r * (r > 0), lambda r: (r >= 0).astype(float)),
    "tanh": (np.tanh, lambda r: 1 - np.tanh(r) ** 2),
}


def simulate(
    spec: CircuitSpec,
    protocol: Protocol,
    inputs: Inputs,
    *,
    monitors: tuple[str, ...] = (),
    frame_monitors: tuple[str, ...] = (),
    divergence_bound: float = 1e6,
    symmetry: SymmetrySpec | None = None,
    dtype: str = "float64",
) -> Result:
    """Integrate ``spec`` on ``inputs`` step by step; returns what a `Simulator` returns.
    ``dtype`` ("float64" or "float32") is the precision of every state variable."""
    dtype = np.dtype(dtype)
    phi, dphi = PHI[spec.nonlinearity]
    n_layers, top = spec.n_layers, spec.n_layers - 1
    dt, tau, eta, decay = si_parameters(spec, protocol)
    masks = [None] + [spec.mask(l) for l in range(1, n_layers)]
    weights = [None] + [
        spec.dense(l, np.asarray(w, dtype=dtype)) for l, w in enumerate(inputs.weights, 1)
    ]
    precision = [layer.precision for layer in spec.layers]
    zeros = [np.zeros(n, dtype=dtype) for n in spec.sizes]
    r, mu, eps, fb, m, sym = ([z.copy() for z in zeros] for _ in range(6))
    state = {"r": r, "mu": mu, "eps": eps, "fb": fb, "m": m, "sym": sym}
    cand = _Candidates(symmetry, spec, inputs, dtype) if symmetry else None
    if cand:
        state.update(cand.state)
    recorded = {name: parse_monitor_name(name, n_layers) for name in monitors}
    at_frames = {name: parse_monitor_name(name, n_layers) for name in frame_monitors}
    traces: dict[str, list[np.ndarray]] = {name: [] for name in monitors}
    frame_traces: dict[str, list[np.ndarray]] = {name: [] for name in frame_monitors}
    t_bad: list[float | None] = [None] * n_layers
    gate = 0.0
    per_frame, per_sample = protocol.steps_per_frame, protocol.steps_per_sample
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported, not warned
        for step in range(protocol.n_steps):
            t = step * dt
            if step % per_sample == 0:  # start -10
                for name, (layer, var) in recorded.items():
                    traces[name].append(_read(state, layer, var))
            if step % per_frame == 0:
                for name, (layer, var) in at_frames.items():  # start -10
                    frame_traces[name].append(_read(state, layer, var))
                if cand:  # start -5
                    for l in range(n_layers):
                        m[l] = r[l].copy()
                frame = min(step // per_frame, protocol.n_frames - 1)  # start 0
                r[0] = np.array(inputs.frames[frame], dtype=dtype)
                gate = float(inputs.plastic[frame])
                for layer in range(n_layers):  # start 1
                    values = [r[layer]] + ([eps[layer]] if layer < top else [])
                    ok = all(np.all(np.abs(v) <= divergence_bound) for v in values)
                    if t_bad[layer] is None and not ok:
                        t_bad[layer] = t
            for l in range(1, n_layers):  # groups -5
                mu[l - 1] = weights[l] @ phi(r[l])
            if cand:
                cand.energies(r, m)
            for l in range(top):  # groups -4 (and Z, -3 q: see _Candidates.energies)
                eps[l] = r[l] - mu[l]
            for l in range(1, n_layers):  # groups -3
                fb[l] = weights[l].T @ (precision[l - 1] * eps[l - 1])
            if cand:  # groups -2
                for l in range(1, n_layers):
                    sym[l] = cand.pull(l)
            if spec.learning:  # groups 0
                for l in range(1, n_layers):
                    hebb = eta * precision[l - 1] * np.outer(eps[l - 1], phi(r[l]))
                    change = hebb - decay * weights[l]
                    if cand and cand.couples:
                        change = change + cand.weight_pull(l, weights[l])
                    weights[l] = weights[l] + dt * gate * change * masks[l]
            if cand:
                cand.develop(dt, gate)
            for l in range(1, n_layers):  # groups 1
                drive = -precision[l] * eps[l] if l < top else 0.0
                prior = cand.lam * gate * sym[l] if cand else 0.0
                r[l] = r[l] + dt * (drive + dphi(r[l]) * fb[l] - spec.alpha * r[l] - prior) / tau
    simulated = time.perf_counter() - start
    if not protocol.tail_step:  # the end of the last frame is the final state
        for name, (layer, var) in at_frames.items():
            frame_traces[name].append(_read(state, layer, var))
    bad = [(layer, t) for layer, t in enumerate(t_bad) if t is not None]
    divergence = None
    if bad:
        layer, t = min(bad, key=lambda item: item[1])
        divergence = (population_name(layer), t)
    n_samples = len(range(0, protocol.n_steps, per_sample))
    return Result(
        times=np.arange(n_samples) * per_sample * dt,
        traces={name: np.array(values) for name, values in traces.items()},
        frame_traces={name: np.array(values[1:]) for name, values in frame_traces.items()},
        weights=[
            weights[l][spec.connections(l)[1], spec.connections(l)[0]] for l in range(1, n_layers)
        ],
        compile_seconds=0.0,
        simulate_seconds=simulated,
        divergence=divergence,
        backend="oracle",
    )


def si_parameters(spec: CircuitSpec, protocol: Protocol) -> tuple[float, float, float, float]:
    """dt and tau_r in seconds, eta and eta_decay in 1/s, as plain floats."""
    return (
        float(protocol.dt / second),
        float(spec.tau_r / second),
        float(spec.eta * second),
        float(spec.eta_decay * second),
    )


def _read(state: dict, layer: int, var: str) -> np.ndarray:
    value = state[var] if layer < 0 else state[var][layer]
    return np.array(value, dtype=float).copy()


class _Candidates:
    """The candidate machinery of DESIGN.md section 2 (index 0: null hypothesis)."""

    def __init__(self, symmetry: SymmetrySpec, spec: CircuitSpec, inputs: Inputs, dtype):
        n_layers = spec.n_layers
        self.sym = symmetry
        self.spec = spec
        self.lam = symmetry.lam if inputs.lam is None else inputs.lam
        coupling = symmetry.weight_coupling if inputs.coupling is None else inputs.coupling
        self.coupling = float(coupling * second)
        self.couples = symmetry.couples_weights
        k = symmetry.n_candidates
        self.gathers = [symmetry.gather(l).reshape(k, -1) for l in range(n_layers)]
        self.prior = np.full(k + 1, symmetry.prior0, dtype=dtype)
        self.q = np.zeros(k + 1, dtype=dtype)
        self.layer_energy = [np.zeros(k + 1, dtype=dtype) for _ in range(n_layers)]
        self.s: list[np.ndarray] = [np.zeros(0)] * n_layers
        self.tau_dev = float(symmetry.tau_dev / second)
        self.state = {"q": self.q, "prior": self.prior}
        self.state.update({f"E_{l}": self.layer_energy[l] for l in range(n_layers)})

    def energies(self, r: list[np.ndarray], m: list[np.ndarray]) -> None:
        """s_{l,k}, E_{l,k} (groups -5), Z (-4) and q (-3)."""
        total = np.zeros(len(self.q), dtype=self.q.dtype)
        for l, gather in enumerate(self.gathers):
            self.s[l] = r[l][None, :] - m[l][gather]  # (K, N_l)
            self.layer_energy[l][1:] = np.mean(self.s[l] ** 2, axis=1)
            total += self.sym.evidence_weights[l] * self.layer_energy[l]
        total[0] = self.sym.theta
        exponent = np.clip(self.sym.beta * (self.sym.theta - total), -80, 80)
        weight = self.prior * np.exp(exponent)
        self.q[:] = weight / weight.sum()

    def pull(self, l: int) -> np.ndarray:
        """sum_k q_k s_{l,k} (groups -2)."""
        return self.q[1:] @ self.s[l]

    def weight_pull(self, l: int, w: np.ndarray) -> np.ndarray:
        """coupling * sum_k pi_k (W[partner] - W), dense (N_{l-1}, N_l): the descent of the
        weight-space structural surprise (a synapse without partner is not pulled)."""
        pull = np.zeros_like(w)
        for k in range(self.sym.n_candidates):
            rinv = np.argsort(self.sym.actions[l][k])
            pinv = np.argsort(self.sym.actions[l - 1][k])
            partner = w[np.ix_(pinv, rinv)]
            exists = self.spec.mask(l)[np.ix_(pinv, rinv)]
            pull += self.prior[k + 1] * np.where(exists, partner - w, 0.0)
        return self.coupling * pull

    def develop(self, dt: float, gate: float) -> None:
        """Euler step of pi (groups 0)."""
        self.prior[:] = self.prior + dt * gate * (self.q - self.prior) / self.tau_dev
