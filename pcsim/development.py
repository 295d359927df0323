"""A developmental experiment: a circuit, a world, optionally a symmetry prior, and the
plan of frames it is shown (development interleaved with frozen probes).

This is the scripting API (see the README): build a `Development`, call `run`, read
`Outcome.metrics`. With a symmetry prior, every run also runs its baseline (prior off)
on the same frames from the same initial weights, reusing the compiled simulation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import brian2
import numpy as np
from brian2 import ms

from pcsim import analysis
from pcsim.backends import BackendOptions
from pcsim.circuit import CircuitSpec
from pcsim.errors import interruption_in
from pcsim.groups import transformation
from pcsim.network import Protocol, Setup
from pcsim.plan import Paradigm, Plan, Section
from pcsim.simulate import Inputs, Result, Simulator
from pcsim.symmetry import SymmetrySpec

SYMMETRY, BASELINE, PLAIN = "symmetry", "baseline", "pc"


@dataclass(frozen=True)
class Development:
    """Everything that defines a developmental run.

    ``world`` is a `pcsim.worlds` world, possibly a `PhasedWorld` (its
    ``generator_specs()`` are the true generators at the end, ``probe_specs()`` the
    transformations equivariance is probed with; a plain world's are the same);
    ``train_frames`` development frames, then ``probe_frames`` held-out
    frames (and as many at ``novel_centres`` when given), all of ``frame_duration``;
    ``checkpoints`` equivariance probes of ``probe_stimuli`` base stimuli each are spread
    over development (plus one before it), probing the world's transformations and
    ``probe_transformations`` (specs with a ``name``, e.g. compositions never shown).
    Probes freeze learning, the prior pi and the prior's pull. ``paradigms``: experiments
    after the probes, in order (`pcsim.plan.Paradigm`).
    """

    spec: CircuitSpec
    world: object
    train_frames: int
    probe_frames: int = 50
    frame_duration: brian2.Quantity = field(default_factory=lambda: 50 * ms)
    dt: brian2.Quantity = field(default_factory=lambda: 1 * ms)
    symmetry: SymmetrySpec | None = None
    checkpoints: int = 5
    probe_stimuli: int = 8
    novel_centres: tuple[float, float] | None = None
    probe_transformations: tuple[dict, ...] = ()
    options: BackendOptions = field(default_factory=BackendOptions)
    monitors: tuple[str, ...] = ()
    interval: brian2.Quantity | None = None
    divergence_bound: float = 1e6
    seed: int = 0
    paradigms: tuple[Paradigm, ...] = ()

    def probe_specs(self) -> list[dict]:
        """The transformations equivariance is probed with: the world's, then
        ``probe_transformations``."""
        return self.world.probe_specs() + list(self.probe_transformations)

    @property
    def conditions(self) -> tuple[str, ...]:
        return (SYMMETRY, BASELINE) if self.symmetry else (PLAIN,)

    def frame_monitors(self) -> tuple[str, ...]:
        """What the metrics need at the end of every frame."""
        n = self.spec.n_layers
        names = [f"L{l}.r" for l in range(1, n)] + [f"L{l}.eps" for l in range(n - 1)]
        if self.symmetry:
            names += ["cand.q", "cand.prior"] + [f"cand.E_{l}" for l in range(n)]
            if self.symmetry.learns_precision:
                names += [f"L{l}.u" for l in range(n - 1)]
        return tuple(names)

    def plan(self, seed: int | None = None) -> Plan:
        """The frame table and initial weights, deterministic given the seed."""
        rng = np.random.default_rng(self.seed if seed is None else seed)
        training = self.world.sequence(self.train_frames, rng)
        base = self.world.heldout(self.probe_stimuli, rng).x
        layout = self.spec.layers[0].layout
        moved = [transformation(layout, g).apply(base) for g in self.probe_specs()]
        block = np.stack([base, *moved], axis=1)  # (M, 1 + G, N0)
        heldout = self.world.heldout(self.probe_frames, rng).x
        novel = (
            self.world.heldout(self.probe_frames, rng, centres=self.novel_centres).x
            if self.novel_centres
            else np.zeros((0, heldout.shape[1]))
        )
        weights = tuple(self.spec.initial_weights(rng))
        frames, plastic, checkpoints = [], [], []
        cuts = np.linspace(0, self.train_frames, self.checkpoints + 1).round().astype(int)
        develop = []
        cursor = 0

        def append(x: np.ndarray, learn: bool) -> np.ndarray:
            nonlocal cursor
            frames.append(x)
            plastic.append(np.full(len(x), float(learn)))
            index = np.arange(cursor, cursor + len(x))
            cursor += len(x)
            return index

        for c in range(self.checkpoints + 1):
            if c > 0:
                develop.append(append(training.x[cuts[c - 1] : cuts[c]], True))
            index = append(block.reshape(-1, block.shape[-1]), False)
            checkpoints.append((int(cuts[c]), index.reshape(block.shape[:2])))
        if self.checkpoints == 0:
            develop.append(append(training.x, True))
        held = append(heldout, False)
        nov = append(novel, False)
        sections = {}
        for test in self.paradigms:  # after every probe
            x, labels = test.stimuli(self.world, rng)
            sections[test.name] = Section(append(x, test.learn), labels)
        inputs = Inputs(np.concatenate(frames), np.concatenate(plastic), weights)
        return Plan(
            inputs, np.concatenate(develop), training.new_scene, checkpoints, held, nov, sections
        )

    def protocol(self, plan: Plan) -> Protocol:
        return Protocol(
            n_frames=len(plan.inputs.frames),
            frame_duration=self.frame_duration,
            dt=self.dt,
            interval=self.interval or self.frame_duration,
        )

    def setup(self) -> Setup:
        """The symmetry prior, monitors and divergence bound of every run."""
        return Setup(
            self.symmetry,
            monitors=self.monitors,
            frame_monitors=self.frame_monitors(),
            divergence_bound=self.divergence_bound,
        )

    def simulator(self, plan: Plan, build_dir: Path | None = None, report: bool = False):
        return Simulator(
            self.spec,
            self.protocol(plan),
            self.options,
            self.setup(),
            build_dir=build_dir,
            report=report,
        )

    def build(self, build_dir: Path, *, report: bool = False) -> Path:
        """Generate and compile the standalone project of this development without
        running it (a GPU is not needed to build for one); returns the binary's path."""
        return self.simulator(self.plan(), build_dir, report).build()

    def run(
        self,
        *,
        plan: Plan | None = None,
        build_dir: Path | None = None,
        report: bool = False,
        on_result: Callable[[str, Result], None] | None = None,
    ) -> Outcome:
        """Run every condition (prior, then baseline) on the same plan (``self.plan()``
        unless given) and one build; returns the results (metrics are computed from them
        when first asked for, see `Outcome.metrics`).

        ``on_result(condition, result)`` is called as soon as a condition has run, before
        its divergence check (to save what it produced); a diverged condition raises
        `pcsim.errors.DivergenceError`.
        """
        plan = plan if plan is not None else self.plan()
        sim = self.simulator(plan, build_dir, report)
        gain = self.symmetry.coupling_gain(plan.inputs.plastic) if self.symmetry else None
        results: dict[str, Result] = {}
        for condition in self.conditions:
            off = condition == BASELINE  # the prior off: no pull, no weight coupling
            inputs = Inputs(
                plan.inputs.frames,
                plan.inputs.plastic,
                plan.inputs.weights,
                lam=0.0 if off else None,
                coupling=0 * brian2.Hz if off else None,
                coupling_gain=gain,
            )
            try:
                results[condition] = sim.run(inputs)
            except BaseException as error:
                stop = interruption_in(error)
                if stop is not None:
                    stop.condition = condition
                raise
            if on_result:
                on_result(condition, results[condition])
            results[condition].raise_if_diverged(self.divergence_bound)
        return Outcome(self, plan, results)


@dataclass
class Outcome:
    """Results of a `Development` run: ``results[condition]``, main condition first."""

    development: Development
    plan: Plan
    results: dict[str, Result]

    @cached_property
    def metrics(self) -> dict:
        """The metrics of the main condition, the baseline's under ``"baseline"`` (see
        `pcsim.analysis.outcome_metrics`); computed from the results on first use."""
        return analysis.outcome_metrics(self.development, self.plan, self.results)

    @property
    def main(self) -> Result:
        return self.results[self.development.conditions[0]]
