"""pcsim as an installed package: the wheel built from the repository, installed into a
fresh virtual environment outside it, lists and runs the shipped scenarios from any
directory, with nothing of the checkout in reach."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p.name for p in (ROOT / "scenarios").glob("*.toml"))


def sh(*argv, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(the fresh environment's bin folder, the folder holding the wheel and sdist)."""
    base = tmp_path_factory.mktemp("package")
    dist = base / "dist"
    built = sh(sys.executable, "-m", "build", "--outdir", dist, ROOT, cwd=base)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    venv.create(base / "env", with_pip=True)
    bin_dir = base / "env" / "bin"
    (wheel,) = dist.glob("*.whl")
    pip = sh(bin_dir / "python", "-m", "pip", "install", "-q", wheel, cwd=base)
    assert pip.returncode == 0, pip.stderr[-2000:]
    return bin_dir, dist


@pytest.mark.slow
def test_wheel_and_sdist_carry_every_scenario_and_model(installed):
    _, dist = installed
    (wheel,) = dist.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for module in (ROOT / "pcsim").rglob("*.py"):
        assert module.relative_to(ROOT).as_posix() in names, module  # every subpackage
    for toml in SHIPPED:
        assert f"pcsim/scenarios/{toml}" in names
    for toml in (p.name for p in (ROOT / "models").glob("*.toml")):
        assert f"pcsim/models/{toml}" in names
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {m.split("/", 1)[1] for m in archive.getnames() if "/" in m}
    assert {f"scenarios/{t}" for t in SHIPPED} <= members


@pytest.mark.slow
def test_installed_pcsim_lists_and_runs_from_any_directory(installed, tmp_path):
    bin_dir, _ = installed
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    elsewhere = tmp_path / "analysis-project"
    elsewhere.mkdir()
    listed = sh(bin_dir / "pcsim", "list", cwd=elsewhere, env=env)
    assert listed.returncode == 0, listed.stderr
    for toml in SHIPPED:
        assert Path(toml).stem in listed.stdout
    assert "(shipped with pcsim)" in listed.stdout
    version = sh(bin_dir / "python", "-m", "pcsim", "--version", cwd=elsewhere, env=env)
    assert version.stdout.startswith("pcsim ")
    out = elsewhere / "run"
    argv = [bin_dir / "pcsim", "run", "ring", "--quick", "--backend", "numpy", "--out", out, "-q"]
    ran = sh(*argv, cwd=elsewhere, env=env)
    assert ran.returncode == 0, ran.stderr[-3000:]
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "complete"
    assert info["git_commit"] is None  # an installed wheel has none
    assert "site-packages" in info["pcsim_location"]
