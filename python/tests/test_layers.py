"""fft_tensor.layers against numpy/scipy float64 references, on both backends."""

import math

import numpy as np
import pytest
from scipy import signal, special

from conftest import rel_error
from fft_tensor import layers

TOL = 1e-5


def random(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def f64(a):
    return np.asarray(a, np.float64)


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (2, 5, 64), (4, 130)])
@pytest.mark.parametrize("residual", [False, True])
def test_layer_norm(backend, rng, shape, residual):
    x, g, b = random(rng, *shape) * 100, random(rng, shape[-1]), random(rng, shape[-1])
    r = random(rng, *shape) if residual else None
    v = f64(x) + (0 if r is None else f64(r))
    mean = v.mean(-1, keepdims=True)
    var = ((v - mean) ** 2).mean(-1, keepdims=True)
    want = (v - mean) / np.sqrt(var + 1e-5) * f64(g) + f64(b)
    got = layers.layer_norm(x, g, b, 1e-5, residual=r)
    assert got.dtype == np.float32
    assert rel_error(got, want) < TOL


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("bias", [False, True])
def test_gelu(backend, rng, approximate, bias):
    x = random(rng, 3, 17) * 4
    b = random(rng, 17) if bias else None
    v = f64(x) + (0 if b is None else f64(b))
    if approximate == "none":
        want = 0.5 * v * (1 + special.erf(v / math.sqrt(2)))
    else:
        want = 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3)))
    assert rel_error(layers.gelu(x, approximate, bias=b), want) < TOL


def test_gelu_rejects_unknown_form(backend):
    with pytest.raises(ValueError):
        layers.gelu(np.zeros((2, 2), np.float32), "sigmoid")


@pytest.mark.parametrize("shape", [(1, 1, 1), (2, 7, 5), (1, 16, 12)])
def test_fnet_mixing(backend, rng, shape):
    x = random(rng, *shape)
    want = np.fft.fft2(f64(x), axes=(1, 2)).real
    assert rel_error(layers.fnet_mixing(x), want) < 1e-5


def attention_reference(q, k, v, heads, causal, mask):
    b, sq, hidden = q.shape
    sk = k.shape[1]
    d = hidden // heads
    out = np.zeros((b, sq, hidden))
    for n in range(b):
        for h in range(heads):
            cols = slice(h * d, (h + 1) * d)
            s = f64(q[n, :, cols]) @ f64(k[n, :, cols]).T / math.sqrt(d)
            seen = np.ones((sq, sk), bool)
            if causal:
                seen &= np.arange(sk)[None, :] <= np.arange(sq)[:, None] + (sk - sq)
            if mask is not None:
                seen &= mask[n][None, :]
            s = np.where(seen, s, -np.inf)
            top = np.max(s, axis=1, keepdims=True)
            e = np.where(seen, np.exp(s - np.where(np.isfinite(top), top, 0)), 0)
            total = e.sum(1, keepdims=True)
            p = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
            out[n, :, cols] = p @ f64(v[n, :, cols])
    return out


@pytest.mark.parametrize("b,sq,sk,heads,d", [(1, 1, 1, 1, 1), (2, 5, 7, 2, 4), (1, 33, 33, 3, 8)])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_attention(backend, rng, b, sq, sk, heads, d, causal, masked):
    q, k, v = random(rng, b, sq, heads * d), random(rng, b, sk, heads * d), random(rng, b, sk, heads * d)
    mask = rng.random((b, sk)) < 0.7 if masked else None
    want = attention_reference(q, k, v, heads, causal, mask)
    got = layers.attention(q, k, v, heads=heads, causal=causal, key_mask=mask)
    assert rel_error(got, want) < 1e-5


def test_attention_causal_needs_keys(backend, rng):
    with pytest.raises(ValueError):
        layers.attention(random(rng, 1, 4, 2), random(rng, 1, 3, 2), random(rng, 1, 3, 2), causal=True)


def conv_reference(x, w, b, mode, correlate, groups):
    """scipy.signal per output channel, summed over its group's inputs."""
    n, cin = x.shape[:2]
    cout, cig = w.shape[:2]
    per = cout // groups
    op = signal.correlate if correlate else signal.convolve
    outs = []
    for i in range(n):
        chans = []
        for o in range(cout):
            g = o // per
            acc = sum(op(f64(x[i, g * cig + c]), f64(w[o, c]), mode=mode, method="direct")
                      for c in range(cig))
            chans.append(acc + (0 if b is None else b[o]))
        outs.append(chans)
    return np.array(outs)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("correlate", [False, True])
@pytest.mark.parametrize("groups", [1, 2])
def test_conv1d_fft(backend, rng, mode, correlate, groups):
    x, w, b = random(rng, 2, 4, 13), random(rng, 6, 4 // groups, 5), random(rng, 6)
    got = layers.conv1d_fft(x, w, b, mode=mode, correlate=correlate, groups=groups)
    assert rel_error(got, conv_reference(x, w, b, mode, correlate, groups)) < TOL


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("correlate", [False, True])
def test_conv2d_fft(backend, rng, mode, correlate):
    x, w = random(rng, 1, 3, 11, 7), random(rng, 2, 3, 3, 4)
    got = layers.conv2d_fft(x, w, mode=mode, correlate=correlate)
    assert rel_error(got, conv_reference(x, w, None, mode, correlate, 1)) < TOL


@pytest.mark.parametrize("kh,kw", [(3, 3), (4, 2), (1, 5)])
@pytest.mark.parametrize("correlate", [False, True])
def test_conv2d_fft_wrap(backend, rng, kh, kw, correlate):
    x, w = random(rng, 1, 1, 9, 8), random(rng, 1, 1, kh, kw)
    op = signal.correlate2d if correlate else signal.convolve2d
    want = op(f64(x[0, 0]), f64(w[0, 0]), mode="same", boundary="wrap")
    got = layers.conv2d_fft(x, w, mode="same", boundary="wrap", correlate=correlate)
    assert rel_error(got[0, 0], want) < TOL


def test_conv_rejects_unknown_mode(backend, rng):
    with pytest.raises(ValueError):
        layers.conv1d_fft(random(rng, 1, 1, 5), random(rng, 1, 1, 2), mode="wide")


def torch_conv2d_reference(x, w, b, stride, padding, dilation, groups):
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    cout, cig, kh, kw = w.shape
    wd = np.zeros((cout, cig, (kh - 1) * dh + 1, (kw - 1) * dw + 1))
    wd[:, :, ::dh, ::dw] = w
    xp = np.pad(f64(x), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    full = conv_reference(xp, wd, b, "valid", True, groups)
    return full[:, :, ::sh, ::sw]


@pytest.mark.parametrize("algorithm", ["direct", "fft", "auto"])
@pytest.mark.parametrize("stride,padding,dilation,groups", [
    (1, 0, 1, 1), (1, 1, 1, 2), (2, (1, 2), 1, 1), (1, 1, 2, 1)])
def test_conv2d(backend, rng, algorithm, stride, padding, dilation, groups):
    pair = lambda v: v if isinstance(v, tuple) else (v, v)
    if algorithm == "fft" and (stride != 1 or dilation != 1):
        pytest.skip("the FFT path takes stride and dilation 1 only")
    x, w, b = random(rng, 2, 4, 9, 8), random(rng, 4, 4 // groups, 3, 3), random(rng, 4)
    want = torch_conv2d_reference(x, w, b, pair(stride), pair(padding), pair(dilation), groups)
    got = layers.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation,
                        groups=groups, algorithm=algorithm)
    assert rel_error(got, want) < TOL


def test_conv2d_fft_refuses_stride(backend, rng):
    with pytest.raises(ValueError):
        layers.conv2d(random(rng, 1, 1, 6, 6), random(rng, 1, 1, 3, 3), stride=2, algorithm="fft")


@pytest.mark.parametrize("b,s,heads,d,offset", [(1, 1, 1, 2, 0), (2, 7, 2, 8, 0), (1, 5, 3, 4, 11)])
def test_rope(backend, rng, b, s, heads, d, offset):
    x = random(rng, b, s, heads * d)
    z = f64(x[..., 0::2]) + 1j * f64(x[..., 1::2])
    k = np.tile(np.arange(d // 2), heads)
    angle = (offset + np.arange(s))[:, None] * 10000.0 ** (-2 * k / d)[None, :]
    r = z * np.exp(1j * angle)
    want = np.empty(x.shape)
    want[..., 0::2], want[..., 1::2] = r.real, r.imag
    assert rel_error(layers.rope(x, heads=heads, offset=offset), want) < TOL


def test_rope_rejects_odd_heads(backend, rng):
    with pytest.raises(ValueError):
        layers.rope(random(rng, 1, 2, 6), heads=2)


@pytest.mark.parametrize("shape", [(0, 4), (2, 0, 4), (1, 3, 0)])
def test_elementwise_layers_keep_empty_shapes(backend, shape):
    x = np.zeros(shape, np.float32)
    h = shape[-1]
    assert layers.layer_norm(x, np.ones(h, np.float32), np.zeros(h, np.float32)).shape == shape
    assert layers.gelu(x).shape == shape
    if len(shape) == 3:
        assert layers.fnet_mixing(x).shape == shape
        assert layers.rope(x).shape == shape


def test_layer_norm_rejects_wrong_gamma(backend, rng):
    with pytest.raises(ValueError):
        layers.layer_norm(random(rng, 2, 3), random(rng, 2), random(rng, 2))


def test_layer_norm_large_scale(backend, rng):
    x = random(rng, 3, 33) * 1e30
    g, b = np.ones(33, np.float32), np.zeros(33, np.float32)
    v = f64(x)
    want = (v - v.mean(-1, keepdims=True)) / v.std(-1, keepdims=True)
    assert rel_error(layers.layer_norm(x, g, b), want) < TOL
