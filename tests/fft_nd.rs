//! N-D transforms equal separable 1-D transforms along each axis, on both
//! backends, against an f64 reference.

mod common;

use fft_tensor::num_complex::{Complex32, Complex64};
use fft_tensor::testing::{assert_rms_close, SplitMix64};
use fft_tensor::{Context, FftDirection, Normalization, Tensor};

/// f64 reference: 1-D FFT along `axis` of a row-major tensor, by gathering lines.
pub fn reference_axis(data: &mut [Complex64], shape: &[usize], axis: usize, inverse: bool) {
    let n = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let outer: usize = shape[..axis].iter().product();
    let mut planner = rustfft::FftPlanner::<f64>::new();
    let fft = if inverse {
        planner.plan_fft_inverse(n)
    } else {
        planner.plan_fft_forward(n)
    };
    let mut line = vec![Complex64::default(); n];
    for o in 0..outer {
        for i in 0..inner {
            let at = |k: usize| o * n * inner + k * inner + i;
            for k in 0..n {
                line[k] = data[at(k)];
            }
            fft.process(&mut line);
            for k in 0..n {
                data[at(k)] = line[k];
            }
        }
    }
}

fn complex_nd_equals_separable_1d(ctx: Context) {
    let cases: &[(&[usize], &[usize])] = &[
        (&[8, 16], &[0, 1]),
        (&[8, 16], &[0]),
        (&[3, 64, 5], &[1]),
        (&[2, 4, 8, 16], &[0, 2]),
        (&[4, 2, 2, 2, 2, 2, 2, 4], &[0, 3, 7]),
        (&[64, 64, 4], &[0, 1]),
        (&[2, 8192, 3], &[1]), // four-step along a strided axis
        (&[16384, 2], &[0]),
        (&[32, 32, 32], &[2, 1, 0]),
        // Rows a multiple of 4 KiB apart, one row, reversed axes.
        (&[24, 512], &[0, 1]),
        (&[3, 16, 1024], &[1, 2]),
        (&[5, 7, 512], &[0, 1, 2]),
        (&[1, 512], &[0, 1]),
        (&[512, 512], &[1, 0]),
        (&[8192, 512], &[0, 1]), // four-step columns: no padding
    ];
    for (shape, axes) in cases {
        let len: usize = shape.iter().product();
        let input = SplitMix64(len as u64).complex_vec(len);
        let mut expected: Vec<Complex64> = input
            .iter()
            .map(|c| Complex64::new(c.re.into(), c.im.into()))
            .collect();
        let mut scale = 1.0;
        for &a in *axes {
            reference_axis(&mut expected, shape, a, true);
            scale /= shape[a] as f64;
        }
        expected.iter_mut().for_each(|v| *v *= scale);
        let mut t = Tensor::new(shape, input).unwrap();
        ctx.fftn(&mut t, axes, FftDirection::Inverse, Normalization::Backward)
            .unwrap();
        assert_rms_close(
            &format!("{} {shape:?} axes {axes:?}", ctx.description()),
            t.data(),
            &expected,
            2e-6,
        );
    }
}

#[test]
fn bad_shapes_and_axes_are_errors() {
    let ctx = Context::cpu();
    assert!(Tensor::new(&[2, 3], vec![Complex32::default(); 5]).is_err());
    assert!(Tensor::new(&[2, 0], Vec::<Complex32>::new()).is_err());
    assert!(Tensor::new(&[], vec![Complex32::default()]).is_err());
    assert!(Tensor::new(&[1; 9], vec![Complex32::default()]).is_err());
    let mut t = Tensor::new(&[4, 4], vec![Complex32::default(); 16]).unwrap();
    assert!(ctx
        .fftn(&mut t, &[2], FftDirection::Forward, Normalization::None)
        .is_err());
    assert!(ctx
        .fftn(&mut t, &[1, 1], FftDirection::Forward, Normalization::None)
        .is_err());
}

backend_tests!(complex_nd_equals_separable_1d,);
