"""Linear algebra on weights, ``y = x @ w.T (+ bias)``, on the current
context (GPU: tiled WGSL kernels; CPU: SGEMM), in float32.

``w`` is ``outputs x inputs`` as a linear layer stores it; ``x`` has any
leading batch dimensions and ``inputs`` last. Inputs of other dtypes are
converted to float32 (a PrecisionWarning once for float64). Torch tensors
in give torch tensors out; for a ``torch.nn.Module`` see
``fft_tensor.torch.Linear``. Everything here is inference only: no
gradients are computed.

Block-circulant weights (``BlockCirculant``: ``p x q`` blocks of ``n x n``
circulant matrices kept as their first columns, ``n`` times smaller than
dense) multiply through real FFTs: ``circulant_matmul`` and the layer
``CirculantLinear``; ``circulant_projection`` finds the block-circulant
weight closest to a dense one."""

from __future__ import annotations

import os
from typing import Any, Optional, Tuple

import numpy as np

from . import _native
from ._context import get_context
from ._interop import as_array, contiguous, warn_once

QuantizedWeight = _native.QuantizedWeight

__all__ = ["matmul", "matmul_quantized", "quantize", "QuantizedWeight", "Linear",
           "BlockCirculant", "circulant", "circulant_matmul", "circulant_projection",
           "CirculantLinear"]

BlockCirculant = _native.BlockCirculant


def _f32(a: np.ndarray, op: str) -> np.ndarray:
    if np.iscomplexobj(a):
        raise TypeError(f"{op} takes real arrays")
    if a.dtype not in (np.float32, np.float16):
        if a.dtype == np.float64:
            warn_once(op, f"fft_tensor.{op} computes in float32; the result is float32")
    return contiguous(a, np.float32)


def _rows(x: np.ndarray, inputs: int, op: str) -> Tuple[np.ndarray, Tuple[int, ...]]:
    """``x`` as ``batch x inputs`` and its leading dimensions."""
    if x.ndim == 0 or x.shape[-1] != inputs:
        raise ValueError(f"{op}: x has shape {x.shape}; its last dimension must be {inputs}")
    lead = x.shape[:-1]
    return x.reshape(-1, inputs), lead


def _bias(bias: Any, op: str) -> Optional[np.ndarray]:
    if bias is None:
        return None
    b = _f32(as_array(bias)[0], op)
    if b.ndim != 1:
        raise ValueError(f"{op}: bias must be 1-D, got shape {b.shape}")
    return b


def matmul(x: Any, w: Any, bias: Any = None) -> Any:
    """``x @ w.T + bias`` for ``x`` of shape ``(..., N)``, ``w`` ``(M, N)``
    and ``bias`` ``(M,)`` (optional): float32 of shape ``(..., M)``. NaN and
    infinity propagate as in numpy.

    Raises ValueError for shapes that do not match; DeviceError when a
    matrix exceeds the device's limits or the context's memory budget."""
    xa, wrap = as_array(x)
    wa = _f32(as_array(w)[0], "matmul")
    if wa.ndim != 2:
        raise ValueError(f"matmul: w must be 2-D (outputs x inputs), got shape {wa.shape}")
    x2, lead = _rows(_f32(xa, "matmul"), wa.shape[1], "matmul")
    b = _bias(bias, "matmul")
    if x2.shape[0] == 0:
        if b is not None and b.shape != (wa.shape[0],):
            raise ValueError(f"matmul: bias has shape {b.shape}, expected ({wa.shape[0]},)")
        return wrap(np.zeros(lead + (wa.shape[0],), np.float32))
    y = _native.matmul(get_context(), x2, wa, b)
    return wrap(y.reshape(lead + (wa.shape[0],)))


def quantize(w: Any, bits: int = 8, group: int = 64) -> QuantizedWeight:
    """``w`` (``outputs x inputs``) quantised to INT8 (``bits=8``) or INT4
    (``bits=4``) with one f16 scale per ``group`` consecutive elements (the
    store's ``int8``/``int4`` codecs). Lossy: about 0.2-0.4 % RMS error for
    INT8 and 2-5 % for INT4 on uniform random weights.

    Raises ValueError for NaN or infinity, an empty matrix or a group of 0."""
    wa = _f32(as_array(w)[0], "quantize")
    if wa.ndim != 2:
        raise ValueError(f"quantize: w must be 2-D, got shape {wa.shape}")
    return _native.QuantizedWeight(wa, int(bits), int(group))


def matmul_quantized(x: Any, w: QuantizedWeight, bias: Any = None) -> Any:
    """``x @ w.T + bias`` with a QuantizedWeight, dequantised inside the
    kernel; shapes as in ``matmul``."""
    xa, wrap = as_array(x)
    rows, cols = w.shape
    x2, lead = _rows(_f32(xa, "matmul_quantized"), cols, "matmul_quantized")
    b = _bias(bias, "matmul_quantized")
    if x2.shape[0] == 0:
        return wrap(np.zeros(lead + (rows,), np.float32))
    y = _native.matmul_quantized(get_context(), x2, w, b)
    return wrap(y.reshape(lead + (rows,)))


class Linear:
    """A linear layer ``y = x @ W.T + b`` (inference only, float32) holding
    W dense, quantised (INT8/INT4) or streamed in compressed row blocks,
    chosen by a memory budget:

    * dense when ``4 * outputs * inputs`` bytes fit ``memory_budget``
      (``None``: always dense);
    * else quantised, when ``allow_lossy`` (it quantises with ``bits`` and
      ``group``) or when a ``.fftt`` file already stores W as INT8/INT4;
    * else streamed f32 blocks whose two scratch buffers fit the budget
      (exact).

    The budget counts GPU memory on a GPU context, host memory on the CPU.
    Build with ``Linear.load(path, "w", "b", ...)`` or
    ``Linear.from_weight(w, b, ...)``; call it on arrays of shape
    ``(..., inputs)``. ``path`` says which form was chosen. NaN or infinity
    in W or b is refused at build (ValueError); NaN in x propagates.

    The layer keeps the Context current when it was built."""

    def __init__(self, native: Any, ctx: Any) -> None:
        self._native = native
        self._ctx = ctx

    @classmethod
    def load(cls, path: "os.PathLike[str] | str", weight: str, bias: Optional[str] = None, *,
             memory_budget: Optional[int] = None, allow_lossy: bool = False, bits: int = 8,
             group: int = 64) -> "Linear":
        """The layer of tensor ``weight`` (f32, f16, bf16 or any ``.fftt``
        codec; leading dimensions folded into the outputs) and optional
        tensor ``bias`` of a safetensors or ``.fftt`` file.

        Raises ValueError for a missing or non-matrix tensor, NaN in it, a
        bias of the wrong length or a budget below two rows of W; OSError
        and CorruptFileError for the file; DeviceError on the GPU."""
        ctx = get_context()
        native = _native.Linear.load(ctx, os.fspath(path), weight, bias, memory_budget,
                                     bool(allow_lossy), int(bits), int(group))
        return cls(native, ctx)

    @classmethod
    def from_weight(cls, w: Any, bias: Any = None, *, memory_budget: Optional[int] = None,
                    allow_lossy: bool = False, bits: int = 8, group: int = 64) -> "Linear":
        """The layer of ``w`` (``outputs x inputs``) and optional ``bias``
        (``outputs``); options and errors as in ``load``."""
        ctx = get_context()
        wa = _f32(as_array(w)[0], "Linear")
        b = _bias(bias, "Linear")
        native = _native.Linear.from_weight(ctx, wa, b, memory_budget, bool(allow_lossy),
                                            int(bits), int(group))
        return cls(native, ctx)

    @property
    def path(self) -> str:
        """How W is held: "dense", "quantized" or "streamed"."""
        return self._native.path

    @property
    def in_features(self) -> int:
        return self._native.dims[1]

    @property
    def out_features(self) -> int:
        return self._native.dims[0]

    def __call__(self, x: Any) -> Any:
        """``x @ W.T + b`` for ``x`` of shape ``(..., inputs)``: float32 of
        shape ``(..., outputs)`` (a torch tensor for torch input). Raises
        ValueError when the last dimension is not ``inputs``."""
        xa, wrap = as_array(x)
        x32 = _f32(xa, "Linear")
        _rows(x32, self.in_features, "Linear")
        if x32.size == 0:
            return wrap(np.zeros(x32.shape[:-1] + (self.out_features,), np.float32))
        return wrap(self._native.forward(x32))

    def __repr__(self) -> str:
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"path={self.path!r})")


def circulant(columns: Any) -> "BlockCirculant":
    """The block-circulant weight of float32 first columns ``[p, q, n]``
    (or ``[n]`` for one circulant): ``W`` has ``p n`` rows and ``q n``
    columns, block ``(i, j)`` is ``W[i n + r, j n + k] = columns[i, j, (r -
    k) mod n]`` (scipy.linalg.circulant of ``columns[i, j]``).

    Raises ValueError for a zero size, another rank or NaN/infinity."""
    ca = _f32(as_array(columns)[0], "circulant")
    if ca.ndim == 1:
        ca = ca.reshape(1, 1, -1)
    return _native.BlockCirculant(ca)


def circulant_projection(w: Any, n: int) -> np.ndarray:
    """The first columns ``[p, q, n]`` of the block-circulant matrix closest
    to the dense ``w`` (``p n x q n``) in the Frobenius norm: each block's
    column ``c[m]`` is the mean of the block's ``m``-th wrapped diagonal
    ``W[r, (r - m) mod n]`` (the orthogonal projection onto circulant
    matrices), computed in float64 and returned as float32 for
    :func:`circulant` or :class:`CirculantLinear`.

    An already block-circulant ``w`` comes back exactly (up to float32
    rounding). Raises ValueError when ``w`` is not 2-D, ``n`` is not
    positive or does not divide both dimensions, or ``w`` holds NaN or
    infinity."""
    wa = np.asarray(as_array(w)[0])
    if wa.ndim != 2:
        raise ValueError(f"circulant_projection: w must be 2-D, got shape {wa.shape}")
    n = int(n)
    rows, cols = wa.shape
    if n <= 0 or rows % n or cols % n:
        raise ValueError(f"circulant_projection: block size {n} must be positive and divide "
                         f"both dimensions of w {wa.shape}")
    w64 = wa.astype(np.float64, copy=False)
    if not np.isfinite(w64).all():
        raise ValueError("circulant_projection: w holds NaN or infinity")
    p, q = rows // n, cols // n
    blocks = w64.reshape(p, n, q, n).transpose(0, 2, 1, 3)
    r = np.arange(n)
    diagonal = (r[:, None] - r[None, :]) % n  # [r, m] -> column k = (r - m) mod n
    return blocks[:, :, r[:, None], diagonal].mean(axis=2).astype(np.float32)


def circulant_matmul(x: Any, w: "BlockCirculant", bias: Any = None) -> Any:
    """``x @ W.T + bias`` for a :class:`BlockCirculant` ``W`` and ``x`` of
    shape ``(..., inputs)``: float32 ``(..., outputs)``, through real FFTs
    (``O(p q n log n)`` per row instead of ``p q n^2``).

    Raises ValueError when the last dimension is not ``inputs`` or the bias
    does not hold ``outputs`` values."""
    if not isinstance(w, BlockCirculant):
        raise TypeError("circulant_matmul: w must be a BlockCirculant (see linalg.circulant)")
    xa, wrap = as_array(x)
    outputs, inputs = w.shape
    x32 = _f32(xa, "circulant_matmul")
    _rows(x32, inputs, "circulant_matmul")
    if x32.size == 0:
        return wrap(np.zeros(x32.shape[:-1] + (outputs,), np.float32))
    return wrap(w.matmul(get_context(), x32, _bias(bias, "circulant_matmul")))


class CirculantLinear:
    """A linear layer ``y = x @ W.T + b`` with a block-circulant ``W``
    (inference only, float32): ``CirculantLinear(columns, bias)`` with the
    first columns ``[p, q, n]`` as in :func:`circulant`. It keeps the
    Context current when it was built."""

    def __init__(self, columns: Any, bias: Any = None) -> None:
        self.weight = columns if isinstance(columns, BlockCirculant) else circulant(columns)
        self.bias = _bias(bias, "CirculantLinear")
        if self.bias is not None and self.bias.shape[0] != self.weight.shape[0]:
            raise ValueError(f"CirculantLinear: bias has {self.bias.shape[0]} values for "
                             f"{self.weight.shape[0]} outputs")
        self._ctx = get_context()

    @property
    def in_features(self) -> int:
        return self.weight.shape[1]

    @property
    def out_features(self) -> int:
        return self.weight.shape[0]

    def __call__(self, x: Any) -> Any:
        """``x @ W.T + b`` for ``x`` of shape ``(..., inputs)``."""
        xa, wrap = as_array(x)
        x32 = _f32(xa, "CirculantLinear")
        _rows(x32, self.in_features, "CirculantLinear")
        if x32.size == 0:
            return wrap(np.zeros(x32.shape[:-1] + (self.out_features,), np.float32))
        return wrap(self.weight.matmul(self._ctx, x32, self.bias))

    def __repr__(self) -> str:
        p, q, n = self.weight.blocks
        return (f"CirculantLinear(in_features={self.in_features}, "
                f"out_features={self.out_features}, blocks=({p}, {q}), n={n})")
