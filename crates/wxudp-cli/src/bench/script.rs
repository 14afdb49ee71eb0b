//! The JavaScript subjects of the bench: a script run by `wxudp run` (this very binary)
//! or by Node.js, as a child process that reports on its stdout, one line per step.
//! The CPU time of a child is read from its process CPU clock, all of its threads
//! counted, at the moment a line arrives.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nix::time::{clock_getcpuclockid, ClockId};
use nix::unistd::Pid;

use super::io;
use super::native::cpu_time;

/// Which runtime runs a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// `wxudp run`.
    Wx,
    /// Node.js, with `dgram`.
    Node,
}

/// A running script.
pub struct Script {
    child: Child,
    lines: mpsc::Receiver<String>,
    clock: ClockId,
}

/// How long a script may take to print its next line.
const LINE_WAIT: Duration = Duration::from_secs(120);

impl Script {
    /// Starts `source` (written to `dir`) under `runtime`.
    pub fn start(runtime: Runtime, dir: &Path, name: &str, source: &str) -> Result<Script, String> {
        let path = dir.join(format!(
            "{name}-{}.js",
            if runtime == Runtime::Wx { "wx" } else { "node" }
        ));
        std::fs::write(&path, source).map_err(io)?;
        let mut command = match runtime {
            Runtime::Wx => {
                let exe = std::env::current_exe().map_err(io)?;
                let mut c = Command::new(exe);
                c.args(["run", "--timeout", "600"]).arg(&path);
                c
            }
            Runtime::Node => {
                let mut c = Command::new("node");
                c.arg(&path);
                c
            }
        };
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match runtime {
                Runtime::Node => format!("node not installed ({e})"),
                Runtime::Wx => format!("cannot start wxudp run: {e}"),
            })?;
        let pid = Pid::from_raw(i32::try_from(child.id()).map_err(|e| e.to_string())?);
        let clock = clock_getcpuclockid(pid).map_err(|e| format!("no CPU clock: {e}"))?;
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().ok_or("no stdout")?;
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Ok(Script {
            child,
            lines,
            clock,
        })
    }

    /// Waits for the next line that starts with `word` and returns the numbers after
    /// it, with the CPU time the process had used then.
    pub fn expect(&mut self, word: &str) -> Result<(Vec<f64>, Duration), String> {
        self.expect_within(word, LINE_WAIT)?
            .ok_or_else(|| format!("no '{word}' line in {} s", LINE_WAIT.as_secs()))
    }

    /// [`expect`](Script::expect), waiting at most `wait`: `None` if no such line came.
    pub fn expect_within(
        &mut self,
        word: &str,
        wait: Duration,
    ) -> Result<Option<(Vec<f64>, Duration)>, String> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = match self.lines.recv_timeout(left) {
                Ok(line) => line,
                Err(mpsc::RecvTimeoutError::Timeout) => return Ok(None),
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err(self.failure()),
            };
            let cpu = cpu_time(self.clock).unwrap_or_default();
            let mut fields = line.split_whitespace();
            if fields.next() == Some(word) {
                let numbers = fields.filter_map(|f| f.parse().ok()).collect();
                return Ok(Some((numbers, cpu)));
            }
        }
    }

    /// Why the script ended early: its exit status and the start of its stderr.
    fn failure(&mut self) -> String {
        let status = self.child.wait().ok();
        let mut err = String::new();
        if let Some(stderr) = self.child.stderr.as_mut() {
            use std::io::Read;
            let _ = stderr.take(2000).read_to_string(&mut err);
        }
        format!(
            "the script ended ({}): {}",
            status.map_or_else(|| "?".into(), |s| s.to_string()),
            err.trim()
        )
    }

    /// Waits (a little) for the script to end by itself, then ends it.
    pub fn finish(mut self) {
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Fills the `__NAME__` placeholders of a script.
pub fn fill(source: &str, values: &[(&str, String)]) -> String {
    values.iter().fold(source.to_string(), |s, (k, v)| {
        s.replace(&format!("__{k}__"), v)
    })
}

/// Both timer loops, one after the other: `setInterval(f, PERIOD)` for TICKS ticks,
/// then TIMEOUTS chained `setTimeout(f, DELAY)`. The same text for both runtimes.
pub const TIMERS: &str = r#"
let ticks = 0;
const t0 = Date.now();
const id = setInterval(function () {
  if (++ticks === __TICKS__) {
    clearInterval(id);
    console.log('interval ' + (Date.now() - t0));
    let k = 0;
    const t1 = Date.now();
    setTimeout(function f() {
      if (++k < __TIMEOUTS__) setTimeout(f, __DELAY__);
      else console.log('timeout ' + (Date.now() - t1));
    }, __DELAY__);
  }
}, __PERIOD__);
"#;

/// Receives a flood: datagrams longer than 2 bytes are counted; 2 bytes (before the
/// flood) and 1 byte (after it) ask for a line; an empty one ends the script.
pub const RECV_WX: &str = r#"
const s = wx.createUDPSocket();
let n = 0;
s.onMessage(function (r) {
  const len = r.message.byteLength;
  if (len > 2) n++;
  else if (len === 2) console.log('started');
  else if (len === 1) console.log('report ' + n);
  else s.close();
});
console.log('ready ' + s.bind());
"#;

/// [`RECV_WX`] with `dgram`.
pub const RECV_NODE: &str = r#"
const s = require('dgram').createSocket('udp4');
let n = 0;
s.on('message', function (msg) {
  const len = msg.length;
  if (len > 2) n++;
  else if (len === 2) console.log('started');
  else if (len === 1) console.log('report ' + n);
  else s.close();
});
s.bind(0, '127.0.0.1', function () { console.log('ready ' + s.address().port); });
"#;

/// On a datagram, sends COUNT datagrams of SIZE bytes to SINK in a tight loop, then
/// reports once they are handed to the kernel; an empty datagram ends the script.
pub const SEND_WX: &str = r#"
const s = wx.createUDPSocket();
const payload = new Uint8Array(__SIZE__).fill(0x5a);
s.onMessage(function (r) {
  if (r.message.byteLength === 0) { s.close(); return; }
  for (let i = 0; i < __COUNT__; i++) {
    s.send({ address: '127.0.0.1', port: __SINK__, message: payload });
  }
  setTimeout(function () { console.log('sent __COUNT__'); }, 0);
});
console.log('ready ' + s.bind());
"#;

/// [`SEND_WX`] with `dgram`; the last send's callback says they all went out.
pub const SEND_NODE: &str = r#"
const s = require('dgram').createSocket('udp4');
const payload = new Uint8Array(__SIZE__).fill(0x5a);
s.on('message', function (msg) {
  if (msg.length === 0) { s.close(); return; }
  for (let i = 0; i < __COUNT__ - 1; i++) {
    s.send(payload, __SINK__, '127.0.0.1');
  }
  s.send(payload, __SINK__, '127.0.0.1', function () { console.log('sent __COUNT__'); });
});
s.bind(0, '127.0.0.1', function () { console.log('ready ' + s.address().port); });
"#;

/// Sends bursts of 256 datagrams, one burst per `setTimeout(f, 0)`, for MS
/// milliseconds, and reports how many it sent in how long.
pub const BURST_WX: &str = r#"
const s = wx.createUDPSocket();
const payload = new Uint8Array(__SIZE__).fill(0x5a);
let sent = 0;
const t0 = Date.now();
function burst() {
  for (let i = 0; i < 256; i++) {
    s.send({ address: '127.0.0.1', port: __SINK__, message: payload });
  }
  sent += 256;
  const t = Date.now() - t0;
  if (t < __MS__) setTimeout(burst, 0);
  else { console.log('burst ' + sent + ' ' + t); s.close(); }
}
setTimeout(burst, 0);
"#;

/// [`BURST_WX`] with `dgram`; the last burst's last callback ends the timing.
pub const BURST_NODE: &str = r#"
const s = require('dgram').createSocket('udp4');
const payload = new Uint8Array(__SIZE__).fill(0x5a);
let sent = 0;
const t0 = Date.now();
function burst() {
  const t = Date.now() - t0;
  const last = t >= __MS__;
  for (let i = 0; i < 256; i++) {
    if (last && i === 255) {
      s.send(payload, __SINK__, '127.0.0.1', function () {
        console.log('burst ' + sent + ' ' + (Date.now() - t0)); s.close();
      });
    } else {
      s.send(payload, __SINK__, '127.0.0.1');
    }
  }
  sent += 256;
  if (!last) setTimeout(burst, 0);
}
setTimeout(burst, 0);
"#;

/// Answers every datagram to its sender; an empty one ends the script.
pub const ECHO_WX: &str = r#"
const s = wx.createUDPSocket();
s.onMessage(function (r) {
  if (r.message.byteLength === 0) { s.close(); return; }
  s.send({ address: r.remoteInfo.address, port: r.remoteInfo.port, message: r.message });
});
console.log('ready ' + s.bind());
"#;

/// [`ECHO_WX`] with `dgram`.
pub const ECHO_NODE: &str = r#"
const s = require('dgram').createSocket('udp4');
s.on('message', function (msg, rinfo) {
  if (msg.length === 0) { s.close(); return; }
  s.send(msg, rinfo.port, rinfo.address);
});
s.bind(0, '127.0.0.1', function () { console.log('ready ' + s.address().port); });
"#;
