//! Report output: standard output, or a file written atomically (a temporary file in the same
//! directory, renamed into place) that is never overwritten without `--force`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// Where the report goes.
pub enum Target {
    Stdout,
    File { path: PathBuf, force: bool },
}

impl Target {
    /// Checks the target before any scanning, so a refused overwrite costs nothing.
    pub fn new(path: &Path, force: bool) -> anyhow::Result<Self> {
        if path == Path::new("-") {
            return Ok(Self::Stdout);
        }
        if path.exists() && !force {
            bail!("{} already exists; use --force to overwrite it", path.display());
        }
        Ok(Self::File {
            path: path.to_path_buf(),
            force,
        })
    }

    /// Writes through `f`. A broken pipe on standard output is not an error.
    pub fn write(&self, f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> anyhow::Result<()> {
        match self {
            Self::Stdout => {
                let stdout = std::io::stdout();
                let mut w = BufWriter::new(stdout.lock());
                let r = f(&mut w).and_then(|()| w.write_all(b"\n")).and_then(|()| w.flush());
                match r {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                    r => r.context("cannot write the report to standard output"),
                }
            }
            Self::File { path, force } => {
                let dir = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let tmp = tempfile::NamedTempFile::new_in(dir)
                    .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
                {
                    let mut w = BufWriter::new(tmp.as_file());
                    f(&mut w)
                        .and_then(|()| w.write_all(b"\n"))
                        .and_then(|()| w.flush())
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
                if *force {
                    tmp.persist(path)
                } else {
                    tmp.persist_noclobber(path)
                }
                .with_context(|| format!("cannot move the report into place at {}", path.display()))?;
                Ok(())
            }
        }
    }
}
