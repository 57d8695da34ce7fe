"""scipy.fft.set_backend(fft_tensor.scipy_backend) runs scipy code on fft_tensor."""

from unittest import mock

import numpy as np
import pytest

scipy_fft = pytest.importorskip("scipy.fft")

import fft_tensor as ft  # noqa: E402
from fft_tensor import _native  # noqa: E402
from conftest import rel_error  # noqa: E402


def test_backend_computes(backend, rng):
    x = rng.standard_normal((6, 10))
    want = {
        "fft": np.fft.fft(x), "rfft2": np.fft.rfft2(x), "ifftn": np.fft.ifftn(x),
        "irfft": np.fft.irfft(x, 18), "fftn": np.fft.fftn(x, s=(3, 5), axes=(0, 1)),
    }
    calls = []
    real = _native.c2c
    with mock.patch.object(_native, "c2c", side_effect=lambda *a: calls.append(1) or real(*a)):
        with scipy_fft.set_backend(ft.scipy_backend, only=True):
            got = {
                "fft": scipy_fft.fft(x), "rfft2": scipy_fft.rfft2(x), "ifftn": scipy_fft.ifftn(x),
                "irfft": scipy_fft.irfft(x, 18), "fftn": scipy_fft.fftn(x, s=(3, 5)),
            }
    assert calls, "the backend did not reach fft_tensor"
    for name in want:
        assert rel_error(got[name], want[name]) < 1e-12, name


def test_backend_dct_and_positional_arguments(backend, rng):
    x = rng.standard_normal((4, 9)).astype(np.float32)
    with scipy_fft.set_backend(ft.scipy_backend, only=True):
        got = scipy_fft.dct(x, 2, None, 0, "ortho", False, -1)
        got3 = scipy_fft.idctn(x, 3, norm="forward")
    assert rel_error(got, scipy_fft.dct(x.astype(np.float64), 2, None, 0, "ortho")) < 1e-5
    assert rel_error(got3, scipy_fft.idctn(x.astype(np.float64), 3, norm="forward")) < 1e-5


def test_unsupported_falls_back_to_scipy(rng):
    x = rng.standard_normal(12)
    with scipy_fft.set_backend(ft.scipy_backend):
        assert rel_error(scipy_fft.dct(x, type=1), scipy_fft.dct(x, type=1)) == 0
        assert rel_error(scipy_fft.dst(x), scipy_fft.dst(x)) == 0
    with scipy_fft.set_backend(ft.scipy_backend, only=True):
        with pytest.raises(Exception):
            scipy_fft.dst(x)
