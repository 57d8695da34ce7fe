//! Scaled dot-product softmax attention, the baseline the FFT mixing
//! layers are compared with: `softmax(q k^T * scale + masks) v` per head,
//! with an online (running max and sum) softmax over tiles of keys, so no
//! score matrix larger than one tile of a workgroup's keys is ever stored:
//! memory is O(sequence), and 8192 tokens need nothing the binding limit
//! forbids.
//!
//! Layout as a transformer's projections produce it: `q` `[batch, sq,
//! hidden]`, `k` and `v` `[batch, sk, hidden]`, with `hidden = heads *
//! head_dim` and head `h` in columns `h * head_dim ..`. Head dimensions up
//! to [`MAX_HEAD_DIM`] run on the GPU.
//!
//! ```no_run
//! use fft_tensor::{Context, Tensor};
//! use fft_tensor::layers::attention::AttentionOptions;
//!
//! let ctx = Context::from_env()?;
//! let x = Tensor::new(&[1, 10, 64], vec![0.1f32; 640])?;
//! let options = AttentionOptions { heads: 4, causal: true, ..Default::default() };
//! let y = ctx.attention(&x, &x, &x, None, &options)?;
//! # Ok::<(), fft_tensor::Error>(())
//! ```

use rayon::prelude::*;

use crate::backend::{BufferSlice, Context, Groups, Recording};
use crate::error::{Error, Result};
use crate::layers::{as_u32, check_slice, run_gpu};
use crate::shaders::{self, kernel_params};
use crate::tensor::Tensor;

/// Largest head dimension of the GPU kernel (registers per query row).
pub const MAX_HEAD_DIM: usize = 128;
/// Query rows per workgroup.
const QUERY_ROWS: u32 = 64;
/// Largest key tile (the kernel's register array of scores).
const MAX_KEY_TILE: usize = 64;

/// How attention is computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttentionOptions {
    /// Heads (`hidden` must be a multiple).
    pub heads: usize,
    /// Causal mask: query `i` sees keys `j <= i + (sk - sq)` (needs `sk >= sq`).
    pub causal: bool,
    /// Score scale; `None` is `1 / sqrt(head_dim)`.
    pub scale: Option<f32>,
}

impl Default for AttentionOptions {
    fn default() -> Self {
        AttentionOptions {
            heads: 1,
            causal: false,
            scale: None,
        }
    }
}

/// Sizes of one attention call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttentionShape {
    /// Batch.
    pub batch: usize,
    /// Query rows.
    pub sq: usize,
    /// Key (and value) rows.
    pub sk: usize,
    /// Heads.
    pub heads: usize,
    /// Values per head.
    pub head_dim: usize,
}

impl AttentionShape {
    fn check(&self, causal: bool) -> Result<()> {
        if self.heads == 0 || self.head_dim == 0 {
            return Err(Error::invalid(
                "heads",
                "heads and head_dim must be at least 1",
            ));
        }
        if causal && self.sk < self.sq {
            return Err(Error::invalid(
                "causal",
                format!(
                    "a causal mask needs sk >= sq, got sk {} sq {}",
                    self.sk, self.sq
                ),
            ));
        }
        Ok(())
    }

    fn hidden(&self) -> usize {
        self.heads * self.head_dim
    }
}

kernel_params! {
/// Uniforms of `attention.wgsl`.
struct AttentionParams {
    batch: u32,
    heads: u32,
    sq: u32,
    sk: u32,
    d: u32,
    q_tiles: u32,
    flags: u32,
    scale: f32,
    groups_x: u32,
    causal_offset: u32,
    k_begin: u32,
    k_end: u32,
}
}

fn shape_of(
    q: &Tensor<f32>,
    k: &Tensor<f32>,
    v: &Tensor<f32>,
    heads: usize,
) -> Result<AttentionShape> {
    let (&[b, sq, hq], &[bk, sk, hk]) = (q.shape(), k.shape()) else {
        return Err(Error::shape(
            "attention q, k",
            "[batch, seq, hidden]",
            format!("{:?}, {:?}", q.shape(), k.shape()),
        ));
    };
    if bk != b || hk != hq || v.shape() != k.shape() {
        return Err(Error::shape(
            "attention k, v",
            format!("[{b}, sk, {hq}] for both"),
            format!("{:?}, {:?}", k.shape(), v.shape()),
        ));
    }
    if heads == 0 || hq % heads != 0 {
        return Err(Error::invalid(
            "heads",
            format!("{heads} heads do not divide hidden {hq}"),
        ));
    }
    Ok(AttentionShape {
        batch: b,
        sq,
        sk,
        heads,
        head_dim: hq / heads,
    })
}

fn scale_of(options: &AttentionOptions, head_dim: usize) -> Result<f32> {
    let s = options.scale.unwrap_or(1.0 / (head_dim as f32).sqrt());
    if !s.is_finite() {
        return Err(Error::invalid("scale", format!("{s} is not finite")));
    }
    Ok(s)
}

/// The CPU twin: one row of scores at a time (length `sk`, never a
/// matrix), max-subtracted softmax with f64 sums.
pub fn attention_cpu(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    key_mask: Option<&[bool]>,
    shape: AttentionShape,
    causal: bool,
    scale: f32,
) -> Vec<f32> {
    let AttentionShape {
        batch: _,
        sq,
        sk,
        heads,
        head_dim: d,
    } = shape;
    let hidden = shape.hidden();
    let mut out = vec![0.0f32; q.len()];
    out.par_chunks_mut(hidden).enumerate().for_each(|(row, o)| {
        let (b, i) = (row / sq, row % sq);
        let mut scores = vec![f32::NEG_INFINITY; sk];
        for h in 0..heads {
            let qi = &q[row * hidden + h * d..][..d];
            let mut m = f32::NEG_INFINITY;
            for (j, s) in scores.iter_mut().enumerate() {
                let hidden_key =
                    (causal && j > i + (sk - sq)) || key_mask.is_some_and(|mask| !mask[b * sk + j]);
                *s = if hidden_key {
                    f32::NEG_INFINITY
                } else {
                    let kj = &k[(b * sk + j) * hidden + h * d..][..d];
                    qi.iter().zip(kj).map(|(a, c)| a * c).sum::<f32>() * scale
                };
                m = m.max(*s);
            }
            let oh = &mut o[h * d..][..d];
            if m == f32::NEG_INFINITY {
                continue; // no key visible: zeros
            }
            let mut acc = vec![0.0f64; d];
            let mut l = 0.0f64;
            for (j, &s) in scores.iter().enumerate() {
                if s == f32::NEG_INFINITY {
                    continue;
                }
                let p = f64::from((s - m).exp());
                l += p;
                let vj = &v[(b * sk + j) * hidden + h * d..][..d];
                for (a, &x) in acc.iter_mut().zip(vj) {
                    *a += p * f64::from(x);
                }
            }
            for (x, a) in oh.iter_mut().zip(&acc) {
                *x = (a / l) as f32;
            }
        }
    });
    out
}

impl Context {
    /// Softmax attention of `q` `[batch, sq, hidden]` over `k`, `v`
    /// `[batch, sk, hidden]`; `key_mask` (`[batch, sk]`, `false` hides a
    /// key, e.g. padding) and the options' causal mask combine. A query
    /// that sees no key gets zeros.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for shapes that do not agree or a key mask
    /// of the wrong length; [`Error::InvalidArgument`] for heads that do not
    /// divide hidden, a causal mask with `sk < sq`, a non-finite scale, or
    /// (GPU) a head dimension over [`MAX_HEAD_DIM`]; GPU errors.
    pub fn attention(
        &self,
        q: &Tensor<f32>,
        k: &Tensor<f32>,
        v: &Tensor<f32>,
        key_mask: Option<&[bool]>,
        options: &AttentionOptions,
    ) -> Result<Tensor<f32>> {
        let shape = shape_of(q, k, v, options.heads)?;
        shape.check(options.causal)?;
        let scale = scale_of(options, shape.head_dim)?;
        if let Some(mask) = key_mask {
            crate::layers::check_len("attention key_mask", mask.len(), shape.batch * shape.sk)?;
        }
        let data = if self.gpu().is_some() {
            let mask: Vec<u32> =
                key_mask.map_or(Vec::new(), |m| m.iter().map(|&b| u32::from(b)).collect());
            run_gpu(
                self,
                "attention",
                &[
                    bytemuck::cast_slice(q.data()),
                    bytemuck::cast_slice(k.data()),
                    bytemuck::cast_slice(v.data()),
                    bytemuck::cast_slice(&mask),
                ],
                q.len(),
                |rec, i, out| {
                    let m = key_mask.map(|_| &i[3]);
                    self.record_attention(rec, [&i[0], &i[1], &i[2]], m, out, shape, options)
                },
            )?
        } else {
            attention_cpu(
                q.data(),
                k.data(),
                v.data(),
                key_mask,
                shape,
                options.causal,
                scale,
            )
        };
        Tensor::new(q.shape(), data)
    }

    /// Records [`Context::attention`] of `[q, k, v]` (f32, layouts as the
    /// module docs say) into `out`; `key_mask` holds `batch * sk` u32 (0
    /// hides a key).
    ///
    /// # Errors
    /// As [`Context::attention`]; [`Error::ShapeMismatch`] for buffer sizes.
    pub fn record_attention(
        &self,
        rec: &mut Recording,
        [q, k, v]: [&BufferSlice; 3],
        key_mask: Option<&BufferSlice>,
        out: &BufferSlice,
        shape: AttentionShape,
        options: &AttentionOptions,
    ) -> Result<()> {
        shape.check(options.causal)?;
        let scale = scale_of(options, shape.head_dim)?;
        let AttentionShape {
            batch,
            sq,
            sk,
            heads,
            head_dim: d,
        } = shape;
        if d > MAX_HEAD_DIM {
            return Err(Error::invalid(
                "head_dim",
                format!("{d} exceeds the GPU kernel's {MAX_HEAD_DIM}"),
            ));
        }
        let hidden = shape.hidden();
        check_slice("attention q", q, batch * sq * hidden, 4)?;
        check_slice("attention k", k, batch * sk * hidden, 4)?;
        check_slice("attention v", v, batch * sk * hidden, 4)?;
        check_slice("attention out", out, batch * sq * hidden, 4)?;
        if let Some(m) = key_mask {
            check_slice("attention key_mask", m, batch * sk, 4)?;
        }
        let gpu = rec.gpu();
        // Two tiles of `tk x d` f32 in workgroup memory.
        let floats = gpu.limits().max_compute_workgroup_storage_size as usize / 4;
        let tk = (floats / (2 * d)).clamp(1, MAX_KEY_TILE);
        let q_tiles = sq.div_ceil(QUERY_ROWS as usize);
        let groups = (batch * heads * q_tiles) as u64;
        // Keys per dispatch: all of them, or what the loop budget allows
        // (per key a dot product and an update of `d` each, per tile its load).
        let per_key = 2 * d + 2 + (d * tk).div_ceil(QUERY_ROWS as usize) / tk + 1;
        let range = match crate::layers::loop_budget(gpu) {
            Some(budget) => ((budget.saturating_sub(4 * d) / per_key) / tk * tk).max(tk),
            None => sk,
        };
        let ranges = sk.div_ceil(range);
        let state = rec.temporary(
            "attention state",
            if ranges > 1 {
                (batch * sq * heads * (d + 2) * 4) as u64
            } else {
                4
            },
        )?;
        let p = AttentionParams {
            batch: as_u32("batch", batch)?,
            heads: heads as u32,
            sq: as_u32("sq", sq)?,
            sk: as_u32("sk", sk)?,
            d: d as u32,
            q_tiles: q_tiles as u32,
            flags: u32::from(options.causal) | (u32::from(key_mask.is_some()) << 1),
            scale,
            groups_x: 0,
            causal_offset: sk.saturating_sub(sq) as u32,
            k_begin: 0,
            k_end: 0,
        };
        as_u32("attention elements", batch * sk.max(sq) * hidden)?;
        for r in 0..ranges {
            let (k_begin, k_end) = (r * range, ((r + 1) * range).min(sk));
            let stage = if r == 0 { 4 } else { 0 } | if r + 1 == ranges { 8 } else { 0 };
            rec.launch(
                &shaders::ATTENTION,
                &[("WG_SIZE", QUERY_ROWS), ("TK", tk as u32), ("DS", d as u32)],
                &[q, k, v, key_mask.unwrap_or(q), out, &state],
                Groups::Count(groups),
                |grid| AttentionParams {
                    groups_x: grid.0,
                    flags: p.flags | stage,
                    k_begin: k_begin as u32,
                    k_end: k_end as u32,
                    ..p
                },
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shaders::assert_params;

    #[test]
    fn parameter_structs_match_the_wgsl_uniforms() {
        assert_params::<AttentionParams>(&shaders::ATTENTION);
    }
}
