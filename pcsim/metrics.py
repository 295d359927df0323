"""Metrics of a run: pure NumPy functions of recorded arrays (no Brian2).

Shapes: ``x`` and ``eps`` are (n_frames, N_0): the stimulus of every frame and the
sensory prediction error at the end of it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph


def relative_prediction_error(eps: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per-frame |eps|^2 / |x|^2, shape (n_frames,): 1 means no better than predicting 0."""
    energy = np.maximum(np.sum(x**2, axis=1), np.finfo(float).tiny)
    return np.sum(eps**2, axis=1) / energy


def block_means(values: np.ndarray, n_blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """Split ``values`` (n,) into ``n_blocks`` consecutive blocks; returns (index of each
    block's last element, mean of each block); both empty when ``values`` is."""
    if len(values) == 0:
        return np.zeros(0, dtype=int), np.zeros(0)
    n_blocks = max(1, min(n_blocks, len(values)))
    blocks = np.array_split(np.arange(len(values)), n_blocks)
    ends = np.array([block[-1] for block in blocks])
    means = np.array([values[block].mean() for block in blocks])
    return ends, means


def mean_present(values: dict) -> float | None:
    """Mean of the values of ``values`` that are not None; None when none is."""
    kept = [v for v in values.values() if v is not None]
    return float(np.mean(kept)) if kept else None


def equivariance_error(r_base: np.ndarray, r_moved: np.ndarray, rho: np.ndarray) -> float:
    """EE(g) = mean_j |r(g x_j) - rho(g) r(x_j)| / |r(x_j)| (docs/model.md, metrics).

    ``r_base``, ``r_moved``: (M, N) responses to x_j and to g x_j; ``rho``: the images of
    rho(g) (unit i goes to rho[i]), so (rho(g) r)[rho[i]] = r[i].
    """
    expected = np.empty_like(r_base)
    expected[:, rho] = r_base
    norm = np.maximum(np.linalg.norm(r_base, axis=1), np.finfo(float).tiny)
    return float(np.mean(np.linalg.norm(r_moved - expected, axis=1) / norm))


def weight_sharing_index(
    weights: np.ndarray, pre: np.ndarray, post: np.ndarray, p_images: np.ndarray, rho: np.ndarray
) -> float:
    """Mean correlation between the receptive field of unit rho(g)(u) and the receptive
    field of unit u moved by g: 1 when W is equivariant (W[:, rho(u)] = P(g) W[:, u]).

    W_1 as synapses: ``weights``, ``pre`` (unit of layer 1) and ``post`` (unit of layer 0),
    each (S,); ``p_images``: images of g on the sensory layer (N_0,); ``rho``: images of g
    on layer 1 (N_1,). The correlation of two columns is over all N_0 entries, zeros
    outside the receptive fields included, computed from the synapses alone (no dense
    N_0 x N_1 matrix): sums of the entries, of their squares and of the products where
    both columns have a synapse.
    """
    n_below, n_above = len(p_images), len(rho)
    weights = np.asarray(weights, dtype=float)
    rho_inv = np.argsort(rho)
    # column u of P(g) W has w_s at row p_images[post_s] for every synapse s of unit u;
    # column u of the target W[:, rho] has w_t at row post_t, u = rho^-1(pre_t)
    moved_key = p_images[post].astype(np.int64) * n_above + pre
    target_col = rho_inv[pre]
    target_key = post.astype(np.int64) * n_above + target_col
    order = np.argsort(target_key)
    at = np.searchsorted(target_key, moved_key, sorter=order).clip(max=len(order) - 1)
    match = order[at]
    hit = target_key[match] == moved_key

    def per_column(column: np.ndarray, values: np.ndarray) -> np.ndarray:
        return np.bincount(column, weights=values, minlength=n_above)

    sx, sxx = per_column(pre, weights), per_column(pre, weights**2)
    sy, syy = per_column(target_col, weights), per_column(target_col, weights**2)
    sxy = per_column(pre[hit], weights[hit] * weights[match[hit]])
    covariance = sxy - sx * sy / n_below
    denom = np.sqrt(np.maximum(sxx - sx**2 / n_below, 0) * np.maximum(syy - sy**2 / n_below, 0))
    valid = denom > 0
    return float(np.mean(covariance[valid] / denom[valid])) if valid.any() else 0.0


def inference_precision(u: np.ndarray, configured: float) -> np.ndarray:
    """Pi_{l,i} = Pi_l N (1/u_i) / sum_j (1/u_j): the layer's configured precision
    ``configured`` shared among its N units by their learned variances ``u`` (shape
    (..., N)), so that its mean over the units stays ``configured``
    (docs/model.md#214-learned-precision-in-inference)."""
    return configured * u.shape[-1] / (u * np.sum(1.0 / u, axis=-1, keepdims=True))


def free_energy_pc(
    eps: list[np.ndarray], r: list[np.ndarray], precisions: list, alpha: float
) -> np.ndarray:
    """F_pc per frame: sum_l sum_i Pi_{l,i}/2 eps_{l,i}^2 + alpha/2 sum_{l>=1} |r_l|^2.

    ``eps[l]``: (n_frames, N_l) for l = 0..L-1; ``r``: value layers 1..L, same shape rule;
    ``precisions[l]``: Pi_l (a number) or per frame and unit (n_frames, N_l).
    """
    total = sum(np.sum(p / 2 * e**2, axis=1) for p, e in zip(precisions, eps, strict=False))
    return total + alpha / 2 * sum(np.sum(v**2, axis=1) for v in r)


def structural_surprise(q: np.ndarray, energies: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """S per frame: 1/2 sum_{k>=1} q_k sum_{l>=1} |s_{l,k}|^2, whose gradient (q held
    fixed) is the pull, so that inference descends F = F_pc + lambda S.

    ``q``: (n_frames, K + 1); ``energies[l]``: (n_frames, K + 1) per-unit mean energies
    E_{l,k} of value layers l = 1..L (so |s_{l,k}|^2 = N_l E_{l,k}); ``sizes``: their N_l.
    """
    per_candidate = sum(n * e for n, e in zip(sizes, energies, strict=True))
    return 0.5 * np.sum(q[:, 1:] * per_candidate[:, 1:], axis=1)


def effective_weights(
    pre: np.ndarray,
    post: np.ndarray,
    weights: np.ndarray,
    actions: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[int, float]:
    """How many independent weights a weight matrix effectively has under a group.

    Synapse ``s`` joins unit ``pre[s]`` (upper layer) to unit ``post[s]`` (lower layer),
    with weight ``weights[s]``; each generator ``(a_pre, a_post)`` (images of the upper and
    the lower layer's units) moves synapse (i, j) to (a_pre[i], a_post[j]). The synapses
    fall into orbits (connected by the generators; a move onto a pair that is not a
    synapse links nothing). Returns (orbits, effective weights) with

        effective = orbits + (n - orbits) * within,

    ``within`` the share of the weights' variance left within orbits (squared deviations
    from the orbit means over those from the overall mean): the orbits' means count as
    free parameters, and every other synapse as much as it departs from its orbit's
    mean. Weights shared exactly give ``orbits``; weights unrelated to the group about
    ``n``.
    """
    n = len(weights)
    pre, post = np.asarray(pre, dtype=np.int64), np.asarray(post, dtype=np.int64)
    width = max([int(post.max()) + 1] + [len(a) for _, a in actions])
    keys = pre * width + post
    order = np.argsort(keys)
    ranked = keys[order]
    sources, targets = [], []
    for a_pre, a_post in actions:
        moved = np.asarray(a_pre)[pre] * width + np.asarray(a_post)[post]
        at = np.minimum(np.searchsorted(ranked, moved), n - 1)
        hit = ranked[at] == moved  # the moved pair is a synapse
        sources.append(np.flatnonzero(hit))
        targets.append(order[at[hit]])
    rows = np.concatenate([np.arange(0), *sources])
    cols = np.concatenate([np.arange(0), *targets])
    links = scipy.sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, orbit = scipy.sparse.csgraph.connected_components(links, directed=False)
    size = np.bincount(orbit)
    mean = np.bincount(orbit, weights) / size
    total = np.sum((weights - weights.mean()) ** 2)
    within = np.sum((weights - mean[orbit]) ** 2) / total if total > 0 else 0.0
    return len(size), float(len(size) + (n - len(size)) * within)
