"""Exception types of pcsim. Every message names the offending item and where it is."""


class PcsimError(Exception):
    """Base class of pcsim's own errors."""


class ConfigError(PcsimError, ValueError):
    """A scenario or model file (or a ``--set`` override) is invalid.

    The message reads ``<file>: [at <key.path>] <what is wrong>``.
    """

    def __init__(self, problem: str, *, path: str = "", source: str = ""):
        self.problem = problem
        self.path = path
        self.source = source
        where = f"[at {path}] " if path else ""
        prefix = f"{source}: " if source else ""
        super().__init__(f"{prefix}{where}{problem}")


class BackendError(PcsimError, ValueError):
    """An unknown backend or an unusable backend option."""


class DivergenceError(PcsimError, RuntimeError):
    """A simulated population turned NaN/inf or exceeded its bound.

    Attributes: ``population`` (group name), ``time`` (seconds, first bad sample).
    """

    def __init__(self, population: str, time: float, bound: float):
        self.population = population
        self.time = time
        self.bound = bound
        super().__init__(
            f"simulation diverged: population '{population}' left |value| <= {bound:g} "
            f"(or became NaN/inf) at t = {time * 1e3:.1f} ms"
        )
