#!/usr/bin/env bash
# The speed report for a machine with a real GPU, from the binaries packed by
# gpu-check-build.sh (built elsewhere: nothing is compiled here). Needs the
# Vulkan loader (libvulkan1) and the GPU vendor's Vulkan driver; bash and awk.
#
#   scripts/gpu-report.sh BINS.tgz|BINS_DIR PEAK_GBS ["machine name"]
#
# PEAK_GBS is the device's memory bandwidth in GB/s (e.g. 3350 for an H100
# SXM, 4800 for an H200). Prints ONE table, a row per measurement:
#   item, size, ours ms, VkFFT ms, rustfft ms (the CPU twin), GB/s, share
# FFT rows (bench_fft_vs_vkfft, medians): GB/s at 16 bytes per point per pass
# (one read and one write of a complex f32; one pass per 1-D row, two for
# 2-D), share = GB/s / PEAK_GBS.
# 4096^2 compress/decompress (bench_spectral, 20 % kept, host memory in and
# out): 16 bytes per point per pass over the two passes of a 2-D transform.
# top-k (bench_topk, 2^22 f32): ours = GPU-resident input. Matmul
# (bench_matmul): ours = the GPU path, rustfft column = the CPU twin, GB/s =
# bytes of W read per call as stored (f32, INT8, INT4; no VkFFT column).
# Each benchmark's raw output is kept in the printed log directory.
#
# FFT_TENSOR_REPORT_QUICK=1: the reduced grid (for a test run on lavapipe,
# Mesa's software Vulkan, whose times say nothing about a real GPU): the
# default VkFFT grid limited to FFT_TENSOR_VKFFT_ONLY when set, 2 rounds.
# FFT_TENSOR_REPORT_LOGS=DIR: print the table from the raw outputs a run kept
# in DIR, running nothing.
set -uo pipefail
usage="usage: gpu-report.sh BINS.tgz|BINS_DIR PEAK_GBS [machine]"
bins=${1:?$usage}
peak=${2:?$usage}
machine=${3:-$(hostname)}
quick=${FFT_TENSOR_REPORT_QUICK:-0}
if [ -d "$bins" ]; then
  dir=$bins
else
  dir=$(mktemp -d)
  tar xzf "$bins" -C "$dir" || { echo "cannot unpack $bins" >&2; exit 2; }
fi
logs=${FFT_TENSOR_REPORT_LOGS:-$(mktemp -d)}
export FFT_TENSOR_BACKEND=gpu XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}

# Runs benchmark binary $1 (if packed) with a time limit, output to $logs/$1.
bench() {
  local name=$1 limit=$2
  shift 2
  if [ -x "$dir/$name" ]; then
    timeout "$limit" "$dir/$name" "$@" > "$logs/$name" 2>&1
  else
    echo "(no $name in $bins)" > "$logs/$name"
  fi
}

if [ -n "${FFT_TENSOR_REPORT_LOGS:-}" ]; then
  :
elif [ "$quick" = 1 ]; then
  FFT_TENSOR_VKFFT_RUNS=2 FFT_TENSOR_PEAK_GBS=$peak bench bench_fft_vs_vkfft 900 --bench
  bench bench_spectral 600 --quick
  bench bench_topk 300 --bench
  bench bench_matmul 600
else
  FFT_TENSOR_VKFFT_FULL=1 FFT_TENSOR_PEAK_GBS=$peak bench bench_fft_vs_vkfft 900 --bench
  bench bench_spectral 300 --quick
  bench bench_topk 120 --bench
  FFT_TENSOR_BENCH_FULL=1 bench bench_matmul 600
fi

device=$(grep -m1 -o 'on .*(VkFFT device' "$logs/bench_fft_vs_vkfft" | sed 's/^on //; s/ (VkFFT device//')
echo "== $machine${device:+ ($device)}, peak $peak GB/s, $(date -u +%F)"
if grep -qi 'llvmpipe\|lavapipe' "$logs"/* 2>/dev/null; then
  echo "(lavapipe: Mesa's software Vulkan on the CPU; only same-run ratios mean anything)"
fi

awk -v peak="$peak" '
  # Milliseconds from a Rust Duration printed with {:?} (12.3ms, 1.2s, 450µs).
  function ms(d) {
    if (d ~ /ms$/) return d + 0
    if (d ~ /µs$|us$/) return d / 1000
    if (d ~ /ns$/) return d / 1e6
    if (d ~ /s$/) return d * 1000
    return d + 0
  }
  function num(x, f) { return (x == "" || x == "-") ? "-" : sprintf(f, x) }
  function row(item, size, ours, vk, cpu, gbs) {
    share = (gbs == "" || gbs == "-" || peak <= 0) ? "-" : sprintf("%.2f%%", 100 * gbs / peak)
    printf "%-20s %-18s %10s %10s %11s %9s %7s\n", item, size, num(ours, "%.3f"), num(vk, "%.3f"),
      num(cpu, "%.2f"), num(gbs, "%.3f"), share
  }
  BEGIN {
    printf "%-20s %-18s %10s %10s %11s %9s %7s\n", "item", "size", "ours ms", "VkFFT ms", "rustfft ms", "GB/s", "share"
  }
  # bench_fft_vs_vkfft: a 22-column name, then ours min/med/max, VkFFT
  # min/med/max (or n/a), speed, min speed, two errors, rustfft ms,
  # GB/s[, share].
  FILENAME ~ /bench_fft_vs_vkfft$/ && /^(c2c|r2c)/ {
    name = substr($0, 1, 22); sub(/ +$/, "", name)
    n = split(substr($0, 23), f, " ")
    if (n < 8) next
    split(name, w, " ")
    item = (name ~ /2-D/) ? w[1] " 2-D" : w[1]
    size = (name ~ /2-D/) ? w[3] : w[2] "x" w[4]
    if (f[4] == "n/a") { vk = "-"; rest = 6 } else { vk = f[5]; rest = 8 }
    # The benchmark counts one pass; a 2-D transform makes two.
    gbs = f[rest + 4]; if (name ~ /2-D/ && gbs != "-") gbs *= 2
    row(item, size, f[2], vk, f[rest + 3], gbs)
    next
  }
  # bench_spectral: label (cpu|gpu) transform, compress ms, decompress ms, ...
  FILENAME ~ /bench_spectral$/ && /^(cpu|gpu) (Rfft|Dct) / {
    key = $2; if ($1 == "cpu") { cc[key] = $3; cd[key] = $4 } else { gc[key] = $3; gd[key] = $4 }
    seen[key] = 1
    next
  }
  FILENAME ~ /bench_topk$/ && /CPU twin/ { topk_cpu = ms($NF == "threads)" ? $(NF - 2) : $NF) }
  FILENAME ~ /bench_topk$/ && /GPU resident/ { d = $3; sub(/:$/, "", d); topk_gpu = ms(d) }
  # bench_matmul: B, path words, ms/call, held MiB, peak MiB, err.
  FILENAME ~ /bench_matmul$/ && /^ *[0-9]+  [A-Za-z]/ && !/ \/ / && NF >= 6 {
    b = $1; path = ""; for (i = 2; i <= NF - 4; i++) path = path (i > 2 ? " " : "") $i
    t = $(NF - 3); held = $(NF - 2)
    if (path ~ /^CPU twin/) { mm_cpu[b] = t; next }
    if (path ~ /^resident dense/) k = "dense"
    else if (path ~ /^quantised INT8/) k = "int8"
    else if (path ~ /^quantised INT4/) k = "int4"
    else if (path ~ /^streamed INT8/) k = "streamed int8"
    else if (path ~ /^streamed f32/) k = "streamed f32"
    else next
    mm_t[b, k] = t; if (held > 0) wbytes[k] = held * 1048576; if (!((b, k) in mm_seen)) { mm_seen[b, k] = 1; order[++m] = b SUBSEP k }
    next
  }
  FILENAME ~ /bench_matmul$/ && /^W [0-9]+ x [0-9]+/ { wsize = $2 "x" $4; wbytes["dense"] = 4 * $2 * $4 }
  END {
    pts = 4096 * 4096
    for (key in seen) {
      if (gc[key] != "") {
        row("compress " key, "4096^2", gc[key], "", cc[key], 16 * pts * 2 / (gc[key] * 1e6))
        row("decompress " key, "4096^2", gd[key], "", cd[key], 16 * pts * 2 / (gd[key] * 1e6))
      } else {
        row("compress " key, "4096^2", "", "", cc[key], "")
        row("decompress " key, "4096^2", "", "", cd[key], "")
      }
    }
    if (topk_cpu != "" || topk_gpu != "")
      row("top-k 20%", "2^22 f32", topk_gpu, "", topk_cpu, topk_gpu == "" ? "" : 4 * 4194304 / (topk_gpu * 1e6))
    for (i = 1; i <= m; i++) {
      split(order[i], bk, SUBSEP)
      t = mm_t[order[i]]
      # Bytes of W read per call: as stored (streamed INT8 reads INT8 blocks).
      wb = bk[2] ~ /int8/ ? wbytes["int8"] : bk[2] ~ /int4/ ? wbytes["int4"] : wbytes["dense"]
      row("matmul " bk[2], "W" wsize " B" bk[1], t, "", mm_cpu[bk[1]], wb == "" ? "" : wb / (t * 1e6))
    }
  }
' "$logs/bench_fft_vs_vkfft" "$logs/bench_spectral" "$logs/bench_topk" "$logs/bench_matmul"
echo "(ms: medians; rustfft ms: the CPU twin; FFT GB/s = 16 bytes x points x passes / ours; matmul GB/s = W bytes as stored / ours)"
for f in bench_fft_vs_vkfft bench_spectral bench_topk bench_matmul; do
  grep -q "^(no $f" "$logs/$f" && cat "$logs/$f"
  grep -m3 -E "(^|: )error|panicked|no GPU adapter|cannot open" "$logs/$f" | sed "s/^/$f: /"
done
echo "(raw outputs: $logs)"
