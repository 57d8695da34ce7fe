"""PyTorch tensors in and out (skipped without torch)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fft_tensor as ft  # noqa: E402
from conftest import rel_error  # noqa: E402


def test_fft_of_torch_tensors(backend):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 30, generator=g, requires_grad=True)
    y = ft.fft.rfft(x)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.complex64
    assert rel_error(y.numpy(), torch.fft.rfft(x.detach()).numpy()) < 1e-5
    z = ft.fft.fftn(x.double(), norm="ortho")
    assert z.dtype == torch.complex128
    assert rel_error(z.numpy(), torch.fft.fftn(x.detach().double(), norm="ortho").numpy()) < 1e-12
    back = ft.fft.irfft(y, 30)
    assert rel_error(back.numpy(), x.detach().numpy()) < 1e-5


def test_bfloat16_and_views():
    x = torch.randn(8, 16).to(torch.bfloat16)
    y = ft.rfft(x)
    assert y.dtype == torch.complex64
    assert rel_error(y.numpy(), np.fft.rfft(x.float().numpy())) < 1e-5
    t = torch.randn(16, 8).t()  # not contiguous
    assert rel_error(ft.fft.fft(t).numpy(), torch.fft.fft(t).numpy()) < 1e-5
    d = torch.randn(5, 7)
    assert rel_error(ft.dct(d).numpy(), ft.dct(d.numpy())) == 0


def test_device_tensor_is_refused():
    x = torch.empty(4, device="meta")
    with pytest.raises(ValueError, match=r"\.cpu\(\)"):
        ft.fft.fft(x)
    with pytest.raises(ValueError, match=r"\.cpu\(\)"):
        ft.save({"w": x}, "unused.fftt")


class Tied(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(50, 16)
        self.proj = torch.nn.Linear(16, 16)
        self.head = torch.nn.Linear(16, 50, bias=False)
        self.head.weight = self.embed.weight
        self.register_buffer("steps", torch.arange(5))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_state_dict_round_trip(tmp_path, dtype):
    torch.manual_seed(0)
    model = Tied().to(dtype)
    model.steps = torch.arange(5)
    sd = model.state_dict()
    rows = ft.save(sd, tmp_path / "m.fftt", max_error=0.01)
    assert "head.weight" not in [r["name"] for r in rows]  # tied: stored once
    back = ft.load(tmp_path / "m.fftt", framework="torch")
    assert set(back) == set(sd)
    assert back["head.weight"] is back["embed.weight"]
    for name, t in sd.items():
        assert back[name].dtype == t.dtype and back[name].shape == t.shape, name
        if t.is_floating_point():
            assert rel_error(back[name].double().numpy(), t.double().numpy()) <= 0.0101, name
        else:
            assert torch.equal(back[name], t)
    fresh = Tied().to(dtype)
    fresh.load_state_dict(back)
    assert fresh.head.weight is fresh.embed.weight


def test_compress_torch():
    x = torch.sin(torch.linspace(0, 30, 4096)).reshape(64, 64)
    s = ft.compress(x, 0.01)
    y = ft.decompress(s, like=x)
    assert isinstance(y, torch.Tensor)
    assert rel_error(y.numpy(), x.numpy()) <= 0.0101
    pos, val = ft.top_k(x, 3)
    assert isinstance(pos, torch.Tensor) and pos.dtype == torch.int64
