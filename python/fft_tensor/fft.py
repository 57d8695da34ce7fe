"""The functions of ``numpy.fft`` and ``scipy.fft`` (FFTs), with their
signatures: ``n``/``s`` crop or zero-pad, ``axis``/``axes`` may be negative,
``norm`` is "backward" (default), "ortho" or "forward".

Arguments after ``norm`` follow ``scipy.fft``: ``overwrite_x`` and
``workers`` are accepted (the input is never overwritten; the library uses
every core), ``plan`` must be None; ``out`` (keyword) is numpy's.

dtypes (as numpy 2 and scipy): float16/float32/complex64 in, complex64 out,
computed in f32 on the current context's backend (GPU or CPU); float64,
integer and complex128 in, complex128 out, computed in f64 on the CPU twin.
longdouble inputs are computed in f64. CPU torch tensors in, torch tensors
out (bfloat16 widened to float32).
"""

from __future__ import annotations

import operator
from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _native
from ._context import get_context
from ._interop import as_array, complex_dtype, contiguous, real_dtype, write_out

__all__ = [
    "fft", "ifft", "fft2", "ifft2", "fftn", "ifftn",
    "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn",
    "hfft", "ihfft", "fftfreq", "rfftfreq", "fftshift", "ifftshift",
]

ArrayLike = Any  # numpy arrays, array-likes, CPU torch tensors
Norm = Optional[str]  # "backward" (None) | "ortho" | "forward"
Axes = Union[int, Sequence[int], None]
Shape = Union[int, Sequence[int], None]


def _norm(norm: Optional[str]) -> str:
    if norm is None:
        return "backward"
    if norm not in ("backward", "ortho", "forward"):
        raise ValueError(
            f'Invalid norm value {norm!r}; should be "backward", "ortho" or "forward".'
        )
    return norm


def _seq(v: Union[int, Sequence[int], None], name: str) -> Optional[list]:
    if v is None:
        return None
    if isinstance(v, (int, np.integer)):
        return [operator.index(v)]
    try:
        return [operator.index(i) for i in v]
    except TypeError:
        raise TypeError(f"{name} must be an integer or a sequence of integers") from None


def _cook(shape: tuple, s: Optional[list], axes: Optional[list]) -> tuple:
    """numpy's reading of ``s`` with -1 entries (the input's length) and of
    negative lengths (a ValueError)."""
    if s is None:
        return s, axes
    if any(n < -1 or n == 0 for n in s):
        raise ValueError(f"invalid number of data points in s={s}: each must be at least 1")
    if -1 in s:
        ax = axes if axes is not None else list(range(len(shape) - len(s), len(shape)))
        if len(ax) != len(s):
            raise ValueError("s and axes must have the same length")
        s = [shape[a] if n == -1 else n for n, a in zip(s, ax)]
    return s, axes


def _check(plan: Any) -> None:
    if plan is not None:
        raise NotImplementedError("precomputed plans are not supported (pass plan=None)")


def _run(kind: str, a: Any, s: Shape, axes: Axes, norm: Optional[str], out: Any,
         inverse: bool = False) -> Any:
    arr, wrap = as_array(a)
    norm = _norm(norm)
    s, axes = _cook(arr.shape, _seq(s, "s"), _seq(axes, "axes"))
    if kind == "r2c":
        if np.iscomplexobj(arr):
            raise TypeError("x must be a real sequence (use fft for complex input)")
        dtype = real_dtype(arr.dtype)
    else:
        dtype = complex_dtype(arr.dtype)
    x = contiguous(arr, dtype)
    if x.size == 0:
        # Nothing to compute: numpy gives the shape (or the error).
        ref = {"r2c": np.fft.rfftn, "c2r": np.fft.irfftn}.get(kind)
        if ref is None:
            ref = np.fft.ifftn if inverse else np.fft.fftn
        r = ref(x, s=s, axes=axes, norm=norm)
        result = r.astype(real_dtype(dtype) if kind == "c2r" else complex_dtype(dtype))
    elif kind == "r2c" and s is None and _direct_out(x, out):
        # The half spectrum straight into ``out``: no result array is
        # allocated (and first touched) on every call.
        _native.rfft_into(get_context(), x, axes, norm, out)
        return wrap(out)
    elif kind == "c2c":
        result = _native.c2c(get_context(), x, s, axes, norm, inverse)
    else:
        result = _native.real(get_context(), x, s, axes, norm, kind == "c2r")
    return wrap(write_out(result, out))


def _direct_out(x: np.ndarray, out: Any) -> bool:
    """Whether a float32 real FFT can write straight into ``out``."""
    return (x.dtype == np.float32 and isinstance(out, np.ndarray)
            and out.dtype == np.complex64 and out.flags.c_contiguous
            and out.flags.writeable and not np.may_share_memory(x, out))


def _one(n: Optional[int], axis: int) -> tuple:
    return (None if n is None else [n]), [axis]


def fft(x: ArrayLike, n: Optional[int] = None, axis: int = -1, norm: Norm = None, overwrite_x: bool = False,
        workers: Optional[int] = None, *, plan: None = None, out: Optional[np.ndarray] = None) -> Any:
    """1-D discrete Fourier transform along ``axis`` (numpy.fft.fft /
    scipy.fft.fft), ``x`` cropped or zero-padded to ``n`` points.

    Raises ValueError for a bad axis, ``n < 1`` or an unknown ``norm``."""
    _check(plan)
    s, axes = _one(n, axis)
    return _run("c2c", x, s, axes, norm, out)


def ifft(x: ArrayLike, n: Optional[int] = None, axis: int = -1, norm: Norm = None, overwrite_x: bool = False,
        workers: Optional[int] = None, *, plan: None = None, out: Optional[np.ndarray] = None) -> Any:
    """Inverse of :func:`fft` (numpy.fft.ifft / scipy.fft.ifft)."""
    _check(plan)
    s, axes = _one(n, axis)
    return _run("c2c", x, s, axes, norm, out, inverse=True)


def fftn(x: ArrayLike, s: Shape = None, axes: Axes = None, norm: Norm = None, overwrite_x: bool = False,
        workers: Optional[int] = None, *, plan: None = None, out: Optional[np.ndarray] = None) -> Any:
    """N-D FFT over ``axes`` (all by default, the last ``len(s)`` when only
    ``s`` is given), each cropped or zero-padded to ``s`` (numpy.fft.fftn)."""
    _check(plan)
    return _run("c2c", x, s, axes, norm, out)


def ifftn(x: ArrayLike, s: Shape = None, axes: Axes = None, norm: Norm = None, overwrite_x: bool = False,
        workers: Optional[int] = None, *, plan: None = None, out: Optional[np.ndarray] = None) -> Any:
    """Inverse of :func:`fftn` (numpy.fft.ifftn)."""
    _check(plan)
    return _run("c2c", x, s, axes, norm, out, inverse=True)


def fft2(x: ArrayLike, s: Shape = None, axes: Axes = (-2, -1), norm: Norm = None, overwrite_x: bool = False,
        workers: Optional[int] = None, *, plan: None = None, out: Optional[np.ndarray] = None) -> Any:
    """2-D FFT: :func:`fftn` over the last two axes by default (numpy.fft.fft2)."""
    _check(plan)
    return _run("c2c", x, s, axes, norm, out)


def ifft2(x: ArrayLike, s: Shape = None, axes: Axes = (-2, -1), norm: Norm = None, overwrite_x: bool = False,
        workers: Optional[int] = None, *, plan: None = None, out: Optional[np.ndarray] = None) -> Any:
    """Inverse of :func:`fft2` (numpy.fft.ifft2)."""
    _check(plan)
    return _run("c2c", x, s, axes, norm, out, inverse=True)


def rfft(x: ArrayLike, n: Optional[int] = None, axis: int = -1, norm: Norm = None, overwrite_x: bool = False,
        workers: Optional[int] = None, *, plan: None = None, out: Optional[np.ndarray] = None) -> Any:
    """Real-input FFT along ``axis``: ``n // 2 + 1`` points out (numpy.fft.rfft).

    Raises TypeError for complex input."""
    _check(plan)
    s, axes = _one(n, axis)
    return _run("r2c", x, s, axes, norm, out)


def irfft(x: ArrayLike, n: Optional[int] = None, axis: int = -1, norm: Norm = None, overwrite_x: bool = False,
        workers: Optional[int] = None, *, plan: None = None, out: Optional[np.ndarray] = None) -> Any:
    """Inverse of :func:`rfft`: ``n`` real points out (by default
    ``2 * (m - 1)`` for ``m`` points in) (numpy.fft.irfft)."""
    _check(plan)
    s, axes = _one(n, axis)
    return _run("c2r", x, s, axes, norm, out)


def rfftn(x: ArrayLike, s: Shape = None, axes: Axes = None, norm: Norm = None, overwrite_x: bool = False,
        workers: Optional[int] = None, *, plan: None = None, out: Optional[np.ndarray] = None) -> Any:
    """N-D real FFT; the last axis is the half axis (numpy.fft.rfftn)."""
    _check(plan)
    return _run("r2c", x, s, axes, norm, out)


def irfftn(x: ArrayLike, s: Shape = None, axes: Axes = None, norm: Norm = None, overwrite_x: bool = False,
        workers: Optional[int] = None, *, plan: None = None, out: Optional[np.ndarray] = None) -> Any:
    """Inverse of :func:`rfftn`; ``s`` gives the output lengths
    (numpy.fft.irfftn)."""
    _check(plan)
    return _run("c2r", x, s, axes, norm, out)


def rfft2(x: ArrayLike, s: Shape = None, axes: Axes = (-2, -1), norm: Norm = None, overwrite_x: bool = False,
        workers: Optional[int] = None, *, plan: None = None, out: Optional[np.ndarray] = None) -> Any:
    """2-D real FFT over the last two axes by default (numpy.fft.rfft2)."""
    _check(plan)
    return _run("r2c", x, s, axes, norm, out)


def irfft2(x: ArrayLike, s: Shape = None, axes: Axes = (-2, -1), norm: Norm = None, overwrite_x: bool = False,
        workers: Optional[int] = None, *, plan: None = None, out: Optional[np.ndarray] = None) -> Any:
    """Inverse of :func:`rfft2` (numpy.fft.irfft2)."""
    _check(plan)
    return _run("c2r", x, s, axes, norm, out)


_SWAP = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def hfft(x: ArrayLike, n: Optional[int] = None, axis: int = -1, norm: Norm = None, overwrite_x: bool = False,
        workers: Optional[int] = None, *, plan: None = None, out: Optional[np.ndarray] = None) -> Any:
    """FFT of a Hermitian-symmetric signal given by its first half: real
    output of ``n`` points (numpy.fft.hfft)."""
    _check(plan)
    arr, wrap = as_array(x)
    conj = np.conj(contiguous(arr, complex_dtype(arr.dtype)))
    s, axes = _one(n, axis)
    return wrap(write_out(_run("c2r", conj, s, axes, _SWAP[_norm(norm)], None), out))


def ihfft(x: ArrayLike, n: Optional[int] = None, axis: int = -1, norm: Norm = None, overwrite_x: bool = False,
        workers: Optional[int] = None, *, plan: None = None, out: Optional[np.ndarray] = None) -> Any:
    """Inverse of :func:`hfft`: the first half of a Hermitian spectrum from
    real input (numpy.fft.ihfft)."""
    _check(plan)
    arr, wrap = as_array(x)
    s, axes = _one(n, axis)
    r = _run("r2c", arr, s, axes, _SWAP[_norm(norm)], None)
    return wrap(write_out(np.conj(r, out=r), out))


def fftfreq(n: int, d: float = 1.0, *, xp: Any = None, device: Any = None) -> np.ndarray:
    """Sample frequencies of an ``n``-point FFT (numpy.fft.fftfreq), float64."""
    return _native.fftfreq(operator.index(n), float(d))


def rfftfreq(n: int, d: float = 1.0, *, xp: Any = None, device: Any = None) -> np.ndarray:
    """Sample frequencies of an ``n``-point real FFT (numpy.fft.rfftfreq), float64."""
    return _native.rfftfreq(operator.index(n), float(d))


def _shift(x, axes, sign):
    arr, wrap = as_array(x)
    if axes is None:
        axes = tuple(range(arr.ndim))
    elif isinstance(axes, (int, np.integer)):
        axes = (int(axes),)
    shift = [sign * (arr.shape[a] // 2) for a in axes]
    return wrap(np.roll(arr, shift, axes))


def fftshift(x: ArrayLike, axes: Axes = None) -> Any:
    """Moves the zero-frequency bin to the centre (numpy.fft.fftshift)."""
    return _shift(x, axes, 1)


def ifftshift(x: ArrayLike, axes: Axes = None) -> Any:
    """Inverse of :func:`fftshift` (numpy.fft.ifftshift)."""
    return _shift(x, axes, -1)


# scipy.fft's namespace also holds the DCTs (defined in fft_tensor._dct).
from ._dct import dct, dctn, idct, idctn  # noqa: E402

__all__ += ["dct", "idct", "dctn", "idctn"]
