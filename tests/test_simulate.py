"""Simulator behaviour: divergence detection, input checks, frozen learning."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Hz, ms

from pcsim import oracle
from pcsim.backends import BackendOptions
from pcsim.errors import BackendError, DivergenceError
from pcsim.network import Setup
from pcsim.simulate import Inputs, Simulator
from tests.conftest import inputs_for, protocol, small_circuit


def diverging_case():
    """An absurd learning rate makes the weights, then the rates, explode."""
    spec = small_circuit(nonlinearity="identity", eta=5e4 * Hz)
    proto = protocol(n_frames=20)
    return spec, proto, inputs_for(spec, proto, seed=1, frozen_tail=0)


def test_divergence_is_reported_with_population_and_time():
    spec, proto, inputs = diverging_case()
    result = Simulator(spec, proto, BackendOptions("numpy")).run(inputs)
    reference = oracle.simulate(spec, proto, inputs)
    assert result.divergence is not None
    assert result.divergence == reference.divergence
    population, when = result.divergence
    assert population.startswith("layer")
    assert 0 < when < proto.n_frames * 0.05
    with pytest.raises(DivergenceError, match=r"population 'layer \d.*' .* at t = \d+\.\d ms"):
        result.raise_if_diverged(1e6)


def test_healthy_run_reports_no_divergence():
    spec = small_circuit()
    proto = protocol(n_frames=5)
    result = Simulator(spec, proto, BackendOptions("numpy")).run(inputs_for(spec, proto, 2))
    assert result.divergence is None
    result.raise_if_diverged(1e6)


def test_frozen_frames_do_not_change_weights():
    spec = small_circuit()
    proto = protocol(n_frames=6)
    inputs = inputs_for(spec, proto, seed=4, frozen_tail=6)
    result = Simulator(spec, proto, BackendOptions("numpy")).run(inputs)
    for got, start in zip(result.weights, inputs.weights, strict=True):
        np.testing.assert_array_equal(got, start)


def test_wrong_input_shapes_are_named():
    spec = small_circuit()
    proto = protocol(n_frames=6)
    good = inputs_for(spec, proto, seed=4)
    sim = Simulator(spec, proto, BackendOptions("numpy"))
    with pytest.raises(ValueError, match=r"frames must have shape \(6, 12\)"):
        sim.run(Inputs(good.frames[:, :5], good.plastic, good.weights))
    with pytest.raises(ValueError, match=r"W_1 must hold 96 synapse weights, got shape \(95,\)"):
        sim.run(Inputs(good.frames, good.plastic, (good.weights[0][:-1], good.weights[1])))


def test_unknown_backend_lists_known_ones():
    with pytest.raises(BackendError, match="unknown backend 'gpu'.*numpy, cython, cpp_standalone"):
        BackendOptions("gpu")


def test_local_mask_respects_radius():
    spec = small_circuit()
    mask = spec.mask(2)  # 8 units below, 4 above, radius 0.3 of the ring
    assert mask.shape == (8, 4)
    assert mask.sum(axis=0).tolist() == [5, 5, 5, 5]  # |d| <= 0.3 covers 5 of 8 positions
    assert spec.mask(1).all()


def test_local_connections_match_wrapped_distances_on_a_torus_with_channels():
    from pcsim.circuit import CircuitSpec, LayerSpec
    from pcsim.layouts import Layout, distances

    sheet = CircuitSpec(
        layers=(
            LayerSpec(Layout("torus", (9, 7))),
            LayerSpec(Layout("torus", (9, 7), 3), connectivity="local", rf_radius=0.25),
        ),
        tau_r=10 * ms,
        eta=1 * Hz,
    )
    expected = distances(sheet.layers[0].layout, sheet.layers[1].layout) <= 0.25 + 1e-12
    np.testing.assert_array_equal(sheet.mask(1), expected)
    pre, post = sheet.connections(1)
    assert np.all(np.diff(pre) >= 0)  # Brian2's synapse order: by pre, then post
    assert np.all(np.diff(post)[np.diff(pre) == 0] > 0)


@pytest.mark.parametrize("chunk", [10, 15])
def test_streamed_run_equals_one_long_run(chunk):
    """40 frames in chunks (15 leaves a padded last chunk) against one oracle run."""
    import dataclasses

    from pcsim.simulate import run_streamed
    from tests.conftest import symmetric_case

    spec, proto, prior, inputs = symmetric_case()
    whole = dataclasses.replace(proto, tail_step=False)
    frame_monitors = ("L1.r", "L0.eps", "cand.prior")
    setup = Setup(prior, frame_monitors=frame_monitors)
    reference = oracle.simulate(spec, whole, inputs, setup)
    part = dataclasses.replace(whole, n_frames=chunk)
    sim = Simulator(spec, part, BackendOptions("numpy"), setup)
    result = run_streamed(sim, inputs)
    for name in frame_monitors:
        got, want = result.frame_traces[name], reference.frame_traces[name]
        assert got.shape == want.shape == (40, want.shape[1])
        assert np.abs(got - want).max() <= 1e-9 * np.abs(want).max(), name
    for got, want in zip(result.weights, reference.weights, strict=True):
        assert np.abs(got - want).max() <= 1e-9 * np.abs(want).max()


@pytest.mark.slow
def test_streamed_cpp_standalone_reuses_its_binary_and_matches_the_oracle():
    import dataclasses

    from pcsim.simulate import run_streamed
    from tests.conftest import symmetric_case

    spec, proto, prior, inputs = symmetric_case()
    whole = dataclasses.replace(proto, tail_step=False)
    setup = Setup(prior, frame_monitors=("L1.r",))
    reference = oracle.simulate(spec, whole, inputs, setup)
    sim = Simulator(
        spec,
        dataclasses.replace(whole, n_frames=16),
        BackendOptions("cpp_standalone"),
        setup,
    )
    result = run_streamed(sim, inputs)  # 3 chunks, one compilation
    got, want = result.frame_traces["L1.r"], reference.frame_traces["L1.r"]
    assert np.abs(got - want).max() <= 1e-6 * np.abs(want).max()
    for got_w, want_w in zip(result.weights, reference.weights, strict=True):
        assert np.abs(got_w - want_w).max() <= 1e-6 * np.abs(want_w).max()


def test_a_run_stopped_by_ctrl_c_is_an_interruption_not_a_result():
    """Brian2 turns a first SIGINT into a stop at the end of the current step and returns
    normally; the simulator must not hand back the truncated run as a result."""
    import os
    import signal
    import threading

    from pcsim.errors import Interrupted

    spec = small_circuit()
    proto = protocol(n_frames=4000)  # 200 s of simulated time: several seconds of wall time
    sim = Simulator(spec, proto, BackendOptions("numpy"))
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(Interrupted) as caught:
            sim.run(inputs_for(spec, proto, 1))
    finally:
        timer.cancel()
    interruption = caught.value
    assert interruption.signal == "SIGINT" and interruption.phase == "simulation"
    assert 0 < interruption.reached < interruption.duration == pytest.approx(200.001)
    assert "interrupted by SIGINT during the simulation at t = " in str(interruption)
