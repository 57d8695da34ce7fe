"""Frequency-domain layers (inference only, float32) on the current
context: layer norm, GELU, FNet mixing, the global filter, softmax
attention, FFT and direct convolution, rotary position encoding, complex
embeddings, and FNet / BERT encoder blocks loaded from safetensors or
``.fftt`` files.

Inputs of other dtypes are converted to float32 (a PrecisionWarning once
for float64); torch tensors in give torch tensors out. Convolution modes
are scipy.signal's (``"full"``, ``"same"``, ``"valid"``; boundary
``"fill"`` or ``"wrap"``) for ``conv1d_fft``/``conv2d_fft`` and
PyTorch's (stride, padding, dilation, groups; cross-correlation) for
``conv2d``. Errors: ValueError for shapes or options that do not agree,
DeviceError from the GPU."""

from __future__ import annotations

import os
from typing import Any, Optional, Tuple, Union

import numpy as np

from . import _native
from ._context import get_context
from ._interop import as_array, contiguous, warn_once

__all__ = ["layer_norm", "gelu", "fnet_mixing", "global_filter", "attention", "conv1d_fft",
           "conv2d_fft", "conv2d", "rope", "embed", "FnetBlock", "AttentionBlock"]


def _f32(a: Any, op: str) -> Tuple[np.ndarray, Any]:
    arr, wrap = as_array(a)
    if np.iscomplexobj(arr):
        raise TypeError(f"{op} takes real arrays")
    if arr.dtype == np.float64:
        warn_once(op, f"fft_tensor.layers.{op} computes in float32; the result is float32")
    return contiguous(arr, np.float32), wrap


def _opt(a: Any, op: str) -> Optional[np.ndarray]:
    return None if a is None else _f32(a, op)[0]


def _empty(xa: np.ndarray, rank: Optional[int], op: str) -> bool:
    """True when ``xa`` holds no elements (the result is an empty array of
    its shape); ValueError when it is not ``rank``-D."""
    if rank is not None and xa.ndim != rank:
        raise ValueError(f"{op}: x must be {rank}-D, got shape {xa.shape}")
    return xa.size == 0


def _pair(v: Union[int, Tuple[int, int]]) -> Tuple[int, int]:
    if isinstance(v, (tuple, list)):
        a, b = v
        return int(a), int(b)
    return int(v), int(v)


def layer_norm(x: Any, weight: Any, bias: Any, eps: float = 1e-5,
               residual: Any = None) -> Any:
    """Layer norm over the last axis as ``torch.nn.functional.layer_norm``
    (biased variance): ``(v - mean) / sqrt(var + eps) * weight + bias`` with
    ``v = x + residual`` when ``residual`` (same shape) is given, fused.

    Raises ValueError when ``weight``/``bias`` do not hold ``x.shape[-1]``
    values, the residual's shape differs or ``eps`` is negative or not finite."""
    xa, wrap = _f32(x, "layer_norm")
    if _empty(xa, None, "layer_norm"):
        return wrap(xa.copy())
    return wrap(_native.layer_norm(get_context(), xa, _f32(weight, "layer_norm")[0],
                                   _f32(bias, "layer_norm")[0], float(eps),
                                   _opt(residual, "layer_norm")))


def gelu(x: Any, approximate: str = "none", bias: Any = None) -> Any:
    """GELU of every element as ``torch.nn.functional.gelu``: ``"none"``
    (exact, erf) or ``"tanh"``; of ``x + bias`` (one value per column of
    the last axis, fused) when ``bias`` is given.

    Raises ValueError for another ``approximate`` or a bias of the wrong length."""
    xa, wrap = _f32(x, "gelu")
    if _empty(xa, None, "gelu"):
        return wrap(xa.copy())
    return wrap(_native.gelu(get_context(), xa, str(approximate), _opt(bias, "gelu")))


def fnet_mixing(x: Any) -> Any:
    """FNet token mixing ``Re(fft2(x))`` over sequence and hidden of ``x``
    ``[batch, seq, hidden]`` (unnormalised, as Hugging Face's FNet).

    Raises ValueError when ``x`` is not 3-D."""
    xa, wrap = _f32(x, "fnet_mixing")
    if _empty(xa, 3, "fnet_mixing"):
        return wrap(xa.copy())
    return wrap(_native.fnet_mixing(get_context(), xa))


def attention(q: Any, k: Any, v: Any, heads: int = 1, causal: bool = False,
              scale: Optional[float] = None, key_mask: Any = None) -> Any:
    """Scaled dot-product attention ``softmax(q k^T * scale) v`` per head of
    ``q`` ``[batch, sq, hidden]`` and ``k``, ``v`` ``[batch, sk, hidden]``
    (``hidden = heads * head_dim``); ``scale`` defaults to
    ``1 / sqrt(head_dim)``. ``causal``: query ``i`` sees keys
    ``j <= i + sk - sq``. ``key_mask`` (bool ``[batch, sk]``, False hides a
    key) combines with it; a query that sees no key gets zeros.

    Raises ValueError for shapes that do not agree, heads that do not divide
    hidden, a causal mask with ``sk < sq`` or a non-finite scale."""
    qa, wrap = _f32(q, "attention")
    mask = None
    if key_mask is not None:
        mask = np.ascontiguousarray(as_array(key_mask)[0], dtype=bool)
    return wrap(_native.attention(get_context(), qa, _f32(k, "attention")[0],
                                  _f32(v, "attention")[0], int(heads), bool(causal),
                                  None if scale is None else float(scale), mask))


def _conv_fft(x: Any, w: Any, bias: Any, mode: str, boundary: str, correlate: bool,
              groups: int, rank: int, op: str) -> Any:
    xa, wrap = _f32(x, op)
    wa = _f32(w, op)[0]
    if xa.ndim != rank or wa.ndim != rank:
        raise ValueError(f"{op}: x and w must be {rank}-D, got shapes {xa.shape} and {wa.shape}")
    y = _native.conv_fft(get_context(), xa, wa, _opt(bias, op), str(mode), str(boundary),
                         bool(correlate), int(groups))
    if boundary == "wrap":
        # The library's circular output starts at lag 0; scipy's "same"
        # centres the filter as in linear mode.
        ks = wa.shape[2:]
        shift = [(k - 1) // 2 if correlate else -((k - 1) // 2) for k in ks]
        y = np.roll(y, shift, axis=tuple(range(2, 2 + len(ks))))
    return wrap(y)


def conv1d_fft(x: Any, w: Any, bias: Any = None, mode: str = "full", boundary: str = "fill",
               correlate: bool = False, groups: int = 1) -> Any:
    """1-D convolution by FFT of ``x`` ``[N, C_in, L]`` with ``w``
    ``[C_out, C_in / groups, k]``, summed over input channels, plus
    ``bias`` ``[C_out]``. ``mode`` as ``scipy.signal.convolve``;
    ``boundary="wrap"`` is circular (needs ``mode="same"``); ``correlate``
    gives ``scipy.signal.correlate`` instead.

    Raises ValueError for shapes that do not agree, an unknown mode, a
    filter longer than the input in ``"valid"`` mode, or groups that do not
    divide the channels."""
    return _conv_fft(x, w, bias, mode, boundary, correlate, groups, 3, "conv1d_fft")


def conv2d_fft(x: Any, w: Any, bias: Any = None, mode: str = "full", boundary: str = "fill",
               correlate: bool = False, groups: int = 1) -> Any:
    """2-D convolution by FFT of ``x`` ``[N, C_in, H, W]`` with ``w``
    ``[C_out, C_in / groups, kh, kw]``; options and errors as in
    ``conv1d_fft`` (``scipy.signal.convolve2d``'s modes and boundaries)."""
    return _conv_fft(x, w, bias, mode, boundary, correlate, groups, 4, "conv2d_fft")


def conv2d(x: Any, w: Any, bias: Any = None, stride: Union[int, Tuple[int, int]] = 1,
           padding: Union[int, Tuple[int, int]] = 0, dilation: Union[int, Tuple[int, int]] = 1,
           groups: int = 1, algorithm: str = "auto") -> Any:
    """``torch.nn.functional.conv2d`` (cross-correlation) of ``x``
    ``[N, C_in, H, W]`` with ``w`` ``[C_out, C_in / groups, kh, kw]``:
    ``algorithm="direct"`` loops over taps, ``"fft"`` transforms (stride
    and dilation 1 only), ``"auto"`` takes the one measured to be faster.

    Raises ValueError for shapes that do not agree, a zero stride or
    dilation, a filter larger than the padded input, or ``"fft"`` with
    stride or dilation above 1."""
    xa, wrap = _f32(x, "conv2d")
    wa = _f32(w, "conv2d")[0]
    return wrap(_native.conv2d(get_context(), xa, wa, _opt(bias, "conv2d"), _pair(stride),
                               _pair(padding), _pair(dilation), int(groups), str(algorithm)))


def rope(x: Any, heads: int = 1, base: float = 10000.0, offset: int = 0) -> Any:
    """Rotary position encoding (RoFormer) of ``x`` ``[batch, seq, hidden]``
    whose heads hold interleaved pairs ``(x[2k], x[2k+1])``: row ``s`` pair
    ``k`` is rotated by the angle ``(offset + s) * base ** (-2k / head_dim)``.

    Raises ValueError when ``x`` is not 3-D or heads do not split hidden
    into heads of even size."""
    xa, wrap = _f32(x, "rope")
    if _empty(xa, 3, "rope"):
        return wrap(xa.copy())
    return wrap(_native.rope(get_context(), xa, int(heads), float(base), int(offset)))


def global_filter(x: Any, w: Any) -> Any:
    """Global filter token mixing (GFNet) of ``x`` ``[batch, seq, hidden]``:
    ``irfft(rfft(x, axis=1) * w, n=seq, axis=1)`` with the complex filter
    ``w`` ``[seq // 2 + 1, hidden]`` (numpy's conventions: imaginary parts
    at frequency 0 and, for even ``seq``, ``seq / 2`` do not count).

    Raises ValueError when ``x`` is not 3-D or ``w`` is not
    ``[seq // 2 + 1, hidden]``."""
    xa, wrap = _f32(x, "global_filter")
    wa = as_array(w)[0]
    if xa.ndim != 3:
        raise ValueError(f"global_filter: x must be 3-D, got shape {xa.shape}")
    if wa.dtype == np.complex128:
        warn_once("global_filter", "fft_tensor.layers.global_filter computes in float32")
    wa = contiguous(wa, np.complex64)
    if xa.size == 0:
        return wrap(xa.copy())
    return wrap(_native.global_filter(get_context(), xa, wa))


def embed(table: Any, ids: Any) -> Any:
    """Rows ``ids`` of the complex embedding ``table`` ``[vocab, dim]``:
    complex64 of shape ``ids.shape + (dim,)``.

    Raises ValueError for an id outside ``[0, vocab)`` or a table that is
    not 2-D; TypeError for ids that are not integers."""
    ta, wrap = as_array(table)
    ia = as_array(ids)[0]
    if ia.dtype.kind not in "iu":
        raise TypeError(f"embed: ids must be integers, got {ia.dtype}")
    if ta.ndim != 2:
        raise ValueError(f"embed: the table must be 2-D, got shape {ta.shape}")
    if ia.size and (ia.min() < 0 or ia.max() >= ta.shape[0]):
        bad = ia[(ia < 0) | (ia >= ta.shape[0])].ravel()[0]
        raise ValueError(f"embed: id {bad} is outside the vocabulary of {ta.shape[0]}")
    if ta.dtype == np.complex128:
        warn_once("embed", "fft_tensor.layers.embed computes in float32")
    if ia.size == 0:
        return wrap(np.zeros(ia.shape + (ta.shape[1],), np.complex64))
    flat = np.ascontiguousarray(ia.ravel(), dtype=np.uint32)
    y = _native.embed(get_context(), contiguous(ta, np.complex64), flat)
    return wrap(y.reshape(ia.shape + (ta.shape[1],)))


class _Block:
    """An encoder layer loaded for inference; it keeps the Context current
    when it was loaded."""

    def __init__(self, native: Any, ctx: Any) -> None:
        self._native = native
        self._ctx = ctx

    def _x(self, x: Any) -> Tuple[np.ndarray, Any]:
        xa, wrap = _f32(x, type(self).__name__)
        if xa.ndim != 3 or xa.shape[2] != self.hidden:
            raise ValueError(f"{type(self).__name__}: x must be [batch, seq, {self.hidden}], "
                             f"got shape {xa.shape}")
        return xa, wrap

    @property
    def hidden(self) -> int:
        return self._native.dims[0]

    @property
    def intermediate(self) -> int:
        return self._native.dims[1]


class FnetBlock(_Block):
    """A Hugging Face FNet encoder layer (inference):
    ``h = LayerNorm(x + Re(fft2(x)))``, ``y = LayerNorm(h + W2 gelu_tanh(W1 h
    + b1) + b2)``.

    Load with ``FnetBlock.load(path, "fnet.encoder.layer.0.", hidden,
    intermediate)`` from a safetensors or ``.fftt`` file (dense weights
    ``[out, in]`` in F32, F16 or BF16, any ``.fftt`` codec); call it on
    ``x`` ``[batch, seq, hidden]``."""

    @classmethod
    def load(cls, path: "os.PathLike[str] | str", prefix: str, hidden: int, intermediate: int,
             eps: float = 1e-12) -> "FnetBlock":
        """Reads ``{prefix}fourier.output.LayerNorm.*``,
        ``{prefix}intermediate.dense.*``, ``{prefix}output.dense.*`` and
        ``{prefix}output.LayerNorm.*``.

        Raises ValueError for a missing tensor, a non-float one or another
        shape; OSError and CorruptFileError for the file."""
        native = _native.FnetBlock.load(os.fspath(path), str(prefix), int(hidden),
                                        int(intermediate), float(eps))
        return cls(native, get_context())

    def __call__(self, x: Any) -> Any:
        """The layer on ``x`` ``[batch, seq, hidden]``: float32, same shape.
        Raises ValueError for another shape."""
        xa, wrap = self._x(x)
        if xa.size == 0:
            return wrap(xa.copy())
        return wrap(self._native.forward(self._ctx, xa))

    def __repr__(self) -> str:
        return f"FnetBlock(hidden={self.hidden}, intermediate={self.intermediate})"


class AttentionBlock(_Block):
    """A Hugging Face BERT encoder layer (post-norm, inference):
    ``h = LayerNorm(x + O(attention(Q x, K x, V x)))`` with ``heads``
    heads, then the feed-forward half with exact (erf) GELU.

    Load with ``AttentionBlock.load(path, "bert.encoder.layer.0.", hidden,
    intermediate, heads)``; call it on ``x`` ``[batch, seq, hidden]`` with
    an optional ``key_mask`` (bool ``[batch, seq]``, False for padding)."""

    @classmethod
    def load(cls, path: "os.PathLike[str] | str", prefix: str, hidden: int, intermediate: int,
             heads: int, eps: float = 1e-12) -> "AttentionBlock":
        """Reads ``{prefix}attention.self.{query,key,value}.*``,
        ``{prefix}attention.output.dense.*``,
        ``{prefix}attention.output.LayerNorm.*`` and the feed-forward
        tensors (as :meth:`FnetBlock.load`).

        Raises as :meth:`FnetBlock.load`."""
        native = _native.AttentionBlock.load(os.fspath(path), str(prefix), int(hidden),
                                             int(intermediate), int(heads), float(eps))
        return cls(native, get_context())

    @property
    def heads(self) -> int:
        return self._native.dims[2]

    def __call__(self, x: Any, key_mask: Any = None) -> Any:
        """The layer on ``x`` ``[batch, seq, hidden]``: float32, same shape.
        Raises ValueError for another shape, a mask of the wrong shape or
        heads that do not divide hidden."""
        xa, wrap = self._x(x)
        mask = None
        if key_mask is not None:
            mask = np.ascontiguousarray(as_array(key_mask)[0], dtype=bool)
            if mask.shape != xa.shape[:2]:
                raise ValueError(f"AttentionBlock: key_mask must be {xa.shape[:2]}, "
                                 f"got {mask.shape}")
        if xa.size == 0:
            return wrap(xa.copy())
        return wrap(self._native.forward(self._ctx, xa, mask))

    def __repr__(self) -> str:
        return (f"AttentionBlock(hidden={self.hidden}, intermediate={self.intermediate}, "
                f"heads={self.heads})")
