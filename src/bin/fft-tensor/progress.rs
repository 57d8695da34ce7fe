//! Progress bars and byte counts, in the decimal units the tables print.

use std::cell::Cell;
use std::io::IsTerminal;

use fft_tensor::store::Progress;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};

/// `bytes` in decimal units (`B`, `kB`, `MB`, `GB`), as the tables print them.
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.2} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{bytes} B")
    }
}

/// A progress bar on a terminal's stderr; hidden for `--json` or when
/// stderr is not a terminal.
pub fn bar(json: bool) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(0);
    b.set_style(
        ProgressStyle::with_template("{spinner} [{bar:40}] {done}/{all} {msg}")
            .expect("valid template")
            .with_key("done", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&human(s.pos()));
            })
            .with_key("all", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&human(s.len().unwrap_or(0)));
            })
            .progress_chars("=> "),
    );
    b.enable_steady_tick(std::time::Duration::from_millis(200));
    b
}

/// A store progress callback that moves `b`: inside a tensor as parts of
/// it are done, and over the final write.
pub fn on_progress(b: &ProgressBar) -> impl FnMut(Progress<'_>) + '_ {
    // Bytes of the tensors finished so far.
    let base = Cell::new(0u64);
    let writing = Cell::new(false);
    move |p| match p {
        Progress::Begin { bytes, .. } => {
            base.set(0);
            b.set_length(bytes);
            b.set_position(0);
        }
        Progress::Within { name, done, .. } => {
            b.set_position(base.get() + done);
            b.set_message(name.to_string());
        }
        Progress::Tensor { name, bytes } => {
            base.set(base.get() + bytes);
            b.set_position(base.get());
            b.set_message(name.to_string());
        }
        Progress::Write { done, bytes } => {
            if !writing.replace(true) {
                b.set_length(bytes);
                b.set_message("writing the output");
            }
            b.set_position(done);
        }
        _ => {}
    }
}
