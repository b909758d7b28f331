//! Accuracy against ground truth on every generated scenario: live recall 100%, precision of
//! confident messages 100% (98% over all, truncated fragments included), chat attribution
//! 100%, and calibration error at most 0.05. Deleted-record recall is measured and printed
//! (`cargo run --release --example accuracy`); its targets belong to the deleted-record
//! recovery work.

#[path = "support/accuracy.rs"]
mod accuracy;
#[path = "../fixtures/gen/generator.rs"]
mod generator;

use chatcarve::scan::ScanSettings;

#[test]
fn every_scenario_meets_the_live_targets() {
    let mut scores = Vec::new();
    for name in generator::scenario_names() {
        let scenario = generator::build(name).expect("scenario builds");
        let report = accuracy::scan(&scenario, &ScanSettings::default());
        let s = accuracy::score(&scenario.truth, &report);
        assert_eq!(s.live_recall(), Some(1.0), "{name}: live recall {}/{}", s.live_found, s.live_total);
        assert_eq!(
            s.confident_precision(),
            Some(1.0),
            "{name}: precision of confident messages {}/{}",
            s.confident_correct,
            s.confident
        );
        assert!(s.precision().is_some_and(|p| p >= 0.98), "{name}: precision {}/{}", s.correct, s.reported);
        assert_eq!(s.chat_attribution(), Some(1.0), "{name}: chat attribution");
        scores.push(s);
    }
    let all: Vec<(f64, bool)> = scores.iter().flat_map(|s| s.confidences.iter().copied()).collect();
    let (_, ece) = accuracy::calibration(&all);
    assert!(ece <= 0.05, "expected calibration error {ece:.3} > 0.05");
    eprintln!("{}", accuracy::table(&scores));
}

#[test]
fn the_harness_catches_a_wrong_message() {
    let scenario = generator::build("live_db_in_noise").expect("scenario builds");
    let mut report = accuracy::scan(&scenario, &ScanSettings::default());
    let before = accuracy::score(&scenario.truth, &report);
    let first = &mut report["conversations"][0]["messages"][0];
    first["text"] = serde_json::Value::String("tampered".into());
    first["chat_jid"] = serde_json::Value::String("1@s.whatsapp.net".into());
    let after = accuracy::score(&scenario.truth, &report);
    assert_eq!(after.correct + 1, before.correct);
    assert_eq!(after.live_found + 1, before.live_found);
    assert_eq!(after.chat_right + 1, before.chat_right);
}
