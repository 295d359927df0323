"""Learned precision (docs/model.md#213-learned-precision): every error unit's running
mean of eps^2 on every backend against the oracle (tolerance as in
test_oracle_agreement.py), its closed form, and the evidence in units of it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from brian2 import Hz, ms, second

from pcsim import metrics, oracle
from pcsim.backends import BackendOptions
from pcsim.circuit import CircuitSpec, LayerSpec
from pcsim.layouts import Layout
from pcsim.network import Protocol, Setup
from pcsim.simulate import Inputs, Simulator
from pcsim.symmetry import symmetry_prior
from tests.conftest import PRECISION_MONITORS, SYMMETRY_MONITORS, symmetric_case
from tests.test_symmetry_agreement import check

MONITORS = SYMMETRY_MONITORS + PRECISION_MONITORS


def run_learned(backend: str, inference: str = "fixed", coupling=0 * Hz):
    """The learned-precision case on ``backend`` against the oracle, with and without
    lambda; ``inference``: which precision weighs the errors in inference and learning;
    ``coupling``: the weight coupling (> 0: the weights live in a weight group)."""
    spec, proto, prior, inputs = symmetric_case("learned")
    prior = dataclasses.replace(prior, inference_precision=inference, weight_coupling=coupling)
    setup = Setup(prior, MONITORS)
    sim = Simulator(spec, proto, BackendOptions(backend), setup)
    result = sim.run(inputs)
    check(result, oracle.simulate(spec, proto, inputs, setup), MONITORS)
    baseline_inputs = dataclasses.replace(inputs, lam=0.0)
    check(sim.run(baseline_inputs), oracle.simulate(spec, proto, baseline_inputs, setup), MONITORS)
    return result


def test_numpy_backend_matches_oracle_with_learned_precision():
    result = run_learned("numpy")
    u = result.traces["L0.u"]
    assert u[0] == pytest.approx(np.ones(12))  # starts at 1 / precision
    assert np.all(u[-1] < 0.9)  # and has learned
    # frozen frames (the last 10 of 40) freeze the variances
    frozen = result.times >= 1.5
    np.testing.assert_array_equal(u[frozen], np.broadcast_to(u[frozen][0], u[frozen].shape))
    assert result.traces["cand.q"][:, 1].max() > 0.9  # rot+2 still explains the world


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["cython", "cpp_standalone"])
def test_compiled_backends_match_oracle_with_learned_precision(backend):
    run_learned(backend)


@pytest.mark.parametrize(
    "backend, coupling",
    [
        ("numpy", 0 * Hz),
        ("numpy", 3 * Hz),
        pytest.param("cython", 0 * Hz, marks=pytest.mark.slow),
        pytest.param("cpp_standalone", 0 * Hz, marks=pytest.mark.slow),
        pytest.param("cpp_standalone", 3 * Hz, marks=pytest.mark.slow),
    ],
)
def test_backends_match_oracle_with_learned_precision_in_inference(backend, coupling):
    """Inference and learning weighed by Pi_l N (1/u_i) / sum_j (1/u_j) (docs/model.md,
    section 2.14), through the synapses' feedback and learning or the weight group."""
    result = run_learned(backend, "learned", coupling)
    spec, proto, prior, inputs = symmetric_case("learned")
    prior = dataclasses.replace(prior, weight_coupling=coupling)  # fixed inference precision
    fixed = oracle.simulate(spec, proto, inputs, Setup(prior, MONITORS))
    # the weighting changes the dynamics far beyond the agreement tolerance (1e-6)
    change = np.abs(result.traces["L1.r"] - fixed.traces["L1.r"]).max()
    assert change > 1e-3 * np.abs(fixed.traces["L1.r"]).max()


def test_uniform_variances_weigh_inference_with_the_configured_precision():
    """With tau_precision so long that u stays at 1 / Pi_l on every unit, the learned
    inference precision is Pi_l on every unit: the run equals the fixed one."""
    spec, proto, prior, inputs = symmetric_case("learned")
    frozen = dataclasses.replace(prior, tau_precision=1e12 * second)
    runs = [
        oracle.simulate(
            spec, proto, inputs, Setup(dataclasses.replace(frozen, inference_precision=p), MONITORS)
        )
        for p in ("fixed", "learned")
    ]
    for name in MONITORS:
        np.testing.assert_allclose(runs[1].traces[name], runs[0].traces[name], rtol=0, atol=1e-12)


def test_inference_precision_shares_the_layer_precision_by_inverse_variance():
    u = np.array([[0.5, 1.0, 2.0, 4.0], [1.0, 1.0, 1.0, 1.0]])
    got = metrics.inference_precision(u, 0.7)
    np.testing.assert_allclose(got.mean(axis=1), [0.7, 0.7], rtol=1e-12)
    np.testing.assert_allclose(got[0] * u[0], np.full(4, got[0, 0] * 0.5), rtol=1e-12)
    np.testing.assert_allclose(got[1], np.full(4, 0.7), rtol=1e-12)
    # a common factor on every variance changes nothing
    np.testing.assert_allclose(metrics.inference_precision(u * 1e-3, 0.7), got, rtol=1e-12)


def test_float32_oracle_follows_float64_with_learned_precision():
    spec, proto, prior, inputs = symmetric_case("learned")
    setup = Setup(prior, MONITORS)
    want = oracle.simulate(spec, proto, inputs, setup)
    got = oracle.simulate(spec, proto, inputs, setup, dtype="float32")
    for name in ("L0.u", "cand.E_0", "cand.prior"):
        scale = np.abs(want.traces[name]).max()
        assert np.abs(got.traces[name] - want.traces[name]).max() <= 1e-3 * scale, name


def silent_circuit() -> CircuitSpec:
    """Sensory ring of 6, a layer of 3 whose zero weights never predict (no learning)."""
    return CircuitSpec(
        layers=(
            LayerSpec(Layout("ring", (6,)), precision=0.5),
            LayerSpec(Layout("ring", (3,))),
        ),
        tau_r=10 * ms,
        eta=0 * Hz,
        eta_decay=0 * Hz,
        alpha=0.1,
        learning=False,
    )


@pytest.mark.parametrize("backend", ["oracle", "numpy"])
def test_variance_relaxes_to_the_squared_error_in_closed_form(backend):
    """With zero weights eps_0 is the frame itself, so each unit's u follows the Euler
    solution u_n = x^2 + (u_0 - x^2) (1 - dt/tau)^n from u_0 = 1/precision = 2, and
    only while the gate is open."""
    spec = silent_circuit()
    proto = Protocol(n_frames=4, frame_duration=20 * ms, dt=1 * ms, interval=1 * ms)
    prior = symmetry_prior(
        spec, [{"name": "r2", "kind": "rotate", "by": 2}], lam=0.0, tau_precision=50 * ms
    )
    x = np.linspace(-1.5, 1.0, 6)
    inputs = Inputs(np.tile(x, (4, 1)), np.array([1.0, 1.0, 1.0, 0.0]), (np.zeros(18),))
    setup = Setup(prior, ("L0.u",))
    if backend == "oracle":
        result = oracle.simulate(spec, proto, inputs, setup)
    else:
        result = Simulator(spec, proto, BackendOptions(backend), setup).run(inputs)
    u = result.traces["L0.u"]  # sample n: after n steps
    n = np.minimum(np.arange(len(u)), 60)[:, None]  # the fourth frame is frozen
    want = x**2 + (2.0 - x**2) * (1 - 1 / 50) ** n
    np.testing.assert_allclose(u, want, rtol=1e-12)


def test_energies_are_in_units_of_the_variances_of_both_units():
    """e_{l,k,i} = s_{l,k,i}^2 / (u_{l,i} + u_{l,rho_k^{-1}(i)}), the variance of a
    difference of two independent errors; E is its mean over units."""
    spec, _, prior, inputs = symmetric_case("learned")
    cand = oracle._Candidates(prior, spec, inputs, np.dtype("float64"))
    rng = np.random.default_rng(1)
    r = [rng.standard_normal(n) for n in spec.sizes]
    m = [rng.standard_normal(n) for n in spec.sizes]
    u = [rng.uniform(0.1, 2.0, n) for n in spec.sizes[:-1]]
    cand.consistency(r, m, u)
    cand.energies()
    for l in range(3):
        for k, action in enumerate(prior.actions[l]):
            source = np.argsort(action)  # unit i's memory comes from rho^{-1}(i)
            s = r[l] - m[l][source]
            want = s**2 / (u[l] + u[l][source]) if l < 2 else s**2  # the top: no errors
            assert cand.layer_energy[l][k + 1] == pytest.approx(want.mean(), rel=1e-12)


def test_learned_precision_needs_the_top_layer_out_of_the_evidence():
    spec, *_ = symmetric_case("learned")
    with pytest.raises(ValueError, match="top layer"):
        symmetry_prior(
            spec, [{"name": "r", "kind": "rotate", "by": 2}], evidence_weights=(1.0, 0.0, 0.1)
        )
    with pytest.raises(ValueError, match="precision must be one of"):
        symmetry_prior(spec, [{"name": "r", "kind": "rotate", "by": 2}], precision="adaptive")
    with pytest.raises(ValueError, match="tau_precision"):
        symmetry_prior(spec, [{"name": "r", "kind": "rotate", "by": 2}], tau_precision=0 * second)
    with pytest.raises(ValueError, match="inference_precision must be one of"):
        symmetry_prior(
            spec, [{"name": "r", "kind": "rotate", "by": 2}], inference_precision="adaptive"
        )
    with pytest.raises(ValueError, match="needs the learned variances"):
        symmetry_prior(
            spec,
            [{"name": "r", "kind": "rotate", "by": 2}],
            precision="fixed",
            inference_precision="learned",
        )
