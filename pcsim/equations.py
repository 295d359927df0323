"""The circuit's Brian2 equations, in one place (docs/model.md, sections 1 and 2).

Every layer is one `NeuronGroup` holding its value units ``r`` and, below the top, its
error units ``eps = r - mu`` (``mu``: the top-down prediction, summed by the synapses
from the layer above). Variants are compositions of the pieces below, never edited
copies: the nonlinearity is a choice of ``phi_r``/``dphi`` updates, the top layer drops
the error part, the sensory layer drops the value dynamics.
"""

from __future__ import annotations

from brian2 import Equations

#: phi(r) and phi'(r) for each nonlinearity. The rectifier's derivative is taken as 1 at
#: r = 0 (a subgradient), otherwise units starting at rest could never become active.
#: They are stored once per unit and step (an operation, not a subexpression), so the
#: synapses read phi(r) instead of re-evaluating it once per synapse.
NONLINEARITY = {
    "identity": "phi_r = r\ndphi = 1.0",
    "rectified": "phi_r = r * int(r > 0)\ndphi = 1.0 * int(r >= 0)",
    "tanh": "phi_r = tanh(r)\ndphi = 1 - phi_r**2",
}

#: Error units: the prediction from above and the precision-free error (updated every step).
ERROR_UNITS = Equations(
    """
    mu : 1                          # prediction of r by the layer above (summed variable)
    eps : 1                         # prediction error r - mu, set every step
    """
)
#: ... with the configured precision of the layer's errors, one constant.
FIXED_PRECISION = Equations("Pi : 1 (shared, constant)")

#: Bookkeeping every layer carries: the first time its state left the divergence bound.
HEALTH = Equations(
    """
    t_bad : second                  # first time |r| or |eps| left the bound (or NaN); NEVER if not
    bound : 1 (shared, constant)    # divergence bound on |r| and |eps|
    """
)

#: Sensory units: r is the stimulus, loaded at the start of every frame.
SENSORY_UNITS = Equations("r : 1")


def value_units(has_errors: bool, symmetric: bool = False) -> Equations:
    """Value units of a layer l >= 1 (gradient descent on F, docs/model.md#13-inference).

    ``fb`` is the feedback W_l^T Pi_{l-1} eps_{l-1}, summed by the synapses below.
    The top layer (``has_errors=False``) has no error term of its own. With the symmetry
    prior (``symmetric``) inference also descends lambda * S
    (docs/model.md#210-the-pull-in-inference).
    """
    drive = "-Pi*eps + " if has_errors else ""
    prior = " - lam*gate*sym" if symmetric else ""
    parts = Equations(
        f"""
        dr/dt = ({drive}dphi*fb - alpha*r{prior}) / tau_r : 1
        fb : 1                          # feedback from the layer below (summed variable)
        phi_r : 1                       # phi(r), set every step (see NONLINEARITY)
        dphi : 1                        # phi'(r), set every step
        tau_r : second (shared, constant)
        alpha : 1 (shared, constant)
        """
    )
    return parts + SYMMETRY_PULL if symmetric else parts


#: What the symmetry prior adds to every layer: the memory of the previous frame.
MEMORY = Equations("m : 1                           # r at the end of the previous frame")

#: ... and to value layers: the pull sum_k q_k s_{l,k} towards the transformed memory.
SYMMETRY_PULL = Equations(
    """
    sym : 1                         # sum_k q_k (r - rho_l(t_k) m), summed from the candidates
    lam : 1 (shared, constant)      # lambda, weight of structural surprise
    gate : 1 (shared)               # 1 during development, 0 in probes (set every frame)
    """
)


#: Learned precision (docs/model.md#213-learned-precision): every error unit keeps a
#: running mean ``u`` of its squared error, the variance that scales the evidence.
ERROR_VARIANCE = Equations(
    """
    du/dt = gate*(eps**2 - u)/tau_prec : 1
    tau_prec : second (shared, constant)
    """
)

#: The gate of a layer that has no symmetry pull but learns its error variance (layer 0).
GATE = Equations("gate : 1 (shared)")

#: Learned precision in inference (docs/model.md#214-learned-precision-in-inference): the
#: layer's precision Pi_l shared among its units by their learned variances,
#: Pi_i = Pi_l N (1/u_i) / sum_j (1/u_j), so that its mean over the layer stays Pi_l.
LEARNED_PRECISION = Equations(
    """
    Pi : 1                          # precision of this unit's error, set every step
    Pi_layer : 1 (shared, constant) # the layer's configured precision, the mean of Pi
    inv_u_sum : 1 (linked)          # sum_j 1/u_j over the layer (its precision total)
    """
)
PRECISION_UPDATE = "Pi = Pi_layer * N / (u * inv_u_sum)"  # with the error update
#: One unit per layer holding sum_j 1/u_j, summed from the layer's units.
PRECISION_TOTAL = Equations("inv_u_sum : 1")
PRECISION_SUM = "inv_u_sum_post = 1.0 / u_pre : 1 (summed)"


def layer_equations(
    index: int,
    n_layers: int,
    symmetric: bool = False,
    learned_precision: bool = False,
    weighs_inference: bool = False,
) -> Equations:
    """Equations of layer ``index`` in a circuit of ``n_layers`` layers (sensory included).
    ``learned_precision`` (with ``symmetric``): error units learn their variance ``u``;
    ``weighs_inference`` (with both): their precision ``Pi`` follows from it."""
    has_errors = index < n_layers - 1
    parts = SENSORY_UNITS if index == 0 else value_units(has_errors, symmetric)
    if has_errors:
        learned = symmetric and learned_precision
        weighed = learned and weighs_inference
        parts = parts + ERROR_UNITS + (LEARNED_PRECISION if weighed else FIXED_PRECISION)
        if learned:
            parts = parts + ERROR_VARIANCE
            if index == 0:
                parts = parts + GATE
    if symmetric:
        parts = parts + MEMORY
    return parts + HEALTH


#: The prediction of the layer below (to post), its error feedback (to pre), both from w.
PREDICTION = "w * phi_r_pre"
FEEDBACK = "w * Pi_post * eps_post"
#: dw/dt / learn: Hebbian learning with decay.
HEBBIAN = "eta * Pi_post * eps_post * phi_r_pre - eta_decay * w"
_PLASTICITY_PARAMETERS = """
    eta : hertz (shared, constant)
    eta_decay : hertz (shared, constant)
    learn : 1 (shared)
"""

#: One connection W_l: the prediction and the feedback are summed variables.
SYNAPSE_SUMS = Equations(f"mu_post = {PREDICTION} : 1 (summed)\nfb_pre = {FEEDBACK} : 1 (summed)")

#: Hebbian learning with decay; ``learn`` (0 or 1, set every frame) freezes learning.
SYNAPSE_LEARNING = Equations(
    f"dw/dt = learn * ({HEBBIAN}) : 1 (clock-driven)" + _PLASTICITY_PARAMETERS
)

SYNAPSE_FIXED = Equations("w : 1")

#: The fused form of a learning connection (`pcsim.network`, serial compiled code only):
#: the prediction stays a summed variable, while the feedback and the Euler step of the
#: learning share one pass over the synapses (FUSED_FEEDBACK_AND_LEARNING, after
#: FEEDBACK_RESET on the layer above), in the feedback's slot. The feedback reads w before
#: the update and nothing between that slot and the weights' reads w, so a step computes
#: what SYNAPSE_SUMS + SYNAPSE_LEARNING compute, with one pass over the synapses less.
SYNAPSE_FUSED = Equations(f"mu_post = {PREDICTION} : 1 (summed)\nw : 1" + _PLASTICITY_PARAMETERS)
FEEDBACK_RESET = "fb = 0"
FUSED_FEEDBACK_AND_LEARNING = f"fb_pre += {FEEDBACK}\nw = w + dt * learn * ({HEBBIAN})"


def synapse_equations(learning: bool) -> Equations:
    """Equations of one weight matrix W_l, with or without plasticity."""
    return SYNAPSE_SUMS + (SYNAPSE_LEARNING if learning else SYNAPSE_FIXED)


def weight_units(
    n_candidates: int, per_frame: bool = False, learned_precision: bool = False
) -> Equations:
    """Weights of W_l held in a `NeuronGroup` (one unit per synapse) when the symmetry
    prior also acts on the weights (``coupling`` > 0): Hebbian learning as in
    SYNAPSE_LEARNING, plus the weight-space structural surprise
    sum_k pi_k |W - P_k W rho_k^T|^2, whose descent pulls each synapse towards its partner
    synapse under candidate k (``w_k``, gathered from a copy ``w_old``) with weight pi_k
    (``p_k``, gathered from the candidate group), at the rate ``coupling`` times this
    frame's ``gain`` (annealing). With ``per_frame`` the pull is not in dw/dt but taken
    once per frame (`coupling_frame_step`). The Synapses link their ``w`` to this
    group's. ``learned_precision``: the precision of the error below is the unit's own
    (linked), not the layer's constant."""
    pulls = _coupling_pulls(n_candidates)
    partners = "\n".join(
        f"w_{k} : 1 (linked)\np_{k} : 1 (linked)\n"
        f"partner_{k} : integer (constant)\ncandidate_{k} : integer (constant)"
        for k in range(1, n_candidates + 1)
    )
    pull = "" if per_frame else f" + coupling*gain*({pulls})"
    precision = "(linked)" if learned_precision else "(shared, constant)"
    return Equations(
        f"""
        dw/dt = learn * (eta*Pi_below*eps_below*phi_above - eta_decay*w{pull}) : 1
        w_old : 1                       # w before the coupling step (the partners read it)
        eps_below : 1 (linked)
        phi_above : 1 (linked)
        below : integer (constant)      # unit of layer l - 1 (post-synaptic)
        above : integer (constant)      # unit of layer l (pre-synaptic)
        {partners}
        Pi_below : 1 {precision}
        eta : hertz (shared, constant)
        eta_decay : hertz (shared, constant)
        coupling : hertz (shared, constant)
        frame_duration : second (shared, constant)
        learn : 1 (shared)
        gain : 1 (shared)
        """
    )


def _coupling_pulls(n_candidates: int) -> str:
    return " + ".join(f"p_{k}*(w_{k} - w)" for k in range(1, n_candidates + 1))


def coupling_frame_step(n_candidates: int) -> str:
    """The weight coupling as one explicit Euler step over a whole frame (a
    `run_regularly` at frame starts, after ``w_old = w``; coupling_step "frame")."""
    pulls = _coupling_pulls(n_candidates)
    return f"w = w + frame_duration * learn * coupling * gain * ({pulls})"


#: Synapses whose weight lives in a weight group: ``w`` gathered at ``weight_index``.
SYNAPSE_LINKED = Equations("w : 1 (linked)\nweight_index : integer (constant)")
WEIGHT_COPY = "w_old = w"

#: The per-step update of the error units (a `run_regularly` operation).
ERROR_UPDATE = "eps = r - mu"

#: Initial value of ``t_bad`` in seconds: later than any simulation (about 35,000 years),
#: and a power of two, so that float32 holds it exactly and ``t_bad < NEVER`` stays false.
NEVER = 2.0**40

#: The divergence latch (a `run_regularly` operation, once per frame): records the first
#: check time at which a unit was out of bounds or NaN (NaN fails every comparison).
_LATCH = (
    "first_bad = int(t < t_bad) * int(not ({ok}))\nt_bad = first_bad * t + (1 - first_bad) * t_bad"
)
HEALTH_CHECK_ERRORS = _LATCH.format(ok="abs(r) <= bound and abs(eps) <= bound")
HEALTH_CHECK_VALUES = _LATCH.format(ok="abs(r) <= bound")


# --- The symmetry prior (docs/model.md#2-the-symmetry-prior) -------------------------------

#: One unit per (candidate k, unit i of layer l): the consistency error s_{l,k,i} and its
#: square ``e_lk`` in the units the evidence uses. ``r_here``, ``m_moved`` and ``q_link``
#: are linked (gathered) from the layer and the candidate group, so that
#: (rho_l(t_k) m)_i = m[rho_k^{-1}(i)] costs no synapses. Synapses cannot read gathered
#: variables, so the two they need are copied every step.
CONSISTENCY_UNITS = Equations(
    """
    s_lk : 1                        # s_{l,k,i} ("s" alone would shadow the unit second)
    e_lk : 1                        # s_{l,k,i}^2, divided by its variance if learned
    q_k : 1                         # q of this unit's candidate
    r_here : 1 (linked)
    m_moved : 1 (linked)
    q_link : 1 (linked)
    """
)
#: ... and, with learned precision, the error variances of unit i and of rho_k^{-1}(i).
CONSISTENCY_VARIANCES = Equations("u_here : 1 (linked)\nu_moved : 1 (linked)")
CONSISTENCY_UPDATE = "s_lk = r_here - m_moved\ne_lk = s_lk**2"
CONSISTENCY_UPDATE_LEARNED = "s_lk = r_here - m_moved\ne_lk = s_lk**2 / (u_here + u_moved)"
RESPONSIBILITY_COPY = "q_k = q_link"

#: Per-layer energy E_{l,k} = mean_i e_{l,k,i}, summed into the candidate group.
ENERGY_SUM = "E_{layer}_post = e_lk_pre * inv_n : 1 (summed)\ninv_n : 1 (shared, constant)"

#: The pull on layer l: sum_k q_k s_{l,k}, summed into the layer's ``sym``.
PULL_SUM = "sym_post = q_k_pre * s_lk_pre : 1 (summed)"


def candidate_equations(n_layers: int) -> Equations:
    """Candidates k = 0..K (k = 0: the null hypothesis with fixed energy theta).

    ``prior`` is the developmental prior pi (docs/model.md#27-developmental-prior; ``pi``
    is a constant in Brian2).
    ``E = sum_l w_l E_l``; ``weight = prior * exp(beta (theta - E))`` (exponent clipped to
    +-80 so that float32 cannot overflow),
    whose sum over candidates ``Z`` normalises the responsibilities ``q = weight / Z``,
    i.e. q = softmax(log pi - beta E). ``prior`` relaxes to q with time constant tau_dev
    while ``gate`` is 1.
    """
    energies = "\n".join(f"E_{l} : 1\nw_{l} : 1 (shared, constant)" for l in range(n_layers))
    total = " + ".join(f"w_{l}*E_{l}" for l in range(n_layers))
    return Equations(
        f"""
        {energies}
        E = null*theta + (1 - null)*({total}) : 1
        weight = prior * exp(clip(beta*(theta - E), -80, 80)) : 1
        dprior/dt = gate*(q - prior)/tau_dev : 1
        q : 1
        Z : 1 (linked)
        null : 1 (constant)
        beta : 1 (shared, constant)
        theta : 1 (shared, constant)
        tau_dev : second (shared, constant)
        gate : 1 (shared)
        """
    )


NORMALISER = Equations("Z : 1")
NORMALISER_SUM = "Z_post = weight_pre : 1 (summed)"
RESPONSIBILITY_UPDATE = "q = weight / Z"
MEMORY_UPDATE = "m = r"
GATE_UPDATE = "gate = plasticity(t)"
LEARN_UPDATE = "learn = plasticity(t)"
WEIGHT_GATE_UPDATE = "learn = plasticity(t)\ngain = coupling_gain(t)"
