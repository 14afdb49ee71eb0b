//! The measurements of each group on one subject: timers, receive, send, burst and round
//! trips, against plain sockets, the Rust API, or a script under `wxudp run` or Node.js.

use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use super::histogram::Histogram;
use super::native;
use super::plan::{Group, Plan};
use super::report::Subject;
use super::script::{self, Runtime, Script};
use super::{io, END, SMALL, START};

/// Runs one group of measurements on one subject: the metric values it found. `addon`
/// is the addon's package folder, for [`Subject::Addon`].
pub(super) fn measure(
    group: Group,
    subject: Subject,
    plan: &Plan,
    dir: &Path,
    addon: Option<&Path>,
) -> Result<Vec<(&'static str, f64)>, String> {
    let js = Js { subject, addon };
    match group {
        Group::Timers => timers(subject, plan, dir),
        Group::Recv => receive(js, plan, dir),
        Group::Send => send(js, plan, dir),
        Group::Burst => burst(js, plan, dir),
        Group::Rtt => round_trips(js, plan, dir),
    }
}

/// A subject and, for the addon, where its package is.
#[derive(Clone, Copy)]
struct Js<'a> {
    subject: Subject,
    addon: Option<&'a Path>,
}

impl Js<'_> {
    /// The script for this subject: Node's own, or `wxudp run`'s (under Node for the
    /// addon, after a line that installs the addon's `createUDPSocket` into a `wx`).
    fn source(&self, wx: &str, node: &str) -> String {
        match (self.subject, self.addon) {
            (Subject::Node, _) => node.to_string(),
            (Subject::Addon, Some(dir)) => {
                let path = serde_json::to_string(&dir.to_string_lossy()).unwrap_or_default();
                format!("const wx = require({path}).install({{}});\n{wx}")
            }
            _ => wx.to_string(),
        }
    }

    fn runtime(&self) -> Runtime {
        runtime_of(self.subject)
    }
}

fn runtime_of(subject: Subject) -> Runtime {
    if matches!(subject, Subject::Node | Subject::Addon) {
        Runtime::Node
    } else {
        Runtime::Wx
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn timers(subject: Subject, plan: &Plan, dir: &Path) -> Result<Vec<(&'static str, f64)>, String> {
    let period = Duration::from_millis(plan.period_ms);
    let delay = Duration::from_millis(plan.delay_ms);
    let (interval, timeout) = match subject {
        Subject::TokioSleep | Subject::TimerFd => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(io)?;
            rt.block_on(async {
                let mut fd = match subject {
                    Subject::TimerFd => Some(wxudp_js::timerfd::Deadline::new().map_err(io)?),
                    _ => None,
                };
                let mut wait = async |at: Instant| -> Result<(), String> {
                    match &mut fd {
                        Some(fd) => {
                            fd.set(Some(at)).map_err(io)?;
                            fd.expired().await.map_err(io)
                        }
                        None => {
                            tokio::time::sleep_until(at.into()).await;
                            Ok(())
                        }
                    }
                };
                // The interval keeps its grid; each timeout is set from when the one
                // before it fired, as a script does.
                let t0 = Instant::now();
                for n in 1..=plan.ticks {
                    wait(t0 + period * n as u32).await?;
                }
                let interval = t0.elapsed();
                let t1 = Instant::now();
                for _ in 0..plan.timeouts {
                    wait(Instant::now() + delay).await?;
                }
                Ok::<_, String>((ms(interval), ms(t1.elapsed())))
            })?
        }
        _ => {
            let source = script::fill(
                script::TIMERS,
                &[
                    ("TICKS", plan.ticks.to_string()),
                    ("PERIOD", plan.period_ms.to_string()),
                    ("TIMEOUTS", plan.timeouts.to_string()),
                    ("DELAY", plan.delay_ms.to_string()),
                ],
            );
            let mut s = Script::start(runtime_of(subject), dir, "timers", &source)?;
            let (interval, _) = s.expect("interval")?;
            let (timeout, _) = s.expect("timeout")?;
            s.finish();
            (first(&interval)?, first(&timeout)?)
        }
    };
    Ok(vec![
        ("timer_interval", interval),
        ("timer_timeout", timeout),
    ])
}

fn first(numbers: &[f64]) -> Result<f64, String> {
    numbers
        .first()
        .copied()
        .ok_or_else(|| "a line without its number".to_string())
}

fn localhost(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A script's port, from its `ready PORT` line.
fn ready(s: &mut Script) -> Result<(SocketAddr, Duration), String> {
    let (numbers, cpu) = s.expect("ready")?;
    let port = first(&numbers)?;
    Ok((localhost(port as u16), cpu))
}

/// Sends `marker` until the script prints `word` (a marker may be lost in a flood).
fn ask(
    s: &mut Script,
    sock: &StdUdpSocket,
    to: SocketAddr,
    marker: &[u8],
    word: &str,
) -> Result<(Vec<f64>, Duration), String> {
    for _ in 0..100 {
        sock.send_to(marker, to).map_err(io)?;
        if let Some(found) = s.expect_within(word, Duration::from_millis(200))? {
            return Ok(found);
        }
    }
    Err(format!("no '{word}' line"))
}

fn receive(js: Js<'_>, plan: &Plan, dir: &Path) -> Result<Vec<(&'static str, f64)>, String> {
    let subject = js.subject;
    let sender = StdUdpSocket::bind("127.0.0.1:0").map_err(io)?;
    let (count, cpu) = match subject {
        Subject::Plain | Subject::Rust => {
            let rx = if subject == Subject::Plain {
                native::raw_receiver()?
            } else {
                native::rust_receiver()?
            };
            let to = localhost(rx.port);
            let (_, _, before) = native::await_report(&sender, to, START, &rx.reports)?;
            native::flood(&sender, to, plan.flood, SMALL)?;
            let (_, count, after) = native::await_report(&sender, to, END, &rx.reports)?;
            (count, after.saturating_sub(before))
        }
        _ => {
            let source = js.source(script::RECV_WX, script::RECV_NODE);
            let mut s = Script::start(js.runtime(), dir, "recv", &source)?;
            let (to, _) = ready(&mut s)?;
            let (_, before) = ask(&mut s, &sender, to, START, "started")?;
            native::flood(&sender, to, plan.flood, SMALL)?;
            let (numbers, after) = ask(&mut s, &sender, to, END, "report")?;
            sender.send_to(&[], to).map_err(io)?;
            s.finish();
            (first(&numbers)? as u64, after.saturating_sub(before))
        }
    };
    if count == 0 {
        return Err("no datagram delivered".into());
    }
    Ok(vec![
        ("recv_cpu", cpu.as_secs_f64() * 1e6 / count as f64),
        ("recv_delivered", count as f64 * 100.0 / plan.flood as f64),
    ])
}

fn send(js: Js<'_>, plan: &Plan, dir: &Path) -> Result<Vec<(&'static str, f64)>, String> {
    let subject = js.subject;
    // A sink that never reads: what it cannot hold, the kernel drops.
    let sink = StdUdpSocket::bind("127.0.0.1:0").map_err(io)?;
    let sink_addr = sink.local_addr().map_err(io)?;
    let cpu = match subject {
        Subject::Plain => native::raw_sends(plan.sends, SMALL, sink_addr)?,
        Subject::Rust => native::rust_sends(plan.sends, SMALL, sink_addr)?,
        _ => {
            let source = js.source(script::SEND_WX, script::SEND_NODE);
            let source = script::fill(
                &source,
                &[
                    ("COUNT", plan.sends.to_string()),
                    ("SIZE", SMALL.to_string()),
                    ("SINK", sink_addr.port().to_string()),
                ],
            );
            let mut s = Script::start(js.runtime(), dir, "send", &source)?;
            let (to, before) = ready(&mut s)?;
            let go = StdUdpSocket::bind("127.0.0.1:0").map_err(io)?;
            go.send_to(b"go", to).map_err(io)?;
            let (_, after) = s.expect("sent")?;
            go.send_to(&[], to).map_err(io)?;
            s.finish();
            after.saturating_sub(before)
        }
    };
    Ok(vec![(
        "send_cpu",
        cpu.as_secs_f64() * 1e6 / plan.sends as f64,
    )])
}

fn burst(js: Js<'_>, plan: &Plan, dir: &Path) -> Result<Vec<(&'static str, f64)>, String> {
    let sink = StdUdpSocket::bind("127.0.0.1:0").map_err(io)?;
    let sink_addr = sink.local_addr().map_err(io)?;
    let source = js.source(script::BURST_WX, script::BURST_NODE);
    let source = script::fill(
        &source,
        &[
            ("MS", plan.burst_ms.to_string()),
            ("SIZE", SMALL.to_string()),
            ("SINK", sink_addr.port().to_string()),
        ],
    );
    let mut s = Script::start(js.runtime(), dir, "burst", &source)?;
    let (numbers, _) = s.expect("burst")?;
    s.finish();
    let (sent, ms) = match numbers[..] {
        [sent, ms, ..] if ms > 0.0 => (sent, ms),
        _ => return Err("a burst line without its numbers".into()),
    };
    Ok(vec![("send_burst", sent / ms)])
}

fn round_trips(js: Js<'_>, plan: &Plan, dir: &Path) -> Result<Vec<(&'static str, f64)>, String> {
    let subject = js.subject;
    let client = StdUdpSocket::bind("127.0.0.1:0").map_err(io)?;
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(io)?;
    let mut script = None;
    let mut native = None;
    let to = match subject {
        Subject::Plain | Subject::Rust => {
            let echo = if subject == Subject::Plain {
                native::raw_echo()?
            } else {
                native::rust_echo()?
            };
            let to = localhost(echo.port);
            native = Some(echo);
            to
        }
        _ => {
            let source = js.source(script::ECHO_WX, script::ECHO_NODE);
            let mut s = Script::start(js.runtime(), dir, "echo", &source)?;
            let (to, _) = ready(&mut s)?;
            script = Some(s);
            to
        }
    };
    let payload = vec![0x5au8; plan.size];
    let mut buf = vec![0u8; 65536];
    let mut histogram = Histogram::default();
    let warm_up = plan.round_trips.min(200);
    for i in 0..warm_up + plan.round_trips {
        let t = Instant::now();
        client.send_to(&payload, to).map_err(io)?;
        client
            .recv_from(&mut buf)
            .map_err(|e| format!("no answer: {e}"))?;
        if i >= warm_up {
            histogram.record(t.elapsed());
        }
    }
    let _ = client.send_to(&[], to);
    drop(native);
    if let Some(s) = script {
        s.finish();
    }
    debug_assert_eq!(histogram.count(), plan.round_trips);
    let us = |p: f64| histogram.percentile(p).as_secs_f64() * 1e6;
    Ok(vec![("rtt_p50", us(50.0)), ("rtt_p99", us(99.0))])
}
