"""Figures of a run, one function per figure; each returns a matplotlib Figure."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pcsim import metrics, results  # noqa: E402

if TYPE_CHECKING:
    from pcsim.experiment import Prepared
    from pcsim.simulate import Result


def receptive_fields(weights: np.ndarray, title: str, max_units: int = 16):
    """Each layer-1 unit's weights onto the sensory channels (a column of W_1, shape
    (N_0, N_1)), as one small panel per unit."""
    n = min(max_units, weights.shape[1])
    cols = min(8, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.3 * rows), squeeze=False)
    limit = np.abs(weights[:, :n]).max() or 1.0
    for unit, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if unit >= n:
            ax.axis("off")
            continue
        ax.plot(weights[:, unit], color="k", lw=1)
        ax.axhline(0, color="0.7", lw=0.5)
        ax.set_ylim(-limit, limit)
        ax.set_title(f"unit {unit}", fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.supxlabel("sensory channel", fontsize=8)
    return fig


def prediction_error_course(error: np.ndarray, n_train: int, new_scene: np.ndarray):
    """Relative prediction error per frame over development, and on the held-out probe."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    frames = np.arange(len(error))
    ax.plot(frames[:n_train], error[:n_train], ".", ms=2, color="0.6", label="every frame")
    novel = np.flatnonzero(new_scene[:n_train])
    if novel.size:
        ax.plot(novel, error[novel], ".", ms=4, color="tab:blue", label="new scenes (unseen)")
    window = max(1, n_train // 20)
    smooth = np.convolve(error[:n_train], np.ones(window) / window, mode="valid")
    ax.plot(frames[window - 1 : n_train], smooth, color="k", lw=1.5, label=f"mean of {window}")
    if len(error) > n_train:
        ax.plot(frames[n_train:], error[n_train:], ".", ms=3, color="tab:red")
        ax.axhline(
            error[n_train:].mean(), color="tab:red", ls="--", lw=1, label="held-out (frozen)"
        )
        ax.axvline(n_train - 0.5, color="0.3", lw=0.5)
    ax.set_xlabel("frame")
    ax.set_ylabel("|eps_0|^2 / |x|^2")
    ax.set_yscale("log")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title("Sensory prediction error over development", fontsize=9)
    return fig


def example_predictions(x: np.ndarray, eps: np.ndarray, frames: list[int]):
    """Stimulus x and the circuit's prediction mu_0 = x - eps_0 for a few frames."""
    fig, axes = plt.subplots(1, len(frames), figsize=(2.4 * len(frames), 2.2), squeeze=False)
    for ax, frame in zip(axes.flat, frames, strict=True):
        ax.plot(x[frame], color="k", lw=1, label="stimulus x")
        ax.plot(x[frame] - eps[frame], color="tab:orange", lw=1.2, label="prediction mu_0")
        ax.set_title(f"held-out frame {frame}", fontsize=8)
        ax.set_xlabel("channel", fontsize=7)
        ax.tick_params(labelsize=6)
    axes.flat[0].legend(fontsize=6)
    return fig


def scenario_figures(directory: Path, prepared: Prepared, result: Result, _metrics: dict) -> None:
    """Write every figure of a scenario run into ``directory`` as PNG."""
    x = prepared.inputs.frames
    eps = result.frame_traces["L0.eps"]
    error = metrics.relative_prediction_error(eps, x)
    n_train = prepared.n_train
    figures = {
        "receptive_fields": receptive_fields(
            result.weights[0], "Learned receptive fields (columns of W_1)"
        ),
        "receptive_fields_initial": receptive_fields(
            prepared.inputs.weights[0], "Initial receptive fields (columns of W_1)"
        ),
        "prediction_error": prediction_error_course(error, n_train, prepared.training.step == 0),
    }
    probe = list(range(n_train, len(x)))[:4]
    if probe:
        figures["example_predictions"] = example_predictions(x, eps, probe)
    for name, fig in figures.items():
        results.save_figure(fig, Path(directory) / f"{name}.png")
        plt.close(fig)
