"""Scenario files -> one validated `Scenario`: reading, merging, overrides, writing back.

A scenario (``scenarios/<name>.toml``) names a circuit file (``models/<name>.toml``) with its
``model`` key; the circuit's ``[circuit]`` table becomes ``Scenario.circuit``. Everything is
data (read with ``tomllib``; nothing is imported or evaluated). Each file is checked on its
own first (missing keys allowed: another file or an override may supply them), then the
merged whole. Every error is one ``ConfigError`` reading ``<file>: [at <key.path>] <what is
wrong>``; the file is the one the key came from: the model file for ``circuit.…``, the
scenario for ``[quick]`` values, ``--set <override>`` for an override (also for a problem of
a table that an override changed, such as a candidate).
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w
from brian2.units.fundamentalunits import Quantity
from pydantic import ValidationError

from pcsim.config.schema import ModelFile, Quick, Scenario, ScenarioFile
from pcsim.errors import ConfigError, did_you_mean, show
from pcsim.quantities import QuantityError, parse
from pcsim.validation import Table, default_at, problems

#: The shipped scenarios and circuits: package data of pcsim (the repository's top-level
#: ``scenarios/`` and ``models/`` folders, installed as ``pcsim.scenarios`` and
#: ``pcsim.models``).
SCENARIOS_DIR: Path = Path(str(resources.files("pcsim.scenarios")))
MODELS_DIR: Path = Path(str(resources.files("pcsim.models")))

#: Where a scenario or model *name* is looked up, in order: the current directory's
#: ``scenarios/`` (``models/``), then the files shipped with pcsim.
LOOKUP_ORDER = "./scenarios (./models), then the scenarios (models) shipped with pcsim"


def _search_path(kind: str) -> list[tuple[Path, str]]:
    """(folder, label) pairs searched for a scenario (``kind`` "scenarios") or a model
    ("models") name, first match wins."""
    shipped = SCENARIOS_DIR if kind == "scenarios" else MODELS_DIR
    local = Path.cwd() / kind
    folders = [(local, f"./{kind}")] if local.resolve() != shipped.resolve() else []
    return folders + [(shipped, "shipped with pcsim")]


def _find(kind: str, name: str) -> Path | None:
    for folder, _ in _search_path(kind):
        if (folder / f"{name}.toml").is_file():
            return folder / f"{name}.toml"
    return None


def _known(kind: str) -> list[str]:
    return sorted({p.stem for folder, _ in _search_path(kind) for p in folder.glob("*.toml")})


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
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"not UTF-8 text (byte {e.object[e.start]:#04x} at offset {e.start})", source=shown
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"invalid TOML: {e}", source=shown) from None


def _looks_like_path(text: str) -> bool:
    return text.endswith(".toml") or "/" in text or "\\" in text


def list_scenarios() -> list[tuple[str, str, str]]:
    """(name, description, where it comes from) of every scenario a name can reach, in
    lookup order (a scenario in ./scenarios shadows a shipped one of the same name)."""
    out, seen = [], set()
    for folder, label in _search_path("scenarios"):
        for p in sorted(folder.glob("*.toml")):
            if p.stem in seen:
                continue
            seen.add(p.stem)
            try:
                desc = tomllib.loads(p.read_text(encoding="utf-8")).get("description", "")
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
                desc = f"(unreadable: {e})"
            out.append((p.stem, str(desc), label))
    return sorted(out)


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A path to a ``.toml`` file, or a scenario name looked up in `LOOKUP_ORDER`."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or _looks_like_path(text):
        path = Path(text)
        if path.is_dir():
            raise ConfigError("is a directory, not a scenario file (.toml)", source=text)
        if not path.is_file():
            raise ConfigError("no such scenario file", source=text)
        return path
    path = _find("scenarios", text)
    if path is not None:
        return path
    known = _known("scenarios")
    raise ConfigError(
        f"unknown scenario '{text}'{did_you_mean(text, known)}; "
        f"known scenarios: {', '.join(known) or '(none)'} (looked in {LOOKUP_ORDER})"
    )


def _resolve_model_path(model: str, scenario_path: Path, source: str) -> Path:
    """A model file: a name (looked up like a scenario name, in ./models then the shipped
    models), or a path relative to the scenario file's folder."""
    if not _looks_like_path(model):
        path = _find("models", model)
        if path is not None:
            return path
        known = _known("models")
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
# Merging, overrides and where each key came from
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
        p = f"{prefix}.{k}" if prefix else k
        out.extend(_leaf_paths(v, p) if isinstance(v, dict) else [p])
    return out


def _with_kinds(quick: Any, raw: dict) -> Any:
    """``quick`` where its kind-specific tables (``[quick.world]``) that do not set their
    kind take the scenario's, so that their keys are checked for that kind."""
    if not isinstance(quick, dict):
        return quick
    out = dict(quick)
    for name, field in Quick.model_fields.items():
        kind, table, base = field.discriminator, out.get(name), raw.get(name)
        if isinstance(kind, str) and isinstance(table, dict) and isinstance(base, dict):
            out[name] = {kind: base[kind], **table} if kind in base else table
    return out


def _parse_override_value(text: str) -> Any:
    try:
        parsed = tomllib.loads("v = " + text)
    except tomllib.TOMLDecodeError:
        return text
    return parsed["v"] if list(parsed) == ["v"] else text


def _apply_override(raw: dict, text: str) -> str:
    """Apply one ``key.path=value`` to ``raw`` (in place); return the key path. A table or
    list on the way that ``raw`` lacks is created (a list from its default); the value is
    checked with everything else."""
    if "=" not in text:
        raise ConfigError("an override must read key.path=value", source=f"--set {text}")
    key, _, value_text = text.partition("=")
    key = key.strip()
    value = _parse_override_value(value_text.strip())

    def fail(path: str, problem: str) -> ConfigError:
        return ConfigError(problem, path=path, source=f"--set {text}")

    parts = key.split(".")
    if not all(parts):
        raise fail(key, "empty key in override")
    if parts[0] == "quick":
        raise fail("quick", "overrides apply after --quick; set the key itself (training.frames=5)")
    node: Any = raw
    for i, part in enumerate(parts):
        path, last = ".".join(parts[: i + 1]), i == len(parts) - 1
        if isinstance(node, dict):
            if last:
                node[part] = value
            elif part not in node:
                node[part] = default_at(Scenario, parts[: i + 1], raw)
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit():
                raise fail(path, f"'{part}' is not a list index (0, 1, ...)")
            if int(part) >= len(node):
                raise fail(path, f"index {part} is out of range (the list has {len(node)} entries)")
            if last:
                node[int(part)] = value
            node = node[int(part)]
        else:
            parent = ".".join(parts[:i])
            raise fail(parent, f"is a single value ({show(node)}) with no key '{part}'")
    return key


def _within(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


class _Sources:
    """Which file (or override) a key path came from: the latest entry at, above or below
    the path (an override inside a table is the likely cause of the table's problem)."""

    def __init__(self, default: str) -> None:
        self._entries: list[tuple[str, str]] = [("", default)]

    def add(self, prefix: str, source: str) -> None:
        self._entries.append((prefix, source))

    def __call__(self, path: str) -> str:
        return next(
            source
            for prefix, source in reversed(self._entries)
            if not prefix or _within(path, prefix) or (path and _within(prefix, path))
        )


# --------------------------------------------------------------------------------------------
# Validation and the public API
# --------------------------------------------------------------------------------------------


def _error(found: tuple[str, str], sources: Callable[[str], str], prefix: str = "") -> ConfigError:
    path, problem = found
    path = f"{prefix}.{path}" if prefix and path else path or prefix
    return ConfigError(problem, path=path, source=sources(path))


def _check_partial(
    model: type[Table], raw: Any, sources: Callable[[str], str], prefix: str = ""
) -> None:
    """Check the keys and values of a table that others complete (missing keys allowed)."""
    try:
        model.model_validate(raw)
    except ValidationError as error:
        found = problems(error, model, partial=True)
        if found:
            raise _error(found[0], sources, prefix) from None


def _validated(raw: Any, sources: Callable[[str], str]) -> Scenario:
    try:
        return Scenario.model_validate(raw)
    except ValidationError as error:
        raise _error(problems(error, Scenario)[0], sources) from None


def load_scenario(
    name_or_path: str | Path, *, overrides: Sequence[str] = (), quick: bool = False
) -> Scenario:
    """Read, merge (model, ``[quick]`` with ``quick``, ``--set`` ``overrides``) and validate a
    scenario; ``name`` is the file's stem and ``source`` its path. Raises ConfigError."""
    path = resolve_scenario_path(name_or_path)
    shown = _display(path)
    raw = _read_toml(path)
    sources = _Sources(shown)
    if "circuit" in raw:
        raise ConfigError(
            "a scenario takes its circuit from the model file named by 'model'; move [circuit] "
            "there (or use [quick.circuit] / --set circuit.…)",
            path="circuit",
            source=shown,
        )
    quick_raw = raw.pop("quick", None)
    # The scenario's own keys first, before looking at the model file.
    _check_partial(ScenarioFile, raw, sources)
    if quick_raw is not None:
        _check_partial(Quick, _with_kinds(quick_raw, raw), sources, prefix="quick")
    if "model" not in raw:
        raise ConfigError("missing required field", path="model", source=shown)

    model_path = _resolve_model_path(raw["model"], path, shown)
    model_shown = _display(model_path)
    model_raw = _read_toml(model_path)
    _check_partial(ModelFile, model_raw, lambda p: model_shown)
    if "circuit" in model_raw:
        raw["circuit"] = model_raw["circuit"]
    sources.add("circuit", model_shown)

    if quick and quick_raw:
        raw = _deep_merge(raw, quick_raw)
        for leaf in _leaf_paths(quick_raw):
            sources.add(leaf, shown)
    for text in overrides:
        sources.add(_apply_override(raw, text), f"--set {text}")
    return _validated(raw | {"name": path.stem, "source": str(path)}, sources)


def parse_quantity(value: Any, dimension: str, *, path: str = "", source: str = "") -> Quantity:
    """Parse ``"10 ms"``-style ``value`` as a brian2 Quantity of ``dimension`` ("time", "rate").

    Raises ConfigError (with ``path``/``source`` in its message) on a bare number, an unknown
    unit or the wrong dimension.
    """
    try:
        return parse(value, dimension)
    except QuantityError as e:
        raise ConfigError(e.problem, path=path, source=source) from None


def dump_toml(config: Scenario) -> str:
    """A scenario as TOML text (quantities as "10.0 ms"); ``load_resolved`` reads it back."""
    header = (
        "# Resolved pcsim configuration (scenario + circuit + defaults + overrides).\n"
        "# Re-load with pcsim.config.load_resolved().\n\n"
    )
    return header + tomli_w.dumps(config.model_dump(mode="json", exclude_none=True))


def load_resolved(path: Path | str) -> Scenario:
    """Load a scenario written by ``dump_toml`` and validate it with the same schema."""
    shown = _display(Path(path))
    return _validated(_read_toml(Path(path)), lambda p: shown)
