//! Temporary files behind atomic writes.
//!
//! Every output is written to a temporary file beside it and renamed over
//! it when complete, so a failure never leaves a partial output. The
//! temporary file is named `.NAME.fftt-tmp-PID-RANDOM`, where `NAME` is the
//! output's file name and `PID` the writing process's id:
//!
//! * dropped unfinished (an error), it is removed;
//! * [`remove_live`] removes the ones this process has open, for a signal
//!   handler (the `fft-tensor` program calls it on Ctrl-C and SIGTERM);
//! * one left by a process that was killed outright (`kill -9`, power loss)
//!   is removed by the next write of the same output, on Linux, once no
//!   process with that id exists (`/proc/PID` is gone). Elsewhere, or to
//!   clean up by hand: `rm DIR/.*.fftt-tmp-*` while no write is running.

use std::collections::hash_map::RandomState;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temporary files this process has created and not yet renamed or removed.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// The directory `path` lies in (`.` for a bare file name).
pub(crate) fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The start of the names of `output`'s temporary files:
/// `.NAME.fftt-tmp-`.
pub fn prefix(output: &Path) -> String {
    let name = output
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    format!(".{name}.fftt-tmp-")
}

/// A temporary file for `output`; removed when dropped unless persisted.
pub(crate) struct TempFile {
    path: PathBuf,
    file: File,
    persisted: bool,
}

impl TempFile {
    /// Creates a fresh temporary file beside `output` (after removing stale
    /// ones of `output`, see the module documentation). New files get the
    /// permissions a normally created file gets (0666 less the umask).
    ///
    /// # Errors
    /// The operating system's error creating the file.
    pub(crate) fn create(output: &Path) -> io::Result<Self> {
        remove_stale(output);
        let dir = dir_of(output);
        let stem = format!("{}{}-", prefix(output), std::process::id());
        loop {
            let mut h = RandomState::new().build_hasher();
            h.write_u64(0);
            let path = dir.join(format!("{stem}{:012x}", h.finish() & 0xffff_ffff_ffff));
            // Registered before it exists, so that a signal arriving while
            // it is created still finds it.
            live().push(path.clone());
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => {
                    return Ok(TempFile {
                        path,
                        file,
                        persisted: false,
                    })
                }
                Err(e) => {
                    unregister(&path);
                    if e.kind() != io::ErrorKind::AlreadyExists {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// The open file.
    pub(crate) fn file_mut(&mut self) -> &mut File {
        &mut self.file
    }

    /// Syncs the file and renames it over `output`. An existing `output`
    /// keeps its permissions.
    ///
    /// # Errors
    /// The operating system's error; the temporary file is then removed.
    pub(crate) fn persist(mut self, output: &Path) -> io::Result<()> {
        if let Ok(meta) = std::fs::metadata(output) {
            if meta.is_file() {
                self.file.set_permissions(meta.permissions())?;
            }
        }
        self.file.sync_all()?;
        // Under the lock, so a signal handler sees either the temporary
        // file or the finished output, never a removed output.
        let mut l = live();
        std::fs::rename(&self.path, output)?;
        l.retain(|p| *p != self.path);
        self.persisted = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = std::fs::remove_file(&self.path);
            unregister(&self.path);
        }
    }
}

fn unregister(path: &Path) {
    live().retain(|p| p != path);
}

/// Removes every temporary file this process has open and returns how
/// many there were. For signal handlers: after it returns, the process
/// should exit without writing further.
pub fn remove_live() -> usize {
    let mut l = live();
    let n = l.len();
    for p in l.drain(..) {
        let _ = std::fs::remove_file(p);
    }
    n
}

/// Removes temporary files of `output` whose writing process no longer
/// exists (Linux: `/proc/PID` is missing) and returns their paths. Does
/// nothing where processes cannot be checked this way.
pub fn remove_stale(output: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    if !Path::new("/proc/self").exists() {
        return removed;
    }
    let prefix = prefix(output);
    let Ok(dir) = std::fs::read_dir(dir_of(output)) else {
        return removed;
    };
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id()
            && !Path::new(&format!("/proc/{pid}")).exists()
            && std::fs::remove_file(entry.path()).is_ok()
        {
            removed.push(entry.path());
        }
    }
    removed
}
