//! The output of every host, interleaved line by line, each line prefixed with its host's
//! name (coloured on a terminal, unless `NO_COLOR` is set); the controller's own notes
//! go to stderr as `wxudp lan: ...`.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

/// ANSI colours given to the hosts in turn.
const COLOURS: [&str; 6] = ["36", "33", "35", "32", "34", "31"];

#[derive(Clone)]
pub struct Output {
    inner: Arc<Inner>,
}

struct Inner {
    names: Vec<String>,
    width: usize,
    colour_out: bool,
    colour_err: bool,
}

impl Output {
    pub fn new(names: Vec<String>) -> Output {
        let width = names.iter().map(String::len).max().unwrap_or(0);
        let plain = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Output {
            inner: Arc::new(Inner {
                names,
                width,
                colour_out: !plain && std::io::stdout().is_terminal(),
                colour_err: !plain && std::io::stderr().is_terminal(),
            }),
        }
    }

    fn prefix(&self, host: usize, colour: bool) -> String {
        let i = &self.inner;
        let name = format!("{:>width$}", i.names[host], width = i.width);
        if colour {
            format!("\x1b[{}m{name} |\x1b[0m ", COLOURS[host % COLOURS.len()])
        } else {
            format!("{name} | ")
        }
    }

    /// Prints a line host `host` wrote, on stdout or stderr as it did.
    pub fn line(&self, host: usize, stderr: bool, text: &str) {
        // A closed pipe must not stop the LAN.
        if stderr {
            let line = self.prefix(host, self.inner.colour_err) + text + "\n";
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        } else {
            let line = self.prefix(host, self.inner.colour_out) + text + "\n";
            let _ = std::io::stdout().lock().write_all(line.as_bytes());
        }
    }

    /// Prints a note of the controller on stderr.
    pub fn note(&self, text: &str) {
        let _ = writeln!(std::io::stderr().lock(), "wxudp lan: {text}");
    }
}
