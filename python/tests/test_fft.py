"""Transforms against numpy.fft in float64, on both backends."""

import numpy as np
import pytest

import fft_tensor as ft
from fft_tensor import fft as tf
from conftest import rel_error

NORMS = [None, "backward", "ortho", "forward"]
F32 = 1e-5  # RMS relative error allowed for single precision
F64 = 1e-12


def complex_input(rng, shape, dtype=np.complex128):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [1, 2, 7, 13, 64, 97, 120])
def test_fft_1d_lengths(backend, rng, n, norm):
    x = complex_input(rng, (3, n))
    for f, ref in [(tf.fft, np.fft.fft), (tf.ifft, np.fft.ifft)]:
        assert rel_error(f(x, norm=norm), ref(x, norm=norm)) < F64
        y = f(x.astype(np.complex64), norm=norm)
        assert y.dtype == np.complex64
        assert rel_error(y, ref(x, norm=norm)) < F32


@pytest.mark.parametrize("norm", NORMS)
def test_fft_n_crops_and_pads(backend, rng, norm):
    x = complex_input(rng, (5, 12))
    for n in (1, 5, 12, 17, 31):
        for axis in (0, 1, -1, -2):
            assert rel_error(tf.fft(x, n, axis, norm), np.fft.fft(x, n, axis, norm)) < F64
            assert rel_error(tf.ifft(x, n, axis, norm), np.fft.ifft(x, n, axis, norm)) < F64


def test_random_shapes_and_axes(backend, rng):
    for _ in range(25):
        ndim = int(rng.integers(1, 4))
        shape = tuple(int(v) for v in rng.integers(1, 12, ndim))
        x = complex_input(rng, shape)
        k = int(rng.integers(1, ndim + 1))
        axes = [int(a) for a in rng.permutation(ndim)[:k]]
        axes = [a - ndim if rng.random() < 0.5 else a for a in axes]
        s = [int(v) for v in rng.integers(1, 14, k)] if rng.random() < 0.5 else None
        norm = NORMS[int(rng.integers(0, 4))]
        want = np.fft.fftn(x, s, axes, norm)
        assert rel_error(tf.fftn(x, s, axes, norm), want) < F64
        assert rel_error(tf.fftn(x.astype(np.complex64), s, axes, norm), want) < F32
        assert rel_error(tf.ifftn(x, s, axes, norm), np.fft.ifftn(x, s, axes, norm)) < F64
        r = x.real.copy()
        want = np.fft.rfftn(r, s, axes, norm)
        assert rel_error(tf.rfftn(r, s, axes, norm), want) < F64
        assert rel_error(tf.rfftn(r.astype(np.float32), s, axes, norm), want) < F32
        h = np.fft.rfftn(r, axes=axes)
        want = np.fft.irfftn(h, s, axes, norm)
        assert rel_error(tf.irfftn(h, s, axes, norm), want) < F64
        assert rel_error(tf.irfftn(h.astype(np.complex64), s, axes, norm), want) < F32


@pytest.mark.parametrize("norm", NORMS)
def test_two_dimensional(backend, rng, norm):
    x = rng.standard_normal((4, 9, 10))
    assert rel_error(tf.fft2(x, norm=norm), np.fft.fft2(x, norm=norm)) < F64
    assert rel_error(tf.ifft2(x, norm=norm), np.fft.ifft2(x, norm=norm)) < F64
    assert rel_error(tf.rfft2(x, norm=norm), np.fft.rfft2(x, norm=norm)) < F64
    assert rel_error(tf.rfft2(x, s=(5, 7), norm=norm), np.fft.rfft2(x, s=(5, 7), norm=norm)) < F64
    h = np.fft.rfft2(x)
    assert rel_error(tf.irfft2(h, norm=norm), np.fft.irfft2(h, norm=norm)) < F64
    assert rel_error(tf.irfft2(h, s=(9, 11), norm=norm), np.fft.irfft2(h, s=(9, 11), norm=norm)) < F64
    assert rel_error(tf.fft2(x, axes=(0, 2)), np.fft.fft2(x, axes=(0, 2))) < F64


@pytest.mark.parametrize("n", [1, 2, 3, 8, 11, 30])
def test_real_transforms_1d(backend, rng, n):
    x = rng.standard_normal((2, n))
    assert rel_error(tf.rfft(x), np.fft.rfft(x)) < F64
    h = np.fft.rfft(x)
    for m in (None, 1, n, n + 3):
        if m is None and h.shape[-1] == 1:
            continue
        assert rel_error(tf.irfft(h, m), np.fft.irfft(h, m)) < F64
    assert rel_error(tf.hfft(h, n), np.fft.hfft(h, n)) < F64
    assert rel_error(tf.ihfft(x), np.fft.ihfft(x)) < F64


def test_round_trips(backend, rng):
    x = rng.standard_normal((6, 35))
    assert rel_error(tf.irfft(tf.rfft(x), 35), x) < F64
    assert rel_error(tf.ifftn(tf.fftn(x)), x) < F64
    x32 = x.astype(np.float32)
    back = tf.irfftn(tf.rfftn(x32), x.shape)
    assert back.dtype == np.float32
    assert rel_error(back, x) < F32


def test_extreme_scales(backend, rng):
    x = rng.standard_normal((4, 16))
    for scale in (1e-30, 1e30):
        assert rel_error(tf.fft(x * scale), np.fft.fft(x * scale)) < F64
        assert rel_error(tf.rfft((x * scale).astype(np.float32)), np.fft.rfft(x * scale)) < F32


def test_dtype_rules(rng):
    x = rng.standard_normal(8)
    assert tf.fft(x).dtype == np.complex128
    assert tf.fft(x.astype(np.float32)).dtype == np.complex64
    assert tf.fft(x.astype(np.float16)).dtype == np.complex64
    assert tf.fft(np.arange(8)).dtype == np.complex128
    assert tf.rfft(np.arange(8)).dtype == np.complex128
    assert tf.rfft(x.astype(np.float32)).dtype == np.complex64
    assert tf.irfft(tf.rfft(x.astype(np.float32))).dtype == np.float32
    assert rel_error(tf.fft([1, 2, 3]), np.fft.fft([1, 2, 3])) < F64
    # Non-contiguous input is read correctly.
    y = rng.standard_normal((8, 8))[:, ::2]
    assert rel_error(tf.fft(y, axis=0), np.fft.fft(y, axis=0)) < F64
    assert rel_error(tf.fft(y.T), np.fft.fft(y.T)) < F64


def test_empty_and_zero_length():
    assert tf.fft(np.zeros((0, 4))).shape == (0, 4)
    assert tf.rfft(np.zeros((0, 4))).shape == (0, 3)
    with pytest.raises(ValueError):
        tf.fft(np.zeros(0))
    with pytest.raises(ValueError):
        tf.fft(np.ones(4), n=0)
    with pytest.raises(ValueError):
        tf.fftn(np.ones((4, 4)), s=(0, 4))


def test_argument_errors(rng):
    x = rng.standard_normal((3, 4))
    with pytest.raises(ValueError, match="axis"):
        tf.fft(x, axis=2)
    with pytest.raises(ValueError, match="axis"):
        tf.fftn(x, axes=(0, 0))
    with pytest.raises(ValueError, match="norm"):
        tf.fft(x, norm="unitary")
    with pytest.raises(ValueError):
        tf.fftn(x, s=(2, 2), axes=(0,))
    with pytest.raises(ValueError):
        tf.irfft(np.ones(1, dtype=complex))  # inferred length 0
    with pytest.raises(TypeError):
        tf.rfft(x + 1j)
    with pytest.raises(NotImplementedError):
        tf.fft(x, plan=object())


def test_out_and_scipy_arguments(rng):
    x = rng.standard_normal(16) + 0j
    out = np.empty(16, dtype=np.complex128)
    r = tf.fft(x, out=out)
    assert r is out
    assert rel_error(out, np.fft.fft(x)) < F64
    y = x.copy()
    tf.fft(y, overwrite_x=True, workers=-1)
    assert np.array_equal(y, x)


@pytest.mark.parametrize("shape,axes", [((5, 64), None), ((3, 7, 33), (0, 2)), ((1,), None),
                                        ((256, 4096), (-1,)), ((2, 9, 16), (-2, -1))])
def test_rfft_out_written_in_place(backend, rng, shape, axes):
    """float32 rfftn into a reusable complex64 ``out``: the same values as
    without ``out``, the same array returned, and reused across calls."""
    x = rng.standard_normal(shape).astype(np.float32)
    want = tf.rfftn(x, axes=axes, norm="ortho")
    out = np.full(want.shape, np.nan + 1j * np.nan, dtype=np.complex64)
    r = tf.rfftn(x, axes=axes, norm="ortho", out=out)
    assert r is out
    assert np.array_equal(out, want)
    x2 = (1e30 * rng.standard_normal(shape)).astype(np.float32)
    tf.rfftn(x2, axes=axes, norm="ortho", out=out)
    assert rel_error(out, np.fft.rfftn(x2.astype(np.float64), axes=axes, norm="ortho")) < F32


def test_rfft_out_fallbacks_and_errors(backend, rng):
    x = rng.standard_normal((4, 10)).astype(np.float32)
    want = np.fft.rfft(x.astype(np.float64))
    with pytest.raises(ValueError):
        tf.rfft(x, out=np.empty((4, 5), dtype=np.complex64))
    # Not C-contiguous, another dtype, or a float64 input: computed, then copied.
    strided = np.empty((4, 12), dtype=np.complex64)[:, ::2]
    assert tf.rfft(x, out=strided) is strided
    assert rel_error(strided, want) < F32
    wide = np.empty((4, 6), dtype=np.complex128)
    assert rel_error(tf.rfft(x, out=wide), want) < F32
    narrow = np.empty((4, 6), dtype=np.complex64)
    assert rel_error(tf.rfft(x.astype(np.float64), out=narrow), want) < F32
    # ``out`` sharing the input's memory still gives the right answer.
    buf = np.zeros(4 * 6, dtype=np.complex64)
    view = buf.view(np.float32)[: 4 * 10].reshape(4, 10)
    view[:] = x
    r = tf.rfft(view, out=buf.reshape(4, 6))
    assert rel_error(r, want) < F32
    with pytest.raises(ValueError):
        tf.rfft(x, out=np.empty((4, 6), dtype=np.complex64)[:, :5])


def test_freq_and_shift():
    for n in (1, 2, 7, 10):
        assert np.allclose(tf.fftfreq(n, 0.5), np.fft.fftfreq(n, 0.5))
        assert np.allclose(tf.rfftfreq(n, 0.5), np.fft.rfftfreq(n, 0.5))
    x = np.arange(30).reshape(5, 6)
    assert np.array_equal(tf.fftshift(x), np.fft.fftshift(x))
    assert np.array_equal(tf.ifftshift(x, axes=1), np.fft.ifftshift(x, axes=1))
    with pytest.raises(ValueError):
        tf.fftfreq(4, 0.0)


def test_top_level_names():
    x = np.arange(8.0)
    assert rel_error(ft.rfft(x), np.fft.rfft(x)) < F64
    assert rel_error(ft.fftn(x), np.fft.fftn(x)) < F64
    assert rel_error(ft.fft.fft(x), np.fft.fft(x)) < F64
