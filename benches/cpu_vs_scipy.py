"""The CPU backend against scipy.fft (workers=-1) and pyFFTW, interleaved in one run.

Usage: python3 benches/cpu_vs_scipy.py [ROUNDS]   (from the repository root)

Builds and starts `cargo bench --bench cpu_fft_timer` (our side: one call per
request, wall time), then for each round calls every library once on every shape,
so load on the machine hits all of them alike. pyFFTW (FFTW_MEASURE, all threads,
planned once, output array reused) is timed when installed. Prints min and median
per library and our time divided by theirs (below 1: we are faster).
Our `fft`/`fft2` run in place and our `rfft`/`rfft2` return a new array, as
scipy's do; the `_into` rows write our real FFT into one output reused from
call to call (`Context::rfftn_into`), as pyFFTW's planned calls reuse theirs
(scipy has no output argument: its column is its allocating call). Fresh
output memory costs page faults on its first write.
`compress`/`decompress` are the sparse spectral recipe (real 2-D FFT, top 20 %
of the coefficients by magnitude, positions ascending, values as f16; back:
scatter into a zero spectrum, inverse real 2-D FFT), written with scipy.fft
and numpy for the other side; pyFFTW has no part in them.
`CPU_VS_SCIPY_ONLY=TEXT` keeps the rows whose name contains TEXT;
`CPU_VS_SCIPY_OURS=PATH` runs an already built timer binary instead (to
compare two builds of ours against the same yardsticks).
Exits with status 3 when numpy or scipy is missing.
"""
import os
import statistics
import subprocess
import sys
import time

try:
    import numpy as np
    import scipy.fft as sfft
except ImportError:
    sys.exit(3)
try:
    import pyfftw
    import pyfftw.builders as fftw
except ImportError:
    pyfftw = None

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 9
THREADS = os.cpu_count() or 1
SHAPES = [
    ("fft", 256, 4096),
    ("fft", 1000, 1024),
    ("rfft", 256, 4096),
    ("rfft_into", 256, 4096),
    ("fft2", 1024, 1024),
    ("rfft2", 1024, 1024),
    ("rfft2_into", 1024, 1024),
    ("rfft2", 4096, 4096),
    ("rfft2_into", 4096, 4096),
    ("compress", 4096, 4096),
    ("decompress", 4096, 4096),
]
ONLY = os.environ.get("CPU_VS_SCIPY_ONLY")
if ONLY:
    SHAPES = [s for s in SHAPES if ONLY in f"{s[0]} {s[1]}x{s[2]}"]
KEEP = 0.2


def data(op, rows, cols):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((rows, cols), dtype=np.float32)
    if op.startswith("r") or op.endswith("compress"):
        return x
    return (x + 1j * rng.standard_normal((rows, cols), dtype=np.float32)).astype(np.complex64)


def scipy_compress(x):
    spec = sfft.rfft2(x, workers=-1)
    flat = spec.ravel()
    k = max(1, int(np.ceil(KEEP * flat.size)))
    keep = np.sort(np.argpartition(np.abs(flat), flat.size - k)[flat.size - k:])
    values = flat[keep]
    scale = np.float32(2.0 ** (np.ceil(np.log2(np.abs(values.view(np.float32)).max())) - 15))
    return keep, (values.view(np.float32) / scale).astype(np.float16), scale, spec.shape


def scipy_decompress(stored, shape):
    keep, values, scale, spec_shape = stored
    flat = np.zeros(spec_shape[0] * spec_shape[1], dtype=np.complex64)
    flat[keep] = (values.astype(np.float32) * scale).view(np.complex64)
    return sfft.irfft2(flat.reshape(spec_shape), s=shape, workers=-1)


def scipy_call(op, x):
    if op == "compress":
        return lambda: scipy_compress(x)
    if op == "decompress":
        stored = scipy_compress(x)
        return lambda: scipy_decompress(stored, x.shape)
    op = op.removesuffix("_into")
    fn = {"fft": sfft.fft, "rfft": sfft.rfft, "fft2": sfft.fft2, "rfft2": sfft.rfft2}[op]
    return lambda: fn(x, workers=-1)


def fftw_call(op, x):
    build = {"fft": fftw.fft, "rfft": fftw.rfft, "fft2": fftw.fft2, "rfft2": fftw.rfft2}
    build = build[op.removesuffix("_into")]
    plan = build(x.copy(), threads=THREADS, planner_effort="FFTW_MEASURE")
    return lambda: plan(x)


def timed(f):
    t = time.perf_counter()
    f()
    return (time.perf_counter() - t) * 1e3


def main():
    cmd = ["cargo", "bench", "--quiet", "--bench", "cpu_fft_timer"]
    if os.environ.get("CPU_VS_SCIPY_OURS"):
        cmd = [os.environ["CPU_VS_SCIPY_OURS"]]
    ours = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ours_call(op, rows, cols):
        def call():
            ours.stdin.write(f"{op} {rows} {cols}\n")
            ours.stdin.flush()
            answer = ours.stdout.readline().strip()
            if not answer or answer.startswith("error"):
                sys.exit(f"cpu_fft_timer: {answer or 'no answer'}")
            return float(answer)
        return call

    libs = {"ours": {}, "scipy": {}}
    if pyfftw is not None:
        libs["pyfftw"] = {}
    calls = {}
    for shape in SHAPES:
        x = data(*shape)
        calls[shape] = {"ours": ours_call(*shape), "scipy": scipy_call(shape[0], x)}
        if pyfftw is not None and "compress" not in shape[0]:
            calls[shape]["pyfftw"] = fftw_call(shape[0], x)
    for round_index in range(ROUNDS + 1):  # round 0 warms up
        for shape in SHAPES:
            for lib, call in calls[shape].items():
                ms = call() if lib == "ours" else timed(call)
                if round_index > 0:
                    libs[lib].setdefault(shape, []).append(ms)
    ours.stdin.close()
    ours.wait()

    names = [n for n in libs if n != "ours"]
    print(f"CPU FFT, f32, {THREADS} threads, {ROUNDS} interleaved rounds: ms min / median")
    header = f"{'transform':<22} {'ours':>15}"
    for n in names:
        header += f" {n:>15} {'ratio ' + n:>15}"
    print(header)
    for shape in SHAPES:
        op, rows, cols = shape
        o = libs["ours"][shape]
        row = f"{op + f' {rows}x{cols}':<22} {min(o):>6.2f} / {statistics.median(o):>6.2f}"
        for n in names:
            t = libs[n].get(shape)
            if t is None:
                row += f" {'-':>15} {'-':>15}"
                continue
            row += f" {min(t):>6.2f} / {statistics.median(t):>6.2f}"
            row += f" {min(o) / min(t):>6.2f} / {statistics.median(o) / statistics.median(t):>6.2f}"
        print(row)
    print("ratio = ours / theirs (min / median); below 1.00 we are faster")


if __name__ == "__main__":
    main()
