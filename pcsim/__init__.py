"""pcsim: hierarchical predictive-coding circuits with symmetry priors, on Brian2.

The scripting API: describe a circuit (`CircuitSpec`, `LayerSpec`, `Layout`), a world
(`RingWorld`, `TorusWorld`) and optionally a symmetry prior (`symmetry_prior`), put them
in a `Development` and `run` it; `Outcome.metrics` holds the results, the baseline
(the prior off) under ``"baseline"``. `load_scenario` + `development_from_config` do the
same from a scenario file.

The names are imported on first use, so that ``import pcsim`` (and the ``pcsim`` command's
entry point) does not import Brian2 before it is needed.
"""

from importlib import import_module
from importlib.metadata import version as _version

__version__ = _version("pcsim")

#: The public API: each name and the module that defines it.
_API = {
    "BackendOptions": "pcsim.backends",
    "CircuitSpec": "pcsim.circuit",
    "LayerSpec": "pcsim.circuit",
    "load_scenario": "pcsim.config",
    "Development": "pcsim.development",
    "Outcome": "pcsim.development",
    "development_from_config": "pcsim.experiment",
    "run_scenario": "pcsim.experiment",
    "Layout": "pcsim.layouts",
    "SymmetrySpec": "pcsim.symmetry",
    "symmetry_prior": "pcsim.symmetry",
    "RingWorld": "pcsim.worlds",
    "TorusWorld": "pcsim.worlds",
}

__all__ = sorted(_API)


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'pcsim' has no attribute '{name}'")
    value = getattr(import_module(_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
