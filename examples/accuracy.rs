//! Prints the accuracy table: per generated scenario, recall of live messages, recall of
//! deleted messages whose bytes survive, precision, chat attribution and calibration error,
//! then the reliability table over all scenarios.
//!
//! `cargo run --release --example accuracy`

#[path = "../tests/support/accuracy.rs"]
mod accuracy;
#[path = "../fixtures/gen/generator.rs"]
mod generator;

use chatcarve::scan::ScanSettings;

fn main() {
    let mut scores = Vec::new();
    for name in generator::scenario_names() {
        let Some(scenario) = generator::build(name) else {
            continue;
        };
        let report = accuracy::scan(&scenario, &ScanSettings::default());
        scores.push(accuracy::score(&scenario.truth, &report));
    }
    print!("{}", accuracy::table(&scores));
}
