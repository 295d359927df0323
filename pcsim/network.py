"""Build the Brian2 objects of a circuit (one explicit `Network`); never runs anything.

The order of operations inside one time step (Brian2's ``when`` and ``order`` of every
object) comes from the one table in `pcsim.schedule`, which `pcsim.oracle` follows too.
"""

from __future__ import annotations

from dataclasses import dataclass

import brian2
import numpy as np
from brian2 import Network, NeuronGroup, StateMonitor, Synapses, TimedArray, second

from pcsim import equations
from pcsim.circuit import CircuitSpec
from pcsim.schedule import ORDER
from pcsim.symmetry import SymmetrySpec

#: Variables a monitor may record on each kind of layer, and on the candidate group.
MONITORABLE = ("r", "eps", "mu", "fb", "m", "sym", "u")
CANDIDATE_MONITORABLE = ("q", "prior", "E")


@dataclass(frozen=True)
class Protocol:
    """What a simulation is shown: ``n_frames`` frames of ``frame_duration`` each, integrated
    with step ``dt``; monitors sample every ``interval`` (a multiple of ``dt``).
    ``tail_step``: one more step after the last frame, so that a monitor samples its end;
    chunks of a streamed run (`pcsim.simulate.run_streamed`) have none."""

    n_frames: int
    frame_duration: brian2.Quantity
    dt: brian2.Quantity
    interval: brian2.Quantity
    tail_step: bool = True

    @property
    def steps_per_frame(self) -> int:
        return _ratio(self.frame_duration, self.dt, "frame_duration", "dt")

    @property
    def steps_per_sample(self) -> int:
        return _ratio(self.interval, self.dt, "monitor interval", "dt")

    @property
    def duration(self) -> brian2.Quantity:
        """Simulated time: n_steps * dt."""
        return self.n_steps * self.dt

    @property
    def n_steps(self) -> int:
        """Time steps simulated: every frame (plus the tail step, if any)."""
        return self.n_frames * self.steps_per_frame + int(self.tail_step)


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
    weights: list  # the object holding each W_l's ``w``: its Synapses or a weight group
    candidates: NeuronGroup | None = None
    coupling_gain: TimedArray | None = None  # the weight coupling's factor per frame


def parse_monitor_name(name: str, n_layers: int) -> tuple[int, str]:
    """``"L1.r"`` -> (1, "r"); ``"cand.q"`` -> (-1, "q"); raises ValueError naming the
    problem. Layer -1 stands for the candidate group of the symmetry prior."""
    head, _, var = name.partition(".")
    if head == "cand":
        energies = tuple(f"E_{l}" for l in range(n_layers))
        if var not in CANDIDATE_MONITORABLE + energies:
            raise ValueError(
                f"monitor '{name}': candidate variables are {CANDIDATE_MONITORABLE + energies}"
            )
        return -1, var
    if not (head.startswith("L") and head[1:].isdigit()) or var not in MONITORABLE:
        raise ValueError(
            f"monitor '{name}' must read L<layer>.<variable> with variable in {MONITORABLE}"
        )
    layer = int(head[1:])
    if layer >= n_layers:
        raise ValueError(
            f"monitor '{name}': layer {layer} does not exist (layers 0..{n_layers - 1})"
        )
    top = n_layers - 1
    if (var in ("eps", "mu", "u") and layer == top) or (var in ("fb", "sym") and layer == 0):
        raise ValueError(f"monitor '{name}': layer {layer} has no variable '{var}'")
    return layer, var


@dataclass(frozen=True)
class Setup:
    """What one simulation attaches to a circuit: the symmetry prior (None: plain PC),
    the variables recorded every monitor interval (``monitors``) and at the end of every
    frame (``frame_monitors``), named like ``"L1.r"`` or ``"cand.q"``, and the bound on
    |r| and |eps| beyond which a population counts as diverged."""

    symmetry: SymmetrySpec | None = None
    monitors: tuple[str, ...] = ()
    frame_monitors: tuple[str, ...] = ()
    divergence_bound: float = 1e6


#: Plain predictive coding, nothing recorded, the default bound.
DEFAULT_SETUP = Setup()


def build_network(
    spec: CircuitSpec, protocol: Protocol, setup: Setup = DEFAULT_SETUP, fused: bool = False
) -> CircuitNetwork:
    """Create groups, synapses, inputs and monitors of ``spec`` under ``protocol``.

    Stimuli (``stimulus``, shape (n_frames, N_0)) and the plasticity gate per frame
    (``plasticity``, shape (n_frames,)) start as zeros: the caller sets them (directly in
    runtime mode, through ``run_args`` in standalone mode) together with the weights.
    With ``setup.symmetry``, the candidate machinery of the symmetry prior is added; the
    gate then also switches the prior's pull and the development of pi. With its weight
    coupling, a third table (``coupling_gain``, shape (n_frames,), also set by the caller)
    scales the coupling frame by frame. ``fused``: a learning connection without weight
    coupling computes its feedback and its weight update in one pass over the synapses
    (`equations.SYNAPSE_FUSED`); only for serial compiled code (cpp_standalone without
    OpenMP), where a synapse loop adding into a presynaptic variable runs in order.
    """
    symmetry = setup.symmetry
    fd = protocol.frame_duration
    n_layers = spec.n_layers
    symmetric = symmetry is not None
    learned = symmetric and symmetry.learns_precision
    weighed = learned and symmetry.weighs_inference
    stimulus = TimedArray(np.zeros((protocol.n_frames, spec.sizes[0])), dt=fd, name="stimulus")
    plasticity = TimedArray(np.zeros(protocol.n_frames), dt=fd, name="plasticity")
    layers: list[NeuronGroup] = []
    extra: list = []
    for index, layer in enumerate(spec.layers):
        group = NeuronGroup(
            layer.size,
            equations.layer_equations(index, n_layers, symmetric, learned, weighed),
            method="euler",
            dt=protocol.dt,
            order=ORDER["values"],
            name=f"L{index}",
            namespace={"stimulus": stimulus, "plasticity": plasticity},
        )
        group.t_bad = equations.NEVER * second
        group.bound = setup.divergence_bound
        has_errors = index < n_layers - 1
        if index > 0:
            group.tau_r = spec.tau_r
            group.alpha = spec.alpha
            group.run_regularly(
                equations.NONLINEARITY[spec.nonlinearity],
                when="groups",
                order=ORDER["phi"],
                name=f"L{index}_phi",
            )
        if has_errors:
            group.Pi = layer.precision
            update = equations.ERROR_UPDATE
            if weighed:
                group.Pi_layer = layer.precision
                update = f"{update}\n{equations.PRECISION_UPDATE}"
                extra += _precision_total(group, protocol.dt)
            group.run_regularly(update, when="groups", order=ORDER["error"], name=f"L{index}_error")
        if index == 0:
            _at_frame_starts(group, "r = stimulus(t, i)", fd, ORDER["load"], "L0_load_frame")
        if symmetric:
            _at_frame_starts(
                group, equations.MEMORY_UPDATE, fd, ORDER["memory"], f"L{index}_memory"
            )
            if index > 0:
                group.lam = symmetry.lam
            if index > 0 or learned:
                _at_frame_starts(group, equations.GATE_UPDATE, fd, ORDER["load"], f"L{index}_gate")
        if learned and has_errors:
            group.u = 1.0 / layer.precision  # the configured precision is the initial belief
            group.tau_prec = symmetry.tau_precision
        check = equations.HEALTH_CHECK_ERRORS if has_errors else equations.HEALTH_CHECK_VALUES
        _at_frame_starts(group, check, fd, ORDER["check"], f"L{index}_health")
        layers.append(group)

    candidates = None
    if symmetric:
        candidates, objects = _symmetry_objects(layers, symmetry, protocol, plasticity)
        extra += objects
    couple = symmetric and spec.learning and symmetry.couples_weights
    gain = TimedArray(np.ones(protocol.n_frames), dt=fd, name="coupling_gain") if couple else None
    synapses: list[Synapses] = []
    weights: list = []
    for index in range(1, n_layers):
        fuse = fused and spec.learning and not couple
        if couple:
            model = equations.SYNAPSE_SUMS + equations.SYNAPSE_LINKED
        elif fuse:
            model = equations.SYNAPSE_FUSED
        else:
            model = equations.synapse_equations(spec.learning)
        syn = Synapses(
            layers[index],
            layers[index - 1],
            model,
            method="euler",
            dt=protocol.dt,
            order=ORDER["weights"],
            name=f"W{index}",
            namespace={"plasticity": plasticity},
        )
        pre, post = spec.connections(index)
        syn.connect(i=pre, j=post)
        owner = syn
        if couple:
            tables = {"plasticity": plasticity, "coupling_gain": gain}
            owner = _weight_group(spec, symmetry, index, layers, candidates, protocol, tables)
            syn.weight_index = np.arange(len(pre))
            syn.w = brian2.linked_var(owner, "w", index="weight_index")
            extra.append(owner)
        if spec.learning:
            owner.eta = spec.eta
            owner.eta_decay = spec.eta_decay
            update = equations.WEIGHT_GATE_UPDATE if couple else equations.LEARN_UPDATE
            _at_frame_starts(owner, update, fd, ORDER["load"], f"W{index}_gate")
        syn.summed_updaters["mu_post"].order = ORDER["predict"]
        if fuse:
            layers[index].run_regularly(
                equations.FEEDBACK_RESET, when="groups", order=ORDER["error"], name=f"L{index}_fb"
            )
            syn.run_regularly(
                equations.FUSED_FEEDBACK_AND_LEARNING,
                when="groups",
                order=ORDER["feedback"],
                name=f"W{index}_feedback_learning",
            )
        else:
            syn.summed_updaters["fb_pre"].order = ORDER["feedback"]
        synapses.append(syn)
        weights.append(owner)

    groups = layers + ([candidates] if candidates is not None else [])
    recorded = _monitors(groups, setup.monitors, protocol.interval, "monitor")
    at_frames = _monitors(groups, setup.frame_monitors, fd, "frame")
    objects = (*layers, *synapses, *extra, *recorded.values(), *at_frames.values())
    network = Network(*objects, name="circuit")  # a fixed name: equal circuits, equal code
    return CircuitNetwork(
        network,
        layers,
        synapses,
        stimulus,
        plasticity,
        recorded,
        at_frames,
        weights,
        candidates,
        gain,
    )


def _weight_group(
    spec: CircuitSpec,
    symmetry: SymmetrySpec,
    l: int,
    layers: list[NeuronGroup],
    candidates: NeuronGroup,
    protocol: Protocol,
    tables: dict[str, TimedArray],
) -> NeuronGroup:
    """The weights of W_l as a NeuronGroup (see `equations.weight_units`); ``tables``: the
    per-frame plasticity gate and coupling gain."""
    pre, post = spec.connections(l)
    k = symmetry.n_candidates
    per_frame = symmetry.coupling_step == "frame"
    group = NeuronGroup(
        len(pre),
        equations.weight_units(k, per_frame, symmetry.weighs_inference),
        method="euler",
        dt=protocol.dt,
        order=ORDER["weights"],
        name=f"W{l}_weights",
        namespace=tables,
    )
    if symmetry.weighs_inference:
        group.Pi_below = brian2.linked_var(layers[l - 1], "Pi", index="below")
    else:
        group.Pi_below = spec.layers[l - 1].precision
    group.coupling = symmetry.weight_coupling
    group.frame_duration = protocol.frame_duration
    # indices as Brian2 integer (int32) variables, half the bytes of an index array
    group.below = post
    group.above = pre
    group.eps_below = brian2.linked_var(layers[l - 1], "eps", index="below")
    group.phi_above = brian2.linked_var(layers[l], "phi_r", index="above")
    for c, partner in enumerate(symmetry.partners(spec, l), start=1):
        setattr(group, f"partner_{c}", partner)
        setattr(group, f"candidate_{c}", c)
        setattr(group, f"w_{c}", brian2.linked_var(group, "w_old", index=f"partner_{c}"))
        setattr(group, f"p_{c}", brian2.linked_var(candidates, "prior", index=f"candidate_{c}"))
    if per_frame:
        fd = protocol.frame_duration
        copy, step = equations.WEIGHT_COPY, equations.coupling_frame_step(k)
        _at_frame_starts(group, copy, fd, ORDER["couple_copy"], f"W{l}_copy")
        _at_frame_starts(group, step, fd, ORDER["couple"], f"W{l}_couple")
    else:
        group.run_regularly(
            equations.WEIGHT_COPY, when="groups", order=ORDER["phi"], name=f"W{l}_copy"
        )
    return group


def _precision_total(layer: NeuronGroup, dt: brian2.Quantity) -> list:
    """The unit holding sum_j 1/u_j of ``layer`` (summed every step, before the error
    update reads it through ``inv_u_sum``) and the synapses that sum it."""
    name = layer.name
    total = NeuronGroup(1, equations.PRECISION_TOTAL, dt=dt, name=f"{name}_precision", namespace={})
    summing = Synapses(
        layer, total, equations.PRECISION_SUM, dt=dt, name=f"{name}_precision_sum", namespace={}
    )
    summing.connect()
    summing.summed_updaters["inv_u_sum_post"].order = ORDER["predict"]
    layer.inv_u_sum = brian2.linked_var(total, "inv_u_sum", index=np.zeros(len(layer), dtype=int))
    return [total, summing]


def _at_frame_starts(group, code: str, frame: brian2.Quantity, order: int, name: str) -> None:
    """Run ``code`` on ``group`` at the start of every frame (slot "start", ``order``)."""
    group.run_regularly(code, dt=frame, when="start", order=order, name=name)


def _symmetry_objects(
    layers: list[NeuronGroup],
    symmetry: SymmetrySpec,
    protocol: Protocol,
    plasticity: TimedArray,
) -> tuple[NeuronGroup, list]:
    """The candidate group (unit 0: null hypothesis, unit k: candidate t_k), its
    normaliser, and per layer the consistency units with their two summing synapses."""
    n_layers, k = len(layers), symmetry.n_candidates
    dt = protocol.dt
    candidates = NeuronGroup(
        k + 1,
        equations.candidate_equations(n_layers),
        method="euler",
        dt=dt,
        order=ORDER["values"],
        name="candidates",
        namespace={"plasticity": plasticity},
    )
    candidates.null = np.r_[1.0, np.zeros(k)]
    candidates.prior = symmetry.prior0
    candidates.beta = symmetry.beta
    candidates.theta = symmetry.theta
    candidates.tau_dev = symmetry.tau_dev
    for l, weight in enumerate(symmetry.evidence_weights):
        setattr(candidates, f"w_{l}", weight)
    _at_frame_starts(
        candidates, equations.GATE_UPDATE, protocol.frame_duration, ORDER["load"], "candidates_gate"
    )
    candidates.run_regularly(
        equations.RESPONSIBILITY_UPDATE, when="groups", order=ORDER["feedback"], name="candidates_q"
    )
    normaliser = NeuronGroup(1, equations.NORMALISER, dt=dt, name="normaliser", namespace={})
    normalise = Synapses(
        candidates, normaliser, equations.NORMALISER_SUM, dt=dt, name="normalise", namespace={}
    )
    normalise.connect()
    normalise.summed_updaters["Z_post"].order = ORDER["error"]
    candidates.Z = brian2.linked_var(normaliser, "Z", index=np.zeros(k + 1, dtype=int))
    objects = [candidates, normaliser, normalise]
    for l, layer in enumerate(layers):
        n = len(layer)
        weighted = symmetry.learns_precision and l < n_layers - 1
        model = equations.CONSISTENCY_UNITS
        if weighted:
            model = model + equations.CONSISTENCY_VARIANCES
        units = NeuronGroup(k * n, model, dt=dt, name=f"C{l}", namespace={})
        here, moved = np.tile(np.arange(n), k), symmetry.gather(l)
        units.r_here = brian2.linked_var(layer, "r", index=here)
        units.m_moved = brian2.linked_var(layer, "m", index=moved)
        if weighted:
            units.u_here = brian2.linked_var(layer, "u", index=here)
            units.u_moved = brian2.linked_var(layer, "u", index=moved)
        which = np.repeat(np.arange(1, k + 1), n)
        units.q_link = brian2.linked_var(candidates, "q", index=which)
        units.run_regularly(
            equations.CONSISTENCY_UPDATE_LEARNED if weighted else equations.CONSISTENCY_UPDATE,
            when="groups",
            order=ORDER["consistency"],
            name=f"C{l}_consistency",
        )
        units.run_regularly(
            equations.RESPONSIBILITY_COPY, when="groups", order=ORDER["copy_q"], name=f"C{l}_q"
        )
        energy = Synapses(
            units,
            candidates,
            equations.ENERGY_SUM.format(layer=l),
            dt=dt,
            name=f"C{l}_energy",
            namespace={},
        )
        energy.connect(i=np.arange(k * n), j=which)
        energy.inv_n = 1.0 / n
        energy.summed_updaters[f"E_{l}_post"].order = ORDER["predict"]
        objects += [units, energy]
        if l > 0:
            pull = Synapses(
                units, layer, equations.PULL_SUM, dt=dt, name=f"C{l}_pull", namespace={}
            )
            pull.connect(i=np.arange(k * n), j=np.tile(np.arange(n), k))
            pull.summed_updaters["sym_post"].order = ORDER["pull"]
            objects.append(pull)
    return candidates, objects


def _monitors(
    groups: list[NeuronGroup], names: tuple[str, ...], interval: brian2.Quantity, prefix: str
) -> dict[str, StateMonitor]:
    """StateMonitors of ``groups`` (layers, then the candidate group if any)."""
    n_layers = len(groups) - (1 if groups[-1].name == "candidates" else 0)
    monitors = {}
    for name in names:
        layer, var = parse_monitor_name(name, n_layers)
        if layer < 0 and groups[-1].name != "candidates":
            raise ValueError(f"monitor '{name}': this circuit has no symmetry prior")
        tag = "cand" if layer < 0 else f"L{layer}"
        monitors[name] = StateMonitor(
            groups[layer],
            var,
            record=True,
            dt=interval,
            when="start",
            order=ORDER["record"],
            name=f"{prefix}_{tag}_{var}",
        )
    return monitors
