//! How `wxudp run` ends from outside: SIGINT, SIGTERM and SIGHUP (the hide hooks, then
//! the sockets close), a second signal or `--timeout` (at once, whatever the script is
//! doing), and the bounds of `--timeout`.
//!
//! Each test waits for lines the script prints before it sends a signal, and gives up
//! (killing the child) after [`WAIT`], so that a regression fails instead of hanging.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Script;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal::{self, SIGHUP, SIGINT, SIGTERM};

const WAIT: Duration = Duration::from_secs(30);

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

    /// Waits for the line `want` on stdout; false if the run ended without printing it.
    fn saw(&mut self, want: &str) -> bool {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line == want;
                    self.seen.push(line);
                    if found {
                        return true;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return false,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("no line {want:?} within {WAIT:?}; saw {:?}", self.seen)
                }
            }
        }
    }

    /// Waits for the line `want` on stdout, failing the test without it.
    fn wait_for(&mut self, want: &str) {
        assert!(
            self.saw(want),
            "the run ended before {want:?}: {:?}",
            self.seen
        );
    }

    fn signal(&self, signal: Signal) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).unwrap());
        nix::sys::signal::kill(pid, signal).unwrap();
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

fn status_of(signal: Signal) -> i32 {
    match signal {
        SIGINT => 130,
        SIGTERM => 143,
        SIGHUP => 129,
        _ => unreachable!(),
    }
}

#[test]
fn each_signal_runs_the_hide_hooks_and_flushes_the_sends_they_queue() {
    for signal in [SIGINT, SIGTERM, SIGHUP] {
        let receiver = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        receiver.set_read_timeout(Some(WAIT)).unwrap();
        let port = receiver.local_addr().unwrap().port();
        let script = Script::new(
            &format!("hooks-{signal}"),
            &format!(
                r#"
const s = wx.createUDPSocket();
s.bind();
s.onClose(() => console.log('never delivered: the loop has ended'));
App({{ onHide() {{ console.log('App.onHide'); }} }});
Page({{ onHide() {{ console.log('page onHide'); }}, onUnload() {{ console.log('page onUnload'); }} }});
wx.onAppHide(() => {{
  console.log('onAppHide');
  for (let i = 0; i < 100; i++) s.send({{ address: '127.0.0.1', port: {port}, message: 'bye ' + i }});
}});
setTimeout(() => console.log('ready'), 0);
"#
            ),
        );
        let mut run = Run::start(&script, &[]);
        run.wait_for("ready");
        run.signal(signal);
        let (status, rest, stderr) = run.finish();
        assert_eq!(status.code(), Some(status_of(signal)), "{signal}: {stderr}");
        assert_eq!(
            rest,
            ["onAppHide", "App.onHide", "page onHide", "page onUnload"],
            "{signal}"
        );
        assert_eq!(stderr, "", "{signal}");
        let mut buf = [0u8; 64];
        for i in 0..100 {
            let n = receiver.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], format!("bye {i}").as_bytes(), "{signal}");
        }
    }
}

#[test]
fn a_second_signal_ends_a_hook_that_never_returns() {
    for (first, second) in [(SIGINT, SIGINT), (SIGTERM, SIGTERM), (SIGHUP, SIGINT)] {
        let script = Script::new(
            &format!("stuck-hook-{first}-{second}"),
            r#"
const s = wx.createUDPSocket();
s.bind();
wx.onAppHide(() => { console.log('hiding'); for (;;) {} });
Page({ onHide() { console.log('page onHide'); } });
setTimeout(() => console.log('ready'), 0);
"#,
        );
        let mut run = Run::start(&script, &[]);
        run.wait_for("ready");
        run.signal(first);
        run.wait_for("hiding");
        run.signal(second);
        let (status, rest, stderr) = run.finish();
        // The status names the signal that began the end.
        assert_eq!(status.code(), Some(status_of(first)), "{first}, {second}");
        assert!(rest.is_empty(), "the other hooks are skipped: {rest:?}");
        assert_eq!(
            stderr,
            format!("wxudp: a second signal ({second}): the run ends without waiting for the hide hooks\n")
        );
    }
}

#[test]
fn a_signal_ends_a_listener_or_main_script_that_never_returns() {
    let listener = Script::new(
        "stuck-listener",
        r#"
const s = wx.createUDPSocket();
const port = s.bind();
wx.onAppHide(() => console.log('onAppHide'));
s.onMessage(() => { console.log('ready'); for (;;) {} });
s.send({ address: '127.0.0.1', port: port, message: 'spin' });
"#,
    );
    let main = Script::new(
        "stuck-main",
        "wx.onAppHide(() => console.log('onAppHide'));\nconsole.log('ready');\nfor (;;) {}\n",
    );
    for (script, signal) in [(&listener, SIGHUP), (&main, SIGTERM), (&main, SIGINT)] {
        let mut run = Run::start(script, &[]);
        run.wait_for("ready");
        run.signal(signal);
        let (status, rest, stderr) = run.finish();
        assert_eq!(status.code(), Some(status_of(signal)), "{signal}: {stderr}");
        assert_eq!(rest, ["onAppHide"]);
        assert_eq!(stderr, "", "the interruption is not reported");
    }
}

#[test]
fn timeout_ends_a_hook_that_never_returns() {
    let script = Script::new(
        "timeout-in-hook",
        r#"
wx.onAppHide(() => { console.log('hiding'); for (;;) {} });
const s = wx.createUDPSocket();
s.bind();
setTimeout(() => console.log('ready'), 0);
"#,
    );
    // The signal must come before the timeout for the hook to run: on a machine too
    // busy for that, try again with a longer timeout.
    for timeout in ["3", "10", "25"] {
        let mut run = Run::start(&script, &["--timeout", timeout]);
        let hooked = run.saw("ready") && {
            run.signal(SIGINT);
            run.saw("hiding")
        };
        let (status, _, stderr) = run.finish();
        assert_eq!(status.code(), Some(124), "{stderr}");
        assert_eq!(stderr, format!("wxudp: timed out after {timeout}s\n"));
        if hooked {
            return;
        }
    }
    panic!("the run never reached its hide hook before the timeout");
}

#[test]
fn timeout_ends_a_run_stuck_writing_to_a_full_pipe() {
    // Nobody reads stdout: the script blocks in a write, where the JavaScript engine
    // cannot stop it.
    let script = Script::new(
        "full-pipe",
        "const line = 'x'.repeat(1000);\nfor (;;) console.log(line);\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_wxudp"))
        .arg("run")
        .arg(&script.path)
        .args(["--timeout", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("wxudp did not exit within {WAIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(124));
}

#[test]
fn a_second_signal_ends_a_run_stuck_writing_to_a_full_pipe() {
    let script = Script::new(
        "full-pipe-signal",
        "const line = 'x'.repeat(1000);\nconsole.error('ready');\nfor (;;) console.log(line);\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_wxudp"))
        .arg("run")
        .arg(&script.path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    // Signals of one kind that arrive together count once: send until the run ends.
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("wxudp did not exit within {WAIT:?}");
        }
        nix::sys::signal::kill(pid, SIGTERM).unwrap();
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.code(), Some(143));
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
    assert!(help.contains("143"), "{help}");
}
