"""The symmetry prior on every backend against the oracle (tolerance: see
test_oracle_agreement.py; the same argument holds, the prior's terms being smooth)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pcsim import oracle
from pcsim.backends import BackendOptions
from pcsim.network import Setup
from pcsim.simulate import Simulator
from tests.conftest import SYMMETRY_MONITORS, symmetric_case

RTOL = 1e-6


def check(result, reference) -> None:
    for name in SYMMETRY_MONITORS:
        got, want = result.traces[name], reference.traces[name]
        scale = np.abs(want).max()
        assert scale > 0, name
        assert np.abs(got - want).max() <= RTOL * scale, name
    for got, want in zip(result.weights, reference.weights, strict=True):
        assert np.abs(got - want).max() <= RTOL * np.abs(want).max()


def run_backend(backend: str):
    spec, proto, prior, inputs = symmetric_case()
    sim = Simulator(spec, proto, BackendOptions(backend), Setup(prior, SYMMETRY_MONITORS))
    reference = oracle.simulate(spec, proto, inputs, Setup(prior, SYMMETRY_MONITORS))
    result = sim.run(inputs)
    check(result, reference)
    baseline_inputs = dataclasses.replace(inputs, lam=0.0)
    baseline = sim.run(baseline_inputs)
    check(
        baseline,
        oracle.simulate(spec, proto, baseline_inputs, Setup(prior, SYMMETRY_MONITORS)),
    )
    return result, baseline


def test_numpy_backend_matches_oracle_with_and_without_lambda():
    result, baseline = run_backend("numpy")
    # the prior changed the representation, and the responsibilities found the world:
    assert np.abs(result.traces["L1.r"] - baseline.traces["L1.r"]).max() > 1e-2
    q = result.traces["cand.q"]
    assert q[:, 1].max() > 0.9  # rot+2 explains the rotated frames
    np.testing.assert_allclose(q.sum(axis=1)[1:], 1.0, rtol=1e-12)


def test_prior_is_frozen_during_frozen_frames():
    spec, proto, prior, inputs = symmetric_case()
    result = oracle.simulate(spec, proto, inputs, Setup(prior, frame_monitors=("cand.prior",)))
    pi = result.frame_traces["cand.prior"]
    np.testing.assert_array_equal(pi[30:], np.broadcast_to(pi[29], pi[30:].shape))
    assert not np.allclose(pi[0], pi[29])


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["cython", "cpp_standalone"])
def test_compiled_backends_match_oracle(backend):
    run_backend(backend)


def coupled_case():
    """The symmetric case with the prior also acting on the weights."""
    from brian2 import Hz

    spec, proto, prior, inputs = symmetric_case()
    return spec, proto, dataclasses.replace(prior, weight_coupling=3 * Hz), inputs


@pytest.mark.parametrize(
    "backend", ["numpy", pytest.param("cpp_standalone", marks=pytest.mark.slow)]
)
def test_weight_coupling_matches_oracle_and_switches_off(backend):
    from brian2 import Hz

    spec, proto, prior, inputs = coupled_case()
    sim = Simulator(spec, proto, BackendOptions(backend), Setup(prior, SYMMETRY_MONITORS))
    setup = Setup(prior, SYMMETRY_MONITORS)
    coupled = sim.run(inputs)
    check(coupled, oracle.simulate(spec, proto, inputs, setup))
    off = dataclasses.replace(inputs, coupling=0 * Hz)
    uncoupled = sim.run(off)
    check(uncoupled, oracle.simulate(spec, proto, off, setup))
    assert np.abs(coupled.weights[0] - uncoupled.weights[0]).max() > 0.1


def test_partners_follow_the_candidate_and_default_to_self():
    spec, _, prior, _ = symmetric_case()
    pre, post = spec.connections(1)  # dense 12 -> 12 ring, candidate 0 rotates by 2
    partners = prior.partners(spec, 1)
    s = 5
    partner = partners[0, s]
    assert pre[partner] == (pre[s] - 2) % 12 and post[partner] == (post[s] - 2) % 12
    # layer 2 is local with 5 of 8 positions: a reflection keeps every synapse's partner
    # inside the connectivity, a random permutation does not, and then it is the synapse
    local = prior.partners(spec, 2)
    assert (local[3] == np.arange(local.shape[1])).any()
