"""The JAX twin of ``benchmarks/jax_twin.py`` integrates what the dense oracle does, with
each of its three connectivity implementations, in float64 and float32.

Tolerances, relative to each quantity's largest magnitude:

- float64: RTOL of tests/test_csr_twin.py (1e-10), the same bar as the CSR twin. The twin
  runs the oracle's operations in its order; only the summation order inside the matrix
  products and XLA's fused multiply-adds round differently (1.1e-16 per operation).
  Measured: <= 1.3e-14 after 2,001 steps, so 1e-10 leaves four orders of margin and still
  fails on any change of the equations or of the order of operations inside a step.
- float32, against the float64 oracle: RTOL32 = 1e-4. float32 rounds at 6e-8; one rounding
  per step accumulated without cancellation over 2,001 steps gives 1.2e-4, independent
  roundings (a random walk) sqrt(2001) * 6e-8 = 2.7e-6. Measured: <= 8e-6 (the float32
  oracle itself is 6e-6 from float64), so 1e-4 has a 12-fold margin, the bar of
  tests/test_float32.py, while any error in the equations (>= 1e-3) fails it.
"""

from __future__ import annotations

import dataclasses
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from brian2 import ms  # noqa: E402

from pcsim import oracle  # noqa: E402
from pcsim.network import Setup  # noqa: E402
from pcsim.simulate import Result  # noqa: E402
from tests.conftest import inputs_for, protocol, small_circuit  # noqa: E402
from tests.test_csr_twin import CASES, RTOL  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from jax_twin import IMPLEMENTATIONS, PHI_JAX, simulate_jax  # noqa: E402

RTOL32 = 1e-4
NAMES = ("L0.eps", "L1.r", "L2.r")


def _close(actual: np.ndarray, expected: np.ndarray, rtol: float) -> None:
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    assert np.max(np.abs(actual - expected)) <= rtol * scale


@cache
def _reference(case: str, tail_step: bool = True):
    """(spec, protocol, inputs, float64 oracle result); 40 frames, the last 10 frozen."""
    spec = CASES[case]()
    proto = dataclasses.replace(protocol(), tail_step=tail_step)
    inputs = inputs_for(spec, proto, seed=3)
    return spec, proto, inputs, oracle.simulate(spec, proto, inputs, Setup(frame_monitors=NAMES))


def _check(got, want: Result, spec, proto, inputs, rtol: float) -> None:
    for l, (w_got, w_want) in enumerate(zip(got.weights, want.weights, strict=True), 1):
        assert w_got.shape == (len(spec.connections(l)[0]),)
        assert np.max(np.abs(w_got - inputs.weights[l - 1])) > 1e-3  # learning happened
        _close(w_got, w_want, rtol)
    for name in NAMES:
        assert got.frame_traces[name].shape == (proto.n_frames, spec.sizes[int(name[1])])
        _close(got.frame_traces[name], want.frame_traces[name], rtol)
    assert len(got.r) == spec.n_layers


@pytest.mark.parametrize("nonlinearity", sorted(PHI_JAX))
def test_phi_matches_oracle(nonlinearity):
    r = np.array([-2.0, -0.3, 0.0, 1e-9, 0.4, 3.0])
    for mine, theirs in zip(PHI_JAX[nonlinearity], oracle.PHI[nonlinearity], strict=True):
        # XLA's tanh is its own approximation: within a few ulps of libm's, not equal
        np.testing.assert_allclose(np.asarray(mine(jax.numpy.asarray(r))), theirs(r), rtol=1e-15)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_jax_twin_matches_oracle_float64(case, impl):
    spec, proto, inputs, want = _reference(case)
    if case == "local":
        assert all(spec.mask(l).mean() < 1 for l in (1, 2))  # genuinely sparse
    got = simulate_jax(spec, proto, inputs, impl=impl, frame_monitors=NAMES)
    assert got.seconds > 0 and got.weights[0].dtype == np.float64
    _check(got, want, spec, proto, inputs, RTOL)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_jax_twin_float32_within_rounding_of_float64_oracle(impl):
    spec, proto, inputs, want = _reference("mixed")
    got = simulate_jax(spec, proto, inputs, impl=impl, dtype="float32", frame_monitors=NAMES)
    assert got.weights[0].dtype == np.float32 and got.frame_traces["L1.r"].dtype == np.float32
    _check(got, want, spec, proto, inputs, RTOL32)
    # and it really ran in single precision
    assert not np.allclose(got.frame_traces["L1.r"], want.frame_traces["L1.r"], rtol=0, atol=1e-9)


def test_jax_twin_without_tail_step():
    spec, proto, inputs, want = _reference("local", tail_step=False)
    got = simulate_jax(spec, proto, inputs, impl="edges", frame_monitors=NAMES)
    _check(got, want, spec, proto, inputs, RTOL)
    # without the tail step the final state is the state at the last frame's end
    np.testing.assert_array_equal(got.r[1], got.frame_traces["L1.r"][-1])
    np.testing.assert_array_equal(got.r[0], inputs.frames[-1])


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_jax_twin_frozen_weights_stay_put(impl):
    spec = small_circuit(learning=False)
    proto = protocol(n_frames=3)
    inputs = inputs_for(spec, proto, seed=1)
    got = simulate_jax(spec, proto, inputs, impl=impl, frame_monitors=("L1.r",))
    for w_got, w_in in zip(got.weights, inputs.weights, strict=True):
        np.testing.assert_array_equal(w_got, w_in)
    want = oracle.simulate(spec, proto, inputs, Setup(frame_monitors=("L1.r",)))
    _close(got.frame_traces["L1.r"], want.frame_traces["L1.r"], RTOL)


def test_jax_twin_reuses_its_compiled_function():
    spec, proto, inputs, _ = _reference("dense")
    first = simulate_jax(spec, proto, inputs, impl="dense", frame_monitors=NAMES)
    other = inputs_for(spec, proto, seed=4)  # other values, same shapes
    second = simulate_jax(spec, proto, other, impl="dense", frame_monitors=NAMES)
    assert second.compile_seconds == 0.0
    assert not np.array_equal(second.weights[0], first.weights[0])
    slower = dataclasses.replace(spec, tau_r=20 * ms)
    want = oracle.simulate(slower, proto, other, Setup(frame_monitors=NAMES))
    third = simulate_jax(slower, proto, other, impl="dense", frame_monitors=NAMES)
    assert third.compile_seconds == 0.0  # tau_r is an argument, not a constant
    _close(third.frame_traces["L1.r"], want.frame_traces["L1.r"], RTOL)


def test_jax_twin_rejects_what_it_lacks():
    spec, proto, inputs, _ = _reference("mixed")
    with pytest.raises(ValueError, match="symmetry prior"):
        simulate_jax(spec, proto, inputs, frame_monitors=("cand.q",))
    with pytest.raises(ValueError, match="impl must be"):
        simulate_jax(spec, proto, inputs, impl="csr")
