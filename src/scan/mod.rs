//! The parallel scan: cut an input into chunks, run the cheap detectors over each chunk on
//! rayon, keep each hit in exactly one chunk, and put the hits back in offset order.
//!
//! Detectors ([`detect`]) see a window of bytes and its absolute offset and return candidates;
//! the driver ([`driver`]) owns chunking, threads, hashing and progress; what to do with the
//! hits (following databases, decoding records) belongs to [`crate::recover`].

pub mod detect;
pub mod driver;
pub mod hit;

pub use driver::{scan_source, ScanObserver, ScanOutput, ScanSettings};
pub use hit::{Hit, HitKind, PageGroup};
