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
    fn median_of(&self, subject: Subject) -> Option<f64> {
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

/// The table, one block per metric.
pub fn table(sections: &[Section], runs: usize) -> String {
    let mut out = String::new();
    for section in sections {
        let m = &section.metric;
        let first = match m.better {
            Better::Ideal(_) => "vs ideal",
            _ => "x plain",
        };
        out.push_str(&format!(
            "\n{} ({}, {})\n  {:<20} {:>12}  {:<25} {:>9} {:>8}\n",
            m.title,
            m.unit,
            better_text(m.better),
            "",
            "median",
            format!("range of {runs} run{}", if runs == 1 { "" } else { "s" }),
            first,
            "x node"
        ));
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
            out.push_str(&format!(
                "  {:<20} {:>12.d$}  {:<25} {:>9} {:>8}\n",
                row.subject.name(),
                median,
                format!("{lo:.d$} – {hi:.d$}"),
                first,
                node,
            ));
        }
    }
    out
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
                key: "k",
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
        let text = table(&[section], 3);
        let wx = text.lines().find(|l| l.contains("wxudp run")).unwrap();
        assert!(wx.contains("2.50x") && wx.contains("0.50x"), "{wx}");
        assert!(wx.contains("2.00 – 3.00"), "{wx}");
    }
}
