//! Complex embeddings and rotary position encoding (RoPE).
//!
//! [`ComplexEmbedding`] is a table of `vocab x dim` complex values looked up
//! by token id; RoPE multiplies each pair of a head by
//! `exp(i (offset + s) theta_k)`, `theta_k = base^(-2k / head_dim)` (pairs
//! interleaved, `(x[2k], x[2k+1])`, as RoFormer and as the complex form
//! `z_k = x[2k] + i x[2k+1]`). The angle table is computed in f64 on the
//! host, so long positions keep full f32 accuracy.
//!
//! ```no_run
//! use fft_tensor::{Context, Tensor};
//! use fft_tensor::layers::embedding::{ComplexEmbedding, Rope};
//! use fft_tensor::num_complex::Complex32;
//!
//! let ctx = Context::from_env()?;
//! let table = ComplexEmbedding::new(100, 8, vec![Complex32::new(0.1, 0.2); 800])?;
//! let z = ctx.embed(&table, &[3, 1, 4])?;                 // [3, 8] complex
//! let q = Tensor::new(&[1, 3, 16], vec![1.0f32; 48])?;
//! let rotated = ctx.rope(&q, &Rope { heads: 2, base: 10000.0, offset: 0 })?;
//! # Ok::<(), fft_tensor::Error>(())
//! ```

use rustfft::num_complex::Complex32;

use crate::backend::{BufferSlice, Context, Recording};
use crate::error::{Error, Result};
use crate::layers::{as_u32, check_slice, run_gpu, threads, CONSTANTS};
use crate::shaders::{self, kernel_params};
use crate::tensor::Tensor;

kernel_params! {
/// Uniforms of `embedding_gather.wgsl`.
struct GatherParams {
    total: u32,
    row_words: u32,
    rows: u32,
    groups_x: u32,
}
}

kernel_params! {
/// Uniforms of `rope.wgsl`.
struct RopeParams {
    total: u32,
    half: u32,
    per_pos: u32,
    seq: u32,
    groups_x: u32,
    _pad: [u32; 3],
}
}

/// A complex embedding table: `vocab` rows of `dim` complex values.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplexEmbedding {
    vocab: usize,
    dim: usize,
    table: Vec<Complex32>,
}

impl ComplexEmbedding {
    /// Wraps a row-major `[vocab, dim]` table.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `table` does not hold `vocab * dim`
    /// values; [`Error::InvalidArgument`] for a zero size.
    pub fn new(vocab: usize, dim: usize, table: Vec<Complex32>) -> Result<Self> {
        if vocab == 0 || dim == 0 {
            return Err(Error::invalid(
                "vocab",
                "vocabulary and dimension must be at least 1",
            ));
        }
        crate::layers::check_len("embedding table", table.len(), vocab * dim)?;
        Ok(ComplexEmbedding { vocab, dim, table })
    }

    /// Rows.
    pub fn vocab(&self) -> usize {
        self.vocab
    }

    /// Complex values per row.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The table, row-major.
    pub fn table(&self) -> &[Complex32] {
        &self.table
    }

    /// Refuses ids outside the table.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the first id out of range.
    pub fn check_ids(&self, ids: &[u32]) -> Result<()> {
        if let Some((i, id)) = ids
            .iter()
            .enumerate()
            .find(|(_, &id)| id as usize >= self.vocab)
        {
            return Err(Error::invalid(
                "token id",
                format!(
                    "id {id} at position {i} is outside the vocabulary of {}",
                    self.vocab
                ),
            ));
        }
        Ok(())
    }
}

/// Rotary position encoding parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rope {
    /// Heads of the hidden axis (each rotated on its own).
    pub heads: usize,
    /// Frequency base (10000 in RoFormer and Llama).
    pub base: f64,
    /// Position of the first row (for cached prefixes).
    pub offset: usize,
}

impl Rope {
    /// `exp(i (offset + s) theta_k)` for `s < seq`, `k < half`, row-major, in f64.
    pub fn table_f64(&self, seq: usize, half: usize) -> Vec<rustfft::num_complex::Complex64> {
        let head_dim = 2 * half;
        (0..seq)
            .flat_map(|s| {
                (0..half).map(move |k| {
                    let theta = self.base.powf(-2.0 * k as f64 / head_dim as f64);
                    let a = (self.offset + s) as f64 * theta;
                    rustfft::num_complex::Complex64::new(a.cos(), a.sin())
                })
            })
            .collect()
    }

    fn table(&self, seq: usize, half: usize) -> Vec<Complex32> {
        self.table_f64(seq, half)
            .iter()
            .map(|c| Complex32::new(c.re as f32, c.im as f32))
            .collect()
    }
}

/// `(batch, seq, per position complex values, half)` of a RoPE input.
fn rope_dims(shape: &[usize], heads: usize, complex: bool) -> Result<(usize, usize, usize, usize)> {
    let &[b, s, hidden] = shape else {
        return Err(Error::shape(
            "rope input",
            "[batch, seq, hidden]",
            format!("{shape:?}"),
        ));
    };
    let per_pos = if complex { hidden } else { hidden / 2 };
    if heads == 0 || (!complex && hidden % 2 != 0) || per_pos % heads != 0 {
        return Err(Error::invalid(
            "heads",
            format!("{heads} heads of even size do not divide hidden {hidden}"),
        ));
    }
    Ok((b, s, per_pos, per_pos / heads))
}

/// The CPU twin of `rope.wgsl` over complex values.
fn rope_cpu(
    x: &mut [Complex32],
    rot: &[Complex32],
    (_, s, per_pos, half): (usize, usize, usize, usize),
) {
    for (id, v) in x.iter_mut().enumerate() {
        *v *= rot[((id / per_pos) % s) * half + id % half];
    }
}

impl Context {
    /// Looks up `ids` in `table`: `[ids.len(), dim]` complex.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an id outside the vocabulary or no
    /// ids; GPU errors.
    pub fn embed(&self, table: &ComplexEmbedding, ids: &[u32]) -> Result<Tensor<Complex32>> {
        table.check_ids(ids)?;
        if ids.is_empty() {
            return Err(Error::invalid("ids", "no token ids"));
        }
        let dim = table.dim;
        let data = if self.gpu().is_some() {
            run_gpu(
                self,
                "embedding",
                &[
                    bytemuck::cast_slice(&table.table),
                    bytemuck::cast_slice(ids),
                ],
                ids.len() * dim,
                |rec, i, out| {
                    self.record_embed(rec, &i[0], &i[1], out, (table.vocab, dim * 2), ids.len())
                },
            )?
        } else {
            ids.iter()
                .flat_map(|&id| table.table[id as usize * dim..][..dim].iter().copied())
                .collect()
        };
        Tensor::new(&[ids.len(), dim], data)
    }

    /// Records a lookup of `count` u32 `ids` in a table of `rows` rows of
    /// `row_words` 32-bit words (`2 dim` for complex, `dim` for f32) into
    /// `out`. Ids are not checked here: an id outside the table gives a zero row.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for buffer sizes.
    pub fn record_embed(
        &self,
        rec: &mut Recording,
        table: &BufferSlice,
        ids: &BufferSlice,
        out: &BufferSlice,
        (rows, row_words): (usize, usize),
        count: usize,
    ) -> Result<()> {
        check_slice("embedding table", table, rows * row_words, 4)?;
        check_slice("embedding ids", ids, count, 4)?;
        check_slice("embedding output", out, count * row_words, 4)?;
        let total = count * row_words;
        let p = GatherParams {
            total: as_u32("embedding output", total)?,
            row_words: as_u32("row words", row_words)?,
            rows: as_u32("rows", rows)?,
            groups_x: 0,
        };
        rec.launch(
            &shaders::EMBEDDING_GATHER,
            CONSTANTS,
            &[table, ids, out],
            threads(total),
            |grid| GatherParams {
                groups_x: grid.0,
                ..p
            },
        )
    }

    /// RoPE of a real `[batch, seq, hidden]` tensor whose heads hold
    /// interleaved pairs (`hidden = heads * head_dim`, `head_dim` even).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a tensor that is not 3-D;
    /// [`Error::InvalidArgument`] for heads that do not split hidden into
    /// even heads; GPU errors.
    pub fn rope(&self, x: &Tensor<f32>, rope: &Rope) -> Result<Tensor<f32>> {
        let dims = rope_dims(x.shape(), rope.heads, false)?;
        let pairs: Vec<Complex32> = x
            .data()
            .chunks(2)
            .map(|p| Complex32::new(p[0], p[1]))
            .collect();
        let out = self.rope_pairs(pairs, dims, rope)?;
        Tensor::new(x.shape(), out.iter().flat_map(|c| [c.re, c.im]).collect())
    }

    /// RoPE of a complex `[batch, seq, dim]` tensor (e.g. complex
    /// embeddings), `dim = heads * half`: each value times `exp(i pos theta_k)`.
    ///
    /// # Errors
    /// As [`Context::rope`].
    pub fn rope_complex(&self, x: &Tensor<Complex32>, rope: &Rope) -> Result<Tensor<Complex32>> {
        let dims = rope_dims(x.shape(), rope.heads, true)?;
        Tensor::new(x.shape(), self.rope_pairs(x.data().to_vec(), dims, rope)?)
    }

    fn rope_pairs(
        &self,
        mut z: Vec<Complex32>,
        dims: (usize, usize, usize, usize),
        rope: &Rope,
    ) -> Result<Vec<Complex32>> {
        let (_, s, _, half) = dims;
        let rot = rope.table(s, half);
        if self.gpu().is_none() {
            rope_cpu(&mut z, &rot, dims);
            return Ok(z);
        }
        let mut rec = self.recording("rope")?;
        let x = rec.upload("rope values", &z)?;
        let r = rec.upload("rope table", &rot)?;
        self.record_rope(&mut rec, &x, &r, dims)?;
        let back = rec.read_back(&x)?;
        rec.submit()?.wait()?.take(back)
    }

    /// Records RoPE in place on `x`, `[batch, seq, per_pos]` complex values
    /// in heads of `half`, with `rot` the `[seq, half]` table of
    /// [`Rope::table_f64`] (as complex f32) uploaded.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for buffer sizes.
    pub fn record_rope(
        &self,
        rec: &mut Recording,
        x: &BufferSlice,
        rot: &BufferSlice,
        (b, s, per_pos, half): (usize, usize, usize, usize),
    ) -> Result<()> {
        let total = b * s * per_pos;
        check_slice("rope values", x, total, 8)?;
        check_slice("rope table", rot, s * half, 8)?;
        let p = RopeParams {
            total: as_u32("rope values", total)?,
            half: half as u32,
            per_pos: per_pos as u32,
            seq: s as u32,
            ..Default::default()
        };
        rec.launch(
            &shaders::ROPE,
            CONSTANTS,
            &[x, rot],
            threads(total),
            |grid| RopeParams {
                groups_x: grid.0,
                ..p
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shaders::assert_params;

    #[test]
    fn parameter_structs_match_the_wgsl_uniforms() {
        assert_params::<GatherParams>(&shaders::EMBEDDING_GATHER);
        assert_params::<RopeParams>(&shaders::ROPE);
    }
}
