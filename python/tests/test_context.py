"""Context choice, device description, memory accounting, GIL release."""

import threading
import time

import numpy as np
import pytest

import fft_tensor as ft
from conftest import gpu_context


def test_cpu_context():
    ctx = ft.Context("cpu")
    assert ctx.backend == "cpu" and "CPU" in ctx.device
    stats = ctx.memory_stats()
    assert stats["current"] == 0 and stats["budget"] is None
    assert "cpu" in repr(ctx)


def test_backend_names_and_environment(monkeypatch):
    with pytest.raises(ValueError, match="backend"):
        ft.Context("tpu")
    monkeypatch.setenv("FFT_TENSOR_BACKEND", "cpu")
    assert ft.Context().backend == "cpu"
    monkeypatch.setenv("FFT_TENSOR_BACKEND", "quantum")
    with pytest.raises(ValueError, match="FFT_TENSOR_BACKEND"):
        ft.Context()


def test_use_and_set_context():
    before = ft.get_context()
    cpu = ft.Context("cpu")
    with ft.use(cpu) as ctx:
        assert ft.get_context() is ctx is cpu
        with ft.use("cpu") as inner:
            assert ft.get_context() is inner
        assert ft.get_context() is cpu
    assert ft.get_context() is before
    try:
        assert ft.set_context(cpu) is cpu and ft.get_context() is cpu
    finally:
        ft.set_context(before)
    with pytest.raises(TypeError):
        ft.use(3).__enter__()


def test_gpu_memory_and_budget():
    ctx = gpu_context()
    assert ctx.backend == "gpu"
    x = np.ones((64, 256), np.complex64)
    with ft.use(ctx):
        ft.fft.fft(x)
        stats = ctx.memory_stats()
        assert stats["peak"] >= x.nbytes
        ctx.trim_memory()
        ctx.set_memory_budget(1024)
        try:
            assert ctx.memory_stats()["budget"] == 1024
            with pytest.raises(ft.DeviceError, match="budget"):
                ft.fft.fft(np.ones((64, 512), np.complex64))
        finally:
            ctx.set_memory_budget(None)
        ft.fft.fft(x)
        ctx.reset_peak_memory()
        ctx.trim_memory()


def test_gil_released_during_transforms():
    """Another Python thread keeps running while a transform is in Rust."""
    x = np.random.default_rng(0).standard_normal((512, 4096)).astype(np.complex64)
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0005)

    with ft.use("cpu"):
        ft.fft.fft(x)  # plans made
        t = threading.Thread(target=count)
        t.start()
        time.sleep(0.01)
        start = time.perf_counter()
        for _ in range(3):
            ft.fft.fft(x)
        end = time.perf_counter()
        stop.set()
        t.join()
    during = [v for v in ticks if start < v < end]
    assert len(during) >= 3, f"{len(during)} ticks in {end - start:.3f} s"
