"""fft_tensor.linalg against numpy's float64 product, on both backends."""

import json
import struct

import numpy as np
import pytest

import fft_tensor as ft
from conftest import rel_error
from fft_tensor import linalg

SHAPES = [(1, 1, 1), (1, 17, 5), (3, 64, 64), (7, 31, 13), (2, 97, 65), (16, 130, 67)]


def reference(x, w, b=None):
    y = x.astype(np.float64) @ w.astype(np.float64).T
    return y if b is None else y + b.astype(np.float64)


def random(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, a in tensors.items():
        raw = np.ascontiguousarray(a, np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


@pytest.mark.parametrize("b,n,m", SHAPES)
def test_matmul_matches_numpy(backend, rng, b, n, m):
    x, w, bias = random(rng, b, n), random(rng, m, n), random(rng, m)
    assert rel_error(linalg.matmul(x, w), reference(x, w)) < 1e-5
    y = linalg.matmul(x, w, bias)
    assert y.dtype == np.float32 and y.shape == (b, m)
    assert rel_error(y, reference(x, w, bias)) < 1e-5


@pytest.mark.parametrize("scale", [1e-20, 1e15])
def test_matmul_extreme_scales(backend, rng, scale):
    x, w = random(rng, 5, 33, scale=scale), random(rng, 9, 33)
    assert rel_error(linalg.matmul(x, w), reference(x, w)) < 1e-5


def test_matmul_leading_dims_and_empty(backend, rng):
    x, w = random(rng, 2, 3, 4, 19), random(rng, 11, 19)
    y = linalg.matmul(x, w)
    assert y.shape == (2, 3, 4, 11)
    assert rel_error(y, reference(x.reshape(-1, 19), w).reshape(2, 3, 4, 11)) < 1e-5
    assert linalg.matmul(np.zeros((0, 19), np.float32), w).shape == (0, 11)


def test_matmul_errors_and_nan(backend, rng):
    x, w = random(rng, 3, 8), random(rng, 5, 8)
    with pytest.raises(ValueError):
        linalg.matmul(x, random(rng, 5, 9))
    with pytest.raises(ValueError):
        linalg.matmul(x, w, random(rng, 4))
    with pytest.raises(ValueError):
        linalg.matmul(x, w.reshape(-1))
    w[2, 3] = np.nan  # a plain product propagates NaN to that output column
    y = linalg.matmul(x, w)
    assert np.isnan(y[:, 2]).all() and np.isfinite(np.delete(y, 2, axis=1)).all()


@pytest.mark.filterwarnings("ignore::fft_tensor.PrecisionWarning")
def test_matmul_float64_input(backend, rng):
    x, w = rng.standard_normal((4, 10)), rng.standard_normal((6, 10))
    y = linalg.matmul(x, w)
    assert y.dtype == np.float32 and rel_error(y, reference(x, w)) < 1e-5


# Codec loss on Gaussian weights (group 32): about 0.5 % for INT8, 10 % for INT4.
@pytest.mark.parametrize("bits,bound", [(8, 1e-2), (4, 0.15)])
@pytest.mark.parametrize("b,n,m", [(1, 17, 5), (7, 130, 33)])
def test_quantized_matches_numpy(backend, rng, bits, bound, b, n, m):
    x, w, bias = random(rng, b, n), random(rng, m, n), random(rng, m)
    q = linalg.quantize(w, bits=bits, group=32)
    assert q.shape == (m, n) and q.bits == bits and q.nbytes < 4 * m * n
    y = linalg.matmul_quantized(x, q, bias)
    # Against the weight the kernel sees: the kernel's own error only.
    assert rel_error(y, reference(x, q.dequantize(), bias)) < 1e-5
    # Against the original weight: the codec's loss.
    assert rel_error(y, reference(x, w, bias)) < bound
    with pytest.raises(ValueError):
        linalg.matmul_quantized(random(rng, b, n + 1), q)


def test_quantize_refuses_nan_and_bad_bits(rng):
    w = random(rng, 4, 8)
    with pytest.raises(ValueError):
        linalg.quantize(w, bits=3)
    w[1, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        linalg.quantize(w)


def test_linear_paths(backend, rng):
    m, n = 37, 53
    w, bias = random(rng, m, n), random(rng, m)
    x = random(rng, 2, 5, n)
    want = reference(x.reshape(-1, n), w, bias).reshape(2, 5, m)
    dense = linalg.Linear.from_weight(w, bias)
    assert dense.path == "dense" and (dense.out_features, dense.in_features) == (m, n)
    assert rel_error(dense(x), want) < 1e-5
    streamed = linalg.Linear.from_weight(w, bias, memory_budget=4 * n * 8)
    assert streamed.path == "streamed"
    assert rel_error(streamed(x), want) < 1e-5
    lossy = linalg.Linear.from_weight(w, bias, memory_budget=4 * m * n // 2, allow_lossy=True)
    assert lossy.path == "quantized"
    assert rel_error(lossy(x), want) < 1e-2
    one = lossy(x[0, 0])  # B = 1, no batch dimension
    assert one.shape == (m,) and rel_error(one, want[0, 0]) < 1e-2
    assert dense(np.zeros((0, n), np.float32)).shape == (0, m)


def test_linear_errors(backend, rng):
    w = random(rng, 6, 10)
    layer = linalg.Linear.from_weight(w)
    with pytest.raises(ValueError):
        layer(random(rng, 3, 11))
    with pytest.raises(ValueError):
        linalg.Linear.from_weight(w, random(rng, 5))
    with pytest.raises(ValueError):  # below two rows of scratch
        linalg.Linear.from_weight(w, memory_budget=8)
    w[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        linalg.Linear.from_weight(w)
    x = random(rng, 2, 6)
    x[1, 0] = np.nan
    y = linalg.Linear.from_weight(random(rng, 4, 6))(x)
    assert np.isfinite(y[0]).all() and np.isnan(y[1]).all()


def test_linear_load_safetensors_and_fftt(backend, rng, tmp_path):
    m, n = 24, 40
    w, bias = random(rng, m, n), random(rng, m)
    x = random(rng, 3, n)
    want = reference(x, w, bias)
    st = tmp_path / "layer.safetensors"
    write_safetensors(st, {"fc.weight": w, "fc.bias": bias})
    layer = linalg.Linear.load(st, "fc.weight", "fc.bias")
    assert layer.path == "dense" and rel_error(layer(x), want) < 1e-5
    streamed = linalg.Linear.load(str(st), "fc.weight", "fc.bias", memory_budget=4 * n * 4)
    assert streamed.path == "streamed" and rel_error(streamed(x), want) < 1e-5
    fftt = tmp_path / "layer.fftt"
    ft.save({"fc.weight": w, "fc.bias": bias}, fftt, codec="int8")
    stored = linalg.Linear.load(fftt, "fc.weight", "fc.bias", memory_budget=4 * m * n // 2)
    assert stored.path == "quantized" and rel_error(stored(x), want) < 2e-2
    with pytest.raises(ValueError, match="no tensor named"):
        linalg.Linear.load(st, "missing")
    with pytest.raises(OSError):
        linalg.Linear.load(tmp_path / "absent.safetensors", "fc.weight")


def test_context_budget_too_small_for_dense(rng):
    from conftest import gpu_context
    gpu_context()
    small = ft.Context("gpu", memory_budget=1024)
    x, w = random(rng, 4, 64), random(rng, 64, 64)
    with ft.use(small), pytest.raises(ft.DeviceError, match="budget"):
        linalg.matmul(x, w)


def test_matmul_random_shapes(backend, rng):
    for _ in range(6):
        b, n, m = (int(v) for v in rng.integers(1, 150, size=3))
        x, w, bias = random(rng, b, n), random(rng, m, n), random(rng, m)
        assert rel_error(linalg.matmul(x, w, bias), reference(x, w, bias)) < 1e-5, (b, n, m)


def test_linear_load_int4_and_f16(backend, rng, tmp_path):
    w, x = random(rng, 3, 7, 29), random(rng, 4, 29)  # leading weight dims fold into outputs
    fftt = tmp_path / "int4.fftt"
    ft.save({"w": w}, fftt, codec="int4")
    stored = linalg.Linear.load(fftt, "w", memory_budget=4 * 21 * 29 // 2)
    assert stored.path == "quantized" and stored.out_features == 21
    assert rel_error(stored(x), reference(x, w.reshape(21, 29))) < 0.15
    st = tmp_path / "f16.fftt"
    ft.save({"w": w.astype(np.float16)}, st, codec="raw")
    half = linalg.Linear.load(st, "w")
    want = reference(x, w.astype(np.float16).reshape(21, 29))
    assert half.path == "dense" and rel_error(half(x), want) < 1e-5
