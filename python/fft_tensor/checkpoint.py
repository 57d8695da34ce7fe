"""Compressed checkpoints (``.fftt``): ``save`` a dict of arrays or a torch
``state_dict``, ``load`` it back, ``inspect`` the per-tensor table.

Each floating tensor (float32, float16, bfloat16) gets the smallest codec
whose *measured* error is at most ``max_error`` in ``error_mode``:
"rel-l2" (relative Frobenius, the default), "abs-rms" (absolute RMS) or
"abs-max" (largest absolute error of any element); other dtypes are stored
exactly. File paths may name safetensors, ``.npy`` or ``.npz`` files. Tensors that share storage (tied weights) are
stored once and come back as one object under every name. Files are
written to a temporary name and renamed, so a failure leaves no partial
file. ``load`` and ``inspect`` also read safetensors files.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Mapping, Optional, Union

import numpy as np

from . import _native
from ._context import get_context
from ._interop import _torch, is_torch

__all__ = ["save", "load", "inspect", "compress_file", "decompress_file"]

PathLike = Union[str, "os.PathLike[str]"]

_ALIASES = "fft_tensor.aliases"

_NUMPY_TO_ST = {
    "float64": "F64", "float32": "F32", "float16": "F16",
    "int64": "I64", "int32": "I32", "int16": "I16", "int8": "I8",
    "uint64": "U64", "uint32": "U32", "uint16": "U16", "uint8": "U8", "bool": "BOOL",
}
_ST_TO_NUMPY = {v: k for k, v in _NUMPY_TO_ST.items()}
_TORCH_NAMES = {
    "float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16",
    "int64": "I64", "int32": "I32", "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL",
}


def _entry(name: str, value: Any):
    """``(dtype name, shape, uint8 bytes, identity)`` of one tensor."""
    if is_torch(value):
        if value.device.type != "cpu":
            raise ValueError(f"tensor {name!r} is on device {value.device}; "
                             "save takes CPU tensors: pass tensor.cpu() (or model.cpu())")
        t = value.detach()
        dtype = _TORCH_NAMES.get(str(t.dtype).replace("torch.", ""))
        if dtype is None:
            raise ValueError(f"tensor {name!r}: dtype {t.dtype} cannot be saved")
        ident = (t.data_ptr(), tuple(t.shape), tuple(t.stride()), str(t.dtype)) if t.numel() else None
        raw = t.contiguous().reshape(-1).view(_torch().uint8).numpy()
        return dtype, list(t.shape), raw, ident
    a = np.asarray(value)
    dtype = _NUMPY_TO_ST.get(a.dtype.name)
    if dtype is None:
        raise ValueError(f"tensor {name!r}: dtype {a.dtype} cannot be saved")
    # Arrays alive together share an address only when they share memory.
    ident = (a.__array_interface__["data"][0], a.shape, a.strides, a.dtype.str) if a.size else None
    little = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
    return dtype, list(a.shape), little.reshape(-1).view(np.uint8), ident


def save(tensors: Union[Mapping[str, Any], PathLike], path: PathLike, max_error: float = 0.01,
         codec: str = "auto", *, metadata: Optional[Mapping[str, str]] = None,
         allow_nonfinite: bool = False, error_mode: str = "rel-l2") -> List[Dict[str, Any]]:
    """Writes ``tensors`` (a dict of numpy arrays or CPU torch tensors, e.g.
    a ``state_dict``; or the path of a safetensors, ``.npy`` or ``.npz``
    file) to the ``.fftt`` container ``path``, each floating tensor within
    ``max_error`` in ``error_mode`` ("rel-l2", "abs-rms" or "abs-max"). ``codec``: "auto" (smallest within the bound), or one
    family: "raw", "f16", "int8", "int4", "prune", "quant", "dct-quant",
    "dct", "rfft". Returns one record per stored tensor (name, dtype, shape,
    codec, original_bytes, stored_bytes, ratio, error, candidates).

    Raises ValueError for bad arguments or tensors holding NaN/infinity
    (unless ``allow_nonfinite``: then they are stored exactly), OSError for
    files, CorruptFileError for a damaged safetensors input."""
    ctx = get_context()
    if isinstance(tensors, (str, os.PathLike)):
        report = _native.compress_file(ctx, os.fspath(tensors), os.fspath(path),
                                       float(max_error), codec, allow_nonfinite,
                                       str(error_mode))
        return json.loads(report)["tensors"]
    if not isinstance(tensors, Mapping):
        raise TypeError("tensors must be a mapping of names to arrays, or a safetensors path")
    items, seen, aliases = [], {}, {}
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be strings, got {name!r}")
        dtype, shape, raw, ident = _entry(name, value)
        if ident is not None and ident in seen:
            aliases[name] = seen[ident]
            continue
        if ident is not None:
            seen[ident] = name
        items.append((name, dtype, shape, raw))
    meta = dict(metadata or {})
    if _ALIASES in meta:
        raise ValueError(f"metadata key {_ALIASES!r} is reserved")
    if aliases:
        meta[_ALIASES] = json.dumps(aliases)
    report = _native.save(ctx, items, os.fspath(path), sorted(meta.items()), float(max_error),
                          codec, allow_nonfinite, str(error_mode))
    return json.loads(report)["tensors"]


def _from_bytes(dtype: str, shape: list, raw: np.ndarray, framework: str) -> Any:
    if framework == "torch":
        torch = _torch()
        if dtype == "BF16":
            t = torch.from_numpy(raw.view(np.int16).copy()).view(torch.bfloat16)
            return t.reshape(shape)
    if dtype == "BF16":
        # numpy has no bfloat16: widen the bits to float32 (exact).
        a = (raw.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    elif dtype in _ST_TO_NUMPY:
        a = raw.view(np.dtype(_ST_TO_NUMPY[dtype]).newbyteorder("<")).astype(_ST_TO_NUMPY[dtype],
                                                                             copy=False)
    else:
        raise ValueError(f"dtype {dtype} has no numpy equivalent")
    a = a.reshape(shape)
    if framework == "torch":
        return _torch().from_numpy(a)
    return a


def load(path: PathLike, *, framework: str = "numpy") -> Dict[str, Any]:
    """Reads every tensor of a ``.fftt`` container or safetensors file into a
    dict in file order, in the stored dtypes: numpy arrays (bfloat16 widened
    to float32, exactly) or, with ``framework="torch"``, torch tensors
    (bfloat16 kept) ready for ``load_state_dict``. Tied tensors come back as
    one object under each of their names.

    Raises OSError for files, CorruptFileError for damaged ones."""
    if framework not in ("numpy", "torch"):
        raise ValueError('framework must be "numpy" or "torch"')
    if framework == "torch" and _torch() is None:
        import torch  # noqa: F401  (raises ImportError without torch)
    tensors, metadata = _native.load(get_context(), os.fspath(path))
    out = {name: _from_bytes(dtype, shape, raw, framework) for name, dtype, shape, raw in tensors}
    aliases = json.loads(dict(metadata).get(_ALIASES, "{}"))
    for alias, target in aliases.items():
        if target in out:
            out[alias] = out[target]
    return out


def inspect(path: PathLike) -> List[Dict[str, Any]]:
    """One record per tensor of a ``.fftt`` container (every payload decoded
    and checked on the CPU) or safetensors file: name, dtype, shape, codec,
    original_bytes, stored_bytes, ratio, error (as measured when written).

    Raises OSError for files, CorruptFileError for damaged ones."""
    return json.loads(_native.inspect(os.fspath(path)))["tensors"]


def compress_file(input: PathLike, output: PathLike, max_error: float = 0.01,
                  codec: str = "auto", *, allow_nonfinite: bool = False,
                  error_mode: str = "rel-l2") -> List[Dict[str, Any]]:
    """Compresses a safetensors, ``.npy`` or ``.npz`` file into a ``.fftt``
    container (as the ``fft-tensor compress`` command); returns the
    per-tensor records."""
    return save(os.fspath(input), output, max_error, codec, allow_nonfinite=allow_nonfinite,
                error_mode=error_mode)


def decompress_file(input: PathLike, output: PathLike) -> int:
    """Writes a ``.fftt`` container back as a safetensors file (original
    dtypes, metadata carried over), or as ``.npy`` (one tensor) / ``.npz``
    when ``output`` ends so, as the ``fft-tensor decompress`` command; returns the tensor bytes written. The output is written to a
    temporary name and renamed; an output that is the input is refused
    (ValueError)."""
    return _native.decompress_file(get_context(), os.fspath(input), os.fspath(output))
