"""Dense NumPy twin of the circuit: the same equations and the same explicit Euler scheme
as `pcsim.network`, symmetry prior included, its operations run in the order of the one
table in `pcsim.schedule`. Every Brian2 backend is tested against it.
"""

from __future__ import annotations

import time

import numpy as np
from brian2 import second

from pcsim.circuit import CircuitSpec
from pcsim.metrics import inference_precision
from pcsim.network import DEFAULT_SETUP, Protocol, Setup, parse_monitor_name
from pcsim.schedule import SCHEDULE
from pcsim.simulate import Inputs, Result, population_name
from pcsim.symmetry import SymmetrySpec

PHI = {
    "identity": (lambda r: r, lambda r: np.ones_like(r)),
    "rectified": (lambda r: r * (r > 0), lambda r: (r >= 0).astype(r.dtype)),
    "tanh": (np.tanh, lambda r: 1 - np.tanh(r) ** 2),
}


def simulate(
    spec: CircuitSpec,
    protocol: Protocol,
    inputs: Inputs,
    setup: Setup = DEFAULT_SETUP,
    *,
    dtype: str = "float64",
) -> Result:
    """Integrate ``spec`` on ``inputs`` step by step; returns what a `Simulator` returns.
    ``dtype`` ("float64" or "float32") is the precision of every state variable."""
    twin = _Twin(spec, protocol, inputs, setup, np.dtype(dtype))
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported, not warned
        for step in range(protocol.n_steps):
            twin.step(step)
    simulated = time.perf_counter() - start
    return twin.result(simulated)


def si_parameters(spec: CircuitSpec, protocol: Protocol) -> tuple[float, float, float, float]:
    """dt and tau_r in seconds, eta and eta_decay in 1/s, as plain floats."""
    return (
        float(protocol.dt / second),
        float(spec.tau_r / second),
        float(spec.eta * second),
        float(spec.eta_decay * second),
    )


class _Twin:
    """The state of the whole circuit and one method per operation of `pcsim.schedule`
    (named like the operation); `step` runs them in the schedule's order."""

    def __init__(
        self, spec: CircuitSpec, protocol: Protocol, inputs: Inputs, setup: Setup, dtype
    ) -> None:
        self.spec, self.protocol, self.inputs, self.setup = spec, protocol, inputs, setup
        self.phi_fn, self.dphi_fn = PHI[spec.nonlinearity]
        n = spec.n_layers
        self.top = n - 1
        self.dt, self.tau, self.eta, self.decay = si_parameters(spec, protocol)
        self.masks = [None] + [spec.mask(l) for l in range(1, n)]
        self.w = [None] + [
            spec.dense(l, np.asarray(w, dtype=dtype)) for l, w in enumerate(inputs.weights, 1)
        ]
        # the precision weighing each layer's errors: Pi_l, or per unit (learned, below)
        self.precision: list = [layer.precision for layer in spec.layers]
        zeros = [np.zeros(size, dtype=dtype) for size in spec.sizes]
        self.r, self.mu, self.eps, self.fb, self.m, self.sym, self.phi_r, self.dphi_r = (
            [z.copy() for z in zeros] for _ in range(8)
        )
        self.state = {"r": self.r, "mu": self.mu, "eps": self.eps, "fb": self.fb}
        self.state.update({"m": self.m, "sym": self.sym})
        # learned precision: the error variance u_l of every layer with errors
        self.u: list[np.ndarray] = []
        if setup.symmetry is not None and setup.symmetry.learns_precision:
            self.tau_prec = float(setup.symmetry.tau_precision / second)
            self.u = [
                np.full(spec.sizes[l], 1.0 / self.precision[l], dtype=dtype)
                for l in range(self.top)
            ]
            self.state["u"] = self.u
        self.weighed = bool(self.u) and setup.symmetry.weighs_inference
        self.cand = _Candidates(setup.symmetry, spec, inputs, dtype) if setup.symmetry else None
        if self.cand:
            self.state.update(self.cand.state)
        self.recorded = {name: parse_monitor_name(name, n) for name in setup.monitors}
        self.at_frames = {name: parse_monitor_name(name, n) for name in setup.frame_monitors}
        self.traces: dict[str, list[np.ndarray]] = {name: [] for name in setup.monitors}
        self.frame_traces: dict[str, list[np.ndarray]] = {k: [] for k in setup.frame_monitors}
        self.t_bad: list[float | None] = [None] * n
        self.gate = 0.0
        self.operations = [(op, getattr(self, op.name)) for op in SCHEDULE]

    def step(self, step: int) -> None:
        self.t = step * self.dt
        self.step_index = step
        frame_start = step % self.protocol.steps_per_frame == 0
        for op, run in self.operations:
            if frame_start or not op.frame_start:
                run()

    # --- slot "start" ---------------------------------------------------------------------

    def record(self) -> None:
        if self.step_index % self.protocol.steps_per_sample == 0:
            for name, (layer, var) in self.recorded.items():
                self.traces[name].append(self._read(layer, var))
        if self.step_index % self.protocol.steps_per_frame == 0:
            for name, (layer, var) in self.at_frames.items():
                self.frame_traces[name].append(self._read(layer, var))

    def memory(self) -> None:
        if self.cand:
            for l in range(self.spec.n_layers):
                self.m[l] = self.r[l].copy()

    def load(self) -> None:
        frame = min(self.step_index // self.protocol.steps_per_frame, self.protocol.n_frames - 1)
        self.r[0] = np.array(self.inputs.frames[frame], dtype=self.r[0].dtype)
        self.gate = float(self.inputs.plastic[frame])
        if self.cand:
            self.cand.gain = float(self.inputs.gain()[frame])

    def check(self) -> None:
        bound = self.setup.divergence_bound
        for l in range(self.spec.n_layers):
            values = [self.r[l]] + ([self.eps[l]] if l < self.top else [])
            ok = all(np.all(np.abs(v) <= bound) for v in values)
            if self.t_bad[l] is None and not ok:
                self.t_bad[l] = self.t

    def couple_copy(self) -> None:
        """The network copies w to w_old for the frame step; here W is read directly."""

    def couple(self) -> None:
        """coupling_step "frame": one Euler step of the coupling over the whole frame."""
        if not (self.spec.learning and self.cand and self.cand.per_frame):
            return
        duration = float(self.protocol.frame_duration / second)
        for l in range(1, self.spec.n_layers):
            pull = self.cand.weight_pull(l, self.w[l])
            self.w[l] = self.w[l] + duration * self.gate * pull * self.masks[l]

    # --- slot "groups" --------------------------------------------------------------------

    def phi(self) -> None:
        for l in range(1, self.spec.n_layers):
            self.phi_r[l] = self.phi_fn(self.r[l])
            self.dphi_r[l] = self.dphi_fn(self.r[l])

    def consistency(self) -> None:
        if self.cand:
            self.cand.consistency(self.r, self.m, self.u)

    def predict(self) -> None:
        for l in range(1, self.spec.n_layers):
            self.mu[l - 1] = self.w[l] @ self.phi_r[l]
        if self.cand:
            self.cand.energies()

    def error(self) -> None:
        for l in range(self.top):
            self.eps[l] = self.r[l] - self.mu[l]
            if self.weighed:
                self.precision[l] = inference_precision(self.u[l], self.spec.layers[l].precision)

    def feedback(self) -> None:
        for l in range(1, self.spec.n_layers):
            self.fb[l] = self.w[l].T @ (self.precision[l - 1] * self.eps[l - 1])
        if self.cand:
            self.cand.responsibilities()

    def copy_q(self) -> None:
        """The network copies q to the consistency units; here q is read directly."""

    def pull(self) -> None:
        if self.cand:
            for l in range(1, self.spec.n_layers):
                self.sym[l] = self.cand.pull(l)

    def weights(self) -> None:
        if not self.spec.learning:
            return
        for l in range(1, self.spec.n_layers):
            weighted = self.precision[l - 1] * self.eps[l - 1]
            hebb = self.eta * np.outer(weighted, self.phi_r[l])
            change = hebb - self.decay * self.w[l]
            if self.cand and self.cand.couples and not self.cand.per_frame:
                change = change + self.cand.weight_pull(l, self.w[l])
            self.w[l] = self.w[l] + self.dt * self.gate * change * self.masks[l]

    def values(self) -> None:
        for l in range(1, self.spec.n_layers):
            drive = -self.precision[l] * self.eps[l] if l < self.top else 0.0
            prior = self.cand.lam * self.gate * self.sym[l] if self.cand else 0.0
            change = drive + self.dphi_r[l] * self.fb[l] - self.spec.alpha * self.r[l] - prior
            self.r[l] = self.r[l] + self.dt * change / self.tau
        for l, u in enumerate(self.u):
            self.u[l] = u + self.dt * self.gate * (self.eps[l] ** 2 - u) / self.tau_prec
        if self.cand:
            self.cand.develop(self.dt, self.gate)

    # --- results --------------------------------------------------------------------------

    def _read(self, layer: int, var: str) -> np.ndarray:
        value = self.state[var] if layer < 0 else self.state[var][layer]
        return np.array(value, dtype=float).copy()

    def result(self, simulated: float) -> Result:
        protocol, spec = self.protocol, self.spec
        if not protocol.tail_step:  # the end of the last frame is the final state
            for name, (layer, var) in self.at_frames.items():
                self.frame_traces[name].append(self._read(layer, var))
        bad = [(layer, t) for layer, t in enumerate(self.t_bad) if t is not None]
        divergence = None
        if bad:
            layer, t = min(bad, key=lambda item: item[1])
            divergence = (population_name(layer), t)
        per_sample = protocol.steps_per_sample
        n_samples = len(range(0, protocol.n_steps, per_sample))
        weights = []
        for l in range(1, spec.n_layers):
            pre, post = spec.connections(l)
            weights.append(self.w[l][post, pre])
        return Result(
            times=np.arange(n_samples) * per_sample * self.dt,
            traces={name: np.array(values) for name, values in self.traces.items()},
            frame_traces={k: np.array(values[1:]) for k, values in self.frame_traces.items()},
            weights=weights,
            compile_seconds=0.0,
            simulate_seconds=simulated,
            divergence=divergence,
            backend="oracle",
        )


class _Candidates:
    """The candidate machinery of the symmetry prior (index 0: the null hypothesis)."""

    def __init__(self, symmetry: SymmetrySpec, spec: CircuitSpec, inputs: Inputs, dtype):
        n_layers = spec.n_layers
        self.sym = symmetry
        self.spec = spec
        self.lam = symmetry.lam if inputs.lam is None else inputs.lam
        coupling = symmetry.weight_coupling if inputs.coupling is None else inputs.coupling
        self.coupling = float(coupling * second)
        self.gain = 1.0  # the coupling's factor in the current frame (Inputs.coupling_gain)
        self.couples = symmetry.couples_weights
        self.per_frame = self.couples and symmetry.coupling_step == "frame"
        k = symmetry.n_candidates
        self.gathers = [symmetry.gather(l).reshape(k, -1) for l in range(n_layers)]
        self.prior = np.full(k + 1, symmetry.prior0, dtype=dtype)
        self.q = np.zeros(k + 1, dtype=dtype)
        self.layer_energy = [np.zeros(k + 1, dtype=dtype) for _ in range(n_layers)]
        self.s: list[np.ndarray] = [np.zeros(0)] * n_layers
        self.e: list[np.ndarray] = [np.zeros(0)] * n_layers
        self.tau_dev = float(symmetry.tau_dev / second)
        self.state = {"q": self.q, "prior": self.prior}
        self.state.update({f"E_{l}": self.layer_energy[l] for l in range(n_layers)})

    def consistency(self, r: list[np.ndarray], m: list[np.ndarray], u: list[np.ndarray]) -> None:
        """s_{l,k} = r_l - rho_l(t_k) m_l, shape (K, N_l) per layer, and its square
        e_{l,k}, divided by u_{l,i} + u_{l,rho_k^{-1}(i)} where layer l learns its error
        variance ``u[l]``."""
        for l, gather in enumerate(self.gathers):
            self.s[l] = r[l][None, :] - m[l][gather]
            self.e[l] = self.s[l] ** 2
            if l < len(u):
                self.e[l] = self.e[l] / (u[l][None, :] + u[l][gather])

    def energies(self) -> None:
        """E_{l,k} = mean_i e_{l,k,i}."""
        for l, e in enumerate(self.e):
            self.layer_energy[l][1:] = np.mean(e, axis=1)

    def responsibilities(self) -> None:
        """q = softmax(log pi - beta E) with E_0 = theta (exponent clipped to +-80)."""
        total = np.zeros(len(self.q), dtype=self.q.dtype)
        for l, energy in enumerate(self.layer_energy):
            total += self.sym.evidence_weights[l] * energy
        total[0] = self.sym.theta
        exponent = np.clip(self.sym.beta * (self.sym.theta - total), -80, 80)
        weight = self.prior * np.exp(exponent)
        self.q[:] = weight / weight.sum()

    def pull(self, l: int) -> np.ndarray:
        """sum_k q_k s_{l,k}."""
        return self.q[1:] @ self.s[l]

    def weight_pull(self, l: int, w: np.ndarray) -> np.ndarray:
        """gain * coupling * sum_k pi_k (W[partner] - W), dense (N_{l-1}, N_l): the descent
        of the weight-space structural surprise (a synapse without partner is not pulled)."""
        pull = np.zeros_like(w)
        for k in range(self.sym.n_candidates):
            rinv = np.argsort(self.sym.actions[l][k])
            pinv = np.argsort(self.sym.actions[l - 1][k])
            partner = w[np.ix_(pinv, rinv)]
            exists = self.spec.mask(l)[np.ix_(pinv, rinv)]
            pull += self.prior[k + 1] * np.where(exists, partner - w, 0.0)
        return self.gain * self.coupling * pull

    def develop(self, dt: float, gate: float) -> None:
        """Euler step of pi (with the value units)."""
        self.prior[:] = self.prior + dt * gate * (self.q - self.prior) / self.tau_dev
