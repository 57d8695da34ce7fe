"""PyTorch modules backed by fft_tensor (importing this module needs torch).

``fft_tensor.torch.Linear`` is a ``torch.nn.Module`` for inference only: it
computes no gradients and raises RuntimeError for an input that requires
grad while autograd is on (run it under ``torch.no_grad()`` or
``torch.inference_mode()``, or pass ``x.detach()``). It takes CPU tensors
and returns float32 CPU tensors."""

from __future__ import annotations

import os
from typing import Any, Optional

import torch as _torch

from . import linalg as _linalg

__all__ = ["Linear"]


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
        if x.requires_grad and _torch.is_grad_enabled():
            raise RuntimeError(
                "fft_tensor.torch.Linear is inference only and computes no gradients; "
                "call it under torch.no_grad() or pass x.detach()"
            )
        return self.layer(x)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, path={self.path!r}"
