"""A scipy.sparse (CSR) twin of `pcsim.oracle.simulate` for plain predictive coding.

Same equations, explicit Euler scheme and operation order inside a step as the dense
oracle without the symmetry prior (see `pcsim.network`'s schedule table), but every W_l
is a CSR matrix of shape (N_{l-1}, N_l) holding only the existing synapses, so that
memory and time grow with the synapse count instead of N_{l-1} x N_l:

    mu_{l-1} = W_l phi(r_l);  eps_l = r_l - mu_l;  fb_l = W_l^T (Pi_{l-1} eps_{l-1})
    W_l.data += dt * learn * (eta * Pi_{l-1} * eps_{l-1}[post] * phi(r_l)[pre] - decay * W_l.data)
    r_l += dt * (-Pi_l eps_l + phi'(r_l) fb_l - alpha r_l) / tau_r

The weight update touches only ``W.data`` (through per-nonzero index arrays) and the
transpose used for the feedback shares that array, so both stay in step for free.
Used by ``benchmarks/scaling.py`` and checked against the oracle by
``tests/test_csr_twin.py``.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np
from scipy import sparse

from pcsim.circuit import CircuitSpec
from pcsim.network import Protocol, parse_monitor_name
from pcsim.oracle import PHI, si_parameters
from pcsim.simulate import Inputs


class CsrRun(NamedTuple):
    """``weights``: final W_1..W_L, one value per synapse in `CircuitSpec.connections`
    order; ``r``: final r of every layer; ``seconds``: time of the step loop only;
    ``frame_traces``: like `pcsim.simulate.Result.frame_traces` (state at frame ends)."""

    weights: list[np.ndarray]
    r: list[np.ndarray]
    seconds: float
    frame_traces: dict[str, np.ndarray]


class _Connection:
    """W_l as CSR (rows: post units of layer l-1, columns: pre units of layer l)."""

    def __init__(self, spec: CircuitSpec, l: int, weights: np.ndarray, dtype: str):
        pre, post = spec.connections(l)
        shape = (spec.sizes[l - 1], spec.sizes[l])
        # synapse order is (pre, post)-sorted; CSR wants (post, pre): remember the map
        self.order = np.lexsort((pre, post))
        self.post = post[self.order]  # row of every stored nonzero
        self.pre = pre[self.order]  # column of every stored nonzero (== W.indices)
        indptr = np.zeros(shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.post, minlength=shape[0]), out=indptr[1:])
        data = np.array(weights, dtype=dtype)[self.order]
        self.W = sparse.csr_array((data, self.pre.copy(), indptr), shape=shape)
        self.WT = self.W.transpose()  # CSC view sharing W.data
        if not np.shares_memory(self.W.data, self.WT.data):
            raise RuntimeError("scipy copied W.data on transpose; the twin needs a shared view")
        n = len(data)
        self.buf_a, self.buf_b = np.empty(n, dtype=dtype), np.empty(n, dtype=dtype)

    def learn(self, eps_post: np.ndarray, phi_pre: np.ndarray, scale: float, decay: float, h):
        """W.data += h * (scale * eps[post] * phi[pre] - decay * W.data), in place; the
        same floating-point operations as the oracle's dense masked update."""
        a, b, data = self.buf_a, self.buf_b, self.W.data
        np.take(eps_post, self.post, out=a)
        np.take(phi_pre, self.pre, out=b)
        a *= b  # eps_i * phi_j (np.outer)
        a *= scale  # (eta * Pi) * outer
        if decay:
            np.multiply(data, decay, out=b)
            a -= b
        a *= h  # (dt * gate) * (...)
        data += a

    def synapse_weights(self) -> np.ndarray:
        out = np.empty_like(self.W.data)
        out[self.order] = self.W.data
        return out


def simulate_csr(
    spec: CircuitSpec,
    protocol: Protocol,
    inputs: Inputs,
    *,
    frame_monitors: tuple[str, ...] = (),
    dtype: str = "float64",
) -> CsrRun:
    """Integrate ``spec`` (plain PC) on ``inputs`` with every array and parameter in
    ``dtype`` ("float64" or "float32"); see `CsrRun`."""
    phi, dphi = PHI[spec.nonlinearity]
    n_layers, top = spec.n_layers, spec.n_layers - 1
    real = np.dtype(dtype).type
    dt, tau, eta, decay = (real(x) for x in si_parameters(spec, protocol))
    conns = [None] + [_Connection(spec, l, w, dtype) for l, w in enumerate(inputs.weights, 1)]
    precision = [real(layer.precision) for layer in spec.layers]
    alpha = real(spec.alpha)
    r, mu, eps, fb = ([np.zeros(n, dtype=dtype) for n in spec.sizes] for _ in range(4))
    state = {"r": r, "mu": mu, "eps": eps, "fb": fb}
    at_frames = {name: parse_monitor_name(name, n_layers) for name in frame_monitors}
    if any(layer < 0 for layer, _ in at_frames.values()):
        raise ValueError("the CSR twin has no symmetry prior (no 'cand.' monitors)")
    frame_traces: dict[str, list[np.ndarray]] = {name: [] for name in frame_monitors}
    per_frame = protocol.steps_per_frame
    gate = 0.0
    phis: list[np.ndarray | None] = [None] * n_layers
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(protocol.n_steps):
            if step % per_frame == 0:
                for name, (layer, var) in at_frames.items():
                    frame_traces[name].append(state[var][layer].copy())
                frame = min(step // per_frame, protocol.n_frames - 1)
                r[0] = np.asarray(inputs.frames[frame], dtype=dtype)
                gate = real(inputs.plastic[frame])
            for l in range(1, n_layers):
                phis[l] = phi(r[l])
                mu[l - 1] = conns[l].W @ phis[l]
            for l in range(top):
                eps[l] = r[l] - mu[l]
            for l in range(1, n_layers):
                fb[l] = conns[l].WT @ (precision[l - 1] * eps[l - 1])
            if spec.learning and gate != 0.0:
                for l in range(1, n_layers):
                    conns[l].learn(eps[l - 1], phis[l], eta * precision[l - 1], decay, dt * gate)
            for l in range(1, n_layers):
                drive = -precision[l] * eps[l] if l < top else 0.0
                r[l] = r[l] + dt * (drive + dphi(r[l]) * fb[l] - alpha * r[l]) / tau
    seconds = time.perf_counter() - start
    return CsrRun(
        weights=[conns[l].synapse_weights() for l in range(1, n_layers)],
        r=[x.copy() for x in r],
        seconds=seconds,
        frame_traces={name: np.array(values[1:]) for name, values in frame_traces.items()},
    )
