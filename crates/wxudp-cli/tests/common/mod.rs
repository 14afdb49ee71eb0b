//! Helpers shared by the command-line tests: the binary, started and finished within
//! generous deadlines, readiness read from its stderr (never a sleep).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, ChildStderr, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long anything may take before a test gives up: far beyond what it needs.
pub const WAIT: Duration = Duration::from_secs(20);

/// The `wxudp` binary.
pub fn wxudp() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wxudp"))
}

/// The `wxudp` binary with stdin empty (not a terminal) and stdout, stderr piped.
pub fn piped() -> Command {
    let mut cmd = wxudp();
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// A child killed (and reaped) when dropped, so a failing test leaves nothing behind.
pub struct Running(pub Option<Child>);

impl Running {
    pub fn child(&mut self) -> &mut Child {
        self.0.as_mut().unwrap()
    }

    /// Waits (bounded) for the child to exit and returns its output.
    pub fn finish(mut self) -> Output {
        finish(self.0.take().unwrap())
    }

    pub fn id(&self) -> u32 {
        self.0.as_ref().unwrap().id()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The port in a `wxudp: listening on ADDR:PORT (udpN)` line.
pub fn listening_port(line: &str) -> u16 {
    assert!(line.starts_with("wxudp: listening on "), "{line:?}");
    line.trim_end()
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

/// Starts a `listen` or `echo` (stdout piped) and returns it, its port, and the rest
/// of its stderr to read.
pub fn start(args: &[&str]) -> (Child, u16, BufReader<ChildStderr>) {
    let mut child = piped().args(args).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let port = listening_port(&line);
    (child, port, stderr)
}

/// Waits (bounded) for a child to exit and returns its output.
pub fn finish(child: Child) -> Output {
    finish_within(child, WAIT)
}

/// Waits for a child to exit, killing it (and failing) after `wait`, and returns its
/// output.
pub fn finish_within(mut child: Child, wait: Duration) -> Output {
    let deadline = Instant::now() + wait;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the command did not exit in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Runs the binary with stdin empty (not a terminal) and returns its output.
pub fn run(args: &[&str]) -> Output {
    run_with_stdin(args, b"")
}

/// Runs the binary with `input` on its stdin (a pipe, closed after it).
pub fn run_with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = wxudp()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written from a thread: a child that does not read must not block the test.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = finish(child);
    writer.join().unwrap();
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// A plain socket on 127.0.0.1 with a generous read timeout.
pub fn socket() -> UdpSocket {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(WAIT)).unwrap();
    sock
}

/// Receives one datagram (bounded by [`WAIT`]).
pub fn recv(sock: &UdpSocket) -> (Vec<u8>, std::net::SocketAddr) {
    let mut buf = vec![0u8; 65536];
    let (n, from) = sock.recv_from(&mut buf).expect("a datagram in time");
    buf.truncate(n);
    (buf, from)
}

/// Sends SIGINT, SIGTERM or SIGHUP to a child.
pub fn signal(child: &Child, sig: nix::sys::signal::Signal) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, sig).unwrap();
}

/// A file in the temp folder named after the process and `tag`, removed when dropped.
pub struct TempFile(pub std::path::PathBuf);

impl TempFile {
    pub fn new(tag: &str, contents: &[u8]) -> TempFile {
        let path = std::env::temp_dir().join(format!("wxudp-cli-{}-{tag}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }

    pub fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A script `NAME.js` in a temporary folder of its own (unique to this test), removed
/// with the folder when dropped.
pub struct Script {
    /// The folder (a script's storage file goes here).
    pub dir: PathBuf,
    /// The script.
    pub path: PathBuf,
    _keep: tempfile::TempDir,
}

impl Script {
    pub fn new(name: &str, source: &str) -> Script {
        let keep = tempfile::Builder::new()
            .prefix(&format!("wxudp-test-{name}-"))
            .tempdir()
            .unwrap();
        let dir = keep.path().to_path_buf();
        let path = dir.join(format!("{name}.js"));
        std::fs::write(&path, source).unwrap();
        Script {
            dir,
            path,
            _keep: keep,
        }
    }
}

/// A temporary folder unique to this test (the first field is its path), removed when
/// dropped.
pub struct Folder(pub PathBuf, tempfile::TempDir);

impl Folder {
    pub fn new(tag: &str) -> Folder {
        let keep = tempfile::Builder::new()
            .prefix(&format!("wxudp-test-{tag}-"))
            .tempdir()
            .unwrap();
        Folder(keep.path().canonicalize().unwrap(), keep)
    }

    /// Writes `text` to `rel` in the folder (its folders made first).
    pub fn file(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }
}
