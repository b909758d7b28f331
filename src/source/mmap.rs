//! The memory-mapped raw image: the one place with `unsafe`.

use std::borrow::Cow;
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;

#[cfg(unix)]
use memmap2::UncheckedAdvice;
use memmap2::{Advice, Mmap, MmapOptions};

use super::{read_slice, ByteSource, Member, SourceError};

/// A raw image file mapped read-only.
#[derive(Debug)]
pub struct MmapSource {
    map: Mmap,
    path: String,
    container: &'static str,
    members: Vec<Member>,
    warnings: Vec<String>,
}

impl MmapSource {
    /// Opens `path` read-only and maps it. Fails with a typed error for a missing file, a
    /// directory, an empty file or a permission problem.
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        let meta = std::fs::metadata(path).map_err(|e| SourceError::from_io(path, e))?;
        if meta.is_dir() {
            return Err(SourceError::IsDirectory { path: path.to_path_buf() });
        }
        let mut file = File::open(path).map_err(|e| SourceError::from_io(path, e))?;
        // A block device (an attached disk, a loop device) reports 0 in its metadata; its size
        // is where a seek to the end lands.
        let len = match meta.len() {
            0 if !meta.is_file() => file.seek(SeekFrom::End(0)).map_err(|e| SourceError::from_io(path, e))?,
            n => n,
        };
        if len == 0 {
            return Err(SourceError::Empty { path: path.to_path_buf() });
        }
        let len = usize::try_from(len).map_err(|_| SourceError::OutOfRange { offset: len, len: 0 })?;
        // SAFETY: the file is opened read-only and mapped privately for reading. Another process
        // could still modify or truncate the image while we read it; as ripgrep does, we accept
        // that risk (truncation would raise SIGBUS), since evidence images are not written
        // during an examination.
        #[allow(unsafe_code)]
        let map = unsafe { MmapOptions::new().len(len).map(&file) }.map_err(|e| SourceError::from_io(path, e))?;
        // Advice is only a hint; failing to give it changes nothing.
        let _ = map.advise(Advice::Sequential);
        Ok(Self { map, path: path.display().to_string(), container: "raw", members: Vec::new(), warnings: Vec::new() })
    }

    /// Maps the first `len` bytes of `file` (a scratch file this process wrote and no one else
    /// writes) read-only, as the logical bytes of an input read through `container`.
    pub fn from_file(
        file: &File,
        len: u64,
        label: &str,
        container: &'static str,
        members: Vec<Member>,
    ) -> Result<Self, SourceError> {
        let path = Path::new(label);
        if len == 0 {
            return Err(SourceError::Empty { path: path.to_path_buf() });
        }
        let len = usize::try_from(len).map_err(|_| SourceError::OutOfRange { offset: len, len: 0 })?;
        // SAFETY: the scratch file is unnamed and only this process holds it; it is complete and
        // never written again once mapped.
        #[allow(unsafe_code)]
        let map = unsafe { MmapOptions::new().len(len).map(file) }.map_err(|e| SourceError::from_io(path, e))?;
        let _ = map.advise(Advice::Sequential);
        Ok(Self { map, path: label.to_owned(), container, members, warnings: Vec::new() })
    }

    /// The same bytes, read as `container` made of `members` (a tar mapped in place).
    pub fn read_as(self, container: &'static str, members: Vec<Member>) -> Self {
        Self { container, members, ..self }
    }

    /// The same source, with what went wrong reading it (a stream cut short, members skipped),
    /// for the report's `warnings`.
    pub fn with_warnings(mut self, warnings: Vec<String>) -> Self {
        self.warnings.extend(warnings);
        self
    }
}

impl ByteSource for MmapSource {
    fn len(&self) -> u64 {
        self.map.len() as u64
    }
    fn read(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>, SourceError> {
        read_slice(&self.map, offset, len).map(Cow::Borrowed)
    }
    fn contiguous(&self) -> Option<&[u8]> {
        Some(&self.map)
    }
    fn container(&self) -> &'static str {
        self.container
    }
    fn path(&self) -> Option<&str> {
        Some(&self.path)
    }
    fn members(&self) -> &[Member] {
        &self.members
    }
    fn warnings(&self) -> &[String] {
        &self.warnings
    }

    #[cfg(target_os = "linux")]
    fn prepare(&self, offset: u64, len: usize) {
        let Ok(offset) = usize::try_from(offset) else { return };
        if offset < self.map.len() {
            // A hint (MADV_POPULATE_READ): on kernels without it the pages fault in as usual.
            let _ = self.map.advise_range(Advice::PopulateRead, offset, len.min(self.map.len() - offset));
        }
    }

    #[cfg(unix)]
    fn release(&self, offset: u64, len: usize) {
        let Ok(offset) = usize::try_from(offset) else { return };
        if offset >= self.map.len() {
            return;
        }
        let len = len.min(self.map.len() - offset);
        // SAFETY: MADV_DONTNEED on this shared, read-only file mapping only drops our page-table
        // entries; the next read of the range faults the same bytes back in from the page cache.
        // Nothing is written through the mapping, so no data can be lost, and the slices that
        // borrow it stay valid. The advice is a hint: its failure changes nothing.
        #[allow(unsafe_code)]
        let _ = unsafe { self.map.unchecked_advise_range(UncheckedAdvice::DontNeed, offset, len) };
    }
}
