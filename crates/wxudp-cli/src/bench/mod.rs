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
use std::path::PathBuf;

use crate::progress::Bar;
use crate::status::Failure;
use crate::target::parse_count;

mod histogram;
mod machine;
mod measure;
mod native;
mod plan;
#[cfg(feature = "charts")]
mod plot;
mod report;
mod script;

use machine::{addon_dir, machine, node_version};
use measure::measure;
use plan::{parse_size, Group, Plan, GROUPS};
use report::{Metric, Row, Section, Subject};

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
    let groups: Vec<Group> = GROUPS
        .into_iter()
        .filter(|g| args.only.is_empty() || args.only.contains(g))
        .collect();
    let samples = run_all(args, &plan, &groups, runs, node.is_some())?;
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
    publish(args, &sections, runs, node.as_deref(), build)
}

/// The samples of each metric and subject, in the order first measured.
type Samples = Vec<((&'static str, Subject), Row)>;

/// Runs each group of `groups` on each of its subjects, `runs` times: run by run, so that
/// a disturbance of the machine spreads over every subject. A progress bar on a terminal.
fn run_all(
    args: &BenchArgs,
    plan: &Plan,
    groups: &[Group],
    runs: u64,
    node: bool,
) -> Result<Samples, Failure> {
    let addon = addon_dir(args);
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
    let mut samples = Samples::new();
    let bar = Bar::new(
        cases.len() as u64 * runs,
        "wxudp: bench [{bar:20}] {pos}/{len} {msg} ({elapsed})",
    );
    let mut step = 0;
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
            let result = if needs_node && !node {
                Err(if args.no_node {
                    "left out (--no-node)".to_string()
                } else {
                    "node not installed".to_string()
                })
            } else if subject == Subject::Addon {
                match &addon {
                    Ok(dir) => measure(group, subject, plan, tmp.path(), Some(dir)),
                    Err(why) => Err(why.clone()),
                }
            } else {
                measure(group, subject, plan, tmp.path(), None)
            };
            record(&mut samples, plan.metrics(group), subject, &result);
        }
    }
    drop(bar);
    drop(tmp);
    Ok(samples)
}

/// Adds what one measurement of `subject` found (or why it failed) to the row of each of
/// `metrics`.
fn record(
    samples: &mut Samples,
    metrics: Vec<Metric>,
    subject: Subject,
    result: &Result<Vec<(&'static str, f64)>, String>,
) {
    for metric in metrics {
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
        match result {
            Ok(values) => {
                if let Some((_, v)) = values.iter().find(|(k, _)| *k == metric.key) {
                    row.samples.push(*v);
                }
            }
            Err(why) => row.error = Some(why.clone()),
        }
    }
}

/// Draws the chart of `--plot`, then prints the table, or JSON with `--json`.
fn publish(
    args: &BenchArgs,
    sections: &[Section],
    runs: u64,
    node: Option<&str>,
    build: &str,
) -> Result<(), Failure> {
    let caption = format!(
        "wxudp bench{}: {runs} run{} each, {build} build, {} CPUs{}",
        if args.quick {
            " --quick (small workloads: does it work here? not numbers to quote)"
        } else {
            ""
        },
        if runs == 1 { "" } else { "s" },
        machine()["cpus"],
        node.map(|v| format!(", node {v}")).unwrap_or_default()
    );
    if let Some(path) = &args.plot {
        #[cfg(feature = "charts")]
        plot::plot(path, sections, &caption).map_err(Failure::runtime)?;
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
        let doc = report::json(sections, header);
        out(&serde_json::to_string_pretty(&doc).unwrap_or_default())
    } else {
        let headline = report::headline(sections)
            .map(|line| format!("\n{line}\n"))
            .unwrap_or_default();
        out(&format!(
            "{caption}{}{}{headline}",
            report::table(sections, runs as usize),
            report::legend(sections),
        ))
    }
}
