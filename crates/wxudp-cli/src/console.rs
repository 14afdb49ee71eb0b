//! Stderr for the command's notes, errors and hints, written by a thread of its own so
//! that a stderr nobody reads (a full pipe) never stalls the receive loop, and a closed
//! stderr is ignored instead of a panic (as `eprintln!` does).
//!
//! While a progress bar is on screen, lines are printed above it (see
//! [`with_bar_hidden`]).

use std::io::Write;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::OnceLock;
use std::time::Duration;

/// Lines waiting for stderr; beyond this many (stderr is stalled) later notes are
/// dropped rather than block the command.
const BACKLOG: usize = 1024;

enum Item {
    Line(String),
    /// Acknowledged once every line before it is written.
    Flush(mpsc::Sender<()>),
}

static STDERR: OnceLock<Option<SyncSender<Item>>> = OnceLock::new();

fn sender() -> Option<&'static SyncSender<Item>> {
    STDERR
        .get_or_init(|| {
            let (tx, rx) = mpsc::sync_channel(BACKLOG);
            std::thread::Builder::new()
                .name("stderr".into())
                .spawn(move || writer(&rx))
                .ok()
                .map(|_| tx)
        })
        .as_ref()
}

fn writer(rx: &Receiver<Item>) {
    while let Ok(item) = rx.recv() {
        match item {
            Item::Line(line) => write_stderr(&line),
            Item::Flush(ack) => {
                let _ = ack.send(());
            }
        }
    }
}

/// Writes one line on stderr now, above the progress bar if one is shown. Errors
/// (a closed stderr) are ignored: there is nowhere left to report them.
fn write_stderr(line: &str) {
    with_bar_hidden(|| {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(line.as_bytes());
        let _ = err.write_all(b"\n");
        let _ = err.flush();
    });
}

pub use crate::progress::with_bar_hidden;

/// Queues a line for stderr.
pub fn line(text: String) {
    match sender() {
        Some(tx) => match tx.try_send(Item::Line(text)) {
            Ok(()) | Err(TrySendError::Full(_)) => {}
            Err(TrySendError::Disconnected(Item::Line(text))) => write_stderr(&text),
            Err(TrySendError::Disconnected(_)) => {}
        },
        None => write_stderr(&text),
    }
}

/// `wxudp: MSG` on stderr.
pub fn note(msg: impl std::fmt::Display) {
    line(format!("wxudp: {msg}"));
}

/// `wxudp: error: MSG` on stderr.
pub fn error(msg: impl std::fmt::Display) {
    line(format!("wxudp: error: {msg}"));
}

/// `wxudp: hint: MSG` on stderr.
pub fn hint(msg: impl std::fmt::Display) {
    line(format!("wxudp: hint: {msg}"));
}

/// Waits until every queued line is written, at most `limit` (stderr may be a pipe
/// nobody reads).
pub fn flush(limit: Duration) {
    // Nothing was queued if the thread never started.
    if let Some(Some(tx)) = STDERR.get() {
        let (ack, done) = mpsc::channel();
        if tx.try_send(Item::Flush(ack)).is_ok() {
            let _ = done.recv_timeout(limit);
        }
    }
}
