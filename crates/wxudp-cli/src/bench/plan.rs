//! What the bench measures: the groups of measurements, who is measured in each, the
//! sizes of their workloads and the metrics each reports.

use super::report::{Better, Metric, Subject};
use super::{BenchArgs, SMALL};

/// A group of measurements, run together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum Group {
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

pub(super) const GROUPS: [Group; 5] = [
    Group::Timers,
    Group::Recv,
    Group::Send,
    Group::Burst,
    Group::Rtt,
];

impl Group {
    pub(super) fn name(self) -> &'static str {
        match self {
            Group::Timers => "timers",
            Group::Recv => "receive",
            Group::Send => "send",
            Group::Burst => "burst",
            Group::Rtt => "round trip",
        }
    }

    pub(super) fn subjects(self) -> &'static [Subject] {
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
pub(super) struct Plan {
    pub(super) ticks: u64,
    pub(super) period_ms: u64,
    pub(super) timeouts: u64,
    pub(super) delay_ms: u64,
    pub(super) flood: u64,
    pub(super) sends: u64,
    pub(super) burst_ms: u64,
    pub(super) round_trips: u64,
    pub(super) size: usize,
}

impl Plan {
    pub(super) fn new(args: &BenchArgs) -> Plan {
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

    pub(super) fn metrics(&self, group: Group) -> Vec<Metric> {
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
pub(super) fn parse_size(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=wxudp::options::MAX_PAYLOAD_V4).contains(&n) => Ok(n),
        _ => Err(format!(
            "must be a number of bytes from 1 to {}",
            wxudp::options::MAX_PAYLOAD_V4
        )),
    }
}
