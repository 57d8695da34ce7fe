"""scipy.fft's discrete cosine transforms ``dct``, ``idct``, ``dctn`` and
``idctn`` of types 2 and 3, with scipy's signatures and defaults
(``norm=None`` is "backward"; ``orthogonalize`` defaults to ``norm ==
"ortho"``).

float32 (and float16) input is transformed in float32 on the current
context's backend, float32 out; float64 and integer input in float64 on
the CPU (also under a GPU context: the GPU kernels are float32 only),
float64 out. Complex input is transformed as its real and imaginary parts. Types 1 and 4 raise NotImplementedError (under
``scipy.fft.set_backend`` scipy computes them itself).
"""

from __future__ import annotations

import numpy as np

from . import _native
from ._context import get_context
from ._interop import as_array, contiguous
from typing import Any, Optional

from .fft import ArrayLike, Axes, Norm, Shape, _norm, _seq

__all__ = ["dct", "idct", "dctn", "idctn"]


def _axes_lens(ndim: int, s, axes):
    s, axes = _seq(s, "s"), _seq(axes, "axes")
    if axes is None:
        axes = list(range(ndim - len(s), ndim)) if s is not None else list(range(ndim))
    if s is not None and len(s) != len(axes):
        raise ValueError("when given, s and axes must have the same length")
    return s, axes


def _run(x, type, s, axes, norm, orthogonalize, inverse):
    if type not in (1, 2, 3, 4):
        raise ValueError(f"invalid DCT type {type!r}; scipy knows types 1 to 4")
    if type in (1, 4):
        raise NotImplementedError(f"DCT type {type} is not implemented (types 2 and 3 are)")
    norm = _norm(norm)
    arr, wrap = as_array(x)
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"unsupported dtype {arr.dtype}")
    s, axes = _axes_lens(arr.ndim, s, axes)
    if s is not None:
        # -1: the input's length along that axis.
        for i, (n, a) in enumerate(zip(s, axes)):
            if n == -1:
                s[i] = arr.shape[a]
        if any(n < 1 for n in s):
            raise ValueError(f"invalid number of data points in s={s}: each must be at least 1")
    if np.iscomplexobj(arr):
        re = _run(arr.real.copy(), type, s, axes, norm, orthogonalize, inverse)
        im = _run(arr.imag.copy(), type, s, axes, norm, orthogonalize, inverse)
        return wrap(re + 1j * im)
    out_dtype = np.float32 if arr.dtype in (np.float16, np.float32) else np.float64
    xc = contiguous(arr, out_dtype)
    if xc.size == 0 or not axes:
        ndim = arr.ndim
        shape = list(arr.shape)
        for i, a in enumerate(axes):
            a = a + ndim if a < 0 else a
            if s is not None:
                shape[a] = s[i]
            if shape[a] < 1:
                raise ValueError(f"invalid number of data points ({shape[a]}) along axis {a}")
        if not axes:
            return wrap(arr.astype(out_dtype, copy=True))
        return wrap(np.zeros(shape, dtype=out_dtype))
    return wrap(_native.dctn(get_context(), xc, type, s, axes, norm, orthogonalize, inverse))


def dct(x: ArrayLike, type: int = 2, n: Optional[int] = None, axis: int = -1, norm: Norm = None,
        overwrite_x: bool = False, workers: Optional[int] = None,
        orthogonalize: Optional[bool] = None) -> Any:
    """DCT of ``type`` 2 or 3 along ``axis`` (scipy.fft.dct), ``x`` cropped
    or zero-padded to ``n`` points first."""
    return _run(x, type, None if n is None else [n], [axis], norm, orthogonalize, False)


def idct(x: ArrayLike, type: int = 2, n: Optional[int] = None, axis: int = -1, norm: Norm = None,
         overwrite_x: bool = False, workers: Optional[int] = None,
         orthogonalize: Optional[bool] = None) -> Any:
    """Inverse DCT (scipy.fft.idct): ``idct(dct(x, t, norm=m), t, norm=m) == x``."""
    return _run(x, type, None if n is None else [n], [axis], norm, orthogonalize, True)


def dctn(x: ArrayLike, type: int = 2, s: Shape = None, axes: Axes = None, norm: Norm = None,
         overwrite_x: bool = False, workers: Optional[int] = None, *,
         orthogonalize: Optional[bool] = None) -> Any:
    """N-D DCT over ``axes`` (all by default, the last ``len(s)`` when only
    ``s`` is given) (scipy.fft.dctn)."""
    return _run(x, type, s, axes, norm, orthogonalize, False)


def idctn(x: ArrayLike, type: int = 2, s: Shape = None, axes: Axes = None, norm: Norm = None,
          overwrite_x: bool = False, workers: Optional[int] = None, *,
          orthogonalize: Optional[bool] = None) -> Any:
    """Inverse of :func:`dctn` (scipy.fft.idctn)."""
    return _run(x, type, s, axes, norm, orthogonalize, True)
