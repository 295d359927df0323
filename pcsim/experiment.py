"""Run a scenario file end to end: config -> `Development` -> files on disk.

Writes run.json and config.toml first, then per condition its traces, then
metrics.json and figures/ (see `pcsim.results` for the file guarantees and
`pcsim.lifecycle` for how run.json records the way a run ended).
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import brian2
import numpy as np

from pcsim import __version__, config, footprint, lifecycle, plots, results
from pcsim.backends import BackendOptions
from pcsim.circuit import CircuitSpec, circuit_from_config
from pcsim.config import Scenario
from pcsim.development import Development, Outcome
from pcsim.errors import PcsimError
from pcsim.oddball import OddballSpec
from pcsim.perception import PerceptionSpec
from pcsim.perturbation import PerturbationSpec
from pcsim.plan import Paradigm, Plan
from pcsim.simulate import Result
from pcsim.symmetry import SymmetrySpec, candidate_actions
from pcsim.worlds import Phase, PhasedWorld


def development_from_config(cfg: Scenario) -> Development:
    """The `Development` a validated scenario config describes."""
    spec = circuit_from_config(cfg.circuit)
    sim, sym, probe = cfg.simulation, cfg.symmetry, cfg.probe
    symmetry = None
    if sym:
        names, actions = candidate_actions(spec, [c.spec() for c in sym.candidates])
        symmetry = SymmetrySpec(
            names,
            actions,
            lam=sym.lam,
            beta=sym.beta,
            theta=sym.theta,
            tau_dev=sym.tau_dev,
            evidence_weights=tuple(sym.evidence_weights),
            pi_min=sym.pi_min,
            weight_coupling=sym.weight_coupling,
            weight_coupling_end=sym.weight_coupling_end,
            coupling_step=sym.coupling_step,
            precision=sym.precision,
            tau_precision=sym.tau_precision,
            inference_precision=sym.inference_precision,
        )
    world = cfg.world
    if cfg.training.phases:
        world = PhasedWorld(
            tuple(
                Phase(phase.name, phase_world, phase.frames)
                for phase, phase_world in zip(cfg.training.phases, cfg.phase_worlds(), strict=True)
            )
        )
    return Development(
        spec=spec,
        world=world,
        train_frames=cfg.training.frames,
        probe_frames=probe.frames,
        frame_duration=cfg.world.frame_duration,
        dt=sim.dt,
        symmetry=symmetry,
        checkpoints=sym.checkpoints if sym else 0,
        probe_stimuli=sym.probe_stimuli if sym else 8,
        novel_centres=probe.novel_centres,
        probe_transformations=tuple(t.spec() for t in probe.transformations),
        options=BackendOptions(cfg.backend, sim.threads, sim.float_dtype),
        monitors=tuple(cfg.monitors.variables),
        interval=cfg.monitors.interval,
        divergence_bound=sim.divergence_bound,
        seed=cfg.seed,
        paradigms=paradigms(cfg),
    )


def paradigms(cfg: Scenario) -> tuple[Paradigm, ...]:
    """The paradigms after the probes that ``cfg`` asks for, in plan order."""
    out: list[Paradigm] = []
    if odd := cfg.oddball:
        out.append(OddballSpec(odd.frames, odd.p_deviant, tuple(odd.magnitudes), odd.window))
    if seen := cfg.perception:
        out.append(
            PerceptionSpec(
                tuple(seen.proportions), seen.patterns, seen.dots, tuple(seen.axes), seen.layer
            )
        )
    if shaken := cfg.perturbation:
        out.append(
            PerturbationSpec(
                shaken.scenes, tuple(shaken.noise), tuple(shaken.occlusion), shaken.layer
            )
        )
    return tuple(out)


def run_info(cfg: Scenario, command: str | None = None) -> dict:
    """What run.json records about a run before anything is built (``command``: default
    this process's command line)."""
    return {
        "scenario": cfg.name,
        "seed": cfg.seed,
        "backend": cfg.backend,
        "threads": cfg.simulation.threads,
        "float_dtype": cfg.simulation.float_dtype,
        "versions": {
            "pcsim": __version__,
            "brian2": brian2.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "git_commit": results.source_commit(Path(__file__).parent),  # None: not a checkout
        "pcsim_location": str(Path(__file__).resolve().parent),
        "command": command or " ".join(sys.argv),
        "memory_estimate_bytes": footprint.estimate(cfg).total,
        "timings_s": {},
    }


def run_scenario(
    cfg: Scenario, out_dir: Path, *, report: bool = True, command: str | None = None
) -> dict:
    """Run the scenario ``cfg`` into ``out_dir`` (claimed for this run, see
    `pcsim.lifecycle.claim_directory`); returns the metrics. run.json records ``command``
    (default: this process's command line).

    run.json is written first and says how the run ended (`pcsim.lifecycle`): on any
    failure, interruption or signal it records which, the files already written stay,
    and the exception propagates. A run that cannot fit in memory is refused before
    anything is built (`pcsim.footprint`).
    """
    out_dir = Path(out_dir)
    footprint.check(cfg)
    record = lifecycle.RunRecord(out_dir, run_info(cfg, command))
    with record.ending(), lifecycle.brian2_log(out_dir):
        results.atomic_write_text(out_dir / "config.toml", config.dump_toml(cfg))
        dev = development_from_config(cfg)
        record.update(conditions=list(dev.conditions), synapses=dev.spec.synapse_count())
        plan = dev.plan()

        def save(condition: str, result: Result) -> None:
            record.info["timings_s"][condition] = {
                "compile": result.compile_seconds,
                "simulate": result.simulate_seconds,
            }
            if result.build is not None:  # the condition that built the standalone binary
                record.info["build"] = {"key": result.build.key, "compiled": result.build.compiled}
            save_traces(out_dir / f"traces_{condition}.npz", dev.spec, plan, result)
            record.write()

        outcome = dev.run(plan=plan, build_dir=out_dir / "build", report=report, on_result=save)
        results.write_json(out_dir / "metrics.json", outcome.metrics)
        plots.scenario_figures(out_dir / "figures", outcome)
    return outcome.metrics


def build_scenario(cfg: Scenario, out_dir: Path, *, report: bool = True) -> Path:
    """Generate and compile the scenario's standalone project into ``out_dir/build``
    without running it; writes config.toml and run.json (status "complete" once built);
    returns the binary's path."""
    out_dir = Path(out_dir)
    record = lifecycle.RunRecord(out_dir, {**run_info(cfg), "build_only": True})
    with record.ending(), lifecycle.brian2_log(out_dir):
        results.atomic_write_text(out_dir / "config.toml", config.dump_toml(cfg))
        start = time.perf_counter()
        binary = development_from_config(cfg).build(out_dir / "build", report=report)
        record.info["timings_s"]["build"] = time.perf_counter() - start
        record.info["binary"] = str(binary)
    return binary


def save_traces(path: Path, spec: CircuitSpec, plan: Plan, result: Result) -> None:
    """Recorded traces, frame-end states, the plan (stimuli and what each frame is for)
    and the weights of one condition. Weights are per synapse: ``W<l>[s]`` connects unit
    ``W<l>_pre[s]`` of layer l to unit ``W<l>_post[s]`` of layer l - 1."""
    arrays = {"times": result.times, **plan.to_arrays()}
    arrays.update({f"trace/{k}": v for k, v in result.traces.items()})
    arrays.update({f"frame_end/{k}": v for k, v in result.frame_traces.items()})
    for l, (w, w0) in enumerate(zip(result.weights, plan.inputs.weights, strict=True), start=1):
        pre, post = spec.connections(l)
        arrays.update({f"W{l}": w, f"W{l}_initial": w0, f"W{l}_pre": pre, f"W{l}_post": post})
    results.write_npz(path, arrays)


def load_outcome(run_dir: Path) -> Outcome:
    """The `Outcome` of a finished run, read back from its directory (``config.toml``
    and ``traces_<condition>.npz``) without simulating anything."""
    run_dir = Path(run_dir)
    info_path = run_dir / "run.json"
    if not info_path.is_file():
        raise PcsimError(f"{run_dir}: not a pcsim run directory (no run.json)")
    status = lifecycle.read_status(run_dir)
    if json.loads(info_path.read_text()).get("build_only"):
        raise PcsimError(f"{run_dir}: a build without a run (--build-only): it holds no results")
    if status != "complete":
        raise PcsimError(
            f"{run_dir}: the run did not complete (run.json says status '{status}'); "
            "only complete runs can be analysed"
        )
    dev = development_from_config(config.load_resolved(run_dir / "config.toml"))
    plan, outcomes = None, {}
    for condition in dev.conditions:
        path = run_dir / f"traces_{condition}.npz"
        try:
            with np.load(path) as npz:
                arrays = dict(npz)
        except OSError as error:
            raise PcsimError(f"{path}: cannot read the traces: {error}") from None
        if "plan/develop" not in arrays:
            raise PcsimError(f"{path}: written by an older pcsim without the plan; run it again")
        initial = tuple(arrays[f"W{l}_initial"] for l in range(1, dev.spec.n_layers))
        plan = plan or Plan.from_arrays(arrays, initial)
        outcomes[condition] = Result(
            times=arrays["times"],
            traces=_prefixed(arrays, "trace/"),
            frame_traces=_prefixed(arrays, "frame_end/"),
            weights=[arrays[f"W{l}"] for l in range(1, dev.spec.n_layers)],
            compile_seconds=0.0,
            simulate_seconds=0.0,
            backend=dev.options.name,
        )
    return Outcome(dev, plan, outcomes)


def _prefixed(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}


def analyse_run(run_dir: Path) -> dict:
    """Compute a finished run's metrics and figures again from its files (for a metric
    or figure added since it ran); rewrites ``metrics.json`` and ``figures/``."""
    outcome = load_outcome(run_dir)
    results.write_json(Path(run_dir) / "metrics.json", outcome.metrics)
    plots.scenario_figures(Path(run_dir) / "figures", outcome)
    return outcome.metrics


__all__ = [
    "Outcome",
    "analyse_run",
    "build_scenario",
    "development_from_config",
    "load_outcome",
    "run_scenario",
    "save_traces",
]
