#!/usr/bin/env python3
"""Ratio and time of `fft-tensor compress` against SZ3 (pysz) and ZFP (zfpy)
on seeded float32 fields at the same relative L2 error bounds.

SZ3's absolute bound and ZFP's tolerance are bisected until their relative
L2 error meets the bound (the largest setting that does is kept). Ours is
run through the command line on an .npy file; its ratio counts the whole
.fftt file against the array's bytes, and its error is measured on what
`decompress` wrote. Needs numpy, pysz and zfpy (not used in CI):

    pip install numpy pysz zfpy
    cargo build --release --bins --example codec_timer
    python3 scripts/compare-sz3-zfp.py [--bin target/release/fft-tensor] [--quick]
        [--codec auto|interp|bdct|lorenzo|...] [--fields grf,chirp] [--runs 5]

Times are in-process compression times, all three: SZ3 and ZFP through
their Python bindings (one call on the array at the chosen setting, best
of --runs), ours through `examples/codec_timer` (the per-tensor choice,
encoding and bound check the command line makes, on the CPU backend,
best of --runs; without process start, device probe or file input and
output). The CLI's wall time, which includes those, is printed as
"t CLI". "t/own" is ours over the same timer run with the stored codec's
family forced (that codec's encoding and check alone): what `auto`'s
choice costs on top.

"ours" is `compress --codec auto` unless --codec names a family; the last
column names the codec that was stored. The summary prints ours/SZ3 per
target: at least 1 on dense fields (never below 0.95), at least 2 on
spectrally sparse ones.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def fields(quick):
    """Seeded generators: (name, kind, array)."""
    rng = np.random.default_rng(2026)
    n = 256 if quick else 1024
    out = []
    # Gaussian random field with a power-law spectrum.
    k = np.fft.fftfreq(n)[:, None] ** 2 + np.fft.rfftfreq(n)[None, :] ** 2
    amp = 1.0 / np.maximum(k, 1.0 / n**2) ** 1.5
    g = np.fft.irfft2((rng.standard_normal(amp.shape) + 1j * rng.standard_normal(amp.shape)) * amp, s=(n, n))
    out.append(("grf", "dense", g))
    # Heat equation: a random initial state diffused.
    u = rng.standard_normal((n, n))
    kk = np.fft.fftfreq(n)[:, None] ** 2 + np.fft.fftfreq(n)[None, :] ** 2
    out.append(("heat", "dense", np.real(np.fft.ifft2(np.fft.fft2(u) * np.exp(-kk * 4000.0)))))
    # A 1-D chirp.
    t = np.linspace(0, 1, n * n)
    out.append(("chirp", "dense", np.sin(2 * np.pi * (5 * t + 400 * t * t))))
    # Piecewise smooth "photograph": smooth shading with edges.
    y, x = np.mgrid[0:n, 0:n] / n
    img = np.sin(3 * x) * np.cos(2 * y) + (x + 0.3 * y > 0.6) * 0.8 + ((x - 0.3) ** 2 + (y - 0.6) ** 2 < 0.04) * 0.5
    out.append(("edges", "edges", img + 0.01 * g / np.std(g)))
    # A 3-D field.
    m = 64 if quick else 128
    z, y3, x3 = np.mgrid[0:m, 0:m, 0:m] / m
    out.append(("field3d", "dense", np.sin(4 * x3 + 2 * y3) * np.cos(3 * z) + 0.5 * np.exp(-((x3 - 0.5) ** 2 + (y3 - 0.4) ** 2) * 8)))
    # Spectrally sparse: a few cosines on the grid.
    s = np.zeros((n, n))
    for _ in range(12):
        a, b = rng.integers(0, n // 8, 2)
        s += rng.standard_normal() * np.cos(np.pi * (2 * np.arange(n)[:, None] + 1) * a / (2 * n)) * np.cos(np.pi * (2 * np.arange(n)[None, :] + 1) * b / (2 * n))
    out.append(("sparse", "sparse", s))
    return [(a, b, c.astype(np.float32)) for a, b, c in out]


def rel(x, y):
    x = x.astype(np.float64)
    return float(np.linalg.norm(x - y.astype(np.float64)) / np.linalg.norm(x))


def bisect(run, eps, lo, hi):
    """Largest setting s in [lo, hi] (log scale) with run(s)[1] <= eps."""
    best = None
    for _ in range(30):
        mid = np.sqrt(lo * hi)
        size, err, secs = run(mid)
        if err <= eps:
            best = (size, err, secs)
            lo = mid
        else:
            hi = mid
        if hi / lo < 1.01:
            break
    return best


def best_time(f, runs):
    """Best wall time of `runs` calls of f()."""
    best = float("inf")
    for _ in range(max(runs, 1)):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def sz3(x, eps, runs):
    import pysz

    def config(abs_bound):
        c = pysz.szConfig()
        c.errorBoundMode = pysz.szErrorBoundMode.ABS
        c.absErrorBound = abs_bound
        return c

    def run(abs_bound):
        comp, _ = pysz.sz.compress(x, config(abs_bound))
        y, _ = pysz.sz.decompress(comp, x.dtype, x.shape)
        return comp.nbytes, rel(x, y), abs_bound

    s = float(np.max(np.abs(x)))
    b = bisect(run, eps, s * 1e-9, s)
    if b is None:
        return None
    c = config(b[2])
    return b[0], b[1], best_time(lambda: pysz.sz.compress(x, c), runs)


def zfp(x, eps, runs):
    import zfpy

    def run(tol):
        comp = zfpy.compress_numpy(x, tolerance=tol)
        y = zfpy.decompress_numpy(comp)
        return len(comp), rel(x, y), tol

    s = float(np.max(np.abs(x)))
    b = bisect(run, eps, s * 1e-9, s)
    if b is None:
        return None
    return b[0], b[1], best_time(lambda: zfpy.compress_numpy(x, tolerance=b[2]), runs)


def ours(binary, timer, x, eps, d, codec, runs):
    """(file bytes, error, in-process secs, codec stored, CLI secs, the
    stored codec's own in-process secs)."""
    src = os.path.join(d, "x.npy")
    out = os.path.join(d, "x.fftt")
    np.save(src, x)
    t = time.perf_counter()
    subprocess.run([binary, "compress", src, out, "--max-error", str(eps), "--codec", codec, "-f"], check=True, capture_output=True)
    cli = time.perf_counter() - t
    back = os.path.join(d, "y.npy")
    subprocess.run([binary, "decompress", out, back, "-f"], check=True, capture_output=True)
    info = json.loads(subprocess.run([binary, "inspect", "--json", out], check=True, capture_output=True).stdout)
    used = info["tensors"][0]["codec"].split(" ")[0]
    raw = os.path.join(d, "x.f32")
    x.astype("<f4").tofile(raw)
    shape = "x".join(str(v) for v in x.shape)
    def timed(family):
        out = subprocess.run([timer, raw, shape, str(eps), family, str(runs)], check=True, capture_output=True).stdout
        return json.loads(out)["secs"]

    secs = timed(codec)
    # The stored codec's own family (its encoding and check), for auto's
    # cost over its winner's.
    family = {"sparse-dct": "dct", "sparse-rfft": "rfft"}.get(used, used)
    own = timed(family) if codec == "auto" and family not in ("raw", "") else float("nan")
    return os.path.getsize(out), rel(x, np.load(back)), secs, used, cli, own


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/fft-tensor")
    ap.add_argument("--quick", action="store_true", help="256^2 / 64^3 fields")
    ap.add_argument("--codec", default="auto", help="codec family for ours (default auto)")
    ap.add_argument("--fields", default="", help="comma-separated field names (default all)")
    ap.add_argument("--timer", default="target/release/examples/codec_timer", help="in-process timer of ours")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per compressor (best kept)")
    a = ap.parse_args()
    keep = set(a.fields.split(",")) if a.fields else None
    print(f"{'field':<8} {'kind':<6} {'bound':>6} {'ours':>8} {'SZ3':>8} {'ZFP':>8} {'ours/SZ3':>8} {'ours/ZFP':>8} {'t ours':>7} {'t SZ3':>7} {'t ZFP':>7} {'t/SZ3':>6} {'t/own':>6} {'t CLI':>6} codec")
    summary = {}
    times = []
    own = []
    with tempfile.TemporaryDirectory() as d:
        for name, kind, x in fields(a.quick):
            if keep is not None and name not in keep:
                continue
            for eps in (1e-2, 1e-3, 1e-4):
                o = ours(a.bin, a.timer, x, eps, d, a.codec, a.runs)
                s = sz3(x, eps, a.runs)
                z = zfp(x, eps, a.runs)
                r = [x.nbytes / v[0] if v else float("nan") for v in (o, s, z)]
                t = [v[2] if v else float("nan") for v in (o, s, z)]
                print(f"{name:<8} {kind:<6} {eps:>6.0e} {r[0]:>8.1f} {r[1]:>8.1f} {r[2]:>8.1f} {r[0] / r[1]:>8.2f} {r[0] / r[2]:>8.2f} {t[0]:>7.4f} {t[1]:>7.4f} {t[2]:>7.4f} {t[0] / t[1]:>6.1f} {t[0] / o[5]:>6.2f} {o[4]:>6.2f} {o[3]}")
                summary.setdefault((kind, eps), []).append(r[0] / r[1])
                times.append(t[0] / t[1])
                if o[5] == o[5]:
                    own.append(t[0] / o[5])
                sys.stdout.flush()
                assert o[1] <= eps, f"{name} {eps}: our error {o[1]}"
    print("\nours/SZ3 per kind and bound (min / geometric mean):")
    for (kind, eps), v in sorted(summary.items()):
        g = float(np.exp(np.mean(np.log(v))))
        print(f"  {kind:<6} {eps:>6.0e}  min {min(v):.2f}  mean {g:.2f}")
    if times:
        g = float(np.exp(np.mean(np.log(times))))
        print(f"time ours/SZ3 (in-process): min {min(times):.1f}  geometric mean {g:.1f}  max {max(times):.1f}")
    if own:
        g = float(np.exp(np.mean(np.log(own))))
        print(f"time auto / its stored codec alone: min {min(own):.2f}  geometric mean {g:.2f}  max {max(own):.2f}")


if __name__ == "__main__":
    main()
