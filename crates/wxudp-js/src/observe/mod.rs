//! Seeing what a run did: `--trace` (every datagram, error event and `wx.request` on
//! stderr, as it happens), `--pcap FILE` (the datagrams as a capture file) and `--report
//! FILE.json` (at exit: why the run ended, each page's final `data`, per-socket counts,
//! the requests, and the run's timeline: every datagram, error event, request and what
//! the page did, in order) or `--report FILE.html` (the same JSON inside the flow view,
//! [`flow`]). The datagrams come through the core's [`Tap`], one per socket.

pub(crate) mod flow;
pub(crate) mod report;
mod timeline;

pub(crate) use timeline::Timeline;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime};

use serde_json::{json, Value};
use wxudp::frontend::{Datagram, Direction, Tap};
use wxudp::SocketType;

use crate::RunOptions;
use wxudp_lan::pcap::PcapWriter;

/// Adds `N.noting` (whether the run keeps a timeline: a report was asked for),
/// `N.note(kind, text)` (something the page did) and `N.sendSite(stack)` (where the
/// script's next send is called from, as the first frame of `stack` outside the
/// prelude), the last two doing nothing without a report.
pub(crate) fn install<'js>(
    ctx: &rquickjs::Ctx<'js>,
    n: &rquickjs::Object<'js>,
    noting: Option<Arc<Observer>>,
) -> rquickjs::Result<()> {
    use crate::runtime::convert::JsText;
    n.set("noting", noting.is_some())?;
    let observer = noting.clone();
    n.set(
        "note",
        rquickjs::Function::new(ctx.clone(), move |kind: String, JsText(text): JsText| {
            if let Some(o) = &observer {
                o.note(&kind, &text);
            }
        })?,
    )?;
    n.set(
        "sendSite",
        rquickjs::Function::new(ctx.clone(), move |JsText(stack): JsText| {
            if let (Some(o), Some(site)) = (&noting, site_of(&stack)) {
                o.send_site(site);
            }
        })?,
    )?;
    Ok(())
}

/// `file:line` of the first frame of `stack` outside the runtime's own code: from
/// `    at f (/path/pages/a.js:12:5)` or `    at /path/pages/a.js:12:5`.
fn site_of(stack: &str) -> Option<String> {
    stack.lines().find_map(|line| {
        let line = line.trim();
        let frame = line.strip_prefix("at ")?;
        if frame.contains("wxudp:internal") || frame.contains("(native)") {
            return None;
        }
        let place = match (frame.rfind('('), frame.ends_with(')')) {
            (Some(open), true) => &frame[open + 1..frame.len() - 1],
            _ => frame,
        };
        // Drop the column: file:line.
        let (file_line, col) = place.rsplit_once(':')?;
        col.parse::<u32>().ok()?;
        Some(file_line.to_string())
    })
}

/// Bytes of a datagram shown by `--trace`; the rest is counted.
pub(crate) const TRACE_PREVIEW: usize = 64;

/// What one socket did, for the report.
#[derive(Debug, Default, Clone)]
struct Counts {
    ty: &'static str,
    local: Option<SocketAddr>,
    sent: u64,
    sent_bytes: u64,
    received: u64,
    received_bytes: u64,
    dropped: u64,
    errors: BTreeMap<i32, u64>,
}

/// One `wx.request`, for the report.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    url: String,
    /// Seconds since the run started.
    at: f64,
    /// The status code, or the failure's reason.
    outcome: Option<Result<(u16, u64), String>>,
    ms: Option<f64>,
}

struct State {
    /// The status [`Observer::finish`] ended with, once it has (it runs once).
    finished: Option<i32>,
    requests: BTreeMap<u64, Request>,
    pcap: Option<(PathBuf, PcapWriter<BufWriter<File>>)>,
    pcap_error: Option<String>,
    sockets: BTreeMap<u64, Counts>,
    pages: Value,
    project: Value,
    /// What happened, in order (reports only).
    timeline: Timeline,
    /// Where the send being made was called from (`file:line`), for the datagram it
    /// sends: set by the script's `send` just before the native, taken by the tap.
    site: Option<String>,
}

/// The observers of one run.
pub(crate) struct Observer {
    trace: bool,
    report: Option<PathBuf>,
    taps: bool,
    start: Instant,
    state: Mutex<State>,
}

impl Observer {
    /// Sets up what `options` ask for; the pcap file is created now, so that a path
    /// that cannot be written fails the run before it starts.
    pub(crate) fn new(options: &RunOptions) -> Result<Arc<Observer>, String> {
        let pcap = match &options.pcap {
            Some(path) => {
                let file = File::create(path).map_err(|e| {
                    format!("cannot write the capture file {}: {e}", path.display())
                })?;
                let writer = PcapWriter::new(BufWriter::new(file)).map_err(|e| {
                    format!("cannot write the capture file {}: {e}", path.display())
                })?;
                Some((path.clone(), writer))
            }
            None => None,
        };
        Ok(Arc::new(Observer {
            trace: options.trace,
            report: options.report.clone(),
            taps: options.trace || options.pcap.is_some() || options.report.is_some(),
            start: Instant::now(),
            state: Mutex::new(State {
                finished: None,
                requests: BTreeMap::new(),
                pcap,
                pcap_error: None,
                sockets: BTreeMap::new(),
                pages: Value::Array(Vec::new()),
                project: Value::Null,
                timeline: Timeline::default(),
                site: None,
            }),
        }))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The tap for socket `id`, if anything watches the traffic.
    pub(crate) fn socket_tap(self: &Arc<Self>, id: u64, ty: SocketType) -> Option<Arc<dyn Tap>> {
        if !self.taps {
            return None;
        }
        self.state().sockets.insert(
            id,
            Counts {
                ty: ty.name(),
                ..Counts::default()
            },
        );
        Some(Arc::new(SocketTap {
            id,
            observer: self.clone(),
        }))
    }

    /// Whether a report is asked for.
    pub(crate) fn wants_report(&self) -> bool {
        self.report.is_some()
    }

    /// Records something the page did (a lifecycle hook, a `setData`, a console line, a
    /// prompt and its answer, a Wi-Fi change) on the report's timeline.
    pub(crate) fn note(&self, kind: &str, text: &str) {
        if self.report.is_some() {
            let at = self.start.elapsed().as_secs_f64();
            self.state().timeline.note(at, kind, text);
        }
    }

    /// Where the script's next send is called from (`file:line`).
    pub(crate) fn send_site(&self, site: String) {
        if self.report.is_some() {
            self.state().site = Some(site);
        }
    }

    /// Records what the run runs (for the report).
    pub(crate) fn set_project(&self, project: Value) {
        self.state().project = project;
    }

    /// A `wx.request` starts (`--trace` prints it; the report lists it).
    pub(crate) fn request_started(&self, id: u64, method: &str, url: &str) {
        let at = self.start.elapsed().as_secs_f64();
        if self.report.is_some() {
            let mut st = self.state();
            st.timeline
                .note(at, "request", &format!("request#{id} {method} {url}"));
            st.requests.insert(
                id,
                Request {
                    method: method.to_string(),
                    url: url.to_string(),
                    at,
                    outcome: None,
                    ms: None,
                },
            );
        }
        if self.trace {
            let line = format!("[trace {at:>9.6}s] request#{id} {method} {url}\n");
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        }
    }

    /// A `wx.request` ends: its status and body length, or why it failed, after `ms`
    /// milliseconds (NaN: aborted by the page, whenever that was).
    pub(crate) fn request_ended(&self, id: u64, outcome: Result<(u16, u64), String>, ms: f64) {
        if self.trace {
            let what = match &outcome {
                Ok((status, bytes)) => format!("{status} ({bytes} bytes)"),
                Err(reason) => format!("request:fail {reason}"),
            };
            let took = if ms.is_nan() {
                String::new()
            } else {
                format!(" in {ms:.1} ms")
            };
            let line = format!(
                "[trace {:>9.6}s] request#{id} -> {what}{took}\n",
                self.start.elapsed().as_secs_f64()
            );
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        }
        if self.report.is_some() {
            let mut st = self.state();
            let text = match &outcome {
                Ok((status, bytes)) => format!("request#{id} -> {status} ({bytes} bytes)"),
                Err(reason) => format!("request#{id} -> request:fail {reason}"),
            };
            let at = self.start.elapsed().as_secs_f64();
            st.timeline.note(at, "request", &text);
            if let Some(r) = st.requests.get_mut(&id) {
                if r.outcome.is_none() {
                    r.outcome = Some(outcome);
                    r.ms = (!ms.is_nan()).then_some(ms);
                }
            }
        }
    }

    /// Records each page's route, query and final data (a JSON array).
    pub(crate) fn set_pages(&self, pages: Value) {
        self.state().pages = pages;
    }

    /// Ends the run's observation: flushes the capture file and writes the report.
    /// Returns the exit status, `status` or [`crate::EXIT_ERROR`] if a file could not
    /// be written.
    pub(crate) fn finish(&self, status: i32) -> i32 {
        let mut failed = false;
        let mut st = self.state();
        // Once: the run's own end and the watchdog's may both come here.
        if let Some(done) = st.finished {
            return done;
        }
        if let Some((path, pcap)) = st.pcap.as_mut() {
            if let Err(e) = pcap.flush() {
                eprintln!(
                    "wxudp: cannot write the capture file {}: {e}",
                    path.display()
                );
                failed = true;
            }
        }
        if let Some(e) = st.pcap_error.take() {
            eprintln!("wxudp: {e}");
            failed = true;
        }
        if let Some(path) = &self.report {
            let report = report(status, &st);
            let text = if flow::is_html(path) {
                flow::page(&report)
            } else {
                serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
            };
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("wxudp: cannot write the report {}: {e}", path.display());
                failed = true;
            }
        }
        let status = if failed && status == crate::EXIT_OK {
            crate::EXIT_ERROR
        } else {
            status
        };
        st.finished = Some(status);
        status
    }

    fn datagram(&self, id: u64, d: &Datagram<'_>) {
        let mut st = self.state();
        let counts = st.sockets.entry(id).or_default();
        if counts.local.is_none() || d.direction == Direction::Sent {
            counts.local = Some(d.local);
        }
        let len = d.data.len() as u64;
        match d.direction {
            Direction::Sent => {
                counts.sent += 1;
                counts.sent_bytes += len;
            }
            Direction::Received => {
                counts.received += 1;
                counts.received_bytes += len;
            }
            Direction::Dropped => counts.dropped += 1,
        }
        if self.report.is_some() {
            let site = match d.direction {
                Direction::Sent => st.site.take(),
                _ => None,
            };
            let at = self.start.elapsed().as_secs_f64();
            st.timeline.datagram(at, id, d, site);
        }
        if let Some((path, pcap)) = st.pcap.as_mut() {
            let (src, dst) = match d.direction {
                Direction::Sent => (d.local, d.remote),
                Direction::Received | Direction::Dropped => (d.remote, d.local),
            };
            if let Err(e) = pcap.datagram(SystemTime::now(), src, dst, d.data) {
                let message = format!("cannot write the capture file {}: {e}", path.display());
                st.pcap = None;
                st.pcap_error = Some(message);
            }
        }
        drop(st);
        if self.trace {
            let line = trace_datagram(self.start.elapsed().as_secs_f64(), id, d);
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        }
    }

    fn error(&self, id: u64, local: Option<SocketAddr>, error: &wxudp::Error) {
        {
            let mut st = self.state();
            let counts = st.sockets.entry(id).or_default();
            *counts.errors.entry(error.code()).or_default() += 1;
            if counts.local.is_none() {
                counts.local = local;
            }
            if self.report.is_some() {
                let at = self.start.elapsed().as_secs_f64();
                st.timeline.error(at, id, error);
            }
        }
        if self.trace {
            let at = local.map_or_else(|| "unbound".to_string(), |a| a.to_string());
            let line = format!(
                "[trace {:>9.6}s] udp#{id} {at} error {}: {}\n",
                self.start.elapsed().as_secs_f64(),
                error.code(),
                error
            );
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        }
    }
}

/// One socket's tap: the observer and the socket's number.
struct SocketTap {
    id: u64,
    observer: Arc<Observer>,
}

impl Tap for SocketTap {
    fn datagram(&self, datagram: &Datagram<'_>) {
        self.observer.datagram(self.id, datagram);
    }

    fn error(&self, local: Option<SocketAddr>, error: &wxudp::Error) {
        self.observer.error(self.id, local, error);
    }
}

/// `--trace`'s lines for a datagram: a header line (time since the start, socket,
/// direction, local and peer addresses, size), then a hex/ASCII dump of the first
/// [`TRACE_PREVIEW`] bytes, 16 a line, and how many more there were.
pub(crate) fn trace_datagram(secs: f64, id: u64, d: &Datagram<'_>) -> String {
    let arrow = match d.direction {
        Direction::Sent => "->",
        Direction::Received | Direction::Dropped => "<-",
    };
    let what = match d.direction {
        Direction::Sent => "send",
        Direction::Received => "recv",
        Direction::Dropped => "drop (receive budget full)",
    };
    let mut out = format!(
        "[trace {secs:>9.6}s] udp#{id} {what} {} {arrow} {} {} byte{}\n",
        d.local,
        d.remote,
        d.data.len(),
        if d.data.len() == 1 { "" } else { "s" }
    );
    let shown = &d.data[..d.data.len().min(TRACE_PREVIEW)];
    for (i, line) in shown.chunks(16).enumerate() {
        let mut hex = String::new();
        for (j, b) in line.iter().enumerate() {
            if j == 8 {
                hex.push(' ');
            }
            hex.push_str(&format!("{b:02x} "));
        }
        let ascii: String = line
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        out.push_str(&format!("    {:04x}  {hex:<49} |{ascii}|\n", i * 16));
    }
    if d.data.len() > TRACE_PREVIEW {
        out.push_str(&format!(
            "    ... {} more bytes\n",
            d.data.len() - TRACE_PREVIEW
        ));
    }
    out
}

/// The exit reason for a status.
fn reason(status: i32) -> &'static str {
    match status {
        crate::EXIT_OK => "finished",
        crate::EXIT_TIMEOUT => "timeout",
        crate::EXIT_INTERRUPTED => "SIGINT",
        crate::EXIT_TERMINATED => "SIGTERM",
        crate::EXIT_HANGUP => "SIGHUP",
        _ => "error",
    }
}

fn report(status: i32, st: &State) -> Value {
    let sockets: Vec<Value> = st
        .sockets
        .iter()
        .map(|(id, c)| {
            let errors: serde_json::Map<String, Value> = c
                .errors
                .iter()
                .map(|(code, n)| (code.to_string(), json!(n)))
                .collect();
            json!({
                "id": id,
                "type": c.ty,
                "local": c.local.map(|a| a.to_string()),
                "sent": c.sent,
                "sentBytes": c.sent_bytes,
                "received": c.received,
                "receivedBytes": c.received_bytes,
                "dropped": c.dropped,
                "errors": errors,
            })
        })
        .collect();
    let requests: Vec<Value> = st
        .requests
        .iter()
        .map(|(id, r)| {
            let mut entry = json!({
                "id": id,
                "method": r.method,
                "url": r.url,
                "at": r.at,
                "ms": r.ms,
            });
            match &r.outcome {
                Some(Ok((status, bytes))) => {
                    entry["statusCode"] = json!(status);
                    entry["bytes"] = json!(bytes);
                }
                Some(Err(reason)) => entry["errMsg"] = json!(format!("request:fail {reason}")),
                None => entry["errMsg"] = json!("unfinished"),
            }
            entry
        })
        .collect();
    json!({
        "status": status,
        "reason": reason(status),
        "project": st.project,
        "pages": st.pages,
        "sockets": sockets,
        "requests": requests,
        "timeline": st.timeline.to_json(st.project["root"].as_str()),
        "names": lan_names(),
    })
}

/// Under `wxudp lan`, the LAN's hosts by address (from the controller's
/// `WXUDP_LAN_NAMES`): `{"192.168.4.1": "lamp"}`; empty elsewhere.
fn lan_names() -> Value {
    let text = std::env::var(wxudp_lan::protocol::NAMES_ENV).unwrap_or_default();
    let names: serde_json::Map<String, Value> = text
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, ip)| (ip.to_string(), Value::String(name.to_string())))
        .collect();
    Value::Object(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_send_site_is_the_first_frame_outside_the_runtime() {
        let stack = "Error\n    at <anonymous> (wxudp:internal/prelude.js:1:2)\n    at tick (/p/pages/scan/scan.js:12:5)\n    at /p/app.js:3:1\n";
        assert_eq!(site_of(stack).as_deref(), Some("/p/pages/scan/scan.js:12"));
        assert_eq!(
            site_of("Error\n    at /p/app.js:3:1").as_deref(),
            Some("/p/app.js:3")
        );
        assert_eq!(site_of("Error\n    at call (native)"), None);
    }

    #[test]
    fn trace_lines_show_a_hex_and_ascii_preview() {
        let data: Vec<u8> = (0u8..70).collect();
        let d = Datagram {
            direction: Direction::Received,
            local: "127.0.0.1:9000".parse().unwrap_or_else(|_| unreachable!()),
            remote: "127.0.0.1:5000".parse().unwrap_or_else(|_| unreachable!()),
            data: &data,
        };
        let text = trace_datagram(0.5, 3, &d);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "[trace  0.500000s] udp#3 recv 127.0.0.1:9000 <- 127.0.0.1:5000 70 bytes"
        );
        assert_eq!(lines.len(), 6, "{text}");
        assert!(
            lines[1].starts_with("    0000  00 01 02 03 04 05 06 07  08 09"),
            "{text}"
        );
        assert!(lines[3].ends_with("| !\"#$%&'()*+,-./|"), "{text}");
        assert_eq!(lines[5], "    ... 6 more bytes");
        assert_eq!(reason(124), "timeout");
    }
}
