//! FFTs with numpy's arguments: complex-to-complex, real-to-complex and
//! complex-to-real over any axes, in f32 (the context's backend) or f64
//! (the CPU twin), and the frequency helpers.

use fft_tensor::fft::numpy::{self as np, resolve_axes};
use fft_tensor::num_complex::Complex;
use fft_tensor::num_complex::Complex32;
use fft_tensor::{FftDirection, FftFloat, Normalization, Tensor};
use numpy::{Element, PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::arrays::{tensor, to_numpy, vec_to_numpy, Input};
use crate::context::Context;
use crate::errors::IntoPy;

/// numpy's `norm` names (None is mapped to "backward" by the caller).
pub fn normalization(norm: &str) -> PyResult<Normalization> {
    match norm {
        "backward" => Ok(Normalization::Backward),
        "ortho" => Ok(Normalization::Ortho),
        "forward" => Ok(Normalization::Forward),
        _ => Err(PyValueError::new_err(format!(
            "Invalid norm value {norm:?}; should be \"backward\", \"ortho\" or \"forward\""
        ))),
    }
}

type Args = (Option<Vec<usize>>, Option<Vec<isize>>, Normalization);

/// Runs `f` on the elements and shape of `a`, read in place without the
/// GIL, when `a` is an array of `In` (`None` otherwise), and hands the
/// result to numpy.
fn borrowed<'py, In, Out>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    f: impl Fn(&[In], &[usize]) -> fft_tensor::Result<Tensor<Out>> + Send + Sync,
) -> PyResult<Option<Bound<'py, PyAny>>>
where
    In: Element + Copy + Send + Sync,
    Out: Element + Send,
{
    let Some(input) = Input::<In>::of(a) else {
        return Ok(None);
    };
    let (shape, data) = (input.shape(), input.data()?);
    let out = py.detach(|| f(data, &shape)).py()?;
    to_numpy(py, out).map(Some)
}

/// [`borrowed`] with `f` given a copy of `a` to own (transforms that work
/// in place).
fn transform<'py, In, Out>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    f: impl Fn(Tensor<In>) -> fft_tensor::Result<Tensor<Out>> + Send + Sync,
) -> PyResult<Option<Bound<'py, PyAny>>>
where
    In: Element + Copy + Send + Sync,
    Out: Element + Send,
{
    borrowed(py, a, |data, shape| f(tensor(shape, data)?))
}

/// The real transforms that read their input in place (forward) or take
/// it by value (inverse), in each float type.
trait RealFft: FftFloat {
    fn rfft_slice(
        ctx: &fft_tensor::Context,
        data: &[Self],
        shape: &[usize],
        axes: &[usize],
        norm: Normalization,
    ) -> fft_tensor::Result<Tensor<Complex<Self>>>;
    fn irfft_owned(
        ctx: &fft_tensor::Context,
        t: Tensor<Complex<Self>>,
        axes: &[usize],
        real_len: usize,
        norm: Normalization,
    ) -> fft_tensor::Result<Tensor<Self>>;
}

impl RealFft for f32 {
    fn rfft_slice(
        ctx: &fft_tensor::Context,
        data: &[f32],
        shape: &[usize],
        axes: &[usize],
        norm: Normalization,
    ) -> fft_tensor::Result<Tensor<Complex<f32>>> {
        ctx.rfftn_slice(data, shape, axes, norm)
    }
    fn irfft_owned(
        ctx: &fft_tensor::Context,
        t: Tensor<Complex<f32>>,
        axes: &[usize],
        real_len: usize,
        norm: Normalization,
    ) -> fft_tensor::Result<Tensor<f32>> {
        ctx.irfftn_owned(t, axes, real_len, norm)
    }
}

impl RealFft for f64 {
    fn rfft_slice(
        ctx: &fft_tensor::Context,
        data: &[f64],
        shape: &[usize],
        axes: &[usize],
        norm: Normalization,
    ) -> fft_tensor::Result<Tensor<Complex<f64>>> {
        ctx.rfftn_f64_slice(data, shape, axes, norm)
    }
    fn irfft_owned(
        ctx: &fft_tensor::Context,
        t: Tensor<Complex<f64>>,
        axes: &[usize],
        real_len: usize,
        norm: Normalization,
    ) -> fft_tensor::Result<Tensor<f64>> {
        ctx.irfftn_f64_owned(t, axes, real_len, norm)
    }
}

/// The first result of the f32 and f64 attempts, or a TypeError.
fn either<'py>(
    what: &str,
    expected: &str,
    single: Option<Bound<'py, PyAny>>,
    double: impl FnOnce() -> PyResult<Option<Bound<'py, PyAny>>>,
) -> PyResult<Bound<'py, PyAny>> {
    match single {
        Some(out) => Ok(out),
        None => double()?.ok_or_else(|| {
            PyTypeError::new_err(format!(
                "{what}: expected a C-contiguous numpy array of {expected}"
            ))
        }),
    }
}

fn c2c_t<T: FftFloat>(
    ctx: &Context,
    t: Tensor<Complex<T>>,
    (s, axes, norm): &Args,
    direction: FftDirection,
) -> fft_tensor::Result<Tensor<Complex<T>>> {
    let ctx = &ctx.inner;
    if s.is_some() {
        return match direction {
            FftDirection::Forward => np::fftn(ctx, &t, s.as_deref(), axes.as_deref(), *norm),
            FftDirection::Inverse => np::ifftn(ctx, &t, s.as_deref(), axes.as_deref(), *norm),
        };
    }
    // No cropping or padding: transform the one copy in place.
    let axes = resolve_axes(axes.as_deref(), t.shape().len())?;
    let mut t = t;
    if !axes.is_empty() {
        T::fft_axes(ctx, &mut t, &axes, direction, *norm)?;
    }
    Ok(t)
}

fn r2c_t<T: RealFft>(
    ctx: &Context,
    data: &[T],
    shape: &[usize],
    (s, axes, norm): &Args,
) -> fft_tensor::Result<Tensor<Complex<T>>> {
    if s.is_some() {
        let t = tensor(shape, data)?;
        return np::rfftn(&ctx.inner, &t, s.as_deref(), axes.as_deref(), *norm);
    }
    // No cropping or padding: read the array in place.
    let axes = resolve_axes(axes.as_deref(), shape.len())?;
    T::rfft_slice(&ctx.inner, data, shape, &axes, *norm)
}

fn c2r_t<T: RealFft>(
    ctx: &Context,
    t: Tensor<Complex<T>>,
    (s, axes, norm): &Args,
) -> fft_tensor::Result<Tensor<T>> {
    let resolved = resolve_axes(axes.as_deref(), t.shape().len())?;
    match (s, resolved.last()) {
        // The inferred real length 2 (m - 1) needs no cropping or padding:
        // the one copy is transformed in place.
        (None, Some(&real_axis)) if t.shape()[real_axis] > 1 => {
            let real_len = 2 * (t.shape()[real_axis] - 1);
            T::irfft_owned(&ctx.inner, t, &resolved, real_len, *norm)
        }
        _ => np::irfftn(&ctx.inner, &t, s.as_deref(), axes.as_deref(), *norm),
    }
}

/// Complex FFT over `axes` (numpy's fftn/ifftn): `a` is complex64 (the
/// context's backend) or complex128 (CPU, f64); `s` crops or zero-pads.
#[pyfunction]
#[pyo3(signature = (ctx, a, s, axes, norm, inverse))]
fn c2c<'py>(
    py: Python<'py>,
    ctx: &Context,
    a: &Bound<'py, PyAny>,
    s: Option<Vec<usize>>,
    axes: Option<Vec<isize>>,
    norm: &str,
    inverse: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let args = (s, axes, normalization(norm)?);
    let dir = if inverse {
        FftDirection::Inverse
    } else {
        FftDirection::Forward
    };
    let single = transform(py, a, |t| c2c_t::<f32>(ctx, t, &args, dir))?;
    either("c2c", "complex64 or complex128", single, || {
        transform(py, a, |t| c2c_t::<f64>(ctx, t, &args, dir))
    })
}

/// Real FFT over `axes` (numpy's rfftn, `a` float32 or float64) or its
/// inverse (numpy's irfftn with `inverse`, `a` complex64 or complex128; `s`
/// gives the output lengths, the last inferred when absent).
#[pyfunction]
#[pyo3(signature = (ctx, a, s, axes, norm, inverse))]
fn real<'py>(
    py: Python<'py>,
    ctx: &Context,
    a: &Bound<'py, PyAny>,
    s: Option<Vec<usize>>,
    axes: Option<Vec<isize>>,
    norm: &str,
    inverse: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let args = (s, axes, normalization(norm)?);
    if inverse {
        let single = transform(py, a, |t| c2r_t::<f32>(ctx, t, &args))?;
        either("irfftn", "complex64 or complex128", single, || {
            transform(py, a, |t| c2r_t::<f64>(ctx, t, &args))
        })
    } else {
        let single = borrowed(py, a, |d, shape| r2c_t::<f32>(ctx, d, shape, &args))?;
        either("rfftn", "float32 or float64", single, || {
            borrowed(py, a, |d, shape| r2c_t::<f64>(ctx, d, shape, &args))
        })
    }
}

/// Real FFT over `axes` of a float32 array straight into `out`, a
/// C-contiguous writable complex64 array of the half spectrum's shape
/// (numpy's `out=` without a result array: its memory is reused, not
/// allocated and first touched on every call). Raises ValueError when
/// `out` has the wrong shape or shares memory with `a`.
#[pyfunction]
#[pyo3(signature = (ctx, a, axes, norm, out))]
fn rfft_into<'py>(
    py: Python<'py>,
    ctx: &Context,
    a: &Bound<'py, PyAny>,
    axes: Option<Vec<isize>>,
    norm: &str,
    out: &Bound<'py, PyArrayDyn<Complex32>>,
) -> PyResult<()> {
    let norm = normalization(norm)?;
    let input = Input::<f32>::expect(a, "rfft_into")?;
    let (shape, data) = (input.shape(), input.data()?);
    let axes = resolve_axes(axes.as_deref(), shape.len()).py()?;
    let expected = fft_tensor::fft::rfftn_shape(&shape, &axes).py()?;
    if out.shape() != expected.as_slice() {
        return Err(PyValueError::new_err(format!(
            "out has shape {:?}, the result has {:?}",
            out.shape(),
            expected
        )));
    }
    let mut writable = out
        .try_readwrite()
        .map_err(|e| PyValueError::new_err(format!("out cannot be written: {e}")))?;
    let output = writable
        .as_slice_mut()
        .map_err(|_| PyValueError::new_err("out must be C-contiguous"))?;
    py.detach(|| {
        ctx.inner
            .rfftn_slice_into(data, &shape, &axes, norm, output)
    })
    .py()
}

/// numpy's fftfreq: the frequency of each bin of an n-point FFT.
#[pyfunction]
#[pyo3(signature = (n, d = 1.0))]
fn fftfreq(py: Python<'_>, n: usize, d: f64) -> PyResult<Bound<'_, PyAny>> {
    let f = fft_tensor::fftfreq(n, d).py()?;
    vec_to_numpy(py, &[f.len()], f)
}

/// numpy's rfftfreq: the frequency of each bin of an n-point real FFT.
#[pyfunction]
#[pyo3(signature = (n, d = 1.0))]
fn rfftfreq(py: Python<'_>, n: usize, d: f64) -> PyResult<Bound<'_, PyAny>> {
    let f = fft_tensor::rfftfreq(n, d).py()?;
    vec_to_numpy(py, &[f.len()], f)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(c2c, m)?)?;
    m.add_function(wrap_pyfunction!(real, m)?)?;
    m.add_function(wrap_pyfunction!(rfft_into, m)?)?;
    m.add_function(wrap_pyfunction!(fftfreq, m)?)?;
    m.add_function(wrap_pyfunction!(rfftfreq, m)?)?;
    Ok(())
}
