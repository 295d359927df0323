"""From a development's raw results to its metrics (definitions in docs/model.md).

Probes use the frame-end states of frozen probe frames; time series use the frame-end
states of development frames. Everything here is NumPy on recorded arrays, so a finished
run can be analysed again from its files (`pcsim.experiment.analyse_run`). This module
knows a run only through `Described` (what a `pcsim.development.Development` provides)
and never imports the module that runs it.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from pcsim import metrics
from pcsim.circuit import CircuitSpec
from pcsim.groups import (
    Perm,
    PermGroup,
    accepted_group_summary,
    rescale_spec,
    spec_name,
    transformation,
)
from pcsim.plan import Paradigm, Plan
from pcsim.simulate import Result
from pcsim.symmetry import SymmetrySpec
from pcsim.worlds import PhasedWorld


class World(Protocol):
    def generator_specs(self) -> list[dict]: ...

    def probe_specs(self) -> list[dict]: ...


class Described(Protocol):
    """What the metrics need to know of a run besides its results: the circuit, the
    symmetry prior (None: plain PC), the world (whose generators are the truth) and the
    paradigms after the probes."""

    spec: CircuitSpec
    symmetry: SymmetrySpec | None
    world: World
    paradigms: tuple[Paradigm, ...]

    def probe_specs(self) -> list[dict]:
        """The world's probe specs, then any further transformations probed."""


#: Points kept in the time series of metrics.json (the full series is in traces.npz).
SERIES_POINTS = 50


def layer_actions(dev: Described, spec: dict) -> list[np.ndarray | None]:
    """Images of a sensory-layer transformation ``spec`` on every layer (None where the
    layer's resolution cannot carry it)."""
    sensory = dev.spec.layers[0].layout
    actions: list[np.ndarray | None] = []
    for layer in dev.spec.layers:
        try:
            rescaled = rescale_spec(spec, sensory, layer.layout)
            actions.append(np.asarray(transformation(layer.layout, rescaled).array))
        except ValueError:
            actions.append(None)
    return actions


def probe_metrics(dev: Described, plan: Plan, result: Result) -> dict:
    """Equivariance errors per checkpoint, layer and probed transformation (the means and
    the weight-sharing index over the world's own), and prediction errors on the frozen
    held-out probes."""
    generators = dev.probe_specs()
    names = [spec_name(g) for g in generators]
    actions = [layer_actions(dev, g) for g in generators]
    own = len(dev.world.probe_specs())  # the world's transformations come first
    invariant = {l for l, layer in enumerate(dev.spec.layers) if layer.invariant}
    frames = plan.inputs.frames
    error = metrics.relative_prediction_error(result.frame_traces["L0.eps"], frames)
    course = []
    for seen, block in plan.checkpoints:
        per_layer = {}
        for l in range(1, dev.spec.n_layers):
            r = result.frame_traces[f"L{l}.r"]
            per_layer[f"L{l}"] = {
                name: _probe_value(r, block, g + 1, actions[g][l], l in invariant)
                for g, name in enumerate(names)
            }
        course.append(
            {
                "frames_developed": seen,
                "equivariance_error": per_layer,
                "equivariance_error_mean": {
                    k: metrics.mean_present(dict(list(v.items())[:own]))
                    for k, v in per_layer.items()
                },
            }
        )
    final = course[-1]
    out = {
        "equivariance_error": final["equivariance_error"],
        "equivariance_error_mean": final["equivariance_error_mean"],
        "equivariance_course": course,
        "heldout_prediction_error": float(error[plan.heldout].mean()),
        "transformed_heldout_prediction_error": (
            float(error[plan.novel].mean()) if plan.novel.size else None
        ),
    }
    if invariant:
        out["invariance_index"] = {
            f"L{l}": {
                n: 1.0 - v for n, v in final["equivariance_error"][f"L{l}"].items() if v is not None
            }
            for l in sorted(invariant)
            if l > 0
        }
    pre, post = dev.spec.connections(1)
    sharing = [
        metrics.weight_sharing_index(result.weights[0], pre, post, acts[0], acts[1])
        for acts in actions[:own]
        if acts[1] is not None
    ]
    out["weight_sharing_index"] = float(np.mean(sharing)) if sharing else None
    dev_error = error[plan.develop]
    ends, means = metrics.block_means(dev_error, 10)
    out["training_prediction_error"] = {
        "frame": ends.tolist(),
        "mean": means.tolist(),
    }
    return out


def _probe_value(
    r: np.ndarray, block: np.ndarray, column: int, rho: np.ndarray | None, invariant: bool
) -> float | None:
    if invariant:
        rho = np.arange(r.shape[1])
    if rho is None:
        return None
    return metrics.equivariance_error(r[block[:, 0]], r[block[:, column]], rho)


def energy_series(dev: Described, plan: Plan, result: Result) -> dict[str, np.ndarray]:
    """F_pc, S, F and pi over development frames (full length)."""
    n = dev.spec.n_layers
    trace = result.frame_traces
    eps = [trace[f"L{l}.eps"][plan.develop] for l in range(n - 1)]
    r = [trace[f"L{l}.r"][plan.develop] for l in range(1, n)]
    precisions: list = [layer.precision for layer in dev.spec.layers]
    if dev.symmetry and dev.symmetry.weighs_inference:  # the precisions inference used
        precisions = [
            metrics.inference_precision(trace[f"L{l}.u"][plan.develop], precisions[l])
            for l in range(n - 1)
        ]
    f_pc = metrics.free_energy_pc(eps, r, precisions, dev.spec.alpha)
    series = {"F_pc": f_pc}
    if dev.symmetry:
        q = trace["cand.q"][plan.develop]
        energies = [_raw_energies(dev, trace[f"L{l}.r"], l, plan.develop) for l in range(1, n)]
        s = metrics.structural_surprise(q, energies, list(dev.spec.sizes[1:]))
        series["S"] = s
        series["F"] = f_pc + dev.symmetry.lam * s
        series["pi"] = trace["cand.prior"][plan.develop]
    return series


def _raw_energies(dev: Described, r: np.ndarray, l: int, frames: np.ndarray) -> np.ndarray:
    """E_{l,k} = mean_i s_{l,k,i}^2 at the end of ``frames`` (indices into the frame table),
    shape (len(frames), K + 1) with column 0 (the null) 0: from the frame-end rates ``r``
    of layer l, the memory being the previous frame's end (0 before the first frame).
    Not the monitored ``cand.E_l``, which learned precision divides by the variances."""
    previous = np.where((frames > 0)[:, None], r[np.maximum(frames - 1, 0)], 0.0)
    out = np.zeros((len(frames), dev.symmetry.n_candidates + 1))
    for k, action in enumerate(dev.symmetry.actions[l], start=1):
        out[:, k] = np.mean((r[frames] - previous[:, np.argsort(action)]) ** 2, axis=1)
    return out


def group_metrics(dev: Described, plan: Plan, result: Result) -> dict:
    """The effective group at the end of development against the world's generators."""
    sym = dev.symmetry
    end = plan.develop[-1] if plan.develop.size else -1  # without development: the end
    pi = result.frame_traces["cand.prior"][end]
    kept = [k for k in range(len(sym.names)) if pi[k + 1] > sym.pi_min]
    accepted = [Perm(sym.actions[0][k], sym.names[k]) for k in kept]
    layout = dev.spec.layers[0].layout
    true = [transformation(layout, g, spec_name(g)) for g in dev.world.generator_specs()]
    summary = accepted_group_summary(accepted, true)
    return {
        "accepted": [p.name for p in accepted],
        "pi": {"null": float(pi[0]), **{n: float(pi[k + 1]) for k, n in enumerate(sym.names)}},
        "pi_min": sym.pi_min,
        "order": summary["order_accepted"],
        "true_order": summary["order_true"],
        "precision": summary["precision"],
        "recall": summary["recall"],
        "same_group": summary["same_group"],
        "false_accepted": summary["false_accepted"],
        "missed": summary["missed"],
        "effective_weights": effective_weights(
            dev, result, [sym.actions[1][k] for k in kept], [sym.actions[0][k] for k in kept]
        ),
        "order_course": order_course(dev, plan, result),
    }


def recovered_exactly(group: dict) -> bool:
    """Whether the effective-group metrics ``group`` (`group_metrics`) show the world's
    group recovered exactly: every generator accepted and nothing else."""
    return bool(group["same_group"] and group["precision"] == 1 and group["recall"] == 1)


def order_course(dev: Described, plan: Plan, result: Result) -> list[dict]:
    """The accepted set over development and the order of the group it generates (on the
    sensory layer): one entry before development (every pi at its initial value) and one
    at the end of every development frame where the accepted set changed, each with
    ``frames_developed``, ``accepted`` (names) and ``order`` (an exact int)."""
    sym = dev.symmetry
    start = np.full(sym.n_candidates + 1, sym.prior0)
    pi = np.vstack([start, result.frame_traces["cand.prior"][plan.develop]])
    degree = dev.spec.sizes[0]
    orders: dict[tuple[int, ...], int] = {}
    course: list[dict] = []
    for frames, row in enumerate(pi[:, 1:] > sym.pi_min):
        kept = tuple(np.flatnonzero(row).tolist())
        if course and course[-1]["kept"] == kept:
            continue
        if kept not in orders:
            perms = [Perm(sym.actions[0][k]) for k in kept]
            orders[kept] = PermGroup(perms, degree=degree).order()
        course.append({"kept": kept, "frames_developed": frames, "order": orders[kept]})
    return [
        {
            "frames_developed": c["frames_developed"],
            "accepted": [sym.names[k] for k in c["kept"]],
            "order": c["order"],
        }
        for c in course
    ]


def effective_weights(
    dev: Described, result: Result, upper: list[np.ndarray], lower: list[np.ndarray]
) -> dict:
    """Independent weights of W_1 at the end of the run under the group generated by
    the actions ``upper`` (layer 1) and ``lower`` (layer 0) of the accepted candidates
    (`pcsim.metrics.effective_weights`)."""
    pre, post = dev.spec.connections(1)
    weights = np.asarray(result.weights[0], dtype=float)
    orbits, effective = metrics.effective_weights(
        pre, post, weights, list(zip(upper, lower, strict=True))
    )
    return {
        "synapses": len(weights),
        "orbits": orbits,
        "independent": effective,
        "share": effective / len(weights),
    }


def condition_metrics(dev: Described, plan: Plan, result: Result) -> dict:
    out = probe_metrics(dev, plan, result)
    series = energy_series(dev, plan, result)
    out["series"] = {}
    for name, values in series.items():
        ends, means = _downsample(values)
        out["series"][name] = means.tolist()
    out["series"]["frame"] = _downsample(series["F_pc"])[0].tolist()
    if dev.symmetry:
        out["series"]["pi_names"] = ["null", *dev.symmetry.names]
        out["effective_group"] = group_metrics(dev, plan, result)
        if dev.symmetry.learns_precision:  # mean learned variance at the end of development
            end = plan.develop[-1]
            out["error_variance"] = {
                f"L{l}": float(result.frame_traces[f"L{l}.u"][end].mean())
                for l in range(dev.spec.n_layers - 1)
            }
        if isinstance(dev.world, PhasedWorld):
            out["phases"] = phase_metrics(dev, plan, result, out["equivariance_course"])
    for test in dev.paradigms:
        out[test.name] = test.metrics(dev, plan, result)
    return out


def phase_metrics(dev: Described, plan: Plan, result: Result, course: list[dict]) -> list[dict]:
    """Per phase of a `PhasedWorld` (docs/model.md#69-phases): the accepted set at its end;
    for each candidate that becomes one of the world's generators in it and was not
    accepted when it began, the development frames until its pi first exceeded pi_min
    (``accepted_after``, None: never); for each accepted candidate the world stops
    applying, the frames until its pi first fell to pi_min or below (``pruned_after``);
    and for each probed generator whose status changed, the frames until the layer-1
    equivariance error had covered half its change over the phase's checkpoints
    (``equivariance_half_time``; None without two checkpoints in the phase)."""
    sym, world = dev.symmetry, dev.world
    layout = dev.spec.layers[0].layout
    pi = result.frame_traces["cand.prior"][plan.develop]
    out = []
    for phase, start in zip(world.phases, world.starts, strict=True):
        end = start + phase.frames
        applied = {tuple(transformation(layout, g).array) for g in phase.world.generator_specs()}
        before = pi[start - 1] if start > 0 else np.full(pi.shape[1], sym.prior0)
        segment = pi[start:end, 1:]
        accepted, pruned, changed = {}, {}, set()
        for k, name in enumerate(sym.names):
            is_applied = tuple(sym.actions[0][k]) in applied
            was = before[k + 1] > sym.pi_min
            if is_applied and not was:
                accepted[name] = _first(segment[:, k] > sym.pi_min)
            elif was and not is_applied:
                pruned[name] = _first(segment[:, k] <= sym.pi_min)
        for g in world.probe_specs():
            now = tuple(transformation(layout, g).array) in applied
            earlier = [p for p, s in zip(world.phases, world.starts, strict=True) if s < start]
            was = bool(earlier) and g in earlier[-1].world.generator_specs()
            if now != was:
                changed.add(spec_name(g))
        inside = [c for c in course if start <= c["frames_developed"] <= end]
        half = {name: _half_time(inside, name, start) for name in sorted(changed)}
        out.append(
            {
                "name": phase.name,
                "first_frame": start,
                "frames": phase.frames,
                "generators": [spec_name(g) for g in phase.world.generator_specs()],
                "accepted_at_end": [
                    n for k, n in enumerate(sym.names) if segment[-1, k] > sym.pi_min
                ],
                "accepted_after": accepted,
                "pruned_after": pruned,
                "equivariance_half_time": half,
            }
        )
    return out


def _first(condition: np.ndarray) -> int | None:
    """Frames (1-based) until ``condition`` first holds, None if it never does."""
    hits = np.flatnonzero(condition)
    return int(hits[0]) + 1 if hits.size else None


def _half_time(course: list[dict], name: str, start: int) -> int | None:
    """Frames from ``start`` until the layer-1 equivariance error to ``name`` had covered
    half of its change between the first and the last of the ``course`` checkpoints."""
    values = [c["equivariance_error"].get("L1", {}).get(name) for c in course]
    if len(course) < 2 or any(v is None for v in values):
        return None
    halfway = (values[0] + values[-1]) / 2
    rising = values[-1] > values[0]
    for c, v in zip(course, values, strict=True):
        if (v >= halfway) if rising else (v <= halfway):
            return c["frames_developed"] - start
    return None


def _downsample(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    blocks = np.array_split(np.arange(len(values)), min(SERIES_POINTS, len(values)))
    ends = np.array([b[-1] for b in blocks])
    means = np.stack([values[b].mean(axis=0) for b in blocks])
    return ends, means


def outcome_metrics(dev: Described, plan: Plan, results: dict[str, Result]) -> dict:
    """Metrics of the main condition (the first of ``results``), with the baseline's (the
    second, if any) under ``"baseline"`` and the headline comparisons under
    ``"comparison"``."""
    conditions = list(results)
    main = condition_metrics(dev, plan, results[conditions[0]])
    main["condition"] = conditions[0]
    if len(conditions) > 1:
        base = condition_metrics(dev, plan, results[conditions[1]])
        main["baseline"] = base
        main["comparison"] = _comparison(main, base)
    return main


def _comparison(prior: dict, base: dict) -> dict:
    out = {}
    for layer, value in prior["equivariance_error_mean"].items():
        other = base["equivariance_error_mean"].get(layer)
        if value is not None and other is not None:
            out[f"equivariance_error_ratio_{layer}"] = other / value if value > 0 else None
    for key in (
        "heldout_prediction_error",
        "transformed_heldout_prediction_error",
        "weight_sharing_index",
    ):
        if prior.get(key) is not None and base.get(key) is not None:
            out[key] = {"symmetry": prior[key], "baseline": base[key]}
    return out
