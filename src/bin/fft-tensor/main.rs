//! `fft-tensor`: compress safetensors checkpoints into `.fftt` containers
//! with per-tensor codecs chosen by measured error, and back.
//!
//! Outputs are checked before any work (not an input, not a directory, not
//! existing unless `--force`) and written atomically; Ctrl-C and SIGTERM
//! remove the temporary file of a write in progress. `RUST_LOG=info` shows
//! the backend chosen.

mod output;
mod progress;
mod svg;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use fft_tensor::store::{self, CompressOptions, Family, FileReport};
use fft_tensor::Context;
use progress::{bar, human, on_progress};

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
    /// Compress a safetensors, .npy or .npz file into an .fftt container.
    Compress {
        /// Input safetensors, .npy or .npz file.
        input: PathBuf,
        /// Output .fftt file (written atomically).
        output: PathBuf,
        /// Largest error allowed per tensor (in --error-mode).
        #[arg(long, default_value_t = 0.01)]
        max_error: f64,
        /// What --max-error bounds: rel-l2 (||x-y||/||x||), abs-rms, or
        /// abs-max (every element within the bound).
        #[arg(long, default_value = "rel-l2", value_parser = parse_mode)]
        error_mode: store::ErrorMode,
        /// 1-D tensors: exact, tight (bound / 100) or same (as the rest).
        /// Default: exact for safetensors, same for .npy/.npz.
        #[arg(long, value_parser = parse_vectors)]
        vectors: Option<store::VectorPolicy>,
        /// Keep this fraction of spectral coefficients (--codec dct or rfft)
        /// instead of meeting --max-error.
        #[arg(long, conflicts_with = "max_error")]
        keep: Option<f64>,
        /// Worker threads (default: all cores); the output is the same for
        /// any count.
        #[arg(long)]
        threads: Option<usize>,
        /// How auto compares codecs: estimate (on a sample, then encode the
        /// cheapest) or exhaustive (encode every candidate).
        #[arg(long, default_value = "estimate", value_parser = parse_search)]
        search: store::auto::Search,
        /// Codec: auto, bdct, interp, lorenzo, quant, dct-quant, dct, rfft, prune, int8,
        /// int4, f16 or raw.
        #[arg(long, default_value = "auto", value_parser = parse_family)]
        codec: Family,
        /// Store tensors with NaN or infinity raw instead of refusing them.
        #[arg(long)]
        allow_nonfinite: bool,
        /// Overwrite an existing output (its permissions are kept).
        #[arg(long, short)]
        force: bool,
    },
    /// Decompress an .fftt container into a safetensors, .npy or .npz file.
    Decompress {
        /// Input .fftt file.
        input: PathBuf,
        /// Output file (written atomically): .npy (one tensor), .npz, or
        /// safetensors for any other name.
        output: PathBuf,
        /// Overwrite an existing output (its permissions are kept).
        #[arg(long, short)]
        force: bool,
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
        /// Count tensors with NaN or infinity as stored raw instead of
        /// refusing them (as compress does with this flag).
        #[arg(long)]
        allow_nonfinite: bool,
        /// Overwrite existing outputs (their permissions are kept).
        #[arg(long, short)]
        force: bool,
    },
}

fn parse_family(s: &str) -> Result<Family, String> {
    Family::parse(s).ok_or_else(|| {
        format!(
            "unknown codec `{s}` (auto, bdct, interp, lorenzo, quant, dct-quant, dct, rfft, prune, int8, int4, f16, raw)"
        )
    })
}

fn parse_mode(s: &str) -> Result<store::ErrorMode, String> {
    store::ErrorMode::parse(s).map_err(|e| e.to_string())
}

fn parse_search(s: &str) -> Result<store::auto::Search, String> {
    store::auto::Search::parse(s).map_err(|e| e.to_string())
}

fn parse_vectors(s: &str) -> Result<store::VectorPolicy, String> {
    store::VectorPolicy::parse(s).map_err(|e| e.to_string())
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

type CliResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// A real GPU where there is one (FFT_TENSOR_BACKEND overrides); the CPU
/// twin otherwise. Opened only by the commands that compute.
fn context() -> CliResult<Context> {
    Ok(Context::from_env()?)
}

fn run(cli: Cli) -> CliResult<()> {
    match cli.command {
        Command::Compress {
            input,
            output,
            max_error,
            error_mode,
            vectors,
            keep,
            threads,
            search,
            codec,
            allow_nonfinite,
            force,
        } => {
            output::check(&[&input], &[&output], force)?;
            let ctx = context()?;
            let b = bar(cli.json);
            let opts = CompressOptions {
                max_error,
                mode: error_mode,
                family: codec,
                allow_nonfinite,
                vectors,
                keep,
                threads,
                search,
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
            for t in r
                .tensors
                .iter()
                .filter(|t| keep.is_none() && t.error > max_error)
            {
                eprintln!(
                    "warning: `{}` stored with {} at error {:.3e}, above --max-error {max_error}",
                    t.name, t.codec, t.error
                );
            }
        }
        Command::Decompress {
            input,
            output,
            force,
        } => {
            output::check(&[&input], &[&output], force)?;
            let ctx = context()?;
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
            let b = bar(cli.json);
            let r = store::inspect(&file, &mut on_progress(&b))?;
            b.finish_and_clear();
            if cli.json {
                println!("{}", r.to_json());
            } else {
                print_table(&r);
            }
        }
        Command::Eval { a, b } => {
            let ctx = context()?;
            let bar = bar(cli.json);
            let rows = store::eval(&ctx, &a, &b, &mut on_progress(&bar))?;
            bar.finish_and_clear();
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
        Command::Rd {
            input,
            plot,
            csv,
            allow_nonfinite,
            force,
        } => {
            let csv = csv.unwrap_or_else(|| plot.with_extension("csv"));
            output::check(&[&input], &[&plot, &csv], force)?;
            let ctx = context()?;
            let b = bar(cli.json);
            let points =
                store::rate_distortion(&ctx, &input, allow_nonfinite, &mut on_progress(&b))?;
            b.finish_and_clear();
            let title = format!(
                "{}: error vs compression ratio",
                input
                    .file_name()
                    .map_or(String::new(), |n| n.to_string_lossy().into_owned())
            );
            output::write(&plot, svg::plot(&points, &title).as_bytes())?;
            let text = store::rd_csv(&points);
            output::write(&csv, text.as_bytes())?;
            if cli.json {
                let v: Vec<_> = points
                    .iter()
                    .map(|p| serde_json::json!({"curve": p.curve, "setting": p.setting, "ratio": p.ratio, "error": p.error, "fixed": p.fixed, "sampled": p.sampled}))
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

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    // Ctrl-C, SIGTERM and SIGHUP: remove the temporary file of a write in
    // progress, so an interrupted run leaves nothing behind.
    if let Err(e) = ctrlc::set_handler(|| {
        let n = store::temp::remove_live();
        if n > 0 {
            eprintln!("interrupted: removed the partial output");
        } else {
            eprintln!("interrupted");
        }
        std::process::exit(130);
    }) {
        log::warn!("no signal handler: {e}");
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
