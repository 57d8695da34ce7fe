"""Block-circulant weights and the circulant layer against dense numpy
float64 products (scipy.linalg.circulant blocks), on both backends."""

import numpy as np
import pytest

import fft_tensor as ft
from conftest import rel_error


def dense_of(columns):
    """The dense matrix of first columns [p, q, n] in float64."""
    p, q, n = columns.shape
    r = np.arange(n)
    idx = (r[:, None] - r[None, :]) % n
    w = np.zeros((p * n, q * n))
    for i in range(p):
        for j in range(q):
            w[i * n:(i + 1) * n, j * n:(j + 1) * n] = columns[i, j][idx]
    return w


@pytest.mark.parametrize("p,q,n", [(1, 1, 1), (1, 1, 2), (2, 3, 7), (3, 2, 16), (1, 4, 13)])
def test_circulant_matmul_matches_dense(backend, rng, p, q, n):
    cols = rng.standard_normal((p, q, n)).astype(np.float32)
    w = ft.linalg.circulant(cols)
    assert w.blocks == (p, q, n)
    assert w.shape == (p * n, q * n)
    assert w.nbytes == 4 * p * q * n
    dense = dense_of(cols.astype(np.float64))
    np.testing.assert_allclose(w.to_dense(), dense, rtol=0, atol=0)
    bias = rng.standard_normal(p * n)
    for lead in [(1,), (5,), (2, 3)]:
        x = rng.standard_normal(lead + (q * n,)).astype(np.float32)
        want = x.astype(np.float64) @ dense.T
        got = ft.linalg.circulant_matmul(x, w)
        assert got.dtype == np.float32 and got.shape == lead + (p * n,)
        assert rel_error(got, want) < 1e-5
        got = ft.linalg.circulant_matmul(x, w, bias.astype(np.float32))
        assert rel_error(got, want + bias) < 1e-5


def test_circulant_of_one_column_is_scipy_circulant(rng):
    scipy_linalg = pytest.importorskip("scipy.linalg")
    c = rng.standard_normal(9)
    np.testing.assert_array_equal(ft.linalg.circulant(c.astype(np.float32)).to_dense(),
                                  scipy_linalg.circulant(c.astype(np.float32)))


def test_circulant_linear_layer(backend, rng):
    cols = rng.standard_normal((2, 2, 8)).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    layer = ft.linalg.CirculantLinear(cols, b)
    assert (layer.in_features, layer.out_features) == (16, 16)
    x = rng.standard_normal((4, 16)).astype(np.float32)
    want = x.astype(np.float64) @ dense_of(cols.astype(np.float64)).T + b
    assert rel_error(layer(x), want) < 1e-5
    assert layer(np.zeros((0, 16), np.float32)).shape == (0, 16)


def test_circulant_errors():
    with pytest.raises(ValueError):
        ft.linalg.circulant(np.zeros((2, 0, 4), np.float32))
    with pytest.raises(ValueError):
        ft.linalg.circulant(np.array([1.0, np.nan], np.float32))
    with pytest.raises(ValueError):
        ft.linalg.circulant(np.zeros((2, 2), np.float32))
    w = ft.linalg.circulant(np.ones((1, 2, 4), np.float32))
    with pytest.raises(ValueError):
        ft.linalg.circulant_matmul(np.zeros((3, 7), np.float32), w)
    with pytest.raises(ValueError):
        ft.linalg.circulant_matmul(np.zeros((3, 8), np.float32), w, np.zeros(5, np.float32))
    with pytest.raises(TypeError):
        ft.linalg.circulant_matmul(np.zeros((3, 8), np.float32), np.zeros((4, 8)))
    with pytest.raises(ValueError):
        ft.linalg.CirculantLinear(np.ones((1, 2, 4), np.float32), np.zeros(3, np.float32))


@pytest.mark.parametrize("p,q,n", [(1, 1, 1), (1, 1, 7), (2, 3, 5), (3, 2, 16)])
def test_circulant_projection_is_the_least_squares_circulant(rng, p, q, n):
    w = rng.standard_normal((p * n, q * n))
    cols = ft.linalg.circulant_projection(w, n)
    assert cols.shape == (p, q, n) and cols.dtype == np.float32
    # The residual is orthogonal to every block circulant: projecting it again gives zero,
    # and the projection is the mean of each wrapped diagonal, so no circulant is closer.
    resid = w - dense_of(cols.astype(np.float64))
    assert np.abs(ft.linalg.circulant_projection(resid, n)).max() < 1e-6 * np.abs(w).max()
    other = dense_of(cols.astype(np.float64) + 0.01 * rng.standard_normal((p, q, n)))
    assert np.linalg.norm(w - other) > np.linalg.norm(resid)


@pytest.mark.parametrize("scale", [1e-30, 1.0, 1e30])
def test_circulant_projection_of_a_circulant_is_exact(rng, scale):
    cols = (scale * rng.standard_normal((2, 3, 9))).astype(np.float32)
    got = ft.linalg.circulant_projection(dense_of(cols.astype(np.float64)), 9)
    assert rel_error(got, cols) < 1e-7


def test_circulant_projection_errors():
    with pytest.raises(ValueError, match="2-D"):
        ft.linalg.circulant_projection(np.zeros(8), 4)
    with pytest.raises(ValueError, match="divide"):
        ft.linalg.circulant_projection(np.zeros((8, 6)), 4)
    with pytest.raises(ValueError, match="divide"):
        ft.linalg.circulant_projection(np.zeros((8, 8)), 0)
    with pytest.raises(ValueError, match="NaN"):
        ft.linalg.circulant_projection(np.full((4, 4), np.inf), 2)
