"""Global filter, complex embeddings and the FNet / BERT encoder blocks
against numpy float64 references, on both backends; blocks loaded from
safetensors and from a lossless .fftt container."""

import math
import warnings

import numpy as np
import pytest

import fft_tensor as ft
from conftest import rel_error
from test_checkpoint import write_safetensors

F32 = 2e-5


def layer_norm(v, gamma, beta, eps):
    mean = v.mean(-1, keepdims=True)
    var = ((v - mean) ** 2).mean(-1, keepdims=True)
    return (v - mean) / np.sqrt(var + eps) * gamma + beta


def gelu_tanh(v):
    return 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3)))


def gelu_erf(v):
    from math import erf
    return 0.5 * v * (1 + np.vectorize(erf)(v / math.sqrt(2)))


def dense(v, w, name):
    return v @ w[name + ".weight"].astype(np.float64).T + w[name + ".bias"]


def feed_forward(h, w, p, gelu, eps):
    t = gelu(dense(h, w, p + "intermediate.dense"))
    o = dense(t, w, p + "output.dense")
    return layer_norm(o + h, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)


def weights(rng, prefix, hidden, inter, attention):
    w = {}

    def lin(name, i, o):
        w[prefix + name + ".weight"] = (rng.standard_normal((o, i)) / math.sqrt(i)).astype(np.float32)
        w[prefix + name + ".bias"] = (0.1 * rng.standard_normal(o)).astype(np.float32)

    def ln(name):
        w[prefix + name + ".weight"] = (1 + 0.1 * rng.standard_normal(hidden)).astype(np.float32)
        w[prefix + name + ".bias"] = (0.1 * rng.standard_normal(hidden)).astype(np.float32)

    if attention:
        for n in ("query", "key", "value"):
            lin("attention.self." + n, hidden, hidden)
        lin("attention.output.dense", hidden, hidden)
        ln("attention.output.LayerNorm")
    else:
        ln("fourier.output.LayerNorm")
    lin("intermediate.dense", hidden, inter)
    lin("output.dense", inter, hidden)
    ln("output.LayerNorm")
    return w


def test_global_filter_matches_numpy(backend, rng):
    for b, s, h in [(1, 1, 1), (2, 7, 3), (3, 16, 5), (1, 31, 8)]:
        x = rng.standard_normal((b, s, h)).astype(np.float32)
        w = (rng.standard_normal((s // 2 + 1, h)) + 1j * rng.standard_normal((s // 2 + 1, h)))
        want = np.fft.irfft(np.fft.rfft(x.astype(np.float64), axis=1) * w, n=s, axis=1)
        got = ft.layers.global_filter(x, w.astype(np.complex64))
        assert got.dtype == np.float32 and got.shape == x.shape
        assert rel_error(got, want) < F32, (b, s, h)


def test_global_filter_errors():
    x = np.zeros((2, 8, 3), np.float32)
    with pytest.raises(ValueError):
        ft.layers.global_filter(x, np.zeros((4, 3), np.complex64))  # needs 5 rows
    with pytest.raises(ValueError):
        ft.layers.global_filter(x, np.zeros((5, 2), np.complex64))  # hidden 3
    with pytest.raises(ValueError):
        ft.layers.global_filter(x[0], np.zeros((5, 3), np.complex64))
    assert ft.layers.global_filter(np.zeros((0, 8, 3), np.float32),
                                   np.zeros((5, 3), np.complex64)).shape == (0, 8, 3)


def test_embed_matches_indexing(backend, rng):
    table = (rng.standard_normal((11, 6)) + 1j * rng.standard_normal((11, 6))).astype(np.complex64)
    for ids in (np.array([0]), np.array([10, 3, 3, 0]), rng.integers(0, 11, (2, 5))):
        got = ft.layers.embed(table, ids)
        assert got.dtype == np.complex64
        np.testing.assert_array_equal(got, table[ids])
    assert ft.layers.embed(table, np.zeros((0,), np.int64)).shape == (0, 6)


def test_embed_errors():
    table = np.ones((4, 2), np.complex64)
    for bad in ([4], [-1], [0, 7]):
        with pytest.raises(ValueError, match="vocabulary"):
            ft.layers.embed(table, np.array(bad))
    with pytest.raises(TypeError):
        ft.layers.embed(table, np.array([0.5]))
    with pytest.raises(ValueError):
        ft.layers.embed(np.ones(4, np.complex64), np.array([0]))


@pytest.fixture
def fnet_file(tmp_path, rng):
    prefix, hidden, inter = "fnet.encoder.layer.0.", 8, 12
    w = weights(rng, prefix, hidden, inter, attention=False)
    path = tmp_path / "fnet.safetensors"
    write_safetensors(path, w)
    return path, prefix, hidden, inter, w


def fnet_reference(x, w, p, eps=1e-12):
    x = x.astype(np.float64)
    mix = np.fft.fft2(x, axes=(1, 2)).real
    h = layer_norm(mix + x, w[p + "fourier.output.LayerNorm.weight"],
                   w[p + "fourier.output.LayerNorm.bias"], eps)
    return feed_forward(h, w, p, gelu_tanh, eps)


def test_fnet_block_matches_numpy(backend, rng, fnet_file, tmp_path):
    path, prefix, hidden, inter, w = fnet_file
    block = ft.layers.FnetBlock.load(path, prefix, hidden, inter)
    assert (block.hidden, block.intermediate) == (hidden, inter)
    for b, s in [(1, 1), (2, 5), (1, 16)]:
        x = rng.standard_normal((b, s, hidden)).astype(np.float32)
        got = block(x)
        assert got.dtype == np.float32 and got.shape == x.shape
        assert rel_error(got, fnet_reference(x, w, prefix)) < 1e-4, (b, s)
    # The same weights from a lossless .fftt container give the same block.
    fftt = tmp_path / "fnet.fftt"
    ft.compress_file(path, fftt, codec="raw")
    x = rng.standard_normal((2, 6, hidden)).astype(np.float32)
    np.testing.assert_array_equal(ft.layers.FnetBlock.load(fftt, prefix, hidden, inter)(x),
                                  block(x))


def test_fnet_block_errors(fnet_file, tmp_path):
    path, prefix, hidden, inter, _ = fnet_file
    with pytest.raises(ValueError, match="no tensor"):
        ft.layers.FnetBlock.load(path, "other.", hidden, inter)
    with pytest.raises(ValueError):
        ft.layers.FnetBlock.load(path, prefix, hidden, inter + 1)
    with pytest.raises(OSError):
        ft.layers.FnetBlock.load(tmp_path / "missing.safetensors", prefix, hidden, inter)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    with pytest.raises(ft.CorruptFileError):
        ft.layers.FnetBlock.load(bad, prefix, hidden, inter)
    block = ft.layers.FnetBlock.load(path, prefix, hidden, inter)
    with pytest.raises(ValueError):
        block(np.zeros((2, 3, hidden + 1), np.float32))


def attention_reference(x, w, p, heads, mask, eps=1e-12):
    x = x.astype(np.float64)
    b, s, h = x.shape
    d = h // heads
    q, k, v = (dense(x, w, p + "attention.self." + n).reshape(b, s, heads, d)
               for n in ("query", "key", "value"))
    scores = np.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(d)
    if mask is not None:
        scores = np.where(mask[:, None, None, :], scores, -np.inf)
    scores -= scores.max(-1, keepdims=True)
    p_ = np.exp(scores)
    p_ /= p_.sum(-1, keepdims=True)
    a = np.einsum("bhqk,bkhd->bqhd", p_, v).reshape(b, s, h)
    o = dense(a, w, p + "attention.output.dense")
    hid = layer_norm(o + x, w[p + "attention.output.LayerNorm.weight"],
                     w[p + "attention.output.LayerNorm.bias"], eps)
    return feed_forward(hid, w, p, gelu_erf, eps)


def test_attention_block_matches_numpy(backend, rng, tmp_path):
    prefix, hidden, inter, heads = "bert.encoder.layer.3.", 8, 16, 2
    w = weights(rng, prefix, hidden, inter, attention=True)
    path = tmp_path / "bert.safetensors"
    write_safetensors(path, w)
    block = ft.layers.AttentionBlock.load(path, prefix, hidden, inter, heads)
    assert (block.hidden, block.intermediate, block.heads) == (hidden, inter, heads)
    for b, s in [(1, 1), (2, 7)]:
        x = rng.standard_normal((b, s, hidden)).astype(np.float32)
        got = block(x)
        assert rel_error(got, attention_reference(x, w, prefix, heads, None)) < 1e-4
        mask = np.ones((b, s), bool)
        mask[:, s // 2:] = False
        mask[:, 0] = True
        got = block(x, key_mask=mask)
        assert rel_error(got, attention_reference(x, w, prefix, heads, mask)) < 1e-4
    with pytest.raises(ValueError):
        block(x, key_mask=np.ones((b, s + 1), bool))
    with pytest.raises(ValueError):
        ft.layers.AttentionBlock.load(path, prefix, hidden, inter, 3)(x)


def test_global_filter_and_embed_take_torch_tensors(rng):
    torch = pytest.importorskip("torch")
    x = torch.randn(2, 6, 3)
    w = np.ones((4, 3), np.complex64)
    y = ft.layers.global_filter(x, w)
    assert isinstance(y, torch.Tensor)
    np.testing.assert_allclose(y.numpy(), x.numpy(), rtol=1e-5, atol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = ft.layers.embed(torch.ones(3, 2, dtype=torch.complex64), torch.tensor([2, 0]))
    assert isinstance(t, torch.Tensor) and t.shape == (2, 2)
