"""Exact top-k by magnitude and sparse spectral compression (a tensor kept
as its largest DCT-II or real-FFT coefficients), on the current context.

Compression works in float32: other real inputs are converted (the result
of ``decompress`` is float32)."""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from . import _native
from ._context import get_context
from ._interop import as_array, contiguous, warn_once

SparseSpectral = _native.SparseSpectral

__all__ = ["top_k", "compress", "decompress", "SparseSpectral"]


def top_k(x: Any, k: int) -> Tuple[Any, Any]:
    """The ``k`` entries of largest magnitude of ``x`` (flattened):
    ``(positions, values)`` with positions (int64) ascending, ties kept at
    the lowest positions, values bit for bit as in the input (float32 or
    complex64; float64/complex128 are selected in single precision).

    Raises ValueError for ``k`` above the size or a NaN/infinity."""
    arr, wrap = as_array(x)
    if np.iscomplexobj(arr):
        dtype = np.complex64
    else:
        dtype = np.float32
    if arr.dtype not in (np.float32, np.complex64, np.float16):
        warn_once("top_k", "fft_tensor.top_k selects in single precision; values are returned "
                           "as float32/complex64")
    flat = contiguous(arr, dtype).reshape(-1)
    if flat.size == 0:
        if k != 0:
            raise ValueError(f"k = {k} exceeds the input length 0")
        return wrap(np.zeros(0, np.int64)), wrap(flat.copy())
    positions, values = _native.top_k(get_context(), flat, int(k))
    return wrap(positions.astype(np.int64)), wrap(values)


def compress(x: Any, max_error: Optional[float] = None, *, fraction: Optional[float] = None,
             count: Optional[int] = None, ratio: Optional[float] = None,
             transform: str = "dct", value_type: str = "f16") -> SparseSpectral:
    """Keeps the largest coefficients of ``x``'s orthonormal ``transform``
    over all axes ("dct": DCT-II, best for smooth data; "rfft": the real
    FFT's half spectrum), stored as ``value_type`` ("f16" or "f32").

    Say how much to keep with one of: ``max_error`` (relative Frobenius
    error of the reconstruction, met exactly; the default, 0.01),
    ``fraction`` (of the coefficients), ``count``, ``ratio`` (float32 bytes
    over serialized bytes). Raises ValueError for values out of range,
    unreachable targets or NaN/infinity in ``x``."""
    if max_error is None and fraction is None and count is None and ratio is None:
        max_error = 0.01
    arr, _ = as_array(x)
    if np.iscomplexobj(arr):
        raise TypeError("compress takes real arrays")
    x32 = contiguous(arr, np.float32)
    if x32.size == 0:
        raise ValueError("compress needs at least one element")
    if x32.ndim == 0:
        x32 = x32.reshape(1)
    return _native.compress(get_context(), x32, transform, value_type, max_error, fraction,
                            count, ratio)


def decompress(sparse: SparseSpectral, *, like: Any = None) -> Any:
    """The dense float32 array of ``sparse`` (a torch tensor when ``like``
    is one)."""
    y = sparse.decompress(get_context())
    if like is not None:
        _, wrap = as_array(like)
        return wrap(y)
    return y
