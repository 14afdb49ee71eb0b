//! How `wxudp run` ends from outside: the bounds of `--timeout`.
//!
//! Each test gives up (killing the child) after [`WAIT`], so that a regression fails
//! instead of hanging.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

/// A script in a temporary folder of its own, removed when dropped.
struct Script {
    dir: PathBuf,
    path: PathBuf,
}

impl Script {
    fn new(name: &str, source: &str) -> Script {
        let dir = std::env::temp_dir().join(format!("wxudp-stops-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.js"));
        std::fs::write(&path, source).unwrap();
        Script { dir, path }
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running `wxudp run`, its stdout read line by line as it comes.
struct Run {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Run {
    fn start(script: &Script, extra: &[&str]) -> Run {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wxudp"))
            .arg("run")
            .arg(&script.path)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Run {
            child,
            lines,
            seen: Vec::new(),
            stderr: Some(stderr),
        }
    }

    /// Waits for the exit; returns the status, the stdout lines after those already
    /// seen, and stderr.
    fn finish(mut self) -> (ExitStatus, Vec<String>, String) {
        let status = self.wait();
        let rest = self.rest();
        let stderr = self.stderr.take().unwrap().join().unwrap();
        (status, rest, stderr)
    }

    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                panic!("wxudp did not exit within {WAIT:?}; saw {:?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The stdout lines not yet seen, up to the end of the output.
    fn rest(&mut self) -> Vec<String> {
        let mut rest = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(WAIT) {
            rest.push(line);
        }
        rest
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        // A failed test must not leave its child running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_with_timeout(script: &Script, timeout: &str) -> (Option<i32>, String) {
    let (status, _, stderr) = Run::start(script, &[&format!("--timeout={timeout}")]).finish();
    (status.code(), stderr)
}

#[test]
fn timeout_values_are_checked_by_the_parser() {
    let script = Script::new(
        "timeout-values",
        "const s = wx.createUDPSocket();\ns.bind();\nsetInterval(() => {}, 1000);\n",
    );
    for bad in [
        "nan", "NaN", "inf", "-inf", "infinity", "-1", "0", "-0", "0.0", "1e-400", "1e19", "1e20",
        "1e300", "31536001", "abc", "", "1s", "0x10",
    ] {
        let (code, stderr) = run_with_timeout(&script, bad);
        assert_eq!(code, Some(2), "--timeout {bad:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!(
                "error: invalid value '{bad}' for '--timeout <SECONDS>': "
            )),
            "--timeout {bad:?}: {stderr}"
        );
        assert!(
            stderr.contains("a number of seconds above 0 and at most 31536000 (365 days)"),
            "--timeout {bad:?}: {stderr}"
        );
    }
    // A tiny timeout simply times out.
    for tiny in ["1e-12", "5e-324", "0.000001"] {
        let (code, stderr) = run_with_timeout(&script, tiny);
        assert_eq!(code, Some(124), "--timeout {tiny}: {stderr}");
        assert!(stderr.starts_with("wxudp: timed out after "), "{stderr}");
    }
    // The largest timeout is accepted (and a script that ends by itself ends).
    let quick = Script::new("timeout-max", "console.log('done');\n");
    let (code, stderr) = run_with_timeout(&quick, "31536000");
    assert_eq!(code, Some(0), "{stderr}");

    let help = Command::new(env!("CARGO_BIN_EXE_wxudp"))
        .args(["run", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("at most 31536000 (365 days)"), "{help}");
}
