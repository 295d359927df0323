"""The order of operations inside one time step: one table, read by `pcsim.network`
(Brian2's ``when``/``order`` of every object) and by `pcsim.oracle` (which runs its
operations in this order), so that the two cannot drift apart.

Brian2 runs a step slot by slot (``start`` before ``groups``), and inside a slot by
``order``. Operations that share a slot and an order are independent of each other.
Operations marked ``frame_start`` run only at the first step of every frame.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Operation:
    """One step of the schedule: Brian2 slot ``when`` and ``order``, and what it does."""

    name: str
    when: str
    order: int
    frame_start: bool
    what: str


SCHEDULE: tuple[Operation, ...] = (
    Operation("record", "start", -10, False, "monitors sample (the state the previous step left)"),
    Operation("memory", "start", -5, True, "m_l = r_l (symmetry prior)"),
    Operation("load", "start", 0, True, "layer 0 loads the frame; the gates load the plasticity"),
    Operation("check", "start", 1, True, "divergence check of every layer"),
    Operation("couple_copy", "start", 2, True, "w_old = w (coupling_step 'frame')"),
    Operation(
        "couple",
        "start",
        3,
        True,
        "one Euler step of the weight coupling over the frame (coupling_step 'frame')",
    ),
    Operation("phi", "groups", -9, False, "phi(r_l), phi'(r_l) stored per unit; w_old = w"),
    Operation(
        "consistency",
        "groups",
        -8,
        False,
        "s_{l,k} = r_l - rho_l(t_k) m_l; e = s^2, over u_i + u_rho(i) if precision is learned",
    ),
    Operation(
        "predict",
        "groups",
        -7,
        False,
        "mu_{l-1} = W_l phi(r_l); E_{l,k} = mean_i e; sum_j 1/u_{l,j} (learned Pi)",
    ),
    Operation(
        "error",
        "groups",
        -6,
        False,
        "eps_l = r_l - mu_l, Pi_l from u_l (learned); Z = sum_k weight_k; fb_l = 0 (fused)",
    ),
    Operation(
        "feedback",
        "groups",
        -5,
        False,
        "fb_l = W_l^T Pi_{l-1} eps_{l-1} (fused: with the weights' step); q_k = weight_k/Z",
    ),
    Operation("copy_q", "groups", -4, False, "q_k copied to the consistency units"),
    Operation("pull", "groups", -3, False, "sym_l = sum_k q_k s_{l,k}"),
    Operation("weights", "groups", 0, False, "Euler step of the weights"),
    Operation(
        "values", "groups", 1, False, "Euler step of the value units, the variances u and pi"
    ),
)

#: Brian2 ``order`` of each operation, by name.
ORDER: dict[str, int] = {op.name: op.order for op in SCHEDULE}


def table() -> str:
    """The schedule as a text table (slot, order, operation, what it does)."""
    lines = [f"{'slot':<7} {'order':>5}  {'operation':<12} what"]
    for op in SCHEDULE:
        frame = " (frame starts)" if op.frame_start else ""
        lines.append(f"{op.when:<7} {op.order:>5}  {op.name:<12} {op.what}{frame}")
    return "\n".join(lines)
