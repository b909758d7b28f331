//! Report output: standard output, or a file written atomically (a temporary file in the same
//! directory, renamed into place) that is never overwritten without `--force`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// Where the report goes.
pub enum Target {
    Stdout,
    /// A regular file, created or replaced atomically.
    File {
        path: PathBuf,
        force: bool,
    },
    /// An existing device or pipe (`/dev/null`, a FIFO): written in place, never replaced.
    Special {
        path: PathBuf,
    },
}

impl Target {
    /// Checks the target before any scanning, so a refused overwrite costs nothing.
    /// Refuses an existing file without `--force`, a report path that is one of the `inputs`
    /// (evidence is never written, even with `--force`), and a directory that does not exist.
    pub fn new(path: &Path, force: bool, inputs: &[PathBuf]) -> anyhow::Result<Self> {
        if path == Path::new("-") {
            return Ok(Self::Stdout);
        }
        if let Ok(out) = std::fs::metadata(path) {
            if inputs.iter().any(|i| std::fs::metadata(i).is_ok_and(|m| same_file(&m, &out))) {
                bail!(
                    "{} is one of the inputs; choose another report path (evidence is never overwritten)",
                    path.display()
                );
            }
            if !out.is_file() {
                if out.is_dir() {
                    bail!("{} is a directory; give a file name for the report", path.display());
                }
                return Ok(Self::Special { path: path.to_path_buf() });
            }
            if !force {
                bail!("{} already exists; use --force to overwrite it", path.display());
            }
        }
        let dir = parent_dir(path);
        if !dir.is_dir() {
            bail!("cannot write {}: directory {} does not exist", path.display(), dir.display());
        }
        Ok(Self::File { path: path.to_path_buf(), force })
    }

    /// Writes a report through `f`, with a final newline. A broken pipe on standard output is
    /// not an error.
    pub fn write(&self, f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> anyhow::Result<()> {
        self.write_ending(f, b"\n")
    }

    /// Writes exactly what `f` writes (a decrypted database), nothing after it.
    pub fn write_exact(&self, f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> anyhow::Result<()> {
        self.write_ending(f, b"")
    }

    fn write_ending(&self, f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>, ending: &[u8]) -> anyhow::Result<()> {
        match self {
            Self::Stdout => {
                let stdout = std::io::stdout();
                let mut w = BufWriter::new(stdout.lock());
                let r = f(&mut w).and_then(|()| w.write_all(ending)).and_then(|()| w.flush());
                match r {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                    r => r.context("cannot write the report to standard output"),
                }
            }
            Self::Special { path } => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .with_context(|| format!("cannot open {}", path.display()))?;
                let mut w = BufWriter::new(file);
                f(&mut w)
                    .and_then(|()| w.write_all(ending))
                    .and_then(|()| w.flush())
                    .with_context(|| format!("cannot write {}", path.display()))
            }
            Self::File { path, force } => {
                let dir = parent_dir(path);
                let tmp =
                    temp_file(dir).with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
                {
                    let mut w = BufWriter::new(tmp.as_file());
                    f(&mut w)
                        .and_then(|()| w.write_all(ending))
                        .and_then(|()| w.flush())
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
                if *force { tmp.persist(path) } else { tmp.persist_noclobber(path) }
                    .with_context(|| format!("cannot move the report into place at {}", path.display()))?;
                Ok(())
            }
        }
    }
}

impl Target {
    /// Writes a file that its writer must open by path (a SQLite database): `f` gets the path of
    /// a new empty temporary file beside the destination, which is renamed into place when `f`
    /// succeeds and removed when it fails. Only for regular files: `what` names the format in the
    /// error for standard output or a device.
    pub fn write_at_path(&self, what: &str, f: impl FnOnce(&Path) -> anyhow::Result<()>) -> anyhow::Result<()> {
        match self {
            Self::Stdout => bail!("the {what} cannot go to standard output; give a file name"),
            Self::Special { path } => bail!("the {what} needs a regular file, and {} is not one", path.display()),
            Self::File { path, force } => {
                let dir = parent_dir(path);
                let tmp =
                    temp_file(dir).with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
                f(tmp.path()).with_context(|| format!("cannot write {}", path.display()))?;
                if *force { tmp.persist(path) } else { tmp.persist_noclobber(path) }
                    .with_context(|| format!("cannot move the {what} into place at {}", path.display()))?;
                Ok(())
            }
        }
    }
}

fn parent_dir(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// A temporary file readable like any file the user creates (the umask still applies).
fn temp_file(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut b = tempfile::Builder::new();
    b.prefix(".chatcarve-report-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o644));
    }
    b.tempfile_in(dir)
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    false
}
