"""Run a circuit on a backend and collect the results into NumPy.

A `Simulator` holds one compiled circuit. Its first `run` builds (and, on standalone
backends, compiles, or takes the binary from `pcsim.buildcache`) the network; later runs
with new inputs, weights or seeds reuse the compiled binary through Brian2's ``run_args``.
"""

from __future__ import annotations

import gc
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import brian2
import numpy as np
from brian2 import second

from pcsim import backends, buildcache, equations
from pcsim.backends import BackendOptions
from pcsim.circuit import CircuitSpec
from pcsim.errors import BackendError, DivergenceError, Interrupted
from pcsim.network import DEFAULT_SETUP, CircuitNetwork, Protocol, Setup, build_network


@dataclass(frozen=True)
class Inputs:
    """What one run sees: ``frames`` (n_frames, N_0) stimuli, ``plastic`` (n_frames,) 1 where
    learning is on during that frame, 0 where frozen, and the initial ``weights``
    (W_1..W_L, one value per synapse in `CircuitSpec.connections` order). ``lam`` and
    ``coupling`` replace the symmetry prior's lambda and weight coupling for this run (0
    and 0 Hz for the baseline); None keeps them. ``coupling_gain`` (n_frames,) multiplies
    the weight coupling frame by frame (`SymmetrySpec.coupling_gain`); None: 1 throughout."""

    frames: np.ndarray
    plastic: np.ndarray
    weights: tuple[np.ndarray, ...]
    lam: float | None = None
    coupling: brian2.Quantity | None = None
    coupling_gain: np.ndarray | None = None

    def gain(self) -> np.ndarray:
        """The weight coupling's factor per frame, shape (n_frames,)."""
        if self.coupling_gain is None:
            return np.ones(len(self.plastic))
        return np.asarray(self.coupling_gain, dtype=float)


@dataclass
class Result:
    """Outcome of one run.

    ``times``: sample times in seconds, shape (n_samples,); sample k holds the state the
    simulation had reached at ``times[k]`` (values after the previous step; errors,
    predictions and feedback as computed in it). ``traces[name]``: (n_samples, N).
    ``frame_traces[name]``: (n_frames, N), the state at the end of every frame.
    ``weights``: final W_1..W_L, one value per synapse (`CircuitSpec.dense` for a matrix).
    ``divergence``: (population, time in s) of the first population that left the bound,
    else None. ``build``: how the run that built a standalone binary got it (compiled or
    from `pcsim.buildcache`); None for reruns and runtime backends.
    """

    times: np.ndarray
    traces: dict[str, np.ndarray]
    frame_traces: dict[str, np.ndarray]
    weights: list[np.ndarray]
    compile_seconds: float
    simulate_seconds: float
    divergence: tuple[str, float] | None = None
    backend: str = ""
    final_state: dict[tuple[str, str], object] = field(default_factory=dict, repr=False)
    build: buildcache.Build | None = None

    def raise_if_diverged(self, bound: float) -> None:
        if self.divergence is not None:
            raise DivergenceError(self.divergence[0], self.divergence[1], bound)


class Simulator:
    """One circuit under one protocol on one backend, with what ``setup`` attaches
    (symmetry prior, monitors, divergence bound).

    ``build_dir`` (standalone only) is this simulator's own project directory; a fresh
    temporary directory is made when it is None. ``report`` prints Brian2's progress.
    """

    def __init__(
        self,
        spec: CircuitSpec,
        protocol: Protocol,
        options: BackendOptions,
        setup: Setup = DEFAULT_SETUP,
        *,
        build_dir: Path | None = None,
        report: bool = False,
    ):
        self.spec = spec
        self.protocol = protocol
        self.options = options
        self.setup = setup
        self.report = report
        self.build_dir = Path(build_dir) if build_dir else None
        self._circuit: CircuitNetwork | None = None
        self._compiled = False
        self._parameters: dict[tuple[str, str], object] = {}  # standalone: set every run

    def _new_network(self) -> CircuitNetwork:
        backends.activate(self.options)
        # Brian2 names code objects after the living ones: objects of earlier runs, left in
        # reference cycles once the device let go of them, would change the generated code
        gc.collect()
        serial = self.options.name == "cpp_standalone" and self.options.threads == 0
        return build_network(self.spec, self.protocol, self.setup, fused=serial)

    def _check(self, inputs: Inputs) -> None:
        shape = (self.protocol.n_frames, self.spec.sizes[0])
        if inputs.frames.shape != shape:
            raise ValueError(f"frames must have shape {shape}, got {inputs.frames.shape}")
        if inputs.plastic.shape != (self.protocol.n_frames,):
            raise ValueError(
                f"plastic must have shape ({self.protocol.n_frames},), got {inputs.plastic.shape}"
            )
        if inputs.gain().shape != (self.protocol.n_frames,):
            raise ValueError(
                f"coupling_gain must have shape ({self.protocol.n_frames},), "
                f"got {inputs.gain().shape}"
            )
        for l, w in enumerate(inputs.weights, start=1):
            n = len(self.spec.connections(l)[0])
            if np.shape(w) != (n,):
                raise ValueError(f"W_{l} must hold {n} synapse weights, got shape {np.shape(w)}")

    def _run_args(
        self, circuit: CircuitNetwork, inputs: Inputs, initial_state: dict | None = None
    ) -> dict:
        """What a run sets before it starts: the frame and gate tables, the network's
        parameters (standalone), then the initial state (if continuing), then the weights
        and lambda of ``inputs`` (which win)."""
        values: dict[tuple[str, str], object] = {**self._parameters, **(initial_state or {})}
        for owner, w in zip(circuit.weights, inputs.weights, strict=True):
            values[(owner.name, "w")] = w
        if inputs.lam is not None:
            if self.setup.symmetry is None:
                raise ValueError("lam given, but this simulator has no symmetry prior")
            values.update({(group.name, "lam"): inputs.lam for group in circuit.layers[1:]})
        if inputs.coupling is not None:
            for owner in circuit.weights:
                if owner is not None and "coupling" in owner.variables:
                    values[(owner.name, "coupling")] = inputs.coupling
        objects = {obj.name: obj for obj in circuit.network.objects}
        args = {
            circuit.stimulus: inputs.frames,
            circuit.plasticity: inputs.plastic.astype(float),
        }
        if circuit.coupling_gain is not None:
            args[circuit.coupling_gain] = inputs.gain()
        for (owner, var), value in values.items():  # one view per variable: no equal keys
            args[getattr(objects[owner], var)] = value
        return args

    def generate(self) -> str:
        """Generate the standalone project without compiling it; returns its build-cache
        key (`pcsim.buildcache`: simulators with equal keys run one binary)."""
        if not self.options.standalone:
            raise ValueError(
                f"only standalone backends generate a project, not {self.options.name}"
            )
        self._prepare_standalone()
        return buildcache.generate(self.build_dir, self.options)

    def build(self) -> Path:
        """Generate and compile the standalone project without running it (no GPU or
        inputs needed); returns the path of the binary."""
        if not self.options.standalone:
            raise ValueError(f"only standalone backends build a binary, not {self.options.name}")
        self._prepare_standalone()
        buildcache.build(self.build_dir, self.options, report=self.report)
        self._compiled = True
        return self.build_dir / "main"

    def _prepare_standalone(self) -> None:
        if self._circuit is None:
            self._circuit = self._new_network()
            self._parameters = buildcache.detach_parameters(self._circuit.network)
            # progress code always (shown with ``report``): one binary for quiet and not
            self._circuit.network.run(self.protocol.duration, report="text")
            if self.build_dir is None:
                self.build_dir = Path(tempfile.mkdtemp(prefix="pcsim-build-"))

    def run(self, inputs: Inputs, initial_state: dict | None = None) -> Result:
        """Simulate ``inputs``; the first call builds, later calls reuse the build.
        ``initial_state`` (a previous `Result.final_state`) continues from that state."""
        self._check(inputs)
        if not self.options.standalone:
            circuit = self._new_network()
            for target, value in self._run_args(circuit, inputs, initial_state).items():
                if isinstance(target, brian2.TimedArray):
                    target.values[:] = value  # TimedArray is immutable by API; fill in place
                else:
                    target[:] = value
            start = time.perf_counter()
            circuit.network.run(0 * second)  # code generation and compilation
            compiled = time.perf_counter() - start
            start = time.perf_counter()
            circuit.network.run(self.protocol.duration, report="text" if self.report else None)
            simulated = time.perf_counter() - start
            self._raise_if_stopped(float(circuit.network.t / self.protocol.duration))
            return self._collect(circuit, compiled, simulated)
        if self.options.name == "cuda_standalone" and not backends.gpu_available():
            raise BackendError(
                "cuda_standalone needs an NVIDIA GPU to run and this machine has none; "
                "build without running with --build-only (Simulator.build)"
            )
        self._prepare_standalone()
        run_args = self._run_args(self._circuit, inputs, initial_state)
        build = None
        if not self._compiled:
            build = buildcache.build(self.build_dir, self.options, report=self.report)
            self._compiled = True
        simulated = backends.rerun(self.build_dir, run_args, report=self.report)
        self._raise_if_stopped(backends.completed_fraction())
        result = self._collect(self._circuit, build.seconds if build else 0.0, simulated)
        result.build = build
        return result

    def _raise_if_stopped(self, fraction: float) -> None:
        """Brian2 turns a first Ctrl-C (and `request_stop`) into a stop at the end of the
        current step and returns normally: a run that stopped short is an interruption,
        not a result."""
        duration = float(self.protocol.duration / second)
        if fraction < 1.0 - 0.5 / self.protocol.n_steps:
            raise Interrupted(
                _stop["signal"], phase="simulation", reached=fraction * duration, duration=duration
            )
        _stop["signal"] = "SIGINT"

    def _collect(self, circuit: CircuitNetwork, compiled: float, simulated: float) -> Result:
        times = np.arange(0, self.protocol.n_steps, self.protocol.steps_per_sample)
        times = times * float(self.protocol.dt / second)
        traces = {name: _samples(m, name) for name, m in circuit.monitors.items()}
        frame_traces = {name: _samples(m, name)[1:] for name, m in circuit.frame_monitors.items()}
        weights = [np.asarray(owner.w[:]).copy() for owner in circuit.weights]
        final = final_state(circuit)
        if not self.protocol.tail_step:  # the end of the last frame is the final state
            for name, monitor in circuit.frame_monitors.items():
                var = name.split(".")[1]
                last = np.asarray(final[(monitor.source.name, var)])
                frame_traces[name] = np.vstack([frame_traces[name], last[None, :]])
        return Result(
            times=times,
            traces=traces,
            frame_traces=frame_traces,
            weights=weights,
            compile_seconds=compiled,
            simulate_seconds=simulated,
            divergence=self._divergence(circuit),
            backend=self.options.name,
            final_state=final,
        )

    def _divergence(self, circuit: CircuitNetwork) -> tuple[str, float] | None:
        first = None
        for group in circuit.layers:
            t_bad = np.asarray(group.t_bad[:] / second)
            bad = t_bad[t_bad < equations.NEVER]
            if bad.size and (first is None or bad.min() < first[1]):
                first = (population_name(int(group.name[1:])), float(bad.min()))
        return first


#: Variables a continuation does not carry over (the divergence latch starts afresh).
NOT_CARRIED = ("t_bad",)


def final_state(circuit: CircuitNetwork) -> dict[tuple[str, str], object]:
    """Every writable state variable that a group owns at the end of a run (with units),
    keyed by (group name, variable): what a continuation needs as its initial state."""
    state = {}
    for obj in circuit.network.objects:
        if not isinstance(obj, brian2.Group) or isinstance(obj, brian2.StateMonitor):
            continue
        for var, value in obj.get_states(read_only_variables=False).items():
            variable = obj.variables[var]
            if var in NOT_CARRIED or variable.constant or variable.owner.name != obj.name:
                continue
            state[(obj.name, var)] = value.copy()
    return state


def run_streamed(sim: Simulator, inputs: Inputs) -> Result:
    """Run ``inputs`` (any number of frames) through ``sim`` in chunks of
    ``sim.protocol.n_frames`` frames (its protocol must have no tail step), each chunk
    continuing from the previous one's final state: the compiled binary is reused and
    only one chunk's frame table exists at a time. The last chunk is padded with frozen
    blank frames that are cut from the result. Stops at the first diverging chunk.
    Equal to one long run up to floating-point summation order."""
    proto = sim.protocol
    if proto.tail_step:
        raise ValueError("a streamed run needs a protocol without tail step")
    chunk = proto.n_frames
    total = len(inputs.frames)
    n_chunks = -(-total // chunk)
    pad = n_chunks * chunk - total
    frames = np.vstack([inputs.frames, np.zeros((pad, inputs.frames.shape[1]))])
    plastic = np.concatenate([inputs.plastic, np.zeros(pad)])
    gain = np.concatenate([inputs.gain(), np.ones(pad)])
    weights, state, parts = inputs.weights, None, []
    chunk_seconds = chunk * proto.steps_per_frame * float(proto.dt / second)
    for c in range(n_chunks):
        part = slice(c * chunk, (c + 1) * chunk)
        chunk_inputs = Inputs(
            frames[part], plastic[part], weights, inputs.lam, inputs.coupling, gain[part]
        )
        result = sim.run(chunk_inputs, state)
        if result.divergence:
            population, t = result.divergence
            result.divergence = (population, t + c * chunk_seconds)
        parts.append(result)
        if result.divergence:
            break
        state, weights = result.final_state, tuple(result.weights)
    last = parts[-1]
    frame_traces = {
        k: np.concatenate([p.frame_traces[k] for p in parts])[:total] for k in last.frame_traces
    }
    traces = {k: np.concatenate([p.traces[k] for p in parts]) for k in last.traces}
    times = np.concatenate([p.times + c * chunk_seconds for c, p in enumerate(parts)])
    return Result(
        times=times,
        traces=traces,
        frame_traces=frame_traces,
        weights=last.weights,
        compile_seconds=sum(p.compile_seconds for p in parts),
        simulate_seconds=sum(p.simulate_seconds for p in parts),
        divergence=last.divergence,
        backend=last.backend,
        final_state=last.final_state,
    )


def _samples(monitor: brian2.StateMonitor, name: str) -> np.ndarray:
    """A monitor's recording as (n_samples, N)."""
    return np.asarray(getattr(monitor, name.split(".")[1])).T.copy()


def population_name(layer: int) -> str:
    """How errors name layer ``layer``."""
    return "layer 0 (sensory)" if layer == 0 else f"layer {layer}"


#: The signal behind the next stop of a running simulation (Brian2's own handler stops
#: runs on SIGINT; `request_stop` records another).
_stop = {"signal": "SIGINT"}


def runtime_simulation_running() -> bool:
    """Whether a Brian2 runtime (numpy, cython) simulation is running in this process."""
    return brian2.Network._globally_running and not brian2.get_device().__class__.__name__.endswith(
        "StandaloneDevice"
    )


def request_stop(signal_name: str) -> None:
    """Stop the running runtime simulation at the end of its current step, as Brian2 does on
    Ctrl-C (raising inside Brian2's generated code would surface as one of its own errors);
    the simulator then raises `Interrupted` naming ``signal_name``."""
    _stop["signal"] = signal_name
    brian2.Network._globally_stopped = True
