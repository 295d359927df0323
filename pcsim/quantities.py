"""Physical quantities written as strings with units ("10 ms", "0.5 Hz") <-> brian2 Quantities.

Only the units in ``UNITS`` are accepted, each taken from a brian2 unit object; nothing is
evaluated. To allow a new dimension add one line to ``DIMENSIONS`` (and its units to ``UNITS``).
In a pydantic model a quantity field reads ``Annotated[Quantity, Dimensioned("time", gt=0)]``.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from typing import Any

import brian2
import brian2.units as _b2units
from brian2.units.fundamentalunits import Quantity, Unit
from pydantic import GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from pcsim.errors import show

# Whitelist: the unit names a config file may use, each a brian2 unit object.
UNITS: dict[str, Unit] = {
    "s": brian2.second,
    "second": brian2.second,
    "ms": brian2.ms,
    "msecond": brian2.msecond,
    "us": brian2.us,
    "usecond": brian2.usecond,
    "ns": brian2.nsecond,  # brian2 exports no `ns` (clash with nanosiemens)
    "nsecond": brian2.nsecond,
    "Hz": brian2.Hz,
    "hertz": brian2.hertz,
    "kHz": brian2.kHz,
    "khertz": brian2.khertz,
}


@dataclass(frozen=True)
class Dimension:
    """A physical dimension a config field may have."""

    name: str  # "time"
    unit: Unit  # its SI unit (brian2.second)
    example: str  # what to write, e.g. "10 ms"
    display: tuple[str, ...]  # units (names in UNITS) used when writing values back, largest first


DIMENSIONS: dict[str, Dimension] = {
    "time": Dimension("time", brian2.second, "10 ms", ("s", "ms", "us", "ns")),
    "rate": Dimension("rate", brian2.Hz, "0.5 Hz", ("kHz", "Hz")),
}

# A number (also "nan" and "inf", which are then refused as not finite) and a unit name.
_QUANTITY_RE = re.compile(
    r"^\s*(?P<num>[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|(?i:nan|inf(?:inity)?)\b))"
    r"\s*(?P<unit>[A-Za-z_]\w*)?\s*$"
)


class QuantityError(ValueError):
    """A quantity string could not be parsed; ``problem`` says why (no file or path)."""

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__(problem)


def _unit_dimension_name(unit: Unit | Quantity) -> str:
    for dim in DIMENSIONS.values():
        if unit.dim == dim.unit.dim:
            return dim.name
    return f"quantity in {brian2.get_unit(unit.dim)}"


def _expected(dim: Dimension) -> str:
    allowed = ", ".join(n for n, u in UNITS.items() if u.dim == dim.unit.dim)
    return f'must be a {dim.name} (in units of {dim.unit}: {allowed}; e.g. "{dim.example}")'


def parse(value: object, dimension: str) -> Quantity:
    """Parse ``value`` ("10 ms", or a brian2 Quantity) as a quantity of ``dimension``.

    Raises QuantityError with a message that names the expected dimension or the allowed units.
    """
    dim = DIMENSIONS[dimension]
    if isinstance(value, Quantity) and not isinstance(value, Unit):
        q = value
        if q.dim != dim.unit.dim:
            raise QuantityError(f"{_expected(dim)}, got {q} (a {_unit_dimension_name(q)})")
    else:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise QuantityError(f"{_expected(dim)}, got {show(value)}")
        if isinstance(value, (int, float)):
            raise QuantityError(f'needs a unit, e.g. "{dim.example}", got {show(value)}')
        m = _QUANTITY_RE.match(value)
        if m is None:
            raise QuantityError(
                f'must be a number followed by a unit, e.g. "{dim.example}", got {show(value)}'
            )
        number, unit_name = float(m["num"]), m["unit"]
        if unit_name is None:
            raise QuantityError(f'needs a unit, e.g. "{dim.example}", got {show(value)}')
        unit = UNITS.get(unit_name)
        if unit is None:
            other = getattr(_b2units, unit_name, None) if unit_name in _b2units.__all__ else None
            if isinstance(other, Unit) and other.dim != dim.unit.dim:
                raise QuantityError(
                    f"{_expected(dim)}, got {show(value)} (a {_unit_dimension_name(other)})"
                )
            allowed = ", ".join(UNITS)
            raise QuantityError(
                f"unknown unit '{unit_name}' in {show(value)}; allowed units: {allowed}"
            )
        if unit.dim != dim.unit.dim:
            raise QuantityError(
                f"{_expected(dim)}, got {show(value)} (a {_unit_dimension_name(unit)})"
            )
        q = number * unit
    if not math.isfinite(float(q)):
        raise QuantityError(f"must be finite, got {show(value)}")
    return q


def dimension_of(q: Quantity) -> str | None:
    """The name in DIMENSIONS of ``q``'s dimension, or None."""
    for dim in DIMENSIONS.values():
        if q.dim == dim.unit.dim:
            return dim.name
    return None


def format_quantity(q: Quantity, dimension: str | None = None) -> str:
    """``q`` as a string that ``parse`` turns back into exactly the same value ("10.0 ms")."""
    dimension = dimension or dimension_of(q)
    if dimension is None:
        raise ValueError(f"no config dimension for {q!r}")
    dim = DIMENSIONS[dimension]
    v = float(q)
    names = list(dim.display)
    # Prefer the largest unit in which |v| >= 1 (e.g. 0.01 s -> 10 ms), then the others.
    first = next(
        (n for n in names if v != 0 and abs(v) >= float(UNITS[n]) * (1 - 1e-12)),
        names[-1] if v != 0 else names[min(1, len(names) - 1)],
    )
    for name in [first, *names]:
        scale = float(UNITS[name])
        text = repr(v / scale)
        if float(text) * scale == v:
            return f"{text} {name}"
    return f"{v!r} {[n for n, u in UNITS.items() if float(u) == 1.0 and u.dim == dim.unit.dim][0]}"


@dataclass(frozen=True)
class Dimensioned:
    """Pydantic metadata of a quantity field: its ``dimension`` (a name in DIMENSIONS) and
    optional bounds ``gt``/``ge`` in SI units. Validates with `parse` (the field takes a
    string such as "10 ms" or a Quantity) and serialises with `format_quantity`."""

    dimension: str
    gt: float | None = None
    ge: float | None = None

    def validate(self, value: object) -> Quantity:
        """The parsed quantity; raises PydanticCustomError with the parser's message."""
        try:
            q = parse(value, self.dimension)
        except QuantityError as e:
            raise PydanticCustomError("quantity", "{problem}", {"problem": e.problem}) from None
        for op, bound, holds in ((">", self.gt, operator.gt), (">=", self.ge, operator.ge)):
            if bound is not None and not holds(float(q), bound):
                raise PydanticCustomError(
                    "quantity", "{problem}", {"problem": f"must be {op} {bound:g}, got {q}"}
                )
        return q

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self.validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda q: format_quantity(q, self.dimension), when_used="json"
            ),
        )
