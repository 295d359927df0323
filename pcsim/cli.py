"""The ``pcsim`` command: ``pcsim list``, ``pcsim run SCENARIO [options]``,
``pcsim sweep SCENARIO --seeds ... [options]``, ``pcsim analyse RUN_DIR`` and
``pcsim figures [options]``.

Thin by design: it parses arguments and calls `pcsim.config`, `pcsim.experiment`,
`pcsim.sweep` and `pcsim.gallery`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from brian2 import second

from pcsim import __version__, config, experiment, footprint, lifecycle, results, sweep
from pcsim.backends import BACKENDS, STANDALONE_DEVICES
from pcsim.errors import ConfigError, DivergenceError, Interrupted, PcsimError, one_line

DEFAULT_RESULTS = Path("results")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pcsim",
        description="Simulate predictive-coding circuits with symmetry priors (Brian2).",
    )
    parser.add_argument("--version", action="version", version=f"pcsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "list",
        help="list the scenarios, one line each, with where each comes from",
        description="List the scenarios a name can reach. A scenario name is looked up in "
        f"{config.LOOKUP_ORDER}; the first match wins. A path to a .toml file is used as "
        "it is.",
    )
    run = sub.add_parser("run", help="run a scenario and write a results directory")
    add_scenario_arguments(
        run, "override a config field, e.g. --set circuit.tau_r='20 ms' (repeatable)"
    )
    run.add_argument("--backend", choices=BACKENDS, help="override the scenario's backend")
    run.add_argument("--seed", type=int, help="override the scenario's seed")
    run.add_argument(
        "--out",
        type=Path,
        help="results directory to create (must be new or empty); "
        "default: results/<scenario>-<date>-<time>",
    )
    run.add_argument(
        "--build-only",
        action="store_true",
        help="standalone backends: generate and compile the project, do not run it "
        "(cuda_standalone builds without a GPU)",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    add_sweep_parser(sub)
    check = sub.add_parser(
        "check",
        help="validate a scenario and estimate its size and memory, without running it",
    )
    add_scenario_arguments(check, "override a config field (repeatable)")
    analyse = sub.add_parser(
        "analyse",
        help="compute a finished run's metrics and figures again from its files "
        "(no simulation); rewrites metrics.json and figures/",
    )
    analyse.add_argument("run_dir", type=Path, help="the results directory of a complete run")
    add_figures_parser(sub)
    return parser


def add_figures_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "figures",
        help="rebuild the paper's figures and their gallery from cached sweeps",
        description="Rebuild the figure set (PNG and PDF) and its gallery OUT/README.md. "
        "Each figure's sweeps are cached under CACHE by their request and pcsim's code: "
        "replotting never simulates again; a changed request or code runs anew.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="short versions (one seed, fewer points)"
    )
    parser.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="only this figure (repeatable)"
    )
    parser.add_argument(
        "--workers", type=int, help="local worker processes (default: one per core)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="where the figures go; default: figures (figures/quick with --quick)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=DEFAULT_RESULTS / "figures",
        help="where the sweeps are kept (default: results/figures)",
    )


def cmd_figures(args: argparse.Namespace) -> int:
    from pcsim import gallery  # matplotlib and the figure set only when asked for

    out = args.out or (Path("figures/quick") if args.quick else Path("figures"))
    built = gallery.build(out, args.cache, quick=args.quick, only=args.only, workers=args.workers)
    print(f"pcsim: {len(built.figures)} figures and their gallery in {out} "
          f"({built.seconds / 60:.1f} min)")  # fmt: skip
    return 0


def add_scenario_arguments(parser: argparse.ArgumentParser, set_help: str) -> None:
    """What every command that loads a scenario takes: its name or path, ``--set``
    overrides (described by ``set_help``) and ``--quick``."""
    parser.add_argument("scenario", help="a scenario name (see 'pcsim list') or a path to a .toml")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=set_help
    )
    parser.add_argument("--quick", action="store_true", help="apply the scenario's [quick] table")


def add_sweep_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sweep",
        help="run a scenario for many seeds and grid values on Dask; resumable",
        description="Run SCENARIO for every seed and every combination of --grid values, "
        "each point a 'pcsim run' in OUT/runs/, and summarise them in OUT/summary.csv and "
        "OUT/summary.md. Running the same command again resumes: complete runs are kept, "
        "failed and unfinished ones are run again. Exit status 1 if any run failed.",
    )
    add_scenario_arguments(parser, "override a config field for every run (repeatable)")
    parser.add_argument("--seeds", required=True, help="seeds: 1-10, 1,3,5 or 1-3,7")
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="run every listed value of a config field, e.g. --grid symmetry.lam=0,3,10 "
        "(repeatable: the cartesian product; values are checked like --set)",
    )
    parser.add_argument("--backend", choices=BACKENDS, help="override the scenario's backend")
    parser.add_argument(
        "--out",
        type=Path,
        help="sweep directory (new, empty, or this sweep's to resume it); "
        "default: results/<scenario>-sweep-<date>-<time>",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="local worker processes (default: one per core)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786, instead of local "
        "processes (its workers need pcsim and the sweep directory at the same path)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress line")


def cmd_list() -> int:
    scenarios = config.list_scenarios()
    width = max((len(name) for name, _, _ in scenarios), default=0)
    for name, description, where in scenarios:
        print(f"{name:<{width}}  {description} ({where})")
    return 0


def output_directory(out: Path | None, scenario: str) -> Path:
    """The run's directory, claimed for it (`pcsim.lifecycle.claim_directory`): ``out``,
    or a fresh ``results/<scenario>-<date>-<time>``."""
    if out is None:
        return lifecycle.claim_directory(results.new_run_directory(DEFAULT_RESULTS, scenario))
    return lifecycle.claim_directory(Path(out))


def cmd_run(args: argparse.Namespace) -> int:
    overrides = list(args.overrides)
    if args.backend:
        overrides.append(f"backend={json.dumps(args.backend)}")
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    cfg = config.load_scenario(args.scenario, overrides=overrides, quick=args.quick)
    if args.build_only and cfg.backend not in STANDALONE_DEVICES:
        raise ConfigError(
            f"--build-only needs a standalone backend, not '{cfg.backend}'",
            source="--build-only",
        )
    footprint.check(cfg)
    out = output_directory(args.out, cfg.name)
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    if args.build_only:
        say(f"pcsim: building '{cfg.name}' for {cfg.backend} in {out / 'build'}")
        binary = experiment.build_scenario(cfg, out, report=not args.quiet)
        print(f"pcsim: built {binary}")
        return 0
    say(f"pcsim: running '{cfg.name}' on {cfg.backend} (seed {cfg.seed}) -> {out}")
    start = time.perf_counter()
    metrics = experiment.run_scenario(cfg, out, report=not args.quiet)
    info = json.loads((out / "run.json").read_text())
    say(f"pcsim: done in {time.perf_counter() - start:.1f} s")
    cached = not info.get("build", {}).get("compiled", True)
    for condition, timing in info["timings_s"].items():
        say(
            f"pcsim:   {condition}: compile {timing['compile']:.1f} s, "
            f"simulate {timing['simulate']:.1f} s"
            + (" (binary from the build cache)" if cached and timing["compile"] else "")
        )
    for line in summary(metrics):
        say(f"pcsim: {line}")
    print(f"pcsim: results in {out}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    cfg = config.load_scenario(args.scenario, overrides=args.overrides, quick=args.quick)
    need = footprint.check(cfg)
    sizes, synapses = footprint.layer_sizes(cfg), footprint.synapse_counts(cfg)
    frames = footprint.frame_count(cfg)
    seconds = frames * float(cfg.world.frame_duration / second)
    prior = f"{len(cfg.symmetry.candidates)} candidates" if cfg.symmetry else "none"
    print(f"pcsim: {cfg.name} ({cfg.source}) is valid")
    print(
        f"pcsim:   circuit: layers of {', '.join(f'{n:,}' for n in sizes)} units, "
        f"{sum(synapses):,} synapses; symmetry prior: {prior}"
    )
    print(f"pcsim:   frames: {frames:,} ({seconds:,.1f} s simulated per condition)")
    print(
        f"pcsim:   memory: about {need.total / 1e9:.2g} GB "
        f"(available {footprint.available_memory() / 1e9:.3g} GB)"
    )
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    request = sweep.Request(
        scenario=args.scenario,
        seeds=sweep.parse_seeds(args.seeds),
        grid=sweep.parse_grid(args.grid),
        overrides=tuple(args.overrides),
        quick=args.quick,
        backend=args.backend,
    )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or DEFAULT_RESULTS / f"{Path(args.scenario).stem}-sweep-{stamp}"
    live = sys.stdout.isatty()
    shown = None

    def progress(state: sweep.Progress) -> None:
        """One line rewritten in place; without a terminal, a line per change of counts."""
        nonlocal shown
        if live:
            print(f"\r{state}\x1b[K", end="\n" if state.final else "", flush=True)
        elif (state.done, state.running, state.failed) != shown or state.final:
            shown = (state.done, state.running, state.failed)
            print(state, flush=True)

    try:
        outcome = sweep.run_sweep(
            request,
            out,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=None if args.quiet else progress,
        )
    except KeyboardInterrupt:
        print(f"\npcsim: sweep interrupted; repeat the command with --out {out} to resume",
              file=sys.stderr)  # fmt: skip
        return 130
    if not args.quiet:
        print((outcome.out / "summary.md").read_text(), end="")
    for point in outcome.failed:
        print(f"pcsim: {point['name']} failed: {point['error']} ({outcome.out / point['dir']})",
              file=sys.stderr)  # fmt: skip
    print(f"pcsim: sweep in {outcome.out}" + (
        f"; {len(outcome.failed)} of {len(outcome.points)} runs failed, repeat the command "
        "to run them again" if outcome.failed else ""))  # fmt: skip
    return 1 if outcome.failed else 0


def cmd_analyse(args: argparse.Namespace) -> int:
    metrics = experiment.analyse_run(args.run_dir)
    for line in summary(metrics):
        print(f"pcsim: {line}")
    print(f"pcsim: metrics and figures rewritten in {args.run_dir}")
    return 0


def summary(metrics: dict) -> list[str]:
    """Headline numbers of a run, the baseline's beside them."""
    base = metrics.get("baseline", {})

    def pair(key: str, layer: str | None = None) -> str:
        get = (lambda m: m.get(key, {}).get(layer)) if layer else (lambda m: m.get(key))
        value, other = get(metrics), get(base)
        text = "n/a" if value is None else f"{value:.4f}"
        return text + ("" if other is None else f" (baseline {other:.4f})")

    lines = [f"held-out prediction error {pair('heldout_prediction_error')}"]
    if metrics.get("transformed_heldout_prediction_error") is not None:
        lines.append(
            f"novel-position prediction error {pair('transformed_heldout_prediction_error')}"
        )
    for layer in metrics.get("equivariance_error_mean", {}):
        lines.append(f"equivariance error {layer} {pair('equivariance_error_mean', layer)}")
    group = metrics.get("effective_group")
    if group:
        lines.append(
            f"effective group: {', '.join(group['accepted']) or 'none'} "
            f"(order {group['order']}, world {group['true_order']}; "
            f"precision {group['precision']:.2f}, recall {group['recall']:.2f})"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """The ``pcsim`` command; returns its exit status: 0 done, 2 a problem with the input
    (one line naming it), 3 a diverged simulation, 130/143 interrupted by SIGINT/SIGTERM,
    1 an unexpected error (one line; ``--traceback`` shows the whole traceback)."""
    argv = sys.argv[1:] if argv is None else argv
    show_traceback = "--traceback" in argv
    args = build_parser().parse_args([a for a in argv if a != "--traceback"])
    try:
        with lifecycle.sigterm_interrupts():
            if args.command == "list":
                return cmd_list()
            if args.command == "analyse":
                return cmd_analyse(args)
            if args.command == "check":
                return cmd_check(args)
            if args.command == "sweep":
                return cmd_sweep(args)
            if args.command == "figures":
                return cmd_figures(args)
            return cmd_run(args)
    except DivergenceError as error:
        print(
            one_line(f"pcsim: error: {error}; files written before the failure were kept"),
            file=sys.stderr,
        )
        return 3
    except Interrupted as stop:
        print(one_line(f"pcsim: {stop}; files written so far were kept"), file=sys.stderr)
        return stop.exit_status
    except KeyboardInterrupt:
        print("pcsim: interrupted by SIGINT; files written so far were kept", file=sys.stderr)
        return 130
    except PcsimError as error:
        print(one_line(f"pcsim: error: {error}"), file=sys.stderr)
        return 2
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        print(one_line(f"pcsim: error: {where}{error.strerror or error}"), file=sys.stderr)
        return 2
    except Exception as error:
        if show_traceback:
            raise
        print(
            one_line(
                f"pcsim: error: unexpected {type(error).__name__}: {error} "
                "(run again with --traceback for the details)"
            ),
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
