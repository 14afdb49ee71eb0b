//! Fairness of the event loop: no socket's backlog (a peer's flood, a script's own
//! error storm) and no crowd of timers holds back another socket's events or a due
//! timer for long. Each test counts what a busy party got done while the other one
//! waited (listeners busy 1 to 2 ms each, so a turn's time slice holds only a few of
//! them), and asserts that count is small; none asserts a timing. The generous
//! `--timeout` only turns a hang into a failure. Traffic stays on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::Script;
use wxudp_js::EXIT_OK;

/// Far longer than any of these scripts needs, even in a debug build on a busy machine.
const DEADLINE: Duration = Duration::from_secs(120);

/// What the scripts share: a listener that keeps the loop busy for 1 to 2 ms (whole
/// milliseconds of `Date.now()`), a check that throws with the figures, and a line of
/// figures for `--nocapture`.
const COMMON: &str = r#"
function busy() { const t = Date.now(); while (Date.now() - t < 2) {} }
function check(ok, failure, figures) {
  if (!ok) throw new Error(failure + ': ' + JSON.stringify(figures));
}
function report(figures) { console.log(JSON.stringify(figures)); }
"#;

/// A peer that floods the first address that writes to it, until dropped. Datagrams
/// start with `b` until a datagram `probe` reaches it, then with `a`, so the script can
/// tell which ones were sent before its probe.
struct Flooder {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl Flooder {
    fn start() -> Flooder {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 64];
            // Waits for the script, a little at a time, so that a failed run ends it.
            socket
                .set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
            let target = loop {
                if stopped.load(Ordering::Relaxed) {
                    return 0;
                }
                if let Ok((_, from)) = socket.recv_from(&mut buf) {
                    break from;
                }
            };
            socket.set_nonblocking(true).unwrap();
            let mut payload: &[u8] = b"b-sent-before-the-probe";
            let (mut tries, mut sent) = (0u64, 0u64);
            while !stopped.load(Ordering::Relaxed) {
                if socket.send_to(payload, target).is_ok() {
                    sent += 1;
                }
                tries += 1;
                if tries.is_multiple_of(16) {
                    if let Ok((n, _)) = socket.recv_from(&mut buf) {
                        if &buf[..n] == b"probe" {
                            payload = b"a-sent-after-the-probe";
                        }
                    }
                }
            }
            sent
        });
        Flooder {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Flooder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let sent = thread.join().unwrap();
            eprintln!("the flooder sent {sent} datagrams");
        }
    }
}

#[test]
fn a_flooded_socket_holds_back_neither_another_socket_nor_a_timer() {
    let flooder = Flooder::start();
    let script = Script::new(
        "flood",
        &format!(
            r#"{COMMON}
const FLOODER = {port};
// After WARMUP of A's messages A has a backlog of thousands: the flood fills A's kernel
// buffer again at every look at the OS, while A's listener takes 1 to 2 ms.
const WARMUP = 100, BOUND = 200;
const A = wx.createUDPSocket(), B = wx.createUDPSocket(), C = wx.createUDPSocket();
let na = 0, atProbe = -1, forB = -1, forTimer = -1, nextAfterB = '', done = false, t0 = 0, msB = 0, msTimer = 0;
const pb = B.bind();
A.onMessage(function (res) {{
  na++;
  if (forB >= 0 && nextAfterB === '') nextAfterB = String.fromCharCode(new Uint8Array(res.message)[0]);
  busy();
  if (na === WARMUP) probe();
  finish();
}});
B.onMessage(function () {{ forB = na - atProbe; msB = Date.now() - t0; finish(); }});
function probe() {{
  atProbe = na;
  t0 = Date.now();
  C.send({{ address: '127.0.0.1', port: FLOODER, message: 'probe' }});
  C.send({{ address: '127.0.0.1', port: pb, message: 'for B' }});
  setTimeout(function () {{ forTimer = na - atProbe; msTimer = Date.now() - t0; finish(); }}, 50);
}}
function finish() {{
  if (done || forB < 0 || forTimer < 0 || nextAfterB === '') return;
  done = true;
  A.close(); B.close(); C.close();
  const figures = {{ 'A messages before B got its datagram': forB, 'before the 50 ms timer fired': forTimer, 'A handled': na, ms: [msB, msTimer] }};
  // The next message of A after B's was sent before the probe: B overtook A's backlog
  // (without one, this test would prove nothing).
  check(nextAfterB === 'b', 'A had no backlog when B got its datagram', figures);
  check(forB < BOUND && forTimer < BOUND, 'A held back B or the timer', figures);
  report(figures);
}}
A.bind();
A.send({{ address: '127.0.0.1', port: FLOODER, message: 'flood me' }});
"#,
            port = flooder.port
        ),
    );
    assert_eq!(script.run(DEADLINE), EXIT_OK);
    drop(flooder);
}

#[test]
fn a_scripts_own_error_storm_holds_back_neither_another_socket_nor_a_timer() {
    // Each error of the closed socket makes ten more: after WARMUP of them its error
    // backlog is full (1024), every one queued before the probe.
    let script = Script::new(
        "storm",
        &format!(
            r#"{COMMON}
const WARMUP = 150, BOUND = 200;
const a = wx.createUDPSocket(), B = wx.createUDPSocket(), C = wx.createUDPSocket();
let ne = 0, atProbe = -1, forB = -1, forTimer = -1, done = false;
a.close();
a.onError(function () {{
  ne++;
  busy();
  for (let i = 0; i < 10; i++) a.bind();
  if (ne === WARMUP) probe();
}});
a.bind();
const pb = B.bind();
B.onMessage(function () {{ forB = ne - atProbe; finish(); }});
function probe() {{
  atProbe = ne;
  C.send({{ address: '127.0.0.1', port: pb, message: 'for B' }});
  setTimeout(function () {{ forTimer = ne - atProbe; finish(); }}, 50);
}}
function finish() {{
  if (done || forB < 0 || forTimer < 0) return;
  done = true;
  a.offError(); B.close(); C.close();
  const figures = {{ 'errors before B got its datagram': forB, 'before the 50 ms timer fired': forTimer, 'errors handled': ne }};
  check(forB < BOUND && forTimer < BOUND, 'the error storm held back B or the timer', figures);
  report(figures);
}}
"#
        ),
    );
    assert_eq!(script.run(DEADLINE), EXIT_OK);
}

#[test]
fn a_crowd_of_due_timers_does_not_hold_back_a_socket() {
    // 100 timers due together, 1 to 2 ms each; the first sends a datagram. It is
    // delivered after a time slice of timers, not after all of them.
    let script = Script::new(
        "timers",
        &format!(
            r#"{COMMON}
const COUNT = 100, BOUND = 50;
const B = wx.createUDPSocket(), C = wx.createUDPSocket();
const pb = B.bind();
let fired = 0, atMessage = -1;
B.onMessage(function () {{ atMessage = fired; }});
for (let i = 0; i < COUNT; i++) {{
  setTimeout(function () {{
    if (fired === 0) C.send({{ address: '127.0.0.1', port: pb, message: 'between timers' }});
    fired++;
    busy();
    if (fired === COUNT) {{
      B.close(); C.close();
      const figures = {{ 'timers fired before the datagram was delivered': atMessage }};
      check(atMessage >= 1 && atMessage < BOUND, 'the timers held back the datagram', figures);
      report(figures);
    }}
  }}, 1);
}}
// All of them due by the time the loop looks.
busy(); busy(); busy();
"#
        ),
    );
    assert_eq!(script.run(DEADLINE), EXIT_OK);
}

#[test]
fn timers_that_cause_events_do_not_run_ahead_of_them() {
    // Each timer binds and closes 20 sockets and takes 60 ms; their `close` listeners
    // take 1 to 2 ms each, 20 to 40 ms a batch. Events get at least the time the timers
    // took, so each batch's events are delivered before long; with a fixed 10 ms for
    // events the backlog (every socket with an event waiting is kept) would grow by
    // about ten a batch.
    let script = Script::new(
        "producer",
        &format!(
            r#"{COMMON}
const BATCH = 20, BATCHES = 30, BOUND = 100;
let created = 0, closed = 0, batches = 0, worst = 0;
function batch() {{
  worst = Math.max(worst, created - closed);
  for (let k = 0; k < BATCH; k++) {{
    const s = wx.createUDPSocket();
    s.onClose(function () {{ closed++; busy(); }});
    s.bind();
    s.close();
    created++;
  }}
  const t = Date.now();
  while (Date.now() - t < 60) {{}}
  if (++batches < BATCHES) setTimeout(batch, 0);
  else {{
    const figures = {{ 'most close events waiting when a batch began': worst, batches: batches }};
    check(worst < BOUND, 'the timers ran ahead of their events', figures);
    report(figures);
  }}
}}
setTimeout(batch, 0);
"#
        ),
    );
    assert_eq!(script.run(DEADLINE), EXIT_OK);
}

#[test]
fn round_robin_keeps_each_sockets_order() {
    // Three sockets with backlogs in the same turns: delivered in turns of a few events
    // each, every socket's in its own order (`listening` first, then its datagrams as
    // sent; loopback keeps their order, though a full kernel buffer may drop some).
    let script = Script::new(
        "order",
        &format!(
            r#"{COMMON}
const N = 150;
const sockets = [0, 1, 2].map(function () {{ return wx.createUDPSocket(); }});
const log = [];
const seen = sockets.map(function () {{ return []; }});
let closed = 0;
sockets.forEach(function (s, k) {{
  s.onListening(function () {{ seen[k].push('listening'); log.push(k); }});
  s.onMessage(function (res) {{
    seen[k].push(new Uint32Array(res.message)[0]);
    log.push(k);
    if (seen[k].length === 1 + N) s.close();
  }});
  s.onClose(function () {{ if (++closed === 3) verify(); }});
}});
const ports = sockets.map(function (s) {{ return s.bind(); }});
const sender = wx.createUDPSocket();
for (let i = 0; i < N; i++) {{
  ports.forEach(function (port) {{ sender.send({{ address: '127.0.0.1', port: port, message: new Uint32Array([i]).buffer }}); }});
}}
sender.close();
// Datagrams a full kernel buffer dropped would leave a socket open: stop waiting then.
const patience = setTimeout(function () {{ sockets.forEach(function (s) {{ s.close(); }}); }}, 30000);
function verify() {{
  clearTimeout(patience);
  seen.forEach(function (events, k) {{
    check(events[0] === 'listening', 'listening is not first', {{ socket: k, first: events[0] }});
    for (let i = 2; i < events.length; i++) {{
      check(events[i] > events[i - 1], 'a socket\'s datagrams out of order', {{ socket: k, at: i, got: events.slice(i - 1, i + 1) }});
    }}
  }});
  // Round-robin: no socket's datagrams all came before another's first.
  let longest = 0, run = 0;
  for (let i = 1; i < log.length; i++) {{ run = log[i] === log[i - 1] ? run + 1 : 0; longest = Math.max(longest, run + 1); }}
  const figures = {{ 'longest run of one socket': longest, delivered: log.length }};
  check(longest < N, 'one socket was served to the end before another', figures);
  report(figures);
}}
"#
        ),
    );
    assert_eq!(script.run(DEADLINE), EXIT_OK);
}
