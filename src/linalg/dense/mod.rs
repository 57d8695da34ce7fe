//! Dense f32 matmul `Y = X W^T (+ bias)`: shapes, argument checks and the
//! one-shot form that runs on the context's backend.

mod cpu;
mod gpu;

pub(crate) use cpu::{by_row_blocks, OUTPUTS_PER_TASK};
pub use cpu::{matmul_cpu, matmul_cpu_into};
pub(crate) use gpu::{record_product, Placement, WeightLayout};

use crate::backend::Context;
use crate::error::{Error, Result};

/// The sizes of `Y = X W^T (+ bias)`: `X` is `batch x inputs`, `W` is
/// `outputs x inputs`, `Y` is `batch x outputs` (all row-major).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MatmulShape {
    /// Rows of `X` and `Y` (`B`).
    pub batch: usize,
    /// Columns of `X` and `W` (`N`).
    pub inputs: usize,
    /// Rows of `W`, columns of `Y` and length of the bias (`M`).
    pub outputs: usize,
}

impl MatmulShape {
    /// `B x N` inputs, `M x N` weights.
    pub fn new(batch: usize, inputs: usize, outputs: usize) -> Self {
        MatmulShape {
            batch,
            inputs,
            outputs,
        }
    }

    /// Elements of `X` (`B N`).
    pub fn x_len(&self) -> usize {
        self.batch.saturating_mul(self.inputs)
    }

    /// Elements of `W` (`M N`).
    pub fn w_len(&self) -> usize {
        self.outputs.saturating_mul(self.inputs)
    }

    /// Elements of `Y` (`B M`).
    pub fn y_len(&self) -> usize {
        self.batch.saturating_mul(self.outputs)
    }

    /// Refuses empty dimensions and element counts that overflow.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the shape when a dimension is zero
    /// or a matrix holds more than `usize::MAX` elements.
    pub fn validate(&self) -> Result<()> {
        let MatmulShape {
            batch,
            inputs,
            outputs,
        } = *self;
        if batch == 0 || inputs == 0 || outputs == 0 {
            return Err(Error::invalid(
                "shape",
                format!(
                    "matmul needs batch, inputs and outputs of at least 1; \
                     got batch {batch}, inputs {inputs}, outputs {outputs}"
                ),
            ));
        }
        let fits = batch.checked_mul(inputs).is_some()
            && outputs.checked_mul(inputs).is_some()
            && batch.checked_mul(outputs).is_some();
        if !fits {
            return Err(Error::invalid(
                "shape",
                format!("{self} holds more elements than fit in memory"),
            ));
        }
        Ok(())
    }

    /// Checks the lengths of `x`, `w` (in elements, `None` to skip) and
    /// `bias` against the shape.
    pub(crate) fn check_lengths(
        &self,
        op: &'static str,
        x: usize,
        w: Option<usize>,
        bias: Option<usize>,
    ) -> Result<()> {
        self.validate()?;
        if x != self.x_len() {
            return Err(Error::shape(
                op,
                format!(
                    "X of {} x {} = {} elements",
                    self.batch,
                    self.inputs,
                    self.x_len()
                ),
                format!("{x} elements"),
            ));
        }
        if let Some(w) = w.filter(|&w| w != self.w_len()) {
            return Err(Error::shape(
                op,
                format!(
                    "W of {} x {} = {} elements",
                    self.outputs,
                    self.inputs,
                    self.w_len()
                ),
                format!("{w} elements"),
            ));
        }
        if let Some(b) = bias.filter(|&b| b != self.outputs) {
            return Err(Error::shape(
                op,
                format!("a bias of {} elements (one per output)", self.outputs),
                format!("{b} elements"),
            ));
        }
        Ok(())
    }
}

impl std::fmt::Display for MatmulShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "X {} x {} times W^T of W {} x {}",
            self.batch, self.inputs, self.outputs, self.inputs
        )
    }
}

impl Context {
    /// `Y = X W^T (+ bias)` on host slices, on this context's backend: one
    /// GPU submission (upload, tiled product, readback) or the CPU twin
    /// ([`matmul_cpu`]). Returns `Y`, `batch x outputs` row-major.
    ///
    /// NaN and infinity in `x` or `w` propagate as IEEE arithmetic does.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero dimension;
    /// [`Error::ShapeMismatch`] when a slice length does not match `shape`;
    /// on the GPU, [`Error::DeviceLimit`] when a matrix exceeds one storage
    /// binding, [`Error::BudgetExceeded`] and device errors.
    pub fn matmul(
        &self,
        x: &[f32],
        w: &[f32],
        bias: Option<&[f32]>,
        shape: MatmulShape,
    ) -> Result<Vec<f32>> {
        shape.check_lengths("matmul", x.len(), Some(w.len()), bias.map(<[f32]>::len))?;
        if self.gpu().is_some() {
            return gpu::matmul(self, x, w, bias, shape);
        }
        matmul_cpu(x, w, bias, shape)
    }
}
