//! Writes a synthetic safetensors checkpoint (smooth field, position
//! table, heavy-tailed weights in f32 and bf16, integer tensors) to try the
//! `fft-tensor` program on:
//!
//! ```sh
//! cargo run --release --example make_checkpoint -- example.safetensors
//! cargo run --release -- compress example.safetensors example.fftt
//! cargo run --release -- inspect example.fftt
//! ```
//!
//! `--layers L` adds `L` transformer blocks of width `--dim D` (default
//! 512; about 12.6 MB per block): `--layers 9` makes a 115 MB checkpoint.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut path = "example.safetensors".to_string();
    let (mut layers, mut dim) = (0usize, 512usize);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--layers" => layers = args.next().ok_or("--layers needs a value")?.parse()?,
            "--dim" => dim = args.next().ok_or("--dim needs a value")?.parse()?,
            _ => path = a,
        }
    }
    if layers == 0 {
        fft_tensor::store::example::write_example_checkpoint(path.as_ref(), 1)?;
    } else {
        fft_tensor::store::example::write_model_checkpoint(path.as_ref(), 1, layers, dim)?;
    }
    println!("wrote {path}");
    Ok(())
}
