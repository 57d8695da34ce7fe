//! Shared by the integration tests: one test function per backend, so a CPU
//! failure cannot hide the GPU result (and the reverse).

/// `backend_tests!(check)` for a `fn check(ctx: Context)` defines the tests
/// `check_cpu` (the CPU twin) and `check_gpu` (any GPU adapter, skipped
/// without one unless `FFT_TENSOR_REQUIRE_GPU=1`).
#[macro_export]
macro_rules! backend_tests {
    ($($check:ident),+ $(,)?) => {
        $(
            paste_backend_test!($check);
        )+
    };
}

/// One pair of tests; see [`backend_tests`].
#[macro_export]
macro_rules! paste_backend_test {
    ($check:ident) => {
        mod $check {
            #[test]
            fn cpu() {
                super::$check(fft_tensor::Context::cpu());
            }

            #[test]
            fn gpu() {
                let name = concat!(stringify!($check), "::gpu");
                if let Some(ctx) = fft_tensor::testing::gpu_context_or_skip(name) {
                    super::$check(ctx);
                }
            }
        }
    };
}
