"""Build the Brian2 objects of a circuit (one explicit `Network`); never runs anything.

Schedule inside one time step (``when``, ``order``), mirrored exactly by `pcsim.oracle`:

====================  =====  ==========================================================
slot                  order  operation
====================  =====  ==========================================================
start                 -10    monitors sample (the state reached by the previous step)
start                   0    at frame starts: layer 0 loads the frame, synapses the gate
start                   1    at frame starts: divergence check of every layer
groups                 -3    mu_{l-1} = W_l phi(r_l)              (summed, to post)
groups                 -2    eps_l = r_l - mu_l
groups                 -1    fb_l = W_l^T (Pi_{l-1} eps_{l-1})     (summed, to pre)
groups                  0    Euler step of the weights
groups                  1    Euler step of the value units
====================  =====  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import brian2
import numpy as np
from brian2 import Network, NeuronGroup, StateMonitor, Synapses, TimedArray, second

from pcsim import equations
from pcsim.circuit import CircuitSpec

ORDER_MONITOR, ORDER_LOAD, ORDER_CHECK = -10, 0, 1
ORDER_MU, ORDER_EPS, ORDER_FB, ORDER_WEIGHTS, ORDER_VALUES = -3, -2, -1, 0, 1

#: Variables a monitor may record on each kind of layer.
MONITORABLE = ("r", "eps", "mu", "fb")


@dataclass(frozen=True)
class Protocol:
    """What a simulation is shown: ``n_frames`` frames of ``frame_duration`` each, integrated
    with step ``dt``; monitors sample every ``interval`` (a multiple of ``dt``)."""

    n_frames: int
    frame_duration: brian2.Quantity
    dt: brian2.Quantity
    interval: brian2.Quantity

    @property
    def steps_per_frame(self) -> int:
        return _ratio(self.frame_duration, self.dt, "frame_duration", "dt")

    @property
    def steps_per_sample(self) -> int:
        return _ratio(self.interval, self.dt, "monitor interval", "dt")

    @property
    def n_steps(self) -> int:
        """Time steps simulated: every frame, plus one step so that the end of the last
        frame is sampled."""
        return self.n_frames * self.steps_per_frame + 1


def _ratio(a: brian2.Quantity, b: brian2.Quantity, name_a: str, name_b: str) -> int:
    ratio = float(a / b)
    n = int(round(ratio))
    if n < 1 or abs(ratio - n) > 1e-9 * max(ratio, 1.0):
        raise ValueError(f"{name_a} ({a}) must be a positive integer multiple of {name_b} ({b})")
    return n


@dataclass
class CircuitNetwork:
    """The Brian2 objects of one circuit. ``layers[l]`` is layer l's `NeuronGroup`,
    ``synapses[l - 1]`` carries W_l, ``monitors`` maps names like ``"L1.r"`` to monitors
    sampling every ``protocol.interval``, ``frame_monitors`` likewise at frame starts."""

    network: Network
    layers: list[NeuronGroup]
    synapses: list[Synapses]
    stimulus: TimedArray
    plasticity: TimedArray
    monitors: dict[str, StateMonitor]
    frame_monitors: dict[str, StateMonitor]


def parse_monitor_name(name: str, n_layers: int) -> tuple[int, str]:
    """``"L1.r"`` -> (1, "r"); raises ValueError naming the problem."""
    head, _, var = name.partition(".")
    if not (head.startswith("L") and head[1:].isdigit()) or var not in MONITORABLE:
        raise ValueError(
            f"monitor '{name}' must read L<layer>.<variable> with variable in {MONITORABLE}"
        )
    layer = int(head[1:])
    if layer >= n_layers:
        raise ValueError(f"monitor '{name}': the circuit has layers 0..{n_layers - 1}")
    if (var in ("eps", "mu") and layer == n_layers - 1) or (var == "fb" and layer == 0):
        raise ValueError(f"monitor '{name}': layer {layer} has no variable '{var}'")
    return layer, var


def build_network(
    spec: CircuitSpec,
    protocol: Protocol,
    *,
    monitors: tuple[str, ...] = (),
    frame_monitors: tuple[str, ...] = (),
    divergence_bound: float = 1e6,
) -> CircuitNetwork:
    """Create groups, synapses, inputs and monitors of ``spec`` under ``protocol``.

    Stimuli (``stimulus``, shape (n_frames, N_0)) and the plasticity gate per frame
    (``plasticity``, shape (n_frames,)) start as zeros: the caller sets them (directly in
    runtime mode, through ``run_args`` in standalone mode) together with the weights.
    """
    fd = protocol.frame_duration
    n_layers = spec.n_layers
    stimulus = TimedArray(np.zeros((protocol.n_frames, spec.sizes[0])), dt=fd, name="stimulus")
    plasticity = TimedArray(np.zeros(protocol.n_frames), dt=fd, name="plasticity")
    layers: list[NeuronGroup] = []
    for index, layer in enumerate(spec.layers):
        group = NeuronGroup(
            layer.size,
            equations.layer_equations(index, n_layers, spec.nonlinearity),
            method="euler",
            dt=protocol.dt,
            order=ORDER_VALUES,
            name=f"L{index}",
            namespace={"stimulus": stimulus} if index == 0 else {},
        )
        group.t_bad = equations.NEVER * second
        group.bound = divergence_bound
        has_errors = index < n_layers - 1
        if index > 0:
            group.tau_r = spec.tau_r
            group.alpha = spec.alpha
        if has_errors:
            group.Pi = layer.precision
            group.run_regularly(
                equations.ERROR_UPDATE, when="groups", order=ORDER_EPS, name=f"L{index}_error"
            )
        if index == 0:
            group.run_regularly(
                "r = stimulus(t, i)",
                dt=fd,
                when="start",
                order=ORDER_LOAD,
                name="L0_load_frame",
            )
        check = equations.HEALTH_CHECK_ERRORS if has_errors else equations.HEALTH_CHECK_VALUES
        group.run_regularly(check, dt=fd, when="start", order=ORDER_CHECK, name=f"L{index}_health")
        layers.append(group)

    synapses: list[Synapses] = []
    for index in range(1, n_layers):
        syn = Synapses(
            layers[index],
            layers[index - 1],
            equations.synapse_equations(spec.learning),
            method="euler",
            dt=protocol.dt,
            order=ORDER_WEIGHTS,
            name=f"W{index}",
            namespace={"plasticity": plasticity},
        )
        pre, post = synapse_indices(spec, index)
        syn.connect(i=pre, j=post)
        if spec.learning:
            syn.eta = spec.eta
            syn.eta_decay = spec.eta_decay
            syn.run_regularly(
                "gate = plasticity(t)",
                dt=fd,
                when="start",
                order=ORDER_LOAD,
                name=f"W{index}_gate",
            )
        syn.summed_updaters["mu_post"].order = ORDER_MU
        syn.summed_updaters["fb_pre"].order = ORDER_FB
        synapses.append(syn)

    recorded = _monitors(layers, monitors, protocol.interval, "monitor")
    at_frames = _monitors(layers, frame_monitors, fd, "frame")
    network = Network(*layers, *synapses, *recorded.values(), *at_frames.values())
    return CircuitNetwork(network, layers, synapses, stimulus, plasticity, recorded, at_frames)


def _monitors(
    layers: list[NeuronGroup], names: tuple[str, ...], interval: brian2.Quantity, prefix: str
) -> dict[str, StateMonitor]:
    monitors = {}
    for name in names:
        layer, var = parse_monitor_name(name, len(layers))
        monitors[name] = StateMonitor(
            layers[layer],
            var,
            record=True,
            dt=interval,
            when="start",
            order=ORDER_MONITOR,
            name=f"{prefix}_L{layer}_{var}",
        )
    return monitors


def synapse_indices(spec: CircuitSpec, l: int) -> tuple[np.ndarray, np.ndarray]:
    """(pre, post) unit indices of every synapse of W_l (pre in layer l, post in layer
    l - 1), sorted by pre then post: the synapse order of the Brian2 ``Synapses``.
    The weight of synapse s is ``W_l[post[s], pre[s]]``."""
    pre, post = np.nonzero(spec.mask(l).T)
    return pre, post
