"""Scenario and model files: the schema (`pcsim.config.schema`) and the loader
(`pcsim.config.load`). ``load_scenario("ring")`` gives a validated `Scenario`."""

from pcsim.config.load import (
    LOOKUP_ORDER,
    MODELS_DIR,
    SCENARIOS_DIR,
    dump_toml,
    list_scenarios,
    load_resolved,
    load_scenario,
    parse_quantity,
    resolve_scenario_path,
)
from pcsim.config.schema import Scenario

__all__ = [
    "LOOKUP_ORDER",
    "MODELS_DIR",
    "SCENARIOS_DIR",
    "Scenario",
    "dump_toml",
    "list_scenarios",
    "load_resolved",
    "load_scenario",
    "parse_quantity",
    "resolve_scenario_path",
]
