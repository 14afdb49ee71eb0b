//! Helpers shared by the runtime's integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use wxudp_js::{run, RunOptions};

/// A script `NAME.js` in a temporary folder of its own, removed when dropped.
pub struct Script {
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Script {
    pub fn new(name: &str, source: &str) -> Script {
        let dir = tempfile::Builder::new()
            .prefix(&format!("wxudp-js-test-{name}-"))
            .tempdir()
            .unwrap();
        let path = dir.path().join(format!("{name}.js"));
        std::fs::write(&path, source).unwrap();
        Script { path, _dir: dir }
    }

    /// Runs the script as `wxudp run` would, ended by `--timeout` after `timeout` at the
    /// latest (so that a regression fails instead of hanging); returns the exit status.
    pub fn run(&self, timeout: Duration) -> i32 {
        run(
            &self.path,
            &RunOptions {
                timeout: Some(timeout),
                ..RunOptions::default()
            },
        )
    }
}
