//! Progress bars for long sends and benches: drawn on stderr when it is a terminal, never
//! otherwise (pipes, files and CI logs get the summary line alone).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::console;

/// A bar shown on stderr while it lives; cleared (and forgotten by the console) when
/// dropped.
#[derive(Debug)]
pub struct Bar(ProgressBar);

impl Bar {
    /// A bar of `len` steps, or `None` when stderr is not a terminal.
    pub fn new(len: u64, template: &str) -> Option<Bar> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", state.per_sec());
                },
            )
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
            .with_style(style);
        // Drawn at once, then kept current by a ticker (a few times a second).
        bar.tick();
        bar.enable_steady_tick(Duration::from_millis(200));
        console::set_bar(Some(bar.clone()));
        Some(Bar(bar))
    }

    /// A bar for sending `count` datagrams.
    pub fn sending(count: u64) -> Option<Bar> {
        Bar::new(
            count,
            "wxudp: sending [{bar:30}] {human_pos}/{human_len} datagrams, {rate}, {eta} left",
        )
    }

    /// Advances the bar by `n`.
    pub fn inc(&self, n: u64) {
        self.0.inc(n);
    }

    /// Moves the bar to `pos` with `msg`.
    pub fn set(&self, pos: u64, msg: String) {
        self.0.set_position(pos);
        self.0.set_message(msg);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        console::set_bar(None);
        self.0.finish_and_clear();
    }
}

/// Whether sending `count` datagrams `interval` apart is long enough for a bar: a
/// thousand datagrams, or two seconds.
pub fn long_send(count: u64, interval: Duration) -> bool {
    count >= 1000
        || interval.saturating_mul(u32::try_from(count).unwrap_or(u32::MAX))
            >= Duration::from_secs(2)
}
