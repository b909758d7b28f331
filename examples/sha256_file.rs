//! Hashes a file with the same SHA-256 code and the same memory mapping the scanner uses, and
//! nothing else: the floor that `scripts/ratios` compares a hashing scan against.
//!
//! `cargo run --release --example sha256_file -- IMAGE`

use chatcarve::source::{ByteSource, MmapSource};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args_os().nth(1).ok_or("usage: sha256_file IMAGE")?;
    let src = MmapSource::open(std::path::Path::new(&path))?;
    let digest = chatcarve::scan::driver::sha256(src.contiguous().unwrap_or(&[]), &());
    println!("{}", hex::encode(digest));
    Ok(())
}
