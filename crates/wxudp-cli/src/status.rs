//! How a command ends, and the exit status of each ending.

use crate::console;
use crate::signals::Caught;

/// Exit status: done.
pub const OK: u8 = 0;
/// Exit status: a runtime failure (network, file, stdout, name resolution).
pub const FAILURE: u8 = 1;
/// Exit status: a usage error (flag, value, address, message).
pub const USAGE: u8 = 2;
/// Exit status: the wait ended before `--replies` replies, or `--timeout`/`--idle` before
/// `--count` datagrams.
pub const TIMED_OUT: u8 = 124;

/// How a command ended without a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// It did what was asked.
    Done,
    /// Time ran out before the replies or datagrams asked for came.
    TimedOut,
    /// The replies asked for did not come, and the destination refused (ICMP port
    /// unreachable): status 1.
    Refused,
    /// A signal ended it.
    Signal(Caught),
}

impl Ending {
    /// The exit status.
    pub fn status(self) -> u8 {
        match self {
            Ending::Done => OK,
            Ending::TimedOut => TIMED_OUT,
            Ending::Refused => FAILURE,
            Ending::Signal(caught) => caught.status(),
        }
    }

    /// The word that starts a summary line of an unfinished command (`interrupted: `).
    pub fn prefix(self) -> String {
        match self {
            Ending::Done => String::new(),
            Ending::TimedOut => "timed out: ".into(),
            Ending::Refused => "refused: ".into(),
            Ending::Signal(caught) => format!("{}: ", caught.name()),
        }
    }
}

/// Why a command failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The command line is wrong: exit status 2.
    Usage(String),
    /// Something failed while running: exit status 1, with a hint for common mistakes.
    Runtime {
        /// What failed, naming the address or file.
        message: String,
        /// What to check or do about it.
        hint: Option<String>,
    },
}

impl Failure {
    /// A runtime failure without a hint.
    pub fn runtime(message: impl Into<String>) -> Failure {
        Failure::Runtime {
            message: message.into(),
            hint: None,
        }
    }

    /// A runtime failure with a hint.
    pub fn hinted(message: impl Into<String>, hint: impl Into<String>) -> Failure {
        Failure::Runtime {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// Prints the failure on stderr and returns its exit status.
    pub fn report(&self) -> u8 {
        match self {
            Failure::Usage(message) => {
                console::error(message);
                USAGE
            }
            Failure::Runtime { message, hint } => {
                console::error(message);
                if let Some(hint) = hint {
                    console::hint(hint);
                }
                FAILURE
            }
        }
    }
}

/// The exit status of a command's result, the failure reported on stderr.
pub fn exit_status(result: Result<Ending, Failure>) -> u8 {
    match result {
        Ok(ending) => ending.status(),
        Err(failure) => failure.report(),
    }
}

/// `1 datagram`, `2 datagrams`; `1 reply`, `2 replies`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A duration for a summary: `850 µs`, `20 ms`, `1.52 s`.
pub fn duration(d: std::time::Duration) -> String {
    if d < std::time::Duration::from_millis(1) {
        format!("{} µs", d.as_micros())
    } else if d < std::time::Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// ` (980/s)` for `n` events in `elapsed`, or nothing when the figure would mean
/// little: fewer than 2 events, or under 10 ms (a rate from a single burst or a single
/// datagram is noise, however exactly it is timed).
pub fn rate(n: u64, elapsed: std::time::Duration) -> String {
    if n < 2 {
        return String::new();
    }
    per_second(n as f64, elapsed)
}

/// The rate of `n` events timed from the first to the last: `n - 1` intervals.
pub fn rate_between(n: u64, span: std::time::Duration) -> String {
    if n < 2 {
        return String::new();
    }
    per_second((n - 1) as f64, span)
}

fn per_second(events: f64, elapsed: std::time::Duration) -> String {
    if elapsed < std::time::Duration::from_millis(10) {
        return String::new();
    }
    let per_sec = events / elapsed.as_secs_f64();
    if per_sec >= 100.0 {
        format!(" ({per_sec:.0}/s)")
    } else {
        format!(" ({per_sec:.1}/s)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn summary_pieces() {
        assert_eq!(plural(1, "datagram", "datagrams"), "1 datagram");
        assert_eq!(plural(0, "reply", "replies"), "0 replies");
        assert_eq!(duration(Duration::from_micros(850)), "850 µs");
        assert_eq!(duration(Duration::from_millis(20)), "20 ms");
        assert_eq!(duration(Duration::from_millis(1520)), "1.52 s");
        assert_eq!(rate(1, Duration::from_secs(1)), "");
        assert_eq!(rate(1000, Duration::from_micros(5)), "");
        assert_eq!(rate(1000, Duration::from_millis(1020)), " (980/s)");
        assert_eq!(rate(3, Duration::from_secs(2)), " (1.5/s)");
        // Two sends 500 ms apart: one interval, 2 a second.
        assert_eq!(rate_between(2, Duration::from_millis(500)), " (2.0/s)");
        assert_eq!(rate_between(1, Duration::from_secs(1)), "");
    }
}
