"""Every Brian2 backend against the dense NumPy oracle (docs/model.md#31-step-order).

Tolerance: relative 1e-6 of each quantity's largest magnitude, in float64. Backends and
oracle run the same operations in the same order; they differ only in the order of
floating-point summation inside the matrix products (about 1e-16 relative per step).
The leaky, precision-weighted dynamics are contractive, so these roundings stay near
1e-14 after 2,000 steps (measured: <= 1e-14). A wrong equation, sign or step order
shows up at 1e-3 or more, so 1e-6 separates the two by orders of magnitude either way.
"""

from __future__ import annotations

import numpy as np
import pytest

from pcsim import oracle
from pcsim.backends import BackendOptions
from pcsim.network import Setup
from pcsim.simulate import Simulator
from tests.conftest import FRAME_MONITORS, MONITORS, inputs_for, protocol, small_circuit

RTOL = 1e-6


def assert_agree(result, reference) -> None:
    assert result.times.shape == reference.times.shape
    np.testing.assert_allclose(result.times, reference.times, rtol=0, atol=1e-12)
    for name in MONITORS:
        got, want = result.traces[name], reference.traces[name]
        assert got.shape == want.shape, name
        scale = np.abs(want).max()
        assert scale > 0, f"{name} never moved: the test would not detect anything"
        assert np.abs(got - want).max() <= RTOL * scale, name
    for name in FRAME_MONITORS:
        got, want = result.frame_traces[name], reference.frame_traces[name]
        assert np.abs(got - want).max() <= RTOL * np.abs(want).max(), name
    for l, (got, want) in enumerate(zip(result.weights, reference.weights, strict=True), 1):
        assert np.abs(got - want).max() <= RTOL * np.abs(want).max(), f"W_{l}"


def run_pair(backend: str, nonlinearity: str = "tanh", learning: bool = True):
    spec = small_circuit(nonlinearity, learning)
    proto = protocol()
    assert proto.n_steps >= 2000
    inputs = inputs_for(spec, proto, seed=3)
    sim = Simulator(
        spec,
        proto,
        BackendOptions(backend),
        Setup(monitors=MONITORS, frame_monitors=FRAME_MONITORS),
    )
    reference = oracle.simulate(
        spec, proto, inputs, Setup(monitors=MONITORS, frame_monitors=FRAME_MONITORS)
    )
    return sim, inputs, sim.run(inputs), reference


@pytest.mark.parametrize("nonlinearity", ["identity", "rectified", "tanh"])
def test_numpy_backend_matches_oracle(nonlinearity):
    _, inputs, result, reference = run_pair("numpy", nonlinearity)
    assert_agree(result, reference)
    # learning really happened during the plastic frames, and stopped afterwards
    assert np.abs(result.weights[0] - inputs.weights[0]).max() > 1e-3


def test_numpy_backend_without_learning_keeps_weights():
    _, inputs, result, reference = run_pair("numpy", learning=False)
    assert_agree(result, reference)
    np.testing.assert_array_equal(result.weights[0], inputs.weights[0])


@pytest.mark.slow
def test_cython_backend_matches_oracle():
    _, _, result, reference = run_pair("cython")
    assert_agree(result, reference)


@pytest.mark.slow
def test_cpp_standalone_matches_oracle_and_reruns_without_compiling():
    sim, _, result, reference = run_pair("cpp_standalone")
    assert_agree(result, reference)
    assert result.compile_seconds > 0
    spec, proto = sim.spec, sim.protocol
    second_inputs = inputs_for(spec, proto, seed=11)
    rerun = sim.run(second_inputs)
    assert rerun.compile_seconds == 0.0
    second_reference = oracle.simulate(
        spec, proto, second_inputs, Setup(monitors=MONITORS, frame_monitors=FRAME_MONITORS)
    )
    assert_agree(rerun, second_reference)
    assert not np.allclose(rerun.traces["L1.r"], result.traces["L1.r"])
