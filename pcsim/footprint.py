"""How much memory a run will need, estimated from its configuration alone (before any
connection, frame or Brian2 object exists), and the check that refuses a run that cannot
fit in the memory this machine has available.

The estimate counts what grows with the circuit and the run: synapses (Brian2's arrays,
pcsim's copies of indices and weights, the weight group of the weight coupling with its
partner indices), units, the consistency units of the symmetry prior, the frame table
and the recordings; per-item costs in bytes are below. It is calibrated to err on the
large side (measured peaks: see tests/test_footprint.py and the README).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from pcsim.config import Scenario
from pcsim.errors import PcsimError

#: Bytes per synapse: Brian2's weight, indices and summed-variable buffers, pcsim's index
#: arrays (int64), initial and final weights of both conditions and the traces file.
SYNAPSE_BYTES = 150
#: ... and with the weight coupling, per synapse: the weight group's variables and links,
#: plus per candidate its partner index in Brian2 (int32, in Python and in the compiled
#: binary) and in pcsim (int64, and the sorting that finds it). Measured: a 48 x 48 torus
#: with 3.0e6 synapses and 8 candidates held 1.50 GB in Python and 1.04 GB in the
#: cpp_standalone binary while it ran, about 850 bytes per synapse.
COUPLING_BYTES, COUPLING_BYTES_PER_CANDIDATE = 100, 80
#: Bytes per unit of a layer (about twenty state variables) and per consistency unit.
UNIT_BYTES, CONSISTENCY_BYTES = 200, 80
#: Bytes per recorded value: the monitor's buffer, pcsim's copy and the traces file.
RECORD_BYTES = 24
#: Python, NumPy, Brian2 and matplotlib themselves.
BASE_BYTES = 400e6


class ResourceError(PcsimError):
    """A run that would need more memory than the machine has available."""


@dataclass(frozen=True)
class Footprint:
    """Estimated bytes per component (``parts``) and, for each, the settings that drive it."""

    parts: dict[str, float]
    drivers: dict[str, str]

    @property
    def total(self) -> float:
        return sum(self.parts.values())

    def largest(self) -> str:
        return max(self.parts, key=self.parts.get)


def layer_sizes(cfg: Scenario) -> list[int]:
    return [math.prod(layer.shape) * layer.channels for layer in cfg.circuit.layers]


def synapse_counts(cfg: Scenario) -> list[int]:
    """Synapses of W_1..W_L without building them: dense N_l N_{l-1}; local, the units
    within ``rf_radius`` (in units of the layout's extent) of each unit above."""
    layers, sizes = cfg.circuit.layers, layer_sizes(cfg)
    counts = []
    for l in range(1, len(layers)):
        upper, lower = layers[l], layers[l - 1]
        if (upper.connectivity or "dense") == "dense":
            counts.append(sizes[l] * sizes[l - 1])
            continue
        positions = math.prod(lower.shape)
        r = upper.rf_radius
        reach = 2 * r * positions if len(lower.shape) == 1 else math.pi * r * r * positions
        within = min(positions, max(1.0, reach) + 1)
        counts.append(int(math.prod(upper.shape) * within * upper.channels * lower.channels))
    return counts


def frame_count(cfg: Scenario) -> int:
    """Frames of the plan: development, equivariance probes (one per transformation any
    phase applies and per further probed transformation), held-out (and novel) probes,
    the oddball, perception and perturbation blocks."""
    sym = cfg.symmetry
    specs: list[dict] = []
    for world in cfg.phase_worlds() or [cfg.world]:
        specs += [g for g in world.generator_specs() if g not in specs]
    probed = len(specs) + len(cfg.probe.transformations)
    probes = (sym.checkpoints + 1) * sym.probe_stimuli * (1 + probed) if sym else 0
    held = cfg.probe.frames * (2 if cfg.probe.novel_centres else 1)
    oddball = cfg.oddball.frames if cfg.oddball else 0
    seen = cfg.perception
    perception = 2 * seen.patterns * len(seen.proportions) * len(seen.axes) if seen else 0
    shaken = cfg.perturbation
    perturbation = shaken.scenes * (1 + len(shaken.noise) + len(shaken.occlusion)) if shaken else 0
    return cfg.training.frames + probes + held + oddball + perception + perturbation


def estimate(cfg: Scenario) -> Footprint:
    """The memory a run of ``cfg`` needs (both conditions, one after the other)."""
    sizes = layer_sizes(cfg)
    synapses = sum(synapse_counts(cfg))
    sym = cfg.symmetry
    k = len(sym.candidates) if sym else 0
    frames = frame_count(cfg)
    steps_per_frame = round(float(cfg.world.frame_duration / cfg.simulation.dt))
    per_frame_units = sum(sizes[1:]) + sum(sizes[:-1]) + (k + 1) * (3 + len(sizes))
    interval = cfg.monitors.interval or cfg.world.frame_duration
    samples = frames * steps_per_frame // max(1, round(float(interval / cfg.simulation.dt)))
    monitored = sum(sizes[int(v.split(".")[0][1:])] for v in cfg.monitors.variables if v[0] == "L")
    coupling = sym is not None and float(sym.weight_coupling) > 0 and cfg.circuit.learning
    parts = {
        "synapses": synapses * SYNAPSE_BYTES,
        "weight coupling": (
            synapses * (COUPLING_BYTES + k * COUPLING_BYTES_PER_CANDIDATE) if coupling else 0.0
        ),
        "units": sum(sizes) * UNIT_BYTES,
        "symmetry prior": k * sum(sizes) * CONSISTENCY_BYTES,
        "frame table": frames * sizes[0] * 8 * 3,
        "recordings": (frames * per_frame_units + samples * monitored) * RECORD_BYTES,
        "Python and Brian2": BASE_BYTES,
    }
    drivers = {
        "synapses": f"{synapses:.3g} synapses: circuit.layers (shapes, channels, "
        "connectivity, rf_radius)",
        "weight coupling": f"{synapses:.3g} synapses x {k} candidates: "
        "symmetry.weight_coupling, symmetry.candidates",
        "units": f"{sum(sizes):.3g} units: circuit.layers (shapes, channels)",
        "symmetry prior": f"{k} candidates x {sum(sizes):.3g} units: symmetry.candidates",
        "frame table": f"{frames:.3g} frames x {sizes[0]} sensory units: training.frames, "
        "probe.frames, the sensory layer",
        "recordings": f"{frames:.3g} frames, {samples:.3g} samples: training.frames, "
        "monitors.variables, monitors.interval",
        "Python and Brian2": "fixed",
    }
    return Footprint(parts, drivers)


def available_memory() -> float:
    """Bytes of memory available to a new process now (MemAvailable, else free pages)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def check(cfg: Scenario, available: float | None = None) -> Footprint:
    """The estimate of ``cfg``; raises `ResourceError` naming the estimate, what is
    available and the component (and settings) that drive it when it does not fit."""
    footprint = estimate(cfg)
    available = available_memory() if available is None else available
    if footprint.total > available:
        part = footprint.largest()
        raise ResourceError(
            f"this run needs about {_gb(footprint.total)} of memory and "
            f"{_gb(available)} are available; the largest part is the {part} "
            f"({_gb(footprint.parts[part])}; {footprint.drivers[part]})"
        )
    return footprint


def _gb(n: float) -> str:
    return f"{n / 1e9:.3g} GB"
