"""float32 state variables: the backends against a float32 oracle, and float32 against
float64.

Tolerance 1e-4 relative to each quantity's largest magnitude. float32 rounds at 6e-8
relative; over 2,001 steps of contractive dynamics with the symmetry prior the two
precisions were measured to differ by 4e-6, backend and oracle in float32 by 2e-6. A
25-fold margin keeps the test robust to platform rounding, while any real difference in
the equations (>= 1e-3, see test_oracle_agreement.py) still fails it.
"""

from __future__ import annotations

import numpy as np
import pytest

from pcsim import oracle
from pcsim.backends import BackendOptions
from pcsim.simulate import Simulator
from tests.conftest import SYMMETRY_MONITORS, symmetric_case

RTOL = 1e-4


def close(result, reference) -> None:
    for name in SYMMETRY_MONITORS:
        got, want = result.traces[name], reference.traces[name]
        assert np.abs(got - want).max() <= RTOL * np.abs(want).max(), name


def test_float32_oracle_agrees_with_float64():
    spec, proto, prior, inputs = symmetric_case()
    args = dict(monitors=SYMMETRY_MONITORS, symmetry=prior)
    single = oracle.simulate(spec, proto, inputs, dtype="float32", **args)
    double = oracle.simulate(spec, proto, inputs, **args)
    close(single, double)
    # and it really ran in single precision
    assert not np.array_equal(single.traces["L1.r"], double.traces["L1.r"])


@pytest.mark.parametrize(
    "backend", ["numpy", pytest.param("cpp_standalone", marks=pytest.mark.slow)]
)
def test_float32_backend_agrees_with_float32_oracle(backend):
    spec, proto, prior, inputs = symmetric_case()
    options = BackendOptions(backend, float_dtype="float32")
    result = Simulator(spec, proto, options, monitors=SYMMETRY_MONITORS, symmetry=prior).run(inputs)
    assert result.traces["L1.r"].dtype == np.float32
    reference = oracle.simulate(
        spec, proto, inputs, monitors=SYMMETRY_MONITORS, symmetry=prior, dtype="float32"
    )
    close(result, reference)
