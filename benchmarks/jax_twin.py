"""A JAX twin of `pcsim.oracle.simulate` for plain predictive coding.

Same equations, explicit Euler scheme and operation order inside a step as the dense
oracle without the symmetry prior (see `pcsim.network`'s schedule table) and as the CSR
twin of ``benchmarks/csr_twin.py``, written in JAX and compiled by XLA: the steps of a
frame are one `jax.lax.scan`, the frames an outer scan (each loads its stimulus and its
learning gate), the tail step one more step of the last frame:

    mu_{l-1} = W_l phi(r_l);  eps_l = r_l - mu_l;  fb_l = W_l^T (Pi_{l-1} eps_{l-1})
    W_l += dt * learn * (eta * Pi_{l-1} * eps_{l-1}[post] * phi(r_l)[pre] - decay * W_l)
    r_l += dt * (-Pi_l eps_l + phi'(r_l) fb_l - alpha r_l) / tau_r

W_l is held in one of three ways (``impl``): "dense", an (N_{l-1}, N_l) matrix masked by
the connectivity (matmul); "edges", one weight per synapse (gathers of phi(r)[pre] and
``jax.ops.segment_sum`` over post, the transpose for the feedback); "bcoo", a
`jax.experimental.sparse.BCOO` matrix whose data array is the weights (and is what the
learning rule updates). Frozen frames skip the weight update, as the CSR twin does.

Importing this module turns on ``jax_enable_x64`` (float64 needs it); float32 runs keep
every array in float32. One compiled executable per configuration and shapes is kept and
reused by later calls. Used by ``benchmarks/scaling.py`` and checked against the oracle
by ``tests/test_jax_twin.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import sparse as jsparse

from pcsim.circuit import CircuitSpec
from pcsim.network import Protocol, parse_monitor_name
from pcsim.oracle import PHI, si_parameters
from pcsim.simulate import Inputs

jax.config.update("jax_enable_x64", True)

IMPLEMENTATIONS = ("dense", "edges", "bcoo")
DTYPES = ("float64", "float32")

#: phi and phi' in jax.numpy, the same expressions as `pcsim.oracle.PHI` (same keys)
PHI_JAX: dict[str, tuple[Callable, Callable]] = {
    "identity": (lambda r: r, jnp.ones_like),
    "rectified": (lambda r: r * (r > 0), lambda r: (r >= 0).astype(r.dtype)),
    "tanh": (jnp.tanh, lambda r: 1 - jnp.tanh(r) ** 2),
}
if PHI_JAX.keys() != PHI.keys():
    raise RuntimeError(f"PHI_JAX covers {sorted(PHI_JAX)}, the oracle {sorted(PHI)}")


class JaxRun(NamedTuple):
    """``weights``: final W_1..W_L, one value per synapse in `CircuitSpec.connections`
    order; ``r``: final r of every layer; ``seconds``: time of the step loop only (the
    compiled executable, inputs already on the device); ``compile_seconds``: tracing and
    XLA compilation in this call (0 when an earlier call's executable was reused);
    ``frame_traces``: like `pcsim.simulate.Result.frame_traces` (state at frame ends)."""

    weights: list[np.ndarray]
    r: list[np.ndarray]
    seconds: float
    compile_seconds: float
    frame_traces: dict[str, np.ndarray]


class _Config(NamedTuple):
    """What the compiled function depends on besides the shapes of its arguments."""

    impl: str
    nonlinearity: str
    learning: bool
    sizes: tuple[int, ...]
    steps_per_frame: int
    tail_step: bool
    monitors: tuple[tuple[int, str], ...]  # (layer, variable) recorded at frame ends


class _State(NamedTuple):
    """r, mu, eps, fb: one (N_l,) array per layer (zeros where a layer has none);
    w: each W_l in the representation of the implementation."""

    r: tuple[jax.Array, ...]
    mu: tuple[jax.Array, ...]
    eps: tuple[jax.Array, ...]
    fb: tuple[jax.Array, ...]
    w: tuple[Any, ...]


# --- connectivity implementations: W_l of shape (N_{l-1}, N_l), synapses (pre, post) ----


class _Dense:
    """W as a dense (N_{l-1}, N_l) matrix, zero where there is no synapse; ctx: the mask
    (1.0 / 0.0) and the synapse indices."""

    @staticmethod
    def prepare(w: jax.Array, pre: jax.Array, post: jax.Array, shape: tuple[int, int]):
        zeros = jnp.zeros(shape, dtype=w.dtype)
        return zeros.at[post, pre].set(w), (zeros.at[post, pre].set(1), pre, post)

    @staticmethod
    def predict(w: jax.Array, ctx, phi: jax.Array) -> jax.Array:
        return w @ phi

    @staticmethod
    def feedback(w: jax.Array, ctx, v: jax.Array) -> jax.Array:
        return w.T @ v

    @staticmethod
    def learn(w, ctx, eps, phi, scale, decay, h) -> jax.Array:
        """The oracle's dense masked update, operation for operation."""
        return w + h * (scale * jnp.outer(eps, phi) - decay * w) * ctx[0]

    @staticmethod
    def synapses(w: jax.Array, ctx) -> jax.Array:
        _, pre, post = ctx
        return w[post, pre]


def _learn_synapses(w, pre, post, eps, phi, scale, decay, h) -> jax.Array:
    """One value per synapse: the CSR twin's update, in its order of operations."""
    return w + (scale * (eps[post] * phi[pre]) - decay * w) * h


class _Edges:
    """W as one weight per synapse; ctx: (pre, post, shape)."""

    @staticmethod
    def prepare(w: jax.Array, pre: jax.Array, post: jax.Array, shape: tuple[int, int]):
        return w, (pre, post, shape)

    @staticmethod
    def predict(w: jax.Array, ctx, phi: jax.Array) -> jax.Array:
        pre, post, shape = ctx
        return jax.ops.segment_sum(w * phi[pre], post, num_segments=shape[0])

    @staticmethod
    def feedback(w: jax.Array, ctx, v: jax.Array) -> jax.Array:
        pre, post, shape = ctx
        return jax.ops.segment_sum(w * v[post], pre, num_segments=shape[1])

    @staticmethod
    def learn(w, ctx, eps, phi, scale, decay, h) -> jax.Array:
        pre, post, _ = ctx
        return _learn_synapses(w, pre, post, eps, phi, scale, decay, h)

    @staticmethod
    def synapses(w: jax.Array, ctx) -> jax.Array:
        return w


class _Bcoo:
    """W as the data array of a BCOO matrix; ctx: the (post, pre) indices of W, the
    (pre, post) indices of W^T (sharing the data array), pre, post and the shape."""

    @staticmethod
    def prepare(w: jax.Array, pre: jax.Array, post: jax.Array, shape: tuple[int, int]):
        return w, (jnp.stack([post, pre], axis=1), jnp.stack([pre, post], axis=1), pre, post, shape)

    @staticmethod
    def predict(w: jax.Array, ctx, phi: jax.Array) -> jax.Array:
        indices, _, _, _, shape = ctx
        return jsparse.BCOO((w, indices), shape=shape) @ phi

    @staticmethod
    def feedback(w: jax.Array, ctx, v: jax.Array) -> jax.Array:
        _, indices_t, _, _, shape = ctx
        return jsparse.BCOO((w, indices_t), shape=shape[::-1]) @ v

    @staticmethod
    def learn(w, ctx, eps, phi, scale, decay, h) -> jax.Array:
        _, _, pre, post, _ = ctx
        return _learn_synapses(w, pre, post, eps, phi, scale, decay, h)

    @staticmethod
    def synapses(w: jax.Array, ctx) -> jax.Array:
        return w


_IMPLS = {"dense": _Dense, "edges": _Edges, "bcoo": _Bcoo}


# --- the integration (traced once per configuration and shapes) ------------------------


def _step(config: _Config, ctx, p: dict, state: _State, h, learn: bool) -> _State:
    """One Euler step in the schedule's order (phi, predict, error, feedback, weights,
    values); layer 0 holds the stimulus. ``h`` = dt * gate."""
    impl, (phi, dphi) = _IMPLS[config.impl], PHI_JAX[config.nonlinearity]
    r, w, prec = state.r, list(state.w), p["precision"]
    top = len(r) - 1
    phis = [None] + [phi(r[l]) for l in range(1, top + 1)]
    mu = [impl.predict(w[l - 1], ctx[l - 1], phis[l]) for l in range(1, top + 1)]
    mu.append(state.mu[top])
    eps = [r[l] - mu[l] for l in range(top)] + [state.eps[top]]
    fb = [state.fb[0]]
    fb += [impl.feedback(w[l - 1], ctx[l - 1], prec[l - 1] * eps[l - 1]) for l in range(1, top + 1)]
    if learn:
        for l in range(1, top + 1):
            scale = p["eta"] * prec[l - 1]
            w[l - 1] = impl.learn(w[l - 1], ctx[l - 1], eps[l - 1], phis[l], scale, p["decay"], h)
    new_r = [r[0]]
    for l in range(1, top + 1):
        drive = -prec[l] * eps[l] if l < top else 0.0
        change = drive + dphi(r[l]) * fb[l] - p["alpha"] * r[l]
        new_r.append(r[l] + p["dt"] * change / p["tau"])
    return _State(tuple(new_r), tuple(mu), tuple(eps), tuple(fb), tuple(w))


def _run_steps(config: _Config, ctx, p: dict, state: _State, gate, n_steps: int) -> _State:
    """``n_steps`` steps under one learning gate; the weights move only where gate != 0."""
    h = p["dt"] * gate

    def steps(learn: bool) -> Callable[[_State], _State]:
        def body(s: _State, _) -> tuple[_State, None]:
            return _step(config, ctx, p, s, h, learn), None

        return lambda s: jax.lax.scan(body, s, length=n_steps)[0]

    if not config.learning:
        return steps(False)(state)
    return jax.lax.cond(gate != 0, steps(True), steps(False), state)


def _integrate(config: _Config, weights, pre, post, frames, gates, p: dict):
    """All frames, then the tail step; returns (weights per synapse, final r, traces of
    ``config.monitors``, each (n_frames, N))."""
    impl, sizes = _IMPLS[config.impl], config.sizes
    prepared = [
        impl.prepare(w, a, b, (sizes[l], sizes[l + 1]))
        for l, (w, a, b) in enumerate(zip(weights, pre, post, strict=True))
    ]
    w0, ctx = (tuple(x) for x in zip(*prepared, strict=True))
    zeros = tuple(jnp.zeros(n, dtype=frames.dtype) for n in sizes)
    state = _State(zeros, zeros, zeros, zeros, w0)

    def frame(s: _State, x) -> tuple[_State, tuple[jax.Array, ...]]:
        stimulus, gate = x
        s = _run_steps(
            config, ctx, p, s._replace(r=(stimulus, *s.r[1:])), gate, config.steps_per_frame
        )
        return s, tuple(getattr(s, var)[layer] for layer, var in config.monitors)

    state, traces = jax.lax.scan(frame, state, (frames, gates))
    if config.tail_step:  # one more step of the last frame, as the oracle's schedule has
        state = _run_steps(config, ctx, p, state, gates[-1], 1)
    out = tuple(impl.synapses(w, c) for w, c in zip(state.w, ctx, strict=True))
    return out, state.r, traces


_JIT = jax.jit(_integrate, static_argnums=0)
_COMPILED: dict[tuple, Any] = {}


def _executable(config: _Config, args: tuple) -> tuple[Any, float]:
    """The compiled `_integrate` for ``config`` and the shapes of ``args``, and the
    seconds spent compiling it now (0.0 if it was compiled by an earlier call)."""
    leaves, tree = jax.tree.flatten(args)
    key = (config, tree, tuple((x.shape, x.dtype) for x in leaves))
    if key in _COMPILED:
        return _COMPILED[key], 0.0
    start = time.perf_counter()
    _COMPILED[key] = _JIT.lower(config, *args).compile()
    return _COMPILED[key], time.perf_counter() - start


def simulate_jax(
    spec: CircuitSpec,
    protocol: Protocol,
    inputs: Inputs,
    *,
    impl: str = "edges",
    dtype: str = "float64",
    frame_monitors: tuple[str, ...] = (),
) -> JaxRun:
    """Integrate ``spec`` (plain PC) on ``inputs`` with W held as ``impl`` (one of
    `IMPLEMENTATIONS`) and every state variable in ``dtype``; see `JaxRun`."""
    if impl not in _IMPLS or dtype not in DTYPES:
        raise ValueError(f"impl must be one of {IMPLEMENTATIONS}, dtype one of {DTYPES}")
    monitors = tuple(parse_monitor_name(name, spec.n_layers) for name in frame_monitors)
    if any(layer < 0 for layer, _ in monitors):
        raise ValueError("the JAX twin has no symmetry prior (no 'cand.' monitors)")
    dt, tau, eta, decay = si_parameters(spec, protocol)
    config = _Config(
        impl,
        spec.nonlinearity,
        spec.learning,
        spec.sizes,
        protocol.steps_per_frame,
        protocol.tail_step,
        monitors,
    )
    connections = [spec.connections(l) for l in range(1, spec.n_layers)]
    scalars = {"dt": dt, "tau": tau, "eta": eta, "decay": decay, "alpha": spec.alpha}
    params = {k: np.asarray(v, dtype=dtype) for k, v in scalars.items()}
    params["precision"] = np.array([layer.precision for layer in spec.layers], dtype=dtype)
    args = (
        tuple(np.asarray(w, dtype=dtype) for w in inputs.weights),
        tuple(pre.astype(np.int32) for pre, _ in connections),
        tuple(post.astype(np.int32) for _, post in connections),
        np.asarray(inputs.frames, dtype=dtype),
        np.asarray(inputs.plastic, dtype=dtype),
        params,
    )
    compiled, compile_seconds = _executable(config, args)
    args = jax.block_until_ready(jax.device_put(args))
    start = time.perf_counter()
    weights, r, traces = jax.block_until_ready(compiled(*args))
    seconds = time.perf_counter() - start
    return JaxRun(
        weights=[np.asarray(w) for w in weights],
        r=[np.asarray(x) for x in r],
        seconds=seconds,
        compile_seconds=compile_seconds,
        frame_traces={n: np.asarray(t) for n, t in zip(frame_monitors, traces, strict=True)},
    )
