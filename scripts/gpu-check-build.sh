#!/usr/bin/env bash
# Builds the GPU conformance tests, the tour and the benchmarks in release
# mode and packs them into OUT/bins.tgz, for a machine that has a GPU but no
# Rust toolchain (same CPU architecture). Run `gpu-check.sh` or
# `gpu-report.sh` there.
#
#   scripts/gpu-check-build.sh OUT
set -euo pipefail
out=${1:?usage: gpu-check-build.sh OUT}
cd "$(dirname "$0")/.."
cargo build --release --example tour
tests=$(cargo test --release --no-run --message-format=json 2>/dev/null \
  | grep -o '"executable":"[^"]*"' | cut -d'"' -f4 \
  | grep -E '/(fft_gpu|fft_any_length|fft_nd|fft_real|dct|spectral|topk)-[0-9a-f]+$')
benches=$(cargo bench --no-run --message-format=json 2>/dev/null \
  | grep -o '"executable":"[^"]*"' | cut -d'"' -f4 | grep -E '/(fft|spectral|topk|matmul)-[0-9a-f]+$')
# The VkFFT comparison (feature vkfft) when VkFFT's header is installed.
if [ -f /usr/include/vkFFT.h ]; then
  benches="$benches $(cargo bench --features vkfft --bench fft_vs_vkfft --no-run --message-format=json 2>/dev/null \
    | grep -o '"executable":"[^"]*"' | cut -d'"' -f4 | grep -E '/fft_vs_vkfft-[0-9a-f]+$')"
fi
stage=$(mktemp -d)
cp target/release/examples/tour "$stage/tour"
for t in $tests; do name=$(basename "$t"); cp "$t" "$stage/test_${name%-*}"; done
for b in $benches; do name=$(basename "$b"); cp "$b" "$stage/bench_${name%-*}"; done
strip "$stage"/* 2>/dev/null || true
mkdir -p "$out"
tar czf "$out/bins.tgz" -C "$stage" .
rm -rf "$stage"
ls -la "$out/bins.tgz"
