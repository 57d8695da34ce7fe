//! Convolution: FFT convolution and correlation in 1-D and 2-D (modes
//! full / same / valid, linear or circular boundaries, batched NCHW input,
//! `C_in -> C_out` filters, groups, bias), a direct conv2d for small kernels
//! (PyTorch's `conv2d`: stride, zero padding, dilation, groups), and
//! [`Context::conv2d`](crate::Context::conv2d)(crate::Context::conv2d), which picks the faster of the two for each call
//! from a cost model measured once per context ([`ConvCostModel`]).
//!
//! ```no_run
//! use fft_tensor::{Context, Tensor};
//! use fft_tensor::layers::conv::{Conv2dOptions, ConvMode, FftConvOptions};
//!
//! let ctx = Context::from_env()?;
//! let x = Tensor::new(&[1, 3, 32, 32], vec![0.5f32; 3 * 32 * 32])?;    // NCHW
//! let w = Tensor::new(&[8, 3, 5, 5], vec![0.01f32; 8 * 3 * 25])?;      // OIHW
//! let same = ctx.conv2d_fft(&x, &w, None, &FftConvOptions { mode: ConvMode::Same, ..Default::default() })?;
//! let torch_like = ctx.conv2d(&x, &w, None, &Conv2dOptions { padding: (2, 2), ..Default::default() })?;
//! # Ok::<(), fft_tensor::Error>(())
//! ```

mod auto;
mod direct;
mod fft;

pub use auto::{ConvAlgorithm, ConvCostModel};
pub use direct::conv2d_direct_cpu;

use crate::error::{Error, Result};

/// Which part of a linear convolution is returned (as `scipy.signal.convolve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum ConvMode {
    /// Every overlap: `H + kh - 1` rows.
    #[default]
    Full,
    /// The centre `H` rows (offset `(kh - 1) / 2`).
    Same,
    /// Complete overlaps only: `H - kh + 1` rows (the filter must fit).
    Valid,
}

/// How the signal continues past its edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Boundary {
    /// Zeros (an ordinary linear convolution).
    #[default]
    Linear,
    /// Periodic: the output has the input's size (mode must be `Same`),
    /// `y[i] = sum_k x[(i - k) mod H] w[k]`.
    Circular,
}

/// Options of [`Context::conv2d_fft`](crate::Context::conv2d_fft) and [`Context::conv1d_fft`](crate::Context::conv1d_fft).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct FftConvOptions {
    /// Output region.
    pub mode: ConvMode,
    /// Edges.
    pub boundary: Boundary,
    /// Correlation instead of convolution: linear, the filter flipped in
    /// both axes; circular, `y[i] = sum_k x[(i + k) mod H] w[k]`.
    pub correlate: bool,
    /// Channel groups (`C_in` and `C_out` multiples of it); weights are
    /// `[C_out, C_in / groups, kh, kw]`. 0 is taken as 1.
    pub groups: usize,
}

/// Options of the PyTorch-style [`Context::conv2d`](crate::Context::conv2d)(crate::Context::conv2d) (cross-correlation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conv2dOptions {
    /// Step between outputs, rows and columns.
    pub stride: (usize, usize),
    /// Zeros added on each side, rows and columns.
    pub padding: (usize, usize),
    /// Spacing of filter taps.
    pub dilation: (usize, usize),
    /// Channel groups.
    pub groups: usize,
}

impl Default for Conv2dOptions {
    fn default() -> Self {
        Conv2dOptions {
            stride: (1, 1),
            padding: (0, 0),
            dilation: (1, 1),
            groups: 1,
        }
    }
}

/// Sizes of an NCHW input and OIHW weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConvShape {
    /// Batch.
    pub n: usize,
    /// Input channels.
    pub cin: usize,
    /// Input rows.
    pub h: usize,
    /// Input columns.
    pub w: usize,
    /// Output channels.
    pub cout: usize,
    /// Filter rows.
    pub kh: usize,
    /// Filter columns.
    pub kw: usize,
    /// Channel groups.
    pub groups: usize,
}

impl ConvShape {
    /// The shape of `input` `[n, cin, h, w]` (or `[n, cin, l]`, as `h = 1`)
    /// and `weight` `[cout, cin / groups, kh, kw]` (or `[cout, cin / groups, k]`).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for ranks other than 3 or 4, or channels
    /// that do not agree; [`Error::InvalidArgument`] for groups that do not
    /// divide both channel counts.
    pub fn of(input: &[usize], weight: &[usize], groups: usize) -> Result<Self> {
        let groups = groups.max(1);
        let (n, cin, h, w, cout, cig, kh, kw) = match (input, weight) {
            ([n, c, h, w], [o, i, kh, kw]) => (*n, *c, *h, *w, *o, *i, *kh, *kw),
            ([n, c, l], [o, i, k]) => (*n, *c, 1, *l, *o, *i, 1, *k),
            _ => {
                return Err(Error::shape(
                    "convolution shapes",
                    "input [N, C, H, W] with weight [O, I, kh, kw] (or 3-D both)",
                    format!("{input:?} and {weight:?}"),
                ))
            }
        };
        if cin % groups != 0 || cout % groups != 0 {
            return Err(Error::invalid(
                "groups",
                format!("{groups} groups do not divide {cin} input and {cout} output channels"),
            ));
        }
        if cig != cin / groups {
            return Err(Error::shape(
                "convolution weight channels",
                cin / groups,
                cig,
            ));
        }
        Ok(ConvShape {
            n,
            cin,
            h,
            w,
            cout,
            kh,
            kw,
            groups,
        })
    }

    fn cig(&self) -> usize {
        self.cin / self.groups
    }
}

/// Where an FFT convolution's output lies in the full result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FftGeometry {
    pub(crate) shape: ConvShape,
    /// Transform size.
    pub(crate) ph: usize,
    pub(crate) pw: usize,
    /// Filter flipped when padded (linear correlation).
    pub(crate) flip: bool,
    /// Filter spectrum conjugated (circular correlation).
    pub(crate) conj: bool,
    pub(crate) oh: usize,
    pub(crate) ow: usize,
    pub(crate) off_y: isize,
    pub(crate) off_x: isize,
}

impl FftGeometry {
    pub(crate) fn new(shape: ConvShape, o: &FftConvOptions) -> Result<Self> {
        let ConvShape { h, w, kh, kw, .. } = shape;
        if o.boundary == Boundary::Circular {
            if o.mode != ConvMode::Same {
                return Err(Error::invalid(
                    "mode",
                    "circular convolution has the input's size: use ConvMode::Same",
                ));
            }
            if kh > h || kw > w {
                return Err(Error::invalid(
                    "weight",
                    format!("a {kh}x{kw} filter is larger than the {h}x{w} period"),
                ));
            }
            return Ok(FftGeometry {
                shape,
                ph: h,
                pw: w,
                flip: false,
                conj: o.correlate,
                oh: h,
                ow: w,
                off_y: 0,
                off_x: 0,
            });
        }
        let (ph, pw) = (h + kh - 1, w + kw - 1);
        let (oh, ow, oy, ox) = match o.mode {
            ConvMode::Full => (ph, pw, 0, 0),
            ConvMode::Same => (h, w, (kh - 1) / 2, (kw - 1) / 2),
            ConvMode::Valid => {
                if kh > h || kw > w {
                    return Err(Error::invalid(
                        "mode",
                        format!("valid mode needs the {kh}x{kw} filter to fit the {h}x{w} input"),
                    ));
                }
                (h - kh + 1, w - kw + 1, kh - 1, kw - 1)
            }
        };
        Ok(FftGeometry {
            shape,
            ph,
            pw,
            flip: o.correlate,
            conj: false,
            oh,
            ow,
            off_y: oy as isize,
            off_x: ox as isize,
        })
    }

    /// The PyTorch-style conv2d with stride and dilation 1 as an FFT
    /// correlation cropped from the full result.
    pub(crate) fn for_conv2d(shape: ConvShape, padding: (usize, usize)) -> Result<Self> {
        let (oh, ow) = direct::output_size(
            &shape,
            &Conv2dOptions {
                padding,
                ..Default::default()
            },
        )?;
        let ConvShape { h, w, kh, kw, .. } = shape;
        Ok(FftGeometry {
            shape,
            ph: h + kh - 1,
            pw: w + kw - 1,
            flip: true,
            conj: false,
            oh,
            ow,
            off_y: kh as isize - 1 - padding.0 as isize,
            off_x: kw as isize - 1 - padding.1 as isize,
        })
    }

    pub(crate) fn out_shape(&self, rank4: bool) -> Vec<usize> {
        let s = &self.shape;
        if rank4 {
            vec![s.n, s.cout, self.oh, self.ow]
        } else {
            vec![s.n, s.cout, self.ow]
        }
    }
}

pub(crate) fn check_bias(bias: Option<&[f32]>, cout: usize) -> Result<()> {
    if let Some(b) = bias {
        crate::layers::check_len("convolution bias", b.len(), cout)?;
    }
    Ok(())
}
