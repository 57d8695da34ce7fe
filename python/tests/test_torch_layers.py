"""fft_tensor.layers on torch tensors, against torch.nn.functional (skipped without torch)."""

import pytest

torch = pytest.importorskip("torch")

from conftest import rel_error  # noqa: E402
from fft_tensor import layers  # noqa: E402

F = torch.nn.functional


def test_torch_in_torch_out(backend):
    torch.manual_seed(0)
    x = torch.randn(2, 5, 8)
    g, b = torch.randn(8), torch.randn(8)
    got = layers.layer_norm(x, g, b)
    assert isinstance(got, torch.Tensor)
    assert rel_error(got.numpy(), F.layer_norm(x, (8,), g, b).numpy()) < 1e-5
    assert rel_error(layers.gelu(x).numpy(), F.gelu(x).numpy()) < 1e-5
    assert rel_error(layers.gelu(x, "tanh").numpy(), F.gelu(x, approximate="tanh").numpy()) < 1e-5


@pytest.mark.parametrize("algorithm", ["direct", "fft"])
def test_conv2d_matches_torch(backend, algorithm):
    torch.manual_seed(1)
    x, w, b = torch.randn(2, 4, 9, 7), torch.randn(6, 2, 3, 2), torch.randn(6)
    got = layers.conv2d(x, w, b, padding=(1, 2), groups=2, algorithm=algorithm)
    assert rel_error(got.numpy(), F.conv2d(x, w, b, padding=(1, 2), groups=2).numpy()) < 1e-5


def test_attention_matches_torch(backend):
    torch.manual_seed(2)
    q, k, v = torch.randn(2, 6, 8), torch.randn(2, 6, 8), torch.randn(2, 6, 8)
    got = layers.attention(q, k, v, heads=2, causal=True)
    split = lambda t: t.reshape(2, 6, 2, 4).transpose(1, 2)
    want = F.scaled_dot_product_attention(split(q), split(k), split(v), is_causal=True)
    assert rel_error(got.numpy(), want.transpose(1, 2).reshape(2, 6, 8).numpy()) < 1e-5
