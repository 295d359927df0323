"""One schedule: every Brian2 object runs at a (slot, order) of `pcsim.schedule`, and the
oracle runs the same operations in the same order."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from pcsim import oracle, schedule
from pcsim.network import Setup, build_network
from pcsim.schedule import ORDER, SCHEDULE
from tests.conftest import SYMMETRY_MONITORS, symmetric_case


def test_every_network_object_runs_at_a_scheduled_slot():
    """Every object of the symmetric circuit, with and without a frame-step weight
    coupling, with learned precision in inference (and a per-step coupling), and of the
    fused plain circuit (cpp_standalone's feedback and learning in one pass) runs at a
    slot of the schedule, and every slot is used by one of them."""
    from brian2 import Hz

    spec, proto, prior, _ = symmetric_case()
    framed = dataclasses.replace(prior, weight_coupling=3 * Hz, coupling_step="frame")
    learned_spec, _, learned, _ = symmetric_case("learned")
    learned = dataclasses.replace(learned, inference_precision="learned", weight_coupling=3 * Hz)
    slots = {(op.when, op.order) for op in SCHEDULE}
    seen = set()
    setups = [
        (spec, Setup(prior, SYMMETRY_MONITORS), False),
        (spec, Setup(framed, SYMMETRY_MONITORS), False),
        (learned_spec, Setup(learned), False),
        (spec, Setup(), True),
    ]
    for circuit_spec, setup, fused in setups:
        circuit = build_network(circuit_spec, proto, setup, fused)
        for obj in circuit.network.objects:
            for item in [obj, *obj.contained_objects]:
                if hasattr(item, "when") and hasattr(item, "order") and item.when != "end":
                    assert (item.when, item.order) in slots, (item.name, item.when, item.order)
                    seen.add((item.when, item.order))
    assert seen == slots  # and every scheduled operation exists in these circuits


def test_oracle_runs_the_schedule_in_order():
    spec, proto, prior, inputs = symmetric_case()
    twin = oracle._Twin(spec, proto, inputs, Setup(prior), "float64")
    assert [op.name for op, _ in twin.operations] == [op.name for op in SCHEDULE]
    orders = [(op.when != "start", op.order) for op in SCHEDULE]
    assert orders == sorted(orders)
    assert ORDER["predict"] < ORDER["error"] < ORDER["feedback"] < ORDER["pull"]
    assert "consistency" in schedule.table() and len(schedule.table().splitlines()) == 16


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


def test_fused_circuit_sums_the_feedback_in_the_pass_that_learns():
    """fused: no summed feedback; the layer above resets fb in the error slot and one
    synapse operation in the feedback slot adds to it and steps the weights."""
    spec, proto, _, _ = symmetric_case()
    names = {obj.name: obj for obj in build_network(spec, proto, fused=True).network.objects}
    contained = {o.name: o for obj in names.values() for o in obj.contained_objects}
    assert "W1_summed_variable_fb_pre" not in contained and "W1_stateupdater" not in contained
    fused = contained["W1_feedback_learning"]
    assert (fused.when, fused.order) == ("groups", ORDER["feedback"])
    assert (contained["L1_fb"].when, contained["L1_fb"].order) == ("groups", ORDER["error"])
    plain = build_network(spec, proto).network.objects
    assert "W1_summed_variable_fb_pre" in {o.name for obj in plain for o in obj.contained_objects}
