//! The automatic choice between direct and FFT conv2d: a cost model of two
//! coefficients measured once per context on the device it runs on.
//!
//! Measurement: on first use, [`Context::conv_cost_model`] runs one probe
//! of each path (batch 1, 16 -> 16 channels, 64 x 64 input, 7 x 7 filter)
//! twice through the ordinary host call and keeps the faster wall time of
//! each, so pipeline builds are not counted. The direct path costs
//! `direct_s_per_mac` per multiply-add (`N C_out oh ow C_in/groups kh kw`),
//! the FFT path `fft_s_per_unit` per unit of its work (FFT points times
//! `log2` of the plane for the input, filter and output planes, plus 4 per
//! complex multiply-add of the channel sum, plus padding and cropping).
//! The model is cached in the context (one per device and backend) and
//! [`ConvCostModel::choose`] compares the two predictions. Only stride 1
//! and dilation 1 can take the FFT path.

use std::time::Instant;

use super::direct::output_size;
use super::fft::run_fft_conv;
use super::{check_bias, Conv2dOptions, ConvShape, FftGeometry};
use crate::backend::Context;
use crate::error::Result;
use crate::tensor::Tensor;

/// Which conv2d implementation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConvAlgorithm {
    /// One thread per output, a loop over channels and taps.
    Direct,
    /// Pad, real FFTs, channel sum of spectra, inverse, crop.
    Fft,
}

/// Measured cost coefficients of the two conv2d paths on one context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConvCostModel {
    /// Seconds per multiply-add of the direct path.
    pub direct_s_per_mac: f64,
    /// Seconds per work unit of the FFT path (see the module docs).
    pub fft_s_per_unit: f64,
}

impl ConvCostModel {
    /// Multiply-adds of the direct path.
    ///
    /// # Errors
    /// As [`Context::conv2d_direct`] for sizes.
    pub fn direct_macs(shape: &ConvShape, options: &Conv2dOptions) -> Result<f64> {
        let (oh, ow) = output_size(shape, options)?;
        Ok((shape.n * shape.cout * oh * ow * shape.cig() * shape.kh * shape.kw) as f64)
    }

    /// Work units of the FFT path (stride and dilation 1).
    pub fn fft_units(shape: &ConvShape) -> f64 {
        let s = shape;
        let plane = ((s.h + s.kh - 1) * (s.w + s.kw - 1)) as f64;
        let planes = (s.n * s.cin + s.cout * s.cig() + s.n * s.cout) as f64;
        let mix = (s.n * s.cout * s.cig()) as f64 * plane / 2.0;
        planes * plane * plane.log2().max(1.0) + 4.0 * mix + 2.0 * planes * plane
    }

    /// Predicted seconds of each path; `None` for the FFT path when the
    /// options need the direct one (stride or dilation above 1).
    ///
    /// # Errors
    /// As [`Context::conv2d_direct`] for sizes.
    pub fn predict(
        &self,
        shape: &ConvShape,
        options: &Conv2dOptions,
    ) -> Result<(f64, Option<f64>)> {
        let direct = Self::direct_macs(shape, options)? * self.direct_s_per_mac;
        let fft_ok = options.stride == (1, 1) && options.dilation == (1, 1);
        Ok((
            direct,
            fft_ok.then(|| Self::fft_units(shape) * self.fft_s_per_unit),
        ))
    }

    /// The path with the smaller prediction.
    ///
    /// # Errors
    /// As [`Self::predict`].
    pub fn choose(&self, shape: &ConvShape, options: &Conv2dOptions) -> Result<ConvAlgorithm> {
        Ok(match self.predict(shape, options)? {
            (d, Some(f)) if f < d => ConvAlgorithm::Fft,
            _ => ConvAlgorithm::Direct,
        })
    }
}

fn best_of_two(mut run: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..2 {
        let t = Instant::now();
        run()?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(best.max(1e-9))
}

impl Context {
    /// The conv2d cost model of this context, measured on first use (see
    /// the module docs) and cached.
    ///
    /// # Errors
    /// GPU errors of the probe runs.
    pub fn conv_cost_model(&self) -> Result<ConvCostModel> {
        #[derive(Hash, PartialEq, Eq)]
        struct ConvCostKey;
        let model = self.cached(ConvCostKey, || {
            let (c, hw, k) = (16, 64, 7);
            let x = Tensor::new(&[1, c, hw, hw], vec![0.5f32; c * hw * hw])?;
            let w = Tensor::new(&[c, c, k, k], vec![0.01f32; c * c * k * k])?;
            let shape = ConvShape::of(x.shape(), w.shape(), 1)?;
            let opts = Conv2dOptions::default();
            let direct = best_of_two(|| self.conv2d_direct(&x, &w, None, &opts).map(drop))?;
            let g = FftGeometry::for_conv2d(shape, (0, 0))?;
            let fft = best_of_two(|| run_fft_conv(self, x.data(), w.data(), None, &g).map(drop))?;
            Ok(ConvCostModel {
                direct_s_per_mac: direct / ConvCostModel::direct_macs(&shape, &opts)?,
                fft_s_per_unit: fft / ConvCostModel::fft_units(&shape),
            })
        })?;
        Ok(*model)
    }

    /// conv2d as PyTorch's (cross-correlation, stride, zero padding,
    /// dilation, groups) by the path [`ConvCostModel::choose`] predicts to
    /// be faster on this context; both give the same result to f32 rounding.
    ///
    /// # Errors
    /// As [`Context::conv2d_direct`]; the probe runs' errors on first use.
    pub fn conv2d(
        &self,
        input: &Tensor<f32>,
        weight: &Tensor<f32>,
        bias: Option<&[f32]>,
        options: &Conv2dOptions,
    ) -> Result<Tensor<f32>> {
        let shape = ConvShape::of(input.shape(), weight.shape(), options.groups)?;
        check_bias(bias, shape.cout)?;
        let algorithm = self.conv2d_choice(&shape, options)?;
        self.conv2d_with(algorithm, input, weight, bias, options)
    }

    /// The path [`Context::conv2d`] takes for these sizes.
    ///
    /// # Errors
    /// As [`Context::conv2d`].
    pub fn conv2d_choice(
        &self,
        shape: &ConvShape,
        options: &Conv2dOptions,
    ) -> Result<ConvAlgorithm> {
        output_size(shape, options)?;
        self.conv_cost_model()?.choose(shape, options)
    }

    /// conv2d by the given path (for benchmarks and tests of the choice).
    ///
    /// # Errors
    /// As [`Context::conv2d`], and [`crate::Error::InvalidArgument`] for the
    /// FFT path with stride or dilation above 1.
    pub fn conv2d_with(
        &self,
        algorithm: ConvAlgorithm,
        input: &Tensor<f32>,
        weight: &Tensor<f32>,
        bias: Option<&[f32]>,
        options: &Conv2dOptions,
    ) -> Result<Tensor<f32>> {
        match algorithm {
            ConvAlgorithm::Direct => self.conv2d_direct(input, weight, bias, options),
            ConvAlgorithm::Fft => {
                if options.stride != (1, 1) || options.dilation != (1, 1) {
                    return Err(crate::Error::invalid(
                        "algorithm",
                        "the FFT path needs stride and dilation 1",
                    ));
                }
                let shape = ConvShape::of(input.shape(), weight.shape(), options.groups)?;
                check_bias(bias, shape.cout)?;
                output_size(&shape, options)?;
                let g = FftGeometry::for_conv2d(shape, options.padding)?;
                let data = run_fft_conv(self, input.data(), weight.data(), bias, &g)?;
                Tensor::new(&g.out_shape(true), data)
            }
        }
    }
}
