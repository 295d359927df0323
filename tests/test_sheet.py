"""The sheet scenario: development at scale (a 64 x 64 torus that translates and turns)."""

from __future__ import annotations

import json

import pytest

from pcsim import cli
from pcsim.config import load_scenario
from pcsim.experiment import circuit_from_config
from pcsim.groups import PermGroup, transformation


def test_sheet_has_a_million_synapses_and_its_quick_run_a_quarter():
    """64 x 64 x 4 units each seeing the 69 pixels within 4.5 pixels: 1,130,496
    synapses; the quick sheet, 32 x 32, a quarter of them."""
    for quick, side in ((False, 64), (True, 32)):
        cfg = load_scenario("sheet", quick=quick)
        spec = circuit_from_config(cfg.circuit)
        assert cfg.world.shape == (side, side)
        assert spec.sizes == (side * side, side * side * 4)
        assert len(spec.connections(1)[0]) == side * side * 4 * 69


def test_the_sheet_world_generates_translations_and_rotations():
    """Its transitions (four one-pixel shifts and a quarter turn) generate the group of
    translations and rotations of the torus, of order H x W x 4 (quick sheet: 4,096)."""
    cfg = load_scenario("sheet", quick=True)
    layout = circuit_from_config(cfg.circuit).layers[0].layout
    moves = [transformation(layout, g) for g in cfg.world.generator_specs()]
    assert [m.name for m in moves][-1] == "rotate90"
    assert PermGroup(moves, degree=layout.size).order() == 32 * 32 * 4


@pytest.mark.slow
def test_a_short_quick_sheet_run_completes_and_reports_its_group_orders(tmp_path):
    """A short quick sheet on cpp_standalone: the run completes, with the frame-step
    coupling; before development every candidate is accepted and the random permutation
    makes the generated group the symmetric group of 1,024 pixels, whose order (about
    10^2639) metrics.json carries as text."""
    out = tmp_path / "run"
    small = ["--set", "training.frames=20", "--set", "probe.frames=2"]
    small += ["--set", "symmetry.checkpoints=1", "--set", "symmetry.probe_stimuli=1"]
    assert cli.main(["run", "sheet", "--quick", "--out", str(out), "-q", *small]) == 0
    assert json.loads((out / "run.json").read_text())["status"] == "complete"
    metrics = json.loads((out / "metrics.json").read_text())
    before = metrics["effective_group"]["order_course"][0]
    assert before["frames_developed"] == 0 and len(before["accepted"]) == 7
    assert before["order"].endswith("e2639")
