//! Stdout for received datagrams, written by a thread of its own fed through a bounded
//! channel. The receive loop awaits room in the channel inside a `select!` with the
//! signals, so a stdout nobody reads (`wxudp listen 9000 | sleep 1d`) slows the loop
//! down (datagrams it cannot take are dropped and counted, as a kernel buffer drops
//! them) but never keeps Ctrl-C from ending the command. A stdout that fails (closed:
//! `| head -1`) ends the command with status 1.

use std::io::{IsTerminal, Write};

use tokio::sync::{mpsc, oneshot};

use crate::console;

/// Rendered datagrams waiting for stdout: at most this many (a few MiB at most, even
/// for 64 KiB datagrams in the `hex` format).
const QUEUE: usize = 64;

/// The sending end of the stdout thread.
#[derive(Debug)]
pub struct Printer {
    tx: Option<mpsc::Sender<Vec<u8>>>,
    done: oneshot::Receiver<std::io::Result<()>>,
    /// The writer's error, once it reported one.
    failed: Option<String>,
}

impl Printer {
    /// Starts the stdout thread.
    pub fn start() -> Result<Printer, String> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (report, done) = oneshot::channel();
        std::thread::Builder::new()
            .name("stdout".into())
            .spawn(move || {
                let result = write_all(rx);
                let _ = report.send(result);
            })
            .map_err(|e| format!("cannot start the output thread: {e}"))?;
        Ok(Printer {
            tx: Some(tx),
            done,
            failed: None,
        })
    }

    /// Queues `bytes` for stdout, waiting for room. Cancel-safe: dropped unfinished, the
    /// bytes are not written. An error is the message of a failed stdout.
    pub async fn print(&mut self, bytes: Vec<u8>) -> Result<(), String> {
        if let Some(why) = &self.failed {
            return Err(why.clone());
        }
        let sent = match &self.tx {
            Some(tx) => tx.send(bytes).await.is_ok(),
            None => false,
        };
        if sent {
            Ok(())
        } else {
            // The writer stopped: it has its error ready (or is about to).
            Err(self.failure().await)
        }
    }

    /// Resolves when stdout has failed, with the error's message; never otherwise while
    /// the printer takes bytes.
    pub async fn failure(&mut self) -> String {
        if let Some(why) = &self.failed {
            return why.clone();
        }
        let why = match (&mut self.done).await {
            Ok(Err(e)) => stdout_error(&e),
            // The writer only ends without an error once the channel is closed, which
            // `finish` does; this is the same as a closed stdout.
            Ok(Ok(())) | Err(_) => "cannot write to stdout: the output thread stopped".into(),
        };
        self.failed = Some(why.clone());
        why
    }

    /// Closes the channel and waits until everything queued is written.
    pub async fn finish(&mut self) -> Result<(), String> {
        if let Some(why) = &self.failed {
            return Err(why.clone());
        }
        self.tx = None;
        match (&mut self.done).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(stdout_error(&e)),
            Err(_) => Err("cannot write to stdout: the output thread stopped".into()),
        }
    }
}

fn stdout_error(e: &std::io::Error) -> String {
    format!("cannot write to stdout: {e}")
}

/// The stdout thread: writes what comes, flushing whenever the channel is empty.
fn write_all(mut rx: mpsc::Receiver<Vec<u8>>) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = std::io::BufWriter::with_capacity(64 << 10, stdout.lock());
    while let Some(bytes) = rx.blocking_recv() {
        if terminal {
            console::with_bar_hidden(|| {
                out.write_all(&bytes)?;
                out.flush()
            })?;
            continue;
        }
        out.write_all(&bytes)?;
        // Write in batches while datagrams pour in, at once when they stop.
        if rx.is_empty() {
            out.flush()?;
        }
    }
    out.flush()
}
