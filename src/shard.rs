//! One image scanned by several machines: each scans a shard (a range of the scan's chunks)
//! and writes a [`Partial`]; the last step joins the partials and recovers from them
//! ([`analyse_parts`]), giving the findings a scan on one machine gives.
//!
//! The scan pass is the part that reads every byte of the image, so it is the part shards
//! share. Shards are cut at chunk boundaries and a chunk keeps only the structures that start in
//! it (looking past its end as far as they need, see [`crate::scan::driver`]), so the shards'
//! findings joined in order are those of one pass over the whole image. What is followed from
//! them (databases, WALs, journals, pages, backups) is read by the last step from the image on
//! shared storage, as one machine would read it; so is the image's hash.
//!
//! A partial holds offsets, never bytes of the image: exported-chat runs and key files are read
//! again where they start. It names the image by size, container and a fingerprint, and the
//! join refuses partials of another image, another version or another chunk size.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::scan::driver::{chunk_bytes, chunk_count};
use crate::scan::hit::{Hit, PageGroup};
use crate::scan::{ScanObserver, ScanOutput, ScanSettings};
use crate::source::ByteSource;
use crate::{Found, InputFindings};

/// What a partial says it is.
pub const FORMAT: &str = "chatcarve-partial";
/// Version of the partial format.
pub const VERSION: u32 = 1;
/// Bytes at each end of the image that its fingerprint hashes.
const FINGERPRINT_BYTES: usize = 1 << 20;

/// The `k`-th of `count` shards (1-based, as `--shard K/N` gives it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, from 1 to `count`.
    pub index: usize,
    /// How many shards the image is cut into.
    pub count: usize,
}

impl Shard {
    /// Parses `K/N` with 1 ≤ K ≤ N.
    pub fn parse(s: &str) -> Result<Self, ShardError> {
        let bad = || ShardError::Spec(s.to_owned());
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }

    /// The chunks of an image of `len` bytes this shard scans.
    pub fn chunks(self, len: usize, settings: &ScanSettings) -> std::ops::Range<usize> {
        let total = chunk_count(len, settings);
        let at = |k: usize| (total as u128 * k.min(self.count) as u128 / self.count.max(1) as u128) as usize;
        at(self.index.saturating_sub(1))..at(self.index)
    }
}

/// The image a partial was scanned from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageId {
    /// Its path, as the shard was given it.
    pub path: String,
    /// Its logical size in bytes.
    pub size: u64,
    /// Its container.
    pub container: String,
    /// SHA-256 over its size and its first and last MiB, lower-case hex: enough to tell
    /// another image apart, cheap to compute on every machine.
    pub fingerprint: String,
}

impl ImageId {
    /// The id of `source`, given as `path`.
    pub fn of(source: &dyn ByteSource, path: &str) -> Self {
        let data = source.contiguous().unwrap_or(&[]);
        let mut h = Sha256::new();
        h.update((data.len() as u64).to_le_bytes());
        h.update(data.get(..FINGERPRINT_BYTES.min(data.len())).unwrap_or(&[]));
        h.update(data.get(data.len().saturating_sub(FINGERPRINT_BYTES)..).unwrap_or(&[]));
        Self {
            path: path.to_owned(),
            size: source.len(),
            container: source.container().to_owned(),
            fingerprint: hex::encode(h.finalize()),
        }
    }
}

/// What the scan of one shard found, as offsets into the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partial {
    /// Always [`FORMAT`].
    pub format: String,
    /// The partial format's version ([`VERSION`]).
    pub version: u32,
    /// The chatcarve version that wrote it: shards and the join must run the same one.
    pub tool_version: String,
    /// The image.
    pub image: ImageId,
    /// Which shard.
    pub shard: Shard,
    /// The scan's chunk size in bytes.
    pub chunk_size: usize,
    /// The chunks scanned, `[first, end)`.
    pub chunks: (usize, usize),
    /// Header hits, by offset.
    pub hits: Vec<Hit>,
    /// Runs of b-tree pages, by offset.
    pub page_groups: Vec<PageGroup>,
    /// Where runs of exported-chat lines start.
    pub export_runs: Vec<u64>,
    /// Where backup key files start.
    pub key_files: Vec<u64>,
    /// Where crypt14/15 backup headers start.
    pub backups: Vec<u64>,
    /// Where crypt12 backups may start.
    pub crypt12: Vec<u64>,
}

/// Why partials cannot be joined, or a shard not scanned.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// `--shard` is not `K/N`.
    #[error("{0:?} is no shard; give K/N with 1 ≤ K ≤ N, e.g. 2/4")]
    Spec(String),
    /// No partial given.
    #[error("no partial given; give the files every shard wrote (chatcarve scan IMAGE --shard K/N --json PART)")]
    Empty,
    /// A file is no partial of this format and version.
    #[error(
        "partial {0}: not a chatcarve partial of format version {VERSION}; scan the shard again with this version"
    )]
    NotPartial(usize),
    /// Partials that do not belong together.
    #[error("partial {index}: {what} differs from the first partial's; give the partials of one run over one image")]
    Mismatch {
        /// Position of the partial among those given.
        index: usize,
        /// What differs.
        what: &'static str,
    },
    /// A shard is missing or given twice.
    #[error("shard {shard} of {count} is {problem}; give each shard's partial once")]
    Coverage {
        /// The shard (1-based).
        shard: usize,
        /// How many shards.
        count: usize,
        /// `missing` or `given twice`.
        problem: &'static str,
    },
    /// The image opened for the join is not the one the shards scanned.
    #[error("the image is not the one the shards scanned ({what} differs); give the same image")]
    OtherImage {
        /// What differs.
        what: &'static str,
    },
    /// A partial does not fit the image: it names chunks outside it, or a structure is gone.
    #[error(
        "partial of shard {shard}: {what}; the image changed since the shard was scanned, or the partial was edited"
    )]
    Inconsistent {
        /// The shard (1-based).
        shard: usize,
        /// What does not fit.
        what: String,
    },
}

/// Scans `shard` of `source` (given as `path`): the scan pass over its chunks only.
pub fn scan_shard(
    source: &dyn ByteSource,
    path: &str,
    shard: Shard,
    settings: &ScanSettings,
    observer: &dyn ScanObserver,
) -> Partial {
    let data = source.contiguous().unwrap_or(&[]);
    let chunks = shard.chunks(data.len(), settings);
    // The shard's bytes are reported as they are scanned, not hashed.
    let settings = ScanSettings { hash: false, ..settings.clone() };
    let found =
        crate::scan_pass(data, chunks.clone(), &settings, observer, (&|_, _| {}, &|s, l| source.release(s as u64, l)));
    let offsets = |v: &[usize]| v.iter().map(|&o| o as u64).collect::<Vec<u64>>();
    Partial {
        format: FORMAT.to_owned(),
        version: VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        image: ImageId::of(source, path),
        shard,
        chunk_size: settings.chunk_size,
        chunks: (chunks.start, chunks.end),
        hits: found.scan.hits,
        page_groups: found.scan.page_groups,
        export_runs: found.runs.iter().map(|r| r.offset() as u64).collect(),
        key_files: found.keys.iter().map(|k| k.offset).collect(),
        backups: offsets(&found.backups),
        crypt12: offsets(&found.crypt12),
    }
}

/// Checks that `parts` are every shard of one run over one image, in any order, and returns
/// them in shard order.
pub fn check_parts(mut parts: Vec<Partial>) -> Result<Vec<Partial>, ShardError> {
    let first = parts.first().ok_or(ShardError::Empty)?.clone();
    for (i, p) in parts.iter().enumerate() {
        if p.format != FORMAT || p.version != VERSION {
            return Err(ShardError::NotPartial(i + 1));
        }
        let differs = [
            (p.tool_version != first.tool_version, "the chatcarve version"),
            (p.image.size != first.image.size, "the image size"),
            (p.image.fingerprint != first.image.fingerprint, "the image fingerprint"),
            (p.image.container != first.image.container, "the container"),
            (p.chunk_size != first.chunk_size, "the chunk size"),
            (p.shard.count != first.shard.count, "the number of shards"),
        ];
        if let Some((_, what)) = differs.into_iter().find(|(d, _)| *d) {
            return Err(ShardError::Mismatch { index: i + 1, what });
        }
    }
    parts.sort_by_key(|p| p.shard.index);
    let count = first.shard.count;
    for k in 1..=count {
        let given = parts.iter().filter(|p| p.shard.index == k).count();
        if given != 1 {
            let problem = if given == 0 { "missing" } else { "given twice" };
            return Err(ShardError::Coverage { shard: k, count, problem });
        }
    }
    if parts.len() != count {
        return Err(ShardError::Coverage { shard: count + 1, count, problem: "given twice" });
    }
    Ok(parts)
}

/// Recovers from the partials `parts` (checked with [`check_parts`]) what the image `source`
/// holds: the findings [`crate::analyse`] gives for it, hash included when `settings` asks.
pub fn analyse_parts(
    source: &dyn ByteSource,
    input: usize,
    parts: &[Partial],
    settings: &ScanSettings,
    observer: &dyn ScanObserver,
) -> Result<InputFindings, ShardError> {
    let first = parts.first().ok_or(ShardError::Empty)?;
    let id = ImageId::of(source, &first.image.path);
    if id.size != first.image.size {
        return Err(ShardError::OtherImage { what: "size" });
    }
    if id.fingerprint != first.image.fingerprint {
        return Err(ShardError::OtherImage { what: "fingerprint" });
    }
    let settings = ScanSettings { chunk_size: first.chunk_size, ..settings.clone() };
    let data = source.contiguous().unwrap_or(&[]);
    let mut found = Found::default();
    let mut next_chunk = 0;
    for p in parts {
        let want = p.shard.chunks(data.len(), &settings);
        if (p.chunks.0, p.chunks.1) != (want.start, want.end) || want.start != next_chunk {
            return Err(inconsistent(p, "its chunks are not the ones its shard scans".to_owned()));
        }
        next_chunk = want.end;
        found.append(found_of(p, data, &settings)?);
    }
    if next_chunk != chunk_count(data.len(), &settings) {
        return Err(ShardError::Coverage { shard: parts.len(), count: parts.len(), problem: "missing" });
    }
    Ok(crate::analyse_found(source, input, &settings, observer, &crate::apps::wanted_table, Some(found)))
}

/// What partial `p` found, read again where it needs the image's bytes.
fn found_of<'a>(p: &Partial, data: &'a [u8], settings: &ScanSettings) -> Result<Found<'a>, ShardError> {
    let first = chunk_bytes(p.chunks.0, data.len(), settings).start as u64;
    let end = chunk_bytes(p.chunks.1.saturating_sub(1), data.len(), settings).end as u64;
    let scanned = p.chunks.0 < p.chunks.1;
    let inside = |o: u64| scanned && (first..end).contains(&o);
    // A backup header is found by a needle a few bytes into it, so one may start just before.
    let lead = crate::backup::found::HEADER_LEAD as u64;
    let backup_inside = |o: u64| scanned && (first.saturating_sub(lead)..end).contains(&o);
    let offsets = p
        .hits
        .iter()
        .map(|h| h.offset)
        .chain(p.page_groups.iter().map(|g| g.offset))
        .chain(p.export_runs.iter().copied())
        .chain(p.key_files.iter().copied())
        .chain(p.crypt12.iter().copied());
    let outside =
        offsets.into_iter().find(|&o| !inside(o)).or_else(|| p.backups.iter().copied().find(|&o| !backup_inside(o)));
    if let Some(o) = outside {
        return Err(inconsistent(p, format!("offset {o} lies outside its chunks")));
    }
    let to_usize = |o: u64| usize::try_from(o).unwrap_or(usize::MAX);
    let mut runs = Vec::with_capacity(p.export_runs.len());
    for &o in &p.export_runs {
        runs.push(
            crate::export_text::run::run_at(data, to_usize(o))
                .ok_or_else(|| inconsistent(p, format!("no exported chat starts at offset {o}")))?,
        );
    }
    let mut keys = Vec::with_capacity(p.key_files.len());
    for &o in &p.key_files {
        keys.push(
            crate::backup::key::at(data, to_usize(o))
                .ok_or_else(|| inconsistent(p, format!("no key file starts at offset {o}")))?,
        );
    }
    Ok(Found {
        scan: ScanOutput { hits: p.hits.clone(), page_groups: p.page_groups.clone() },
        runs,
        keys,
        backups: p.backups.iter().map(|&o| to_usize(o)).collect(),
        crypt12: p.crypt12.iter().map(|&o| to_usize(o)).collect(),
    })
}

fn inconsistent(p: &Partial, what: String) -> ShardError {
    ShardError::Inconsistent { shard: p.shard.index, what }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs() {
        assert_eq!(Shard::parse("2/4").ok(), Some(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "4", "a/b", "1/0", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_cover_every_chunk_once() {
        let settings = ScanSettings::default().chunk_size(4096);
        for len in [0usize, 1, 4096, 4097, 10 * 4096 + 5] {
            for count in 1..7 {
                let mut next = 0;
                for index in 1..=count {
                    let c = Shard { index, count }.chunks(len, &settings);
                    assert_eq!(c.start, next);
                    next = c.end;
                }
                assert_eq!(next, chunk_count(len, &settings));
            }
        }
    }
}
