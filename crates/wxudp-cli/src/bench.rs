//! `wxudp bench`: round trips over loopback, side by side in one run — plain std
//! sockets, the wxudp Rust API, a `wxudp run` script, and Node.js' dgram when `node` is
//! installed — reported as rates and ratios to the plain sockets.

use std::io::Write;
use std::net::UdpSocket as StdUdpSocket;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use wxudp::{SendOptions, SocketType, UdpSocket};

use crate::progress::Bar;
use crate::status::Failure;
use crate::target::parse_count;

/// Arguments of `wxudp bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Round trips per implementation (at least 1).
    #[arg(short = 'c', long, value_name = "N", value_parser = parse_count, default_value = "20000")]
    count: u64,
    /// Payload size in bytes (1 to 65507).
    #[arg(long, value_name = "BYTES", value_parser = parse_size, default_value = "64")]
    size: usize,
}

/// How long one implementation may take before it counts as failed.
const LIMIT: Duration = Duration::from_secs(120);

/// A payload size: 1 to 65507 bytes (the most an IPv4 datagram carries).
fn parse_size(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=wxudp::options::MAX_PAYLOAD_V4).contains(&n) => Ok(n),
        _ => Err(format!(
            "must be a number of bytes from 1 to {}",
            wxudp::options::MAX_PAYLOAD_V4
        )),
    }
}

/// The shortest time a row measured with a millisecond clock (`Date.now()` in the
/// `wxudp run` script) is reported for: below it the clock's steps are more than a
/// tenth of the figure, and a run under 1 ms would read as 0 ms (a billion round trips
/// a second).
const MIN_MS_TIMING: f64 = 10.0;

/// Writes a line of the report on stdout; a closed stdout is a failure, not a panic.
fn out(line: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::runtime(format!("cannot write to stdout: {e}")))
}

/// One row of the report.
struct Row {
    name: &'static str,
    result: Result<Duration, String>,
}

/// `wxudp bench`. Runs outside any tokio runtime (the JS runtime starts its own).
pub fn bench(args: &BenchArgs) -> Result<(), Failure> {
    out(&format!(
        "{} round trips of {} bytes over 127.0.0.1 (client sends, echo answers, client sends the next)",
        args.count, args.size
    ))?;
    // A fresh directory of its own (random name, mode 0700, removed when dropped): a
    // predictable one could be made in advance by another user, with a symlink in it.
    let tmp = tempfile::Builder::new()
        .prefix("wxudp-bench-")
        .tempdir()
        .map_err(|e| Failure::runtime(format!("cannot create a temporary directory: {e}")))?;
    let dir = tmp.path().to_path_buf();
    type Run<'a> = Box<dyn Fn() -> Result<Duration, String> + 'a>;
    let (count, size) = (args.count, args.size);
    let plan: Vec<(&'static str, Run<'_>)> = vec![
        ("std::net::UdpSocket", Box::new(|| raw(count, size))),
        ("wxudp (Rust API)", Box::new(|| rust_api(count, size))),
        ("wxudp run (JS)", Box::new(|| js(&dir, count, size))),
        ("node dgram", Box::new(|| node(&dir, count, size))),
    ];
    let bar = Bar::new(
        plan.len() as u64,
        "wxudp: bench [{bar:20}] {pos}/{len} {msg} ({elapsed})",
    );
    let mut rows = Vec::new();
    for (i, (name, run)) in plan.iter().enumerate() {
        if let Some(bar) = &bar {
            bar.set(i as u64, (*name).to_string());
        }
        rows.push(Row {
            name,
            result: run(),
        });
    }
    drop(bar);
    drop(tmp);
    let base = rows[0].result.as_ref().ok().copied();
    out(&format!(
        "{:<22} {:>12} {:>14} {:>10}",
        "implementation", "round trips/s", "mean RTT (µs)", "vs std"
    ))?;
    for row in &rows {
        let line = match &row.result {
            Ok(elapsed) => {
                let secs = elapsed.as_secs_f64().max(1e-9);
                let rate = args.count as f64 / secs;
                let rtt = secs * 1e6 / args.count as f64;
                let ratio = base
                    .map(|b| format!("{:.2}x", b.as_secs_f64() / secs))
                    .unwrap_or_else(|| "-".into());
                format!(
                    "{:<22} {:>12.0} {:>14.1} {:>10}",
                    row.name, rate, rtt, ratio
                )
            }
            Err(why) => format!("{:<22} {:>12} ({why})", row.name, "-"),
        };
        out(&line)?;
    }
    Ok(())
}

fn io(e: std::io::Error) -> String {
    e.to_string()
}

/// Plain std sockets, both ends on this one thread as in the other rows (each of which
/// runs its two sockets on one event-loop thread): the four syscalls a round trip needs,
/// and nothing else.
fn raw(count: u64, size: usize) -> Result<Duration, String> {
    let echo = StdUdpSocket::bind("127.0.0.1:0").map_err(io)?;
    let client = StdUdpSocket::bind("127.0.0.1:0").map_err(io)?;
    for sock in [&echo, &client] {
        sock.set_read_timeout(Some(Duration::from_secs(5)))
            .map_err(io)?;
    }
    let echo_addr = echo.local_addr().map_err(io)?;
    let payload = vec![0x5au8; size];
    let mut buf = vec![0u8; 65536];
    let lost = |e: std::io::Error| format!("lost a datagram: {e}");
    let start = Instant::now();
    for _ in 0..count {
        client.send_to(&payload, echo_addr).map_err(io)?;
        let (n, from) = echo.recv_from(&mut buf).map_err(lost)?;
        echo.send_to(&buf[..n], from).map_err(io)?;
        client.recv_from(&mut buf).map_err(lost)?;
    }
    Ok(start.elapsed())
}

/// The Rust API: both ends are listeners on the driver thread.
fn rust_api(count: u64, size: usize) -> Result<Duration, String> {
    let err = |e: wxudp::Error| e.to_string();
    let echo = UdpSocket::new(SocketType::Udp4).map_err(err)?;
    let replier = echo.clone();
    echo.on_message(move |m| {
        let to = m.remote.ip().to_string();
        let _ = replier.send(&SendOptions::new(&to, m.remote.port(), &m.data));
    });
    let echo_port = echo.bind(0).map_err(err)?;
    let client = UdpSocket::new(SocketType::Udp4).map_err(err)?;
    let payload = Arc::new(vec![0x5au8; size]);
    let done = AtomicU64::new(0);
    let (tx, rx) = mpsc::channel();
    let sender = client.clone();
    let p = payload.clone();
    client.on_message(move |_| {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if n < count {
            let _ = sender.send(&SendOptions::new("127.0.0.1", echo_port, p.as_slice()));
        } else {
            let _ = tx.send(());
        }
    });
    client.bind(0).map_err(err)?;
    let start = Instant::now();
    client
        .send(&SendOptions::new(
            "127.0.0.1",
            echo_port,
            payload.as_slice(),
        ))
        .map_err(err)?;
    rx.recv_timeout(LIMIT)
        .map_err(|_| "timed out".to_string())?;
    let elapsed = start.elapsed();
    let _ = client.close();
    let _ = echo.close();
    Ok(elapsed)
}

/// The JavaScript the JS and Node rows run, with `SETUP` filled in per runtime. It prints
/// the elapsed milliseconds.
const PING_PONG_JS: &str = r#"
const N = __COUNT__, SIZE = __SIZE__;
__SETUP__
const payload = new Uint8Array(SIZE).fill(0x5a);
const echo = create();
echo.onMessage(function (r) { echo.send({ address: r.remoteInfo.address, port: r.remoteInfo.port, message: r.message }); });
bind(echo, function (echoPort) {
  const client = create();
  let n = 0, start = 0;
  client.onMessage(function () {
    if (++n < N) {
      client.send({ address: '127.0.0.1', port: echoPort, message: payload });
    } else {
      console.log('elapsed_ms ' + (now() - start));
      client.close();
      echo.close();
    }
  });
  bind(client, function () {
    start = now();
    client.send({ address: '127.0.0.1', port: echoPort, message: payload });
  });
});
"#;

const WX_SETUP: &str = r#"
function create() { return wx.createUDPSocket(); }
function bind(s, then) { then(s.bind()); }
function now() { return Date.now(); }
"#;

const NODE_SETUP: &str = r#"
const dgram = require('dgram');
function create() {
  const s = dgram.createSocket('udp4');
  return {
    onMessage(f) { s.on('message', (msg, rinfo) => f({ message: msg, remoteInfo: rinfo })); },
    send(o) { s.send(o.message, o.port, o.address); },
    close() { s.close(); },
    raw: s,
  };
}
function bind(s, then) { s.raw.bind(0, '127.0.0.1', () => then(s.raw.address().port)); }
function now() { return Number(process.hrtime.bigint() / 1000n) / 1000; }
"#;

fn script(setup: &str, count: u64, size: usize) -> String {
    PING_PONG_JS
        .replace("__SETUP__", setup)
        .replace("__COUNT__", &count.to_string())
        .replace("__SIZE__", &size.to_string())
}

/// A `wxudp run` script, in this process; timed inside the script.
fn js(dir: &Path, count: u64, size: usize) -> Result<Duration, String> {
    let path = dir.join("bench.js");
    let storage = dir.join("bench-storage.json");
    let source = script(WX_SETUP, count, size).replace(
        "console.log('elapsed_ms ' + (now() - start));",
        "wx.setStorageSync('elapsed_ms', now() - start);",
    );
    std::fs::write(&path, source).map_err(io)?;
    let options = wxudp_js::RunOptions {
        timeout: Some(LIMIT),
        storage: Some(storage.clone()),
        ..Default::default()
    };
    let code = wxudp_js::run(&path, &options);
    if code != 0 {
        return Err(format!("the script exited with {code}"));
    }
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&storage).map_err(io)?)
            .map_err(|e| e.to_string())?;
    let ms = stored["elapsed_ms"]
        .as_f64()
        .ok_or_else(|| "no timing recorded".to_string())?;
    if ms < MIN_MS_TIMING {
        return Err(format!(
            "{ms} ms: too short to time with Date.now()'s 1 ms steps; use --count 1000 or more"
        ));
    }
    Ok(Duration::from_secs_f64(ms / 1000.0))
}

/// Node.js' dgram, when `node` is on the PATH; timed inside the script.
fn node(dir: &Path, count: u64, size: usize) -> Result<Duration, String> {
    let path = dir.join("bench-node.js");
    std::fs::write(&path, script(NODE_SETUP, count, size)).map_err(io)?;
    let out = match Command::new("node").arg(&path).output() {
        Ok(out) => out,
        Err(_) => return Err("node not installed".into()),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("elapsed_ms "))
        .and_then(|ms| ms.trim().parse::<f64>().ok())
        .filter(|ms| *ms > 0.0)
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .ok_or_else(|| {
            format!(
                "node failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )
        })
}
