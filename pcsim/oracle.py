"""Dense NumPy twin of the circuit: the same equations, the same explicit Euler scheme
and the same operation order inside a step as `pcsim.network` (see its schedule table).
Every Brian2 backend is tested against it.
"""

from __future__ import annotations

import time

import numpy as np
from brian2 import second

from pcsim.circuit import CircuitSpec
from pcsim.network import Protocol, parse_monitor_name
from pcsim.simulate import Inputs, Result

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
) -> Result:
    """Integrate ``spec`` on ``inputs`` step by step; returns what a `Simulator` returns."""
    phi, dphi = PHI[spec.nonlinearity]
    n_layers = spec.n_layers
    top = n_layers - 1
    dt = float(protocol.dt / second)
    tau = float(spec.tau_r / second)
    eta = float(spec.eta * second)
    decay = float(spec.eta_decay * second)
    masks = [None] + [spec.mask(l) for l in range(1, n_layers)]
    weights = [None] + [np.array(w, dtype=float) for w in inputs.weights]
    pi = [layer.precision for layer in spec.layers]
    r = [np.zeros(n) for n in spec.sizes]
    mu = [np.zeros(n) for n in spec.sizes]
    eps = [np.zeros(n) for n in spec.sizes]
    fb = [np.zeros(n) for n in spec.sizes]
    state = {"r": r, "mu": mu, "eps": eps, "fb": fb}
    recorded = {name: parse_monitor_name(name, n_layers) for name in monitors}
    at_frames = {name: parse_monitor_name(name, n_layers) for name in frame_monitors}
    traces: dict[str, list[np.ndarray]] = {name: [] for name in monitors}
    frame_traces: dict[str, list[np.ndarray]] = {name: [] for name in frame_monitors}
    times = []
    t_bad = [None] * n_layers
    gate = 0.0
    per_frame, per_sample = protocol.steps_per_frame, protocol.steps_per_sample
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported, not warned
        for step in range(protocol.n_steps):
            t = step * dt
            if step % per_sample == 0:  # start, order -10
                times.append(t)
                for name, (layer, var) in recorded.items():
                    traces[name].append(state[var][layer].copy())
            if step % per_frame == 0:  # start, -10 (frame monitors), then orders 0 and 1
                for name, (layer, var) in at_frames.items():
                    frame_traces[name].append(state[var][layer].copy())
                frame = min(step // per_frame, protocol.n_frames - 1)
                r[0] = np.array(inputs.frames[frame], dtype=float)
                gate = float(inputs.plastic[frame])
                for layer in range(n_layers):
                    values = [r[layer]] + ([eps[layer]] if layer < top else [])
                    ok = all(np.all(np.abs(v) <= divergence_bound) for v in values)
                    if t_bad[layer] is None and not ok:
                        t_bad[layer] = t
            for l in range(1, n_layers):  # groups -3
                mu[l - 1] = weights[l] @ phi(r[l])
            for l in range(top):  # groups -2
                eps[l] = r[l] - mu[l]
            for l in range(1, n_layers):  # groups -1
                fb[l] = weights[l].T @ (pi[l - 1] * eps[l - 1])
            if spec.learning:  # groups 0
                for l in range(1, n_layers):
                    hebb = eta * pi[l - 1] * np.outer(eps[l - 1], phi(r[l]))
                    weights[l] = weights[l] + dt * gate * (hebb - decay * weights[l]) * masks[l]
            for l in range(1, n_layers):  # groups 1
                drive = -pi[l] * eps[l] if l < top else 0.0
                r[l] = r[l] + dt * (drive + dphi(r[l]) * fb[l] - spec.alpha * r[l]) / tau
    simulated = time.perf_counter() - start
    bad = [(layer, t) for layer, t in enumerate(t_bad) if t is not None]
    divergence = None
    if bad:
        layer, t = min(bad, key=lambda item: item[1])
        divergence = ("layer 0 (sensory)" if layer == 0 else f"layer {layer}", t)
    return Result(
        times=np.array(times),
        traces={name: np.array(values) for name, values in traces.items()},
        frame_traces={name: np.array(values[1:]) for name, values in frame_traces.items()},
        weights=[w.copy() for w in weights[1:]],
        compile_seconds=0.0,
        simulate_seconds=simulated,
        divergence=divergence,
        backend="oracle",
    )
