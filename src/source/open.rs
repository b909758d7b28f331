//! Opening an input by path: which container it is (told by its content, or named by the
//! examiner) and the [`ByteSource`] that reads its logical bytes.
//!
//! A database file given as input is read with the `-wal` and `-journal` files beside it
//! ([`BundleSource`]), as SQLite itself would.

use std::path::{Path, PathBuf};

use super::{compressed, tar, zip, BundleSource, ByteSource, Compression, MmapSource, SourceError};

/// The container formats an input may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Container {
    /// A raw image (dd), a device, or a single file.
    Raw,
    /// A raw image cut into segment files (`x.001`, `x.002`, …; `x.aa`, `x.ab`, …).
    SplitRaw,
    /// Expert Witness Format (EnCase `.E01`/`.Ex01` and their segments).
    Ewf,
    /// An Android sparse image (`img2simg`, fastboot).
    AndroidSparse,
    /// A tar archive, read in place, its members listed from its headers.
    Tar,
    /// A zip archive, its members decoded one after the other.
    Zip,
    /// A gzip-compressed raw dump or tar.
    Gzip,
    /// A zstd-compressed raw dump or tar.
    Zstd,
    /// An xz-compressed raw dump or tar.
    Xz,
}

impl Container {
    /// Every container, in the order detection tries them.
    pub const ALL: &'static [Container] = &[
        Container::Ewf,
        Container::AndroidSparse,
        Container::Gzip,
        Container::Zstd,
        Container::Xz,
        Container::Zip,
        Container::Tar,
        Container::SplitRaw,
        Container::Raw,
    ];

    /// The name used in `--container` and in `inputs[].container`.
    pub fn name(self) -> &'static str {
        match self {
            Container::Raw => "raw",
            Container::SplitRaw => "split-raw",
            Container::Ewf => "ewf",
            Container::AndroidSparse => "android-sparse",
            Container::Tar => "tar",
            Container::Zip => "zip",
            Container::Gzip => "gzip",
            Container::Zstd => "zstd",
            Container::Xz => "xz",
        }
    }

    /// The container named `name` (as [`Container::name`] gives it).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.name() == name)
    }
}

/// Which container the file at `path` is, told by its content.
pub fn detect(path: &Path) -> Result<Container, SourceError> {
    let meta = std::fs::metadata(path).map_err(|e| SourceError::from_io(path, e))?;
    if meta.is_dir() {
        return Err(SourceError::IsDirectory { path: path.to_path_buf() });
    }
    let head = head(path)?;
    if super::ewf::is_ewf(&head) {
        return Ok(Container::Ewf);
    }
    if super::sparse::is_sparse(&head) {
        return Ok(Container::AndroidSparse);
    }
    match Compression::of(&head) {
        Some(Compression::Gzip) => return Ok(Container::Gzip),
        Some(Compression::Zstd) => return Ok(Container::Zstd),
        Some(Compression::Xz) => return Ok(Container::Xz),
        None => {}
    }
    if zip::looks_like_zip(&head) {
        return Ok(Container::Zip);
    }
    if tar::looks_like_tar(&head) {
        return Ok(Container::Tar);
    }
    if meta.is_file() && super::split::is_split(path) {
        return Ok(Container::SplitRaw);
    }
    Ok(Container::Raw)
}

/// The first 512 bytes of the file at `path` (fewer when it is shorter).
fn head(path: &Path) -> Result<Vec<u8>, SourceError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| SourceError::from_io(path, e))?;
    let mut head = Vec::with_capacity(512);
    file.take(512).read_to_end(&mut head).map_err(|e| SourceError::from_io(path, e))?;
    Ok(head)
}

/// How inputs are opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOptions {
    /// The container the examiner names (`--container`); `None` to tell it by content.
    pub container: Option<Container>,
    /// Where inputs that must be decoded are expanded (`--scratch`; see [`super::Expander`]).
    pub scratch: PathBuf,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self { container: None, scratch: std::env::temp_dir() }
    }
}

/// Opens the input at `path` read-only, as the container the options name, else as the one its
/// content shows.
pub fn open(path: &Path, options: &OpenOptions) -> Result<Box<dyn ByteSource>, SourceError> {
    let container = match options.container {
        Some(c) => c,
        None => detect(path)?,
    };
    match container {
        Container::Raw => open_raw(path),
        Container::SplitRaw => super::split::open(path, &options.scratch),
        Container::Ewf => super::ewf::open(path, &options.scratch),
        Container::AndroidSparse => super::sparse::open(path, &options.scratch),
        Container::Tar => Ok(Box::new(tar::read_as_tar(MmapSource::open(path)?, "tar"))),
        Container::Zip => zip::open(path, &options.scratch),
        Container::Gzip => compressed::open(path, Compression::Gzip, &options.scratch),
        Container::Zstd => compressed::open(path, Compression::Zstd, &options.scratch),
        Container::Xz => compressed::open(path, Compression::Xz, &options.scratch),
    }
}

/// A raw image, or a database file with the files SQLite keeps beside it.
fn open_raw(path: &Path) -> Result<Box<dyn ByteSource>, SourceError> {
    let mapped = MmapSource::open(path)?;
    Ok(match with_files_beside(path, &mapped)? {
        Some(bundle) => Box::new(bundle),
        None => Box::new(mapped),
    })
}

/// A database file read with the `-wal` and `-journal` files beside it: `None` for anything
/// else (an image) or when there is none beside it.
fn with_files_beside(path: &Path, mapped: &MmapSource) -> Result<Option<BundleSource>, SourceError> {
    let Some(bytes) = mapped.contiguous() else { return Ok(None) };
    if !bytes.starts_with(b"SQLite format 3\0") || !path.is_file() {
        return Ok(None);
    }
    let mut files = vec![(path.display().to_string(), bytes.to_vec())];
    for suffix in ["-wal", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        if p.is_file() {
            let data = std::fs::read(&p).map_err(|e| SourceError::from_io(&p, e))?;
            files.push((p.display().to_string(), data));
        }
    }
    Ok((files.len() > 1).then(|| BundleSource::new(files)))
}
