"""DCTs against scipy.fft in float64, on both backends."""

import warnings

import numpy as np
import pytest

scipy_fft = pytest.importorskip("scipy.fft")

import fft_tensor as ft  # noqa: E402
from conftest import rel_error  # noqa: E402

F32 = 1e-5
# float64 runs in float64: RMS relative error at the 1e-15 log2(n) level.
F64 = 1e-14
NORMS = [None, "backward", "ortho", "forward"]


@pytest.fixture(autouse=True)
def quiet_precision():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ft.PrecisionWarning)
        yield


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("kind", [2, 3])
@pytest.mark.parametrize("orthogonalize", [None, True, False])
def test_dct_matches_scipy(backend, rng, norm, kind, orthogonalize):
    for n in (1, 2, 7, 16, 31):
        x = rng.standard_normal((3, n))
        for f, ref in [(ft.dct, scipy_fft.dct), (ft.idct, scipy_fft.idct)]:
            want = ref(x, type=kind, norm=norm, orthogonalize=orthogonalize)
            got = f(x.astype(np.float32), type=kind, norm=norm, orthogonalize=orthogonalize)
            assert got.dtype == np.float32
            assert rel_error(got, want) < F32, (f.__name__, n)


@pytest.mark.parametrize("norm", NORMS)
def test_dctn_axes_and_lengths(backend, rng, norm):
    x = rng.standard_normal((5, 6, 7))
    for axes, s in [(None, None), ((0, 2), None), ((-1,), (9,)), (None, (4, 3)), ((1, 0), (2, 8))]:
        for kind in (2, 3):
            want = scipy_fft.dctn(x, type=kind, s=s, axes=axes, norm=norm)
            assert rel_error(ft.dctn(x, type=kind, s=s, axes=axes, norm=norm), want) < F32
            want = scipy_fft.idctn(x, type=kind, s=s, axes=axes, norm=norm)
            assert rel_error(ft.idctn(x, type=kind, s=s, axes=axes, norm=norm), want) < F32


def test_dct_n_and_round_trip(backend, rng):
    x = rng.standard_normal((4, 10))
    for n in (1, 5, 10, 13):
        assert rel_error(ft.dct(x, n=n, axis=0), scipy_fft.dct(x, n=n, axis=0)) < F32
    for norm in NORMS:
        for kind in (2, 3):
            assert rel_error(ft.idct(ft.dct(x, kind, norm=norm), kind, norm=norm), x) < F32


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("kind", [2, 3])
def test_dct_float64_is_native(backend, rng, norm, kind):
    for n in (1, 2, 3, 17, 64, 97, 1000):
        for scale in (1.0, 1e-300, 1e300):
            x = rng.standard_normal((2, n)) * scale
            for f, ref in [(ft.dct, scipy_fft.dct), (ft.idct, scipy_fft.idct)]:
                got = f(x, type=kind, norm=norm)
                assert got.dtype == np.float64
                assert rel_error(got / scale, ref(x, type=kind, norm=norm) / scale) < F64, \
                    (f.__name__, n, scale)
    x = rng.standard_normal((5, 6, 7))
    for axes, s in [(None, None), ((0, 2), None), ((-1,), (9,)), ((1, 0), (2, 8))]:
        want = scipy_fft.dctn(x, type=kind, s=s, axes=axes, norm=norm)
        assert rel_error(ft.dctn(x, type=kind, s=s, axes=axes, norm=norm), want) < F64
        want = scipy_fft.idctn(x, type=kind, s=s, axes=axes, norm=norm)
        assert rel_error(ft.idctn(x, type=kind, s=s, axes=axes, norm=norm), want) < F64
    for norm2 in NORMS:
        back = ft.idct(ft.dct(x, kind, norm=norm2), kind, norm=norm2)
        assert rel_error(back, x) < F64


def test_dct_dtypes(rng):
    x = rng.standard_normal(8)
    ft._interop._warned.discard("dct")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ft.PrecisionWarning)
        y = ft.dct(x)
    assert y.dtype == np.float64
    assert rel_error(y, scipy_fft.dct(x)) < F64
    assert ft.dct(np.arange(8)).dtype == np.float64
    assert rel_error(ft.dct(np.arange(8)), scipy_fft.dct(np.arange(8.0))) < F64
    assert ft.dct(x.astype(np.float16)).dtype == np.float32
    z = x + 1j * rng.standard_normal(8)
    got = ft.dct(z)
    assert got.dtype == np.complex128
    assert rel_error(got, scipy_fft.dct(z)) < F64
    assert ft.dct(z.astype(np.complex64)).dtype == np.complex64


def test_dct_errors(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    with pytest.raises(NotImplementedError):
        ft.dct(x, type=1)
    with pytest.raises(ValueError):
        ft.dct(x, type=5)
    with pytest.raises(ValueError):
        ft.dct(x, norm="bad")
    with pytest.raises(ValueError):
        ft.dct(x, axis=3)
    with pytest.raises(ValueError):
        ft.dct(x, n=0)
    with pytest.raises(ValueError):
        ft.dctn(x, s=(2, 2), axes=(0,))
    assert ft.dct(np.zeros((0, 4), np.float32)).shape == (0, 4)
