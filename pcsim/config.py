"""Scenarios and circuits: TOML files -> one validated, normalised config dict.

A scenario (``scenarios/<name>.toml``) names a circuit file (``models/<name>.toml``) with its
``model`` key; the circuit's ``[circuit]`` table ends up under ``config["circuit"]``.
Everything is data (read with ``tomllib``; nothing is imported or evaluated).

The schema is declarative: ``SCENARIO`` below is a tree of ``Field``/``Table``/``TableList``
specs; adding a field or a section is one line (a ``Table(...)`` entry in ``SCENARIO.fields``).
Checks that involve several fields are plain functions in ``CHECKS`` (each raises ``Invalid``).

Every error is one ``ConfigError`` reading ``<file>: [at <key.path>] <what is wrong>``; the file
is the model file for ``circuit.…`` paths and ``--set <override>`` for overridden values.

Normalised values: quantities are brian2 Quantities, lists are lists, optional fields without a
default are None (``monitors.interval`` None = one sample per world frame; layer 0's
``connectivity`` and ``rf_radius`` are None). ``rf_radius`` is required with ``local``
connectivity and ignored (but kept) with ``dense``.

Kind-specific tables: ``[world]`` takes the keys of its ``kind`` ("ring" or "torus"), and each
``[[symmetry.candidates]]`` entry the keys its ``kind`` allows in ``pcsim.groups.SPEC_KINDS``
(a candidate's optional keys that are absent are left out of its dict, so the dict is a
``pcsim.groups`` transformation spec plus ``name``).

``[symmetry]`` is optional: ``config["symmetry"]`` is None without it (no prior). With it, its
``evidence_weights`` default to 1.0 for layer 0 and 0.0 for the other layers, and every
candidate is checked to be a valid transformation of every layer's layout.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w
from brian2.units.fundamentalunits import Quantity

from pcsim.errors import ConfigError, did_you_mean, show
from pcsim.groups import SPEC_KINDS, rescale_spec, transformation
from pcsim.layouts import KINDS as LAYOUT_KINDS
from pcsim.layouts import Layout
from pcsim.network import MONITORABLE, parse_monitor_name
from pcsim.quantities import QuantityError, format_quantity, parse

REPO_ROOT = Path(__file__).resolve().parents[1]
SCENARIOS_DIR: Path = REPO_ROOT / "scenarios"
MODELS_DIR: Path = REPO_ROOT / "models"

BACKENDS = ("numpy", "cython", "cpp_standalone", "cuda_standalone")
WORLD_KINDS = ("ring", "torus")
NONLINEARITIES = ("identity", "rectified", "tanh")
MONITOR_VARS = MONITORABLE


# --------------------------------------------------------------------------------------------
# Schema spec classes
# --------------------------------------------------------------------------------------------


class Invalid(Exception):
    """Internal: a problem at a key path (turned into a ConfigError with its file)."""

    def __init__(self, path: str, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(f"[at {path}] {problem}")


@dataclass(frozen=True)
class Field:
    """One value. ``kind``: str | int | float | bool | choice | quantity | list | either | any.

    ``default`` is written as in a TOML file (e.g. ``"1 ms"``) and normalised like user input;
    ``None`` with ``required=False`` means the field is optional and stays None.
    Bounds ``gt``/``ge``/``lt``/``le`` apply to numbers, quantities (in SI units) and to each
    list item. ``check`` gets the normalised value and returns a problem string or None.
    For lists, ``item`` is the Field spec of each entry (its name is unused). An ``either``
    field takes the first of its ``options`` (Field specs, names unused) that accepts the
    value; ``any`` accepts any value (left to ``check``).
    """

    name: str
    kind: str
    doc: str = ""
    required: bool = False
    default: Any = None
    dimension: str | None = None
    choices: tuple[str, ...] | None = None
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    item: Field | None = None
    length: int | None = None
    min_length: int | None = None
    check: Callable[[Any], str | None] | None = None
    options: tuple[Field, ...] = ()


Variants = tuple[tuple[str, tuple["Field | Table | TableList", ...]], ...]


@dataclass(frozen=True)
class Table:
    """A TOML table of fields (and sub-tables). A missing table is read as ``{}``, or as None
    when ``optional`` (an optional section: absent = off).

    Kind-specific tables: ``key`` names a ``choice`` field among ``fields`` and ``variants``
    maps each of its values to the extra fields that kind takes (``fields`` are common to
    all kinds). ``omit_missing``: optional fields without a default that are absent are left
    out of the normalised dict instead of being None.
    """

    name: str
    fields: tuple[Field | Table | TableList, ...]
    doc: str = ""
    optional: bool = False
    key: str | None = None
    variants: Variants = ()
    omit_missing: bool = False

    def get(self, name: str) -> Field | Table | TableList | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def kinds(self) -> tuple[str, ...]:
        """The values of ``key`` with their own fields (empty for a plain table)."""
        return tuple(k for k, _ in self.variants)

    def variant(self, kind: str) -> Table:
        """The plain table of one kind: the common fields, then that kind's."""
        extra = dict(self.variants)[kind]
        return Table(
            self.name, self.fields + extra, self.doc, self.optional, omit_missing=self.omit_missing
        )

    def union(self) -> Table:
        """A plain table with every kind's fields (the first spec of each name)."""
        seen: dict[str, Field | Table | TableList] = {f.name: f for f in self.fields}
        for _, extra in self.variants:
            for f in extra:
                seen.setdefault(f.name, f)
        return Table(self.name, tuple(seen.values()), self.doc, self.optional)


@dataclass(frozen=True)
class TableList:
    """An array of tables (``[[circuit.layers]]``), each checked against ``fields``."""

    name: str
    fields: tuple[Field | Table | TableList, ...]
    doc: str = ""
    required: bool = False
    min_length: int = 0
    item_name: str = "entry"
    key: str | None = None
    variants: Variants = ()
    omit_missing: bool = False

    @property
    def table(self) -> Table:
        return Table(
            self.name,
            self.fields,
            self.doc,
            key=self.key,
            variants=self.variants,
            omit_missing=self.omit_missing,
        )


# --------------------------------------------------------------------------------------------
# Field-level checks
# --------------------------------------------------------------------------------------------


def _ordered(strict: bool) -> Callable[[list], str | None]:
    def check(v: list) -> str | None:
        if strict and not v[0] < v[1]:
            return f"needs lo < hi, got {show(v)}"
        if not strict and not v[0] <= v[1]:
            return f"needs min <= max, got {show(v)}"
        return None

    return check


def _nonzero(v: int) -> str | None:
    return None if v != 0 else "must be nonzero, got 0"


def _nonzero_pair(v: list) -> str | None:
    return None if any(v) else "must not be [0, 0] (a step must move), got [0, 0]"


_MONITOR_RE = re.compile(r"^(L\d+|cand)\.(\w+)$")


def _monitor_var(v: str) -> str | None:
    m = _MONITOR_RE.match(v)
    if m is None or (m[1] != "cand" and m[2] not in MONITOR_VARS):
        allowed = "|".join(MONITOR_VARS)
        return (
            f"must be of the form 'L<layer>.<{allowed}>' (e.g. 'L0.eps') or "
            f"'cand.<q|prior|E_<layer>>', got {show(v)}"
        )
    return None


# --------------------------------------------------------------------------------------------
# The schema
# --------------------------------------------------------------------------------------------

LAYER = (
    Field("layout", "choice", "arrangement of the layer's positions", True, choices=LAYOUT_KINDS),
    Field(
        "shape",
        "list",
        "positions: [n] for a ring, [rows, cols] for a grid/torus",
        True,
        item=Field("", "int", ge=1),
        min_length=1,
    ),
    Field("channels", "int", "feature channels per position", default=1, ge=1),
    Field(
        "precision",
        "float",
        "precision (inverse variance) of this layer's errors",
        default=1.0,
        gt=0,
    ),
    Field(
        "connectivity",
        "choice",
        "connection to the layer below (not for layer 0); default 'dense'",
        choices=("dense", "local"),
    ),
    Field(
        "rf_radius",
        "float",
        "receptive-field radius of a local connection, in units of the "
        "layout's extent (required with 'local', ignored with 'dense')",
        gt=0,
    ),
    Field(
        "invariant",
        "bool",
        "the symmetry prior asks this layer to stay unchanged (trivial representation)",
        default=False,
    ),
)

CIRCUIT = Table(
    "circuit",
    (
        Field("nonlinearity", "choice", "rate function f", default="tanh", choices=NONLINEARITIES),
        Field("tau_r", "quantity", "time constant of the rate units", True, dimension="time", gt=0),
        Field("alpha", "float", "leak/prior weight", default=0.0, ge=0),
        Field("eta", "quantity", "Hebbian learning rate", True, dimension="rate", ge=0),
        Field("eta_decay", "quantity", "weight decay rate", default="0 Hz", dimension="rate", ge=0),
        Field("learning", "bool", "whether weights learn during training", default=True),
        Field(
            "init_weight_scale", "float", "scale of the random initial weights", default=0.1, ge=0
        ),
        TableList(
            "layers", LAYER, "layers, 0 = sensory", required=True, min_length=2, item_name="layer"
        ),
    ),
    "the predictive-coding circuit (from the model file)",
)

_CONTRAST = Field(
    "contrast",
    "list",
    "[lo, hi] stimulus amplitude range",
    default=[0.5, 1.0],
    item=Field("", "float", gt=0),
    length=2,
    check=_ordered(strict=False),
)
_FRAME_DURATION = Field(
    "frame_duration", "quantity", "duration of one frame", True, dimension="time", gt=0
)
_NOISE_SD = Field("noise_sd", "float", "sd of the additive input noise", default=0.05, ge=0)
_P_NEW_SCENE = Field(
    "p_new_scene", "float", "probability of a new scene per frame", default=0.2, ge=0, le=1
)


def _count_range(what: str) -> Field:
    return Field(
        what,
        "list",
        f"[min, max] number of {what} per scene",
        default=[1, 2],
        item=Field("", "int", ge=1),
        length=2,
        check=_ordered(strict=False),
    )


def _centres(what: str) -> Field:
    return Field(
        "centres",
        "list",
        f"[lo, hi] fraction of {what} for new stimulus centres",
        default=[0.0, 1.0],
        item=Field("", "float", ge=0, le=1),
        length=2,
        check=_ordered(strict=True),
    )


RING_WORLD = (
    Field("channels", "int", "number of input channels", True, ge=3),
    _FRAME_DURATION,
    _count_range("bumps"),
    Field("kappa", "float", "von Mises concentration", default=4.0, gt=0),
    _CONTRAST,
    _NOISE_SD,
    Field(
        "steps",
        "list",
        "rotations applied between frames",
        default=[1, -1],
        item=Field("", "int", check=_nonzero),
        min_length=1,
    ),
    _P_NEW_SCENE,
    _centres("the ring"),
)

TORUS_WORLD = (
    Field(
        "shape",
        "list",
        "[rows, cols] of the torus (H x W pixels)",
        True,
        item=Field("", "int", ge=3),
        length=2,
    ),
    _FRAME_DURATION,
    _count_range("bars"),
    Field(
        "orientations",
        "int",
        "bar orientations, evenly spaced over 180 degrees",
        default=4,
        ge=2,
    ),
    Field("bar_length", "float", "half-length of a bar, in pixels", default=2.5, gt=0),
    Field("bar_width", "float", "Gaussian sd across a bar, in pixels", default=0.7, gt=0),
    _CONTRAST,
    _NOISE_SD,
    Field(
        "steps",
        "list",
        "translations [dy, dx] applied between frames",
        default=[[0, 1], [1, 0], [0, -1], [-1, 0]],
        item=Field("", "list", item=Field("", "int"), length=2, check=_nonzero_pair),
        min_length=1,
    ),
    _P_NEW_SCENE,
    _centres("the width (bar centres' x coordinate)"),
)

WORLD = Table(
    "world",
    (Field("kind", "choice", "stimulus environment", True, choices=WORLD_KINDS),),
    "the stimulus environment (keys depend on its kind)",
    key="kind",
    variants=(("ring", RING_WORLD), ("torus", TORUS_WORLD)),
)


def _candidate_key(name: str) -> Field:
    """The Field spec of a transformation-spec key of pcsim.groups (values checked there)."""
    ints = Field("", "list", item=Field("", "int"), length=2)
    known = {
        "by": Field(
            "by",
            "either",
            "rotation/shift: s on a ring, [dy, dx] on a torus",
            options=(Field("", "int"), ints),
        ),
        "axis": Field("axis", "choice", "mirror axis of a sheet reflection", choices=("x", "y")),
        "offset": Field("offset", "int", "reflection offset (axis through offset / 2)"),
        "times": Field("times", "int", "number of quarter turns"),
        "seed": Field("seed", "int", "seed of a random permutation"),
        "channels": Field(
            "channels",
            "either",
            "channel map: 'identity', 'mirror', 'rotate90' or a list of channel images",
            options=(Field("", "str"), Field("", "list", item=Field("", "int", ge=0))),
        ),
    }
    return known.get(name, Field(name, "any", "checked by pcsim.groups"))


CANDIDATES = TableList(
    "candidates",
    (
        Field("name", "str", "unique name of the candidate", True),
        Field(
            "kind", "choice", "transformation kind (pcsim.groups)", True, choices=tuple(SPEC_KINDS)
        ),
    ),
    "candidate transformations t_k, written for the sensory layer's layout",
    required=True,
    min_length=1,
    item_name="candidate",
    key="kind",
    variants=tuple(
        (kind, tuple(_candidate_key(k) for k in keys)) for kind, keys in SPEC_KINDS.items()
    ),
    omit_missing=True,
)

SYMMETRY = Table(
    "symmetry",
    (
        Field("lam", "float", "weight lambda of structural surprise", default=1.0, ge=0),
        Field("beta", "float", "inverse temperature of the responsibilities", default=1000.0, gt=0),
        Field("theta", "float", "energy of the null hypothesis, per unit", default=0.01, gt=0),
        Field(
            "tau_dev",
            "quantity",
            "developmental time constant of the prior pi",
            default="2 s",
            dimension="time",
            gt=0,
        ),
        Field("pi_min", "float", "acceptance threshold of pi", default=0.05, gt=0, lt=1),
        Field(
            "weight_coupling",
            "quantity",
            "rate at which each synapse relaxes towards its partners under the candidates, "
            "weighted by pi (the prior acting on the weights; 0 Hz: off)",
            default="0 Hz",
            dimension="rate",
            ge=0,
        ),
        Field(
            "evidence_weights",
            "list",
            "w_l per circuit layer (default: 1 for layer 0, 0 for the others)",
            item=Field("", "float", ge=0),
        ),
        Field("checkpoints", "int", "equivariance probes during development", default=5, ge=0),
        Field("probe_stimuli", "int", "base stimuli per equivariance probe", default=8, ge=1),
        CANDIDATES,
    ),
    "the symmetry prior (absent: none)",
    optional=True,
)


SCENARIO = Table(
    "",
    (
        Field("description", "str", "one line shown by `pcsim list`", True),
        Field("model", "str", "circuit file: a name in models/ or a path", True),
        Field("seed", "int", "random seed", default=0, ge=0),
        Field("backend", "choice", "Brian2 device", default="cpp_standalone", choices=BACKENDS),
        Table(
            "simulation",
            (
                Field(
                    "dt",
                    "quantity",
                    "integration time step",
                    default="1 ms",
                    dimension="time",
                    gt=0,
                ),
                Field(
                    "threads",
                    "int",
                    "OpenMP threads for cpp_standalone (0 = Brian2's default)",
                    default=0,
                    ge=0,
                ),
                Field(
                    "float_dtype",
                    "choice",
                    "float type",
                    default="float64",
                    choices=("float64", "float32"),
                ),
                Field(
                    "divergence_bound",
                    "float",
                    "|value| above it counts as diverged",
                    default=1e6,
                    gt=0,
                ),
            ),
        ),
        WORLD,
        Table("training", (Field("frames", "int", "training frames", True, ge=1),)),
        Table(
            "probe",
            (
                Field("frames", "int", "held-out frames (learning frozen)", default=50, ge=1),
                Field(
                    "novel_centres",
                    "list",
                    "[lo, hi]: also probe as many stimuli centred here (positions that "
                    "development's new scenes never used; see world.centres)",
                    item=Field("", "float", ge=0, le=1),
                    length=2,
                    check=_ordered(strict=True),
                ),
            ),
        ),
        Table(
            "monitors",
            (
                Field(
                    "variables",
                    "list",
                    "recorded variables 'L<layer>.<r|eps|mu|fb>'",
                    default=["L0.eps", "L1.r"],
                    item=Field("", "str", check=_monitor_var),
                ),
                Field(
                    "interval",
                    "quantity",
                    "sampling interval (default: the frame duration)",
                    dimension="time",
                    gt=0,
                ),
            ),
        ),
        CIRCUIT,
        SYMMETRY,
    ),
)

# What a scenario file may contain: everything but the circuit (from the model file), + quick.
QUICK = Table(
    "quick", tuple(f for f in SCENARIO.fields if f.name != "model"), "values used with --quick"
)
SCENARIO_FILE = Table("", tuple(f for f in SCENARIO.fields if f.name != "circuit") + (QUICK,))
MODEL_FILE = Table("", (Field("description", "str", "what the circuit is"), CIRCUIT))
# A dumped, resolved config: the scenario with its circuit inline, plus name and source.
RESOLVED = Table(
    "",
    SCENARIO.fields
    + (Field("name", "str", "scenario name", True), Field("source", "str", "scenario file", True)),
)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def _unknown_key(key: str, allowed: Iterable[str], context: str = "") -> str:
    """``context`` (e.g. "kind = 'torus'"): always list the allowed keys, for that context."""
    allowed = list(allowed)
    hint = did_you_mean(key, allowed)
    if context:
        return (
            f"unknown key '{key}'{hint}; with {context} the allowed keys are: {', '.join(allowed)}"
        )
    if hint:
        return f"unknown key '{key}'{hint}"
    return f"unknown key '{key}'; allowed keys: {', '.join(allowed)}"


_PLURALS = {"str": "strings", "int": "integers", "float": "numbers", "bool": "booleans"}
_SINGULARS = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false"}


def _describe(f: Field) -> str:
    """What a value of ``f`` looks like ("an integer", "a list of 2 integers")."""
    if f.kind == "list" and f.item is not None:
        n = f"{f.length} " if f.length is not None else ""
        return f"a list of {n}{_PLURALS.get(f.item.kind, 'entries')}"
    if f.kind == "choice" and f.choices:
        return "one of " + ", ".join(repr(c) for c in f.choices)
    return _SINGULARS.get(f.kind, f"a {f.kind}")


def _fmt_bound(b: float) -> str:
    return f"{b:g}"


def _check_bounds(f: Field, value: Any, path: str) -> None:
    x = float(value)
    for op, bound, ok in (
        (">", f.gt, lambda a, b: a > b),
        (">=", f.ge, lambda a, b: a >= b),
        ("<", f.lt, lambda a, b: a < b),
        ("<=", f.le, lambda a, b: a <= b),
    ):
        if bound is not None and not ok(x, bound):
            raise Invalid(path, f"must be {op} {_fmt_bound(bound)}, got {show(value)}")


def _validate_field(f: Field, raw: Any, path: str) -> Any:
    kind = f.kind
    if kind == "str":
        if not isinstance(raw, str):
            raise Invalid(path, f"must be a string, got {show(raw)}")
        value = raw
    elif kind == "bool":
        if not isinstance(raw, bool):
            raise Invalid(path, f"must be true or false, got {show(raw)}")
        value = raw
    elif kind == "int":
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise Invalid(path, f"must be an integer, got {show(raw)}")
        value = raw
    elif kind == "float":
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise Invalid(path, f"must be a number, got {show(raw)}")
        value = float(raw)
        if not math.isfinite(value):
            raise Invalid(path, f"must be a finite number, got {show(raw)}")
    elif kind == "choice":
        assert f.choices is not None
        if raw not in f.choices or not isinstance(raw, str):
            options = ", ".join(repr(c) for c in f.choices)
            got = repr(raw) if isinstance(raw, str) else show(raw)
            raise Invalid(path, f"must be one of {options}, got {got}")
        value = raw
    elif kind == "quantity":
        assert f.dimension is not None
        try:
            value = parse(raw, f.dimension)
        except QuantityError as e:
            raise Invalid(path, e.problem) from None
    elif kind == "either":
        errors: list[Invalid] = []
        for option in f.options:
            try:
                value = _validate_field(option, raw, path)
                break
            except Invalid as e:
                errors.append(e)
        else:
            # a list gets the error of the list option (e.g. a wrong length or item)
            for option, e in zip(f.options, errors, strict=True):
                if isinstance(raw, (list, tuple)) and option.kind == "list":
                    raise e
            described = " or ".join(_describe(o) for o in f.options)
            raise Invalid(path, f"must be {described}, got {show(raw)}")
    elif kind == "any":
        value = copy.deepcopy(raw)
    elif kind == "list":
        assert f.item is not None
        if not isinstance(raw, (list, tuple)):
            raise Invalid(path, f"must be a list, got {show(raw)}")
        if f.length is not None and len(raw) != f.length:
            raise Invalid(path, f"must be a list of {f.length} entries, got {show(list(raw))}")
        if f.min_length is not None and len(raw) < f.min_length:
            raise Invalid(
                path,
                f"must have at least {f.min_length} entr{'y' if f.min_length == 1 else 'ies'}"
                f", got {show(list(raw))}",
            )
        value = [_validate_field(f.item, v, _join(path, i)) for i, v in enumerate(raw)]
    else:  # pragma: no cover - a schema bug
        raise AssertionError(f"unknown field kind {kind!r}")
    if kind in ("int", "float", "quantity"):
        _check_bounds(f, value, path)
    if f.check is not None:
        problem = f.check(value)
        if problem:
            raise Invalid(path, problem)
    return value


def _validate(spec: Field | Table | TableList, raw: Any, path: str, partial: bool) -> Any:
    if isinstance(spec, Field):
        return _validate_field(spec, raw, path)
    if isinstance(spec, Table):
        return _validate_table(spec, raw, path, partial)
    if not isinstance(raw, list):
        raise Invalid(path, f"must be a list of tables ([[{path}]]), got {show(raw)}")
    if len(raw) < spec.min_length:
        plural = "" if spec.min_length == 1 else "s"
        raise Invalid(
            path, f"needs at least {spec.min_length} {spec.item_name}{plural}, got {len(raw)}"
        )
    # Entries of a list are always complete (a [quick] list replaces the whole list).
    return [_validate_table(spec.table, t, _join(path, i), False) for i, t in enumerate(raw)]


def _validate_table(spec: Table, raw: Any, path: str, partial: bool) -> dict:
    if not isinstance(raw, dict):
        raise Invalid(path, f"must be a table, got {show(raw)}")
    if spec.variants:
        return _validate_variant_table(spec, raw, path, partial)
    for key in raw:
        if spec.get(key) is None:
            raise Invalid(_join(path, key), _unknown_key(key, spec.names))
    out: dict[str, Any] = {}
    for f in spec.fields:
        p = _join(path, f.name)
        if f.name in raw:
            out[f.name] = _validate(f, raw[f.name], p, partial)
        elif partial:
            continue
        elif isinstance(f, Table):
            out[f.name] = None if f.optional else _validate_table(f, {}, p, partial)
        elif isinstance(f, TableList):
            if f.required:
                raise Invalid(p, f"missing required list of tables [[{p}]]")
            out[f.name] = []
        elif f.required:
            raise Invalid(p, "missing required field")
        elif f.default is None:
            if not spec.omit_missing:
                out[f.name] = None
        else:
            out[f.name] = _validate_field(f, copy.deepcopy(f.default), p)
    return out


def _variant_of(spec: Table, raw: dict, path: str, partial: bool) -> Table | None:
    """The plain table of ``raw``'s kind; None when the kind is absent in a partial table."""
    assert spec.key is not None
    key_field = spec.get(spec.key)
    assert isinstance(key_field, Field)
    if spec.key in raw:
        kind = _validate_field(key_field, raw[spec.key], _join(path, spec.key))
    elif partial:
        return None
    elif key_field.required:
        raise Invalid(_join(path, spec.key), "missing required field")
    else:
        kind = key_field.default
    return spec.variant(kind)


def _validate_variant_table(spec: Table, raw: dict, path: str, partial: bool) -> dict:
    concrete = _variant_of(spec, raw, path, partial)
    if concrete is not None:
        for key in raw:
            if concrete.get(key) is None:
                context = f"{spec.key} = {show(raw[spec.key])}"
                raise Invalid(_join(path, key), _unknown_key(key, concrete.names, context))
        return _validate_table(concrete, raw, path, partial)
    # A partial table without its kind (e.g. [quick.world]): each key must suit some kind.
    union = spec.union()
    out: dict[str, Any] = {}
    for key, value in raw.items():
        specs = [spec.get(key)] if spec.get(key) is not None else []
        specs += [f for _, extra in spec.variants for f in extra if f.name == key]
        if not specs:
            raise Invalid(_join(path, key), _unknown_key(key, union.names))
        errors: list[Invalid] = []
        for f in [f for i, f in enumerate(specs) if all(f is not g for g in specs[:i])]:
            try:
                out[key] = _validate(f, value, _join(path, key), partial)
                break
            except Invalid as e:
                errors.append(e)
        else:
            raise errors[0]
    return out


# --------------------------------------------------------------------------------------------
# Cross-field checks (each gets the normalised config, may fill in derived defaults)
# --------------------------------------------------------------------------------------------


def _is_multiple(x: Quantity, dt: Quantity) -> bool:
    n = float(x / dt)
    return round(n) >= 1 and abs(n - round(n)) <= 1e-9 * max(n, 1.0)


def _check_layers(cfg: dict) -> None:
    layers = cfg["circuit"]["layers"]
    for i, layer in enumerate(layers):
        p = f"circuit.layers.{i}"
        want = 1 if layer["layout"] == "ring" else 2
        if len(layer["shape"]) != want:
            raise Invalid(
                f"{p}.shape",
                f"a {layer['layout']} layout needs {want} size{'s' if want > 1 else ''} "
                f"({'[n]' if want == 1 else '[rows, cols]'}), got {show(layer['shape'])}",
            )
        if i == 0:
            for key in ("connectivity", "rf_radius"):
                if layer[key] is not None:
                    raise Invalid(
                        f"{p}.{key}",
                        f"layer 0 is the sensory layer and has no connection below; remove '{key}'",
                    )
            continue
        if layer["connectivity"] is None:
            layer["connectivity"] = "dense"
        if layer["connectivity"] == "local":
            if layer["rf_radius"] is None:
                raise Invalid(f"{p}.rf_radius", "required when connectivity is 'local'")
            below = layers[i - 1]["layout"]
            if layer["layout"] != below:
                raise Invalid(
                    f"{p}.layout",
                    f"a local connection needs the same layout as the layer below "
                    f"('{below}'), got '{layer['layout']}'",
                )


def _check_world_size(cfg: dict) -> None:
    world = cfg["world"]
    layer0 = cfg["circuit"]["layers"][0]
    units = math.prod(layer0["shape"]) * layer0["channels"]
    shape = " x ".join(str(s) for s in layer0["shape"])
    size = f"the size of circuit layer 0 (shape {shape} x channels {layer0['channels']} = {units})"
    if world["kind"] == "ring":
        if units != world["channels"]:
            raise Invalid("world.channels", f"must equal {size}, got {world['channels']}")
        return
    # torus: one pixel per sensory unit, laid out as layer 0
    h, w = world["shape"]
    if units != h * w:
        raise Invalid("world.shape", f"H x W must equal {size}, got {h} x {w} = {h * w}")
    if layer0["layout"] != "torus":
        raise Invalid(
            "circuit.layers.0.layout",
            f"a torus world needs a 'torus' sensory layer, got '{layer0['layout']}'",
        )
    if list(layer0["shape"]) != [h, w]:
        raise Invalid(
            "world.shape",
            f"must equal circuit layer 0's shape [{shape.replace(' x', ',')}], "
            f"got {show(world['shape'])}",
        )


def _layout(layer: dict) -> Layout:
    return Layout(layer["layout"], tuple(layer["shape"]), layer["channels"])


def _check_symmetry(cfg: dict) -> None:
    sym = cfg.get("symmetry")
    if sym is None:
        return
    layers = cfg["circuit"]["layers"]
    n = len(layers)
    if sym["evidence_weights"] is None:
        sym["evidence_weights"] = [1.0] + [0.0] * (n - 1)
    elif len(sym["evidence_weights"]) != n:
        raise Invalid(
            "symmetry.evidence_weights",
            f"needs one weight per circuit layer ({n}), got {show(sym['evidence_weights'])}",
        )
    layouts = [_layout(layer) for layer in layers]
    seen: dict[str, int] = {}
    for i, cand in enumerate(sym["candidates"]):
        p = f"symmetry.candidates.{i}"
        if cand["name"] in seen:
            raise Invalid(
                f"{p}.name",
                f"duplicate candidate name {show(cand['name'])} "
                f"(already used by candidate {seen[cand['name']]})",
            )
        seen[cand["name"]] = i
        spec = {k: v for k, v in cand.items() if k != "name"}
        try:
            transformation(layouts[0], spec)
        except (ValueError, TypeError) as e:
            raise Invalid(
                p, f"candidate '{cand['name']}' is not a valid transformation: {e}"
            ) from None
        for l, layout in enumerate(layouts[1:], start=1):
            if layers[l]["invariant"]:  # the identity there: nothing to carry
                continue
            try:
                transformation(layout, rescale_spec(spec, layouts[0], layout))
            except (ValueError, TypeError) as e:
                raise Invalid(
                    p,
                    f"candidate '{cand['name']}' cannot be carried to circuit layer {l} "
                    f"({layout.kind} {list(layout.shape)} x {layout.channels} channels): {e}",
                ) from None


def _check_timing(cfg: dict) -> None:
    dt = cfg["simulation"]["dt"]
    for path, value in (
        ("world.frame_duration", cfg["world"]["frame_duration"]),
        ("monitors.interval", cfg["monitors"]["interval"]),
    ):
        if value is not None and not _is_multiple(value, dt):
            raise Invalid(path, f"must be a whole multiple of simulation.dt = {dt}, got {value}")


def _check_monitors(cfg: dict) -> None:
    n = len(cfg["circuit"]["layers"])
    for i, var in enumerate(cfg["monitors"]["variables"]):
        try:
            layer, _ = parse_monitor_name(var, n)
        except ValueError as error:
            raise Invalid(f"monitors.variables.{i}", str(error)) from None
        if layer < 0 and cfg.get("symmetry") is None:
            raise Invalid(
                f"monitors.variables.{i}", f"'{var}' needs a [symmetry] section (no candidates)"
            )


CHECKS: list[Callable[[dict], None]] = [
    _check_layers,
    _check_world_size,
    _check_timing,
    _check_monitors,
    _check_symmetry,
]


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def _display(path: Path) -> str:
    """The path relative to the working directory when it is below it, else as given."""
    path = Path(path)
    if path.is_absolute():
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            try:
                return str(path.resolve().relative_to(Path.cwd().resolve()))
            except ValueError:
                return str(path)
    return str(path)


def _read_toml(path: Path) -> dict:
    shown = _display(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read file: {e.strerror or e}", source=shown) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"invalid TOML: {e}", source=shown) from None


def _names_in(directory: Path) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.toml"))


def _looks_like_path(text: str) -> bool:
    return text.endswith(".toml") or "/" in text or "\\" in text


def list_scenarios() -> list[tuple[str, str]]:
    """(name, description) of every ``scenarios/*.toml``, sorted by name."""
    out = []
    for p in sorted(SCENARIOS_DIR.glob("*.toml")):
        try:
            desc = tomllib.loads(p.read_text(encoding="utf-8")).get("description", "")
        except (OSError, tomllib.TOMLDecodeError) as e:
            desc = f"(unreadable: {e})"
        out.append((p.stem, str(desc)))
    return out


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A scenario name (``ring`` -> ``scenarios/ring.toml``) or a path to a ``.toml`` file."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or _looks_like_path(text):
        path = Path(text)
        if not path.is_file():
            raise ConfigError("no such scenario file", source=text)
        return path
    path = SCENARIOS_DIR / f"{text}.toml"
    if path.is_file():
        return path
    known = _names_in(SCENARIOS_DIR)
    raise ConfigError(
        f"unknown scenario '{text}'{did_you_mean(text, known)}; "
        f"known scenarios: {', '.join(known) or '(none)'}"
    )


def _resolve_model_path(model: str, scenario_path: Path, source: str) -> Path:
    if not _looks_like_path(model):
        path = MODELS_DIR / f"{model}.toml"
        if path.is_file():
            return path
        local = scenario_path.parent / model
        if local.is_file():
            return local
        known = _names_in(MODELS_DIR)
        raise ConfigError(
            f"unknown model '{model}'{did_you_mean(model, known)}; "
            f"known models: {', '.join(known) or '(none)'}",
            path="model",
            source=source,
        )
    path = Path(model)
    if not path.is_absolute():
        path = scenario_path.parent / path
    if not path.is_file():
        raise ConfigError(f"no such model file: {_display(path)}", path="model", source=source)
    return path


# --------------------------------------------------------------------------------------------
# Merging and overrides
# --------------------------------------------------------------------------------------------


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _leaf_paths(d: dict, prefix: str = "") -> list[str]:
    out = []
    for k, v in d.items():
        p = _join(prefix, k)
        out.extend(_leaf_paths(v, p) if isinstance(v, dict) else [p])
    return out


def _parse_override_value(text: str) -> Any:
    try:
        parsed = tomllib.loads("v = " + text)
    except tomllib.TOMLDecodeError:
        return text
    return parsed["v"] if list(parsed) == ["v"] else text


def _apply_override(raw: dict, text: str, spec: Table) -> str:
    """Apply one ``key.path=value`` to ``raw`` (in place); return the key path."""
    if "=" not in text:
        raise ConfigError("an override must read key.path=value", source=f"--set {text}")
    key, _, value_text = text.partition("=")
    key = key.strip()
    value = _parse_override_value(value_text.strip())

    def fail(path: str, problem: str) -> ConfigError:
        return ConfigError(problem, path=path, source=f"--set {text}")

    parts = key.split(".")
    if not key or any(not p for p in parts):
        raise fail(key, "empty key in override")
    if parts[0] == "quick":
        raise fail("quick", "overrides apply after --quick; set the key itself (training.frames=5)")
    node: Any = raw
    node_spec: Field | Table | TableList = spec
    for i, part in enumerate(parts):
        path = ".".join(parts[: i + 1])
        last = i == len(parts) - 1
        context = ""
        if isinstance(node_spec, Table) and node_spec.variants:
            kind = node.get(node_spec.key) if isinstance(node, dict) else None
            if kind in node_spec.kinds:
                context = f"{node_spec.key} = {show(kind)}"
                node_spec = node_spec.variant(kind)
            else:
                node_spec = node_spec.union()
        if isinstance(node_spec, Table):
            child = node_spec.get(part)
            if child is None:
                raise fail(path, _unknown_key(part, node_spec.names, context))
            if not isinstance(node, dict):
                raise fail(".".join(parts[:i]), f"is not a table, got {show(node)}")
            if last:
                node[part] = value
                break
            if isinstance(child, Table):
                node = node.setdefault(part, {})
            elif isinstance(child, TableList):
                node = node.get(part)
                if not isinstance(node, list):
                    raise fail(path, "there is no list of tables here to index into")
            elif child.kind == "list":
                if part not in node:
                    node[part] = copy.deepcopy(child.default) if child.default else []
                node = node[part]
            else:
                raise fail(path, f"'{part}' is a single value and has no key '{parts[i + 1]}'")
            node_spec = child
        else:  # a list (of tables, or a list field): the part is an index
            if not part.isdigit():
                raise fail(path, f"'{part}' is not a list index (0, 1, ...)")
            idx = int(part)
            if not isinstance(node, list) or idx >= len(node):
                n = len(node) if isinstance(node, list) else 0
                raise fail(path, f"index {idx} is out of range (the list has {n} entries)")
            if last:
                node[idx] = value
                break
            if isinstance(node_spec, TableList):
                node = node[idx]
                node_spec = node_spec.table
            else:
                raise fail(path, f"list entry {idx} is a single value and has no sub-keys")
    return key


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


class _Sources:
    """Which file (or override) a key path came from: the latest matching prefix wins."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, str]] = []

    def add(self, prefix: str, source: str) -> None:
        self._entries.append((prefix, source))

    def __call__(self, path: str) -> str:
        for prefix, source in reversed(self._entries):
            if not prefix or path == prefix or path.startswith(prefix + "."):
                return source
        return ""


def _run(spec: Table, raw: Any, prefix: str, partial: bool, sources: Callable[[str], str]) -> dict:
    try:
        cfg = _validate_table(spec, raw, prefix, partial)
        if not partial:
            for check in CHECKS:
                check(cfg)
    except Invalid as e:
        raise ConfigError(e.problem, path=e.path, source=sources(e.path)) from None
    return cfg


def _with_kinds(quick_raw: Any, raw: dict) -> Any:
    """``quick_raw`` where its kind-specific tables (``[quick.world]``) that do not set their
    kind take the scenario's, so that their keys are checked for that kind."""
    if not isinstance(quick_raw, dict):
        return quick_raw
    out = dict(quick_raw)
    for spec in QUICK.fields:
        if isinstance(spec, Table) and spec.key and isinstance(out.get(spec.name), dict):
            base = raw.get(spec.name)
            if spec.key not in out[spec.name] and isinstance(base, dict) and spec.key in base:
                out[spec.name] = {spec.key: base[spec.key], **out[spec.name]}
    return out


def load_scenario(
    name_or_path: str | Path, *, overrides: Sequence[str] = (), quick: bool = False
) -> dict:
    """Read, merge (model, ``[quick]``, ``--set`` overrides) and validate a scenario.

    Returns the normalised config (see the module docstring) with ``name`` (file stem) and
    ``source`` (scenario path) added. Raises ConfigError on any problem.
    """
    path = resolve_scenario_path(name_or_path)
    shown = _display(path)
    raw = _read_toml(path)
    sources = _Sources()
    sources.add("", shown)

    if "circuit" in raw:
        raise ConfigError(
            "a scenario takes its circuit from the model file named by 'model'; move [circuit] "
            "there (or use [quick.circuit] / --set circuit.…)",
            path="circuit",
            source=shown,
        )
    quick_raw = raw.pop("quick", None)
    # Check the scenario's own keys before looking at the model file.
    _run(SCENARIO_FILE, raw, "", True, sources)
    if quick_raw is not None:
        _run(QUICK, _with_kinds(quick_raw, raw), "quick", True, sources)
    if "model" not in raw:
        raise ConfigError("missing required field", path="model", source=shown)

    model_path = _resolve_model_path(raw["model"], path, shown)
    model_shown = _display(model_path)
    model_raw = _read_toml(model_path)
    _run(MODEL_FILE, model_raw, "", True, lambda p: model_shown)
    if "circuit" not in model_raw:
        raise ConfigError("missing required table [circuit]", path="circuit", source=model_shown)
    raw["circuit"] = model_raw["circuit"]
    sources.add("circuit", model_shown)

    if quick and quick_raw:
        raw = _deep_merge(raw, quick_raw)
        for leaf in _leaf_paths(quick_raw):
            sources.add(leaf, shown)

    for text in overrides:
        key = _apply_override(raw, text, SCENARIO)
        sources.add(key, f"--set {text}")

    cfg = _run(SCENARIO, raw, "", False, sources)
    cfg["name"] = path.stem
    cfg["source"] = str(path)
    return cfg


def parse_quantity(value: Any, dimension: str, *, path: str = "", source: str = "") -> Quantity:
    """Parse ``"10 ms"``-style ``value`` as a brian2 Quantity of ``dimension`` ("time", "rate").

    Raises ConfigError (with ``path``/``source`` in its message) on a bare number, an unknown
    unit or the wrong dimension.
    """
    try:
        return parse(value, dimension)
    except QuantityError as e:
        raise ConfigError(e.problem, path=path, source=source) from None


def _to_toml(value: Any) -> Any:
    if isinstance(value, Quantity):
        return format_quantity(value)
    if isinstance(value, dict):
        return {k: _to_toml(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_to_toml(v) for v in value]
    return value


def dump_toml(config: dict) -> str:
    """A normalised config as TOML text (quantities as "10.0 ms"); ``load_resolved`` reads it."""
    header = (
        "# Resolved pcsim configuration (scenario + circuit + defaults + overrides).\n"
        "# Re-load with pcsim.config.load_resolved().\n\n"
    )
    return header + tomli_w.dumps(_to_toml(config))


def load_resolved(path: Path | str) -> dict:
    """Load a config written by ``dump_toml`` and validate it with the same schema."""
    shown = _display(Path(path))
    raw = _read_toml(Path(path))
    return _run(RESOLVED, raw, "", False, lambda p: shown)


__all__ = [
    "CHECKS",
    "CIRCUIT",
    "MODELS_DIR",
    "SCENARIO",
    "SCENARIOS_DIR",
    "Field",
    "Invalid",
    "Table",
    "TableList",
    "dump_toml",
    "list_scenarios",
    "load_resolved",
    "load_scenario",
    "parse_quantity",
    "resolve_scenario_path",
]
