//! scipy's `dct`/`idct`/`dctn`/`idctn` of types 2 and 3 with every `norm`
//! and `orthogonalize`, built on the library's orthonormal DCT-II/DCT-III
//! (f32 on the context's backend, f64 on its CPU twin) by scaling the
//! output or input.

use fft_tensor::fft::numpy::{resize_axis, resolve_axes};
use fft_tensor::Tensor;
use numpy::Element;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::arrays::{tensor, to_numpy, Input};
use crate::context::Context;
use crate::errors::IntoPy;

/// The factor on the orthonormal transform along an axis of `n` points for
/// scipy's `norm`: its DCT-II with `norm="backward"` is `sqrt(2n)` times
/// the orthonormal one (index 0 aside), "forward" divides by `2n` more.
fn norm_scale(norm: &str, n: usize) -> PyResult<f64> {
    let two_n = 2.0 * n as f64;
    match norm {
        "backward" => Ok(two_n.sqrt()),
        "ortho" => Ok(1.0),
        "forward" => Ok(1.0 / two_n.sqrt()),
        _ => Err(PyValueError::new_err(format!(
            "Invalid norm value {norm:?}; should be \"backward\", \"ortho\" or \"forward\""
        ))),
    }
}

/// DCT-III with one norm is the inverse of DCT-II with the mirrored one.
fn mirrored(norm: &str) -> &str {
    match norm {
        "backward" => "forward",
        "forward" => "backward",
        other => other,
    }
}

/// The element types the DCT runs in.
trait DctFloat: Element + Copy + Default + Send + Sync + std::ops::MulAssign + PartialEq {
    fn of(f: f64) -> Self;
    fn dctn(
        ctx: &fft_tensor::Context,
        t: &mut Tensor<Self>,
        axes: &[usize],
        inverse: bool,
    ) -> fft_tensor::Result<()>;
}

impl DctFloat for f32 {
    fn of(f: f64) -> Self {
        f as f32
    }
    fn dctn(
        ctx: &fft_tensor::Context,
        t: &mut Tensor<f32>,
        axes: &[usize],
        inverse: bool,
    ) -> fft_tensor::Result<()> {
        if inverse {
            ctx.idctn(t, axes)
        } else {
            ctx.dctn(t, axes)
        }
    }
}

impl DctFloat for f64 {
    fn of(f: f64) -> Self {
        f
    }
    fn dctn(
        ctx: &fft_tensor::Context,
        t: &mut Tensor<f64>,
        axes: &[usize],
        inverse: bool,
    ) -> fft_tensor::Result<()> {
        if inverse {
            ctx.idctn_f64(t, axes)
        } else {
            ctx.dctn_f64(t, axes)
        }
    }
}

/// Multiplies the tensor along each axis by its norm factor, and the
/// index-0 slice by `first` more (inverted when `invert`).
fn scale<T: DctFloat>(
    t: &mut Tensor<T>,
    axes: &[usize],
    norm: &str,
    first: f64,
    invert: bool,
) -> PyResult<()> {
    let shape = t.shape().to_vec();
    for &axis in axes {
        let n = shape[axis];
        let inner: usize = shape[axis + 1..].iter().product();
        let (mut f, mut f0) = (norm_scale(norm, n)?, norm_scale(norm, n)? * first);
        if invert {
            (f, f0) = (1.0 / f, 1.0 / f0);
        }
        let (f, f0) = (T::of(f), T::of(f0));
        for block in t.data_mut().chunks_mut(n * inner) {
            let (head, rest) = block.split_at_mut(inner);
            head.iter_mut().for_each(|v| *v *= f0);
            if f != T::of(1.0) {
                rest.iter_mut().for_each(|v| *v *= f);
            }
        }
    }
    Ok(())
}

/// scipy's `dctn` (`inverse=False`) or `idctn` (`inverse=True`) of `type`
/// 2 or 3 over `axes` of a float32 or float64 array (the same type out), each axis first cropped or
/// zero-padded to `s`. `orthogonalize` defaults to `norm == "ortho"`.
#[pyfunction]
#[pyo3(signature = (ctx, x, kind, s, axes, norm, orthogonalize, inverse))]
#[allow(clippy::too_many_arguments)]
fn dctn<'py>(
    py: Python<'py>,
    ctx: &Context,
    x: &Bound<'py, PyAny>,
    kind: u8,
    s: Option<Vec<usize>>,
    axes: Option<Vec<isize>>,
    norm: &str,
    orthogonalize: Option<bool>,
    inverse: bool,
) -> PyResult<Bound<'py, PyAny>> {
    // Which orthonormal transform runs, and with which norm it is scaled.
    let (dct3, norm) = match (kind, inverse) {
        (2, false) => (false, norm),
        (2, true) => (true, norm),
        (3, false) => (true, mirrored(norm)),
        (3, true) => (false, mirrored(norm)),
        _ => {
            return Err(PyValueError::new_err(format!(
                "DCT type {kind} is not supported; types 2 and 3 are"
            )))
        }
    };
    norm_scale(norm, 1)?;
    let orthogonal = orthogonalize.unwrap_or(norm == "ortho");
    let first = if orthogonal {
        1.0
    } else {
        std::f64::consts::SQRT_2
    };
    let job = Job {
        s,
        axes,
        norm,
        first,
        dct3,
    };
    if let Some(input) = Input::<f32>::of(x) {
        return job.run(py, ctx, input);
    }
    if let Some(input) = Input::<f64>::of(x) {
        return job.run(py, ctx, input);
    }
    Err(PyTypeError::new_err(
        "dctn: expected a numpy array of float32 or float64",
    ))
}

/// One `dctn` call's arguments, checked.
struct Job<'a> {
    s: Option<Vec<usize>>,
    axes: Option<Vec<isize>>,
    norm: &'a str,
    first: f64,
    dct3: bool,
}

impl Job<'_> {
    fn run<'py, T: DctFloat>(
        self,
        py: Python<'py>,
        ctx: &Context,
        input: Input<'py, T>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let Job {
            s,
            axes,
            norm,
            first,
            dct3,
        } = self;
        let (shape, data) = (input.shape(), input.data()?);
        let axes = resolve_axes(axes.as_deref(), shape.len()).py()?;
        if let Some(s) = &s {
            if s.len() != axes.len() {
                return Err(PyValueError::new_err(format!(
                    "s has {} lengths for {} axes",
                    s.len(),
                    axes.len()
                )));
            }
        }
        let out = py.detach(|| -> PyResult<Tensor<T>> {
            let mut t = tensor(&shape, data).py()?;
            for (i, &axis) in axes.iter().enumerate() {
                match s.as_ref().map(|s| s[i]) {
                    Some(len) if len != t.shape()[axis] => t = resize_axis(&t, axis, len).py()?,
                    _ => {}
                }
            }
            if dct3 {
                scale(&mut t, &axes, norm, first, true)?;
            }
            T::dctn(&ctx.inner, &mut t, &axes, dct3).py()?;
            if !dct3 {
                scale(&mut t, &axes, norm, first, false)?;
            }
            Ok(t)
        })?;
        to_numpy(py, out)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(dctn, m)?)
}
