//! Output paths: checked before any work, written atomically.

use std::path::Path;

use fft_tensor::store::paths;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Refuses outputs that are an input, a directory, in a missing directory,
/// each other, or that exist without `force`.
pub fn check(inputs: &[&Path], outputs: &[&Path], force: bool) -> Result<()> {
    for (k, o) in outputs.iter().enumerate() {
        paths::check_output(inputs, o)?;
        if outputs[..k]
            .iter()
            .any(|p| p == o || paths::same_file(p, o))
        {
            return Err(format!("{} is given as two outputs", o.display()).into());
        }
        if !force && std::fs::symlink_metadata(o).is_ok() {
            return Err(format!(
                "{} exists; pass --force to overwrite it (its permissions are kept)",
                o.display()
            )
            .into());
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically (temporary file, then rename).
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    Ok(fft_tensor::store::write_atomically(path, bytes)?)
}
