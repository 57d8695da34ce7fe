"""The prototype's recipe in numpy, for the side-by-side in `cargo bench --bench spectral`.

Compress = rfft2 + argpartition of |X| (top 20 %) ; decompress = scatter + irfft2,
on a 4096 x 4096 f32 Gaussian tensor. Prints one line: `numpy_ms <median ms>`.
Exits with status 3 when numpy is missing.
"""
import sys
import time

try:
    import numpy as np
except ImportError:
    sys.exit(3)

n = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
frac = float(sys.argv[2]) if len(sys.argv) > 2 else 0.2
rng = np.random.default_rng(0)
x = rng.standard_normal((n, n), dtype=np.float32)


def roundtrip(x):
    spec = np.fft.rfft2(x)
    flat = spec.ravel()
    k = max(1, int(np.ceil(frac * flat.size)))
    keep = np.argpartition(np.abs(flat), flat.size - k)[flat.size - k:]
    sparse = np.zeros_like(flat)
    sparse[keep] = flat[keep]
    return np.fft.irfft2(sparse.reshape(spec.shape), s=x.shape)


times = []
for _ in range(3):
    t = time.perf_counter()
    y = roundtrip(x)
    times.append(time.perf_counter() - t)
err = np.linalg.norm(y - x) / np.linalg.norm(x)
times.sort()
print(f"numpy_ms {times[len(times) // 2] * 1e3:.1f} error {err:.4f}")
