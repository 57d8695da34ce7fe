#!/usr/bin/env python3
"""Ratio and time of `fft-tensor compress` against SZ3 (pysz) and ZFP (zfpy)
on seeded float32 fields at the same relative L2 error bounds.

SZ3's absolute bound and ZFP's tolerance are bisected until their relative
L2 error meets the bound (the largest setting that does is kept). Ours is
run through the command line on an .npy file; its ratio counts the whole
.fftt file against the array's bytes. Needs numpy, pysz and zfpy (not used
in CI):

    pip install numpy pysz zfpy
    cargo build --release
    python3 scripts/compare-sz3-zfp.py [--bin target/release/fft-tensor] [--quick]
        [--codec auto|interp|bdct|lorenzo|...] [--fields grf,chirp]

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


def sz3(x, eps):
    import pysz

    def run(abs_bound):
        c = pysz.szConfig()
        c.errorBoundMode = pysz.szErrorBoundMode.ABS
        c.absErrorBound = abs_bound
        t = time.perf_counter()
        comp, _ = pysz.sz.compress(x, c)
        secs = time.perf_counter() - t
        y, _ = pysz.sz.decompress(comp, x.dtype, x.shape)
        return comp.nbytes, rel(x, y), secs

    s = float(np.max(np.abs(x)))
    return bisect(run, eps, s * 1e-9, s)


def zfp(x, eps):
    import zfpy

    def run(tol):
        t = time.perf_counter()
        comp = zfpy.compress_numpy(x, tolerance=tol)
        secs = time.perf_counter() - t
        y = zfpy.decompress_numpy(comp)
        return len(comp), rel(x, y), secs

    s = float(np.max(np.abs(x)))
    return bisect(run, eps, s * 1e-9, s)


def ours(binary, x, eps, d, codec):
    src = os.path.join(d, "x.npy")
    out = os.path.join(d, "x.fftt")
    np.save(src, x)
    t = time.perf_counter()
    subprocess.run([binary, "compress", src, out, "--max-error", str(eps), "--codec", codec, "-f"], check=True, capture_output=True)
    secs = time.perf_counter() - t
    back = os.path.join(d, "y.npy")
    subprocess.run([binary, "decompress", out, back, "-f"], check=True, capture_output=True)
    info = json.loads(subprocess.run([binary, "inspect", "--json", out], check=True, capture_output=True).stdout)
    used = info["tensors"][0]["codec"].split(" ")[0]
    return os.path.getsize(out), rel(x, np.load(back)), secs, used


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/fft-tensor")
    ap.add_argument("--quick", action="store_true", help="256^2 / 64^3 fields")
    ap.add_argument("--codec", default="auto", help="codec family for ours (default auto)")
    ap.add_argument("--fields", default="", help="comma-separated field names (default all)")
    a = ap.parse_args()
    keep = set(a.fields.split(",")) if a.fields else None
    print(f"{'field':<8} {'kind':<6} {'bound':>6} {'ours':>8} {'SZ3':>8} {'ZFP':>8} {'ours/SZ3':>8} {'ours/ZFP':>8} {'t ours':>7} {'t SZ3':>7} {'t ZFP':>7} codec")
    summary = {}
    with tempfile.TemporaryDirectory() as d:
        for name, kind, x in fields(a.quick):
            if keep is not None and name not in keep:
                continue
            for eps in (1e-2, 1e-3, 1e-4):
                o = ours(a.bin, x, eps, d, a.codec)
                s = sz3(x, eps)
                z = zfp(x, eps)
                r = [x.nbytes / v[0] if v else float("nan") for v in (o, s, z)]
                t = [v[2] if v else float("nan") for v in (o, s, z)]
                print(f"{name:<8} {kind:<6} {eps:>6.0e} {r[0]:>8.1f} {r[1]:>8.1f} {r[2]:>8.1f} {r[0] / r[1]:>8.2f} {r[0] / r[2]:>8.2f} {t[0]:>7.3f} {t[1]:>7.3f} {t[2]:>7.3f} {o[3]}")
                summary.setdefault((kind, eps), []).append(r[0] / r[1])
                sys.stdout.flush()
                assert o[1] <= eps, f"{name} {eps}: our error {o[1]}"
    print("\nours/SZ3 per kind and bound (min / geometric mean):")
    for (kind, eps), v in sorted(summary.items()):
        g = float(np.exp(np.mean(np.log(v))))
        print(f"  {kind:<6} {eps:>6.0e}  min {min(v):.2f}  mean {g:.2f}")


if __name__ == "__main__":
    main()
