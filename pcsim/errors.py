"""Exception types of pcsim. Every message names the offending item and where it is.

Also the two pieces every message shares: `show` (a value as a TOML file writes it) and
`did_you_mean` (the closest known name to a misspelled one).
"""

import difflib
from collections.abc import Iterable


def show(value: object) -> str:
    """``value`` as written in a TOML file: strings quoted, booleans lower case, lists and
    tables element by element; anything else (numbers, brian2 Quantities) as ``str``."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {show(v)}" for k, v in value.items()) + "}"
    return str(value)


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the name in ``known`` closest to ``word``, else ``""``."""
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


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


class Interrupted(PcsimError):
    """A run stopped by a signal (``signal``: "SIGINT" or "SIGTERM") before it finished.

    ``phase`` is what was under way ("compilation", "simulation", ...), ``condition`` the
    condition being simulated (set by the experiment), ``reached`` and ``duration`` the
    simulated time reached and asked for, in seconds (None when unknown).
    """

    EXIT_STATUS = {"SIGINT": 130, "SIGTERM": 143}

    def __init__(
        self,
        signal: str,
        *,
        phase: str = "",
        reached: float | None = None,
        duration: float | None = None,
    ):
        self.signal = signal
        self.phase = phase
        self.reached = reached
        self.duration = duration
        self.condition: str | None = None
        super().__init__(signal)

    @property
    def exit_status(self) -> int:
        return self.EXIT_STATUS.get(self.signal, 130)

    def __str__(self) -> str:
        where = f" during the {self.phase}" if self.phase else ""
        if self.condition:
            where += f" of condition '{self.condition}'"
        when = ""
        if self.reached is not None and self.duration is not None:
            when = f" at t = {self.reached:.3f} s of {self.duration:.3f} s"
        return f"interrupted by {self.signal}{where}{when}"
