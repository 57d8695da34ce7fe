#!/usr/bin/env bash
# The speed report for a machine with a real GPU, from the binaries packed by
# gpu-check-build.sh (built elsewhere: nothing is compiled here). Needs the
# Vulkan loader (libvulkan1) and the GPU vendor's Vulkan driver.
#
#   scripts/gpu-report.sh BINS.tgz PEAK_GBS ["machine name"]
#
# PEAK_GBS is the device's memory bandwidth in GB/s (e.g. 3350 for an H100
# SXM, 4800 for an H200): the FFT table shows each size's share of it at 16
# bytes per point. Prints: ours vs VkFFT vs rustfft for the full FFT grid,
# then the FFT summary (passes, kernel time), 4096^2 compress/decompress and
# top-k from their own benchmarks.
set -uo pipefail
tgz=${1:?usage: gpu-report.sh BINS.tgz PEAK_GBS [machine]}
peak=${2:?usage: gpu-report.sh BINS.tgz PEAK_GBS [machine]}
machine=${3:-$(hostname)}
dir=$(mktemp -d)
tar xzf "$tgz" -C "$dir"
export FFT_TENSOR_BACKEND=gpu XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
echo "== $machine, peak $peak GB/s, $(date -u +%F)"
if [ -x "$dir/bench_fft_vs_vkfft" ]; then
  FFT_TENSOR_VKFFT_FULL=1 FFT_TENSOR_PEAK_GBS=$peak timeout 500 "$dir/bench_fft_vs_vkfft" --bench 2>&1
else
  echo "(no bench_fft_vs_vkfft in $tgz: build it with libvkfft-dev installed)"
fi
echo "== FFT summary, 2^24-point batches"
FFT_TENSOR_BENCH_POINTS=16777216 timeout 200 "$dir/bench_fft" --summary-only 2>&1 \
  | sed -n '/summary on/,/means the GPU-resident/p'
echo "== spectral compress/decompress"
timeout 120 "$dir/bench_spectral" --quick 2>&1 | tail -9
echo "== top-k"
timeout 60 "$dir/bench_topk" --bench 2>&1 | tail -4
