//! Naive f64 references of the layers, written from their definitions
//! (direct sums, no FFTs, no tiling), for tests and examples.

use rustfft::num_complex::Complex64;

/// Layer norm of `[rows, hidden]` values (`x + residual` when given) in f64.
pub fn layer_norm_f64(
    x: &[f64],
    residual: Option<&[f64]>,
    gamma: &[f64],
    beta: &[f64],
    eps: f64,
) -> Vec<f64> {
    let hidden = gamma.len();
    let mut out = Vec::with_capacity(x.len());
    for (row, chunk) in x.chunks(hidden).enumerate() {
        let v: Vec<f64> = chunk
            .iter()
            .enumerate()
            .map(|(h, &a)| a + residual.map_or(0.0, |r| r[row * hidden + h]))
            .collect();
        let mean = v.iter().sum::<f64>() / hidden as f64;
        let var = v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / hidden as f64;
        let inv = 1.0 / (var + eps).sqrt();
        out.extend(
            v.iter()
                .enumerate()
                .map(|(h, a)| (a - mean) * inv * gamma[h] + beta[h]),
        );
    }
    out
}

/// `exp(-2 pi i k / n)` in f64.
pub fn root_of_unity(k: usize, n: usize) -> Complex64 {
    let t = -2.0 * std::f64::consts::PI * (k % n) as f64 / n as f64;
    Complex64::new(t.cos(), t.sin())
}

/// The naive DFT of each line of `data` viewed as `(outer, n, inner)`
/// along its middle axis, in place (`inverse` uses `exp(+...)`, unscaled).
pub fn dft_axis_f64(
    data: &mut [Complex64],
    (outer, n, inner): (usize, usize, usize),
    inverse: bool,
) {
    let mut line = vec![Complex64::new(0.0, 0.0); n];
    for o in 0..outer {
        for i in 0..inner {
            let at = |k: usize| (o * n + k) * inner + i;
            for (k, out) in line.iter_mut().enumerate() {
                *out = (0..n)
                    .map(|j| {
                        let w = root_of_unity(j * k % n, n);
                        data[at(j)] * if inverse { w.conj() } else { w }
                    })
                    .sum();
            }
            for (k, v) in line.iter().enumerate() {
                data[at(k)] = *v;
            }
        }
    }
}

/// FNet mixing in f64: `Re(DFT2(x))` over the last two axes of `[b, s, h]`.
pub fn fnet_mixing_f64(x: &[f64], (b, s, h): (usize, usize, usize)) -> Vec<f64> {
    let mut z: Vec<Complex64> = x.iter().map(|&v| Complex64::new(v, 0.0)).collect();
    dft_axis_f64(&mut z, (b * s, h, 1), false);
    dft_axis_f64(&mut z, (b, s, h), false);
    z.iter().map(|c| c.re).collect()
}

/// The global filter in f64 by its definition: per channel the DFT along
/// the sequence of `[b, s, h]`, times `w` (`[s/2 + 1, h]`), then numpy's
/// `irfft` written as a sum (real parts at 0 and `s/2`, twice the real
/// part of the rest, divided by `s`).
pub fn global_filter_f64(x: &[f64], w: &[Complex64], (b, s, h): (usize, usize, usize)) -> Vec<f64> {
    let mut z: Vec<Complex64> = x.iter().map(|&v| Complex64::new(v, 0.0)).collect();
    dft_axis_f64(&mut z, (b, s, h), false);
    let half = s / 2 + 1;
    let mut y = vec![0.0; x.len()];
    for bi in 0..b {
        for hi in 0..h {
            for n in 0..s {
                let mut acc = 0.0;
                for k in 0..half {
                    let v = z[(bi * s + k) * h + hi]
                        * w[k * h + hi]
                        * root_of_unity(k * n % s, s).conj();
                    let edge = k == 0 || (s % 2 == 0 && k == s / 2);
                    acc += if edge { v.re } else { 2.0 * v.re };
                }
                y[(bi * s + n) * h + hi] = acc / s as f64;
            }
        }
    }
    y
}

/// Softmax attention in f64 by its definition (the whole score row, max
/// subtracted): `q` `[b, sq, heads * d]`, `k`/`v` `[b, sk, heads * d]`;
/// `visible(b, i, j)` says whether query `i` of batch `b` sees key `j`.
/// Rows that see no key are zero.
#[allow(clippy::too_many_arguments)]
pub fn attention_f64(
    q: &[f64],
    k: &[f64],
    v: &[f64],
    (b, sq, sk, heads, d): (usize, usize, usize, usize, usize),
    scale: f64,
    visible: impl Fn(usize, usize, usize) -> bool,
) -> Vec<f64> {
    let hidden = heads * d;
    let mut out = vec![0.0; b * sq * hidden];
    for bi in 0..b {
        for i in 0..sq {
            for h in 0..heads {
                let qi = &q[(bi * sq + i) * hidden + h * d..][..d];
                let scores: Vec<Option<f64>> = (0..sk)
                    .map(|j| {
                        visible(bi, i, j).then(|| {
                            let kj = &k[(bi * sk + j) * hidden + h * d..][..d];
                            qi.iter().zip(kj).map(|(a, c)| a * c).sum::<f64>() * scale
                        })
                    })
                    .collect();
                let m = scores
                    .iter()
                    .flatten()
                    .fold(f64::NEG_INFINITY, |a, &s| a.max(s));
                if m == f64::NEG_INFINITY {
                    continue;
                }
                let l: f64 = scores.iter().flatten().map(|s| (s - m).exp()).sum();
                for (j, s) in scores.iter().enumerate() {
                    if let Some(s) = s {
                        let p = (s - m).exp() / l;
                        for c in 0..d {
                            out[(bi * sq + i) * hidden + h * d + c] +=
                                p * v[(bi * sk + j) * hidden + h * d + c];
                        }
                    }
                }
            }
        }
    }
    out
}

/// Sizes for the convolution references: `(n, cin, h, w, cout, kh, kw, groups)`.
pub type ConvDims = (usize, usize, usize, usize, usize, usize, usize, usize);

/// PyTorch's conv2d (cross-correlation) in f64 by its definition.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_f64(
    x: &[f64],
    w: &[f64],
    bias: Option<&[f64]>,
    (n, cin, h, wd, cout, kh, kw, groups): ConvDims,
    stride: (usize, usize),
    pad: (usize, usize),
    dil: (usize, usize),
) -> (Vec<f64>, usize, usize) {
    let oh = (h + 2 * pad.0 - dil.0 * (kh - 1) - 1) / stride.0 + 1;
    let ow = (wd + 2 * pad.1 - dil.1 * (kw - 1) - 1) / stride.1 + 1;
    let cig = cin / groups;
    let mut y = vec![0.0; n * cout * oh * ow];
    for b in 0..n {
        for co in 0..cout {
            let g = co / (cout / groups);
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut acc = bias.map_or(0.0, |b| b[co]);
                    for ci in 0..cig {
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let iy = (oy * stride.0 + ky * dil.0) as isize - pad.0 as isize;
                                let ix = (ox * stride.1 + kx * dil.1) as isize - pad.1 as isize;
                                if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < wd {
                                    acc += x[((b * cin + g * cig + ci) * h + iy as usize) * wd
                                        + ix as usize]
                                        * w[((co * cig + ci) * kh + ky) * kw + kx];
                                }
                            }
                        }
                    }
                    y[((b * cout + co) * oh + oy) * ow + ox] = acc;
                }
            }
        }
    }
    (y, oh, ow)
}

/// Linear or circular 2-D convolution (or correlation) in f64 by its sums:
/// linear `full[t] = sum_k x[t - k] w[k]` (correlation: the filter flipped)
/// cropped to `[oy0, oy0 + oh) x [ox0, ox0 + ow)`; circular (`oh = h`,
/// `ow = w`) `y[i] = sum_k x[(i -+ k) mod h] w[k]`.
#[allow(clippy::too_many_arguments)]
pub fn conv_f64(
    x: &[f64],
    w: &[f64],
    (n, cin, h, wd, cout, kh, kw, groups): ConvDims,
    circular: bool,
    correlate: bool,
    (oy0, ox0, oh, ow): (usize, usize, usize, usize),
) -> Vec<f64> {
    let cig = cin / groups;
    let mut y = vec![0.0; n * cout * oh * ow];
    for b in 0..n {
        for co in 0..cout {
            let g = co / (cout / groups);
            for oy in 0..oh {
                for ox in 0..ow {
                    let (ty, tx) = ((oy + oy0) as isize, (ox + ox0) as isize);
                    let mut acc = 0.0;
                    for ci in 0..cig {
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let wv = if correlate && !circular {
                                    w[((co * cig + ci) * kh + kh - 1 - ky) * kw + kw - 1 - kx]
                                } else {
                                    w[((co * cig + ci) * kh + ky) * kw + kx]
                                };
                                let (mut iy, mut ix) = if circular && correlate {
                                    (ty + ky as isize, tx + kx as isize)
                                } else {
                                    (ty - ky as isize, tx - kx as isize)
                                };
                                if circular {
                                    iy = iy.rem_euclid(h as isize);
                                    ix = ix.rem_euclid(wd as isize);
                                } else if iy < 0 || ix < 0 || iy as usize >= h || ix as usize >= wd
                                {
                                    continue;
                                }
                                acc += x[((b * cin + g * cig + ci) * h + iy as usize) * wd
                                    + ix as usize]
                                    * wv;
                            }
                        }
                    }
                    y[((b * cout + co) * oh + oy) * ow + ox] = acc;
                }
            }
        }
    }
    y
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

/// A dense layer `x W^T + b` in f64 (`inputs` columns of `x`).
pub fn dense_f64(x: &[f64], d: &crate::layers::blocks::Dense) -> Vec<f64> {
    let (inputs, outputs) = (d.inputs, d.outputs);
    x.chunks(inputs)
        .flat_map(|row| {
            (0..outputs).map(move |o| {
                row.iter()
                    .zip(&d.weight[o * inputs..][..inputs])
                    .map(|(a, &c)| a * f64::from(c))
                    .sum::<f64>()
                    + f64::from(d.bias[o])
            })
        })
        .collect()
}

fn norm_f64(x: &[f64], residual: &[f64], n: &crate::layers::blocks::Norm) -> Vec<f64> {
    layer_norm_f64(
        x,
        Some(residual),
        &f64s(&n.gamma),
        &f64s(&n.beta),
        f64::from(n.eps),
    )
}

/// The feed-forward half of a block in f64.
pub fn feed_forward_f64(h: &[f64], ff: &crate::layers::blocks::FeedForward) -> Vec<f64> {
    let t = dense_f64(h, &ff.intermediate);
    let g: Vec<f64> = t.iter().map(|&v| ff.gelu.apply_f64(v)).collect();
    norm_f64(&dense_f64(&g, &ff.output), h, &ff.norm)
}

/// An FNet block in f64 on `[b, s, h]`.
pub fn fnet_block_f64(
    block: &crate::layers::blocks::FnetBlock,
    x: &[f64],
    dims: (usize, usize, usize),
) -> Vec<f64> {
    let mix = fnet_mixing_f64(x, dims);
    feed_forward_f64(&norm_f64(&mix, x, &block.mixing_norm), &block.ff)
}

/// A BERT-style attention block in f64 on `[b, s, h]` with an optional key mask.
pub fn attention_block_f64(
    block: &crate::layers::blocks::AttentionBlock,
    x: &[f64],
    (b, s, h): (usize, usize, usize),
    key_mask: Option<&[bool]>,
) -> Vec<f64> {
    let (q, k, v) = (
        dense_f64(x, &block.query),
        dense_f64(x, &block.key),
        dense_f64(x, &block.value),
    );
    let d = h / block.heads;
    let a = attention_f64(
        &q,
        &k,
        &v,
        (b, s, s, block.heads, d),
        1.0 / (d as f64).sqrt(),
        |bi, _, j| key_mask.is_none_or(|m| m[bi * s + j]),
    );
    let o = dense_f64(&a, &block.attention_output);
    feed_forward_f64(&norm_f64(&o, x, &block.attention_norm), &block.ff)
}
