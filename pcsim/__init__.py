"""pcsim: hierarchical predictive-coding circuits with symmetry priors, on Brian2.

The scripting API: describe a circuit (`CircuitSpec`, `LayerSpec`, `Layout`), a world
(`RingWorld`, `TorusWorld`) and optionally a symmetry prior (`symmetry_prior`), put them
in a `Development` and `run` it; `Outcome.metrics` holds the results, the baseline
(the prior off) under ``"baseline"``. `load_scenario` + `development_from_config` do the
same from a scenario file.
"""

from importlib.metadata import version as _version

__version__ = _version("pcsim")

from pcsim.backends import BackendOptions  # noqa: E402
from pcsim.circuit import CircuitSpec, LayerSpec  # noqa: E402
from pcsim.config import load_scenario  # noqa: E402
from pcsim.development import Development, Outcome  # noqa: E402
from pcsim.experiment import development_from_config, run_scenario  # noqa: E402
from pcsim.layouts import Layout  # noqa: E402
from pcsim.symmetry import SymmetrySpec, symmetry_prior  # noqa: E402
from pcsim.worlds import RingWorld, TorusWorld  # noqa: E402

__all__ = [
    "BackendOptions",
    "CircuitSpec",
    "Development",
    "LayerSpec",
    "Layout",
    "Outcome",
    "RingWorld",
    "SymmetrySpec",
    "TorusWorld",
    "development_from_config",
    "load_scenario",
    "run_scenario",
    "symmetry_prior",
]
