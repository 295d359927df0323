"""Known answers for every metric (pcsim.metrics) and for the analysis of recorded
results (pcsim.analysis), on hand-made arrays whose metrics can be worked out by hand."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from brian2 import Hz, ms

from pcsim import analysis, metrics
from pcsim.circuit import CircuitSpec, LayerSpec
from pcsim.groups import transformation
from pcsim.layouts import Layout
from pcsim.plan import Plan
from pcsim.simulate import Inputs, Result
from pcsim.symmetry import symmetry_prior
from pcsim.worlds import RingWorld

RNG = np.random.default_rng(0)


def test_relative_prediction_error_known_values():
    x = RNG.standard_normal((3, 5))
    assert metrics.relative_prediction_error(x, x) == pytest.approx([1, 1, 1])
    assert metrics.relative_prediction_error(0 * x, x) == pytest.approx([0, 0, 0])
    assert metrics.relative_prediction_error(x / 2, x) == pytest.approx([0.25] * 3)


def test_block_means_known_values():
    ends, means = metrics.block_means(np.arange(6.0), 3)
    np.testing.assert_array_equal(ends, [1, 3, 5])
    np.testing.assert_allclose(means, [0.5, 2.5, 4.5])
    assert [len(a) for a in metrics.block_means(np.zeros(0), 3)] == [0, 0]


def test_mean_present_ignores_missing_values():
    assert metrics.mean_present({"a": 1.0, "b": None, "c": 3.0}) == 2.0
    assert metrics.mean_present({"a": None}) is None


def test_equivariance_error_is_zero_for_an_equivariant_map_and_known_for_a_perturbation():
    n = 6
    rho = (np.arange(n) + 1) % n  # unit i goes to i + 1
    base = RNG.standard_normal((4, n))
    moved = np.roll(base, 1, axis=1)  # (rho r)[i + 1] = r[i]
    assert metrics.equivariance_error(base, moved, rho) == pytest.approx(0, abs=1e-15)
    delta = 0.3
    perturbed = moved.copy()
    perturbed[:, 0] += delta
    want = np.mean(delta / np.linalg.norm(base, axis=1))
    assert metrics.equivariance_error(base, perturbed, rho) == pytest.approx(want, rel=1e-12)
    # the wrong representation is not equivariant
    assert metrics.equivariance_error(base, moved, np.arange(n)) > 0.5


def dense_weight_sharing_index(weights: np.ndarray, p_images, rho) -> float:
    """The definition on a dense W_1 (N_0, N_1): the correlation of whole columns."""
    moved = np.empty_like(weights)
    moved[p_images, :] = weights  # P(g) applied to every column
    a = moved - moved.mean(axis=0)
    b = weights[:, rho] - weights[:, rho].mean(axis=0)
    denom = np.linalg.norm(a, axis=0) * np.linalg.norm(b, axis=0)
    valid = denom > 0
    return float(np.mean(np.sum(a * b, axis=0)[valid] / denom[valid]))


def sharing(weights: np.ndarray, p_images, rho) -> float:
    """`metrics.weight_sharing_index` of the nonzero entries of a dense W_1."""
    post, pre = np.nonzero(weights)
    return metrics.weight_sharing_index(weights[post, pre], pre, post, p_images, rho)


def test_weight_sharing_index_is_one_for_tied_weights_and_minus_one_for_anti_tied():
    n = 8
    profile = RNG.standard_normal(n)
    tied = np.stack([np.roll(profile, u) for u in range(n)], axis=1)  # W[:, u+1] = P W[:, u]
    shift = (np.arange(n) - 1) % n  # unit i goes to i - 1
    assert sharing(tied, shift, shift) == pytest.approx(1.0, abs=1e-12)
    # columns that alternate in sign: the moved column of u is minus the column of u + 1
    anti = tied * (-1.0) ** np.arange(n)[None, :]
    assert sharing(anti, shift, shift) == pytest.approx(-1.0, abs=1e-12)


def test_weight_sharing_index_from_synapses_equals_the_dense_definition():
    """Sparse random W_1 (12 x 20, a third of the entries), random permutations: the
    synapse-wise sums give the dense columns' correlation to rounding."""
    for _ in range(5):
        weights = RNG.standard_normal((12, 20)) * (RNG.random((12, 20)) < 0.35)
        p_images, rho = RNG.permutation(12), RNG.permutation(20)
        want = dense_weight_sharing_index(weights, p_images, rho)
        assert sharing(weights, p_images, rho) == pytest.approx(want, abs=1e-12)


def test_free_energy_pc_of_hand_made_arrays():
    eps = [np.array([[3.0, 4.0]]), np.array([[1.0]])]  # |eps_0|^2 = 25, |eps_1|^2 = 1
    r = [np.array([[1.0]]), np.array([[2.0, 0.0]])]  # sum |r_l|^2 = 5
    value = metrics.free_energy_pc(eps, r, [2.0, 0.5], alpha=0.4)
    assert value == pytest.approx([2.0 / 2 * 25 + 0.5 / 2 * 1 + 0.4 / 2 * 5])


def test_structural_surprise_of_hand_made_arrays():
    q = np.array([[0.1, 0.6, 0.3]])  # null, candidate 1, candidate 2
    e1 = np.array([[9.0, 0.5, 2.0]])  # per-unit mean energies of a 4-unit layer
    e2 = np.array([[9.0, 1.0, 0.0]])  # ... and of a 2-unit layer
    s = metrics.structural_surprise(q, [e1, e2], [4, 2])
    assert s == pytest.approx([0.5 * (0.6 * (4 * 0.5 + 2 * 1.0) + 0.3 * (4 * 2.0 + 2 * 0.0))])


# --- the analysis of recorded results -------------------------------------------------------

N = 8


def ring_case(invariant_top: bool = False):
    """A ring world of 8 channels rotating by +-1 and a circuit 8 -> 8 (-> 2, invariant);
    without the invariant layer, a symmetry prior with the two rotations as candidates
    and the reflection as a distractor."""
    layers = [LayerSpec(Layout("ring", (N,))), LayerSpec(Layout("ring", (N,)))]
    if invariant_top:
        layers.append(LayerSpec(Layout("ring", (2,)), invariant=True))
    spec = CircuitSpec(tuple(layers), tau_r=10 * ms, eta=1 * Hz)
    candidates = [
        {"name": "rot+1", "kind": "rotate", "by": 1},
        {"name": "rot-1", "kind": "rotate", "by": -1},
        {"name": "mirror", "kind": "reflect"},
    ]
    prior = None if invariant_top else symmetry_prior(spec, candidates)
    world = RingWorld(channels=N, steps=(1, -1))
    return SimpleNamespace(spec=spec, symmetry=prior, world=world, probe_specs=world.probe_specs)


def equivariant_result(described, plan: Plan, pi_end: np.ndarray) -> Result:
    """Frame-end states of a circuit whose layer 1 is an exact rotation of its input and
    whose invariant top layer is constant; its sensory error is half the stimulus."""
    frames = plan.inputs.frames
    n_frames = len(frames)
    traces = {
        "L0.eps": frames / 2,
        "L1.r": frames.copy(),  # r_1(g x) = rho(g) r_1(x): exactly equivariant
        "L1.eps": np.zeros((n_frames, N)),
        "L2.r": np.ones((n_frames, 2)),  # invariant
        "cand.q": np.full((n_frames, 3), 1 / 3),
        "cand.prior": np.tile(pi_end, (n_frames, 1)),
        **{f"cand.E_{l}": np.zeros((n_frames, 3)) for l in range(3)},
    }
    spec = described.spec
    weights = [np.zeros(len(spec.connections(l)[0])) for l in range(1, spec.n_layers)]
    return Result(np.zeros(1), {}, traces, weights, 0.0, 0.0)


def probe_plan(world: RingWorld) -> Plan:
    """Two base stimuli, each moved by both generators, then two held-out frames; no
    development frames."""
    base = np.random.default_rng(1).standard_normal((2, N))
    moved = [np.roll(base, 1, axis=1), np.roll(base, -1, axis=1)]
    block = np.stack([base, *moved], axis=1)  # (2, 3, N)
    frames = np.vstack([block.reshape(-1, N), base])
    inputs = Inputs(frames, np.zeros(len(frames)), ())
    return Plan(
        inputs,
        develop=np.arange(0),
        new_scene=np.zeros(0, bool),
        checkpoints=[(0, np.arange(6).reshape(2, 3))],
        heldout=np.array([6, 7]),
        novel=np.arange(0),
    )


def test_probe_metrics_of_an_exactly_equivariant_circuit():
    described = ring_case(invariant_top=True)
    plan = probe_plan(described.world)
    result = equivariant_result(described, plan, np.array([0.0, 0.5, 0.5]))
    out = analysis.probe_metrics(described, plan, result)
    assert out["equivariance_error"]["L1"] == pytest.approx({"rotate+1": 0.0, "rotate-1": 0.0})
    assert out["equivariance_error_mean"]["L1"] == pytest.approx(0.0)
    assert out["invariance_index"]["L2"] == pytest.approx({"rotate+1": 1.0, "rotate-1": 1.0})
    assert out["heldout_prediction_error"] == pytest.approx(0.25)
    assert out["transformed_heldout_prediction_error"] is None


def test_group_metrics_of_a_known_accepted_set():
    described = ring_case()
    plan = probe_plan(described.world)
    # pi at the end: null 0.2, rot+1 0.7, rot-1 0.01 (pruned), mirror 0.09 (accepted)
    result = equivariant_result(described, plan, np.array([0.2, 0.7, 0.01, 0.09]))
    group = analysis.group_metrics(described, plan, result)
    assert group["accepted"] == ["rot+1", "mirror"]
    assert group["pi"] == pytest.approx({"null": 0.2, "rot+1": 0.7, "rot-1": 0.01, "mirror": 0.09})
    assert group["precision"] == pytest.approx(0.5)  # one of two accepted is a true generator
    assert group["recall"] == pytest.approx(0.5)  # rotate-1 is not among the accepted
    assert group["missed"] == ["rotate-1"]
    assert group["false_accepted"] == ["mirror"]
    assert group["order"] == 2 * N  # a rotation by 1 and a reflection generate D_8
    assert group["true_order"] == N
    assert not group["same_group"]


def test_order_course_follows_the_accepted_set_over_development():
    described = ring_case()
    pi = np.array(
        [
            [0.25, 0.3, 0.3, 0.15],  # all three accepted, as before development: D_8
            [0.3, 0.3, 0.3, 0.04],  # the mirror pruned: C_8
            [0.3, 0.6, 0.06, 0.04],  # the same set
            [0.9, 0.04, 0.03, 0.03],  # nothing accepted: the trivial group
        ]
    )
    plan = SimpleNamespace(develop=np.arange(4))
    result = Result(np.zeros(1), {}, {"cand.prior": pi}, [], 0.0, 0.0)
    course = analysis.order_course(described, plan, result)
    assert [(c["frames_developed"], c["accepted"], c["order"]) for c in course] == [
        (0, ["rot+1", "rot-1", "mirror"], 2 * N),
        (2, ["rot+1", "rot-1"], N),
        (4, [], 1),
    ]


def test_probed_transformations_are_reported_beside_the_generators_but_not_averaged():
    """A further probed transformation ("rot+2") is measured like a generator and named
    by its name; the means stay over the world's generators. Its probe column shows
    the base rotated by 3, so its error is that of rotating by 3 against rho(+2)."""
    described = ring_case(invariant_top=True)
    extra = {"name": "rot+2", "kind": "rotate", "by": 2}
    described.probe_specs = lambda: [*described.world.probe_specs(), extra]
    base = np.random.default_rng(1).standard_normal((2, N))
    shifted = [np.roll(base, s, axis=1) for s in (1, -1, 3)]
    block = np.stack([base, *shifted], axis=1)  # (2, 4, N)
    frames = np.vstack([block.reshape(-1, N), base])
    plan = Plan(
        Inputs(frames, np.zeros(len(frames)), ()),
        develop=np.arange(0),
        new_scene=np.zeros(0, bool),
        checkpoints=[(0, np.arange(8).reshape(2, 4))],
        heldout=np.array([8, 9]),
        novel=np.arange(0),
    )
    result = equivariant_result(described, plan, np.array([0.0, 0.5, 0.5]))
    out = analysis.probe_metrics(described, plan, result)
    rho = transformation(Layout("ring", (N,)), extra).array  # i -> i + 2
    want = metrics.equivariance_error(base, np.roll(base, 3, axis=1), rho)
    assert want > 0.5
    assert out["equivariance_error"]["L1"] == pytest.approx(
        {"rotate+1": 0.0, "rotate-1": 0.0, "rot+2": want}
    )
    assert out["equivariance_error_mean"]["L1"] == pytest.approx(0.0)


def test_effective_weights_count_orbits_of_shared_weights():
    """W (8 x 8, dense) under the rotations of a ring of 8 on both layers: weights that
    depend on (post - pre) mod 8 only are 8 orbits shared exactly (8 independent
    weights); breaking one synapse adds its share of the variance; unrelated weights
    count nearly every synapse."""
    pre, post = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    pre, post = pre.ravel(), post.ravel()
    rotation = [((np.arange(N) + 1) % N, (np.arange(N) + 1) % N)]
    profile = np.random.default_rng(0).standard_normal(N)
    tied = profile[(post - pre) % N]
    assert metrics.effective_weights(pre, post, tied, rotation) == (8, pytest.approx(8))
    broken = tied.copy()
    broken[0] += 1.0
    orbit = (post - pre) % N == (post[0] - pre[0]) % N
    within = np.sum((broken[orbit] - broken[orbit].mean()) ** 2)
    total = np.sum((broken - broken.mean()) ** 2)
    got = metrics.effective_weights(pre, post, broken, rotation)
    assert got == (8, pytest.approx(8 + 56 * within / total))
    unrelated = np.random.default_rng(1).standard_normal(N * N)
    got = metrics.effective_weights(pre, post, unrelated, rotation)[1]
    assert 8 + 56 * 0.7 < got < 64  # within-orbit share about 56 / 63 for unrelated weights
    assert metrics.effective_weights(pre, post, tied, []) == (64, pytest.approx(64))  # no group
    # a move onto a pair that is no synapse links nothing: keep only post - pre in {0, 1}
    near = ((post - pre) % N) <= 1
    got = metrics.effective_weights(pre[near], post[near], tied[near], rotation)
    assert got == (2, pytest.approx(2))
