//! Stdout for received datagrams, written by a thread of its own fed through a bounded
//! channel. The receive loop awaits room in the channel inside a `select!` with the
//! signals, so a stdout nobody reads (`wxudp listen 9000 | sleep 1d`) slows the loop
//! down (datagrams it cannot take are dropped and counted, as a kernel buffer drops
//! them) but never keeps Ctrl-C from ending the command. A stdout whose reader went
//! away (`| head -1`: a broken pipe) ends the command quietly, with status 0, as the
//! tools that die of SIGPIPE end there without a word; a stdout that fails otherwise (a
//! full disk) ends it with status 1.

use std::io::{IsTerminal, Write};

use tokio::sync::{mpsc, oneshot};

use crate::console;

/// Rendered datagrams waiting for stdout: at most this many (a few MiB at most, even
/// for 64 KiB datagrams in the `hex` format).
const QUEUE: usize = 64;

/// Why stdout takes no more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// The reader went away (a broken pipe: `| head -1`): the command ends quietly.
    ReaderGone,
    /// Writing failed: the error's message.
    Failed(String),
}

/// The sending end of the stdout thread.
#[derive(Debug)]
pub struct Printer {
    tx: Option<mpsc::Sender<Vec<u8>>>,
    done: oneshot::Receiver<std::io::Result<()>>,
    /// Why the writer stopped, once it reported it.
    failed: Option<Stopped>,
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
    /// bytes are not written. An error says why stdout takes no more.
    pub async fn print(&mut self, bytes: Vec<u8>) -> Result<(), Stopped> {
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

    /// Resolves when stdout takes no more, saying why; never otherwise while the
    /// printer takes bytes.
    pub async fn failure(&mut self) -> Stopped {
        if let Some(why) = &self.failed {
            return why.clone();
        }
        let why = match (&mut self.done).await {
            Ok(Err(e)) => stopped(&e),
            // The writer only ends without an error once the channel is closed, which
            // `finish` does; this is the same as a closed stdout.
            Ok(Ok(())) | Err(_) => {
                Stopped::Failed("cannot write to stdout: the output thread stopped".into())
            }
        };
        self.failed = Some(why.clone());
        why
    }

    /// Closes the channel and waits until everything queued is written (or the reader
    /// went away: no error).
    pub async fn finish(&mut self) -> Result<(), String> {
        match &self.failed {
            Some(Stopped::ReaderGone) => return Ok(()),
            Some(Stopped::Failed(why)) => return Err(why.clone()),
            None => {}
        }
        self.tx = None;
        match (&mut self.done).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => match stopped(&e) {
                Stopped::ReaderGone => Ok(()),
                Stopped::Failed(why) => Err(why),
            },
            Err(_) => Err("cannot write to stdout: the output thread stopped".into()),
        }
    }
}

/// What a write error of stdout means.
fn stopped(e: &std::io::Error) -> Stopped {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Stopped::ReaderGone
    } else {
        Stopped::Failed(format!("cannot write to stdout: {e}"))
    }
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
