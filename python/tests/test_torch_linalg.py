"""fft_tensor.torch.Linear (skipped without torch)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from conftest import rel_error  # noqa: E402
from fft_tensor import torch as ft_torch  # noqa: E402


def test_module_matches_torch_linear(backend):
    torch.manual_seed(0)
    ref = torch.nn.Linear(45, 19)
    layer = ft_torch.Linear.from_module(ref)
    assert isinstance(layer, torch.nn.Module) and layer.path == "dense"
    x = torch.randn(2, 3, 45)
    with torch.no_grad():
        want = ref(x).double().numpy()
        y = layer(x)
    assert isinstance(y, torch.Tensor) and y.shape == (2, 3, 19)
    assert rel_error(y.numpy(), want) < 1e-5
    streamed = ft_torch.Linear.from_module(ref, memory_budget=4 * 45 * 4)
    assert streamed.path == "streamed"
    assert rel_error(streamed(x).numpy(), want) < 1e-5
    assert "streamed" in repr(streamed)


def test_module_is_inference_only():
    layer = ft_torch.Linear.from_weight(np.ones((3, 4), np.float32))
    x = torch.ones(2, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="inference only"):
        layer(x)
    with torch.no_grad():
        assert torch.equal(layer(x), torch.full((2, 3), 4.0))
    assert layer(x.detach()).requires_grad is False
