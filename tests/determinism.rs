//! Same input, same report: every generated scenario gives byte-identical JSON with 1, 2 or 8
//! threads and chunk sizes from the minimum (every chunk boundary case) to the default.

#[path = "../fixtures/gen/generator.rs"]
mod generator;

use chatcarve::scan::ScanSettings;

fn report(image: &[u8], threads: usize, chunk: usize) -> Vec<u8> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
    pool.install(|| {
        let src = chatcarve::source::MemorySource::new(image.to_vec());
        let f = chatcarve::analyse(&src, 0, &ScanSettings::default().chunk_size(chunk), &());
        let outcome = chatcarve::report::InputOutcome { path: "image".into(), result: Ok(f) };
        let r = chatcarve::report::build_report(&[outcome], chatcarve::report::RunInfo::default());
        let mut out = Vec::new();
        chatcarve::report::write_json(&r, &mut out).expect("json");
        out
    })
}

#[test]
fn every_scenario_reports_the_same_whatever_the_threads_and_chunks() {
    for name in generator::scenario_names() {
        let scenario = generator::build(name).expect("scenario builds");
        let reference = report(&scenario.image, 1, 4096);
        for (threads, chunk) in [(2, 8 << 20), (8, 4096 * 3), (2, 65536), (1, 1 << 20)] {
            assert!(
                report(&scenario.image, threads, chunk) == reference,
                "{name}: {threads} threads, chunk {chunk} differs from 1 thread, chunk 4096"
            );
        }
    }
}
