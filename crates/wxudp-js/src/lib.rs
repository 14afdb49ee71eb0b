//! # wxudp-js
//!
//! A headless mini-program runtime: QuickJS (through rquickjs) with a `wx` global whose
//! `createUDPSocket` is backed by the [`wxudp`] core, so mini-program UDP code runs
//! unchanged on a laptop or in CI. `wxudp run app.js` is this crate's [`run`].
//!
//! The binding is thin and in three parts: `convert` turns JavaScript values into the
//! core's typed values and events into WeChat's payloads; `udp` and `natives` are the
//! native functions; `prelude.js` gives them WeChat's shape (the `UDPSocket` class, `wx`,
//! console, timers, `TextEncoder`/`TextDecoder`, CommonJS `require`). The event loop
//! (`event_loop`) runs on one thread with a current-thread tokio runtime that also drives
//! the sockets, so a datagram reaches its JavaScript listener without a thread hop.
//!
//! ```no_run
//! let code = wxudp_js::run(std::path::Path::new("examples/hello.js"), &wxudp_js::RunOptions::default());
//! std::process::exit(code);
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use wxudp::Policy;

mod convert;
mod event_loop;
mod exception;
mod host;
mod natives;
mod rejections;
mod stop;
mod storage;
mod timers;
mod udp;

/// Exit status: the script ran and nothing went uncaught.
pub const EXIT_OK: i32 = 0;
/// Exit status: an uncaught exception (top level, listener, timer or promise), a syntax
/// error, or a script that cannot be read.
pub const EXIT_ERROR: i32 = 1;
/// Exit status: `--timeout` ended the run (at once, whatever the script was doing).
pub const EXIT_TIMEOUT: i32 = 124;
/// Exit status: SIGHUP ended the run (as [`EXIT_INTERRUPTED`] describes).
pub const EXIT_HANGUP: i32 = 129;
/// Exit status: Ctrl-C (SIGINT) ended the run. The script is cut short, then the
/// `wx.onAppHide` listeners, `App.onHide` and each page's `onHide`/`onUnload` run, then
/// the sockets close (flushing what was sent). A second signal ends the run at once,
/// with the first signal's status.
pub const EXIT_INTERRUPTED: i32 = 130;
/// Exit status: SIGTERM ended the run (as [`EXIT_INTERRUPTED`] describes).
pub const EXIT_TERMINATED: i32 = 143;

/// The base library version the runtime reports by default.
pub const DEFAULT_BASE_LIBRARY: &str = "3.0.0";

/// How to run a script.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// End the run after this long (exit status [`EXIT_TIMEOUT`]), at once in any phase:
    /// in the middle of the script, a listener, a timer or the hide hooks. A run stuck
    /// where no JavaScript runs (a write to a full pipe) is ended by a watchdog thread
    /// two seconds later, which exits the process. A timeout too long for the clock is
    /// no timeout.
    pub timeout: Option<Duration>,
    /// Keep `wx` storage in this JSON file across runs (default: in memory).
    pub storage: Option<PathBuf>,
    /// The base library version to emulate (`wx.getSystemInfoSync().SDKVersion`,
    /// `wx.canIUse`, which `UDPSocket` methods exist, and before 2.9.4 the stricter
    /// destination policy).
    pub base_library: String,
    /// Host names allowed as destinations under the pre-2.9.4 policy ("udp legal
    /// domains").
    pub udp_domains: Vec<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            timeout: None,
            storage: None,
            base_library: DEFAULT_BASE_LIBRARY.into(),
            udp_domains: Vec::new(),
        }
    }
}

impl RunOptions {
    /// The destination policy the base library version implies.
    pub fn policy(&self) -> Policy {
        if version_below(&self.base_library, [2, 9, 4]) {
            Policy::same_subnet(self.udp_domains.iter().cloned())
        } else {
            Policy::Any
        }
    }
}

fn version_below(version: &str, than: [u32; 3]) -> bool {
    let mut parts = version
        .split('.')
        .map(|p| p.trim().parse::<u32>().unwrap_or(0));
    let v = [
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    ];
    v < than
}

/// Runs the script at `path` until nothing is left to do and returns the exit status
/// (`EXIT_*`).
pub fn run(path: &Path, options: &RunOptions) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wxudp: cannot start the event loop: {e}");
            return EXIT_ERROR;
        }
    };
    runtime.block_on(event_loop::run(path, options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_follows_the_base_library() {
        let mut o = RunOptions::default();
        assert_eq!(o.policy(), Policy::Any);
        o.base_library = "2.9.3".into();
        o.udp_domains = vec!["dev.example".into()];
        assert_eq!(o.policy(), Policy::same_subnet(["dev.example"]));
        o.base_library = "2.9.4".into();
        assert_eq!(o.policy(), Policy::Any);
        assert!(version_below("2.10", [2, 10, 1]));
    }
}
