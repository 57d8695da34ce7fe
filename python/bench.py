"""Times fft_tensor from Python against numpy.fft, scipy.fft (workers=-1)
and torch.fft (when installed) in one run on one machine, and the Python
layer's overhead per call against the same library call made from Rust.

    python python/bench.py                 # CPU backend, 4096^2 2-D, 256 x 4096 batches
    python python/bench.py --backend gpu   # also the GPU backend (lavapipe: correctness only)
    python python/bench.py --size 1024     # smaller 2-D problems

Times are the fastest of --repeats calls after one warm-up (the Python
and Rust calls interleaved); ratios are fft_tensor's time over the
other's (below 1: fft_tensor is faster).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

# This file sits beside the package's source folder, which has no compiled
# module: import the installed package instead.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]

import fft_tensor as ft
from fft_tensor import _native

try:
    import scipy.fft as scipy_fft
except ImportError:  # pragma: no cover
    scipy_fft = None
try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def signal(shape):
    """The values the Rust timing uses: sin(0.37 i) + cos(0.0011 i)."""
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (np.sin(0.37 * i) + np.cos(0.0011 * i)).astype(np.float32).reshape(shape)


def best(fn, repeats):
    fn()
    t = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - start)
    return t


def cases(size, batch, length):
    real2 = signal((size, size))
    comp2 = real2.astype(np.complex64)
    rows = signal((batch, length)).astype(np.complex64)
    smooth = signal((size // 2, size // 2))
    out = [
        ("rfft2", (size, size), real2, lambda x: ft.fft.rfft2(x),
         {"numpy": lambda x: np.fft.rfft2(x),
          "scipy": scipy_fft and (lambda x: scipy_fft.rfft2(x, workers=-1)),
          "torch": torch and (lambda t: torch.fft.rfft2(t))}),
        ("fftn", (size, size), comp2, lambda x: ft.fft.fftn(x),
         {"numpy": lambda x: np.fft.fftn(x),
          "scipy": scipy_fft and (lambda x: scipy_fft.fftn(x, workers=-1)),
          "torch": torch and (lambda t: torch.fft.fftn(t))}),
        ("fft", (batch, length), rows, lambda x: ft.fft.fft(x),
         {"numpy": lambda x: np.fft.fft(x),
          "scipy": scipy_fft and (lambda x: scipy_fft.fft(x, workers=-1)),
          "torch": torch and (lambda t: torch.fft.fft(t))}),
        ("compress", smooth.shape, smooth, lambda x: ft.compress(x, 0.01), {}),
    ]
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--backend", choices=["cpu", "gpu", "both"], default="cpu")
    p.add_argument("--size", type=int, default=4096, help="2-D problems are size x size")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--length", type=int, default=4096)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    backends = ["cpu", "gpu"] if a.backend == "both" else [a.backend]
    print(f"numpy {np.__version__}", end="")
    if scipy_fft:
        import scipy
        print(f", scipy {scipy.__version__}", end="")
    if torch:
        print(f", torch {torch.__version__} ({torch.get_num_threads()} threads)", end="")
    print()
    for backend in backends:
        ctx = ft.Context(backend)
        print(f"\n[{ctx.device}]")
        print(f"{'op':9} {'shape':>12} {'MiB':>6} {'fft_tensor':>11} {'Rust call':>10} "
              f"{'overhead':>9}  ratios vs others")
        with ft.use(ctx):
            for name, shape, x, ours, others in cases(a.size, a.batch, a.length):
                # Interleaved, so that both see the same load on a shared machine.
                ours(x)
                t_py = t_rs = float("inf")
                for _ in range(a.repeats):
                    t_py = min(t_py, best(lambda: ours(x), 1))
                    t_rs = min(t_rs, _native.time_native(ctx, name, list(shape), 1))
                over = (t_py - t_rs) / t_rs * 100
                ratios = []
                for other, fn in others.items():
                    if not fn:
                        continue
                    arg = torch.from_numpy(x) if other == "torch" else x
                    t = best(lambda: fn(arg), a.repeats)
                    ratios.append(f"{other} {t * 1e3:.1f} ms (x{t_py / t:.2f})")
                mib = x.nbytes / 2**20
                print(f"{name:9} {str(shape):>12} {mib:6.1f} {t_py * 1e3:9.1f}ms {t_rs * 1e3:8.1f}ms "
                      f"{over:+8.1f}%  " + ", ".join(ratios))


if __name__ == "__main__":
    main()
