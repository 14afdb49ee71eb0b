//! SIGINT (Ctrl-C), SIGTERM and SIGHUP end `send`, `listen` and `echo` cleanly: the
//! summary line is printed and the exit status is 128 + the signal's number, as for
//! `wxudp run`.

use tokio::signal::unix::{signal, Signal, SignalKind};

/// A signal that ended a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caught {
    /// SIGINT: Ctrl-C.
    Interrupt,
    /// SIGTERM.
    Terminate,
    /// SIGHUP: the terminal went away.
    Hangup,
}

impl Caught {
    /// The exit status after this signal: 130, 143, 129.
    pub fn status(self) -> u8 {
        match self {
            Caught::Interrupt => 130,
            Caught::Terminate => 143,
            Caught::Hangup => 129,
        }
    }

    /// The signal's name, for the summary.
    pub fn name(self) -> &'static str {
        match self {
            Caught::Interrupt => "interrupted",
            Caught::Terminate => "terminated",
            Caught::Hangup => "hung up",
        }
    }
}

/// The three signals, caught from [`Signals::install`] on.
#[derive(Debug)]
pub struct Signals {
    int: Signal,
    term: Signal,
    hup: Signal,
}

impl Signals {
    /// Catches SIGINT, SIGTERM and SIGHUP. Needs a tokio runtime.
    pub fn install() -> Result<Signals, String> {
        let catch = |kind| signal(kind).map_err(|e| format!("cannot catch signals: {e}"));
        Ok(Signals {
            int: catch(SignalKind::interrupt())?,
            term: catch(SignalKind::terminate())?,
            hup: catch(SignalKind::hangup())?,
        })
    }

    /// The next signal. Cancel-safe.
    pub async fn recv(&mut self) -> Caught {
        tokio::select! {
            _ = self.int.recv() => Caught::Interrupt,
            _ = self.term.recv() => Caught::Terminate,
            _ = self.hup.recv() => Caught::Hangup,
        }
    }
}
