//! How received datagrams are printed: `text`, `hex`, `json` and `raw`. Each format
//! keeps every byte (none is lossy), and each is a pure function of the datagram, so the
//! exact output is tested here and in `tests/cli.rs`.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::SystemTime;

use base64::Engine as _;
use clap::ValueEnum;
use wxudp::Message;

/// How each received datagram is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per datagram: `127.0.0.1:5000 (IPv4) 5 bytes: hello`. Printable text is
    /// shown as it is, a backslash as `\\`, every other byte (controls, invalid UTF-8)
    /// as `\xNN`; `printf '%b'` turns the payload back into its bytes.
    Text,
    /// A header line, then an `xxd`-style dump of the bytes (16 a line).
    Hex,
    /// One JSON object per line: time, peer, local address, size, the payload as
    /// `text` (UTF-8; null when it is not valid UTF-8), `base64` and `hex`.
    Json,
    /// The payload bytes as they are, nothing added (for pipes; datagram boundaries are
    /// not marked).
    Raw,
}

/// The sender, shown unmapped (`127.0.0.1`, not `::ffff:127.0.0.1`).
pub fn unmapped(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// `msg` in `format`, received at `time`, ready to write (lines end with `\n`).
pub fn render(msg: &Message, format: Format, time: SystemTime) -> Vec<u8> {
    let peer = unmapped(msg.remote);
    let header = || {
        format!(
            "{peer} ({}) {} bytes:",
            wxudp::family_name(&peer),
            msg.size()
        )
    };
    match format {
        Format::Text => {
            let mut line = header();
            line.push(' ');
            escape_into(&msg.data, &mut line);
            line.push('\n');
            line.into_bytes()
        }
        Format::Hex => {
            let mut out = header();
            out.push('\n');
            xxd_into(&msg.data, &mut out);
            out.into_bytes()
        }
        Format::Json => {
            let local = unmapped(msg.local);
            // Keys in a fixed order (time and peer first), each value escaped by
            // serde_json.
            let text = match std::str::from_utf8(&msg.data) {
                Ok(text) => json_string(text),
                Err(_) => "null".into(),
            };
            format!(
                "{{\"time\":{},\"peer\":{},\"address\":{},\"family\":\"{}\",\"port\":{},\
                 \"local\":{{\"address\":{},\"family\":\"{}\",\"port\":{}}},\"size\":{},\
                 \"text\":{text},\"base64\":\"{}\",\"hex\":\"{}\"}}\n",
                json_string(&humantime::format_rfc3339_micros(time).to_string()),
                json_string(&peer.to_string()),
                json_string(&peer.ip().to_string()),
                wxudp::family_name(&peer),
                peer.port(),
                json_string(&local.ip().to_string()),
                wxudp::family_name(&local),
                local.port(),
                msg.size(),
                base64::engine::general_purpose::STANDARD.encode(&msg.data),
                hex::encode(&msg.data),
            )
            .into_bytes()
        }
        Format::Raw => msg.data.clone(),
    }
}

/// `text` as a JSON string, quoted and escaped.
fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// Appends `data` escaped: printable characters of valid UTF-8 as they are, `\` as
/// `\\`, and every other byte as `\xNN` (C0 and C1 controls, DEL, invalid UTF-8, and the
/// invisible characters that reorder or hide text on a terminal).
pub fn escape_into(data: &[u8], out: &mut String) {
    for chunk in data.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else if shown_as_is(c) {
                out.push(c);
            } else {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    push_byte(out, b);
                }
            }
        }
        for &b in chunk.invalid() {
            push_byte(out, b);
        }
    }
}

fn push_byte(out: &mut String, b: u8) {
    // Writing to a String cannot fail.
    let _ = write!(out, "\\x{b:02x}");
}

/// Whether `c` can be printed as it is on one line of a terminal.
fn shown_as_is(c: char) -> bool {
    !c.is_control()
        && !matches!(c,
            // Zero-width characters and direction marks.
            '\u{200b}'..='\u{200f}'
            // Line and paragraph separators, bidirectional embeddings and overrides.
            | '\u{2028}'..='\u{202e}'
            // Bidirectional isolates and invisible operators.
            | '\u{2060}'..='\u{206f}'
            // Byte order mark / zero-width no-break space.
            | '\u{feff}'
            // Interlinear annotation and object replacement controls.
            | '\u{fff9}'..='\u{fffb}')
}

/// Appends an `xxd` dump of `data`: `00000000: 6865 6c6c 6f0a  hello.`, 16 bytes a line,
/// bytes outside printable ASCII shown as `.` on the right.
pub fn xxd_into(data: &[u8], out: &mut String) {
    for (i, row) in data.chunks(16).enumerate() {
        let _ = write!(out, "{:08x}:", i * 16);
        let mut hex = String::with_capacity(40);
        for (j, b) in row.iter().enumerate() {
            if j % 2 == 0 {
                hex.push(' ');
            }
            let _ = write!(hex, "{b:02x}");
        }
        // 16 bytes take 40 columns (8 groups of " hhhh"); shorter rows are padded.
        let _ = write!(out, "{hex:<40}  ");
        for &b in row {
            out.push(if (0x20..0x7f).contains(&b) {
                char::from(b)
            } else {
                '.'
            });
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Control bytes, an escape sequence, invalid UTF-8, valid UTF-8 (é), a backslash,
    /// DEL, a C1 control and a right-to-left override.
    pub(crate) const AWKWARD: &[u8] =
        b"hi\r\n\x00\x1b[31m\xff\xfe caf\xc3\xa9 \\ \x7f\xc2\x80\xe2\x80\xae!";

    fn msg(data: &[u8]) -> Message {
        Message::new(
            data.to_vec(),
            "[::ffff:127.0.0.1]:5000".parse().unwrap(),
            "[::ffff:127.0.0.1]:9000".parse().unwrap(),
        )
    }

    fn at() -> SystemTime {
        SystemTime::UNIX_EPOCH + std::time::Duration::from_micros(1_700_000_000_123_456)
    }

    fn text(data: &[u8], format: Format) -> String {
        String::from_utf8(render(&msg(data), format, at())).unwrap()
    }

    #[test]
    fn text_escapes_without_loss() {
        assert_eq!(
            text(AWKWARD, Format::Text),
            "127.0.0.1:5000 (IPv4) 28 bytes: hi\\x0d\\x0a\\x00\\x1b[31m\\xff\\xfe café \\\\ \\x7f\\xc2\\x80\\xe2\\x80\\xae!\n"
        );
        assert_eq!(text(b"", Format::Text), "127.0.0.1:5000 (IPv4) 0 bytes: \n");
    }

    #[test]
    fn hex_is_an_xxd_dump() {
        // As `xxd` prints the same bytes.
        assert_eq!(
            text(AWKWARD, Format::Hex),
            "127.0.0.1:5000 (IPv4) 28 bytes:\n\
             00000000: 6869 0d0a 001b 5b33 316d fffe 2063 6166  hi....[31m.. caf\n\
             00000010: c3a9 205c 207f c280 e280 ae21            .. \\ ......!\n"
        );
        assert_eq!(
            text(b"AB", Format::Hex),
            "127.0.0.1:5000 (IPv4) 2 bytes:\n00000000: 4142                                     AB\n"
        );
        assert_eq!(text(b"", Format::Hex), "127.0.0.1:5000 (IPv4) 0 bytes:\n");
    }

    #[test]
    fn json_has_time_peer_local_and_both_payload_forms() {
        let line = text(AWKWARD, Format::Json);
        assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
        assert!(
            line.starts_with(
                "{\"time\":\"2023-11-14T22:13:20.123456Z\",\"peer\":\"127.0.0.1:5000\","
            ),
            "{line}"
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["time"], "2023-11-14T22:13:20.123456Z");
        assert_eq!(v["peer"], "127.0.0.1:5000");
        assert_eq!(v["address"], "127.0.0.1");
        assert_eq!(v["family"], "IPv4");
        assert_eq!(v["port"], 5000);
        assert_eq!(v["local"]["address"], "127.0.0.1");
        assert_eq!(v["local"]["port"], 9000);
        assert_eq!(v["size"], 28);
        assert!(v["text"].is_null(), "not UTF-8");
        let b64 = v["base64"].as_str().unwrap();
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
            AWKWARD
        );
        assert_eq!(v["hex"], hex::encode(AWKWARD));
        let v: serde_json::Value =
            serde_json::from_str(&text("{\"device\": \"é\u{1b}\"}".as_bytes(), Format::Json))
                .unwrap();
        assert_eq!(v["text"], "{\"device\": \"é\u{1b}\"}");
    }

    #[test]
    fn raw_is_the_bytes() {
        assert_eq!(render(&msg(AWKWARD), Format::Raw, at()), AWKWARD);
    }
}
