//! A small synthetic checkpoint for demonstrations and tests: a smooth 2-D
//! field, a position-embedding-like table (smooth along positions, with a
//! little noise), heavy-tailed random "weights" in f32 and bf16, a bias,
//! and integer tensors. Deterministic for a given seed.

use std::path::Path;

use safetensors::Dtype as SafetensorsDtype;

use super::dtype;
use super::safetensors_io::{write, OutTensor};
use crate::error::Result;

struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Student-t with 5 degrees of freedom, scaled to unit variance: the
    /// heavy tails of trained weight matrices.
    fn student5(&mut self) -> f64 {
        let chi2: f64 = (0..5).map(|_| self.normal().powi(2)).sum();
        self.normal() / (chi2 / 5.0).sqrt() / (5.0f64 / 3.0).sqrt()
    }
}

/// The tensors of the example: `(name, dtype, shape, values)`.
pub fn example_tensors(seed: u64) -> Vec<(String, SafetensorsDtype, Vec<usize>, Vec<f32>)> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = Vec::new();

    // A smooth field, e.g. a temperature anomaly map from a simulation.
    let (r, c) = (256, 256);
    let mut field = Vec::with_capacity(r * c);
    for i in 0..r {
        for j in 0..c {
            let (x, y) = (i as f64 / r as f64, j as f64 / c as f64);
            let v = 15.0 * (std::f64::consts::PI * x).sin() * (2.0 * y).cos()
                + 4.0 * ((3.0 * x + 1.5 * y) * std::f64::consts::PI).sin()
                + 2.0 * (-((x - 0.3).powi(2) + (y - 0.6).powi(2)) * 30.0).exp();
            field.push(v as f32);
        }
    }
    out.push((
        "field.temperature".into(),
        SafetensorsDtype::F32,
        vec![r, c],
        field,
    ));

    // Position embeddings: each channel a smooth function of the position.
    let (seq, dim) = (512, 128);
    let channels: Vec<(f64, f64, f64)> = (0..dim)
        .map(|_| {
            (
                0.2 + 6.0 * rng.uniform(),
                std::f64::consts::TAU * rng.uniform(),
                0.5 + rng.uniform(),
            )
        })
        .collect();
    let mut pos = Vec::with_capacity(seq * dim);
    for p in 0..seq {
        let t = p as f64 / seq as f64;
        for &(f, ph, a) in &channels {
            pos.push(
                (0.05 * a * (std::f64::consts::TAU * f * t + ph).sin() + 0.0002 * rng.normal())
                    as f32,
            );
        }
    }
    out.push((
        "embed.positions".into(),
        SafetensorsDtype::F32,
        vec![seq, dim],
        pos,
    ));

    // Weight matrices: heavy-tailed, per-row scales differ.
    for (name, rows, cols) in [
        ("layers.0.attn.qkv.weight", 384, 512),
        ("layers.0.mlp.up.weight", 1024, 512),
    ] {
        let mut w = Vec::with_capacity(rows * cols);
        for _ in 0..rows {
            let s = 0.02 * (0.6 + 0.8 * rng.uniform());
            for _ in 0..cols {
                w.push((s * rng.student5()) as f32);
            }
        }
        out.push((name.into(), SafetensorsDtype::F32, vec![rows, cols], w));
    }
    let mut w = Vec::with_capacity(512 * 256);
    for _ in 0..512 * 256 {
        w.push((0.02 * rng.student5()) as f32);
    }
    out.push((
        "layers.0.mlp.down.weight".into(),
        SafetensorsDtype::BF16,
        vec![256, 512],
        w,
    ));
    let bias: Vec<f32> = (0..1024).map(|_| (0.01 * rng.normal()) as f32).collect();
    out.push((
        "layers.0.mlp.up.bias".into(),
        SafetensorsDtype::F32,
        vec![1024],
        bias,
    ));

    // Integer tensors, kept exact.
    let ids: Vec<f32> = (0..64).map(|i| ((i * 7919) % 32000) as f32).collect();
    out.push((
        "tokenizer.special_ids".into(),
        SafetensorsDtype::I64,
        vec![64],
        ids,
    ));
    out.push(("step".into(), SafetensorsDtype::I32, vec![], vec![12000.0]));
    out
}

/// One weight matrix of `rows x cols` like a trained layer's: heavy-tailed
/// values, each row with its own scale around `scale`.
fn weight_matrix(rng: &mut Rng, rows: usize, cols: usize, scale: f64) -> Vec<f32> {
    let mut w = Vec::with_capacity(rows * cols);
    for _ in 0..rows {
        let s = scale * (0.6 + 0.8 * rng.uniform());
        for _ in 0..cols {
            w.push((s * rng.student5()) as f32);
        }
    }
    w
}

/// The names, shapes and scales of a transformer block's tensors with
/// model width `dim`: attention (query/key/value, output), MLP (up, down,
/// 4x wide) and their norms and biases.
fn layer_layout(l: usize, dim: usize) -> Vec<(String, Vec<usize>, f64)> {
    let p = |s: &str| format!("model.layers.{l}.{s}");
    vec![
        (p("attn.qkv.weight"), vec![3 * dim, dim], 0.02),
        (p("attn.qkv.bias"), vec![3 * dim], 0.01),
        (p("attn.out.weight"), vec![dim, dim], 0.02),
        (p("norm1.weight"), vec![dim], 0.0),
        (p("mlp.up.weight"), vec![4 * dim, dim], 0.02),
        (p("mlp.up.bias"), vec![4 * dim], 0.01),
        (p("mlp.down.weight"), vec![dim, 4 * dim], 0.01),
        (p("norm2.weight"), vec![dim], 0.0),
    ]
}

/// Writes a larger checkpoint: the example's tensors, then `layers`
/// transformer blocks of width `dim` in f32 (about `48 dim^2` bytes per
/// block: `layers = 9, dim = 512` makes some 115 MB). Each tensor is
/// generated as it is written, from its own seed.
///
/// # Errors
/// [`crate::Error::Io`] when the file cannot be written.
pub fn write_model_checkpoint(path: &Path, seed: u64, layers: usize, dim: usize) -> Result<()> {
    let base = example_tensors(seed);
    let mut outs: Vec<OutTensor> = base
        .iter()
        .map(|(name, dtype, shape, _)| OutTensor {
            name: name.clone(),
            dtype: *dtype,
            shape: shape.clone(),
        })
        .collect();
    let mut layout = Vec::new();
    for l in 0..layers {
        for (name, shape, scale) in layer_layout(l, dim) {
            outs.push(OutTensor {
                name,
                dtype: SafetensorsDtype::F32,
                shape: shape.clone(),
            });
            layout.push((shape, scale));
        }
    }
    let metadata = vec![("format".to_string(), "pt".to_string())];
    write(path, &outs, &metadata, |i| {
        if let Some((_, dt, _, v)) = base.get(i) {
            return Ok(match dt {
                SafetensorsDtype::I64 => v.iter().flat_map(|&x| (x as i64).to_le_bytes()).collect(),
                SafetensorsDtype::I32 => v.iter().flat_map(|&x| (x as i32).to_le_bytes()).collect(),
                other => dtype::from_f32(*other, v),
            });
        }
        let k = i - base.len();
        let (shape, scale) = &layout[k];
        let mut rng = Rng((seed ^ (k as u64 + 1).wrapping_mul(0xD6E8_FEB8_6659_FD93)) | 1);
        let v = match shape[..] {
            [rows, cols] => weight_matrix(&mut rng, rows, cols, *scale),
            // Norm weights near 1, biases near 0.
            [n] if *scale == 0.0 => (0..n).map(|_| (1.0 + 0.05 * rng.normal()) as f32).collect(),
            [n] => (0..n).map(|_| (scale * rng.normal()) as f32).collect(),
            _ => unreachable!("layers hold matrices and vectors"),
        };
        Ok(dtype::from_f32(SafetensorsDtype::F32, &v))
    })
}

/// Writes the example checkpoint as safetensors.
///
/// # Errors
/// [`crate::Error::Io`] when the file cannot be written.
pub fn write_example_checkpoint(path: &Path, seed: u64) -> Result<()> {
    write_model_checkpoint(path, seed, 0, 0)
}
