"""Pydantic building blocks of pcsim's schemas (the worlds and the scenario files).

`Table` is the base model: unknown keys are errors, values are not coerced (an integer
field refuses ``true`` and ``2.0``, a number field ``"2"``), numbers must be finite.
`pair` makes ``[lo, hi]``-style pair types, `Count` is an integer >= 1; `invalid` is the
error a validator raises.
`problems` turns a pydantic ``ValidationError`` into pcsim's messages: one
``(key path, message)`` per problem, the path dotted as in a file (``world.steps.0``).
"""

from __future__ import annotations

import operator
import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError

from pcsim.errors import did_you_mean, show


class Table(BaseModel):
    """A table of a pcsim file: every key declared, no coercion, finite numbers.

    ``noun`` names one table of a list of them in messages ("needs at least 2 layers")."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    noun: ClassVar[str] = "table"


# How many of something: at least one (frames, channels, bumps per scene, ...).
Count = Annotated[int, Field(ge=1)]


def invalid(problem: str, at: str = "") -> PydanticCustomError:
    """The error a validator raises: ``problem`` at key path ``at`` (relative to the value
    validated, e.g. ``"shape"`` from a table's validator; ``""``: the value itself)."""
    return PydanticCustomError("invalid", "{problem}", {"problem": problem, "at": at})


def _two(value: Any) -> Any:
    if isinstance(value, list | tuple) and len(value) != 2:
        raise invalid(f"must be a list of 2 entries, got {show(value)}")
    return value


_ORDERS = {"<": ("lo < hi", operator.lt), "<=": ("min <= max", operator.le)}


def pair(item: Any, order: str | None = None) -> Any:
    """The type of a pair of ``item`` written as a 2-entry list and held as a tuple;
    ``order`` "<" or "<=" requires ``first order second``."""
    checks: list[Any] = [Strict(False), BeforeValidator(_two)]
    if order is not None:
        what, holds = _ORDERS[order]

        def ordered(value: tuple) -> tuple:
            if not holds(value[0], value[1]):
                raise invalid(f"needs {what}, got {show(value)}")
            return value

        checks.append(AfterValidator(ordered))
    return Annotated[tuple[item, item], *checks]


# --------------------------------------------------------------------------------------------
# ValidationError -> (key path, message)
# --------------------------------------------------------------------------------------------


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _unwrap(tp: Any) -> tuple[Any, str | None]:
    """``tp`` without ``Annotated`` and ``| None``, and the discriminator met on the way."""
    discriminator = None
    while True:
        if get_origin(tp) is Annotated:
            tp, *metadata = get_args(tp)
            for m in metadata:
                discriminator = getattr(m, "discriminator", None) or discriminator
        elif _is_union(tp) and type(None) in get_args(tp) and len(get_args(tp)) == 2:
            tp = next(a for a in get_args(tp) if a is not type(None))
        else:
            return tp, discriminator


def _members(tp: Any) -> list[type[BaseModel]]:
    """The models of a union of models (or the model itself)."""
    return [m for m in (get_args(tp) if _is_union(tp) else (tp,)) if _is_model(m)]


def _member(union: Any, discriminator: str, tag: Any) -> type[BaseModel] | None:
    """The model of a discriminated ``union`` whose ``discriminator`` is ``tag``."""
    for m in _members(union):
        if tag in get_args(m.model_fields[discriminator].annotation):
            return m
    return None


@dataclass
class _Spot:
    """Where a key path points: the dotted ``path`` (union tags left out), the ``owner``
    table of its last key (with ``context`` 'kind = "ring"' when the owner was chosen by a
    kind), the ``field`` of that key and the unwrapped ``annotation`` of the value there
    (None: unknown)."""

    path: str
    owner: type[BaseModel] | None
    context: str
    field: FieldInfo | None
    annotation: Any


def _locate(model: type[BaseModel], loc: Sequence[int | str], raw: Any = None) -> _Spot:
    """Follow ``loc`` (a pydantic error's, with the tag of each kind-specific table) from
    ``model``; with ``raw`` (the data validated) ``loc`` holds no tags and each kind is
    read from ``raw``."""
    parts: list[str] = []
    owner, owner_context, context, field = None, "", "", None
    tp: Any = model
    discriminator: str | None = None
    tags_in_loc = raw is None
    for part in loc:
        tp, found = _unwrap(tp)
        discriminator = found or discriminator
        if discriminator and _is_union(tp):
            tag = part if tags_in_loc else raw.get(discriminator) if isinstance(raw, dict) else None
            tp, context = _member(tp, discriminator, tag), f"{discriminator} = {show(tag)}"
            discriminator = None
            if tags_in_loc:
                continue
        parts.append(str(part))
        field = None
        if _is_model(tp):
            owner, owner_context = tp, context
            field = tp.model_fields.get(str(part))
            tp, discriminator = (field.annotation, field.discriminator) if field else (None, None)
        elif get_origin(tp) in (list, tuple) and isinstance(part, int):
            args = get_args(tp)
            tp = args[0] if len(args) == 1 or args[1] is Ellipsis else args[part]
            discriminator = None
        else:
            tp, discriminator = None, None
        context = ""
        raw = raw.get(part) if isinstance(raw, dict) else None
    return _Spot(".".join(parts), owner, owner_context, field, _unwrap(tp)[0])


def default_at(model: type[BaseModel], keys: Sequence[str], raw: dict) -> Any:
    """What to create for an absent value at key path ``keys`` (table keys) of ``raw``, the
    data of ``model``: a copy of the field's default if it is a list (tuples as lists), else
    an empty table."""
    field = _locate(model, keys, raw).field
    default = field.get_default(call_default_factory=True) if field else None
    return _as_lists(default) if isinstance(default, list | tuple) else {}


def _as_lists(value: Any) -> Any:
    return [_as_lists(v) for v in value] if isinstance(value, list | tuple) else value


def _tables_of(tp: Any) -> list[type[BaseModel]]:
    """The table models of a list-of-tables type (``list[Layer]``), else []."""
    if get_origin(tp) is not list:
        return []
    return _members(_unwrap(get_args(tp)[0])[0])


def unknown_key(key: str, allowed: list[str], context: str = "") -> str:
    """The message for an unknown ``key`` among ``allowed``; with a ``context`` ('kind =
    "torus"') the allowed keys are always listed, else only when nothing is close."""
    hint = did_you_mean(key, allowed)
    if context:
        return (
            f"unknown key '{key}'{hint}; with {context} the allowed keys are: {', '.join(allowed)}"
        )
    if hint:
        return f"unknown key '{key}'{hint}"
    return f"unknown key '{key}'; allowed keys: {', '.join(allowed)}"


def _choice(value: Any) -> str:
    return repr(value) if isinstance(value, str) else show(value)


_BOUNDS = {
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
}
_EXPECTED = {
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "tuple_type": "a list",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "dict_type": "a table",
}


def _explain(error: ErrorDetails, model: type[BaseModel]) -> tuple[str, str]:
    kind, value, ctx = error["type"], error["input"], error.get("ctx", {})
    spot = _locate(model, error["loc"])
    path, tp = spot.path, spot.annotation

    def at(key: str) -> str:
        return f"{path}.{key}" if path and key else path or key

    tables = _tables_of(tp)
    if kind == "extra_forbidden":
        assert spot.owner is not None
        key = str(error["loc"][-1])
        return path, unknown_key(key, list(spot.owner.model_fields), spot.context)
    if kind in ("union_tag_not_found", "union_tag_invalid"):
        key = ctx["discriminator"].strip("'")
        if kind == "union_tag_not_found":
            return at(key), "missing required field"
        return at(key), f"must be one of {ctx['expected_tags']}, got {_choice(value[key])}"
    if "problem" in ctx:  # raised by a validator of pcsim (see `invalid`)
        return at(ctx.get("at", "")), ctx["problem"]
    if kind == "missing":
        if _members(tp):
            return path, f"missing required table [{path}]"
        if tables:
            return path, f"missing required list of tables [[{path}]]"
        return path, "missing required field"
    if kind == "literal_error":
        return path, f"must be one of {', '.join(map(repr, get_args(tp)))}, got {_choice(value)}"
    if kind in _BOUNDS:
        op, name = _BOUNDS[kind]
        return path, f"must be {op} {ctx[name]:g}, got {show(value)}"
    if kind == "finite_number":
        return path, f"must be a finite number, got {show(value)}"
    if kind == "too_short":
        n = ctx["min_length"]
        if tables:
            noun = tables[0].noun + ("" if n == 1 else "s")
            return path, f"needs at least {n} {noun}, got {ctx['actual_length']}"
        return path, f"must have at least {n} entr{'y' if n == 1 else 'ies'}, got {show(value)}"
    if kind == "list_type" and tables:
        return path, f"must be a list of tables ([[{path}]]), got {show(value)}"
    if kind in _EXPECTED:
        return path, f"must be {_EXPECTED[kind]}, got {show(value)}"
    return path, error["msg"]


_NOT_PROBLEMS_WHEN_PARTIAL = ("missing", "union_tag_not_found")


def problems(
    error: ValidationError, model: type[BaseModel], *, partial: bool = False
) -> list[tuple[str, str]]:
    """``(key path, message)`` of each problem pydantic found validating ``model``; unknown
    keys first (a misspelled key is also a missing one). ``partial``: a table that other
    files complete, so missing keys are not problems."""
    errors = [
        e for e in error.errors() if not (partial and e["type"] in _NOT_PROBLEMS_WHEN_PARTIAL)
    ]
    errors.sort(key=lambda e: e["type"] != "extra_forbidden")
    return [_explain(e, model) for e in errors]
