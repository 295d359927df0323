"""Shared fixtures: small circuits and inputs for engine tests."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Hz, ms

from pcsim.circuit import CircuitSpec, LayerSpec
from pcsim.layouts import Layout
from pcsim.network import Protocol
from pcsim.simulate import Inputs

MONITORS = ("L0.eps", "L0.mu", "L1.r", "L1.fb", "L2.r")
FRAME_MONITORS = ("L0.eps", "L1.r")


def small_circuit(nonlinearity: str = "tanh", learning: bool = True, eta=5 * Hz) -> CircuitSpec:
    """Sensory ring of 12, a dense layer of 8 and a local top layer of 4 (two weight layers)."""
    return CircuitSpec(
        layers=(
            LayerSpec(Layout("ring", (12,))),
            LayerSpec(Layout("ring", (8,)), precision=0.7),
            LayerSpec(Layout("ring", (4,)), connectivity="local", rf_radius=0.3),
        ),
        tau_r=10 * ms,
        eta=eta,
        eta_decay=0.1 * Hz,
        alpha=0.05,
        nonlinearity=nonlinearity,
        learning=learning,
    )


def protocol(n_frames: int = 40) -> Protocol:
    """40 frames of 50 ms at dt = 1 ms: 2001 time steps."""
    return Protocol(n_frames=n_frames, frame_duration=50 * ms, dt=1 * ms, interval=10 * ms)


def inputs_for(spec: CircuitSpec, proto: Protocol, seed: int, frozen_tail: int = 10) -> Inputs:
    rng = np.random.default_rng(seed)
    frames = rng.standard_normal((proto.n_frames, spec.sizes[0]))
    frozen = min(frozen_tail, proto.n_frames)
    plastic = np.r_[np.ones(proto.n_frames - frozen), np.zeros(frozen)]
    return Inputs(frames, plastic, tuple(spec.initial_weights(rng)))


@pytest.fixture
def circuit() -> CircuitSpec:
    return small_circuit()
