"""The circuit as data: layers, connections and parameters (docs/model.md#1-the-circuit-rate-model).

Pure NumPy and Brian2 quantities; building Brian2 objects is `pcsim.network`'s job.
Layer 0 is sensory; layer ``l >= 1`` predicts layer ``l - 1`` through ``W_l``, a sparse
matrix of shape ``(N_{l-1}, N_l)`` (rows: units of the layer below, columns: units of
layer l). Weights travel as one value per synapse, in synapse order (sorted by the unit
of layer l, then by the unit below: Brian2's order), so that large local sheets never
need a dense matrix; `CircuitSpec.dense` makes one for small circuits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import brian2
import numpy as np
from brian2.units.fundamentalunits import fail_for_dimension_mismatch
from scipy.spatial import cKDTree

from pcsim.layouts import Layout

if TYPE_CHECKING:  # the schema imports NONLINEARITIES from here
    from pcsim.config.schema import Circuit

NONLINEARITIES = ("identity", "rectified", "tanh")
CONNECTIVITIES = ("dense", "local")


@dataclass(frozen=True)
class LayerSpec:
    """One layer: its ``layout``, the ``precision`` Pi_l of its errors, and the connection
    from it to the layer below (``connectivity``, ``rf_radius`` in layout units; unused on
    layer 0). An ``invariant`` layer carries the trivial representation of every
    candidate transformation (the symmetry prior asks it not to change)."""

    layout: Layout
    precision: float = 1.0
    connectivity: str = "dense"
    rf_radius: float | None = None
    invariant: bool = False

    @property
    def size(self) -> int:
        return self.layout.size


@dataclass(frozen=True)
class CircuitSpec:
    """A hierarchical predictive-coding circuit.

    Quantities carry Brian2 units: ``tau_r`` (time), ``eta`` and ``eta_decay`` (rates).
    """

    layers: tuple[LayerSpec, ...]
    tau_r: brian2.Quantity
    eta: brian2.Quantity
    eta_decay: brian2.Quantity = field(default_factory=lambda: 0 * brian2.Hz)
    alpha: float = 0.0
    nonlinearity: str = "tanh"
    learning: bool = True
    init_weight_scale: float = 0.1

    def __post_init__(self) -> None:
        if len(self.layers) < 2:
            raise ValueError("a circuit needs a sensory layer and at least one layer above it")
        if self.nonlinearity not in NONLINEARITIES:
            raise ValueError(
                f"unknown nonlinearity '{self.nonlinearity}' (known: {', '.join(NONLINEARITIES)})"
            )
        fail_for_dimension_mismatch(self.tau_r, brian2.second, "tau_r must be a time")
        fail_for_dimension_mismatch(self.eta, brian2.Hz, "eta must be a rate")
        fail_for_dimension_mismatch(self.eta_decay, brian2.Hz, "eta_decay must be a rate")
        if float(self.tau_r) <= 0:
            raise ValueError(f"tau_r must be > 0, got {self.tau_r}")
        for index, layer in enumerate(self.layers[1:], start=1):
            if layer.connectivity not in CONNECTIVITIES:
                raise ValueError(f"layer {index}: unknown connectivity '{layer.connectivity}'")
            if layer.connectivity == "local" and not (layer.rf_radius and layer.rf_radius > 0):
                raise ValueError(f"layer {index}: local connectivity needs rf_radius > 0")

    @property
    def n_layers(self) -> int:
        """Number of layers including the sensory one (L + 1)."""
        return len(self.layers)

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(layer.size for layer in self.layers)

    def connections(self, l: int) -> tuple[np.ndarray, np.ndarray]:
        """(pre, post) unit indices of every synapse of ``W_l`` (pre in layer l, post in
        layer l - 1), in synapse order: the weight of synapse s is ``W_l[post[s], pre[s]]``."""
        if not 1 <= l < self.n_layers:
            raise IndexError(f"no weights W_{l}: layers with weights are 1..{self.n_layers - 1}")
        return self._connections[l - 1]

    @cached_property
    def _connections(self) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        for l in range(1, self.n_layers):
            upper, lower = self.layers[l], self.layers[l - 1]
            if upper.connectivity == "dense":
                pre, post = np.divmod(np.arange(upper.size * lower.size), lower.size)
            else:
                pre, post = _local_pairs(lower.layout, upper.layout, upper.rf_radius)
            out.append((pre.astype(np.int64), post.astype(np.int64)))
        return out

    def mask(self, l: int) -> np.ndarray:
        """Connectivity of ``W_l`` as a dense boolean array (N_{l-1}, N_l): small circuits."""
        pre, post = self.connections(l)
        mask = np.zeros((self.sizes[l - 1], self.sizes[l]), dtype=bool)
        mask[post, pre] = True
        return mask

    def dense(self, l: int, weights: np.ndarray, columns: int | None = None) -> np.ndarray:
        """Per-synapse ``weights`` of W_l as a dense (N_{l-1}, N_l) array (zero elsewhere);
        with ``columns``, only the first ``columns`` units of layer l (N_{l-1}, columns),
        which stays small on large sheets."""
        pre, post = self.connections(l)
        n = self.sizes[l] if columns is None else min(columns, self.sizes[l])
        out = np.zeros((self.sizes[l - 1], n), dtype=np.asarray(weights).dtype)
        kept = pre < n
        out[post[kept], pre[kept]] = np.asarray(weights)[kept]
        return out

    def synapse_count(self) -> int:
        return int(sum(len(self.connections(l)[0]) for l in range(1, self.n_layers)))

    def initial_weights(self, rng: np.random.Generator) -> list[np.ndarray]:
        """Random initial weights of W_1..W_L, one value per synapse: normal, scaled by
        ``init_weight_scale`` / sqrt(fan-in of the unit below)."""
        weights = []
        for l in range(1, self.n_layers):
            pre, post = self.connections(l)
            fan_in = np.maximum(np.bincount(post, minlength=self.sizes[l - 1]), 1)
            w = self.init_weight_scale * rng.standard_normal(len(pre)) / np.sqrt(fan_in[post])
            weights.append(w)
        return weights


def circuit_from_config(circuit: Circuit) -> CircuitSpec:
    """Build a `CircuitSpec` from the validated ``[circuit]`` table of a scenario."""
    layers = tuple(
        LayerSpec(
            layout=layer.to_layout(),
            precision=layer.precision,
            connectivity=layer.connectivity or "dense",
            rf_radius=layer.rf_radius,
            invariant=layer.invariant,
        )
        for layer in circuit.layers
    )
    return CircuitSpec(
        layers=layers,
        tau_r=circuit.tau_r,
        eta=circuit.eta,
        eta_decay=circuit.eta_decay,
        alpha=circuit.alpha,
        nonlinearity=circuit.nonlinearity,
        learning=circuit.learning,
        init_weight_scale=circuit.init_weight_scale,
    )


def _local_pairs(lower: Layout, upper: Layout, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """(pre, post) pairs whose positions lie within ``radius`` (layout units; wrapped on
    rings and tori), sorted by pre then post, found with a k-d tree: no dense matrix."""
    if lower.kind != upper.kind:
        raise ValueError(f"local connections need one layout kind, got {lower.kind}/{upper.kind}")
    box = 1.0 if lower.periodic else None
    tree = cKDTree(lower.position_coords() % 1.0, boxsize=box)
    near = tree.query_ball_point(upper.position_coords() % 1.0, r=radius + 1e-12)
    pos_pre = np.repeat(np.arange(upper.n_positions), [len(n) for n in near])
    pos_post = np.concatenate([np.sort(n) for n in near]).astype(np.int64)
    # expand positions to units (unit = position * channels + channel)
    cu, cl = upper.channels, lower.channels
    pre = (pos_pre[:, None, None] * cu + np.arange(cu)[None, :, None]) + 0 * np.arange(cl)
    post = (pos_post[:, None, None] * cl + np.arange(cl)[None, None, :]) + 0 * pre
    pre, post = pre.ravel(), post.ravel()
    order = np.lexsort((post, pre))
    return pre[order], post[order]
