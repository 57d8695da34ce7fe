"""PyTorch modules backed by fft_tensor (importing this module needs torch).

``Linear``, ``CirculantLinear``, ``FnetBlock`` and ``AttentionBlock`` are
``torch.nn.Module`` s for inference only: they compute no gradients and
raise RuntimeError for an input that requires grad while autograd is on
(run them under ``torch.no_grad()`` or ``torch.inference_mode()``, or pass
``x.detach()``). They take CPU tensors and return float32 CPU tensors;
their weights live in fft_tensor (on its current context), not in
``parameters()`` or ``state_dict``."""

from __future__ import annotations

import os
from typing import Any, Optional

import torch as _torch

from . import layers as _layers
from . import linalg as _linalg

__all__ = ["Linear", "CirculantLinear", "FnetBlock", "AttentionBlock"]


def _inference_only(module: "_torch.nn.Module", x: "_torch.Tensor") -> None:
    if isinstance(x, _torch.Tensor) and x.requires_grad and _torch.is_grad_enabled():
        raise RuntimeError(
            f"fft_tensor.torch.{type(module).__name__} is inference only and computes no "
            "gradients; call it under torch.no_grad() or pass x.detach()"
        )


class Linear(_torch.nn.Module):
    """``y = x @ W.T + b`` as a ``torch.nn.Module``, W held dense,
    quantised or streamed as ``fft_tensor.linalg.Linear`` chooses by its
    memory budget. Inference only: no autograd (see the module docs); W is
    not a ``Parameter`` and does not appear in ``state_dict``."""

    def __init__(self, layer: _linalg.Linear) -> None:
        super().__init__()
        self.layer = layer
        self.in_features = layer.in_features
        self.out_features = layer.out_features

    @classmethod
    def load(cls, path: "os.PathLike[str] | str", weight: str, bias: Optional[str] = None,
             **options: Any) -> "Linear":
        """As ``fft_tensor.linalg.Linear.load``."""
        return cls(_linalg.Linear.load(path, weight, bias, **options))

    @classmethod
    def from_weight(cls, w: Any, bias: Any = None, **options: Any) -> "Linear":
        """As ``fft_tensor.linalg.Linear.from_weight`` (``w`` may be a tensor)."""
        return cls(_linalg.Linear.from_weight(w, bias, **options))

    @classmethod
    def from_module(cls, module: "_torch.nn.Linear", **options: Any) -> "Linear":
        """The inference copy of a ``torch.nn.Linear``."""
        return cls.from_weight(module.weight, module.bias, **options)

    @property
    def path(self) -> str:
        return self.layer.path

    def forward(self, x: "_torch.Tensor") -> "_torch.Tensor":
        _inference_only(self, x)
        return self.layer(x)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, path={self.path!r}"


class CirculantLinear(_torch.nn.Module):
    """``y = x @ W.T + b`` with a block-circulant ``W`` (``p x q`` blocks of
    ``n x n`` circulants, kept as their first columns: ``n`` times fewer
    values than dense, multiplied through real FFTs) as a
    ``torch.nn.Module``. Inference only (see the module docs)."""

    def __init__(self, layer: _linalg.CirculantLinear) -> None:
        super().__init__()
        self.layer = layer
        self.in_features = layer.in_features
        self.out_features = layer.out_features

    @classmethod
    def from_columns(cls, columns: Any, bias: Any = None) -> "CirculantLinear":
        """From first columns ``[p, q, n]`` as ``fft_tensor.linalg.circulant``
        takes them (``columns`` and ``bias`` may be tensors)."""
        return cls(_linalg.CirculantLinear(columns, bias))

    @classmethod
    def from_weight(cls, w: Any, block: int, bias: Any = None) -> "CirculantLinear":
        """The block-circulant layer closest to a dense weight ``w`` ``[out,
        in]`` (``fft_tensor.linalg.circulant_projection`` with block size
        ``block``, which must divide both dimensions)."""
        return cls.from_columns(_linalg.circulant_projection(w, block), bias)

    @classmethod
    def from_module(cls, module: "_torch.nn.Linear", block: int) -> "CirculantLinear":
        """The block-circulant projection of a ``torch.nn.Linear`` (its bias
        kept as is)."""
        return cls.from_weight(module.weight, block, module.bias)

    def forward(self, x: "_torch.Tensor") -> "_torch.Tensor":
        _inference_only(self, x)
        return self.layer(x)

    def extra_repr(self) -> str:
        return repr(self.layer)


class _Block(_torch.nn.Module):
    def __init__(self, block: Any) -> None:
        super().__init__()
        self.block = block
        self.hidden = block.hidden
        self.intermediate = block.intermediate

    def extra_repr(self) -> str:
        return repr(self.block)


class FnetBlock(_Block):
    """A Hugging Face FNet encoder layer as a ``torch.nn.Module``
    (``fft_tensor.layers.FnetBlock``); inference only."""

    @classmethod
    def load(cls, path: "os.PathLike[str] | str", prefix: str, hidden: int, intermediate: int,
             eps: float = 1e-12) -> "FnetBlock":
        """As ``fft_tensor.layers.FnetBlock.load``."""
        return cls(_layers.FnetBlock.load(path, prefix, hidden, intermediate, eps))

    def forward(self, x: "_torch.Tensor") -> "_torch.Tensor":
        _inference_only(self, x)
        return self.block(x)


class AttentionBlock(_Block):
    """A Hugging Face BERT encoder layer as a ``torch.nn.Module``
    (``fft_tensor.layers.AttentionBlock``); inference only. ``forward(x,
    key_mask=None)`` takes the optional bool ``[batch, seq]`` padding mask
    (False for padding)."""

    @classmethod
    def load(cls, path: "os.PathLike[str] | str", prefix: str, hidden: int, intermediate: int,
             heads: int, eps: float = 1e-12) -> "AttentionBlock":
        """As ``fft_tensor.layers.AttentionBlock.load``."""
        return cls(_layers.AttentionBlock.load(path, prefix, hidden, intermediate, heads, eps))

    @property
    def heads(self) -> int:
        return self.block.heads

    def forward(self, x: "_torch.Tensor", key_mask: Any = None) -> "_torch.Tensor":
        _inference_only(self, x)
        return self.block(x, key_mask)
