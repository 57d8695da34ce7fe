import os

import numpy as np
import pytest

import fft_tensor as ft


def rel_error(got, want):
    """RMS relative error: ||got - want|| / ||want|| (1 for want == 0 unless equal)."""
    got = np.asarray(got, dtype=np.complex128 if np.iscomplexobj(got) or np.iscomplexobj(want) else np.float64)
    want = np.asarray(want, dtype=got.dtype)
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    scale = np.linalg.norm(want.ravel())
    diff = np.linalg.norm((got - want).ravel())
    if scale == 0:
        return 0.0 if diff == 0 else np.inf
    return diff / scale


_gpu = None


def gpu_context():
    """The GPU context (any adapter, lavapipe included), made once; skips
    without one unless FFT_TENSOR_REQUIRE_GPU=1."""
    global _gpu
    if _gpu is None:
        try:
            _gpu = ft.Context("gpu")
        except ft.DeviceError as e:
            _gpu = e
    if isinstance(_gpu, Exception):
        if os.environ.get("FFT_TENSOR_REQUIRE_GPU") == "1":
            pytest.fail(f"FFT_TENSOR_REQUIRE_GPU=1 but no GPU adapter: {_gpu}")
        pytest.skip(f"skipping GPU test: no GPU adapter ({_gpu})")
    return _gpu


@pytest.fixture(params=["cpu", "gpu"])
def backend(request):
    """Runs the test on the CPU backend and on the GPU one."""
    ctx = ft.Context("cpu") if request.param == "cpu" else gpu_context()
    with ft.use(ctx):
        yield ctx


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
