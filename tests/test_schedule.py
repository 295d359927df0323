"""One schedule: every Brian2 object runs at a (slot, order) of `pcsim.schedule`, and the
oracle runs the same operations in the same order."""

from __future__ import annotations

import ast
from pathlib import Path

from pcsim import oracle, schedule
from pcsim.network import Setup, build_network
from pcsim.schedule import ORDER, SCHEDULE
from tests.conftest import SYMMETRY_MONITORS, symmetric_case


def test_every_network_object_runs_at_a_scheduled_slot():
    spec, proto, prior, _ = symmetric_case()
    circuit = build_network(spec, proto, Setup(prior, SYMMETRY_MONITORS))
    slots = {(op.when, op.order) for op in SCHEDULE}
    seen = set()
    for obj in circuit.network.objects:
        for item in [obj, *obj.contained_objects]:
            if hasattr(item, "when") and hasattr(item, "order") and item.when != "end":
                assert (item.when, item.order) in slots, (item.name, item.when, item.order)
                seen.add((item.when, item.order))
    assert seen == slots  # and every scheduled operation exists in this circuit


def test_oracle_runs_the_schedule_in_order():
    spec, proto, prior, inputs = symmetric_case()
    twin = oracle._Twin(spec, proto, inputs, Setup(prior), "float64")
    assert [op.name for op, _ in twin.operations] == [op.name for op in SCHEDULE]
    orders = [(op.when != "start", op.order) for op in SCHEDULE]
    assert orders == sorted(orders)
    assert ORDER["predict"] < ORDER["error"] < ORDER["feedback"] < ORDER["pull"]
    assert "consistency" in schedule.table() and len(schedule.table().splitlines()) == 14


def test_analysis_never_imports_the_module_that_runs_experiments():
    source = Path(__file__).resolve().parents[1] / "pcsim" / "analysis.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not {m for m in imported if "development" in m or "experiment" in m}
