//! Exported chats (`Export chat`, whatsapp-reference.md section 6) recovered from raw space.
//!
//! WhatsApp writes a chat as a text file, `WhatsApp Chat with <name>.txt` on Android and
//! `_chat.txt` (in `WhatsApp Chat - <name>.zip`) on iOS, one message a line:
//!
//! ```text
//! 31/12/2020, 21:41 - Bob: hello                   Android, en-GB
//! 12/31/20, 9:41 PM - Bob: hello                   Android, en-US (U+202F before PM on newer builds)
//! 31.12.20, 21:41 - Bob: hello                     Android, de
//! 31/12/2020 à 21:41 - Bob: hello                  Android, fr
//! ‎[31/12/2020, 21:41:05] Bob: ‎<attached: …jpg>    iOS (U+200E before system and attachment lines)
//! ```
//!
//! Such files are often deleted once sent, and their text stays in unallocated space, often cut
//! at 4 KiB cluster boundaries. This module finds them anywhere in an input and turns them into
//! messages (`app` `export-text`, status `fragment`, evidence `export_line`):
//!
//! - [`header`]: the zero-copy line-header parser, every locale's shape;
//! - [`markers`]: media placeholders, deleted notices and file-name titles;
//! - [`run`]: runs of lines of one format, decided from the bytes between two header lines only;
//! - [`scan`] (here): the parallel driver, chunks with an ownership rule like the page scan;
//! - [`messages`]: runs become messages, grouped per file, with the date order, the chat name
//!   and the device owner decided over runs.
//!
//! Bounds: a line over [`run::MAX_LINE`] bytes or a message over [`run::MAX_MESSAGE`] bytes ends
//! its run; a header is read in at most 200 bytes; the work is linear in the input.

pub mod header;
pub mod markers;
pub mod messages;
pub mod run;

use rayon::prelude::*;

pub use run::{ExportLine, ExportRun};

/// Smallest chunk the driver cuts the input into.
const MIN_CHUNK: usize = 4096;

/// Every run of export lines in `data`, in offset order. The input is cut into chunks of
/// `chunk_size` bytes scanned in parallel on the current rayon pool; each run belongs to the chunk
/// its first line lies in and is followed past it. The result is the same for every chunk size
/// and thread count.
pub fn scan(data: &[u8], chunk_size: usize) -> Vec<ExportRun<'_>> {
    let chunk = chunk_size.max(MIN_CHUNK);
    let n = data.len().div_ceil(chunk);
    let per_chunk: Vec<Vec<ExportRun<'_>>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let start = i * chunk;
            run::runs_in(data, start, start.saturating_add(chunk).min(data.len()))
        })
        .collect();
    per_chunk.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An export cut into clusters, some of them scattered, with noise between.
    fn image() -> Vec<u8> {
        let mut text = String::new();
        for i in 0..400 {
            text.push_str(&format!(
                "{:02}/03/2021, {:02}:{:02} - {}: message {i} with some words\n",
                1 + i / 60,
                i % 24,
                i % 60,
                ["Ann", "Bob"][i % 2]
            ));
            if i % 7 == 0 {
                text.push_str("a second line\n");
            }
        }
        let mut img = Vec::new();
        let mut x = 7u64;
        for (k, piece) in text.as_bytes().chunks(4096).enumerate() {
            for _ in 0..(k % 3) * 1000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                img.push(if k % 2 == 0 { (x >> 24) as u8 } else { b"log line: ok\n"[(x % 13) as usize] });
            }
            let pad = img.len().next_multiple_of(4096) - img.len();
            img.extend(std::iter::repeat_n(0, pad));
            img.extend_from_slice(piece);
        }
        img
    }

    #[test]
    fn same_runs_whatever_the_chunk_size_and_threads() {
        let img = image();
        let reference = scan(&img, img.len());
        assert!(reference.len() > 3);
        for threads in [1, 2, 4] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            for chunk in [4096, 4096 * 3, 5000, 65536] {
                assert_eq!(pool.install(|| scan(&img, chunk)), reference, "{threads} threads, chunk {chunk}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_is_chunk_independent(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20_000), seed in 0usize..4) {
            // Mix arbitrary bytes with header-shaped lines so that runs do occur.
            let mut data = bytes.clone();
            let lines = ["31/12/2020, 21:41 - Bob: x\n", "[1/2/20, 9:41:05 PM] A: y\n", "\n", "12.1.21, 7:00 - z\n"];
            for (i, chunk) in bytes.chunks(97).enumerate() {
                if chunk.first().is_some_and(|b| b % 3 == 0) {
                    let at = (i * 97 + seed * 31).min(data.len());
                    data.splice(at..at, lines[(i + seed) % lines.len()].bytes());
                }
            }
            let whole = scan(&data, data.len());
            for r in &whole {
                for l in &r.lines {
                    proptest::prop_assert!(l.offset < l.end.max(l.offset + 1) && l.end <= data.len());
                }
            }
            proptest::prop_assert_eq!(scan(&data, 4096), whole.clone());
            let _ = messages::messages(&whole, &data, 0);
        }
    }
}
