//! Fuzz target `scan_chunk`: the whole scan and recovery of a raw image; see `fuzz/harness.rs`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(
    init: {
        // One worker thread: the fuzzer runs one process per core it is given, and a global
        // pool of one thread per core would double the load (and vary execution speed).
        let _ = rayon::ThreadPoolBuilder::new().num_threads(1).build_global();
    },
    |data: &[u8]| harness::scan_chunk(data)
);
