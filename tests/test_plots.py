"""What each figure of a run plots: its axes, series, labels and both conditions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from pcsim import cli, experiment, plots
from tests.test_cli import SMALL

PRIOR, BASELINE = plots.COLOURS["symmetry"], plots.COLOURS["baseline"]


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    out = tmp_path_factory.mktemp("plots") / "run"
    argv = ["run", "ring", "--backend", "numpy", "--out", str(out), "--quiet", *SMALL]
    assert cli.main(argv) == 0
    yield experiment.load_outcome(out)
    plt.close("all")


def labels(ax) -> list[str]:
    return [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]


def colours(ax) -> set[str]:
    from matplotlib.colors import to_hex

    return {to_hex(line.get_color()) for line in ax.get_lines()}


def hexes(*names: str) -> set[str]:
    from matplotlib.colors import to_hex

    return {to_hex(name) for name in names}


def test_receptive_fields_show_w1_columns_of_both_conditions(outcome):
    fig = plots.receptive_fields(outcome, n_units=4)
    axes = np.array(fig.axes).reshape(2, 4)
    assert axes[0, 0].get_ylabel() == "with symmetry prior"
    assert axes[1, 0].get_ylabel() == "baseline"
    spec = outcome.development.spec
    for row, condition in enumerate(("symmetry", "baseline")):
        w = spec.dense(1, outcome.results[condition].weights[0])
        for unit in range(4):
            curve = axes[row, unit].get_lines()[0]
            np.testing.assert_array_equal(curve.get_ydata(), w[:, unit])
    assert hexes(PRIOR) <= colours(axes[0, 0]) and hexes(BASELINE) <= colours(axes[1, 0])


def test_prediction_error_has_both_conditions_and_the_probe_levels(outcome):
    ax = plots.prediction_error(outcome).axes[0]
    assert ax.get_xlabel() == "development frame" and "eps_0" in ax.get_ylabel()
    assert labels(ax)[0].startswith("with symmetry prior (lambda = 10")
    assert labels(ax)[1] == "baseline (prior off)"
    # one curve and two probe levels (held-out, novel) per condition
    assert len(ax.get_lines()) == 6
    assert colours(ax) == hexes(PRIOR, BASELINE)


def test_free_energy_shows_f_pc_and_s_for_both_conditions(outcome):
    ax = plots.free_energy(outcome).axes[0]
    names = labels(ax)
    assert [n.split(",")[0] for n in names] == ["F_pc", "S", "F_pc", "S"]
    assert "baseline" in names[2] and "symmetry prior" in names[0]


def test_equivariance_plots_each_checkpoint_of_both_conditions(outcome):
    ax = plots.equivariance(outcome).axes[0]
    assert labels(ax) == [
        f"L1, {plots.label(outcome, 'symmetry')}",
        f"L1, {plots.label(outcome, 'baseline')}",
    ]
    course = outcome.metrics["equivariance_course"]
    prior_line = ax.get_lines()[0]
    np.testing.assert_array_equal(prior_line.get_xdata(), [c["frames_developed"] for c in course])
    want = [c["equivariance_error_mean"]["L1"] for c in course]
    np.testing.assert_allclose(prior_line.get_ydata(), want)


def test_effective_group_marks_world_generators_and_distractors(outcome):
    fig = plots.effective_group(outcome)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        names = labels(ax)
        assert names[0] == "null (new scene)"
        assert "rot+1 (world)" in names and "rot-1 (world)" in names
        assert "reflect (distractor)" in names and "random (distractor)" in names
        assert len(names) == 1 + outcome.development.symmetry.n_candidates


def test_example_predictions_overlay_stimulus_and_both_predictions(outcome):
    fig = plots.example_predictions(outcome, n_frames=2)
    assert len(fig.axes) == 2
    frame = outcome.plan.heldout[0]
    lines = fig.axes[0].get_lines()
    np.testing.assert_array_equal(lines[0].get_ydata(), outcome.plan.inputs.frames[frame])
    assert len(lines) == 3 and colours(fig.axes[0]) >= hexes(PRIOR, BASELINE)


def test_a_saved_pdf_is_the_same_bytes_when_saved_again(tmp_path):
    from pcsim.results import save_figure

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    save_figure(fig, first)
    save_figure(fig, second)
    plt.close(fig)
    assert first.read_bytes().startswith(b"%PDF")
    assert first.read_bytes() == second.read_bytes()
    assert b"CreationDate" not in first.read_bytes()
