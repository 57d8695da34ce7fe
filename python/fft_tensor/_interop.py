"""Inputs from numpy and PyTorch, outputs back in the caller's kind, and
the dtype rules shared by the transforms."""

from __future__ import annotations

import sys
import warnings
from typing import Any, Callable, Tuple

import numpy as np


class PrecisionWarning(UserWarning):
    """An operation ran in lower precision than its input (once per operation)."""


_warned: set = set()


def warn_once(op: str, message: str) -> None:
    if op not in _warned:
        _warned.add(op)
        warnings.warn(message, PrecisionWarning, stacklevel=4)


def _torch():
    return sys.modules.get("torch")


def is_torch(x: Any) -> bool:
    torch = _torch()
    return torch is not None and isinstance(x, torch.Tensor)


def torch_to_numpy(t: Any) -> np.ndarray:
    """A CPU torch tensor as a numpy array (shared memory where the dtype
    allows; bfloat16 and complex32 are widened to float32/complex64)."""
    torch = _torch()
    if t.device.type != "cpu":
        raise ValueError(
            f"the tensor is on device {t.device}; fft_tensor takes CPU tensors: pass tensor.cpu()"
        )
    t = t.detach()
    if t.is_conj():
        t = t.resolve_conj()
    if t.dtype == torch.bfloat16:
        t = t.float()
    elif t.dtype == torch.complex32:
        t = t.to(torch.complex64)
    return t.numpy()


def as_array(x: Any) -> Tuple[np.ndarray, Callable[[np.ndarray], Any]]:
    """``(array, wrap)``: ``x`` as a numpy array and a function returning a
    result in the caller's kind (a torch tensor for torch input)."""
    if is_torch(x):
        torch = _torch()
        return torch_to_numpy(x), torch.from_numpy
    return np.asarray(x), lambda y: y


def real_dtype(dtype: np.dtype) -> np.dtype:
    """float32 for float16/float32 (and complex64), float64 otherwise."""
    if dtype in (np.float16, np.float32, np.complex64):
        return np.dtype(np.float32)
    if dtype.kind in "biufc":
        return np.dtype(np.float64)
    raise TypeError(f"unsupported dtype {dtype}")


def complex_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.complex64 if real_dtype(dtype) == np.float32 else np.complex128)


def contiguous(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``a`` as a C-contiguous array of ``dtype`` in native byte order (no copy
    when it already is one)."""
    return np.ascontiguousarray(a, dtype=dtype)


def write_out(result: np.ndarray, out: Any) -> Any:
    """numpy's ``out=``: copies the result into ``out`` and returns it."""
    if out is None:
        return result
    if not isinstance(out, np.ndarray):
        raise TypeError("out must be a numpy array")
    if out.shape != result.shape:
        raise ValueError(f"out has shape {out.shape}, the result has {result.shape}")
    np.copyto(out, result, casting="same_kind")
    return out
