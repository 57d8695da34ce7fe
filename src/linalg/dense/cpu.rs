//! The CPU twin: `matrixmultiply`'s SGEMM, split over blocks of outputs on
//! rayon's threads (so `B = 1` uses every core too).

use std::borrow::Cow;

use rayon::prelude::*;

use super::MatmulShape;
use crate::error::Result;

/// Outputs per rayon task: large enough that each task is a real GEMM.
pub(crate) const OUTPUTS_PER_TASK: usize = 64;

/// `Y = X W^T (+ bias)` on the CPU; returns `Y`, `batch x outputs`.
///
/// # Errors
/// As [`matmul_cpu_into`].
pub fn matmul_cpu(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    shape: MatmulShape,
) -> Result<Vec<f32>> {
    shape.validate()?;
    let mut y = vec![0.0f32; shape.y_len()];
    matmul_cpu_into(x, w, bias, shape, &mut y)?;
    Ok(y)
}

/// `Y = X W^T (+ bias)` on the CPU into `y` (`batch x outputs`, overwritten).
///
/// # Errors
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a zero
/// dimension; [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) when a
/// slice length does not match `shape`.
pub fn matmul_cpu_into(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    shape: MatmulShape,
    y: &mut [f32],
) -> Result<()> {
    shape.check_lengths("matmul_cpu", x.len(), Some(w.len()), bias.map(<[f32]>::len))?;
    if y.len() != shape.y_len() {
        return Err(crate::Error::shape(
            "matmul_cpu output",
            format!("Y of {} x {} elements", shape.batch, shape.outputs),
            format!("{} elements", y.len()),
        ));
    }
    let n = shape.inputs;
    by_row_blocks(x, bias, shape, y, OUTPUTS_PER_TASK, |c0, mc| {
        Ok(Cow::Borrowed(&w[c0 * n..(c0 + mc) * n]))
    })
}

/// `Y = X W^T (+ bias)` with W supplied in blocks of rows: `block(c0, mc)`
/// returns rows `c0..c0 + mc` of W (`mc x inputs`, borrowed or decoded
/// for the call). Blocks of `rows` rows run on rayon's threads, so only a
/// few decoded blocks exist at once. Lengths of `x`,
/// `bias` and `y` must already be checked.
///
/// # Errors
/// The first error `block` returns.
pub(crate) fn by_row_blocks<'w>(
    x: &[f32],
    bias: Option<&[f32]>,
    shape: MatmulShape,
    y: &mut [f32],
    rows: usize,
    block: impl Fn(usize, usize) -> Result<Cow<'w, [f32]>> + Sync,
) -> Result<()> {
    let MatmulShape {
        batch: b,
        inputs: n,
        outputs: m,
    } = shape;
    let rows = rows.max(1);
    if m <= rows || rayon::current_num_threads() == 1 {
        for c0 in (0..m).step_by(rows) {
            let mc = rows.min(m - c0);
            let wb = block(c0, mc)?;
            gemm_block(
                x,
                &wb,
                bias.map(|s| &s[c0..c0 + mc]),
                b,
                n,
                mc,
                &mut y[c0..],
                m,
            );
        }
        return Ok(());
    }
    // Each task computes a B x mc block of Y's columns into its own
    // buffer; the blocks are then scattered into Y's rows.
    let blocks: Vec<(usize, Vec<f32>)> = (0..m.div_ceil(rows))
        .into_par_iter()
        .map(|i| {
            let c0 = i * rows;
            let mc = rows.min(m - c0);
            let wb = block(c0, mc)?;
            let mut yb = vec![0.0f32; b * mc];
            gemm_block(x, &wb, bias.map(|s| &s[c0..c0 + mc]), b, n, mc, &mut yb, mc);
            Ok((c0, yb))
        })
        .collect::<Result<_>>()?;
    for (c0, yb) in blocks {
        let mc = yb.len() / b;
        for (row, src) in y.chunks_exact_mut(m).zip(yb.chunks_exact(mc)) {
            row[c0..c0 + mc].copy_from_slice(src);
        }
    }
    Ok(())
}

/// `y[r * ldy + c] = sum_k x[r * n + k] w[c * n + k] (+ bias[c])` for
/// `r < b`, `c < mc`.
#[allow(clippy::too_many_arguments)]
fn gemm_block(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    b: usize,
    n: usize,
    mc: usize,
    y: &mut [f32],
    ldy: usize,
) {
    debug_assert!(x.len() >= b * n && w.len() >= mc * n && y.len() >= (b - 1) * ldy + mc);
    let beta = match bias {
        Some(bias) => {
            for row in y.chunks_mut(ldy).take(b) {
                row[..mc].copy_from_slice(bias);
            }
            1.0
        }
        None => 0.0,
    };
    // SAFETY: the strides describe X (b x n, row stride n), W^T (n x mc:
    // element (k, c) at c * n + k) and Y (b x mc, row stride ldy), all
    // within the slices checked above; the slices do not overlap (y is a
    // unique borrow).
    unsafe {
        matrixmultiply::sgemm(
            b,
            n,
            mc,
            1.0,
            x.as_ptr(),
            n as isize,
            1,
            w.as_ptr(),
            1,
            n as isize,
            beta,
            y.as_mut_ptr(),
            ldy as isize,
            1,
        );
    }
}
