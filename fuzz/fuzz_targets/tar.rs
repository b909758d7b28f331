//! Fuzz target `tar`: see `fuzz/harness.rs` for what it runs and its input layout.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::tar(data));
