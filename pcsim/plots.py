"""Figures of a development run, one function per figure; each returns a Figure.

Every figure shows every condition of the run: with a symmetry prior that is the prior
and its baseline (prior off: lambda = 0, no weight coupling) side by side.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pcsim import analysis, metrics, results  # noqa: E402
from pcsim.groups import transformation  # noqa: E402
from pcsim.worlds import PhasedWorld  # noqa: E402

if TYPE_CHECKING:
    from pcsim.development import Outcome

COLOURS = {"symmetry": "tab:blue", "baseline": "tab:orange", "pc": "tab:blue"}


def label(outcome: Outcome, condition: str) -> str:
    sym = outcome.development.symmetry
    if condition == "symmetry":
        coupling = f", kappa = {float(sym.weight_coupling):g} Hz" if sym.couples_weights else ""
        return f"with symmetry prior (lambda = {sym.lam:g}{coupling})"
    return "baseline (prior off)" if condition == "baseline" else "plain PC"


def receptive_fields(outcome: Outcome, n_units: int = 8):
    """Columns of W_1 (each layer-1 unit's weights onto the sensory layer), one row per
    condition; rings as curves, sheets as images centred on the unit's position."""
    layout = outcome.development.spec.layers[0].layout
    conditions = list(outcome.results)
    spec = outcome.development.spec
    n = min(n_units, spec.sizes[1])
    fig, axes = plt.subplots(
        len(conditions), n, figsize=(1.5 * n, 1.6 * len(conditions)), squeeze=False
    )
    for row, condition in enumerate(conditions):
        w = spec.dense(1, outcome.results[condition].weights[0], columns=n)
        limit = np.abs(w[:, :n]).max() or 1.0
        for unit in range(n):
            ax = axes[row, unit]
            ax.set_xticks([])
            ax.set_yticks([])
            if layout.kind == "ring":
                ax.plot(w[:, unit], color=COLOURS[condition], lw=1)
                ax.axhline(0, color="0.7", lw=0.5)
                ax.set_ylim(-limit, limit)
            else:
                image = w[:, unit].reshape(*layout.shape, layout.channels)[..., 0]
                if layout.periodic:  # centre the unit's own position
                    upper = spec.layers[1].layout
                    y, x = divmod(unit // upper.channels, upper.shape[1])
                    y, x = (
                        y * layout.shape[0] // upper.shape[0],
                        x * layout.shape[1] // upper.shape[1],
                    )
                    shift = (layout.shape[0] // 2 - y, layout.shape[1] // 2 - x)
                    image = np.roll(image, shift, axis=(0, 1))
                ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
            if unit == 0:
                ax.set_ylabel(label(outcome, condition).split(" (")[0], fontsize=7)
            ax.set_title(f"unit {unit}", fontsize=6)
    fig.suptitle("Receptive fields: columns of W_1 (weights onto the sensory layer)", fontsize=9)
    return fig


def prediction_error(outcome: Outcome):
    """Relative sensory prediction error over development, and the frozen probes."""
    plan = outcome.plan
    fig, ax = plt.subplots(figsize=(6.5, 3.3))
    window = max(1, len(plan.develop) // 25)
    for condition, result in outcome.results.items():
        error = metrics.relative_prediction_error(result.frame_traces["L0.eps"], plan.inputs.frames)
        dev_error = error[plan.develop]
        smooth = np.convolve(dev_error, np.ones(window) / window, mode="valid")
        colour = COLOURS[condition]
        ax.plot(
            np.arange(window - 1, len(dev_error)),
            smooth,
            color=colour,
            label=label(outcome, condition),
        )
        ax.axhline(error[plan.heldout].mean(), color=colour, ls="--", lw=1)
        if plan.novel.size:
            ax.axhline(error[plan.novel].mean(), color=colour, ls=":", lw=1.5)
    ax.set_xlabel("development frame")
    ax.set_ylabel("|eps_0|^2 / |x|^2")
    ax.set_yscale("log")
    ax.set_title(
        f"Prediction error (running mean of {window} frames); dashed: held-out, "
        "dotted: novel positions (frozen)",
        fontsize=8,
    )
    ax.legend(fontsize=7)
    return fig


def effective_group(outcome: Outcome):
    """pi of every candidate over development: true generators against distractors."""
    dev = outcome.development
    true = {tuple(p) for p in _true_images(outcome)}
    conditions = list(outcome.results)
    fig, axes = plt.subplots(
        1, len(conditions), figsize=(5 * len(conditions), 3.3), squeeze=False, sharey=True
    )
    for ax, condition in zip(axes.flat, conditions, strict=True):
        pi = outcome.results[condition].frame_traces["cand.prior"][outcome.plan.develop]
        ax.plot(pi[:, 0], color="k", lw=1.5, label="null (new scene)")
        for k, name in enumerate(dev.symmetry.names):
            is_true = tuple(dev.symmetry.actions[0][k]) in true
            ax.plot(
                pi[:, k + 1],
                lw=1.5 if is_true else 1,
                ls="-" if is_true else "--",
                label=f"{name} ({'world' if is_true else 'distractor'})",
            )
        ax.axhline(dev.symmetry.pi_min, color="0.5", lw=0.5, ls=":")
        _phase_lines(ax, dev.world)
        ax.set_title(label(outcome, condition), fontsize=8)
        ax.set_xlabel("development frame")
    axes.flat[0].set_ylabel("prior pi over candidates")
    axes.flat[-1].legend(fontsize=6, loc="upper right")
    fig.suptitle("Developmental refinement of the effective group (dotted: pi_min)", fontsize=9)
    return fig


def _true_images(outcome: Outcome) -> list[np.ndarray]:
    """The world's own transformations (in any phase) as sensory permutations."""
    layout = outcome.development.spec.layers[0].layout
    return [transformation(layout, g).array for g in outcome.development.world.probe_specs()]


def _phase_lines(ax, world) -> None:
    """Vertical lines at the starts of a phased world's phases, labelled with their names."""
    if not isinstance(world, PhasedWorld):
        return
    for phase, start in zip(world.phases, world.starts, strict=True):
        ax.axvline(start, color="0.3", lw=0.8, ls="-.")
        ax.text(
            start, 1.0, f" {phase.name}", transform=ax.get_xaxis_transform(), fontsize=6, va="top"
        )


def equivariance_by_generator(outcome: Outcome):
    """Layer-1 equivariance error to each probed generator at every checkpoint, one panel
    per condition, with the phases of a phased world."""
    conditions = list(outcome.results)
    fig, axes = plt.subplots(
        1, len(conditions), figsize=(5 * len(conditions), 3.3), squeeze=False, sharey=True
    )
    for ax, condition in zip(axes.flat, conditions, strict=True):
        m = outcome.metrics if condition == conditions[0] else outcome.metrics["baseline"]
        course = m["equivariance_course"]
        frames = [c["frames_developed"] for c in course]
        for name in course[0]["equivariance_error"].get("L1", {}):
            values = [c["equivariance_error"]["L1"][name] for c in course]
            ax.plot(
                frames, [np.nan if v is None else v for v in values], marker="o", ms=3, label=name
            )
        _phase_lines(ax, outcome.development.world)
        ax.set_title(label(outcome, condition), fontsize=8)
        ax.set_xlabel("development frames seen")
        ax.set_ylim(bottom=0)
    axes.flat[0].set_ylabel("equivariance error, layer 1")
    axes.flat[-1].legend(fontsize=6)
    fig.suptitle("Equivariance to each of the world's transformations over development", fontsize=9)
    return fig


def free_energy(outcome: Outcome):
    """F_pc, lambda S and F over development, per condition (running means)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.3))
    window = max(1, len(outcome.plan.develop) // 25)
    kernel = np.ones(window) / window
    for condition, result in outcome.results.items():
        series = analysis.energy_series(outcome.development, outcome.plan, result)
        colour = COLOURS[condition]
        ax.plot(
            np.convolve(series["F_pc"], kernel, "valid"),
            color=colour,
            lw=1.5,
            label=f"F_pc, {label(outcome, condition)}",
        )
        if "S" in series:
            ax.plot(
                np.convolve(series["S"], kernel, "valid"),
                color=colour,
                lw=1,
                ls="--",
                label=f"S, {label(outcome, condition)}",
            )
    ax.set_yscale("log")
    ax.set_xlabel("development frame")
    ax.set_ylabel("energy at frame end")
    ax.set_title("Free-energy decomposition: F = F_pc + lambda S", fontsize=9)
    ax.legend(fontsize=6)
    return fig


def equivariance(outcome: Outcome):
    """Equivariance error of every value layer at each checkpoint, per condition."""
    fig, ax = plt.subplots(figsize=(5.5, 3.3))
    for condition in outcome.results:
        m = (
            outcome.metrics
            if condition == outcome.development.conditions[0]
            else (outcome.metrics["baseline"])
        )
        course = m["equivariance_course"]
        frames = [c["frames_developed"] for c in course]
        for layer in course[0]["equivariance_error"]:
            values = [c["equivariance_error_mean"][layer] for c in course]
            values = [np.nan if v is None else v for v in values]
            ax.plot(
                frames,
                values,
                marker="o",
                color=COLOURS[condition],
                ls="-" if layer == "L1" else "--",
                label=f"{layer}, {label(outcome, condition)}",
            )
    ax.set_xlabel("development frames seen")
    ax.set_ylabel("equivariance error (mean over generators)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=6)
    ax.set_title("Equivariance of learned representations (frozen probes)", fontsize=9)
    return fig


def example_predictions(outcome: Outcome, n_frames: int = 3):
    """Held-out stimuli and each condition's prediction mu_0 = x - eps_0."""
    layout = outcome.development.spec.layers[0].layout
    frames = outcome.plan.heldout[:n_frames]
    x = outcome.plan.inputs.frames
    conditions = list(outcome.results)
    rows = 1 if layout.kind == "ring" else 1 + len(conditions)
    fig, axes = plt.subplots(
        rows, len(frames), figsize=(2.6 * len(frames), 2.2 * rows), squeeze=False
    )
    for col, frame in enumerate(frames):
        if layout.kind == "ring":
            ax = axes[0, col]
            ax.plot(x[frame], color="k", lw=1, label="stimulus x")
            for condition, result in outcome.results.items():
                mu = x[frame] - result.frame_traces["L0.eps"][frame]
                ax.plot(mu, color=COLOURS[condition], lw=1, label=label(outcome, condition))
            ax.set_title(f"held-out frame {frame}", fontsize=7)
            continue
        images = [("stimulus", x[frame])] + [
            (label(outcome, c).split(" (")[0], x[frame] - r.frame_traces["L0.eps"][frame])
            for c, r in outcome.results.items()
        ]
        for row, (name, image) in enumerate(images):
            axes[row, col].imshow(image.reshape(layout.shape), cmap="gray")
            axes[row, col].set_title(f"{name}, frame {frame}", fontsize=6)
            axes[row, col].axis("off")
    if layout.kind == "ring":
        axes[0, 0].legend(fontsize=5)
    fig.suptitle("Held-out stimuli and predictions mu_0", fontsize=9)
    return fig


def oddball(outcome: Outcome):
    """Mismatch response against deviance (group and contrast deviants) and the standard's
    response over repetitions, per condition."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.3))
    for condition in outcome.results:
        m = (
            outcome.metrics
            if condition == list(outcome.results)[0]
            else outcome.metrics["baseline"]
        )
        odd = m["oddball"]
        for kind, style in (("group", "-"), ("contrast", "--")):
            points = [
                (odd["distance"][d], v) for d, v in odd["mismatch"][kind].items() if v is not None
            ]
            if points:
                x, y = zip(*sorted(points), strict=True)
                left.plot(
                    x,
                    y,
                    ls=style,
                    marker="o",
                    color=COLOURS[condition],
                    label=f"{kind} deviants, {label(outcome, condition)}",
                )
        reps = [(int(r), v) for r, v in odd["standard_by_repetition"].items() if v is not None]
        if reps:
            r, v = zip(*reps, strict=True)
            right.plot(r, v, marker="o", color=COLOURS[condition], label=label(outcome, condition))
    oddball_axes(left, right)
    fig.suptitle("Oddball block: mismatch responses and repetition suppression", fontsize=9)
    return fig


def oddball_axes(left, right) -> None:
    """Labels and legends of an oddball figure's two panels: mismatch against distance,
    and the standard's response over repetitions."""
    left.axhline(0, color="0.7", lw=0.5)
    left.set_xlabel("input-space distance of the deviant from the standard")
    left.set_ylabel("mismatch response (mean eps_0^2)")
    left.legend(fontsize=6)
    right.set_xlabel("repetitions of the standard since the last deviant")
    right.set_ylabel("standard's response (mean eps_0^2)")
    right.legend(fontsize=6)


def perception(outcome: Outcome):
    """Per mirror axis, the response's change from the random patterns' against the
    proportion of mirror-paired dots, per condition, beside the stimulus's own."""
    axes_names = outcome.metrics["perception"]["axes"]
    fig, panels = plt.subplots(1, len(axes_names), figsize=(4.6 * len(axes_names), 3.3))
    panels = np.atleast_1d(panels)
    conditions = list(outcome.results)
    for condition in conditions:
        m = outcome.metrics if condition == conditions[0] else outcome.metrics["baseline"]
        seen = m["perception"]
        for panel, axis in zip(panels, axes_names, strict=True):
            points = seen[axis]["difference"]
            panel.plot(
                [float(p) for p in points],
                list(points.values()),
                marker="o",
                color=COLOURS[condition],
                label=f"layer {seen['layer']}, {label(outcome, condition)}",
            )
    stimulus = outcome.metrics["perception"]
    for panel, axis in zip(panels, axes_names, strict=True):
        points = stimulus[axis]["stimulus"]["difference"]
        panel.plot(
            [float(p) for p in points],
            list(points.values()),
            ls="--",
            color="0.5",
            label="stimulus",
        )
        panel.axhline(0, color="0.7", lw=0.5)
        line = "a vertical" if axis == "x" else "a horizontal"
        panel.set_title(f"mirror about {line} line (axis {axis})", fontsize=8)
        panel.set_xlabel("proportion of dots in mirror pairs")
        panel.legend(fontsize=6)
    panels[0].set_ylabel("mirror asymmetry of the response,\nrelative change from random patterns")
    fig.suptitle("Symmetry perception: response to mirror-symmetric dot patterns", fontsize=9)
    fig.tight_layout()
    return fig


def perturbation(outcome: Outcome):
    """How far the representation moves against the noise sd and the occluded fraction,
    per condition, beside how far the input moved."""
    fig, panels = plt.subplots(1, 2, figsize=(9.5, 3.3))
    conditions = list(outcome.results)
    for condition in conditions:
        m = outcome.metrics if condition == conditions[0] else outcome.metrics["baseline"]
        shaken = m["perturbation"]
        for panel, kind in zip(panels, ("noise", "occlusion"), strict=True):
            rows = shaken[kind]
            levels = [float(v) for v in rows]
            change = [r["representation_change"] for r in rows.values()]
            panel.plot(levels, change, marker="o", color=COLOURS[condition],
                       label=f"layer {shaken['layer']}, {label(outcome, condition)}")  # fmt: skip
    for panel, kind in zip(panels, ("noise", "occlusion"), strict=True):
        rows = outcome.metrics["perturbation"][kind]
        panel.plot([float(v) for v in rows], [r["input_change"] for r in rows.values()],
                   ls="--", color="0.5", label="input")  # fmt: skip
        panel.set_xlabel("noise sd" if kind == "noise" else "fraction of the input hidden")
        panel.legend(fontsize=6)
    panels[0].set_ylabel("relative change from the clean scene")
    fig.suptitle("Perturbation block: representation change under noise and occlusion", fontsize=9)
    fig.tight_layout()
    return fig


#: The figure of each paradigm (`pcsim.plan.Paradigm`), by its name.
PARADIGM_FIGURES = {"oddball": oddball, "perception": perception, "perturbation": perturbation}


def scenario_figures(directory: Path, outcome: Outcome) -> None:
    """Write every figure of a run into ``directory`` as PNG."""
    figures = {
        "receptive_fields": receptive_fields(outcome),
        "prediction_error": prediction_error(outcome),
        "free_energy": free_energy(outcome),
        "equivariance": equivariance(outcome),
        "example_predictions": example_predictions(outcome),
    }
    if outcome.development.symmetry:
        figures["effective_group"] = effective_group(outcome)
    if isinstance(outcome.development.world, PhasedWorld):
        figures["equivariance_by_generator"] = equivariance_by_generator(outcome)
    for test in outcome.development.paradigms:
        figures[test.name] = PARADIGM_FIGURES[test.name](outcome)
    for name, fig in figures.items():
        results.save_figure(fig, Path(directory) / f"{name}.png")
        plt.close(fig)
