//! What the bench found: samples per metric and subject, their median and range, and
//! the table and JSON made of them.

use serde_json::{json, Value};

/// Which way a metric is good.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Better {
    Lower,
    Higher,
    /// Closest to this value (a timer's ideal duration).
    Ideal(f64),
}

/// One thing measured.
#[derive(Debug, Clone)]
pub struct Metric {
    pub key: &'static str,
    pub title: String,
    pub unit: &'static str,
    pub better: Better,
    /// Decimals shown in the table.
    pub decimals: usize,
}

/// Who is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// Plain sockets: the floor.
    Plain,
    /// tokio's `sleep_until`: how the JS event loop waits for its timers when it has
    /// no timerfd.
    TokioSleep,
    /// A timerfd in tokio's epoll ([`wxudp_js::timerfd`]).
    TimerFd,
    /// The wxudp Rust API.
    Rust,
    /// `wxudp run`.
    Wx,
    /// The same scripts under Node.js, with the addon's `createUDPSocket`
    /// (`crates/wxudp-node`).
    Addon,
    /// Node.js' `dgram`.
    Node,
}

impl Subject {
    pub fn name(self) -> &'static str {
        match self {
            Subject::Plain => "plain sockets",
            Subject::TokioSleep => "tokio sleep_until",
            Subject::TimerFd => "timerfd (AsyncFd)",
            Subject::Rust => "wxudp Rust API",
            Subject::Wx => "wxudp run (JS)",
            Subject::Addon => "wxudp addon (node)",
            Subject::Node => "node dgram",
        }
    }
}

/// The samples of one metric for one subject, or why there are none.
#[derive(Debug, Clone)]
pub struct Row {
    pub subject: Subject,
    pub samples: Vec<f64>,
    pub error: Option<String>,
}

/// Median, lowest and highest of `samples` (not empty).
pub fn summary(samples: &[f64]) -> Option<(f64, f64, f64)> {
    if samples.is_empty() {
        return None;
    }
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let median = if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    };
    Some((median, s[0], s[n - 1]))
}

/// A metric's rows, in subject order.
#[derive(Debug, Clone)]
pub struct Section {
    pub metric: Metric,
    pub rows: Vec<Row>,
}

impl Section {
    pub fn median_of(&self, subject: Subject) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.subject == subject)
            .and_then(|r| summary(&r.samples))
            .map(|s| s.0)
    }

    /// The reference of the "x plain" column: the plain row, or the ideal.
    pub fn reference(&self) -> Option<f64> {
        match self.metric.better {
            Better::Ideal(ideal) => Some(ideal),
            _ => self.median_of(Subject::Plain),
        }
    }

    /// A subject's median over the plain row's (or the ideal), and over Node's.
    pub fn ratios(&self, median: f64) -> (Option<f64>, Option<f64>) {
        let ratio = |r: Option<f64>| r.filter(|r| *r > 0.0).map(|r| median / r);
        (
            ratio(self.reference()),
            ratio(self.median_of(Subject::Node)),
        )
    }
}

fn better_text(b: Better) -> String {
    match b {
        Better::Lower => "lower is better".into(),
        Better::Higher => "higher is better".into(),
        Better::Ideal(v) => format!("ideal {v}"),
    }
}

/// The table, one block per metric. The range column is left out of a block where it
/// would only repeat the median (one run, or runs that all measured the same).
pub fn table(sections: &[Section], runs: usize) -> String {
    let mut out = String::new();
    for section in sections {
        let m = &section.metric;
        let first = match m.better {
            Better::Ideal(_) => "vs ideal",
            _ => "x plain",
        };
        let ranged = section
            .rows
            .iter()
            .filter_map(|row| summary(&row.samples))
            .any(|(_, lo, hi)| lo != hi);
        let range_head = if ranged {
            format!("range of {runs} run{}", if runs == 1 { "" } else { "s" })
        } else {
            String::new()
        };
        out.push_str(
            format!(
                "\n{} ({}, {})\n  {:<20} {:>12}  {:<w$} {:>9} {:>8}\n",
                m.title,
                m.unit,
                better_text(m.better),
                "",
                "median",
                range_head,
                first,
                "x node",
                w = if ranged { 25 } else { 0 },
            )
            .replace("   \n", "\n")
            .as_str(),
        );
        for row in &section.rows {
            let Some((median, lo, hi)) = summary(&row.samples) else {
                out.push_str(&format!(
                    "  {:<20} {:>12}  ({})\n",
                    row.subject.name(),
                    "-",
                    row.error.as_deref().unwrap_or("no samples")
                ));
                continue;
            };
            let d = m.decimals;
            let (vs_ref, vs_node) = section.ratios(median);
            let first = match (m.better, vs_ref) {
                (Better::Ideal(_), Some(r)) => format!("{:+.2}%", (r - 1.0) * 100.0),
                (_, Some(r)) => format!("{r:.2}x"),
                (_, None) => "-".into(),
            };
            let node = vs_node.map_or_else(|| "-".into(), |r| format!("{r:.2}x"));
            let range = match (ranged, lo == hi) {
                (false, _) => String::new(),
                (true, true) => "—".into(),
                (true, false) => format!("{lo:.d$} – {hi:.d$}"),
            };
            out.push_str(&format!(
                "  {:<20} {:>12.d$}  {:<w$} {:>9} {:>8}\n",
                row.subject.name(),
                median,
                range,
                first,
                node,
                w = if ranged { 25 } else { 0 },
            ));
        }
    }
    out
}

/// What the table's words mean: only those of the blocks and rows present.
pub fn legend(sections: &[Section]) -> String {
    let has = |key: &str| sections.iter().any(|s| s.metric.key.starts_with(key));
    let node = sections.iter().any(|s| {
        s.rows
            .iter()
            .any(|r| r.subject == Subject::Node && !r.samples.is_empty())
    });
    let mut lines = vec![
        "median     the middle of the runs (-n); the range, when shown, their lowest and highest",
        "x plain    the median over plain sockets' (std::net, no runtime: the floor)",
    ];
    if has("timer") {
        lines.push("vs ideal   how much longer the timers took than period x count");
    }
    if node {
        lines.push(
            "x node     the median over Node.js dgram's: below 1.00x is less time or CPU, above \
             1.00x a higher rate or share",
        );
    }
    if has("recv") {
        lines.push(
            "CPU per datagram  user + system CPU time of the receiver (its process, or the \
             receiving thread) over the datagrams its listener got",
        );
        lines.push(
            "delivered  the share of the flood the listener got; the rest was dropped by a \
             full receive buffer (the kernel's, or the socket's budget)",
        );
    }
    if has("send") {
        lines.push("CPU per send  CPU time of the sender per datagram handed to the kernel");
    }
    if has("rtt") {
        lines.push("p50, p99   half, or 99 in 100, of the round trips took less than this");
    }
    let mut out = String::from("\nTerms:\n");
    for line in lines {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// One line to remember: how wxudp compares with Node.js' dgram on this machine (with
/// plain sockets when Node is not there), from the first of receive CPU, round trip,
/// send CPU and burst rate that was measured for both.
pub fn headline(sections: &[Section]) -> Option<String> {
    const ORDER: [(&str, &str, &str); 4] = [
        ("recv_cpu", "received", "CPU per datagram"),
        ("rtt_p50", "echoed", "round-trip p50"),
        ("send_cpu", "sent", "CPU per send"),
        ("send_burst", "sent in bursts", "sends per second"),
    ];
    for (key, verb, what) in ORDER {
        let Some(section) = sections.iter().find(|s| s.metric.key == key) else {
            continue;
        };
        let Some((ours, name)) = [Subject::Wx, Subject::Rust]
            .into_iter()
            .find_map(|s| section.median_of(s).map(|m| (m, s.name())))
        else {
            continue;
        };
        let Some((theirs, other)) = section
            .median_of(Subject::Node)
            .map(|m| (m, "Node's dgram"))
            .or_else(|| {
                section
                    .median_of(Subject::Plain)
                    .map(|m| (m, "plain sockets"))
            })
        else {
            continue;
        };
        if ours <= 0.0 || theirs <= 0.0 {
            continue;
        }
        // How many times faster ours is: lower is better for CPU and time, higher for rates.
        let faster = match section.metric.better {
            Better::Higher => ours / theirs,
            _ => theirs / ours,
        };
        let comparison = if faster >= 1.0 {
            format!("{faster:.1}x faster than")
        } else {
            format!("{:.1}x slower than", 1.0 / faster)
        };
        return Some(format!(
            "{name} {verb} {comparison} {other} on this machine ({what}, medians)"
        ));
    }
    None
}

/// The whole result as JSON.
pub fn json(sections: &[Section], header: Value) -> Value {
    let metrics: Vec<Value> = sections
        .iter()
        .map(|s| {
            let rows: Vec<Value> = s
                .rows
                .iter()
                .map(|row| {
                    let sum = summary(&row.samples);
                    let (vs_ref, vs_node) = sum.map_or((None, None), |(m, _, _)| s.ratios(m));
                    json!({
                        "subject": row.subject.name(),
                        "samples": row.samples,
                        "median": sum.map(|x| x.0),
                        "min": sum.map(|x| x.1),
                        "max": sum.map(|x| x.2),
                        "vs_reference": vs_ref,
                        "vs_node": vs_node,
                        "error": row.error,
                    })
                })
                .collect();
            let (better, ideal) = match s.metric.better {
                Better::Lower => ("lower", None),
                Better::Higher => ("higher", None),
                Better::Ideal(v) => ("ideal", Some(v)),
            };
            json!({
                "key": s.metric.key,
                "title": s.metric.title,
                "unit": s.metric.unit,
                "better": better,
                "ideal": ideal,
                "rows": rows,
            })
        })
        .collect();
    let mut out = header;
    out["metrics"] = Value::Array(metrics);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_range() {
        assert_eq!(summary(&[]), None);
        assert_eq!(summary(&[3.0]), Some((3.0, 3.0, 3.0)));
        assert_eq!(summary(&[5.0, 1.0, 3.0]), Some((3.0, 1.0, 5.0)));
        assert_eq!(summary(&[4.0, 1.0, 2.0, 3.0]), Some((2.5, 1.0, 4.0)));
    }

    #[test]
    fn ratios_to_plain_and_node() {
        let row = |subject, samples: &[f64]| Row {
            subject,
            samples: samples.to_vec(),
            error: None,
        };
        let section = Section {
            metric: Metric {
                key: "recv_cpu",
                title: "t".into(),
                unit: "µs",
                better: Better::Lower,
                decimals: 2,
            },
            rows: vec![
                row(Subject::Plain, &[1.0, 1.0, 1.0]),
                row(Subject::Wx, &[2.0, 3.0, 2.5]),
                row(Subject::Node, &[5.0]),
            ],
        };
        assert_eq!(section.ratios(2.5), (Some(2.5), Some(0.5)));
        let text = table(std::slice::from_ref(&section), 3);
        let wx = text.lines().find(|l| l.contains("wxudp run")).unwrap();
        assert!(wx.contains("2.50x") && wx.contains("0.50x"), "{wx}");
        assert!(wx.contains("2.00 – 3.00"), "{wx}");
        // A row of one run in a ranged block: a dash, not its median again.
        let node = text.lines().find(|l| l.contains("node dgram")).unwrap();
        assert!(
            node.contains("—") && !node.contains("5.00 – 5.00"),
            "{node}"
        );
        assert_eq!(
            headline(std::slice::from_ref(&section)).unwrap(),
            "wxudp run (JS) received 2.0x faster than Node's dgram on this machine (CPU per \
             datagram, medians)"
        );
    }

    #[test]
    fn one_run_has_no_range_column_and_a_legend_and_headline_without_node() {
        let section = Section {
            metric: Metric {
                key: "send_burst",
                title: "burst".into(),
                unit: "k sends/s",
                better: Better::Higher,
                decimals: 0,
            },
            rows: vec![
                Row {
                    subject: Subject::Plain,
                    samples: vec![400.0],
                    error: None,
                },
                Row {
                    subject: Subject::Wx,
                    samples: vec![100.0],
                    error: None,
                },
            ],
        };
        let text = table(std::slice::from_ref(&section), 1);
        assert!(!text.contains("range"), "{text}");
        assert!(!text.contains("400 – 400") && !text.contains('—'), "{text}");
        let head = text.lines().nth(2).unwrap();
        assert_eq!(
            head.split_whitespace().collect::<Vec<_>>(),
            ["median", "x", "plain", "x", "node"]
        );
        assert_eq!(
            headline(std::slice::from_ref(&section)).unwrap(),
            "wxudp run (JS) sent in bursts 4.0x slower than plain sockets on this machine \
             (sends per second, medians)"
        );
        let legend = legend(&[section]);
        assert!(
            legend.contains("x plain") && legend.contains("CPU per send"),
            "{legend}"
        );
        assert!(
            !legend.contains("x node") && !legend.contains("delivered"),
            "{legend}"
        );
    }
}
