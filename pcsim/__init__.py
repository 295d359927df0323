"""pcsim: hierarchical predictive-coding circuits with symmetry priors, on Brian2."""

__version__ = "0.1.0"
