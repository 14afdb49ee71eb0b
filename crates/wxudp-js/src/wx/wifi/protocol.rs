//! The LAN control protocol between a host and the `wxudp lan` controller: one request,
//! one answer, each a frame of one line of JSON of at most [`MAX_FRAME`] bytes, over the
//! host's Unix socket ([`super::CONTROL_ENV`]). Requests are typed ([`Request`]); a
//! frame that is too long or not a request is refused with an answer, never read on.
//!
//! ```json
//! {"op":"connect","SSID":"HomeWiFi","BSSID":"","password":"..."}
//! {"ok":true,"moved":true,"address":"192.168.1.3/24","connected":{...}}
//! ```

use std::io::{BufRead, Read};

use serde::{Deserialize, Serialize};

/// The longest frame, either way: 64 KiB (an access point list of a few hundred
/// networks fits; a 63-character password needs far less).
pub const MAX_FRAME: usize = 64 * 1024;

/// A host's request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum Request {
    /// Every access point of the LAN (`getWifiList`).
    Scan,
    /// The access point this host's Wi-Fi is on (`getConnectedWifi`).
    Status,
    /// Join a network (`connectWifi`): the host moves when it is another one.
    Connect {
        /// The network's SSID.
        #[serde(rename = "SSID")]
        ssid: String,
        /// Its access point's MAC address, or empty for any.
        #[serde(rename = "BSSID", default)]
        bssid: String,
        /// The password, empty for an open network.
        #[serde(default)]
        password: String,
    },
}

/// Why a frame could not be read.
#[derive(Debug)]
pub enum FrameError {
    /// Longer than [`MAX_FRAME`] (what was read of it is dropped).
    TooLong,
    /// The connection failed or closed before a whole frame.
    Io(std::io::Error),
}

/// Reads one frame (a line, without its `\n`), reading at most [`MAX_FRAME`] + 1 bytes.
pub fn read_frame(reader: &mut impl BufRead) -> Result<Vec<u8>, FrameError> {
    let mut line = Vec::new();
    let limit = u64::try_from(MAX_FRAME + 1).unwrap_or(u64::MAX);
    let n = reader
        .take(limit)
        .read_until(b'\n', &mut line)
        .map_err(FrameError::Io)?;
    if n == 0 {
        return Err(FrameError::Io(std::io::ErrorKind::UnexpectedEof.into()));
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        Ok(line)
    } else if line.len() > MAX_FRAME {
        Err(FrameError::TooLong)
    } else {
        Err(FrameError::Io(std::io::ErrorKind::UnexpectedEof.into()))
    }
}

/// A value as a frame (its JSON and `\n`), or `None` when it is longer than
/// [`MAX_FRAME`].
pub fn frame(value: &impl Serialize) -> Option<Vec<u8>> {
    let mut text = serde_json::to_vec(value).ok()?;
    if text.len() > MAX_FRAME {
        return None;
    }
    text.push(b'\n');
    Some(text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn requests_are_typed_lines_and_frames_are_bounded() {
        let r: Request =
            serde_json::from_str(r#"{"op":"connect","SSID":"Home","password":"pw"}"#).unwrap();
        assert_eq!(
            r,
            Request::Connect {
                ssid: "Home".into(),
                bssid: String::new(),
                password: "pw".into()
            }
        );
        assert_eq!(
            serde_json::from_str::<Request>(r#"{"op":"scan"}"#).unwrap(),
            Request::Scan
        );
        assert!(serde_json::from_str::<Request>(r#"{"op":"format-disk"}"#).is_err());
        let line = frame(&Request::Status).unwrap();
        assert_eq!(line, b"{\"op\":\"status\"}\n");
        assert_eq!(read_frame(&mut &line[..]).unwrap(), b"{\"op\":\"status\"}");
        let long = vec![b'x'; 10 * MAX_FRAME];
        assert!(matches!(
            read_frame(&mut &long[..]),
            Err(FrameError::TooLong)
        ));
        let password = "p".repeat(MAX_FRAME);
        assert!(frame(&Request::Connect {
            ssid: "a".into(),
            bssid: String::new(),
            password
        })
        .is_none());
    }
}
