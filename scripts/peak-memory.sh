#!/usr/bin/env bash
# Peak resident memory (and wall time) of each fft-tensor command on a file
# holding one large f32 tensor, measured with GNU time (/usr/bin/time -v).
#
#   scripts/peak-memory.sh [MIB] [CODEC]
#
# MIB: size of the tensor in MiB (default 256); CODEC: compress's --codec
# (default auto). `rd` encodes the tensor some 55 times, so it runs on a
# tensor of RD_MIB MiB (default 8). The peak is printed in decimal MB and as
# a multiple of the tensor's size. FFT_TENSOR_BIN measures another build of
# the program (default: target/release/fft-tensor, built first); set
# FFT_TENSOR_BACKEND as for the program itself. DATA=weights writes
# heavy-tailed rows with per-row scales (like a trained weight matrix)
# instead of smooth rows plus noise; DATA=smooth a smooth 2-D field without
# noise (what the prediction and transform codecs are chosen for).
set -euo pipefail

MIB=${1:-256}
CODEC=${2:-auto}
RD_MIB=${RD_MIB:-8}
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time (/usr/bin/time)" >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y time; else sudo apt-get install -y time; fi
fi
if ! python3 -c 'import numpy' 2>/dev/null; then
    echo "installing numpy (writes the test file)" >&2
    python3 -m pip install numpy
fi

if [ -z "${FFT_TENSOR_BIN:-}" ]; then
    cargo build --release --bin fft-tensor >&2
    BIN=$PWD/target/release/fft-tensor
else
    BIN=$(realpath "$FFT_TENSOR_BIN")
fi
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
cd "$DIR"

# One [rows, 1024] f32 tensor of smooth rows plus noise, written in blocks.
make_file() {
python3 - "$1" "$2" <<'PY'
import json, os, struct, sys
import numpy as np
weights = os.environ.get("DATA") == "weights"
smooth = os.environ.get("DATA") == "smooth"
path, mib = sys.argv[1], int(sys.argv[2])
cols = 1024
rows = max(1, mib * (1 << 20) // (4 * cols))
header = json.dumps({"w": {"dtype": "F32", "shape": [rows, cols],
                           "data_offsets": [0, rows * cols * 4]}}).encode()
header += b" " * (-(8 + len(header)) % 8)
rng = np.random.default_rng(0)
x = np.linspace(0, 8 * np.pi, cols, dtype=np.float32)
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header)
    for start in range(0, rows, 4096):
        n = min(4096, rows - start)
        phase = rng.uniform(0, 2 * np.pi, (n, 1)).astype(np.float32)
        if smooth:
            y = np.arange(start, start + n)[:, None] / rows * 6 * np.pi
            block = np.sin(x[None, :] + y) * np.cos(0.5 * x[None, :] - 0.3 * y) + 0.5 * np.sin(2 * y)
        elif weights:
            scale = 0.02 * rng.uniform(0.6, 1.4, (n, 1))
            block = scale * rng.standard_t(5, (n, cols)) / np.sqrt(5 / 3)
        else:
            block = np.sin(x[None, :] + phase) + 0.1 * rng.standard_normal((n, cols), dtype=np.float32)
        f.write(block.astype("<f4").tobytes())
PY
}
make_file big.safetensors "$MIB"
make_file small.safetensors "$RD_MIB"
TENSOR=$(stat -c %s big.safetensors)

measure() {
    local label=$1
    shift
    if ! /usr/bin/time -v "$@" >/dev/null 2>time.txt; then
        echo "$label failed:" >&2
        cat time.txt >&2
        exit 1
    fi
    local kb wall
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' time.txt)
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' time.txt)
    awk -v l="$label" -v kb="$kb" -v t="$TENSOR" -v w="$wall" \
        'BEGIN { printf "%-11s %10.1f MB %7.2fx tensor  %s\n", l, kb * 1024 / 1e6, kb * 1024 / t, w }'
}

printf "tensor: %.1f MB f32 (%s MiB), compress --codec %s\n" "$(awk -v t="$TENSOR" 'BEGIN{print t/1e6}')" "$MIB" "$CODEC"
printf "%-11s %13s %14s  %s\n" command "peak RSS" "" "wall"
measure compress "$BIN" compress big.safetensors big.fftt --codec "$CODEC"
measure inspect "$BIN" inspect big.fftt
measure decompress "$BIN" decompress big.fftt back.safetensors
measure eval "$BIN" eval big.safetensors big.fftt
TENSOR=$(stat -c %s small.safetensors)
printf "rd on a %.1f MB tensor (RD_MIB=%s):\n" "$(awk -v t="$TENSOR" 'BEGIN{print t/1e6}')" "$RD_MIB"
measure rd "$BIN" rd small.safetensors --plot rd.svg
