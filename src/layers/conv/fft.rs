//! FFT convolution: pad, real 2-D FFTs, channel sum of spectra, inverse,
//! crop (with bias), on the GPU as one recording and on the CPU twin.

use rustfft::num_complex::Complex32;

use super::{check_bias, ConvShape, FftConvOptions, FftGeometry};
use crate::backend::{BufferSlice, Context, Recording};
use crate::error::Result;
use crate::fft::Normalization;
use crate::layers::{as_u32, check_slice, run_gpu, threads, CONSTANTS};
use crate::shaders::{self, kernel_params};
use crate::tensor::Tensor;

kernel_params! {
/// Uniforms of `conv_window.wgsl`.
struct WindowParams {
    total: u32,
    sh: u32,
    sw: u32,
    dh: u32,
    dw: u32,
    off_y: i32,
    off_x: i32,
    flags: u32,
    channels: u32,
    groups_x: u32,
    _pad: [u32; 2],
}
}

kernel_params! {
/// Uniforms of `conv_spectral_mix.wgsl`.
struct MixParams {
    total: u32,
    cin: u32,
    cout: u32,
    groups: u32,
    freqs: u32,
    flags: u32,
    groups_x: u32,
    _pad: u32,
}
}

/// A window of planes: `(outer, source h/w, destination h/w, offset, flip)`.
#[derive(Clone, Copy)]
struct Window {
    outer: usize,
    src: (usize, usize),
    dst: (usize, usize),
    off: (isize, isize),
    flip: bool,
}

/// The CPU twin of `conv_window.wgsl`.
fn window_cpu(src: &[f32], bias: Option<&[f32]>, w: Window) -> Vec<f32> {
    let (sh, sw) = w.src;
    let (dh, dw) = w.dst;
    let mut out = vec![0.0; w.outer * dh * dw];
    for (id, o) in out.iter_mut().enumerate() {
        let (j, i, p) = (id % dw, (id / dw) % dh, id / (dw * dh));
        let (si, sj) = (i as isize + w.off.0, j as isize + w.off.1);
        if si >= 0 && (si as usize) < sh && sj >= 0 && (sj as usize) < sw {
            let (mut si, mut sj) = (si as usize, sj as usize);
            if w.flip {
                (si, sj) = (sh - 1 - si, sw - 1 - sj);
            }
            *o = src[(p * sh + si) * sw + sj];
        }
        if let Some(b) = bias {
            *o += b[p % b.len()];
        }
    }
    out
}

/// The CPU twin of `conv_spectral_mix.wgsl`.
fn mix_cpu(
    x: &[Complex32],
    w: &[Complex32],
    s: &ConvShape,
    freqs: usize,
    conj: bool,
) -> Vec<Complex32> {
    let cig = s.cig();
    let per_group = s.cout / s.groups;
    let mut y = vec![Complex32::new(0.0, 0.0); s.n * s.cout * freqs];
    for (id, out) in y.iter_mut().enumerate() {
        let (f, co, n) = (id % freqs, (id / freqs) % s.cout, id / (freqs * s.cout));
        let g = co / per_group;
        for ci in 0..cig {
            let wv = w[(co * cig + ci) * freqs + f];
            let wv = if conj { wv.conj() } else { wv };
            *out += x[(n * s.cin + g * cig + ci) * freqs + f] * wv;
        }
    }
    y
}

fn windows(g: &FftGeometry) -> [Window; 3] {
    let s = &g.shape;
    [
        Window {
            outer: s.n * s.cin,
            src: (s.h, s.w),
            dst: (g.ph, g.pw),
            off: (0, 0),
            flip: false,
        },
        Window {
            outer: s.cout * s.cig(),
            src: (s.kh, s.kw),
            dst: (g.ph, g.pw),
            off: (0, 0),
            flip: g.flip,
        },
        Window {
            outer: s.n * s.cout,
            src: (g.ph, g.pw),
            dst: (g.oh, g.ow),
            off: (g.off_y, g.off_x),
            flip: false,
        },
    ]
}

/// The CPU twin of the FFT path.
pub(crate) fn fft_conv_cpu(
    ctx: &Context,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    g: &FftGeometry,
) -> Result<Vec<f32>> {
    let [wx, ww, wy] = windows(g);
    let spectrum = |data: Vec<f32>, outer: usize| -> Result<Vec<Complex32>> {
        let t = Tensor::new(&[outer, g.ph, g.pw], data)?;
        Ok(ctx.rfftn(&t, &[1, 2], Normalization::Backward)?.into_data())
    };
    let xs = spectrum(window_cpu(x, None, wx), wx.outer)?;
    let ws = spectrum(window_cpu(w, None, ww), ww.outer)?;
    let freqs = g.ph * (g.pw / 2 + 1);
    let ys = mix_cpu(&xs, &ws, &g.shape, freqs, g.conj);
    let yt = Tensor::new(&[wy.outer, g.ph, g.pw / 2 + 1], ys)?;
    let full = ctx.irfftn(&yt, &[1, 2], g.pw, Normalization::Backward)?;
    Ok(window_cpu(full.data(), bias, wy))
}

fn record_window(
    rec: &mut Recording,
    src: &BufferSlice,
    bias: Option<&BufferSlice>,
    dst: &BufferSlice,
    w: Window,
    channels: usize,
) -> Result<()> {
    let total = w.outer * w.dst.0 * w.dst.1;
    let p = WindowParams {
        total: as_u32("convolution window", total)?,
        sh: w.src.0 as u32,
        sw: w.src.1 as u32,
        dh: w.dst.0 as u32,
        dw: w.dst.1 as u32,
        off_y: w.off.0 as i32,
        off_x: w.off.1 as i32,
        flags: u32::from(w.flip) | (u32::from(bias.is_some()) << 1),
        channels: channels.max(1) as u32,
        ..Default::default()
    };
    rec.launch(
        &shaders::CONV_WINDOW,
        CONSTANTS,
        &[src, bias.unwrap_or(src), dst],
        threads(total),
        |grid| WindowParams {
            groups_x: grid.0,
            ..p
        },
    )
}

/// Records the FFT path of `g` from `x`, `w` (and `bias`) into `y`.
pub(crate) fn record_fft_conv(
    ctx: &Context,
    rec: &mut Recording,
    x: &BufferSlice,
    w: &BufferSlice,
    bias: Option<&BufferSlice>,
    y: &BufferSlice,
    g: &FftGeometry,
) -> Result<()> {
    let s = &g.shape;
    let [wx, ww, wy] = windows(g);
    check_slice("convolution input", x, s.n * s.cin * s.h * s.w, 4)?;
    check_slice("convolution weight", w, s.cout * s.cig() * s.kh * s.kw, 4)?;
    check_slice("convolution output", y, wy.outer * g.oh * g.ow, 4)?;
    if let Some(b) = bias {
        check_slice("convolution bias", b, s.cout, 4)?;
    }
    let plane = g.ph * g.pw;
    let freqs = g.ph * (g.pw / 2 + 1);
    let spectrum = |rec: &mut Recording, src: &BufferSlice, win: Window| -> Result<BufferSlice> {
        let padded = rec.temporary("convolution padded", (win.outer * plane * 4) as u64)?;
        record_window(rec, src, None, &padded, win, 1)?;
        let spec = rec.temporary("convolution spectrum", (win.outer * freqs * 8) as u64)?;
        ctx.record_rfftn(
            rec,
            &padded,
            &spec,
            &[win.outer, g.ph, g.pw],
            &[1, 2],
            Normalization::Backward,
        )?;
        Ok(spec)
    };
    let xs = spectrum(rec, x, wx)?;
    let ws = spectrum(rec, w, ww)?;
    let ys = rec.temporary("convolution output spectrum", (wy.outer * freqs * 8) as u64)?;
    let total = wy.outer * freqs;
    let p = MixParams {
        total: as_u32("convolution spectrum", total)?,
        cin: s.cin as u32,
        cout: s.cout as u32,
        groups: s.groups as u32,
        freqs: freqs as u32,
        flags: u32::from(g.conj),
        ..Default::default()
    };
    rec.launch(
        &shaders::CONV_SPECTRAL_MIX,
        CONSTANTS,
        &[&xs, &ws, &ys],
        threads(total),
        |grid| MixParams {
            groups_x: grid.0,
            ..p
        },
    )?;
    let full = rec.temporary("convolution full", (wy.outer * plane * 4) as u64)?;
    ctx.record_irfftn(
        rec,
        &ys,
        &full,
        &[wy.outer, g.ph, g.pw / 2 + 1],
        &[1, 2],
        g.pw,
        Normalization::Backward,
    )?;
    record_window(rec, &full, bias, y, wy, s.cout)
}

/// Runs the FFT path on the context's backend.
pub(crate) fn run_fft_conv(
    ctx: &Context,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    g: &FftGeometry,
) -> Result<Vec<f32>> {
    let out = g.shape.n * g.shape.cout * g.oh * g.ow;
    if ctx.gpu().is_none() {
        return fft_conv_cpu(ctx, x, w, bias, g);
    }
    let b: &[f32] = bias.unwrap_or(&[]);
    run_gpu(
        ctx,
        "fft convolution",
        &[
            bytemuck::cast_slice(x),
            bytemuck::cast_slice(w),
            bytemuck::cast_slice(b),
        ],
        out,
        |rec, i, y| record_fft_conv(ctx, rec, &i[0], &i[1], bias.map(|_| &i[2]), y, g),
    )
}

impl Context {
    /// FFT convolution (or correlation) of `input` `[N, C_in, H, W]` with
    /// `weight` `[C_out, C_in / groups, kh, kw]`, plus `bias` (`C_out`):
    /// output `[N, C_out, oh, ow]` with the size the mode and boundary give.
    /// Transforms are `H + kh - 1` by `W + kw - 1` (linear) or `H` by `W`
    /// (circular), any length.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) for shapes that
    /// do not agree or a bias of the wrong length;
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a
    /// filter larger than the input in `Valid` mode or than the period
    /// (circular), circular with a mode other than `Same`, or groups that
    /// do not divide the channels; FFT and GPU errors.
    pub fn conv2d_fft(
        &self,
        input: &Tensor<f32>,
        weight: &Tensor<f32>,
        bias: Option<&[f32]>,
        options: &FftConvOptions,
    ) -> Result<Tensor<f32>> {
        if input.shape().len() != 4 {
            return Err(crate::Error::shape(
                "conv2d_fft input",
                "[N, C, H, W]",
                format!("{:?}", input.shape()),
            ));
        }
        self.conv_fft(input, weight, bias, options)
    }

    /// 1-D FFT convolution (or correlation) of `input` `[N, C_in, L]` with
    /// `weight` `[C_out, C_in / groups, k]`: [`Context::conv2d_fft`] with one row.
    ///
    /// # Errors
    /// As [`Context::conv2d_fft`].
    pub fn conv1d_fft(
        &self,
        input: &Tensor<f32>,
        weight: &Tensor<f32>,
        bias: Option<&[f32]>,
        options: &FftConvOptions,
    ) -> Result<Tensor<f32>> {
        if input.shape().len() != 3 {
            return Err(crate::Error::shape(
                "conv1d_fft input",
                "[N, C, L]",
                format!("{:?}", input.shape()),
            ));
        }
        self.conv_fft(input, weight, bias, options)
    }

    fn conv_fft(
        &self,
        input: &Tensor<f32>,
        weight: &Tensor<f32>,
        bias: Option<&[f32]>,
        options: &FftConvOptions,
    ) -> Result<Tensor<f32>> {
        let shape = ConvShape::of(input.shape(), weight.shape(), options.groups)?;
        check_bias(bias, shape.cout)?;
        let g = FftGeometry::new(shape, options)?;
        let data = run_fft_conv(self, input.data(), weight.data(), bias, &g)?;
        Tensor::new(&g.out_shape(input.shape().len() == 4), data)
    }

    /// Records [`Context::conv2d_fft`] (shapes from [`ConvShape::of`]) of
    /// `x` and `w` (plus `bias`) into `y`; temporaries belong to the recording.
    ///
    /// # Errors
    /// As [`Context::conv2d_fft`]; buffer sizes.
    #[allow(clippy::too_many_arguments)]
    pub fn record_conv2d_fft(
        &self,
        rec: &mut Recording,
        x: &BufferSlice,
        w: &BufferSlice,
        bias: Option<&BufferSlice>,
        y: &BufferSlice,
        shape: ConvShape,
        options: &FftConvOptions,
    ) -> Result<()> {
        let g = FftGeometry::new(shape, options)?;
        record_fft_conv(self, rec, x, w, bias, y, &g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shaders::assert_params;

    #[test]
    fn parameter_structs_match_the_wgsl_uniforms() {
        assert_params::<WindowParams>(&shaders::CONV_WINDOW);
        assert_params::<MixParams>(&shaders::CONV_SPECTRAL_MIX);
    }
}
