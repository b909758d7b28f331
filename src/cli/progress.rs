//! Progress bars: bytes, rate and ETA on stderr (for a batch, one bar overall and one per image
//! being read), only when stderr is a terminal and `--quiet` is not given.

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

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

/// The bars of a batch: one for the bytes of all inputs (its ETA is the batch's), and one for
/// each image being read. All hidden when not wanted.
pub struct BatchBars {
    multi: MultiProgress,
    overall: ProgressBar,
    done: u64,
}

impl BatchBars {
    /// `total`: the sizes of the input files, added up.
    pub fn new(total: u64, quiet: bool) -> Self {
        let multi = if quiet || !std::io::stderr().is_terminal() {
            MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
        } else {
            MultiProgress::new()
        };
        let overall = multi.add(ProgressBar::new(total));
        if let Ok(style) =
            ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} ({elapsed})")
        {
            overall.set_style(style.progress_chars("#>-"));
        }
        if !overall.is_hidden() {
            overall.enable_steady_tick(std::time::Duration::from_millis(200));
        }
        Self { multi, overall, done: 0 }
    }

    /// A bar for one image of `len` logical bytes read from a file of `file_size` bytes, the
    /// batch's `position`-th of `count`.
    pub fn image(&self, len: u64, file_size: u64, name: &str, position: usize, count: usize) -> ImageBar {
        let bar = self.multi.add(ProgressBar::new(len));
        if let Ok(style) = ProgressStyle::with_template("  {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(name.to_owned());
        self.overall.set_message(format!("image {position}/{count}"));
        // The overall bar counts file bytes; a decoded image has more (or fewer) logical bytes.
        let scale = if len == 0 { 0.0 } else { file_size as f64 / len as f64 };
        ImageBar { bar, overall: self.overall.clone(), scale }
    }

    /// Marks an input of `file_size` bytes as done (read, skipped or failed).
    pub fn input_done(&mut self, image: Option<ImageBar>, file_size: u64) {
        if let Some(image) = image {
            image.bar.finish_and_clear();
            self.multi.remove(&image.bar);
        }
        self.done = self.done.saturating_add(file_size);
        self.overall.set_position(self.done);
    }

    /// Prints a line above the bars.
    pub fn note(&self, line: &str) {
        self.multi.suspend(|| eprintln!("{line}"));
    }

    /// Removes the bars.
    pub fn finish(&self) {
        self.overall.finish_and_clear();
        let _ = self.multi.clear();
    }
}

/// The bar of one image of a batch; its bytes move the overall bar too.
pub struct ImageBar {
    bar: ProgressBar,
    overall: ProgressBar,
    scale: f64,
}

impl ScanObserver for ImageBar {
    fn bytes_done(&self, n: u64) {
        self.bar.inc(n);
        self.overall.inc((n as f64 * self.scale) as u64);
    }
}
