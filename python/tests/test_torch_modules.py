"""fft_tensor.torch.CirculantLinear, FnetBlock and AttentionBlock as
torch.nn.Modules against float64 references (skipped without torch)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from conftest import rel_error  # noqa: E402
from fft_tensor import torch as ft_torch  # noqa: E402
from test_checkpoint import write_safetensors  # noqa: E402
from test_circulant import dense_of  # noqa: E402
from test_encoders import attention_reference, fnet_reference, weights  # noqa: E402


def test_circulant_module_matches_dense(backend, rng):
    cols = rng.standard_normal((2, 3, 8)).astype(np.float32)
    bias = torch.randn(16)
    layer = ft_torch.CirculantLinear.from_columns(torch.from_numpy(cols), bias)
    assert isinstance(layer, torch.nn.Module)
    assert (layer.in_features, layer.out_features) == (24, 16)
    x = torch.randn(4, 5, 24)
    with torch.no_grad():
        y = layer(x)
    assert isinstance(y, torch.Tensor) and y.shape == (4, 5, 16)
    want = x.double().numpy() @ dense_of(cols.astype(np.float64)).T + bias.double().numpy()
    assert rel_error(y.numpy(), want) < 1e-5
    assert "blocks=(2, 3)" in repr(layer)


def test_circulant_module_from_linear_is_its_projection(backend):
    torch.manual_seed(3)
    ref = torch.nn.Linear(12, 8)
    layer = ft_torch.CirculantLinear.from_module(ref, block=4)
    w = ref.weight.detach().double().numpy()
    from fft_tensor.linalg import circulant_projection
    proj = dense_of(circulant_projection(w, 4).astype(np.float64))
    x = torch.randn(3, 12)
    want = x.double().numpy() @ proj.T + ref.bias.detach().double().numpy()
    assert rel_error(layer(x).numpy(), want) < 1e-5
    with pytest.raises(ValueError, match="divide"):
        ft_torch.CirculantLinear.from_module(ref, block=5)


def test_modules_are_inference_only(rng, tmp_path):
    layer = ft_torch.CirculantLinear.from_columns(np.ones((1, 1, 4), np.float32))
    x = torch.ones(2, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="CirculantLinear is inference only"):
        layer(x)
    with torch.no_grad():
        assert torch.allclose(layer(x), torch.full((2, 4), 4.0))
    prefix, hidden, inter = "fnet.encoder.layer.0.", 8, 12
    path = tmp_path / "fnet.safetensors"
    write_safetensors(path, weights(rng, prefix, hidden, inter, attention=False))
    block = ft_torch.FnetBlock.load(path, prefix, hidden, inter)
    with pytest.raises(RuntimeError, match="FnetBlock is inference only"):
        block(torch.ones(1, 2, hidden, requires_grad=True))


def test_fnet_module_matches_numpy(backend, rng, tmp_path):
    prefix, hidden, inter = "fnet.encoder.layer.0.", 8, 12
    w = weights(rng, prefix, hidden, inter, attention=False)
    path = tmp_path / "fnet.safetensors"
    write_safetensors(path, w)
    block = ft_torch.FnetBlock.load(path, prefix, hidden, inter)
    assert isinstance(block, torch.nn.Module) and (block.hidden, block.intermediate) == (8, 12)
    x = torch.randn(2, 5, hidden)
    y = block(x)
    assert isinstance(y, torch.Tensor) and y.shape == x.shape
    assert rel_error(y.numpy(), fnet_reference(x.numpy(), w, prefix)) < 1e-4
    model = torch.nn.Sequential(block, ft_torch.FnetBlock.load(path, prefix, hidden, inter))
    assert model(x).shape == x.shape


def test_attention_module_matches_numpy(backend, rng, tmp_path):
    prefix, hidden, inter, heads = "bert.encoder.layer.0.", 8, 16, 2
    w = weights(rng, prefix, hidden, inter, attention=True)
    path = tmp_path / "bert.safetensors"
    write_safetensors(path, w)
    block = ft_torch.AttentionBlock.load(path, prefix, hidden, inter, heads)
    assert block.heads == heads and "heads=2" in repr(block)
    x = torch.randn(2, 6, hidden)
    mask = torch.ones(2, 6, dtype=torch.bool)
    mask[:, 4:] = False
    got = block(x, key_mask=mask)
    want = attention_reference(x.numpy(), w, prefix, heads, mask.numpy())
    assert rel_error(got.numpy(), want) < 1e-4
