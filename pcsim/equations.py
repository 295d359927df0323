"""The circuit's Brian2 equations, in one place (DESIGN.md section 1).

Every layer is one `NeuronGroup` holding its value units ``r`` and, below the top, its
error units ``eps = r - mu`` (``mu``: the top-down prediction, summed by the synapses
from the layer above). Variants are compositions of the pieces below, never edited
copies: the nonlinearity is a choice of ``phi_r``/``dphi`` lines, the top layer drops
the error part, the sensory layer drops the value dynamics.
"""

from __future__ import annotations

from brian2 import Equations

#: phi(r) and phi'(r) for each nonlinearity. The rectifier's derivative is taken as 1 at
#: r = 0 (a subgradient), otherwise units starting at rest could never become active.
NONLINEARITY = {
    "identity": Equations("phi_r = r : 1\ndphi = 1.0 : 1"),
    "rectified": Equations("phi_r = r * int(r > 0) : 1\ndphi = 1.0 * int(r >= 0) : 1"),
    "tanh": Equations("phi_r = tanh(r) : 1\ndphi = 1 - tanh(r)**2 : 1"),
}

#: Error units: the prediction from above and the precision-free error (updated every step).
ERROR_UNITS = Equations(
    """
    mu : 1                          # prediction of r by the layer above (summed variable)
    eps : 1                         # prediction error r - mu, set every step
    Pi : 1 (shared, constant)       # precision of this layer's errors
    """
)

#: Bookkeeping every layer carries: the first time its state left the divergence bound.
HEALTH = Equations(
    """
    t_bad : second                  # first time |r| or |eps| left the bound (or NaN); NEVER if not
    bound : 1 (shared, constant)    # divergence bound on |r| and |eps|
    """
)

#: Sensory units: r is the stimulus, loaded at the start of every frame.
SENSORY_UNITS = Equations("r : 1")


def value_units(has_errors: bool, nonlinearity: str) -> Equations:
    """Value units of a layer l >= 1 (gradient descent on F, DESIGN.md section 1).

    ``fb`` is the feedback W_l^T Pi_{l-1} eps_{l-1}, summed by the synapses below.
    The top layer (``has_errors=False``) has no error term of its own.
    """
    drive = "-Pi*eps + " if has_errors else ""
    return (
        Equations(
            f"""
            dr/dt = ({drive}dphi*fb - alpha*r) / tau_r : 1
            fb : 1                          # feedback from the layer below (summed variable)
            tau_r : second (shared, constant)
            alpha : 1 (shared, constant)
            """
        )
        + NONLINEARITY[nonlinearity]
    )


def layer_equations(index: int, n_layers: int, nonlinearity: str) -> Equations:
    """Equations of layer ``index`` in a circuit of ``n_layers`` layers (sensory included)."""
    has_errors = index < n_layers - 1
    parts = SENSORY_UNITS if index == 0 else value_units(has_errors, nonlinearity)
    if has_errors:
        parts = parts + ERROR_UNITS
    return parts + HEALTH


#: One connection W_l: the prediction (to post) and the error feedback (to pre) share w.
SYNAPSE_SUMS = Equations(
    """
    mu_post = w * phi_r_pre : 1 (summed)
    fb_pre = w * Pi_post * eps_post : 1 (summed)
    """
)

#: Hebbian learning with decay; ``gate`` (0 or 1, set every frame) freezes learning.
SYNAPSE_LEARNING = Equations(
    """
    dw/dt = gate * (eta * Pi_post * eps_post * phi_r_pre - eta_decay * w) : 1 (clock-driven)
    eta : hertz (shared, constant)
    eta_decay : hertz (shared, constant)
    gate : 1 (shared)
    """
)

SYNAPSE_FIXED = Equations("w : 1")


def synapse_equations(learning: bool) -> Equations:
    """Equations of one weight matrix W_l, with or without plasticity."""
    return SYNAPSE_SUMS + (SYNAPSE_LEARNING if learning else SYNAPSE_FIXED)


#: The per-step update of the error units (a `run_regularly` operation).
ERROR_UPDATE = "eps = r - mu"

#: Initial value of ``t_bad`` in seconds: later than any simulation.
NEVER = 1e12

#: The divergence latch (a `run_regularly` operation, once per frame): records the first
#: check time at which a unit was out of bounds or NaN (NaN fails every comparison).
_LATCH = (
    "first_bad = int(t < t_bad) * int(not ({ok}))\nt_bad = first_bad * t + (1 - first_bad) * t_bad"
)
HEALTH_CHECK_ERRORS = _LATCH.format(ok="abs(r) <= bound and abs(eps) <= bound")
HEALTH_CHECK_VALUES = _LATCH.format(ok="abs(r) <= bound")
