"""Run a scenario end to end: world -> stimuli -> simulation -> metrics -> files.

`prepare` turns a validated config into everything a simulation needs; `run_scenario`
runs it and writes the run directory (see `pcsim.results` for the file guarantees).
"""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import brian2
import numpy as np

from pcsim import __version__, config, metrics, plots, results
from pcsim.backends import BackendOptions
from pcsim.circuit import CircuitSpec, circuit_from_config
from pcsim.network import Protocol
from pcsim.simulate import Inputs, Result, Simulator
from pcsim.worlds import FrameSequence, make_world

#: Recorded at the end of every frame whatever the user asks for (the metrics need them).
FRAME_MONITORS = ("L0.eps", "L1.r")


@dataclass(frozen=True)
class Prepared:
    """Everything one scenario run needs, derived deterministically from config + seed."""

    spec: CircuitSpec
    protocol: Protocol
    inputs: Inputs
    training: FrameSequence
    probe: FrameSequence
    options: BackendOptions
    monitors: tuple[str, ...]
    divergence_bound: float

    @property
    def n_train(self) -> int:
        return self.training.x.shape[0]


def prepare(cfg: dict, *, seed: int | None = None) -> Prepared:
    """Build circuit, protocol and inputs from a validated config (``seed`` overrides it)."""
    seed = cfg["seed"] if seed is None else seed
    rng = np.random.default_rng(seed)
    world = make_world(cfg["world"])
    training = world.sequence(cfg["training"]["frames"], rng)
    probe = world.heldout(cfg["probe"]["frames"], rng)
    spec = circuit_from_config(cfg["circuit"])
    frames = np.concatenate([training.x, probe.x])
    plastic = np.concatenate([np.ones(len(training.x)), np.zeros(len(probe.x))])
    inputs = Inputs(frames, plastic, tuple(spec.initial_weights(rng)))
    sim = cfg["simulation"]
    fd = cfg["world"]["frame_duration"]
    protocol = Protocol(
        n_frames=len(frames),
        frame_duration=fd,
        dt=sim["dt"],
        interval=cfg["monitors"].get("interval") or fd,
    )
    options = BackendOptions(cfg["backend"], sim["threads"], sim["float_dtype"])
    return Prepared(
        spec,
        protocol,
        inputs,
        training,
        probe,
        options,
        tuple(cfg["monitors"]["variables"]),
        float(sim["divergence_bound"]),
    )


def simulator(prepared: Prepared, build_dir: Path | None, *, report: bool) -> Simulator:
    return Simulator(
        prepared.spec,
        prepared.protocol,
        prepared.options,
        monitors=prepared.monitors,
        frame_monitors=FRAME_MONITORS,
        divergence_bound=prepared.divergence_bound,
        build_dir=build_dir,
        report=report,
    )


def compute_metrics(prepared: Prepared, result: Result) -> dict:
    """The scenario's metrics from one run's result."""
    eps = result.frame_traces["L0.eps"]
    new_scene = prepared.training.step == 0
    out = metrics.prediction_metrics(eps, prepared.inputs.frames, prepared.n_train, new_scene)
    out["mean_abs_weight"] = [float(np.abs(w).mean()) for w in result.weights]
    return out


def run_info(cfg: dict, prepared: Prepared) -> dict:
    return {
        "status": "running",
        "scenario": cfg["name"],
        "seed": cfg["seed"],
        "backend": prepared.options.name,
        "threads": prepared.options.threads,
        "float_dtype": prepared.options.float_dtype,
        "versions": {
            "pcsim": __version__,
            "brian2": brian2.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "git_commit": results.git_commit(Path(__file__).resolve().parent),
        "command": " ".join(sys.argv),
        "synapses": prepared.spec.synapse_count(),
        "time_steps": prepared.protocol.n_steps,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def run_scenario(cfg: dict, out_dir: Path, *, report: bool = True) -> dict:
    """Run the scenario ``cfg`` and write ``out_dir`` (which must exist and be empty).

    Writes config.toml and run.json first, then traces.npz, metrics.json and figures/;
    on divergence records the failure in run.json, keeps what was written and raises
    `DivergenceError`. Returns the metrics.
    """
    out_dir = Path(out_dir)
    results.atomic_write_text(out_dir / "config.toml", config.dump_toml(cfg))
    prepared = prepare(cfg)
    info = run_info(cfg, prepared)
    results.write_json(out_dir / "run.json", info)
    try:
        sim = simulator(prepared, out_dir / "build", report=report)
        result = sim.run(prepared.inputs)
        info["timings_s"] = {
            "compile": result.compile_seconds,
            "simulate": result.simulate_seconds,
        }
        save_traces(out_dir / "traces.npz", prepared, result)
        result.raise_if_diverged(prepared.divergence_bound)
        scenario_metrics = compute_metrics(prepared, result)
        results.write_json(out_dir / "metrics.json", scenario_metrics)
        plots.scenario_figures(out_dir / "figures", prepared, result, scenario_metrics)
    except BaseException as error:
        info["status"] = "failed"
        info["error"] = f"{type(error).__name__}: {error}"
        results.write_json(out_dir / "run.json", info)
        raise
    info["status"] = "complete"
    info["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    results.write_json(out_dir / "run.json", info)
    return scenario_metrics


def save_traces(path: Path, prepared: Prepared, result: Result) -> None:
    """Recorded traces, frame-end states, stimuli and final weights in one ``.npz``."""
    arrays = {"times": result.times, "frames": prepared.inputs.frames}
    arrays["training_step"] = prepared.training.step
    arrays.update({f"trace/{k}": v for k, v in result.traces.items()})
    arrays.update({f"frame_end/{k}": v for k, v in result.frame_traces.items()})
    arrays.update({f"W{l}": w for l, w in enumerate(result.weights, start=1)})
    arrays.update({f"W{l}_initial": w for l, w in enumerate(prepared.inputs.weights, start=1)})
    results.write_npz(path, arrays)
