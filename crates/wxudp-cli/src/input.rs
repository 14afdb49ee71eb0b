//! Where `send` gets its datagrams: the MESSAGE argument, stdin, a file, or (interactive
//! mode) each line of stdin; as text, hex or base64.

use std::ffi::OsString;
use std::io::{BufRead, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use base64::Engine as _;
use tokio::sync::{mpsc, oneshot};

/// The most bytes read from stdin or a file for one message (before decoding): well
/// above what any datagram carries, even as spaced-out hex, and bounded so that
/// `yes | wxudp send ...` is an error instead of an ever-growing buffer.
pub const MAX_INPUT: usize = 1 << 20;

/// The longest line read in interactive mode (hex of the largest datagram, spaced).
pub const MAX_LINE: usize = 256 << 10;

/// How the message's bytes are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The bytes as they are.
    Plain,
    /// Hex digits; whitespace and colons between them are ignored.
    Hex,
    /// Base64, standard or URL-safe alphabet, padded or not; whitespace is ignored.
    Base64,
}

impl Encoding {
    /// Decodes `raw`.
    pub fn decode(self, raw: &[u8]) -> Result<Vec<u8>, String> {
        match self {
            Encoding::Plain => Ok(raw.to_vec()),
            Encoding::Hex => {
                let digits: Vec<u8> = raw
                    .iter()
                    .copied()
                    .filter(|b| !b.is_ascii_whitespace() && *b != b':')
                    .collect();
                hex::decode(&digits).map_err(|e| format!("not hex: {e}"))
            }
            Encoding::Base64 => {
                let text: Vec<u8> = raw
                    .iter()
                    .copied()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect();
                let config = base64::engine::GeneralPurposeConfig::new()
                    .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent);
                let standard =
                    base64::engine::GeneralPurpose::new(&base64::alphabet::STANDARD, config);
                let url_safe =
                    base64::engine::GeneralPurpose::new(&base64::alphabet::URL_SAFE, config);
                standard
                    .decode(&text)
                    .or_else(|e| url_safe.decode(&text).map_err(|_| e))
                    .map_err(|e| format!("not base64: {e}"))
            }
        }
    }
}

/// Where the one message of a `send` comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The argument's bytes.
    Arg(Vec<u8>),
    /// All of stdin.
    Stdin,
    /// A file's bytes.
    File(PathBuf),
}

impl Source {
    /// The source named by MESSAGE: `-` is stdin, `@FILE` a file, anything else the text
    /// itself (always the text itself with `literal`).
    pub fn from_arg(message: &OsString, literal: bool) -> Source {
        let bytes = message.as_bytes();
        if literal {
            return Source::Arg(bytes.to_vec());
        }
        match bytes {
            b"-" => Source::Stdin,
            [b'@', path @ ..] if !path.is_empty() => {
                Source::File(PathBuf::from(std::ffi::OsStr::from_bytes(path)))
            }
            _ => Source::Arg(bytes.to_vec()),
        }
    }

    /// What the source is called in errors.
    pub fn name(&self) -> String {
        match self {
            Source::Arg(_) => "MESSAGE".into(),
            Source::Stdin => "stdin".into(),
            Source::File(path) => path.display().to_string(),
        }
    }

    /// Reads the source on a thread of its own (stdin or a FIFO may block for ever):
    /// the result arrives on the returned channel. `Err` is an I/O error message, `Ok`
    /// with `None` means more than [`MAX_INPUT`] bytes.
    pub fn read(&self) -> oneshot::Receiver<Result<Option<Vec<u8>>, String>> {
        let (tx, rx) = oneshot::channel();
        let source = self.clone();
        let spawned = std::thread::Builder::new()
            .name("input".into())
            .spawn(move || {
                let result = match &source {
                    Source::Arg(bytes) => Ok(Some(bytes.clone())),
                    Source::Stdin => read_limited(std::io::stdin().lock())
                        .map_err(|e| format!("cannot read stdin: {e}")),
                    Source::File(path) => std::fs::File::open(path)
                        .and_then(read_limited)
                        .map_err(|e| format!("cannot read {}: {e}", path.display())),
                };
                let _ = tx.send(result);
            });
        if let Err(e) = spawned {
            let (tx, rx) = oneshot::channel();
            let _ = tx.send(Err(format!("cannot start the input thread: {e}")));
            return rx;
        }
        rx
    }
}

/// Reads at most [`MAX_INPUT`] bytes; `None` when there is more.
fn read_limited(reader: impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    reader.take(MAX_INPUT as u64 + 1).read_to_end(&mut buf)?;
    Ok((buf.len() <= MAX_INPUT).then_some(buf))
}

/// One line of stdin in interactive mode.
#[derive(Debug)]
pub enum Line {
    /// Line `number` (from 1), without its `\n` or `\r\n`.
    Text(u64, Vec<u8>),
    /// Line `number` was longer than [`MAX_LINE`] and was skipped.
    TooLong(u64),
    /// Stdin failed.
    Failed(String),
}

/// Reads stdin line by line on a thread of its own; the channel ends at end of input.
pub fn lines() -> Result<mpsc::Receiver<Line>, String> {
    let (tx, rx) = mpsc::channel(16);
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || read_lines(std::io::stdin().lock(), &tx))
        .map_err(|e| format!("cannot start the input thread: {e}"))?;
    Ok(rx)
}

fn read_lines(mut input: impl BufRead, tx: &mpsc::Sender<Line>) {
    let mut number = 0;
    loop {
        let mut line = Vec::new();
        let read = (&mut input)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line);
        let item = match read {
            Ok(0) => return,
            Ok(_) => {
                number += 1;
                if line.last() == Some(&b'\n') {
                    line.pop();
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    Line::Text(number, line)
                } else if line.len() > MAX_LINE {
                    if let Err(e) = skip_line(&mut input) {
                        let _ = tx.blocking_send(Line::TooLong(number));
                        let _ = tx.blocking_send(Line::Failed(format!("cannot read stdin: {e}")));
                        return;
                    }
                    Line::TooLong(number)
                } else {
                    // The last line, without a newline.
                    Line::Text(number, line)
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => Line::Failed(format!("cannot read stdin: {e}")),
        };
        let failed = matches!(item, Line::Failed(_));
        if tx.blocking_send(item).is_err() || failed {
            return;
        }
    }
}

/// Reads up to the end of the current line (or of input).
fn skip_line(input: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let mut chunk = Vec::new();
        let n = input.take(64 << 10).read_until(b'\n', &mut chunk)?;
        if n == 0 || chunk.last() == Some(&b'\n') {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(
            Encoding::Hex.decode(b"de:ad be\nef\n").unwrap(),
            [0xde, 0xad, 0xbe, 0xef]
        );
        assert!(Encoding::Hex
            .decode(b"zz")
            .unwrap_err()
            .starts_with("not hex"));
        assert!(Encoding::Hex.decode(b"abc").is_err());
        assert_eq!(Encoding::Base64.decode(b"aGk=\n").unwrap(), b"hi");
        assert_eq!(Encoding::Base64.decode(b"aGk").unwrap(), b"hi");
        assert_eq!(Encoding::Base64.decode(b"-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(Encoding::Base64.decode(b"+/8=").unwrap(), [0xfb, 0xff]);
        assert!(Encoding::Base64
            .decode(b"a!b")
            .unwrap_err()
            .starts_with("not base64"));
        assert_eq!(Encoding::Plain.decode(b"\xff\n").unwrap(), b"\xff\n");
    }

    #[test]
    fn sources() {
        let arg = |s: &str| Source::from_arg(&OsString::from(s), false);
        assert_eq!(arg("-"), Source::Stdin);
        assert_eq!(arg("@x.bin"), Source::File("x.bin".into()));
        assert_eq!(arg("@"), Source::Arg(b"@".to_vec()));
        assert_eq!(arg("hi"), Source::Arg(b"hi".to_vec()));
        assert_eq!(
            Source::from_arg(&OsString::from("@x"), true),
            Source::Arg(b"@x".to_vec())
        );
    }

    #[test]
    fn lines_are_split_and_bounded() {
        let mut input = b"one\r\ntwo\n\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        input.extend(b"\nlast");
        let (tx, mut rx) = mpsc::channel(16);
        std::thread::spawn(move || read_lines(&input[..], &tx))
            .join()
            .unwrap();
        let mut got = Vec::new();
        while let Ok(line) = rx.try_recv() {
            got.push(format!("{line:?}"));
        }
        assert_eq!(
            got,
            [
                format!("{:?}", Line::Text(1, b"one".to_vec())),
                format!("{:?}", Line::Text(2, b"two".to_vec())),
                format!("{:?}", Line::Text(3, Vec::new())),
                format!("{:?}", Line::TooLong(4)),
                format!("{:?}", Line::Text(5, b"last".to_vec())),
            ]
        );
    }
}
