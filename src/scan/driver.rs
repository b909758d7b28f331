//! The chunked parallel scan with its ownership rule, the hash of the input computed in the
//! same pass, and progress reporting through [`ScanObserver`].
//!
//! The input is cut into chunks of `chunk_size` bytes. Each worker gets the window
//! `[start, start + chunk_size + OVERLAP)` and keeps only structures whose first byte lies in
//! `[start, start + chunk_size)`, so a structure that straddles a boundary is found exactly
//! once, by the chunk it starts in. [`OVERLAP`] covers the largest structure a detector must
//! see whole (a 64 KiB page); longer ones (databases, WALs, journals) are followed afterwards
//! over the whole source. One detector looks past the window: the first record of a journal
//! without its header is confirmed by the record after it (two records of up to 64 KiB), so it
//! reads the input itself, a few hundred kilobytes at most, and only at the rare boundaries
//! that pass its two-byte prefilter; ownership is still by the boundary it starts at. Chunk
//! results are collected in chunk order, so the output is the same whatever the number of
//! threads.

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::detect::journal;
use super::detect::page::{self, PAGE_ALIGN};
use super::detect::signatures::Signatures;
use super::hit::{Hit, HitKind, PageGroup};

/// Bytes every window extends past its chunk: the largest page plus a database header.
pub const OVERLAP: usize = 65536 + 100;
/// Bytes handled per detector round inside a chunk (fits the L2 cache).
const BLOCK: usize = 256 * 1024;
/// Smallest chunk size accepted (a multiple of the page alignment).
pub const MIN_CHUNK: usize = 4096;

/// Receives progress from the scan. Called from worker threads.
pub trait ScanObserver: Sync {
    /// `n` more bytes of the input have been scanned.
    fn bytes_done(&self, n: u64);
}

impl ScanObserver for () {
    fn bytes_done(&self, _: u64) {}
}

/// Settings of a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanSettings {
    /// Worker threads; 0 lets rayon decide (one per core).
    pub threads: usize,
    /// Chunk size in bytes, rounded down to a multiple of 512 and at least [`MIN_CHUNK`].
    pub chunk_size: usize,
    /// Whether to compute the SHA-256 of each input during the scan.
    pub hash: bool,
    /// Whether to read the databases inside the WhatsApp backups found and opened (off for the
    /// contents of a backup itself: backups are opened one level deep).
    pub read_backups: bool,
    /// Backup keys the examiner holds (`--key`), tried beside the key files found in the input.
    pub keys: Vec<crate::backup::BackupKey>,
}

impl Default for ScanSettings {
    fn default() -> Self {
        Self { threads: 0, chunk_size: 8 << 20, hash: true, read_backups: true, keys: Vec::new() }
    }
}

impl ScanSettings {
    /// Sets the thread count (0: one per core).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n;
        self
    }
    /// Sets the chunk size.
    pub fn chunk_size(mut self, n: usize) -> Self {
        self.chunk_size = n;
        self
    }
    /// Adds a backup key the examiner holds.
    pub fn key(mut self, key: crate::backup::BackupKey) -> Self {
        self.keys.push(key);
        self
    }
    /// Turns hashing on or off.
    pub fn hash(mut self, on: bool) -> Self {
        self.hash = on;
        self
    }
    fn effective_chunk(&self) -> usize {
        (self.chunk_size / PAGE_ALIGN * PAGE_ALIGN).max(MIN_CHUNK)
    }
}

/// What the scan of one input found.
#[derive(Debug, Clone, Default)]
pub struct ScanOutput {
    /// Header hits, sorted by offset then kind.
    pub hits: Vec<Hit>,
    /// Runs of validated b-tree pages found at 512-byte boundaries, sorted by offset.
    pub page_groups: Vec<PageGroup>,
}

#[derive(Default)]
struct ChunkOutput {
    hits: Vec<Hit>,
    groups: Vec<PageGroup>,
}

/// Scans `data`, the whole input as one slice, and reports its hits. Runs on the current rayon
/// pool; the caller sets the thread count by installing a pool (see [`crate::analyse`], which
/// also hashes the input beside the scan). The result is identical for every thread count and
/// every chunk size.
pub fn scan_source(data: &[u8], settings: &ScanSettings, observer: &dyn ScanObserver) -> ScanOutput {
    scan_releasing(data, settings, observer, &|_, _| {}, &|_, _| {})
}

/// Like [`scan_source`], calling `release(start, len)` after each chunk is scanned: how the
/// caller gives back the memory of what no one will read again (see
/// [`crate::source::ByteSource::release`]).
pub fn scan_releasing(
    data: &[u8],
    settings: &ScanSettings,
    observer: &dyn ScanObserver,
    prepare: &(dyn Fn(usize, usize) + Sync),
    release: &(dyn Fn(usize, usize) + Sync),
) -> ScanOutput {
    scan_with(data, settings, observer, (prepare, release), &|_, _| ()).0
}

/// A hint about the range `(start, len)` of the input (see [`scan_releasing`]).
pub type RangeHint<'a> = dyn Fn(usize, usize) + Sync + 'a;

/// Like [`scan_releasing`], also running `also(start, end)` on each chunk `[start, end)` while
/// its bytes are in memory (another search over the same bytes, read once), and returning its
/// results in chunk order.
pub fn scan_with<T: Send>(
    data: &[u8],
    settings: &ScanSettings,
    observer: &dyn ScanObserver,
    hints: (&RangeHint<'_>, &RangeHint<'_>),
    also: &(dyn Fn(usize, usize) -> T + Sync),
) -> (ScanOutput, Vec<T>) {
    scan_chunks_with(data, 0..chunk_count(data.len(), settings), settings, observer, hints, also)
}

/// The number of chunks the scan cuts an input of `len` bytes into.
pub fn chunk_count(len: usize, settings: &ScanSettings) -> usize {
    len.div_ceil(settings.effective_chunk())
}

/// The bytes chunk `i` owns.
pub fn chunk_bytes(i: usize, len: usize, settings: &ScanSettings) -> std::ops::Range<usize> {
    let chunk = settings.effective_chunk();
    let start = i.saturating_mul(chunk).min(len);
    start..start.saturating_add(chunk).min(len)
}

/// Like [`scan_with`], over the chunks `chunks` only (a shard of the input). The outputs of
/// consecutive ranges of chunks, joined with [`ScanOutput::append`], equal the output of one
/// scan over all of them.
pub fn scan_chunks_with<T: Send>(
    data: &[u8],
    chunks: std::ops::Range<usize>,
    settings: &ScanSettings,
    observer: &dyn ScanObserver,
    (prepare, release): (&RangeHint<'_>, &RangeHint<'_>),
    also: &(dyn Fn(usize, usize) -> T + Sync),
) -> (ScanOutput, Vec<T>) {
    let chunk = settings.effective_chunk();
    let signatures = Signatures::default();
    let chunks = chunks.start.min(chunk_count(data.len(), settings))..chunks.end.min(chunk_count(data.len(), settings));
    let chunks: Vec<(ChunkOutput, T)> = chunks
        .into_par_iter()
        .map_init(Vec::new, |scratch, i| {
            let start = i * chunk;
            let len = chunk.min(data.len() - start);
            prepare(start, len);
            let out = scan_chunk(data, start, chunk, &signatures, scratch);
            let more = also(start, start + len);
            release(start, len);
            // With hashing on, progress is the hash's: it is the slower of the two.
            if !settings.hash {
                observer.bytes_done(len as u64);
            }
            (out, more)
        })
        .collect();
    let mut out = ScanOutput::default();
    let mut extra = Vec::with_capacity(chunks.len());
    for (c, more) in chunks {
        extra.push(more);
        out.append(ScanOutput { hits: c.hits, page_groups: c.groups });
    }
    (out, extra)
}

impl ScanOutput {
    /// Adds what the scan of the chunks right after these found (every hit of `next` lies after
    /// every hit here): page runs that continue across the boundary become one.
    pub fn append(&mut self, mut next: ScanOutput) {
        next.hits.sort_unstable();
        self.hits.extend(next.hits);
        for g in next.page_groups {
            if !self.page_groups.last_mut().is_some_and(|last| last.try_extend(&g)) {
                self.page_groups.push(g);
            }
        }
    }
}

/// SHA-256 of `data`, read in 4 MiB blocks in order. During an analysis it runs beside the
/// scan and the recovery: the pages it touches are the ones the workers fault in, so the input
/// is read from storage once.
pub fn sha256(data: &[u8], observer: &dyn ScanObserver) -> [u8; 32] {
    sha256_releasing(data, observer, &|_, _| {})
}

/// Like [`sha256`], calling `release(start, len)` after each block is hashed.
pub fn sha256_releasing(data: &[u8], observer: &dyn ScanObserver, release: &(dyn Fn(usize, usize) + Sync)) -> [u8; 32] {
    let mut h = Sha256::new();
    for (i, block) in data.chunks(HASH_BLOCK).enumerate() {
        h.update(block);
        observer.bytes_done(block.len() as u64);
        release(i * HASH_BLOCK, block.len());
    }
    h.finalize().into()
}

/// Bytes hashed between two progress reports.
const HASH_BLOCK: usize = 4 << 20;

/// Scans the chunk owning `[start, start + chunk)`, looking at up to [`OVERLAP`] more bytes.
fn scan_chunk(
    data: &[u8],
    start: usize,
    chunk: usize,
    signatures: &Signatures,
    scratch: &mut Vec<(usize, usize)>,
) -> ChunkOutput {
    let end = start.saturating_add(chunk).min(data.len());
    let window_end = end.saturating_add(OVERLAP).min(data.len());
    let Some(window) = data.get(start..window_end) else {
        return ChunkOutput::default();
    };
    let owned = end - start;
    let mut out = ChunkOutput::default();
    // Work through the chunk in cache-sized blocks, running every detector over a block while
    // it is hot, instead of one pass over the whole chunk per detector.
    let mut block_start = 0;
    while block_start < owned {
        let block_end = (block_start + BLOCK).min(owned);
        signatures.find(window, block_start, block_end, start as u64, &mut out.hits);
        let mut pos = block_start;
        while pos < block_end {
            let Some(rest) = window.get(pos..) else { break };
            if let Some(found) = page::detect(rest, scratch) {
                let g =
                    PageGroup::single((start + pos) as u64, found.page_size, found.kind, found.cells, found.freeblocks);
                if !out.groups.last_mut().is_some_and(|last| last.try_extend(&g)) {
                    out.groups.push(g);
                }
            }
            // A journal without its header: its first record looks past the window (two
            // records of up to 64 KiB), so it is given the whole input.
            if journal::detect(data, start + pos, scratch).is_some() {
                out.hits.push(Hit { offset: (start + pos) as u64, kind: HitKind::JournalRecords });
            }
            // Every boundary is tried, even inside a page just found: skipping ahead would
            // make the result depend on where chunks start.
            pos += PAGE_ALIGN;
        }
        block_start = block_end;
    }
    out
}
