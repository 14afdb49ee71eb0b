//! The report's timeline: every datagram, error event, request and what the page did, in
//! the order they happened, with the time since the start. Bounded: a run of millions
//! of datagrams keeps the first [`MAX_EVENTS`] events whole and counts the rest per
//! kind, and a datagram keeps its first [`MAX_BYTES`] bytes.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{json, Value};
use wxudp::frontend::{Datagram, Direction};

/// Events the timeline keeps.
pub(crate) const MAX_EVENTS: usize = 200_000;

/// Bytes of a datagram the timeline keeps (the flow view's hex dump).
pub(crate) const MAX_BYTES: usize = 1024;

/// Bytes of a page event's text the timeline keeps.
const MAX_TEXT: usize = 2048;

/// One event.
#[derive(Debug, Clone)]
enum Event {
    Datagram {
        at: f64,
        socket: u64,
        direction: Direction,
        local: String,
        peer: String,
        size: usize,
        bytes: Vec<u8>,
        site: Option<String>,
    },
    Error {
        at: f64,
        socket: u64,
        code: i32,
        message: String,
    },
    Note {
        at: f64,
        kind: String,
        text: String,
    },
}

/// What happened, in order.
#[derive(Debug, Default)]
pub(crate) struct Timeline {
    events: Vec<Event>,
    /// Events beyond [`MAX_EVENTS`], by kind.
    omitted: BTreeMap<&'static str, u64>,
}

impl Timeline {
    fn push(&mut self, kind: &'static str, event: impl FnOnce() -> Event) {
        if self.events.len() < MAX_EVENTS {
            self.events.push(event());
        } else {
            *self.omitted.entry(kind).or_default() += 1;
        }
    }

    /// A datagram sent, received or dropped by socket `socket`; `site` is where the
    /// script called `send` or `write`.
    pub(crate) fn datagram(
        &mut self,
        at: f64,
        socket: u64,
        d: &Datagram<'_>,
        site: Option<String>,
    ) {
        self.push("datagram", || Event::Datagram {
            at,
            socket,
            direction: d.direction,
            local: d.local.to_string(),
            peer: d.remote.to_string(),
            size: d.data.len(),
            bytes: d.data[..d.data.len().min(MAX_BYTES)].to_vec(),
            site,
        });
    }

    /// An `error` event of socket `socket`.
    pub(crate) fn error(&mut self, at: f64, socket: u64, error: &wxudp::Error) {
        self.push("error", || Event::Error {
            at,
            socket,
            code: error.code(),
            message: error.to_string(),
        });
    }

    /// Something the page did: `kind` is `life`, `setData`, `console`, `ui`, `wifi` or
    /// `request`.
    pub(crate) fn note(&mut self, at: f64, kind: &str, text: &str) {
        self.push("note", || Event::Note {
            at,
            kind: kind.to_string(),
            text: clip(text, MAX_TEXT),
        });
    }

    /// The timeline as the report writes it; send sites inside `root` (the project's
    /// folder) are written relative to it.
    pub(crate) fn to_json(&self, root: Option<&str>) -> Value {
        let relative = |site: &Option<String>| -> Option<String> {
            let site = site.as_ref()?;
            let rest = root
                .filter(|r| !r.is_empty())
                .and_then(|r| site.strip_prefix(r))
                .and_then(|rest| rest.strip_prefix('/').or_else(|| rest.strip_prefix('\\')));
            Some(rest.unwrap_or(site).to_string())
        };
        let b64 = base64::engine::general_purpose::STANDARD;
        let events: Vec<Value> = self
            .events
            .iter()
            .map(|e| match e {
                Event::Datagram {
                    at,
                    socket,
                    direction,
                    local,
                    peer,
                    size,
                    bytes,
                    site,
                } => json!({
                    "t": round(*at),
                    "kind": "datagram",
                    "socket": socket,
                    "dir": match direction {
                        Direction::Sent => "send",
                        Direction::Received => "recv",
                        Direction::Dropped => "drop",
                    },
                    "local": local,
                    "peer": peer,
                    "size": size,
                    "base64": b64.encode(bytes),
                    "site": relative(site),
                }),
                Event::Error {
                    at,
                    socket,
                    code,
                    message,
                } => json!({
                    "t": round(*at),
                    "kind": "error",
                    "socket": socket,
                    "errCode": code,
                    "errMsg": message,
                }),
                Event::Note { at, kind, text } => json!({
                    "t": round(*at),
                    "kind": kind,
                    "text": text,
                }),
            })
            .collect();
        json!({ "events": events, "omitted": self.omitted })
    }
}

/// Microseconds are enough, and keep the report small.
fn round(at: f64) -> f64 {
    (at * 1e6).round() / 1e6
}

/// `text`, cut at a character boundary to at most `max` bytes.
fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_run_keeps_the_first_events_and_counts_the_rest() {
        let mut t = Timeline::default();
        for i in 0..MAX_EVENTS + 3 {
            t.note(i as f64, "console", "x");
        }
        let json = t.to_json(None);
        assert_eq!(json["events"].as_array().map(Vec::len), Some(MAX_EVENTS));
        assert_eq!(json["omitted"]["note"], 3);
    }

    #[test]
    fn texts_are_cut_at_a_character_boundary() {
        assert_eq!(clip("héllo", 2), "h…");
        assert_eq!(clip("hi", 2), "hi");
    }
}
