//! Direct conv2d (PyTorch's cross-correlation): a WGSL kernel with one
//! thread per output and its CPU twin (rayon over output planes).

use rayon::prelude::*;

use super::{check_bias, Conv2dOptions, ConvShape};
use crate::backend::{BufferSlice, Context, Recording};
use crate::error::{Error, Result};
use crate::layers::{as_u32, check_slice, loop_budget, run_gpu, threads, CONSTANTS};
use crate::shaders::{self, kernel_params};
use crate::tensor::Tensor;

kernel_params! {
/// Uniforms of `conv2d_direct.wgsl`.
struct DirectParams {
    total: u32,
    cin: u32,
    h: u32,
    w: u32,
    cout: u32,
    kh: u32,
    kw: u32,
    oh: u32,
    ow: u32,
    stride_y: u32,
    stride_x: u32,
    pad_y: u32,
    pad_x: u32,
    dil_y: u32,
    dil_x: u32,
    groups: u32,
    ci_begin: u32,
    ci_end: u32,
    flags: u32,
    groups_x: u32,
}
}

/// `(oh, ow)` of a conv2d, `floor((H + 2p - d (k - 1) - 1) / s) + 1`.
///
/// # Errors
/// [`Error::InvalidArgument`] for a zero stride or dilation, or a dilated
/// filter larger than the padded input.
pub(crate) fn output_size(s: &ConvShape, o: &Conv2dOptions) -> Result<(usize, usize)> {
    let axis = |n: usize, k: usize, stride: usize, pad: usize, dil: usize| -> Result<usize> {
        if stride == 0 || dil == 0 {
            return Err(Error::invalid(
                "stride",
                "stride and dilation must be at least 1",
            ));
        }
        let span = dil * (k - 1) + 1;
        if span > n + 2 * pad {
            return Err(Error::invalid(
                "weight",
                format!(
                    "a filter spanning {span} is larger than the padded input of {}",
                    n + 2 * pad
                ),
            ));
        }
        Ok((n + 2 * pad - span) / stride + 1)
    };
    Ok((
        axis(s.h, s.kh, o.stride.0, o.padding.0, o.dilation.0)?,
        axis(s.w, s.kw, o.stride.1, o.padding.1, o.dilation.1)?,
    ))
}

/// The CPU twin of the direct path: `input` `[N, C_in, H, W]`, `weight`
/// `[C_out, C_in / groups, kh, kw]`, output `[N, C_out, oh, ow]`.
///
/// # Errors
/// As [`Context::conv2d_direct`].
pub fn conv2d_direct_cpu(
    input: &Tensor<f32>,
    weight: &Tensor<f32>,
    bias: Option<&[f32]>,
    o: &Conv2dOptions,
) -> Result<Tensor<f32>> {
    let s = ConvShape::of(input.shape(), weight.shape(), o.groups)?;
    check_bias(bias, s.cout)?;
    let (oh, ow) = output_size(&s, o)?;
    let (x, w) = (input.data(), weight.data());
    let cig = s.cig();
    let per_group = s.cout / s.groups;
    let mut y = vec![0.0f32; s.n * s.cout * oh * ow];
    y.par_chunks_mut(oh * ow)
        .enumerate()
        .for_each(|(plane, out)| {
            let (n, co) = (plane / s.cout, plane % s.cout);
            let g = co / per_group;
            for (id, v) in out.iter_mut().enumerate() {
                let (oy, ox) = (id / ow, id % ow);
                let mut acc = bias.map_or(0.0, |b| b[co]);
                for ci in 0..cig {
                    for ky in 0..s.kh {
                        let iy =
                            (oy * o.stride.0 + ky * o.dilation.0) as isize - o.padding.0 as isize;
                        if iy < 0 || iy as usize >= s.h {
                            continue;
                        }
                        for kx in 0..s.kw {
                            let ix = (ox * o.stride.1 + kx * o.dilation.1) as isize
                                - o.padding.1 as isize;
                            if ix >= 0 && (ix as usize) < s.w {
                                acc += x[((n * s.cin + g * cig + ci) * s.h + iy as usize) * s.w
                                    + ix as usize]
                                    * w[((co * cig + ci) * s.kh + ky) * s.kw + kx];
                            }
                        }
                    }
                }
                *v = acc;
            }
        });
    Tensor::new(&[s.n, s.cout, oh, ow], y)
}

/// Records the direct path; on devices that stop long loops the input
/// channels run in several dispatches that accumulate.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_direct(
    rec: &mut Recording,
    x: &BufferSlice,
    w: &BufferSlice,
    bias: Option<&BufferSlice>,
    y: &BufferSlice,
    s: &ConvShape,
    o: &Conv2dOptions,
) -> Result<()> {
    let (oh, ow) = output_size(s, o)?;
    let cig = s.cig();
    check_slice("conv2d input", x, s.n * s.cin * s.h * s.w, 4)?;
    check_slice("conv2d weight", w, s.cout * cig * s.kh * s.kw, 4)?;
    check_slice("conv2d output", y, s.n * s.cout * oh * ow, 4)?;
    if let Some(b) = bias {
        check_slice("conv2d bias", b, s.cout, 4)?;
    }
    let total = s.n * s.cout * oh * ow;
    // Loop iterations per input channel: kh rows of kw taps.
    let per_channel = s.kh * (s.kw + 1) + 1;
    let chunk = match loop_budget(rec.gpu()) {
        Some(budget) => (budget / per_channel).clamp(1, cig),
        None => cig,
    };
    let p = DirectParams {
        total: as_u32("conv2d output", total)?,
        cin: s.cin as u32,
        h: s.h as u32,
        w: s.w as u32,
        cout: s.cout as u32,
        kh: s.kh as u32,
        kw: s.kw as u32,
        oh: oh as u32,
        ow: ow as u32,
        stride_y: o.stride.0 as u32,
        stride_x: o.stride.1 as u32,
        pad_y: o.padding.0 as u32,
        pad_x: o.padding.1 as u32,
        dil_y: o.dilation.0 as u32,
        dil_x: o.dilation.1 as u32,
        groups: s.groups as u32,
        ..Default::default()
    };
    let mut begin = 0;
    while begin < cig {
        let end = (begin + chunk).min(cig);
        let flags = if begin > 0 {
            1
        } else {
            u32::from(bias.is_some()) << 1
        };
        rec.launch(
            &shaders::CONV2D_DIRECT,
            CONSTANTS,
            &[x, w, bias.unwrap_or(w), y],
            threads(total),
            |grid| DirectParams {
                ci_begin: begin as u32,
                ci_end: end as u32,
                flags,
                groups_x: grid.0,
                ..p
            },
        )?;
        begin = end;
    }
    Ok(())
}

impl Context {
    /// Direct conv2d as PyTorch's `torch.nn.functional.conv2d`
    /// (cross-correlation) of `input` `[N, C_in, H, W]` with `weight`
    /// `[C_out, C_in / groups, kh, kw]` plus `bias`, with stride, zero
    /// padding, dilation and groups.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for shapes that do not agree or a bias of
    /// the wrong length; [`Error::InvalidArgument`] for a zero stride or
    /// dilation, groups that do not divide the channels, or a filter larger
    /// than the padded input; GPU errors.
    pub fn conv2d_direct(
        &self,
        input: &Tensor<f32>,
        weight: &Tensor<f32>,
        bias: Option<&[f32]>,
        options: &Conv2dOptions,
    ) -> Result<Tensor<f32>> {
        if self.gpu().is_none() {
            return conv2d_direct_cpu(input, weight, bias, options);
        }
        let s = ConvShape::of(input.shape(), weight.shape(), options.groups)?;
        check_bias(bias, s.cout)?;
        let (oh, ow) = output_size(&s, options)?;
        let b: &[f32] = bias.unwrap_or(&[]);
        let data = run_gpu(
            self,
            "conv2d direct",
            &[
                bytemuck::cast_slice(input.data()),
                bytemuck::cast_slice(weight.data()),
                bytemuck::cast_slice(b),
            ],
            s.n * s.cout * oh * ow,
            |rec, i, y| record_direct(rec, &i[0], &i[1], bias.map(|_| &i[2]), y, &s, options),
        )?;
        Tensor::new(&[s.n, s.cout, oh, ow], data)
    }

    /// Records [`Context::conv2d_direct`] of `x`, `w` (plus `bias`) into `y`.
    ///
    /// # Errors
    /// As [`Context::conv2d_direct`]; buffer sizes.
    #[allow(clippy::too_many_arguments)]
    pub fn record_conv2d_direct(
        &self,
        rec: &mut Recording,
        x: &BufferSlice,
        w: &BufferSlice,
        bias: Option<&BufferSlice>,
        y: &BufferSlice,
        shape: ConvShape,
        options: &Conv2dOptions,
    ) -> Result<()> {
        record_direct(rec, x, w, bias, y, &shape, options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shaders::assert_params;

    #[test]
    fn parameter_structs_match_the_wgsl_uniforms() {
        assert_params::<DirectParams>(&shaders::CONV2D_DIRECT);
    }
}
