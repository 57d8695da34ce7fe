//! Checks on input and output paths made before any work starts.

use std::path::Path;

use crate::error::{Error, Result};

/// Whether `a` and `b` are the same existing file: on Unix the same device
/// and inode (through symbolic and hard links), elsewhere the same
/// canonical path.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Refuses an `output` that is one of `inputs`, an existing directory, or
/// lies in a directory that does not exist.
///
/// # Errors
/// [`Error::InvalidArgument`] saying which.
pub fn check_output(inputs: &[&Path], output: &Path) -> Result<()> {
    for input in inputs {
        if same_file(input, output) {
            return Err(Error::invalid(
                "output",
                format!(
                    "{} is the input file {}; writing it would destroy the input, choose another output path",
                    output.display(),
                    input.display()
                ),
            ));
        }
    }
    if output.is_dir() {
        return Err(Error::invalid(
            "output",
            format!("{} is a directory; give a file path", output.display()),
        ));
    }
    let dir = super::temp::dir_of(output);
    if !dir.is_dir() {
        return Err(Error::invalid(
            "output",
            format!(
                "{}: directory {} does not exist",
                output.display(),
                dir.display()
            ),
        ));
    }
    Ok(())
}
