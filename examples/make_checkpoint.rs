//! Writes a small synthetic safetensors checkpoint (smooth field, position
//! table, heavy-tailed weights in f32 and bf16, integer tensors) to try the
//! `fft-tensor` program on:
//!
//! ```sh
//! cargo run --release --example make_checkpoint -- example.safetensors
//! cargo run --release -- compress example.safetensors example.fftt
//! cargo run --release -- inspect example.fftt
//! ```

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "example.safetensors".into());
    fft_tensor::store::example::write_example_checkpoint(path.as_ref(), 1)?;
    println!("wrote {path}");
    Ok(())
}
