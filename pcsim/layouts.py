"""Spatial layouts of a layer's units: ring, grid or torus positions, each with channels.

Unit index convention (used everywhere in pcsim): ``unit = position * channels + channel``;
on a grid or torus of shape (H, W), ``position = row * W + col``.
Coordinates are normalised to the unit interval/square so that layers of different
resolution line up: position p of a ring of n sits at p / n; (row, col) of an H x W
sheet sits at (row / H, col / W).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("ring", "grid", "torus")


@dataclass(frozen=True)
class Layout:
    """A layer's arrangement: ``kind`` in KINDS, ``shape`` ((n,) for a ring, (H, W) otherwise)."""

    kind: str
    shape: tuple[int, ...]
    channels: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown layout kind '{self.kind}' (known: {', '.join(KINDS)})")
        want = 1 if self.kind == "ring" else 2
        if len(self.shape) != want or any(int(s) < 1 for s in self.shape):
            raise ValueError(
                f"a {self.kind} layout needs {want} positive size(s), got {self.shape}"
            )
        if self.channels < 1:
            raise ValueError(f"channels must be >= 1, got {self.channels}")

    @property
    def periodic(self) -> bool:
        """Whether distances wrap around (ring, torus)."""
        return self.kind != "grid"

    @property
    def n_positions(self) -> int:
        return int(np.prod(self.shape))

    @property
    def size(self) -> int:
        """Number of units (positions x channels)."""
        return self.n_positions * self.channels

    def position_coords(self) -> np.ndarray:
        """Normalised coordinates of the positions, shape (n_positions, len(shape))."""
        axes = [np.arange(s) / s for s in self.shape]
        grids = np.meshgrid(*axes, indexing="ij")
        return np.stack([g.ravel() for g in grids], axis=1)

    def unit_coords(self) -> np.ndarray:
        """Normalised coordinates of every unit, shape (size, len(shape))."""
        return np.repeat(self.position_coords(), self.channels, axis=0)

    def unit_channels(self) -> np.ndarray:
        """Channel of every unit, shape (size,)."""
        return np.tile(np.arange(self.channels), self.n_positions)


def distances(a: Layout, b: Layout) -> np.ndarray:
    """Distance between every unit of ``a`` (rows) and of ``b`` (columns), shape (a.size, b.size).

    Both layouts must share kind and dimension; periodic kinds use wrapped distances.
    """
    if a.kind != b.kind:
        raise ValueError(f"cannot measure distances between a {a.kind} and a {b.kind} layout")
    diff = np.abs(a.unit_coords()[:, None, :] - b.unit_coords()[None, :, :])
    if a.periodic:
        diff = np.minimum(diff, 1.0 - diff)
    return np.sqrt((diff**2).sum(axis=-1))
