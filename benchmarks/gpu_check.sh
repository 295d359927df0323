#!/usr/bin/env bash
# The GPU check, prepared calls on a machine with an NVIDIA H100 or H200, run from the
# repository root with the wheels of benchmarks/fetch_gpu_wheels.sh in .whl/:
#
#   bash benchmarks/gpu_check.sh agree   # < 8 minutes
#   bash benchmarks/gpu_check.sh scale   # < 9 minutes
#
# Both install brian2 and brian2cuda from .whl (no network there). Stage "agree" checks
# cuda_standalone against cpp_standalone (benchmarks/gpu_compare.py): the torus (--quick)
# in float64 (states and weights to 1e-6 relative, metrics to 1e-4, identical effective
# group) and in float32 (1e-3 / 1e-2), and a short quick sheet (32 x 32, 2.8e5 synapses,
# 150 development frames) in float32. Stage "scale" runs the scaling series on the GPU,
# 1e6 ... 1e8 synapses against the memory-bandwidth bound, float32
# (benchmarks/scaling.py --gpu; cpp_standalone up to 1e7), then the full sheet scenario
# on cuda_standalone in float32 and prints its wall time. Everything goes to $OUT
# (default: gpu_check_out/).
set -euo pipefail
cd "$(dirname "$0")/.."
stage=${1:-agree}
OUT=${OUT:-gpu_check_out}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/pcsim-site .whl/*.whl
export PYTHONPATH="/tmp/pcsim-site:$PWD" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
nvcc --version | tail -1 | tee -a "$OUT/gpu.txt"
start=$(date +%s)
if [ "$stage" = agree ]; then
  python3 benchmarks/gpu_compare.py --out "$OUT/torus64" 2>&1 | tee "$OUT/torus64.log"
  python3 benchmarks/gpu_compare.py --float32 --out "$OUT/torus32" 2>&1 | tee "$OUT/torus32.log"
  python3 benchmarks/gpu_compare.py --scenario sheet --float32 --out "$OUT/sheet32" \
    --set training.frames=150 --set probe.frames=10 --set symmetry.checkpoints=1 \
    2>&1 | tee "$OUT/sheet32.log"
elif [ "$stage" = scale ]; then
  timeout 330 python3 benchmarks/scaling.py --gpu --dtype float32 --connectivity local \
    --backends cpp_standalone cuda_standalone 2>&1 | tee "$OUT/scaling.md" \
    || echo "scaling stopped (see $OUT/scaling.md)"
  sheet=$(date +%s)
  python3 -m pcsim run sheet --backend cuda_standalone --set simulation.float_dtype=float32 \
    --out "$OUT/sheet" 2>&1 | tail -12 | tee "$OUT/sheet.log"
  echo "sheet, full run on cuda_standalone: $(( $(date +%s) - sheet )) s" | tee -a "$OUT/sheet.log"
else
  echo "usage: bash benchmarks/gpu_check.sh agree|scale" >&2
  exit 2
fi
echo "total: $(( $(date +%s) - start )) s"
