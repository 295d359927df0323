"""cuda_standalone builds without a GPU (docs/model.md#36-backends-and-toolchain)."""

from __future__ import annotations

import shutil

import pytest

from pcsim import backends
from pcsim.backends import BackendOptions
from pcsim.errors import BackendError
from pcsim.network import Setup
from pcsim.simulate import Simulator
from tests.conftest import SYMMETRY_MONITORS, symmetric_case

needs_nvcc = pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not installed")


@pytest.mark.slow
@needs_nvcc
def test_symmetric_circuit_builds_for_cuda_without_gpu(tmp_path):
    spec, proto, prior, _ = symmetric_case()
    sim = Simulator(
        spec,
        proto,
        BackendOptions("cuda_standalone"),
        Setup(prior, SYMMETRY_MONITORS),
        build_dir=tmp_path / "build",
    )
    binary = sim.build()
    assert binary == tmp_path / "build" / "main"
    assert binary.read_bytes()[:4] == b"\x7fELF"
    sources = [p.name for p in (tmp_path / "build" / "code_objects").glob("*.cu")]
    # Brian2 appends _1, _2 ... to code objects of later networks in one process
    for kernel in ("C1_energy_summed_variable_E_1_post_codeobject", "candidates_q_codeobject"):
        assert any(name.startswith(kernel) for name in sources), kernel


@pytest.mark.skipif(backends.gpu_available(), reason="this machine has a GPU")
def test_running_cuda_without_gpu_is_a_clear_error(tmp_path):
    spec, proto, prior, inputs = symmetric_case()
    sim = Simulator(spec, proto, BackendOptions("cuda_standalone"), Setup(prior))
    with pytest.raises(BackendError, match="needs an NVIDIA GPU.*--build-only"):
        sim.run(inputs)
