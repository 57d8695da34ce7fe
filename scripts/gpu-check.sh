#!/usr/bin/env bash
# Runs the GPU conformance tests and benchmarks packed by gpu-check-build.sh
# on a machine with a real GPU (needs the Vulkan loader, libvulkan1, and the
# GPU vendor's Vulkan driver). Every GPU test must pass: FFT_TENSOR_REQUIRE_GPU=1.
# Benchmarks run with the generic kernel, with per-length specialisation and
# with padded tiles, on 2^20- and 2^24-point batches.
#
#   scripts/gpu-check.sh BINS.tgz
set -uo pipefail
tgz=${1:?usage: gpu-check.sh BINS.tgz}
dir=$(mktemp -d)
tar xzf "$tgz" -C "$dir"
export FFT_TENSOR_REQUIRE_GPU=1 FFT_TENSOR_BACKEND=gpu
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
"$dir/tour" > "$dir/tour.txt" 2>&1; head -3 "$dir/tour.txt"
for t in "$dir"/test_*; do
  echo "== $(basename "$t")"
  timeout 120 "$t" 2>&1 | grep -E "test result|FAILED|panicked"
done
for spec in 0 1; do
  echo "== bench fft, FFT_TENSOR_SPECIALIZE=$spec, 2^20 points"
  FFT_TENSOR_SPECIALIZE=$spec timeout 150 "$dir/bench_fft" --summary-only 2>&1 | sed -n '/summary on/,$p'
done
for pad in 0 1; do
  echo "== bench fft, specialised, FFT_TENSOR_PAD=$pad, 2^24 points"
  FFT_TENSOR_PAD=$pad FFT_TENSOR_BENCH_POINTS=16777216 timeout 200 "$dir/bench_fft" --summary-only 2>&1 \
    | sed -n '/summary on/,/means the GPU-resident/p'
done
echo "== bench fft, specialised, FFT_TENSOR_PAD=1, 2^20 points"
FFT_TENSOR_PAD=1 timeout 150 "$dir/bench_fft" --summary-only 2>&1 | sed -n '/summary on/,/means the GPU-resident/p'
echo "== bench spectral"
timeout 120 "$dir/bench_spectral" --quick 2>&1 | tail -9
echo "== bench topk"
timeout 60 "$dir/bench_topk" --bench 2>&1 | tail -4
