"""Shared fixtures: small circuits and inputs for engine tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from brian2 import Hz, ms

from pcsim import buildcache
from pcsim.circuit import CircuitSpec, LayerSpec
from pcsim.layouts import Layout
from pcsim.network import Protocol
from pcsim.simulate import Inputs

MONITORS = ("L0.eps", "L0.mu", "L1.r", "L1.fb", "L2.r")
FRAME_MONITORS = ("L0.eps", "L1.r")


@pytest.fixture(autouse=True, scope="session")
def build_cache(tmp_path_factory) -> Iterator[Path]:
    """One build cache for the test session, not the user's (tests that count
    compilations point PCSIM_CACHE_DIR at their own)."""
    root = tmp_path_factory.mktemp("build-cache")
    previous = os.environ.get(buildcache.ENV)
    os.environ[buildcache.ENV] = str(root)
    yield root
    if previous is None:
        del os.environ[buildcache.ENV]
    else:
        os.environ[buildcache.ENV] = previous


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


SYMMETRY_MONITORS = ("L0.eps", "L1.r", "L2.r", "L1.sym", "L2.m", "cand.q", "cand.prior", "cand.E_1")

#: Candidates of `symmetric_case` (two true: the world rotates by 2).
SYMMETRIC_CANDIDATES = (
    {"name": "rot+2", "kind": "rotate", "by": 2},
    {"name": "rot-2", "kind": "rotate", "by": -2},
    {"name": "mirror", "kind": "reflect"},
    {"name": "random", "kind": "random", "seed": 3},
)


#: What the learned-precision case records besides SYMMETRY_MONITORS.
PRECISION_MONITORS = ("L0.u", "L1.u", "cand.E_0")


def symmetric_case(precision: str = "fixed"):
    """Rings of 12, 12 and 6 units, four candidates (two true: the world rotates by 2),
    a world that rotates its scene by 2 channels between frames, with a new scene every
    5 frames; 40 frames (2,001 steps), the last 10 frozen. ``precision="fixed"``: raw
    energies, theta 0.5, beta 5, every layer weighs in; ``"learned"``: energies in units
    of the learned error variances (tau_precision 0.2 s), the default theta and beta, the
    top layer (no errors) out of the evidence."""
    from brian2 import second

    from pcsim.symmetry import symmetry_prior

    fixed = precision == "fixed"

    spec = CircuitSpec(
        layers=(
            LayerSpec(Layout("ring", (12,))),
            LayerSpec(Layout("ring", (12,)), precision=0.7),
            LayerSpec(Layout("ring", (6,)), connectivity="local", rf_radius=0.3),
        ),
        tau_r=10 * ms,
        eta=5 * Hz,
        eta_decay=0.1 * Hz,
        alpha=0.05,
    )
    prior = symmetry_prior(
        spec,
        list(SYMMETRIC_CANDIDATES),
        lam=0.5,
        beta=5.0 if fixed else None,
        theta=0.5 if fixed else None,
        tau_dev=0.2 * second,
        evidence_weights=(1.0, 0.3, 0.2 if fixed else 0.0),
        precision=precision,
        tau_precision=0.2 * second,
    )
    proto = protocol()
    rng = np.random.default_rng(0)
    scene, frames = rng.standard_normal(12), []
    for f in range(proto.n_frames):
        scene = np.roll(scene, 2) if f % 5 else rng.standard_normal(12)
        frames.append(scene + 0.05 * rng.standard_normal(12))
    plastic = np.r_[np.ones(30), np.zeros(10)]
    inputs = Inputs(np.array(frames), plastic, tuple(spec.initial_weights(rng)))
    return spec, proto, prior, inputs
