"""The schema of scenario and model files, as pydantic models (`pcsim.validation.Table`).

Each field and each limit is stated once: here, or for the ``[world]`` table in
`pcsim.worlds` (a world table is a `RingWorld` or `TorusWorld` with a ``frame_duration``).
Kind-specific tables are discriminated unions on ``kind``: ``[world]`` and each
``[[symmetry.candidates]]`` entry, whose keys per kind are ``pcsim.groups.SPEC_KINDS``.
Quantities are brian2 Quantities, written with units (``tau_r = "10 ms"``).

`Scenario` is a whole, resolved scenario: its cross-field checks fill in the defaults that
depend on other fields (``connectivity`` "dense" above layer 0, ``evidence_weights``).
`ScenarioFile`, `Quick` and `ModelFile` are what each file may contain; the loader
(`pcsim.config.load`) checks them with missing keys allowed, then the merged `Scenario`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from brian2 import Hz, ms, second
from brian2.units.fundamentalunits import Quantity
from pydantic import (
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PlainValidator,
    PositiveFloat,
    ValidationError,
    create_model,
    model_validator,
)

from pcsim.backends import BACKENDS, FLOAT_DTYPES
from pcsim.circuit import CONNECTIVITIES, NONLINEARITIES
from pcsim.errors import show
from pcsim.groups import SPEC_KINDS, transformation, transformation_at
from pcsim.layouts import KINDS as LAYOUT_KINDS
from pcsim.layouts import Layout
from pcsim.network import parse_monitor_name
from pcsim.quantities import Dimensioned
from pcsim.symmetry import COUPLING_STEPS, EVIDENCE_DEFAULTS, INFERENCE_PRECISIONS
from pcsim.validation import Count, Table, invalid, problems
from pcsim.worlds import Fraction, Fractions, RingWorld, TorusWorld

PositiveTime = Annotated[Quantity, Dimensioned("time", gt=0)]
Rate = Annotated[Quantity, Dimensioned("rate", ge=0)]


class Simulation(Table):
    dt: PositiveTime = 1 * ms  # integration time step
    threads: NonNegativeInt = 0  # OpenMP threads for cpp_standalone (0: Brian2's default)
    float_dtype: Literal[*FLOAT_DTYPES] = "float64"
    divergence_bound: PositiveFloat = 1e6  # |value| above it counts as diverged


class _Framed(Table):
    frame_duration: PositiveTime  # how long each frame is shown


class RingWorldTable(_Framed, RingWorld):
    """``[world]`` with ``kind = "ring"``."""


class TorusWorldTable(_Framed, TorusWorld):
    """``[world]`` with ``kind = "torus"``."""


WorldTable = Annotated[RingWorldTable | TorusWorldTable, Field(discriminator="kind")]


class TrainingPhase(Table):
    """One ``[[training.phases]]`` table: a stretch of development in a changed world."""

    noun: ClassVar[str] = "phase"
    name: str  # label in metrics and figures
    frames: Count  # development frames of this phase
    # values of [world] that differ in this phase (not kind, size or frame_duration)
    world: dict[str, Any] = Field(default_factory=dict)


class Training(Table):
    frames: Count  # development frames (learning on)
    # the world changes during development: its phases in order (None: one world)
    phases: list[TrainingPhase] | None = None


class Oddball(Table):
    """``[oddball]``: an oddball block after the probes (docs/model.md#54-the-oddball-block)."""

    frames: Count = 600  # frames of the block (learning on)
    p_deviant: Annotated[float, Field(gt=0, le=0.5)] = 0.1  # probability of a deviant
    magnitudes: Annotated[list[Count], Field(min_length=1)] = Field(
        default_factory=lambda: [1, 2, 4, 8]
    )  # deviance: the world's first generator applied this many times
    window: PositiveTime = 20 * ms  # response window after each frame's onset


class Perception(Table):
    """``[perception]``: a symmetry-perception block after the probes
    (docs/model.md#55-the-perception-block)."""

    # proportions of the dots that lie in mirror pairs; 0 (random patterns) is the reference
    proportions: Annotated[list[Fraction], Field(min_length=2)] = Field(
        default_factory=lambda: [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    )
    patterns: Count = 12  # patterns per proportion and axis, each shown twice
    dots: Count = 10  # dots per pattern; each proportion must make whole mirror pairs
    axes: Annotated[list[Literal["x", "y"]], Field(min_length=1)] = ["x", "y"]  # mirror axes
    layer: Count = 1  # the layer whose response is read


class Monitors(Table):
    # recorded variables 'L<layer>.<variable>' or 'cand.<variable>' (pcsim.network)
    variables: list[str] = ["L0.eps", "L1.r"]
    interval: PositiveTime | None = None  # sampling interval (None: once per frame)


class Layer(Table):
    """One ``[[circuit.layers]]`` entry; layer 0 is sensory, each other predicts the one
    below. ``rf_radius`` (of a 'local' connection) is in units of the layout's extent."""

    noun: ClassVar[str] = "layer"
    layout: Literal[*LAYOUT_KINDS]
    shape: Annotated[list[Count], Field(min_length=1)]  # [n] or [H, W]
    channels: Count = 1  # feature channels per position
    precision: PositiveFloat = 1.0  # precision (inverse variance) of this layer's errors
    connectivity: Literal[*CONNECTIVITIES] | None = None  # to the layer below; default dense
    rf_radius: PositiveFloat | None = None  # required with 'local'
    invariant: bool = False  # every candidate acts on this layer as the identity

    def to_layout(self) -> Layout:
        return Layout(self.layout, tuple(self.shape), self.channels)

    @model_validator(mode="after")
    def _shape_fits_layout(self) -> Layer:
        try:
            self.to_layout()
        except ValueError as error:
            raise invalid(str(error), at="shape") from None
        return self


class Circuit(Table):
    nonlinearity: Literal[*NONLINEARITIES] = "tanh"  # rate function f
    tau_r: PositiveTime  # time constant of the rate units
    alpha: NonNegativeFloat = 0.0  # leak / prior weight
    eta: Rate  # Hebbian learning rate
    eta_decay: Rate = 0 * Hz  # weight decay rate
    learning: bool = True  # whether the weights learn during development
    init_weight_scale: NonNegativeFloat = 0.1  # scale of the random initial weights
    layers: Annotated[list[Layer], Field(min_length=2)]

    @model_validator(mode="after")
    def _layers(self) -> Circuit:
        for i, layer in enumerate(self.layers):
            at = f"layers.{i}"
            if i == 0:
                if layer.invariant:
                    raise invalid(
                        "layer 0 is the sensory layer, which defines the candidates; "
                        "it cannot be invariant",
                        at=f"{at}.invariant",
                    )
                for key in ("connectivity", "rf_radius"):
                    if getattr(layer, key) is not None:
                        raise invalid(
                            f"layer 0 is the sensory layer and has no connection below; "
                            f"remove '{key}'",
                            at=f"{at}.{key}",
                        )
                continue
            layer.connectivity = layer.connectivity or "dense"
            if layer.connectivity == "local":
                if layer.rf_radius is None:
                    raise invalid("required when connectivity is 'local'", at=f"{at}.rf_radius")
                below = self.layers[i - 1].layout
                if layer.layout != below:
                    raise invalid(
                        f"a local connection needs the same layout as the layer below "
                        f"('{below}'), got '{layer.layout}'",
                        at=f"{at}.layout",
                    )
        return self


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shift(value: Any) -> int | list[int]:
    if _is_int(value) or (isinstance(value, list) and len(value) == 2 and all(map(_is_int, value))):
        return value
    if isinstance(value, list) and len(value) != 2:
        raise invalid(f"must be a list of 2 entries, got {show(value)}")
    raise invalid(f"must be an integer or a list of 2 integers, got {show(value)}")


def _channel_map(value: Any) -> str | list[int]:
    if isinstance(value, str) or (isinstance(value, list) and all(map(_is_int, value))):
        return value
    raise invalid(f"must be a string or a list of integers, got {show(value)}")


# The type of each key of a transformation spec (pcsim.groups checks the values).
_SPEC_KEYS: dict[str, Any] = {
    "by": Annotated[int | list[int], PlainValidator(_shift)],  # s on a ring, [dy, dx] on a sheet
    "axis": Literal["x", "y"],  # mirror axis of a sheet reflection
    "offset": int,  # reflection offset (the axis passes through offset / 2)
    "times": int,  # number of quarter turns
    "seed": int,  # seed of a random permutation
    # channel map: 'identity', 'mirror', 'rotate90' or the image of each channel
    "channels": Annotated[str | list[int], PlainValidator(_channel_map)],
}


class Candidate(Table):
    """A ``[[symmetry.candidates]]`` entry: a ``pcsim.groups`` transformation spec (written
    for the sensory layer's layout) and a unique ``name``; one model per kind."""

    noun: ClassVar[str] = "candidate"
    name: str

    def spec(self) -> dict[str, Any]:
        """The transformation spec with ``name``: the keys that are set."""
        return self.model_dump(exclude_none=True)


CANDIDATES: tuple[type[Candidate], ...] = tuple(
    create_model(
        f"{kind.title()}Candidate",
        __base__=Candidate,
        kind=(Literal[kind], ...),
        **{key: (_SPEC_KEYS[key] | None, None) for key in keys},
    )
    for kind, keys in SPEC_KINDS.items()
)
CandidateTable = Annotated[Union[CANDIDATES], Field(discriminator="kind")]  # noqa: UP007


class Perturbation(Table):
    """``[perturbation]``: clean scenes and their noisy and occluded versions after the
    probes (docs/model.md#56-the-perturbation-block)."""

    scenes: Count = 8  # clean scenes, each followed by its perturbed versions
    noise: list[PositiveFloat] = Field(default_factory=lambda: [0.05, 0.1, 0.2, 0.4])  # sd
    # fractions of the input hidden (a contiguous arc of a ring, band of a torus's columns)
    occlusion: list[Annotated[float, Field(gt=0, lt=1)]] = Field(
        default_factory=lambda: [0.125, 0.25, 0.5]
    )
    layer: Count = 1  # the layer whose representation is compared


class Probe(Table):
    frames: Count = 50  # held-out frames (learning frozen)
    # also probe as many stimuli centred here, where new scenes never were (see world.centres)
    novel_centres: Fractions | None = None
    # transformations probed for equivariance besides the world's own (e.g. compositions
    # the world never applies in one step); each a named transformation spec
    transformations: list[CandidateTable] = Field(default_factory=list)


class Symmetry(Table):
    lam: NonNegativeFloat = 1.0  # weight lambda of structural surprise
    # "learned": energies in units of the learned error variances; "fixed": raw
    precision: Literal[*EVIDENCE_DEFAULTS] = "learned"
    tau_precision: PositiveTime = 1 * second  # time constant of the learned variances
    # "learned": the learned variances also share each layer's precision Pi_l among its
    # units in inference and learning (needs precision = "learned"); "fixed": Pi_l
    inference_precision: Literal[*INFERENCE_PRECISIONS] = "fixed"
    beta: PositiveFloat | None = None  # inverse temperature of q (default: by precision)
    theta: PositiveFloat | None = None  # energy of the null hypothesis (default: by precision)
    tau_dev: PositiveTime = 2 * second  # developmental time constant of the prior pi
    pi_min: Annotated[float, Field(gt=0, lt=1)] = 0.05  # acceptance threshold of pi
    # rate at which each synapse relaxes towards its partners under the candidates,
    # weighted by pi (the prior acting on the weights; 0 Hz: off)
    weight_coupling: Rate = 0 * Hz
    # anneal the coupling linearly over development, from weight_coupling at the first
    # development frame to this at the last (None: constant)
    weight_coupling_end: Rate | None = None
    # integrate the coupling in every time step ("dt") or as one Euler step per frame
    # ("frame": cheaper at scale; needs weight_coupling x frame_duration <= 1)
    coupling_step: Literal[*COUPLING_STEPS] = "dt"
    evidence_weights: list[NonNegativeFloat] | None = None  # w_l per layer (default 1, 0, 0, ...)
    checkpoints: NonNegativeInt = 5  # equivariance probes during development
    probe_stimuli: Count = 8  # base stimuli per equivariance probe
    candidates: Annotated[list[CandidateTable], Field(min_length=1)]


class Run(Table):
    """What a scenario file and its ``[quick]`` table share."""

    description: str  # one line shown by `pcsim list`
    seed: NonNegativeInt = 0  # random seed (world, probes and initial weights)
    backend: Literal[*BACKENDS] = "cpp_standalone"  # Brian2 device
    simulation: Simulation = Field(default_factory=Simulation)
    world: WorldTable
    training: Training
    probe: Probe = Field(default_factory=Probe)
    monitors: Monitors = Field(default_factory=Monitors)
    symmetry: Symmetry | None = None  # the symmetry prior (None: no prior)
    oddball: Oddball | None = None  # an oddball block after the probes (None: none)
    perception: Perception | None = None  # a perception block after them (None: none)
    perturbation: Perturbation | None = None  # a perturbation block after them (None: none)


class ScenarioFile(Run):
    """A scenario file (its ``[quick]`` table aside): everything but the circuit."""

    model: str  # circuit file: a name in models/ or a path relative to the scenario


class Quick(Run):
    """A scenario's ``[quick]`` table: values used with ``--quick``."""

    circuit: Circuit


class ModelFile(Table):
    description: str | None = None  # what the circuit is
    circuit: Circuit


def _is_multiple(x: Quantity, dt: Quantity) -> bool:
    n = float(x / dt)
    return round(n) >= 1 and abs(n - round(n)) <= 1e-9 * max(n, 1.0)


#: The most units a circuit may have (all layers together).
MAX_UNITS = 10**8


class Scenario(ScenarioFile):
    """A resolved scenario: the scenario file with its model's circuit, ``[quick]`` and
    overrides merged in, its ``name`` (file stem) and ``source`` (file path)."""

    circuit: Circuit
    name: str
    source: str

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        self._check_units()
        self._check_world_size()
        self._check_timing()
        self._check_monitors()
        self._check_symmetry()
        self._check_phases()
        self._check_oddball()
        self._check_perception()
        self._check_paradigm_layers()
        return self

    def _check_paradigm_layers(self) -> None:
        """The paradigms that read a representation name a layer that has one."""
        for table in ("perception", "perturbation"):
            seen = getattr(self, table)
            if seen is not None and seen.layer >= len(self.circuit.layers):
                raise invalid(
                    f"must name a layer above the sensory one "
                    f"(1..{len(self.circuit.layers) - 1}), got {seen.layer}",
                    at=f"{table}.layer",
                )

    def _check_perception(self) -> None:
        seen = self.perception
        if seen is None:
            return
        if self.world.kind != "torus":
            raise invalid(
                f"needs a torus world (mirror patterns), got {self.world.kind!r}", "perception"
            )
        if 0.0 not in seen.proportions or len(set(seen.proportions)) != len(seen.proportions):
            raise invalid(
                f"must hold 0 (the random patterns) and no value twice, got {seen.proportions}",
                at="perception.proportions",
            )
        for i, p in enumerate(seen.proportions):
            pairs = p * seen.dots / 2
            if abs(pairs - round(pairs)) > 1e-9:
                raise invalid(
                    f"{p} of {seen.dots} dots is {pairs:g} mirror pairs, not a whole number: "
                    "choose dots so that every proportion is (e.g. 10 for steps of 0.2)",
                    at=f"perception.proportions.{i}",
                )
        h, w = self.world.shape
        free = {"x": h * (w - 2 + w % 2), "y": (h - 2 + h % 2) * w}  # cells off the axis
        most = min(free[axis] for axis in seen.axes) // 2
        if seen.dots > most:
            raise invalid(
                f"must be at most {most} on a {h} x {w} torus, got {seen.dots}", "perception.dots"
            )

    def _check_oddball(self) -> None:
        odd = self.oddball
        if odd is None:
            return
        dt = self.simulation.dt
        if not _is_multiple(odd.window, dt) or odd.window > self.world.frame_duration:
            raise invalid(
                f"must be a whole multiple of simulation.dt = {dt} and at most "
                f"world.frame_duration = {self.world.frame_duration}, got {odd.window}",
                at="oddball.window",
            )
        if "L0.eps" not in self.monitors.variables or self.monitors.interval != dt:
            raise invalid(
                "the oddball block measures the sensory errors every step: it needs "
                f'monitors.variables to hold "L0.eps" and monitors.interval = {dt} '
                "(simulation.dt)",
                at="oddball",
            )
        if not self.world.generator_specs():
            raise invalid("needs a world with steps (its first one makes the deviants)", "oddball")

    #: World keys a phase cannot change: they fix the sensory layer and the frame table.
    FIXED_WORLD_KEYS: ClassVar[tuple[str, ...]] = ("kind", "channels", "shape", "frame_duration")

    def phase_worlds(self) -> list[RingWorldTable | TorusWorldTable]:
        """The world of every ``training.phases`` entry: ``[world]`` with the phase's
        values; raises pydantic's ValidationError for a bad value."""
        return [self._phase_world(phase) for phase in self.training.phases or ()]

    def _phase_world(self, phase: TrainingPhase) -> RingWorldTable | TorusWorldTable:
        return type(self.world).model_validate({**self.world.model_dump(), **phase.world})

    def _check_phases(self) -> None:
        phases = self.training.phases
        if phases is None:
            return
        if not phases:
            raise invalid("needs at least one phase (or no phases key)", at="training.phases")
        total = sum(phase.frames for phase in phases)
        if total != self.training.frames:
            raise invalid(
                f"the phases' frames add up to {total}, but training.frames is "
                f"{self.training.frames}",
                at="training.phases",
            )
        names = [phase.name for phase in phases]
        for i, phase in enumerate(phases):
            if phase.name in names[:i]:
                raise invalid(
                    f"duplicate phase name {show(phase.name)}", f"training.phases.{i}.name"
                )
            for key in phase.world:
                if key in self.FIXED_WORLD_KEYS:
                    raise invalid(
                        f"a phase cannot change world.{key} (it fixes the sensory layer or "
                        "the frame table)",
                        at=f"training.phases.{i}.world.{key}",
                    )
            try:
                self._phase_world(phase)
            except ValidationError as error:
                where, message = problems(error, type(self.world))[0]
                raise invalid(message, at=f"training.phases.{i}.world.{where}") from None

    def _check_units(self) -> None:
        """A bound on the circuit's size, checked before anything builds per-unit arrays
        (the candidate check below builds one permutation per candidate and layer)."""
        units = sum(layer.to_layout().size for layer in self.circuit.layers)
        if units > MAX_UNITS:
            raise invalid(
                f"the circuit has {units:,} units, more than pcsim's limit of {MAX_UNITS:,} "
                f"(at about 200 bytes per unit, more than {MAX_UNITS * 200 / 1e9:.0f} GB "
                "before any synapse)",
                at="circuit.layers",
            )

    def _check_world_size(self) -> None:
        world, layer0 = self.world, self.circuit.layers[0]
        units = layer0.to_layout().size
        shape = " x ".join(str(s) for s in layer0.shape)
        size = f"the size of circuit layer 0 (shape {shape} x channels {layer0.channels} = {units})"
        if isinstance(world, RingWorld):
            if units != world.channels:
                raise invalid(f"must equal {size}, got {world.channels}", at="world.channels")
            return
        h, w = world.shape  # a torus: one pixel per sensory unit, laid out as layer 0
        if units != h * w:
            raise invalid(f"H x W must equal {size}, got {h} x {w} = {h * w}", at="world.shape")
        if layer0.layout != "torus":
            raise invalid(
                f"a torus world needs a 'torus' sensory layer, got '{layer0.layout}'",
                at="circuit.layers.0.layout",
            )
        if layer0.shape != [h, w]:
            raise invalid(
                f"must equal circuit layer 0's shape {show(layer0.shape)}, got {show(world.shape)}",
                at="world.shape",
            )

    def _check_timing(self) -> None:
        dt = self.simulation.dt
        for at, value in (
            ("world.frame_duration", self.world.frame_duration),
            ("monitors.interval", self.monitors.interval),
        ):
            if value is not None and not _is_multiple(value, dt):
                raise invalid(f"must be a whole multiple of simulation.dt = {dt}, got {value}", at)

    def _check_monitors(self) -> None:
        n = len(self.circuit.layers)
        for i, var in enumerate(self.monitors.variables):
            try:
                layer, _ = parse_monitor_name(var, n)
            except ValueError as error:
                raise invalid(str(error), at=f"monitors.variables.{i}") from None
            name = var.partition(".")[2]
            if (layer < 0 or name in ("m", "sym", "u")) and self.symmetry is None:
                raise invalid(
                    f"'{var}' needs a [symmetry] section (the symmetry prior's variable)",
                    at=f"monitors.variables.{i}",
                )
            if name == "u" and self.symmetry.precision != "learned":
                raise invalid(
                    f"'{var}' (a learned error variance) needs symmetry.precision = 'learned'",
                    at=f"monitors.variables.{i}",
                )

    def _check_symmetry(self) -> None:
        """Fill in the evidence weights; check that every candidate is a transformation of
        the sensory layout that can be carried to every layer as `pcsim.symmetry` will
        (on an invariant layer every candidate acts as the identity)."""
        sym, layers = self.symmetry, self.circuit.layers
        if sym is None:
            return
        if sym.evidence_weights is None:
            sym.evidence_weights = [1.0] + [0.0] * (len(layers) - 1)
        elif len(sym.evidence_weights) != len(layers):
            raise invalid(
                f"needs one weight per circuit layer ({len(layers)}), "
                f"got {show(sym.evidence_weights)}",
                at="symmetry.evidence_weights",
            )
        theta, beta = EVIDENCE_DEFAULTS[sym.precision]
        sym.theta = theta if sym.theta is None else sym.theta
        sym.beta = beta if sym.beta is None else sym.beta
        if sym.weight_coupling_end is not None and float(sym.weight_coupling) == 0:
            raise invalid(
                "anneals the weight coupling, but symmetry.weight_coupling is 0 Hz (off)",
                at="symmetry.weight_coupling_end",
            )
        if sym.coupling_step == "frame":
            fastest = max(float(sym.weight_coupling), float(sym.weight_coupling_end or 0))
            step = fastest * float(self.world.frame_duration)
            if step > 1:
                raise invalid(
                    "is 'frame', but one frame's coupling step, weight_coupling x "
                    f"frame_duration = {step:g}, exceeds 1 (the Euler step would overshoot "
                    "the partners): use a weaker coupling, shorter frames or 'dt'",
                    at="symmetry.coupling_step",
                )
        if sym.precision == "fixed" and "tau_precision" in sym.model_fields_set:
            raise invalid(
                "is only used with precision = 'learned' (this prior's is 'fixed')",
                at="symmetry.tau_precision",
            )
        if sym.inference_precision == "learned" and sym.precision == "fixed":
            raise invalid(
                "is 'learned', which weighs inference with the learned error variances, "
                "but symmetry.precision is 'fixed' (no variances are learned)",
                at="symmetry.inference_precision",
            )
        if sym.precision == "learned" and sym.evidence_weights[-1] != 0:
            raise invalid(
                "the top layer has no error units, so no learned variance: its weight must "
                f"be 0 with precision = 'learned', got {show(sym.evidence_weights)}",
                at="symmetry.evidence_weights",
            )
        sensory = layers[0].to_layout()
        first: dict[str, int] = {}
        for i, candidate in enumerate(sym.candidates):
            at, name = f"symmetry.candidates.{i}", candidate.name
            if name in first:
                raise invalid(
                    f"duplicate candidate name {show(name)} (already used by candidate "
                    f"{first[name]})",
                    at=f"{at}.name",
                )
            first[name] = i
            spec = {k: v for k, v in candidate.spec().items() if k != "name"}
            try:
                transformation(sensory, spec)
            except (ValueError, TypeError) as e:
                raise invalid(
                    f"candidate '{name}' is not a valid transformation: {e}", at
                ) from None
            for l, layer in enumerate(layers[1:], start=1):
                layout = layer.to_layout()
                try:
                    transformation_at(spec, sensory, layout, invariant=layer.invariant)
                except (ValueError, TypeError) as e:
                    raise invalid(
                        f"candidate '{name}' cannot be carried to circuit layer {l} "
                        f"({layout.kind} {list(layout.shape)} x {layout.channels} channels): {e}",
                        at,
                    ) from None
