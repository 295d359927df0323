"""`pcsim figures`: the paper's figure set (`pcsim.paper`) rebuilt from cached sweeps.

Every study a figure reads is a `pcsim.sweep` request; its runs live in a sweep directory
under the cache folder named by a digest of the request and of pcsim's code and shipped
scenario and model files (`cache_dir`; drawing code excluded), so a figure is replotted
from its runs while neither changes, and recomputed (into a new directory) when either
does. A study whose sweep is complete is read without starting Dask. Each figure is
written as PNG and PDF, and the gallery (``README.md`` beside them) lists every figure
with its caption, the command that rebuilds it and the numbers it shows.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pcsim import config, results, sweep  # noqa: E402
from pcsim.errors import ConfigError  # noqa: E402
from pcsim.paper import FIGURES, Figure, Run, Study  # noqa: E402

#: Modules that only draw or describe: a change to them replots without simulating again.
DRAWING = ("paper.py", "gallery.py", "plots.py", "cli.py")


def code_digest() -> str:
    """sha256 of pcsim's sources that make the runs (all but `DRAWING`) and of the
    shipped scenario and model files."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    files = sorted(p for p in package.rglob("*.py") if p.name not in DRAWING)
    files += sorted(config.SCENARIOS_DIR.glob("*.toml"))
    files += sorted(config.MODELS_DIR.glob("*.toml"))
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_dir(cache: Path, request: sweep.Request, code: str) -> Path:
    """The sweep directory of ``request`` for code digest ``code``."""
    key = json.dumps(request.to_json(), sort_keys=True) + code
    return Path(cache) / f"{request.scenario}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def complete(out: Path, request: sweep.Request) -> bool:
    """Whether ``out`` holds a finished sweep of ``request`` whose runs all completed."""
    try:
        state = json.loads((out / "sweep.json").read_text())
    except (OSError, ValueError):
        return False
    return state.get("status") == "complete" and state.get("request") == request.to_json()


def load_runs(out: Path) -> list[Run]:
    """The complete runs of the sweep in ``out``: grid values, seed and metrics."""
    state = json.loads((out / "sweep.json").read_text())
    return [
        Run(
            point["grid"],
            point["seed"],
            json.loads((out / point["dir"] / "metrics.json").read_text()),
        )
        for point in state["points"]
        if point["status"] == "complete"
    ]


@dataclass
class Built:
    """What `build` made: per figure its files and numbers; per study the sweep
    directory, whether it had to be simulated, and its seconds."""

    figures: dict[str, tuple[list[Path], list[str]]]
    studies: dict[str, tuple[Path, bool, float]]
    seconds: float


def _run_studies(
    wanted: list[Study],
    quick: bool,
    cache: Path,
    workers: int | None,
    progress: Callable[[str], None],
) -> tuple[dict[Study, list[Run]], dict[str, tuple[Path, bool, float]]]:
    """The runs of every study in ``wanted`` (from the cache, or run into it on one
    local Dask cluster, started when the first study needs it), and per study label its
    directory, whether it ran now and the seconds it took."""
    code = code_digest()
    data: dict[Study, list[Run]] = {}
    studies: dict[str, tuple[Path, bool, float]] = {}
    with contextlib.ExitStack() as stack:
        scheduler = None
        for study in wanted:
            request = study.request(quick)
            where = cache_dir(cache, request, code)
            began = time.perf_counter()
            ran = not complete(where, request)
            if ran:
                progress(f"pcsim: {study.label}: running {request.scenario} into {where}")
                if scheduler is None:
                    scheduler = stack.enter_context(sweep.local_cluster(workers))
                outcome = sweep.run_sweep(request, where, scheduler=scheduler)
                if outcome.failed:
                    raise ConfigError(
                        f"{study.label}: {len(outcome.failed)} runs failed; see {where}/summary.md"
                    )
            else:
                progress(f"pcsim: {study.label}: cached in {where}")
            data[study] = load_runs(where)
            studies[study.label] = (where, ran, time.perf_counter() - began)
    return data, studies


def build(
    out: Path,
    cache: Path,
    *,
    quick: bool = False,
    only: Sequence[str] = (),
    workers: int | None = None,
    progress: Callable[[str], None] = print,
) -> Built:
    """Rebuild the figures ``only`` (default: all of `pcsim.paper.FIGURES`) into ``out``
    (PNG and PDF, and the gallery ``out/README.md``) from the studies' sweeps under
    ``cache``, running what is not cached with ``workers`` local Dask workers."""
    unknown = [name for name in only if name not in FIGURES]
    if unknown:
        raise ConfigError(
            f"--only: unknown figure {', '.join(unknown)} (known: {', '.join(FIGURES)})"
        )
    chosen = [FIGURES[name] for name in (only or FIGURES)]
    start = time.perf_counter()
    wanted = list(dict.fromkeys(s for figure in chosen for s in figure.studies(quick)))
    data, studies = _run_studies(wanted, quick, cache, workers, progress)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    made: dict[str, tuple[list[Path], list[str]]] = {}
    for figure in chosen:
        fig, numbers = figure.draw({s.label: data[s] for s in figure.studies(quick)})
        files = [out / f"{figure.name}.{ext}" for ext in ("png", "pdf")]
        for path in files:
            results.save_figure(fig, path)
        plt.close(fig)
        made[figure.name] = (files, numbers)
        progress(f"pcsim: {figure.name}: {files[0]}")
    built = Built(made, studies, time.perf_counter() - start)
    results.atomic_write_text(out / "README.md", gallery(chosen, built, quick))
    return built


def gallery(figures: Sequence[Figure], built: Built, quick: bool) -> str:
    """The gallery page: every figure, its caption, command and numbers."""
    flag = " --quick" if quick else ""
    lines = [
        "# Figures" + (" (quick)" if quick else ""),
        "",
        "Written by `pcsim figures" + flag + "`; every number below is read from the runs "
        "the figure shows (mean ± sd over seeds unless said otherwise). Colours: "
        "blue, with the symmetry prior; orange, the baseline (prior off).",
        "",
    ]
    for figure in figures:
        files, numbers = built.figures[figure.name]
        lines += [
            f"## {figure.title}",
            "",
            f"Claim: {figure.claim}",
            "",
            f"![{figure.name}]({files[0].name}) ([PDF]({files[1].name}))",
            "",
            figure.caption,
            "",
            f"Rebuild: `pcsim figures{flag} --only {figure.name}`; studies: "
            + "; ".join(f"`{s.command(quick)}`" for s in figure.studies(quick)),
            "",
            *[f"- {line}" for line in numbers],
            "",
        ]
    simulated = sum(seconds for _, ran, seconds in built.studies.values() if ran)
    lines.append(
        f"Built in {built.seconds / 60:.1f} min ({simulated / 60:.1f} min simulating studies "
        f"not yet cached)."
    )
    return "\n".join(lines) + "\n"
