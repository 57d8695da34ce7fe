//! The GPU path: `matmul.wgsl`, one dispatch of 64 x 64 output tiles.

use super::MatmulShape;
use crate::backend::{BufferSlice, Context, Groups, Recording};
use crate::error::{Error, Result};
use crate::shaders::{self, kernel_params};

kernel_params! {
/// Uniforms of `matmul.wgsl`.
struct MatmulParams {
    batch: u32,
    n: u32,
    m: u32,
    has_bias: u32,
    groups_x: u32,
    tiles_m: u32,
    group: u32,
    values_offset: u32,
    ldy: u32,
    col0: u32,
    _pad0: u32,
    _pad1: u32,
}
}

/// Where a product's `B x M` result lands in a wider `Y`: element `(r, c)`
/// at `r * row_stride + col0 + c`, taking `bias[col0 + c]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placement {
    pub(crate) row_stride: usize,
    pub(crate) col0: usize,
}

/// Output tile edge of `matmul.wgsl`.
const TILE: usize = 64;

/// How the kernel reads W's words (`W_FORMAT` of `matmul.wgsl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WeightLayout {
    /// f32, one word per element.
    F32,
    /// INT8 with f16 scales per `group` elements: `values_offset` bytes of
    /// scales, then one byte per element.
    Int8 { group: u32, values_offset: u32 },
    /// INT4 as INT8, two elements per byte.
    Int4 { group: u32, values_offset: u32 },
}

impl WeightLayout {
    fn format(self) -> u32 {
        match self {
            WeightLayout::F32 => 0,
            WeightLayout::Int8 { .. } => 1,
            WeightLayout::Int4 { .. } => 2,
        }
    }

    fn group_and_offset(self) -> (u32, u32) {
        match self {
            WeightLayout::F32 => (1, 0),
            WeightLayout::Int8 {
                group,
                values_offset,
            }
            | WeightLayout::Int4 {
                group,
                values_offset,
            } => (group, values_offset),
        }
    }

    /// Bytes of W in this layout for `elements` weights.
    pub(crate) fn bytes(self, elements: u64) -> u64 {
        match self {
            WeightLayout::F32 => 4 * elements,
            WeightLayout::Int8 { values_offset, .. } => u64::from(values_offset) + elements,
            WeightLayout::Int4 { values_offset, .. } => {
                u64::from(values_offset) + elements.div_ceil(2)
            }
        }
    }
}

impl Context {
    /// Records `Y = X W^T (+ bias)` into `rec`: `x` holds `X` (`batch x
    /// inputs` f32), `w` holds `W` (`outputs x inputs` f32), `bias` (if
    /// any) `outputs` f32, and `y` receives `Y` (`batch x outputs` f32).
    /// Slices may be larger than needed (their first bytes are used); `y`
    /// must not overlap the inputs. One dispatch, nothing submitted.
    ///
    /// # Errors
    /// [`Error::NoGpu`] on the CPU backend; [`Error::InvalidArgument`] for a
    /// zero dimension; [`Error::ShapeMismatch`] when a slice is smaller than
    /// its matrix; [`Error::DeviceLimit`] when a matrix exceeds one storage
    /// binding or `u32` indexing; pipeline errors.
    pub fn record_matmul(
        &self,
        rec: &mut Recording,
        x: &BufferSlice,
        w: &BufferSlice,
        bias: Option<&BufferSlice>,
        y: &BufferSlice,
        shape: MatmulShape,
    ) -> Result<()> {
        let place = Placement {
            row_stride: shape.outputs,
            col0: 0,
        };
        record_product(self, rec, x, w, WeightLayout::F32, bias, y, shape, place)
    }
}

fn need(op: &'static str, what: &str, slice: &BufferSlice, bytes: u64, max: u64) -> Result<()> {
    if slice.size() < bytes {
        return Err(Error::shape(
            op,
            format!("{what} of at least {bytes} bytes"),
            format!("{} bytes", slice.size()),
        ));
    }
    if bytes > max {
        return Err(Error::DeviceLimit {
            what: "storage binding of a matmul operand",
            requested: bytes,
            max,
        });
    }
    Ok(())
}

/// Records the product with W read in `layout` (shared by the dense,
/// quantised-resident and streamed paths), its result placed by `place`.
///
/// # Errors
/// As [`Context::record_matmul`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_product(
    ctx: &Context,
    rec: &mut Recording,
    x: &BufferSlice,
    w: &BufferSlice,
    layout: WeightLayout,
    bias: Option<&BufferSlice>,
    y: &BufferSlice,
    shape: MatmulShape,
    place: Placement,
) -> Result<()> {
    const OP: &str = "record_matmul";
    let gpu = ctx.gpu().ok_or(Error::NoGpu {
        op: "record_matmul",
    })?;
    shape.validate()?;
    let max = gpu.max_binding_bytes();
    let (b, n, m) = (
        shape.batch as u64,
        shape.inputs as u64,
        shape.outputs as u64,
    );
    need(OP, "X", x, 4 * b * n, max)?;
    need(OP, "W", w, layout.bytes(m * n), max)?;
    let (ldy, col0) = (place.row_stride as u64, place.col0 as u64);
    if ldy < col0 + m {
        return Err(Error::invalid(
            "placement",
            format!("rows of {ldy} cannot hold columns {col0}..{}", col0 + m),
        ));
    }
    let y_elements = (b - 1) * ldy + col0 + m;
    need(OP, "Y", y, 4 * y_elements, max)?;
    if let Some(bias) = bias {
        need(OP, "bias", bias, 4 * (col0 + m), max)?;
    }
    // Indices inside the kernel are u32.
    let largest = (b * n).max(m * n).max(y_elements).max(layout.bytes(m * n));
    if largest > u64::from(u32::MAX) {
        return Err(Error::DeviceLimit {
            what: "elements of a matmul operand (u32 indexing)",
            requested: largest,
            max: u64::from(u32::MAX),
        });
    }
    let tiles_m = shape.outputs.div_ceil(TILE) as u64;
    let tiles = shape.batch.div_ceil(TILE) as u64 * tiles_m;
    let (group, values_offset) = layout.group_and_offset();
    rec.launch(
        &shaders::MATMUL,
        &[("W_FORMAT", layout.format())],
        &[x, w, bias.unwrap_or(x), y],
        Groups::Count(tiles),
        |grid| MatmulParams {
            batch: b as u32,
            n: n as u32,
            m: m as u32,
            has_bias: u32::from(bias.is_some()),
            groups_x: grid.0,
            tiles_m: tiles_m as u32,
            group,
            values_offset,
            ldy: ldy as u32,
            col0: col0 as u32,
            _pad0: 0,
            _pad1: 0,
        },
    )
}

/// The one-shot GPU form of [`Context::matmul`].
pub(super) fn matmul(
    ctx: &Context,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    shape: MatmulShape,
) -> Result<Vec<f32>> {
    let mut rec = ctx.recording("matmul")?;
    let xs = rec.upload("matmul X", x)?;
    let ws = rec.upload("matmul W", w)?;
    let bs = bias.map(|b| rec.upload("matmul bias", b)).transpose()?;
    let ys = rec.temporary("matmul Y", 4 * shape.y_len() as u64)?;
    ctx.record_matmul(&mut rec, &xs, &ws, bs.as_ref(), &ys, shape)?;
    let out = rec.read_back(&ys)?;
    rec.submit()?.wait()?.take(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parameters_match_the_kernel() {
        crate::shaders::assert_params::<super::MatmulParams>(&crate::shaders::MATMUL);
    }
}
