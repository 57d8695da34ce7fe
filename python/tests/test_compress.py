"""Top-k and sparse spectral compression, on both backends."""

import numpy as np
import pytest

import fft_tensor as ft
from conftest import rel_error


def test_top_k_matches_sort(backend, rng):
    for n, k in [(1, 1), (7, 3), (1000, 17), (4097, 4097), (10, 0)]:
        x = rng.standard_normal(n).astype(np.float32)
        pos, val = ft.top_k(x, k)
        want = np.sort(np.argsort(-np.abs(x), kind="stable")[:k])
        assert np.array_equal(pos, want)
        assert np.array_equal(val, x[want])
    z = (rng.standard_normal(300) + 1j * rng.standard_normal(300)).astype(np.complex64)
    pos, val = ft.top_k(z.reshape(10, 30), 5)
    assert np.array_equal(pos, np.sort(np.argsort(-np.abs(z), kind="stable")[:5]))
    assert val.dtype == np.complex64


def test_top_k_errors(rng):
    x = rng.standard_normal(5).astype(np.float32)
    with pytest.raises(ValueError, match="k"):
        ft.top_k(x, 6)
    x[2] = np.nan
    with pytest.raises(ValueError, match="2"):
        ft.top_k(x, 1)


def smooth(shape):
    grids = np.meshgrid(*[np.linspace(0, 1, n) for n in shape], indexing="ij")
    return (np.sin(3 * sum(grids)) + np.cos(2 * grids[0])).astype(np.float32)


@pytest.mark.parametrize("transform", ["dct", "rfft"])
def test_error_target_met(backend, transform):
    x = smooth((48, 33))
    for target in (0.1, 0.01, 0.001):
        s = ft.compress(x, target, transform=transform)
        y = ft.decompress(s)
        assert y.dtype == np.float32 and y.shape == x.shape
        err = rel_error(y, x)
        assert err <= target * 1.01 + 1e-6, (target, err)
        assert abs(s.predicted_error - err) <= 0.05 * target + 1e-6
        assert s.kept < s.coefficients


def test_keep_options_and_bytes(backend):
    x = smooth((16, 20, 3))
    assert ft.compress(x, count=7).kept == 7
    assert ft.compress(x, fraction=0.5).kept == 480
    s = ft.compress(x, ratio=8.0, value_type="f32")
    assert s.ratio >= 8.0 and s.value_type == "f32"
    b = s.to_bytes()
    assert len(b) == len(s) and s.ratio == pytest.approx(4 * x.size / len(b))
    back = ft.SparseSpectral.from_bytes(b)
    assert back == s and back.predicted_error is None
    assert np.array_equal(ft.decompress(back), ft.decompress(s))
    assert s.positions.dtype == np.uint64 and len(s.values) == s.kept


def test_compress_errors():
    x = smooth((8, 8))
    with pytest.raises(ValueError):
        ft.compress(x, fraction=1.5)
    with pytest.raises(ValueError):
        ft.compress(x, count=0, fraction=0.5)
    with pytest.raises(ValueError):
        ft.compress(x, transform="wavelet")
    bad = x.copy()
    bad[3, 4] = np.inf
    with pytest.raises(ValueError, match="non-finite"):
        ft.compress(bad)
    b = bytearray(ft.compress(x).to_bytes())
    with pytest.raises(ft.CorruptFileError):
        ft.SparseSpectral.from_bytes(bytes(b[: len(b) // 2]))
    with pytest.raises(ft.CorruptFileError):
        ft.SparseSpectral.from_bytes(b"not a sparse tensor at all")
