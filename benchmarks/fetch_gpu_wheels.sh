#!/usr/bin/env bash
# Download, on a machine with PyPI, the wheels that benchmarks/gpu_check.sh installs on a
# GPU machine without network (Python 3.12, x86_64). The GPU image already has numpy,
# scipy, matplotlib, sympy, pyparsing, jinja2, cython and a CUDA toolkit with cuRAND.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .whl
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64; do
  platforms+=(--platform "$p")
done
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp "${platforms[@]}" -d .whl \
  brian2==2.10.1 brian2cuda==1.0b1 tomli-w==1.2.0
ls -la .whl
