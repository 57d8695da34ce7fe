//! Sample frequencies and spectrum reordering, as numpy's `fftfreq`,
//! `rfftfreq`, `fftshift` and `ifftshift`.

use super::numpy::resolve_axes;
use crate::error::{Error, Result};
use crate::tensor::{axis_split, Tensor};

fn check_spacing(d: f64) -> Result<()> {
    if !d.is_finite() || d == 0.0 {
        return Err(Error::invalid(
            "d",
            format!("sample spacing {d} must be finite and non-zero"),
        ));
    }
    Ok(())
}

/// The frequency of each bin of an `n`-point FFT with sample spacing `d`
/// (numpy's `fftfreq`): `[0, 1, ..., ceil(n/2) - 1, -floor(n/2), ..., -1] / (d n)`,
/// in cycles per unit of `d`. Empty for `n == 0`.
///
/// # Errors
/// [`Error::InvalidArgument`] when `d` is zero or not finite.
pub fn fftfreq(n: usize, d: f64) -> Result<Vec<f64>> {
    check_spacing(d)?;
    let scale = 1.0 / (n as f64 * d);
    let positive = n.div_ceil(2);
    Ok((0..n)
        .map(|k| {
            let k = if k < positive {
                k as f64
            } else {
                k as f64 - n as f64
            };
            k * scale
        })
        .collect())
}

/// The frequency of each bin of an `n`-point real FFT's half spectrum
/// (numpy's `rfftfreq`): `[0, 1, ..., floor(n/2)] / (d n)`. Empty for `n == 0`.
///
/// # Errors
/// [`Error::InvalidArgument`] when `d` is zero or not finite.
pub fn rfftfreq(n: usize, d: f64) -> Result<Vec<f64>> {
    check_spacing(d)?;
    if n == 0 {
        return Ok(Vec::new());
    }
    let scale = 1.0 / (n as f64 * d);
    Ok((0..=n / 2).map(|k| k as f64 * scale).collect())
}

/// Rolls `tensor` along each axis by `shift(n)` places towards higher indices.
fn roll<T: Copy>(
    tensor: &Tensor<T>,
    axes: Option<&[isize]>,
    shift: impl Fn(usize) -> usize,
) -> Result<Tensor<T>> {
    let axes = resolve_axes(axes, tensor.shape().len())?;
    let mut data = tensor.data().to_vec();
    let mut scratch = data.clone();
    for axis in axes {
        let (_, n, inner) = axis_split(tensor.shape(), axis);
        let by = shift(n) % n;
        if by == 0 {
            continue;
        }
        for (src, dst) in data.chunks(n * inner).zip(scratch.chunks_mut(n * inner)) {
            let split = (n - by) * inner;
            dst[by * inner..].copy_from_slice(&src[..split]);
            dst[..by * inner].copy_from_slice(&src[split..]);
        }
        std::mem::swap(&mut data, &mut scratch);
    }
    Tensor::new(tensor.shape(), data)
}

/// Moves the zero-frequency bin to the centre along `axes` (all when `None`;
/// negative axes count from the end), as numpy's `fftshift`: each axis of
/// length n is rolled by `floor(n/2)`.
///
/// # Errors
/// [`Error::InvalidArgument`] for axes out of range or repeated.
pub fn fftshift<T: Copy>(tensor: &Tensor<T>, axes: Option<&[isize]>) -> Result<Tensor<T>> {
    roll(tensor, axes, |n| n / 2)
}

/// The inverse of [`fftshift`] (numpy's `ifftshift`): each axis of length n
/// is rolled back by `floor(n/2)`, which differs from [`fftshift`] for odd n.
///
/// # Errors
/// As [`fftshift`].
pub fn ifftshift<T: Copy>(tensor: &Tensor<T>, axes: Option<&[isize]>) -> Result<Tensor<T>> {
    roll(tensor, axes, |n| n - n / 2)
}
