#!/usr/bin/env bash
# The GPU check, one prepared call on a machine with an NVIDIA H100 or H200, run from the
# repository root with the wheels of benchmarks/fetch_gpu_wheels.sh in .whl/:
#   1. installs brian2 and brian2cuda from .whl (no network there);
#   2. runs the torus scenario (--quick) on cuda_standalone and cpp_standalone and checks
#      that they agree (benchmarks/gpu_compare.py: states and weights to 1e-6 relative in
#      float64, identical effective group, metrics to 1e-4 relative);
#   3. runs the scaling series on the GPU (benchmarks/scaling.py --gpu).
# Everything it writes goes to $OUT (default: gpu_check_out/). Sized for < 8 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu_check_out}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/pcsim-site .whl/*.whl
export PYTHONPATH="/tmp/pcsim-site:$PWD" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
nvcc --version | tail -1 | tee -a "$OUT/gpu.txt"
start=$(date +%s)
python3 benchmarks/gpu_compare.py --out "$OUT/compare" 2>&1 | tee "$OUT/compare.log"
echo "compare: $(( $(date +%s) - start )) s"
timeout 300 python3 benchmarks/scaling.py --gpu --backends cpp_standalone cuda_standalone \
  2>&1 | tee "$OUT/scaling.md" || echo "scaling stopped (see $OUT/scaling.md)"
echo "total: $(( $(date +%s) - start )) s"
