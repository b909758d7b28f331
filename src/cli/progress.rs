//! The progress bar: bytes, rate and ETA on stderr, only when stderr is a terminal and
//! `--quiet` is not given.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use chatcarve::scan::ScanObserver;

/// A progress bar for one input, hidden when not wanted.
pub struct Bar(ProgressBar);

impl Bar {
    pub fn new(len: u64, name: &str, quiet: bool) -> Self {
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        if quiet || !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        } else {
            // Workers report progress in bursts; a steady tick keeps rate and ETA moving.
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
        }
        if let Ok(style) =
            ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(name.to_owned());
        Self(bar)
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl ScanObserver for Bar {
    fn bytes_done(&self, n: u64) {
        self.0.inc(n);
    }
}
