//! Shared by the integration tests: one test function per backend, so a CPU
//! failure cannot hide the GPU result (and the reverse), and helpers that
//! run the `fft-tensor` program.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// The program with `args` in `dir`, backend and log level left to it.
pub fn cmd(args: &[&str], dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fft-tensor"));
    c.args(args)
        .current_dir(dir)
        .env_remove("FFT_TENSOR_BACKEND")
        .env_remove("RUST_LOG");
    c
}

/// Runs the program and collects its output.
pub fn bin(args: &[&str], dir: &Path) -> Output {
    cmd(args, dir).output().expect("runs")
}

/// Runs a command that must succeed; returns its stdout.
pub fn ok(args: &[&str], dir: &Path) -> String {
    let o = bin(args, dir);
    assert!(
        o.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Runs a command that must fail; returns its stderr.
pub fn fails(args: &[&str], dir: &Path) -> String {
    let o = bin(args, dir);
    assert!(!o.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Temporary files left in `dir`.
pub fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("fftt-tmp"))
        .collect()
}

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
