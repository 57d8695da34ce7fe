//! `fft-tensor`: compress safetensors checkpoints into `.fftt` containers
//! with per-tensor codecs chosen by measured error, and back.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use fft_tensor::store::{self, CompressOptions, Family, FileReport, Progress};
use fft_tensor::Context;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(
    name = "fft-tensor",
    version,
    about = "Compressed checkpoints that tell the truth"
)]
struct Cli {
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compress a safetensors file into an .fftt container.
    Compress {
        /// Input safetensors file.
        input: PathBuf,
        /// Output .fftt file (written atomically).
        output: PathBuf,
        /// Largest relative Frobenius error allowed per tensor.
        #[arg(long, default_value_t = 0.01)]
        max_error: f64,
        /// Codec: auto, quant, dct-quant, dct, rfft, prune, int8, int4, f16 or raw.
        #[arg(long, default_value = "auto", value_parser = parse_family)]
        codec: Family,
        /// Store tensors with NaN or infinity raw instead of refusing them.
        #[arg(long)]
        allow_nonfinite: bool,
    },
    /// Decompress an .fftt container into a safetensors file.
    Decompress {
        /// Input .fftt file.
        input: PathBuf,
        /// Output safetensors file (written atomically).
        output: PathBuf,
    },
    /// Show what a container holds: per tensor codec, sizes, ratio, error.
    Inspect {
        /// An .fftt file.
        file: PathBuf,
    },
    /// Per-tensor relative error of B against A (safetensors or .fftt).
    Eval {
        /// Reference file.
        a: PathBuf,
        /// File compared with it.
        b: PathBuf,
    },
    /// Rate-distortion curves of every codec on a file, as SVG and CSV.
    Rd {
        /// Input safetensors file.
        input: PathBuf,
        /// SVG plot to write.
        #[arg(long)]
        plot: PathBuf,
        /// CSV to write (default: the plot's path with .csv).
        #[arg(long)]
        csv: Option<PathBuf>,
    },
}

fn parse_family(s: &str) -> Result<Family, String> {
    Family::parse(s).ok_or_else(|| {
        format!(
            "unknown codec `{s}` (auto, quant, dct-quant, dct, rfft, prune, int8, int4, f16, raw)"
        )
    })
}

fn bar(json: bool) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(0);
    b.set_style(
        ProgressStyle::with_template("{spinner} [{bar:40}] {bytes}/{total_bytes} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    b
}

fn on_progress(b: &ProgressBar) -> impl FnMut(Progress<'_>) + '_ {
    move |p| match p {
        Progress::Begin { bytes, .. } => b.set_length(bytes),
        Progress::Tensor { name, bytes } => {
            b.inc(bytes);
            b.set_message(name.to_string());
        }
    }
}

fn human(bytes: u64) -> String {
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

fn print_table(r: &FileReport) {
    let w = r
        .tensors
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(6)
        .max(6);
    println!(
        "{:<w$}  {:<5} {:<16} {:<22} {:>10} {:>10} {:>8} {:>9}",
        "tensor", "dtype", "shape", "codec", "original", "stored", "ratio", "error"
    );
    for t in &r.tensors {
        let err = if t.error.is_nan() {
            "-".to_string()
        } else {
            format!("{:.2e}", t.error)
        };
        println!(
            "{:<w$}  {:<5} {:<16} {:<22} {:>10} {:>10} {:>7.2}x {:>9}",
            t.name,
            t.dtype,
            format!("{:?}", t.shape),
            t.codec,
            human(t.original_bytes),
            human(t.stored_bytes),
            t.ratio(),
            err
        );
    }
    println!(
        "{:<w$}  {:<5} {:<16} {:<22} {:>10} {:>10} {:>7.2}x {:>9}",
        "total",
        "",
        format!("{} tensors", r.tensors.len()),
        "",
        human(r.original_bytes),
        human(r.output_bytes),
        r.ratio(),
        format!("{:.2e}", r.max_error())
    );
}

fn run(cli: Cli) -> fft_tensor::Result<()> {
    // A real GPU where there is one (FFT_TENSOR_BACKEND overrides); the
    // CPU twin otherwise.
    let ctx = Context::from_env()?;
    match cli.command {
        Command::Compress {
            input,
            output,
            max_error,
            codec,
            allow_nonfinite,
        } => {
            let b = bar(cli.json);
            let opts = CompressOptions {
                max_error,
                family: codec,
                allow_nonfinite,
            };
            let r = store::compress_file(&ctx, &input, &output, &opts, &mut on_progress(&b))?;
            b.finish_and_clear();
            if cli.json {
                println!("{}", r.to_json());
            } else {
                print_table(&r);
                println!(
                    "{} -> {}: {} -> {} ({:.2}x)",
                    input.display(),
                    output.display(),
                    human(r.input_bytes),
                    human(r.output_bytes),
                    r.input_bytes as f64 / r.output_bytes.max(1) as f64
                );
            }
            for t in r.tensors.iter().filter(|t| t.error > max_error) {
                eprintln!(
                    "warning: `{}` stored with {} at error {:.3e}, above --max-error {max_error}",
                    t.name, t.codec, t.error
                );
            }
        }
        Command::Decompress { input, output } => {
            let b = bar(cli.json);
            let bytes = store::decompress_file(&ctx, &input, &output, &mut on_progress(&b))?;
            b.finish_and_clear();
            if cli.json {
                println!(
                    "{}",
                    serde_json::json!({"output": output.display().to_string(), "tensor_bytes": bytes})
                );
            } else {
                println!(
                    "{} -> {}: {} of tensors",
                    input.display(),
                    output.display(),
                    human(bytes)
                );
            }
        }
        Command::Inspect { file } => {
            let r = store::inspect(&file)?;
            if cli.json {
                println!("{}", r.to_json());
            } else {
                print_table(&r);
            }
        }
        Command::Eval { a, b } => {
            let rows = store::eval(&ctx, &a, &b)?;
            if cli.json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|r| {
                        serde_json::json!({"name": r.name, "shape": r.shape, "error": r.error,
                            "max_abs": r.max_abs, "note": r.note})
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(6).max(6);
                println!(
                    "{:<w$}  {:<16} {:>12} {:>12}",
                    "tensor", "shape", "rel. error", "max |diff|"
                );
                for r in &rows {
                    match (r.error, r.max_abs) {
                        (Some(e), Some(m)) => println!(
                            "{:<w$}  {:<16} {:>12.4e} {:>12.4e}",
                            r.name,
                            format!("{:?}", r.shape),
                            e,
                            m
                        ),
                        _ => println!(
                            "{:<w$}  {:<16} {}",
                            r.name,
                            format!("{:?}", r.shape),
                            r.note
                        ),
                    }
                }
            }
        }
        Command::Rd { input, plot, csv } => {
            let b = bar(cli.json);
            let points = store::rate_distortion(&ctx, &input, &mut on_progress(&b))?;
            b.finish_and_clear();
            let title = format!(
                "{}: error vs compression ratio",
                input
                    .file_name()
                    .map_or(String::new(), |n| n.to_string_lossy().into_owned())
            );
            write_file(&plot, store::svg::plot(&points, &title).as_bytes())?;
            let csv = csv.unwrap_or_else(|| plot.with_extension("csv"));
            let text = store::rd_csv(&points);
            write_file(&csv, text.as_bytes())?;
            if cli.json {
                let v: Vec<_> = points
                    .iter()
                    .map(|p| serde_json::json!({"curve": p.curve, "setting": p.setting, "ratio": p.ratio, "error": p.error}))
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                print!("{text}");
                println!("wrote {} and {}", plot.display(), csv.display());
            }
        }
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> fft_tensor::Result<()> {
    std::fs::write(path, bytes).map_err(|e| fft_tensor::Error::Io {
        path: path.display().to_string(),
        source: e,
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
