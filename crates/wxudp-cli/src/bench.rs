//! `wxudp bench`: timers, receive CPU per datagram, send CPU and rate, and round-trip
//! latency, for plain sockets, the wxudp Rust API, `wxudp run`, the Node addon
//! (`crates/wxudp-node`, running `wxudp run`'s scripts under Node) and Node.js' `dgram`
//! (when `node` is installed), side by side in one run, each measured N times; a table
//! of medians, ranges and ratios, JSON, and an SVG chart.
//!
//! How each is measured:
//! - timers: wall time of `setInterval(f, 16)` x 120 and of 1000 chained
//!   `setTimeout(f, 5)` inside a script (and the same loops in Rust, waiting with tokio's
//!   `sleep_until` and with [`wxudp_js::timerfd`]), against the ideal;
//! - receive: this process floods the subject with 32-byte datagrams from one thread;
//!   the subject's listener counts them. CPU time of the subject (its process, or the
//!   thread that receives) per datagram delivered, and the share delivered;
//! - send: the subject sends 32-byte datagrams in a tight loop; its CPU time per send;
//!   and, for the scripts, the rate of bursts of 256 sends per `setTimeout(f, 0)`;
//! - round trip: a plain client here sends, the subject echoes, the client times each
//!   round trip into a histogram: p50 and p99.

use std::io::Write;
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::progress::Bar;
use crate::status::Failure;
use crate::target::parse_count;

mod histogram;
mod native;
#[cfg(feature = "charts")]
mod plot;
mod report;
mod script;

use histogram::Histogram;
use report::{Better, Metric, Row, Section, Subject};
use script::{Runtime, Script};

/// The marker a receiver answers before a flood.
const START: &[u8] = b"ss";
/// The marker a receiver answers after a flood.
const END: &[u8] = b"e";
/// Bytes of the datagrams of the receive and send measurements.
const SMALL: usize = 32;

/// Arguments of `wxudp bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// How many times each measurement runs; the table shows the median and range
    /// [default: 3, 1 with --quick].
    #[arg(short = 'n', long, value_name = "N", value_parser = parse_count)]
    runs: Option<u64>,
    /// Small workloads (seconds, not minutes): to check that the bench works, not for
    /// numbers to publish.
    #[arg(long)]
    quick: bool,
    /// Only these measurements (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "WHAT")]
    only: Vec<Group>,
    /// Round trips per run [default: 20000, 500 with --quick].
    #[arg(short = 'c', long, value_name = "N", value_parser = parse_count)]
    count: Option<u64>,
    /// Payload of the round trips in bytes (1 to 65507).
    #[arg(long, value_name = "BYTES", value_parser = parse_size, default_value = "64")]
    size: usize,
    /// Print the results as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also draw the results as an SVG chart in FILE.
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Leave Node.js out even when `node` is installed (and so the addon).
    #[arg(long)]
    no_node: bool,
    /// The folder of the Node addon's package (`crates/wxudp-node`, built with `npm run
    /// build` there) [default: $WXUDP_ADDON, else crates/wxudp-node beside this binary's
    /// target/ folder or in the current folder].
    #[arg(long, value_name = "DIR")]
    addon: Option<PathBuf>,
}

/// A group of measurements, run together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Group {
    /// setInterval and chained setTimeout against the ideal.
    Timers,
    /// CPU per received datagram under a flood.
    Recv,
    /// CPU per send in a tight loop.
    Send,
    /// Send rate in bursts of 256 per setTimeout(f, 0).
    Burst,
    /// Round-trip latency p50 and p99.
    Rtt,
}

const GROUPS: [Group; 5] = [
    Group::Timers,
    Group::Recv,
    Group::Send,
    Group::Burst,
    Group::Rtt,
];

impl Group {
    fn name(self) -> &'static str {
        match self {
            Group::Timers => "timers",
            Group::Recv => "receive",
            Group::Send => "send",
            Group::Burst => "burst",
            Group::Rtt => "round trip",
        }
    }

    fn subjects(self) -> &'static [Subject] {
        match self {
            Group::Timers => &[
                Subject::TokioSleep,
                Subject::TimerFd,
                Subject::Wx,
                Subject::Node,
            ],
            Group::Recv | Group::Send | Group::Rtt => &[
                Subject::Plain,
                Subject::Rust,
                Subject::Wx,
                Subject::Addon,
                Subject::Node,
            ],
            Group::Burst => &[Subject::Wx, Subject::Addon, Subject::Node],
        }
    }
}

/// The sizes of the workloads.
#[derive(Debug, Clone, Copy)]
struct Plan {
    ticks: u64,
    period_ms: u64,
    timeouts: u64,
    delay_ms: u64,
    flood: u64,
    sends: u64,
    burst_ms: u64,
    round_trips: u64,
    size: usize,
}

impl Plan {
    fn new(args: &BenchArgs) -> Plan {
        let q = args.quick;
        Plan {
            ticks: if q { 20 } else { 120 },
            period_ms: 16,
            timeouts: if q { 40 } else { 1000 },
            delay_ms: 5,
            flood: if q { 5_000 } else { 200_000 },
            sends: if q { 5_000 } else { 200_000 },
            burst_ms: if q { 300 } else { 3_000 },
            round_trips: args.count.unwrap_or(if q { 500 } else { 20_000 }),
            size: args.size,
        }
    }

    fn metrics(&self, group: Group) -> Vec<Metric> {
        let m = |key, title: String, unit, better, decimals| Metric {
            key,
            title,
            unit,
            better,
            decimals,
        };
        match group {
            Group::Timers => vec![
                m(
                    "timer_interval",
                    format!("setInterval(f, {}) x {}", self.period_ms, self.ticks),
                    "ms",
                    Better::Ideal((self.period_ms * self.ticks) as f64),
                    0,
                ),
                m(
                    "timer_timeout",
                    format!(
                        "chained setTimeout(f, {}) x {}",
                        self.delay_ms, self.timeouts
                    ),
                    "ms",
                    Better::Ideal((self.delay_ms * self.timeouts) as f64),
                    0,
                ),
            ],
            Group::Recv => vec![
                m(
                    "recv_cpu",
                    format!(
                        "receive: CPU per datagram, flood of {} x {SMALL} B, a listener counts",
                        self.flood
                    ),
                    "µs",
                    Better::Lower,
                    2,
                ),
                m(
                    "recv_delivered",
                    "receive: share of the flood delivered".into(),
                    "%",
                    Better::Higher,
                    1,
                ),
            ],
            Group::Send => vec![m(
                "send_cpu",
                format!(
                    "send: CPU per send, {} x {SMALL} B in a tight loop",
                    self.sends
                ),
                "µs",
                Better::Lower,
                2,
            )],
            Group::Burst => vec![m(
                "send_burst",
                format!(
                    "send: rate in bursts of 256 per setTimeout(f, 0), {} ms",
                    self.burst_ms
                ),
                "k sends/s",
                Better::Higher,
                0,
            )],
            Group::Rtt => vec![
                m(
                    "rtt_p50",
                    format!(
                        "round trip p50, {} x {} B, a plain client, the subject echoes",
                        self.round_trips, self.size
                    ),
                    "µs",
                    Better::Lower,
                    1,
                ),
                m(
                    "rtt_p99",
                    format!("round trip p99, {} x {} B", self.round_trips, self.size),
                    "µs",
                    Better::Lower,
                    1,
                ),
            ],
        }
    }
}

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

/// Writes to stdout; a closed stdout is a failure, not a panic.
fn out(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::runtime(format!("cannot write to stdout: {e}")))
}

fn io(e: std::io::Error) -> String {
    e.to_string()
}

/// Node.js' version, if `node` runs.
fn node_version() -> Option<String> {
    let out = std::process::Command::new("node")
        .arg("--version")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// What the numbers were measured on.
fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_string())
        .unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    serde_json::json!({ "cpu": cpu, "cpus": cpus, "kernel": kernel })
}

/// `wxudp bench`. Runs outside any tokio runtime (the Rust API starts its own thread).
pub fn bench(args: &BenchArgs) -> Result<(), Failure> {
    let release = !cfg!(debug_assertions);
    if !release {
        eprintln!(
            "wxudp: warning: this is a debug build; its numbers say little about a release \
             build (cargo build --release -p wxudp-cli)"
        );
    }
    let plan = Plan::new(args);
    let runs = args.runs.unwrap_or(if args.quick { 1 } else { 3 });
    let node = if args.no_node { None } else { node_version() };
    let addon = addon_dir(args);
    let groups: Vec<Group> = GROUPS
        .into_iter()
        .filter(|g| args.only.is_empty() || args.only.contains(g))
        .collect();
    // A fresh directory of its own (random name, mode 0700, removed when dropped): a
    // predictable one could be made in advance by another user, with a symlink in it.
    let tmp = tempfile::Builder::new()
        .prefix("wxudp-bench-")
        .tempdir()
        .map_err(|e| Failure::runtime(format!("cannot create a temporary directory: {e}")))?;
    let cases: Vec<(Group, Subject)> = groups
        .iter()
        .flat_map(|g| g.subjects().iter().map(move |s| (*g, *s)))
        .collect();
    let mut samples: Vec<((&'static str, Subject), Row)> = Vec::new();
    let bar = Bar::new(
        cases.len() as u64 * runs,
        "wxudp: bench [{bar:20}] {pos}/{len} {msg} ({elapsed})",
    );
    let mut step = 0;
    // Run by run, so that a disturbance of the machine spreads over every subject.
    for run in 1..=runs {
        for &(group, subject) in &cases {
            if let Some(bar) = &bar {
                bar.set(
                    step,
                    format!("{}: {} (run {run}/{runs})", group.name(), subject.name()),
                );
            }
            step += 1;
            let needs_node = matches!(subject, Subject::Node | Subject::Addon);
            let result = if needs_node && node.is_none() {
                Err(if args.no_node {
                    "left out (--no-node)".to_string()
                } else {
                    "node not installed".to_string()
                })
            } else if subject == Subject::Addon {
                match &addon {
                    Ok(dir) => measure(group, subject, &plan, tmp.path(), Some(dir)),
                    Err(why) => Err(why.clone()),
                }
            } else {
                measure(group, subject, &plan, tmp.path(), None)
            };
            for metric in plan.metrics(group) {
                let key = (metric.key, subject);
                let i = match samples.iter().position(|(k, _)| *k == key) {
                    Some(i) => i,
                    None => {
                        samples.push((
                            key,
                            Row {
                                subject,
                                samples: Vec::new(),
                                error: None,
                            },
                        ));
                        samples.len() - 1
                    }
                };
                let row = &mut samples[i].1;
                match &result {
                    Ok(values) => {
                        if let Some((_, v)) = values.iter().find(|(k, _)| *k == metric.key) {
                            row.samples.push(*v);
                        }
                    }
                    Err(why) => row.error = Some(why.clone()),
                }
            }
        }
    }
    drop(bar);
    drop(tmp);
    let sections: Vec<Section> = groups
        .iter()
        .flat_map(|g| plan.metrics(*g))
        .map(|metric| {
            let rows = samples
                .iter()
                .filter(|((k, _), _)| *k == metric.key)
                .map(|(_, row)| row.clone())
                .collect();
            Section { metric, rows }
        })
        .collect();
    let build = if release { "release" } else { "debug" };
    let caption = format!(
        "wxudp bench: {runs} run{} each, {build} build, {} CPUs{}",
        if runs == 1 { "" } else { "s" },
        machine()["cpus"],
        node.as_deref()
            .map(|v| format!(", node {v}"))
            .unwrap_or_default()
    );
    if let Some(path) = &args.plot {
        #[cfg(feature = "charts")]
        plot::plot(path, &sections, &caption).map_err(Failure::runtime)?;
        #[cfg(not(feature = "charts"))]
        return Err(Failure::runtime(format!(
            "cannot draw {}: this wxudp was built without its `charts` feature",
            path.display()
        )));
    }
    if args.json {
        let header = serde_json::json!({
            "wxudp": env!("CARGO_PKG_VERSION"),
            "build": build,
            "runs": runs,
            "quick": args.quick,
            "node": node,
            "machine": machine(),
        });
        let doc = report::json(&sections, header);
        out(&serde_json::to_string_pretty(&doc).unwrap_or_default())
    } else {
        out(&format!(
            "{caption}; median and range of the runs; x plain and x node: the median over \
             theirs{}",
            report::table(&sections, runs as usize)
        ))
    }
}

/// Runs one group of measurements on one subject: the metric values it found. `addon`
/// is the addon's package folder, for [`Subject::Addon`].
fn measure(
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

/// The addon's package folder, built (`index.js` and a `.node` file in it), or why the
/// addon's rows stay empty.
fn addon_dir(args: &BenchArgs) -> Result<PathBuf, String> {
    let given = args
        .addon
        .clone()
        .or_else(|| std::env::var_os("WXUDP_ADDON").map(PathBuf::from));
    let candidates: Vec<PathBuf> = match given {
        Some(dir) => vec![dir],
        None => {
            let mut c = Vec::new();
            // target/{debug,release}/wxudp -> the repository's crates/wxudp-node.
            if let Ok(exe) = std::env::current_exe() {
                if let Some(root) = exe.ancestors().nth(3) {
                    c.push(root.join("crates/wxudp-node"));
                }
            }
            if let Ok(cwd) = std::env::current_dir() {
                c.push(cwd.join("crates/wxudp-node"));
            }
            c
        }
    };
    let built = |dir: &Path| {
        dir.join("index.js").is_file()
            && std::fs::read_dir(dir).is_ok_and(|entries| {
                entries
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().ends_with(".node"))
            })
    };
    match candidates.iter().find(|d| built(d)) {
        Some(dir) => dir.canonicalize().map_err(io),
        None => Err(format!(
            "addon not built (npm ci && npm run build in crates/wxudp-node, or --addon DIR); looked in {}",
            candidates
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
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
