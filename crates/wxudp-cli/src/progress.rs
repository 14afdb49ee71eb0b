//! Progress bars for long sends and benches: drawn on stderr when it is a terminal, never
//! otherwise (pipes, files and CI logs get the summary line alone). They are indicatif's,
//! with the `progress` feature (a default one); without it there are none.

use std::time::Duration;

#[cfg(feature = "progress")]
pub use bars::{with_bar_hidden, Bar};
#[cfg(not(feature = "progress"))]
pub use none::{with_bar_hidden, Bar};

#[cfg(feature = "progress")]
mod bars {
    use std::io::IsTerminal;
    use std::sync::Mutex;
    use std::time::Duration;

    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

    /// The bar on screen, which lines printed meanwhile go above.
    static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

    /// Runs `f` (which writes to the terminal) with the progress bar, if any, cleared and
    /// redrawn after.
    pub fn with_bar_hidden<T>(f: impl FnOnce() -> T) -> T {
        let bar = BAR.lock().ok().and_then(|b| b.clone());
        match bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    fn set_bar(bar: Option<ProgressBar>) {
        if let Ok(mut slot) = BAR.lock() {
            *slot = bar;
        }
    }

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
            set_bar(Some(bar.clone()));
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
            set_bar(None);
            self.0.finish_and_clear();
        }
    }
}

#[cfg(not(feature = "progress"))]
mod none {
    /// No bar: this build has no progress bars.
    #[derive(Debug)]
    pub struct Bar(());

    impl Bar {
        /// No bar.
        pub fn new(_len: u64, _template: &str) -> Option<Bar> {
            None
        }

        /// No bar.
        pub fn sending(_count: u64) -> Option<Bar> {
            None
        }

        /// Nothing to advance.
        pub fn inc(&self, _n: u64) {}

        /// Nothing to move.
        pub fn set(&self, _pos: u64, _msg: String) {}
    }

    /// As the real bar, a `Bar` ends when dropped (here with nothing to clear).
    impl Drop for Bar {
        fn drop(&mut self) {}
    }

    /// Runs `f`: there is no bar to hide.
    pub fn with_bar_hidden<T>(f: impl FnOnce() -> T) -> T {
        f()
    }
}

/// Whether sending `count` datagrams `interval` apart is long enough for a bar: a
/// thousand datagrams, or two seconds.
pub fn long_send(count: u64, interval: Duration) -> bool {
    count >= 1000
        || interval.saturating_mul(u32::try_from(count).unwrap_or(u32::MAX))
            >= Duration::from_secs(2)
}
