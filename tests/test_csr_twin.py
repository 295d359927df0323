"""The CSR twin of ``benchmarks/csr_twin.py`` integrates exactly what the dense oracle does."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

from pcsim import oracle
from pcsim.circuit import CircuitSpec, LayerSpec
from pcsim.layouts import Layout
from pcsim.network import Setup
from tests.conftest import inputs_for, protocol, small_circuit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from csr_twin import simulate_csr  # noqa: E402

RTOL = 1e-10


def _with_layers(spec: CircuitSpec, *layers: LayerSpec) -> CircuitSpec:
    return dataclasses.replace(spec, layers=tuple(layers))


def dense_circuit() -> CircuitSpec:
    """small_circuit with every connection dense."""
    spec = small_circuit()
    return _with_layers(spec, *spec.layers[:2], LayerSpec(Layout("ring", (4,))))


def local_circuit() -> CircuitSpec:
    """Rings of 16, 8 and 4 units, both connections local."""
    spec = small_circuit(nonlinearity="rectified")
    return _with_layers(
        spec,
        LayerSpec(Layout("ring", (16,))),
        LayerSpec(Layout("ring", (8,)), precision=0.7, connectivity="local", rf_radius=0.2),
        LayerSpec(Layout("ring", (4,)), precision=1.3, connectivity="local", rf_radius=0.3),
    )


CASES = {"mixed": small_circuit, "dense": dense_circuit, "local": local_circuit}


def _close(actual: np.ndarray, expected: np.ndarray) -> None:
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    assert np.max(np.abs(actual - expected)) <= RTOL * scale


@pytest.mark.parametrize("case", sorted(CASES))
def test_csr_twin_matches_oracle(case):
    spec = CASES[case]()
    if case == "local":
        assert all(spec.mask(l).mean() < 1 for l in (1, 2))  # genuinely sparse
    proto = protocol()
    inputs = inputs_for(spec, proto, seed=3)
    names = ("L0.eps", "L1.r", "L2.r")
    want = oracle.simulate(spec, proto, inputs, Setup(frame_monitors=names))
    got = simulate_csr(spec, proto, inputs, frame_monitors=names)
    assert got.seconds > 0
    for l, (w_got, w_want) in enumerate(zip(got.weights, want.weights, strict=True), 1):
        assert w_got.shape == (len(spec.connections(l)[0]),)
        assert np.max(np.abs(w_got - inputs.weights[l - 1])) > 1e-3  # learning happened
        _close(w_got, w_want)
    for name in names:
        assert got.frame_traces[name].shape == (proto.n_frames, spec.sizes[int(name[1])])
        _close(got.frame_traces[name], want.frame_traces[name])


def test_csr_twin_frozen_weights_stay_put():
    spec = small_circuit(learning=False)
    proto = protocol(n_frames=3)
    inputs = inputs_for(spec, proto, seed=1)
    got = simulate_csr(spec, proto, inputs, frame_monitors=("L1.r",))
    for w_got, w_in in zip(got.weights, inputs.weights, strict=True):
        np.testing.assert_array_equal(w_got, w_in)
    want = oracle.simulate(spec, proto, inputs, Setup(frame_monitors=("L1.r",)))
    _close(got.frame_traces["L1.r"], want.frame_traces["L1.r"])
    assert len(got.r) == spec.n_layers


@pytest.mark.parametrize("case", sorted(CASES))
def test_csr_twin_in_float32_stays_float32_and_near_the_oracle(case):
    """float32 against the float64 oracle: rounding of 6e-8 per operation over 2,001
    steps; 1e-4 of the scale is the bar of tests/test_float32.py (equation errors are
    1e-3 and more)."""
    spec = CASES[case]()
    proto = protocol()
    inputs = inputs_for(spec, proto, seed=3)
    want = oracle.simulate(spec, proto, inputs, Setup(frame_monitors=("L1.r",)))
    got = simulate_csr(spec, proto, inputs, frame_monitors=("L1.r",), dtype="float32")
    assert got.frame_traces["L1.r"].dtype == np.float32
    assert all(w.dtype == np.float32 for w in got.weights)
    for w_got, w_want in zip(got.weights, want.weights, strict=True):
        scale = np.max(np.abs(w_want))
        assert 0 < np.max(np.abs(w_got - w_want)) <= 1e-4 * scale
    scale = np.max(np.abs(want.frame_traces["L1.r"]))
    assert np.max(np.abs(got.frame_traces["L1.r"] - want.frame_traces["L1.r"])) <= 1e-4 * scale
