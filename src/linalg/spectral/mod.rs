//! Spectral matmul: `y = W x` straight from W's sparse orthonormal 2-D
//! DCT-II spectrum `C` (as [`crate::spectral`] stores it), without building
//! W. Since `W = D_M^T C D_N` with orthonormal DCT matrices,
//! `y = D_M^T (C (D_N x))`: a DCT-II of x along N, a gather-accumulate over
//! the kept coefficients, a DCT-III along M. Memory: the kept coefficients
//! plus activations. Real-FFT spectra are not supported yet.

mod gpu;

use crate::backend::Context;
use crate::error::{Error, Result};
use crate::spectral::{SparseSpectral, Transform};
use crate::tensor::Tensor;

/// A weight held as its kept 2-D DCT coefficients in compressed rows.
#[derive(Debug, Clone)]
pub struct SpectralWeight {
    rows: usize,
    cols: usize,
    /// Row `u`'s coefficients at `starts[u]..starts[u + 1]`.
    starts: Vec<u32>,
    columns: Vec<u32>,
    values: Vec<f32>,
}

impl SpectralWeight {
    /// From a 2-D sparse DCT spectrum of W (`rows x cols`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a spectrum that is not 2-D, not a DCT,
    /// or whose sizes exceed `u32` indexing.
    pub fn from_sparse(sparse: &SparseSpectral) -> Result<Self> {
        let &[rows, cols] = sparse.shape() else {
            return Err(Error::invalid(
                "sparse",
                format!(
                    "spectral matmul needs a 2-D weight, got shape {:?}",
                    sparse.shape()
                ),
            ));
        };
        if sparse.transform() != Transform::Dct {
            return Err(Error::invalid(
                "sparse",
                "spectral matmul takes DCT spectra; real-FFT spectra are not supported",
            ));
        }
        if rows * cols > u32::MAX as usize {
            return Err(Error::invalid(
                "sparse",
                format!("{rows} x {cols} exceeds u32 indexing"),
            ));
        }
        let mut starts = vec![0u32; rows + 1];
        let mut columns = Vec::with_capacity(sparse.kept());
        for &p in sparse.positions() {
            starts[p as usize / cols + 1] += 1;
            columns.push((p as usize % cols) as u32);
        }
        for u in 0..rows {
            starts[u + 1] += starts[u];
        }
        // Positions come in ascending order, so entries are grouped by row.
        Ok(SpectralWeight {
            rows,
            cols,
            starts,
            columns,
            values: sparse.values().to_vec(),
        })
    }

    /// Rows of W (outputs).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns of W (inputs).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Bytes held: row starts, columns and values.
    pub fn bytes(&self) -> u64 {
        4 * (self.starts.len() + self.columns.len() + self.values.len()) as u64
    }
}

impl Context {
    /// `Y = X W^T` (each row `y = W x`) from W's sparse DCT spectrum on this
    /// context's backend; on the GPU one submission (DCT-II, gather kernel,
    /// DCT-III). `x` is `batch x w.cols()`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `batch` of zero;
    /// [`Error::ShapeMismatch`] when `x` does not match; transform, budget
    /// and device errors.
    pub fn spectral_matmul(&self, x: &[f32], w: &SpectralWeight, batch: usize) -> Result<Vec<f32>> {
        crate::linalg::MatmulShape::new(batch, w.cols, w.rows).check_lengths(
            "spectral_matmul",
            x.len(),
            None,
            None,
        )?;
        if self.gpu().is_some() {
            return gpu::spectral_matmul(self, x, w, batch);
        }
        let mut xhat = Tensor::new(&[batch, w.cols], x.to_vec())?;
        self.dctn(&mut xhat, &[1])?;
        let xhat = xhat.data();
        let mut z = vec![0.0f32; batch * w.rows];
        for (t, out) in z.iter_mut().enumerate() {
            let (b, u) = (t / w.rows, t % w.rows);
            let row = &xhat[b * w.cols..(b + 1) * w.cols];
            let (s, e) = (w.starts[u] as usize, w.starts[u + 1] as usize);
            *out = w.columns[s..e]
                .iter()
                .zip(&w.values[s..e])
                .map(|(&v, &c)| c * row[v as usize])
                .sum();
        }
        let mut y = Tensor::new(&[batch, w.rows], z)?;
        self.idctn(&mut y, &[1])?;
        Ok(y.into_data())
    }
}
