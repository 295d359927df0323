"""The paper's figure set: each figure of `pcsim figures` as data (the sweeps it reads,
its caption, the claim it tests) and the function that draws it from those runs and
states its numbers. `pcsim.gallery` runs the sweeps (cached) and writes the files.

The claims are the abstract's: the symmetry prior (1) makes representations efficient,
(2) works by the iterative refinement of an effective group, (3) makes them
compositional, (4) is stable, at a price set by its knobs. Colours as in every figure of
pcsim: `pcsim.plots.COLOURS`. Every band is mean ± sd over seeds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pcsim import sweep  # noqa: E402
from pcsim.analysis import recovered_exactly  # noqa: E402
from pcsim.plots import COLOURS, oddball_axes  # noqa: E402

PRIOR, BASELINE = "symmetry", "baseline"
NAMES = {PRIOR: "with symmetry prior", BASELINE: "baseline (prior off)"}


class Run(NamedTuple):
    """One complete run of a study: its grid values (key -> value text), seed, metrics."""

    grid: dict[str, str]
    seed: int
    metrics: dict


@dataclass(frozen=True)
class Study:
    """A sweep a figure reads: ``scenario`` for ``seeds`` (as `pcsim sweep --seeds`
    takes them) over ``grid`` ((key, values) pairs) with ``overrides``."""

    label: str
    scenario: str
    seeds: str
    grid: tuple[tuple[str, tuple[str, ...]], ...] = ()
    overrides: tuple[str, ...] = ()

    def request(self, quick: bool) -> sweep.Request:
        return sweep.Request(
            self.scenario, sweep.parse_seeds(self.seeds), self.grid, self.overrides, quick
        )

    def command(self, quick: bool) -> str:
        """The `pcsim sweep` command line of this study."""
        parts = ["pcsim sweep", self.scenario, f"--seeds {self.seeds}"]
        parts += [f"--grid '{k}={','.join(v)}'" for k, v in self.grid]
        parts += [f"--set '{o}'" for o in self.overrides]
        return " ".join(parts + (["--quick"] if quick else []))


@dataclass(frozen=True)
class Figure:
    """A figure: its ``name`` (file stem), ``title``, the ``claim`` it tests, its
    ``caption``, the studies it reads (full or quick) and ``draw``, which makes the
    matplotlib figure from the runs of each study (by label) and returns it with the
    numbers it shows, one sentence each."""

    name: str
    title: str
    claim: str
    caption: str
    full: tuple[Study, ...]
    quick: tuple[Study, ...]
    draw: Callable[[dict[str, list[Run]]], tuple[Any, list[str]]]

    def studies(self, quick: bool) -> tuple[Study, ...]:
        return self.quick if quick else self.full


# -- reading runs ----------------------------------------------------------------------------


def condition(metrics: dict, which: str) -> dict:
    return metrics if which == PRIOR else metrics[BASELINE]


def value(metrics: dict, path: str) -> float | None:
    """The number at dotted ``path`` of ``metrics`` (None where absent)."""
    node: Any = metrics
    for part in path.split("."):
        if not isinstance(node, dict) or node.get(part) is None:
            return None
        node = node[part]
    return float(node)


def over_seeds(runs: Sequence[Run], key: str, path: str, which: str):
    """Per grid value of ``key`` (sorted numerically): the value, mean and sd over seeds
    of ``path`` in condition ``which``; arrays (n,)."""
    groups: dict[float, list[float]] = defaultdict(list)
    for run in runs:
        v = value(condition(run.metrics, which), path)
        if v is not None:
            groups[_number(run.grid[key])].append(v)
    xs = sorted(groups)
    means = np.array([np.mean(groups[x]) for x in xs])
    sds = np.array([sd(groups[x]) for x in xs])
    return np.array(xs), means, sds


def _number(text: str) -> float:
    """A grid value as a number ("3 Hz" -> 3.0)."""
    return float(text.split()[0])


def band(ax, x, mean, spread, which: str, **kw) -> None:
    """A mean line with its ± sd band in the colour of condition ``which``."""
    ax.plot(x, mean, marker="o", ms=3, color=COLOURS[which], label=NAMES[which], **kw)
    ax.fill_between(x, mean - spread, mean + spread, color=COLOURS[which], alpha=0.2, lw=0)


def _fmt(mean: float, sd: float) -> str:
    return f"{mean:.3g} ± {sd:.2g}"


def sd(values: Sequence[float] | np.ndarray, axis: int | None = None):
    """Sample sd over seeds (0 for a single seed)."""
    values = np.asarray(values, dtype=float)
    n = values.shape[axis] if axis is not None else values.size
    return values.std(axis=axis, ddof=1) if n > 1 else np.zeros_like(values.mean(axis=axis))


def seeds(values: Sequence[float | None] | np.ndarray) -> str:
    """Mean ± sd over seeds of ``values`` (None: not measured in that seed; "n/a" when
    none is)."""
    kept = [v for v in values if v is not None]
    return _fmt(float(np.mean(kept)), float(sd(kept))) if kept else "n/a"


# -- (1) efficient ---------------------------------------------------------------------------

FRAMES = ("50", "100", "200", "400", "800", "1500")
#: Errors a condition must reach (mean over seeds) to count as developed: the ring's
#: novel-position error and equivariance error.
NOVEL_TARGET, EQUIVARIANCE_TARGET = 0.05, 0.2


def draw_efficient(data: dict[str, list[Run]]):
    runs = data["efficient"]
    panels = (
        ("transformed_heldout_prediction_error", "error at never-seen positions"),
        ("heldout_prediction_error", "error at seen positions"),
        ("equivariance_error_mean.L1", "equivariance error, layer 1"),
        ("weight_sharing_index", "weight-sharing index"),
        ("effective_group.effective_weights.share", "independent weights / synapses"),
    )
    fig, axes = plt.subplots(1, 5, figsize=(18, 3.4))
    numbers = []
    for ax, (path, title) in zip(axes, panels, strict=True):
        for which in (PRIOR, BASELINE):
            x, mean, spread = over_seeds(runs, "training.frames", path, which)
            band(ax, x, mean, spread, which)
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(x, [f"{v:g}" for v in x])
        ax.set_xlabel("development frames (50 ms each)")
        ax.set_title(title, fontsize=9)
    axes[0].set_ylabel("relative prediction error / index")
    axes[0].legend(fontsize=7)
    count = len({r.seed for r in runs})
    for path, target, what in (
        ("transformed_heldout_prediction_error", NOVEL_TARGET, "error at never-seen positions"),
        ("equivariance_error_mean.L1", EQUIVARIANCE_TARGET, "layer-1 equivariance error"),
    ):
        reach = []
        for which in (PRIOR, BASELINE):
            x, mean, spread = over_seeds(runs, "training.frames", path, which)
            hit = x[mean <= target]
            when = f"{hit[0]:.0f} frames" if hit.size else f"not within {x[-1]:.0f} frames"
            reach.append(
                f"{NAMES[which]} {when} ({_fmt(mean[0], spread[0])} after {x[0]:.0f}, "
                f"{_fmt(mean[-1], spread[-1])} after {x[-1]:.0f})"
            )
        numbers.append(f"{what} ≤ {target} (mean over {count} seeds): " + "; ".join(reach))
    for which in (PRIOR, BASELINE):
        x, mean, spread = over_seeds(runs, "training.frames", panels[-1][0], which)
        numbers.append(
            f"independent weights of W_1 (orbits under the accepted group, plus every "
            f"synapse's departure from its orbit's mean), {NAMES[which]}: "
            + ", ".join(
                f"{_fmt(m, s)} of the synapses after {v:.0f} frames"
                for v, m, s in zip(x, mean, spread, strict=True)
            )
        )
    fig.suptitle("Sample efficiency on the ring (world group C_32)", fontsize=10)
    fig.tight_layout()
    return fig, numbers


# -- (2) refinement and (3) compositional: the torus ------------------------------------------

#: Translations [dy, dx] of the torus that its world never applies in one step, by name.
COMPOSITIONS = {"diagonal": (1, 1), "antidiagonal": (1, -1), "knight": (2, 1)}
PROBED = "probe.transformations=[{}]".format(
    ", ".join(
        f'{{name = "{n}", kind = "shift", by = [{dy}, {dx}]}}'
        for n, (dy, dx) in COMPOSITIONS.items()
    )
)


def scenario_studies(
    scenario: str, overrides: tuple[str, ...] = ()
) -> tuple[tuple[Study, ...], tuple[Study, ...]]:
    """A scenario's figure studies as it ships (labelled by its name): seeds 1-3 for the
    full figure, seed 1 for the quick one; returns (full, quick)."""
    return (
        (Study(scenario, scenario, "1-3", overrides=overrides),),
        (Study(scenario, scenario, "1", overrides=overrides),),
    )


TORUS = scenario_studies("torus", (PROBED,))


def draw_refinement(data: dict[str, list[Run]]):
    runs = data["torus"]
    first = runs[0].metrics
    names = first["series"]["pi_names"][1:]
    frames = np.array(first["series"]["frame"]) + 1
    pi = np.array([r.metrics["series"]["pi"] for r in runs])  # (seeds, points, K + 1)
    pi_min = first["effective_group"]["pi_min"]
    fig, (left, right, group_ax) = plt.subplots(1, 3, figsize=(15, 3.6))
    numbers = []
    for k, name in enumerate(names):
        generator = name in _candidate_generators(first)
        pi_band(left, frames, pi[:, :, k + 1], k, name, "-" if generator else "--")
        if not generator:
            below = [_first_below(seq[:, k + 1], frames, pi_min) for seq in pi]
            seen = [b for b in below if b is not None]
            when = f"{seeds(seen)} frames" if seen else "never"
            numbers.append(f"distractor {name}: pi fell below pi_min after {when}")
    left.axhline(pi_min, color="0.4", ls=":", lw=0.8)
    left.set_xlabel("development frame")
    left.set_ylabel("prior pi (with symmetry prior)")
    left.set_title("pi per candidate (solid: the world's generators)", fontsize=9)
    left.legend(fontsize=6, ncol=2)
    for which in (PRIOR, BASELINE):
        course = [condition(r.metrics, which)["equivariance_course"] for r in runs]
        x = np.array([c["frames_developed"] for c in course[0]])
        values = np.array([[c["equivariance_error_mean"]["L1"] for c in seq] for seq in course])
        band(right, x, values.mean(axis=0), sd(values, axis=0), which)
    right.set_xlabel("development frame")
    right.set_ylabel("equivariance error, layer 1")
    right.set_title("the representation follows", fontsize=9)
    right.legend(fontsize=7)
    accepted = [set(r.metrics["effective_group"]["accepted"]) for r in runs]
    orders = [
        (r.metrics["effective_group"]["order"], r.metrics["effective_group"]["true_order"])
        for r in runs
    ]
    numbers.insert(
        0,
        f"accepted at the end in every seed: {', '.join(sorted(set.intersection(*accepted)))}; "
        f"order of the generated group / true order per seed: "
        + ", ".join(f"{a} / {b}" for a, b in orders),
    )
    true = first["effective_group"]["true_order"]
    courses = draw_order_course(group_ax, runs, int(frames[-1]))
    group_ax.axhline(math.log10(true), color="0.3", ls="--", lw=0.8,
                      label=f"the world's group (order {true})")  # fmt: skip
    group_ax.set_title("order of the group the accepted candidates generate", fontsize=9)
    group_ax.legend(fontsize=7)

    def reached(entries: list[dict]) -> str:
        """Frames developed at the first of ``entries`` with the world's order."""
        hits = [c["frames_developed"] for c in entries if c["order"] == true]
        return str(hits[0]) if hits else "never"

    numbers.insert(
        1,
        f"order of the generated group before development (every candidate accepted): "
        f"{', '.join(sorted({_order_text(c[0]['order']) for c in courses}))}; per seed, "
        f"first the world's ({true}) after {', '.join(reached(c) for c in courses)} "
        f"development frames, for good after {', '.join(reached(c[-1:]) for c in courses)}; "
        f"changes of the accepted set: {', '.join(str(len(c) - 1) for c in courses)}",
    )
    fig.suptitle("Refinement of the effective group on the 12 x 12 torus", fontsize=10)
    fig.tight_layout()
    return fig, numbers


def pi_band(ax, frames: np.ndarray, pi: np.ndarray, k: int, name: str, style: str = "-"):
    """Candidate ``k``'s pi (seeds, points) over ``frames``: mean line and ± sd band in
    the k-th colour of tab10."""
    colour = plt.get_cmap("tab10")(k % 10)
    mean, spread = pi.mean(axis=0), sd(pi, axis=0)
    ax.plot(frames, mean, ls=style, color=colour, label=name)
    ax.fill_between(frames, mean - spread, mean + spread, color=colour, alpha=0.15, lw=0)


def _candidate_generators(metrics: dict) -> set[str]:
    """Candidates that are the world's generators: those the effective-group metrics do
    not count as false (accepted or missed)."""
    group = metrics["effective_group"]
    return (set(group["accepted"]) - set(group["false_accepted"])) | set(group["missed"])


def _first_below(pi: np.ndarray, frames: np.ndarray, pi_min: float) -> float | None:
    hits = np.flatnonzero(pi <= pi_min)
    return float(frames[hits[0]]) if hits.size else None


def _order_text(order: int) -> str:
    """An exact group order, or its power of ten when it has more than six digits."""
    return str(order) if order < 10**6 else f"about 10^{math.log10(order):.0f}"


def _order_at(course: list[dict], frame: int) -> int:
    """The order of the generated group after ``frame`` development frames."""
    return [c["order"] for c in course if c["frames_developed"] <= frame][-1]


def draw_order_course(ax, runs: Sequence[Run], end: int) -> list[dict]:
    """The order of the group the accepted candidates generate (drawn as log10(order) on
    a symlog axis, ticks labelled with orders), over ``end`` development frames: one
    step line per seed (the evidence is the sensory layer's, so the baseline's is the
    same). Returns each run's course."""
    courses = [r.metrics["effective_group"]["order_course"] for r in runs]
    for i, course in enumerate(courses):
        x = [c["frames_developed"] for c in course] + [end]
        y = [math.log10(c["order"]) for c in course]
        ax.step(x, [*y, y[-1]], where="post", color=COLOURS[PRIOR], alpha=0.6,
                label="per seed" if i == 0 else None)  # fmt: skip
    ax.set_xlabel("development frame")
    ax.set_ylabel("order of the generated group")
    # the height is log10(order), drawn linearly up to 1000 and logarithmically above:
    # the world's 12 or 144 and the symmetric group's 10^250 on one axis
    ax.set_yscale("symlog", linthresh=3, linscale=2)
    powers = [0, 1, 2, 3, 10, 100]
    ax.set_yticks(powers, ["1", "10", "100", "1000", "$10^{10}$", "$10^{100}$"])
    ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    return courses


def draw_compositional(data: dict[str, list[Run]]):
    runs = data["torus"]
    names = list(runs[0].metrics["equivariance_error"]["L1"])
    extra = set(COMPOSITIONS)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    width = 0.38
    numbers = []
    for j, which in enumerate((PRIOR, BASELINE)):
        values = np.array(
            [
                [condition(r.metrics, which)["equivariance_error"]["L1"][n] for n in names]
                for r in runs
            ]
        )
        x = np.arange(len(names)) + (j - 0.5) * width
        ax.bar(
            x,
            values.mean(axis=0),
            width,
            yerr=sd(values, axis=0),
            color=COLOURS[which],
            label=NAMES[which],
        )
        shown = [i for i, n in enumerate(names) if n not in extra]
        never = [i for i, n in enumerate(names) if n in extra]
        numbers.append(
            f"{NAMES[which]}: equivariance error to the generators "
            f"{seeds(values[:, shown].mean(axis=1))}, to the compositions never shown "
            f"{seeds(values[:, never].mean(axis=1))}"
        )
    ax.axvline(len(names) - len(extra) - 0.5, color="0.5", ls=":")
    ax.set_xticks(np.arange(len(names)), names, rotation=20, fontsize=7)
    ax.set_xlabel("probed transformation")
    ax.set_ylabel("equivariance error, layer 1")
    ax.set_title("left of the line: the world's one-pixel shifts; right: never shown", fontsize=9)
    ax.legend(fontsize=7)
    fig.suptitle("Compositionality on the 12 x 12 torus", fontsize=10)
    fig.tight_layout()
    return fig, numbers


# -- (4) stable and the price ----------------------------------------------------------------

NOISE = ("0.01", "0.05", "0.1", "0.2")
SCENES = ("0.1", "0.3", "0.5", "0.7")
#: The perturbation block (docs/model.md#56-the-perturbation-block) in every noise run.
SHAKEN = "perturbation={}"


def draw_stable(data: dict[str, list[Run]]):
    runs = data["stable"]
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.6))
    numbers = []
    default = [r for r in runs if r.grid["world.noise_sd"] == "0.05"]
    for ax, kind, xlabel in (
        (axes[0, 0], "noise", "sd of the noise added to a clean scene"),
        (axes[0, 1], "occlusion", "fraction of the input hidden"),
    ):
        for which in (PRIOR, BASELINE):
            rows = [condition(r.metrics, which)["perturbation"][kind] for r in default]
            levels = np.array([float(v) for v in rows[0]])
            change = np.array([[row[v]["representation_change"] for v in row] for row in rows])
            band(ax, levels, change.mean(axis=0), sd(change, axis=0), which)
            gains = np.array([[row[v]["gain"] for v in row] for row in rows])
            numbers.append(
                f"{kind}, {NAMES[which]}: representation change per unit of input change "
                + ", ".join(
                    f"{_fmt(g, e)} at {v:g}"
                    for v, g, e in zip(levels, gains.mean(axis=0), sd(gains, axis=0), strict=True)
                )
            )
        inputs = [row["input_change"] for row in rows[0].values()]
        ax.plot(levels, inputs, ls="--", color="0.5", label="input")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("relative change from the clean scene")
        ax.set_title(f"{kind} (world noise 0.05)", fontsize=9)
    axes[0, 0].legend(fontsize=7)
    for ax, (path, title) in zip(
        (axes[0, 2], axes[1, 0]),
        (
            ("equivariance_error_mean.L1", "equivariance error, layer 1"),
            ("transformed_heldout_prediction_error", "error at never-seen positions"),
        ),
        strict=True,
    ):
        for which in (PRIOR, BASELINE):
            x, mean, spread = over_seeds(runs, "world.noise_sd", path, which)
            band(ax, x, mean, spread, which)
            numbers.append(
                f"{title}, {NAMES[which]}: "
                + ", ".join(
                    f"{_fmt(m, s)} at noise {v:g}" for v, m, s in zip(x, mean, spread, strict=True)
                )
            )
        ax.set_xlabel("world noise sd")
        ax.set_ylabel(title)
    for ax, study, key, xlabel in (
        (axes[1, 1], "stable", "world.noise_sd", "world noise sd"),
        (axes[1, 2], "stable-scenes", "world.p_new_scene", "probability of a new scene per frame"),
    ):
        x, share, counts = recovered(data[study], key)
        ax.plot(x, share, marker="o", color=COLOURS[PRIOR], label="effective group = world's")
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("share of seeds")
        ax.set_title("group recovered exactly", fontsize=9)
        numbers.append(
            "group recovered exactly in "
            + ", ".join(
                f"{c} at {key.split('.')[-1]} {v:g}" for v, c in zip(x, counts, strict=True)
            )
        )
    fig.suptitle(
        "Stability on the ring: perturbed inputs, noisier worlds, more new scenes", fontsize=10
    )
    fig.tight_layout()
    return fig, numbers


def recovered(runs: Sequence[Run], key: str) -> tuple[list[float], list[float], list[str]]:
    """Per grid value of ``key``: the share of seeds whose accepted set generates exactly
    the world's group with no distractor, and that count as text ("2 of 3 seeds")."""
    exact: dict[float, list[bool]] = defaultdict(list)
    for run in runs:
        exact[_number(run.grid[key])].append(recovered_exactly(run.metrics["effective_group"]))
    x = sorted(exact)
    return (
        x,
        [float(np.mean(exact[v])) for v in x],
        [f"{sum(exact[v])} of {len(exact[v])} seeds" for v in x],
    )


#: Up to the default: lambda = 30 diverged at t = 1.25 s in every seed (the pull adds
#: lambda dt / tau_r = 3 to the explicit Euler step of inference, past its limit of 2).
LAMBDAS = ("0", "1", "3", "6", "10")
COUPLINGS = ("0 Hz", "1 Hz", "3 Hz", "10 Hz")
COUPLING, COUPLING_END = "symmetry.weight_coupling", "symmetry.weight_coupling_end"
#: Annealed couplings: from each start to each end, linearly over development.
ANNEALED = ((COUPLING, ("3 Hz", "10 Hz")), (COUPLING_END, ("0 Hz", "1 Hz")))


def _price_point(label: str, seen: float, novel: float, base_seen: float, base_novel: float):
    """One sentence: a point's errors at seen and never-seen positions against the
    baseline's."""
    return (
        f"{label}: error at seen positions {seen:.4f} "
        f"({100 * (seen / base_seen - 1):+.0f} % against the baseline), at never-seen "
        f"positions {novel:.4f} ({100 * (novel / base_novel - 1):+.0f} %)"
    )


def draw_price(data: dict[str, list[Run]]):
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    seen, novel = "heldout_prediction_error", "transformed_heldout_prediction_error"
    numbers = []
    base_seen = np.array([value(r.metrics[BASELINE], seen) for r in data["price-lambda"]])
    base_novel = np.array([value(r.metrics[BASELINE], novel) for r in data["price-lambda"]])
    baseline = (base_seen.mean(), base_novel.mean())
    for label, key, marker in (
        ("price-lambda", "symmetry.lam", "o"),
        ("price-coupling", COUPLING, "s"),
    ):
        runs = data[label]
        xs, sm, ss = over_seeds(runs, key, seen, PRIOR)
        _, nm, ns = over_seeds(runs, key, novel, PRIOR)
        symbol = "lambda" if key.endswith("lam") else "kappa"
        ax.errorbar(
            sm,
            nm,
            xerr=ss,
            yerr=ns,
            marker=marker,
            color=COLOURS[PRIOR],
            ls="-" if marker == "o" else "--",
            label=f"with prior, {symbol} varied",
        )
        offset = (4, 4) if symbol == "lambda" else (4, -10)  # the two meet at lambda 10, 3 Hz
        for v, a, b in zip(xs, sm, nm, strict=True):
            ax.annotate(
                f"{symbol} {v:g}", (a, b), fontsize=6, xytext=offset, textcoords="offset points"
            )
            numbers.append(_price_point(f"{symbol} = {v:g}", a, b, *baseline))
    annealed: dict[tuple[float, float], list[Run]] = defaultdict(list)
    for run in data["price-anneal"]:
        annealed[(_number(run.grid[COUPLING]), _number(run.grid[COUPLING_END]))].append(run)
    for i, ((start, end), runs) in enumerate(sorted(annealed.items())):
        a = [value(r.metrics, seen) for r in runs]
        b = [value(r.metrics, novel) for r in runs]
        ax.errorbar(
            np.mean(a),
            np.mean(b),
            xerr=sd(a),
            yerr=sd(b),
            marker="^",
            mfc="white",
            color=COLOURS[PRIOR],
            ls="none",
            label="with prior, kappa annealed over development" if i == 0 else None,
        )
        ax.annotate(
            f"kappa {start:g} -> {end:g}",
            (np.mean(a), np.mean(b)),
            fontsize=6,
            xytext=(4, 2),
            textcoords="offset points",
        )
        numbers.append(
            _price_point(
                f"kappa annealed {start:g} -> {end:g} Hz", np.mean(a), np.mean(b), *baseline
            )
        )
    ax.errorbar(
        *baseline,
        xerr=sd(base_seen),
        yerr=sd(base_novel),
        marker="D",
        color=COLOURS[BASELINE],
        label=NAMES[BASELINE],
    )
    numbers.insert(
        0,
        f"baseline: error at seen positions {seeds(base_seen)}, at never-seen positions "
        f"{seeds(base_novel)}",
    )
    ax.set_xlabel("relative prediction error at seen positions")
    ax.set_ylabel("relative prediction error at never-seen positions")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    fig.suptitle(
        "The price of the prior and its knobs (ring; lambda at kappa 3 Hz, kappa at lambda 10)",
        fontsize=9,
    )
    fig.tight_layout()
    return fig, numbers


# -- the scenarios -------------------------------------------------------------------------


def draw_perception(data: dict[str, list[Run]]):
    runs = data["mirror"]
    axes_names = runs[0].metrics["perception"]["axes"]
    fig, panels = plt.subplots(1, len(axes_names), figsize=(5 * len(axes_names), 3.4))
    panels = np.atleast_1d(panels)
    numbers = []
    for panel, axis in zip(panels, axes_names, strict=True):
        for which in (PRIOR, BASELINE):
            signatures = [condition(r.metrics, which)["perception"][axis] for r in runs]
            p = np.array([float(k) for k in signatures[0]["difference"]])
            d = np.array([list(s["difference"].values()) for s in signatures])
            band(panel, p, d.mean(axis=0), sd(d, axis=0), which)
            slopes = [s["slope"] for s in signatures]
            r2 = [s["r2"] for s in signatures]
            numbers.append(
                f"axis {axis}, {NAMES[which]}: slope {seeds(slopes)} per unit p, R^2 "
                f"{seeds(r2)}, monotone in "
                f"{sum(s['monotone'] for s in signatures)} of {len(signatures)} seeds"
            )
        stim = np.array(
            [list(r.metrics["perception"][axis]["stimulus"]["difference"].values()) for r in runs]
        )
        panel.plot(p, stim.mean(axis=0), ls="--", color="0.5", label="stimulus")
        panel.axhline(0, color="0.7", lw=0.5)
        panel.set_xlabel("proportion of dots in mirror pairs")
        panel.set_title(f"mirror axis {axis}", fontsize=9)
    panels[0].set_ylabel("mirror asymmetry of layer 1,\nrelative change from random")
    panels[0].legend(fontsize=7)
    fig.suptitle("Symmetry perception (mirror scenario)", fontsize=10)
    fig.tight_layout()
    return fig, numbers


def draw_oddball(data: dict[str, list[Run]]):
    runs = data["oddball"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    numbers = []
    for which in (PRIOR, BASELINE):
        odd = [condition(r.metrics, which)["oddball"] for r in runs]
        for kind, style in (("group", "-"), ("contrast", "--")):
            magnitudes = sorted(odd[0]["mismatch"][kind], key=int)
            x, mean, spread = [], [], []
            for d in magnitudes:
                got = [
                    o["mismatch"][kind][d] for o in odd if o["mismatch"][kind].get(d) is not None
                ]
                if got:
                    x.append(odd[0]["distance"][d])
                    mean.append(np.mean(got))
                    spread.append(float(sd(got)))
            left.errorbar(x, mean, yerr=spread, ls=style, marker="o", color=COLOURS[which],
                          label=f"{kind} deviants, {NAMES[which]}")  # fmt: skip
        reps = np.array([[o["standard_by_repetition"][str(r)] for r in range(1, 7)] for o in odd])
        band(right, np.arange(1, 7), reps.mean(axis=0), sd(reps, axis=0), which)
        slopes = {k: [o[f"slope_{k}"] for o in odd] for k in ("group", "contrast")}
        numbers.append(
            f"{NAMES[which]}: mismatch slope per unit distance, group deviants "
            f"{seeds(slopes['group'])}, contrast deviants {seeds(slopes['contrast'])}; group "
            f"minus contrast {seeds([o['group_minus_contrast'] for o in odd])}; standard's "
            f"response {seeds(reps[:, 0])} at its first repetition, {seeds(reps[:, 2])} at "
            f"its third"
        )
    oddball_axes(left, right)
    fig.suptitle("Mismatch responses (oddball scenario)", fontsize=10)
    fig.tight_layout()
    return fig, numbers


def draw_development(data: dict[str, list[Run]]):
    runs = data["development"]
    first = runs[0].metrics
    names = first["series"]["pi_names"][1:]
    frames = np.array(first["series"]["frame"]) + 1
    pi = np.array([r.metrics["series"]["pi"] for r in runs])
    fig, (left, right, group_ax) = plt.subplots(1, 3, figsize=(15, 3.6))
    shown = [k for k, n in enumerate(names) if n.startswith("shift")]
    for k in shown:
        pi_band(left, frames, pi[:, :, k + 1], k, names[k])
    left.axhline(first["effective_group"]["pi_min"], color="0.4", ls=":", lw=0.8)
    left.set_ylabel("prior pi (with symmetry prior)")
    for which in (PRIOR, BASELINE):
        course = [condition(r.metrics, which)["equivariance_course"] for r in runs]
        x = np.array([c["frames_developed"] for c in course[0]])
        for generator, style in (("shift(0,1)", "-"), ("shift(1,0)", "--")):
            values = np.array(
                [[c["equivariance_error"]["L1"][generator] for c in seq] for seq in course]
            )
            right.plot(x, values.mean(axis=0), ls=style, color=COLOURS[which],
                       label=f"to {generator}, {NAMES[which]}")  # fmt: skip
    right.set_ylabel("equivariance error, layer 1")
    numbers = []
    end = int(frames[-1])
    courses = draw_order_course(group_ax, runs, end)
    group_ax.set_title("order of the group the accepted candidates generate", fontsize=9)
    starts = [phase["first_frame"] for phase in first["phases"]][1:] + [end]
    for p, phase in enumerate(first["phases"]):
        last = starts[p]
        at_end = sorted({_order_text(_order_at(c, last)) for c in courses})
        numbers.append(
            f"order of the generated group at the end of phase '{phase['name']}' "
            f"(frame {last}): {', '.join(at_end)}"
        )
        for ax in (left, right, group_ax):
            ax.axvline(phase["first_frame"], color="0.3", lw=0.8, ls="-.")
        left.text(
            phase["first_frame"],
            1.0,
            f" {phase['name']}",
            transform=left.get_xaxis_transform(),
            fontsize=6,
            va="top",
        )
        phases = [r.metrics["phases"][p] for r in runs]
        events = []
        for key, verb in (("accepted_after", "accepted"), ("pruned_after", "pruned")):
            for name in sorted({n for ph in phases for n in ph[key]}):
                got = [ph[key].get(name) for ph in phases]
                done = [g for g in got if g is not None]
                when = f"after {seeds(done)} frames" if done else "never"
                events.append(
                    f"{name} {verb} {when}"
                    + (
                        f" (never in {len(got) - len(done)})"
                        if done and len(done) < len(got)
                        else ""
                    )
                )
        numbers.append(f"phase '{phase['name']}': " + ("; ".join(events) or "no change"))
    for ax in (left, right, group_ax):
        ax.set_xlabel("development frame")
        ax.legend(fontsize=6)
    fig.suptitle("A world whose symmetries change (development scenario)", fontsize=10)
    fig.tight_layout()
    return fig, numbers


FIGURES: dict[str, Figure] = {
    f.name: f
    for f in (
        Figure(
            "efficient",
            "Efficient: fewer frames to generalise",
            "(1) the prior makes representations efficient",
            "Ring scenario developed for 50 to 1,500 frames, then probed (learning frozen): "
            "relative prediction error at positions where development's new scenes never "
            "were and at seen positions, layer-1 equivariance error and the weight-sharing "
            "index (1: weights tied exactly under the world's generators) and the effective "
            "number of independent weights of W_1 as a share of its synapses (one per "
            "orbit of synapses under the accepted group, plus the within-orbit share of "
            "the weights' variance for the rest), with the prior and in the baseline on "
            "the same frames and initial weights.",
            (Study("efficient", "ring", "1-5", (("training.frames", FRAMES),)),),
            (Study("efficient", "ring", "1", (("training.frames", ("100", "800")),)),),
            draw_efficient,
        ),
        Figure(
            "refinement",
            "Refinement: the effective group over development",
            "(2) the prior works by the iterative refinement of an effective group",
            "Torus scenario (four one-pixel shifts among a 90-degree rotation, two "
            "reflections and a random permutation): the prior pi of each candidate over "
            "development (block means of 30 frames; dotted: pi_min), the layer-1 "
            "equivariance error at the probes, with the prior and in the baseline, and the "
            "order of the group the accepted candidates (pi > pi_min) generate, frame by "
            "frame and per seed (the same in the baseline: the evidence is the sensory "
            "layer's); before development every candidate is accepted, and the random "
            "permutation makes that the symmetric group of the 144 pixels.",
            *TORUS,
            draw_refinement,
        ),
        Figure(
            "compositional",
            "Compositional: equivariance to transformations never shown",
            "(3) the prior makes representations compositional",
            "Torus scenario: the world only ever shifts by one pixel along one axis; the "
            "probes also shift the stimuli by (1, 1), (1, -1) and (2, 1) pixels "
            "(compositions of the generators that development never showed). Bars: "
            "layer-1 equivariance error at the end of development.",
            *TORUS,
            draw_compositional,
        ),
        Figure(
            "stable",
            "Stable: group and representation under input noise",
            "(4) the prior makes representations stable",
            "Ring scenario. Top: after development (world noise 0.05), clean held-out "
            "scenes and their versions with added noise or a hidden arc, learning frozen: "
            "how far the layer-1 representation moves from the clean scene's, beside how "
            "far the input moved (dashed). Then, over worlds with noise sd 0.01 to 0.2: "
            "layer-1 equivariance error, error at never-seen positions and the share of "
            "seeds in which the accepted set generates exactly the world's group with no "
            "distractor (the prior's; the evidence comes from the stimuli alone, so the "
            "baseline's is the same); and that share over worlds with more and more new "
            "scenes (p_new_scene 0.1 to 0.7).",
            (
                Study("stable", "ring", "1-3", (("world.noise_sd", NOISE),), (SHAKEN,)),
                Study("stable-scenes", "ring", "1-3", (("world.p_new_scene", SCENES),)),
            ),
            (
                Study("stable", "ring", "1", (("world.noise_sd", ("0.05", "0.2")),), (SHAKEN,)),
                Study("stable-scenes", "ring", "1", (("world.p_new_scene", ("0.1", "0.7")),)),
            ),
            draw_stable,
        ),
        Figure(
            "price",
            "The price and the knobs",
            "(4) what the prior costs at seen positions, against what it buys at never-seen ones",
            "Ring scenario: lambda (the prior's weight in inference) from 0 to 10 at the "
            "default weight coupling kappa = 3 Hz, and kappa from 0 to 10 Hz at lambda = "
            "10; each point the prior's error at seen against never-seen positions "
            "(mean ± sd over seeds), beside the baseline; open triangles: kappa annealed "
            "linearly over development from 3 or 10 Hz to 0 or 1 Hz (lambda = 10). "
            "lambda = 30 diverged in every seed (inference is integrated with an explicit "
            "Euler step of 1 ms).",
            (
                Study("price-lambda", "ring", "1-3", (("symmetry.lam", LAMBDAS),)),
                Study("price-coupling", "ring", "1-3", ((COUPLING, COUPLINGS),)),
                Study("price-anneal", "ring", "1-3", ANNEALED),
            ),
            (
                Study("price-lambda", "ring", "1", (("symmetry.lam", ("0", "10")),)),
                Study("price-coupling", "ring", "1", ((COUPLING, ("1 Hz",)),)),
                Study(
                    "price-anneal", "ring", "1", ((COUPLING, ("3 Hz",)), (COUPLING_END, ("0 Hz",)))
                ),
            ),
            draw_price,
        ),
        Figure(
            "perception",
            "Symmetry perception",
            "the mirror scenario's signatures (the model's counterpart of the SPN)",
            "Mirror scenario: after development in a world that mirrors, dot patterns with "
            "a proportion p of mirror-paired dots; the layer-1 representation's mirror "
            "asymmetry relative to that of random patterns (dashed: the stimulus's own).",
            *scenario_studies("mirror"),
            draw_perception,
        ),
        Figure(
            "oddball",
            "Mismatch responses",
            "the oddball scenario's signatures",
            "Oddball scenario: after ring development, a repeated standard with rare "
            "deviants (p 0.1), learning on; left, the mismatch response (deviant minus "
            "the standard before it, mean squared sensory error over the first 20 ms) "
            "against the deviant's distance from the standard, for deviants by a rotation "
            "(in the world's group) and by a contrast change (outside it); right, the "
            "standard's response over its repetitions after a deviant.",
            *scenario_studies("oddball"),
            draw_oddball,
        ),
        Figure(
            "development",
            "A world whose symmetries change",
            "(2) the effective group tracks the world",
            "Development scenario: a torus world that shifts along x only, then along x "
            "and y, then along y only (1,000 frames each). Left: pi of the four shift "
            "candidates (dotted: pi_min); middle: layer-1 equivariance error to an x- and "
            "a y-shift, with the prior and in the baseline; right: the order of the group "
            "the accepted candidates generate, per seed (the world's: 12, 144, 12); "
            "dash-dotted: phase starts.",
            *scenario_studies("development"),
            draw_development,
        ),
    )
}
