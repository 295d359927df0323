"""Metrics of a run: pure NumPy functions of recorded arrays (no Brian2).

Shapes: ``x`` and ``eps`` are (n_frames, N_0): the stimulus of every frame and the
sensory prediction error at the end of it.
"""

from __future__ import annotations

import numpy as np


def relative_prediction_error(eps: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per-frame |eps|^2 / |x|^2, shape (n_frames,): 1 means no better than predicting 0."""
    energy = np.maximum(np.sum(x**2, axis=1), np.finfo(float).tiny)
    return np.sum(eps**2, axis=1) / energy


def block_means(values: np.ndarray, n_blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """Split ``values`` (n,) into ``n_blocks`` consecutive blocks; returns (index of each
    block's last element, mean of each block)."""
    n_blocks = max(1, min(n_blocks, len(values)))
    blocks = np.array_split(np.arange(len(values)), n_blocks)
    ends = np.array([block[-1] for block in blocks])
    means = np.array([values[block].mean() for block in blocks])
    return ends, means


def prediction_metrics(
    eps: np.ndarray, x: np.ndarray, n_train: int, new_scene: np.ndarray, n_blocks: int = 10
) -> dict:
    """Prediction-error metrics of one run with ``n_train`` training frames followed by
    held-out probe frames (learning frozen). ``new_scene`` (n_train,) marks training frames
    that were new scenes, never seen before: their error tracks generalisation during
    development."""
    error = relative_prediction_error(eps, x)
    train, probe = error[:n_train], error[n_train:]
    ends, means = block_means(train, n_blocks)
    novel = np.flatnonzero(new_scene[:n_train])
    novel_ends, novel_means = block_means(train[novel], n_blocks) if novel.size else ([], [])
    return {
        "heldout_prediction_error": float(probe.mean()) if probe.size else None,
        "heldout_prediction_error_sd": float(probe.std()) if probe.size else None,
        "training_prediction_error": {
            "frame": [int(e) for e in ends],
            "mean": [float(m) for m in means],
        },
        "novel_scene_prediction_error": {
            "frame": [int(novel[e]) for e in novel_ends],
            "mean": [float(m) for m in novel_means],
        },
        "first_block_prediction_error": float(means[0]),
        "last_block_prediction_error": float(means[-1]),
    }
