"""`pcsim figures` (pcsim.paper, pcsim.gallery): each figure drawn from small hand-made
runs shows the series, labels and conditions it claims, with the numbers the runs
hold; the sweeps are cached by request and code, so replotting runs nothing again."""

from __future__ import annotations

import contextlib
import json
import math

import numpy as np
import pytest

from pcsim import gallery, paper, sweep
from pcsim.errors import ConfigError
from pcsim.paper import BASELINE, FIGURES, NAMES, PRIOR, Run

PI_NAMES = ["null", "shift_x+1", "shift_x-1", "rotate90"]


def condition(x: float, base: bool) -> dict:
    """Metrics of one condition whose every error is ``x`` (twice that in the baseline)
    and whose perception slope is -x (0 in the baseline)."""
    k = 2.0 if base else 1.0
    return {
        "heldout_prediction_error": 0.01 * k * x,
        "transformed_heldout_prediction_error": 0.1 * k * x,
        "equivariance_error_mean": {"L1": k * x},
        "weight_sharing_index": 1.0 / k,
        "equivariance_error": {
            "L1": {
                "shift(0,1)": k * x,
                "shift(0,-1)": k * x,
                **{n: 3 * k * x for n in paper.COMPOSITIONS},
            }
        },
        "equivariance_course": [
            {
                "frames_developed": f,
                "equivariance_error_mean": {"L1": k * x / (1 + f)},
                "equivariance_error": {"L1": {"shift(0,1)": k * x, "shift(1,0)": k * x / 2}},
            }
            for f in (0, 10, 20)
        ],
        "oddball": {
            "mismatch": {"group": {"1": k * x, "2": 2 * k * x}, "contrast": {"1": x, "2": None}},
            "distance": {"1": 0.5, "2": 1.0},
            "slope_group": 2 * k * x,
            "slope_contrast": None if base else x,
            "group_minus_contrast": k * x,
            "standard_by_repetition": {str(r): k * x / r for r in range(1, 7)},
        },
        "effective_group": {
            "accepted": ["shift_x+1", "shift_x-1"],
            "false_accepted": [],
            "missed": [],
            "pi_min": 0.05,
            "order": 12,
            "true_order": 12,
            "same_group": x < 2,
            "precision": 1.0,
            "recall": 1.0,
            "effective_weights": {"share": 0.1 * k},
            "order_course": [  # all three accepted first (as the symmetric group of 24 points)
                {"frames_developed": 0, "accepted": PI_NAMES[1:], "order": math.factorial(24)},
                {"frames_developed": 20, "accepted": PI_NAMES[1:3], "order": 12},
            ],
        },
        "perturbation": {
            "layer": 1,
            **{
                kind: {
                    f"{v:g}": {"input_change": v, "representation_change": k * x * v, "gain": k * x}
                    for v in levels
                }
                for kind, levels in (("noise", (0.1, 0.2)), ("occlusion", (0.25,)))
            },
        },
        "perception": {
            "axes": ["x"],
            "layer": 1,
            "x": {
                "difference": {"0": 0.0, "0.5": -0.5 * x / k, "1": -x / k},
                "slope": -x / k,
                "r2": 1.0,
                "monotone": not base,
                "stimulus": {"difference": {"0": 0.0, "0.5": -0.5, "1": -1.0}},
            },
        },
    }


def metrics(x: float, base_x: float) -> dict:
    out = condition(x, base=False)
    out[BASELINE] = condition(base_x, base=True)
    pi = np.array([[0.2, 0.4, 0.35, 0.05 * (3 - t)] for t in range(3)])  # rotate90 falls
    out["series"] = {"pi_names": PI_NAMES, "frame": [9, 19, 29], "pi": pi.tolist()}
    out["phases"] = [
        {
            "name": "x only",
            "first_frame": 0,
            "accepted_after": {},
            "pruned_after": {"rotate90": 20},
        },
        {
            "name": "more",
            "first_frame": 15,
            "accepted_after": {"shift_y+1": int(10 * x)},
            "pruned_after": {},
        },
    ]
    return out


def runs(key: str | None, values: list[str], fixed_baseline: bool = False) -> list[Run]:
    """Runs over ``values`` of grid ``key`` and seeds 1, 2; run x = value + seed / 10 (so
    the mean over seeds is value + 0.15); the baseline's x the same, or 1 + seed / 10
    whatever the grid value (as a real baseline, which no knob of the prior changes)."""
    out = []
    for v in values or ["0"]:
        for s in (1, 2):
            grid = {key: v} if key else {}
            x = paper._number(v) + s / 10
            out.append(Run(grid, s, metrics(x, 1 + s / 10 if fixed_baseline else x)))
    return out


def annealed_runs() -> list[Run]:
    """Runs annealed from 3 to 0 Hz (x = 0.3 + seed / 10) and from 10 to 1 Hz (x = 1 +
    seed / 10), the baseline fixed as in `runs`."""
    out = []
    for start, end in (("3 Hz", "0 Hz"), ("10 Hz", "1 Hz")):
        for s in (1, 2):
            grid = {paper.COUPLING: start, paper.COUPLING_END: end}
            out.append(Run(grid, s, metrics(paper._number(start) / 10 + s / 10, 1 + s / 10)))
    return out


DATA = {
    "efficient": runs("training.frames", ["50", "200"]),
    "torus": runs(None, []),
    "stable": runs("world.noise_sd", ["0.05", "3"]),
    "stable-scenes": runs("world.p_new_scene", ["0.1", "3"]),
    "price-lambda": runs("symmetry.lam", ["0", "10"], fixed_baseline=True),
    "price-coupling": runs("symmetry.weight_coupling", ["0 Hz", "3 Hz"], fixed_baseline=True),
    "price-anneal": annealed_runs(),
    "mirror": runs(None, []),
    "oddball": runs(None, []),
    "development": runs(None, []),
}


def legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def draw(name: str):
    figure = FIGURES[name]
    return figure.draw({s.label: DATA[s.label] for s in figure.full})


def test_every_figure_has_labelled_axes_and_both_conditions():
    for name in FIGURES:
        fig, numbers = draw(name)
        axes = [ax for ax in fig.axes if ax.get_visible()]
        assert all(ax.get_xlabel() for ax in axes), name
        assert any(ax.get_ylabel() for ax in axes), name
        legends = [t for ax in axes for t in legend_texts(ax)]
        if name != "refinement":  # its left panel is the prior's pi per candidate
            assert NAMES[PRIOR] in " ".join(legends) or "with prior" in " ".join(legends), name
        assert any(NAMES[BASELINE] in text for text in legends), name
        assert numbers and all(isinstance(line, str) and line for line in numbers), name


def test_efficient_plots_the_mean_over_seeds_per_frame_count():
    fig, numbers = draw("efficient")
    novel = fig.axes[0]
    prior, base = novel.get_lines()[:2]
    np.testing.assert_allclose(prior.get_xdata(), [50, 200])
    np.testing.assert_allclose(prior.get_ydata(), [0.1 * 50.15, 0.1 * 200.15])
    np.testing.assert_allclose(base.get_ydata(), [0.2 * 50.15, 0.2 * 200.15])
    assert novel.get_xscale() == "log"
    assert "not within 200 frames" in numbers[0]
    shared = fig.axes[4].get_lines()
    np.testing.assert_allclose(
        [shared[0].get_ydata(), shared[1].get_ydata()], [[0.1, 0.1], [0.2, 0.2]]
    )
    assert (
        numbers[-1].startswith("independent weights of W_1")
        and "0.2 ± 0 of the synapses" in numbers[-1]
    )


def test_compositional_bars_hold_each_transformation_per_condition():
    fig, numbers = draw("compositional")
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    x = 0.15  # mean over the two seeds of run x
    assert heights == pytest.approx(
        [x, x, 3 * x, 3 * x, 3 * x] + [2 * x, 2 * x, 6 * x, 6 * x, 6 * x]
    )
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["shift(0,1)", "shift(0,-1)", *paper.COMPOSITIONS]
    assert "to the compositions never shown 0.45" in numbers[0]


def test_refinement_marks_distractors_and_when_they_fell():
    fig, numbers = draw("refinement")
    left = fig.axes[0]
    styles = {line.get_label(): line.get_linestyle() for line in left.get_lines()[:3]}
    assert styles == {"shift_x+1": "-", "shift_x-1": "-", "rotate90": "--"}
    # pi reaches pi_min in the third block of 10 frames, which ends at frame 30
    assert "distractor rotate90: pi fell below pi_min after 30 ± 0 frames" in numbers
    assert "order of the generated group / true order per seed: 12 / 12, 12 / 12" in numbers[0]
    assert numbers[1] == (
        "order of the generated group before development (every candidate accepted): "
        "about 10^24; per seed, first the world's (12) after 20, 20 development frames, "
        "for good after 20, 20; changes of the accepted set: 1, 1"
    )
    group_ax = fig.axes[2]
    steps = [line for line in group_ax.get_lines() if line.get_label() != "_nolegend_"]
    np.testing.assert_allclose(steps[0].get_xdata(), [0, 20, 30])
    np.testing.assert_allclose(
        steps[0].get_ydata(), [math.log10(math.factorial(24)), 1.0792, 1.0792], rtol=1e-4
    )
    assert "the world's group (order 12)" in legend_texts(group_ax)


def test_stable_shows_the_perturbations_and_counts_the_seeds_that_recovered_the_group():
    fig, numbers = draw("stable")
    noise = fig.axes[0].get_lines()
    np.testing.assert_allclose(noise[0].get_xdata(), [0.1, 0.2])
    # runs at world noise 0.05: x = 0.15, 0.25, mean 0.2; change x * level
    np.testing.assert_allclose(noise[0].get_ydata(), [0.2 * 0.1, 0.2 * 0.2])
    np.testing.assert_allclose(noise[-1].get_ydata(), [0.1, 0.2])  # the input's own change
    assert numbers[0] == (
        "noise, with symmetry prior: representation change per unit of input change "
        "0.2 ± 0.071 at 0.1, 0.2 ± 0.071 at 0.2"
    )
    for ax in (fig.axes[4], fig.axes[5]):
        np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [1.0, 0.0])  # x < 2 only
    assert numbers[-1] == (
        "group recovered exactly in 2 of 2 seeds at p_new_scene 0.1, 0 of 2 seeds at p_new_scene 3"
    )


def test_price_puts_each_knob_beside_the_baseline():
    fig, numbers = draw("price")
    assert numbers[0].startswith("baseline: error at seen positions")
    # lambda = 0: runs x = 0.1, 0.2, seen error 0.01 x: 0.0015; the baseline's 0.02 x at
    # x = 1.1, 1.2: 0.023, so -93 %; never-seen 0.015 against 0.23
    assert numbers[1] == (
        "lambda = 0: error at seen positions 0.0015 (-93 % against the baseline), "
        "at never-seen positions 0.0150 (-93 %)"
    )
    assert "kappa = 3:" in numbers[-3]
    # annealed 3 -> 0 Hz: x = 0.45 on average, seen 0.0045 against 0.023 (-80 %)
    assert numbers[-2] == (
        "kappa annealed 3 -> 0 Hz: error at seen positions 0.0045 (-80 % against the "
        "baseline), at never-seen positions 0.0450 (-80 %)"
    )
    assert numbers[-1].startswith("kappa annealed 10 -> 1 Hz: error at seen positions 0.0115")
    assert "with prior, kappa annealed over development" in legend_texts(fig.axes[0])


def test_perception_plots_the_difference_and_the_stimulus():
    fig, numbers = draw("perception")
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:2] == [NAMES[PRIOR], NAMES[BASELINE]] and "stimulus" in labels
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0, -0.075, -0.15])
    assert "monotone in 2 of 2 seeds" in numbers[0]


# -- the gallery and its cache ---------------------------------------------------------------


@pytest.fixture
def fake_sweeps(monkeypatch):
    """`sweep.run_sweep` replaced by one that writes a complete sweep of hand-made runs
    (as `DATA` has them for the study's label) and counts its calls."""
    calls = []
    by_scenario_grid = {}
    for figure in FIGURES.values():
        for study in figure.full + figure.quick:
            by_scenario_grid[(study.scenario, study.grid)] = study.label

    def run_sweep(request: sweep.Request, out, scheduler=None):
        assert scheduler == "tcp://fake"  # every study on the gallery's one cluster
        calls.append(request)
        label = by_scenario_grid[(request.scenario, request.grid)]
        out.mkdir(parents=True)
        points = []
        for i, run in enumerate(DATA[label]):
            where = out / "runs" / f"r{i}"
            where.mkdir(parents=True)
            (where / "metrics.json").write_text(json.dumps(run.metrics))
            points.append(
                {"grid": run.grid, "seed": run.seed, "status": "complete", "dir": f"runs/r{i}"}
            )
        state = {"status": "complete", "request": request.to_json(), "points": points}
        (out / "sweep.json").write_text(json.dumps(state))
        return sweep.Sweep(out, points, [])

    monkeypatch.setattr(sweep, "run_sweep", run_sweep)
    monkeypatch.setattr(
        sweep, "local_cluster", lambda workers: contextlib.nullcontext("tcp://fake")
    )
    return calls


def test_gallery_writes_every_figure_and_replots_from_the_cache(tmp_path, fake_sweeps):
    out, cache = tmp_path / "figures", tmp_path / "cache"
    built = gallery.build(out, cache, progress=lambda line: None)
    labels = {s.label for f in FIGURES.values() for s in f.full}
    assert len(fake_sweeps) == len(labels)  # the torus study serves two figures
    for name in FIGURES:
        assert (out / f"{name}.png").stat().st_size > 0 and (out / f"{name}.pdf").exists()
    page = (out / "README.md").read_text()
    for figure in FIGURES.values():
        assert f"## {figure.title}" in page and f"`pcsim figures --only {figure.name}`" in page
        assert built.figures[figure.name][1][0] in page
    gallery.build(out, cache, progress=lambda line: None)
    assert len(fake_sweeps) == len(labels)  # nothing ran again
    assert "studies: `pcsim sweep ring --seeds 1-5 --grid 'training.frames=50,100" in page


def test_a_code_change_caches_apart(tmp_path, monkeypatch, fake_sweeps):
    gallery.build(tmp_path / "f", tmp_path / "c", only=["efficient"], progress=lambda l: None)
    monkeypatch.setattr(gallery, "code_digest", lambda: "changed")
    gallery.build(tmp_path / "f", tmp_path / "c", only=["efficient"], progress=lambda l: None)
    assert len(fake_sweeps) == 2
    assert len(list((tmp_path / "c").iterdir())) == 2


def test_the_code_digest_ignores_drawing_code_only():
    package = gallery.Path(gallery.__file__).parent
    assert {p.name for p in package.glob("*.py")} >= set(gallery.DRAWING)
    assert "plots.py" in gallery.DRAWING and "simulate.py" not in gallery.DRAWING


def test_unknown_figure_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="unknown figure nope \\(known: efficient, "):
        gallery.build(tmp_path, tmp_path, only=["nope"])


def test_failed_runs_stop_the_build_naming_the_study_and_where(tmp_path, monkeypatch):
    def run_sweep(request: sweep.Request, out, scheduler=None):
        points = [{"status": "complete"}, {"status": "failed"}, {"status": "failed"}]
        return sweep.Sweep(out, points, [])

    monkeypatch.setattr(sweep, "run_sweep", run_sweep)
    monkeypatch.setattr(sweep, "local_cluster", lambda workers: contextlib.nullcontext(None))
    with pytest.raises(ConfigError) as info:
        gallery.build(tmp_path / "f", tmp_path / "c", only=["price"], progress=lambda l: None)
    message = str(info.value)
    assert message.startswith("price-lambda: 2 runs failed; see ")
    assert message.endswith("/summary.md") and str(tmp_path / "c") in message
    assert not (tmp_path / "f" / "price.png").exists()


def test_oddball_plots_mismatch_against_distance_and_adaptation():
    fig, numbers = draw("oddball")
    left, right = fig.axes[:2]
    labels = [t.get_text() for t in left.get_legend().get_texts()]
    assert labels == [
        f"{k} deviants, {NAMES[c]}" for c in (PRIOR, BASELINE) for k in ("group", "contrast")
    ]
    group = left.get_lines()[0]  # prior, group deviants: x = 0.1, 0.2 (mean 0.15)
    np.testing.assert_allclose(np.asarray(group.get_xdata(), float), [0.5, 1.0])
    np.testing.assert_allclose(np.asarray(group.get_ydata(), float), [0.15, 0.3])
    np.testing.assert_allclose(right.get_lines()[0].get_ydata(), 0.15 / np.arange(1, 7))
    assert "contrast deviants" in numbers[0] and "group minus contrast 0.15" in numbers[0]


def test_development_marks_phases_and_reports_their_events():
    fig, numbers = draw("development")
    left = fig.axes[0]
    assert [line.get_label() for line in left.get_lines()[:2]] == ["shift_x+1", "shift_x-1"]
    starts = sorted(
        {line.get_xdata()[0] for line in left.get_lines() if line.get_linestyle() == "-."}
    )
    assert starts == [0, 15]
    assert numbers == [
        "order of the generated group at the end of phase 'x only' (frame 15): about 10^24",
        "phase 'x only': rotate90 pruned after 20 ± 0 frames",
        "order of the generated group at the end of phase 'more' (frame 30): 12",
        "phase 'more': shift_y+1 accepted after 1.5 ± 0.71 frames",
    ]
    assert fig.axes[2].get_ylabel() == "order of the generated group"
