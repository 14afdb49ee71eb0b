//! The LAN control protocol between a host and the `wxudp lan` controller: one request,
//! one answer, each a frame of one line of JSON of at most [`MAX_FRAME`] bytes, over the
//! host's Unix socket ([`CONTROL_ENV`]). Requests and answers are typed ([`Request`],
//! [`Answer`]) and versioned ([`VERSION`]); a frame that is too long or not a request is
//! refused with an answer, never read on. Any language can speak it (docs/LAN.md): a
//! device simulator in Python joins a network as `wx.connectWifi` does.
//!
//! ```json
//! {"op":"connect","SSID":"HomeWiFi","BSSID":"","password":"..."}
//! {"ok":true,"connected":{...},"moved":true,"address":"192.168.1.3/24"}
//! ```

use std::io::{BufRead, Read};

use serde::{Deserialize, Serialize};

/// The environment variable that names the LAN's hosts by address for each host's
/// process: `lamp=192.168.4.1,lamp=192.168.1.3,phone=192.168.1.2` (the addresses the LAN
/// file gives; a `wxudp run` report names its peers by it).
pub const NAMES_ENV: &str = "WXUDP_LAN_NAMES";

/// The environment variable through which `wxudp lan` tells a host's runtime the path of
/// its control socket.
pub const CONTROL_ENV: &str = "WXUDP_LAN_CONTROL";

/// The protocol's version: requests may carry it as `"v"` (none means 1); a request of
/// a later version is refused.
pub const VERSION: u32 = 1;

/// The longest frame, either way: 64 KiB (an access point list of a few hundred
/// networks fits; a 63-character password needs far less).
pub const MAX_FRAME: usize = 64 * 1024;

/// A host's request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
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

/// A request as it travels: its version and the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The protocol version the sender speaks (1 when absent).
    #[serde(default = "version_one")]
    pub v: u32,
    /// The request.
    #[serde(flatten)]
    pub request: Request,
}

fn version_one() -> u32 {
    1
}

/// The controller's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// Whether the request was carried out.
    pub ok: bool,
    /// A failure's errCode (WeChat's Wi-Fi errCodes, 12000 to 12014).
    #[serde(rename = "errCode", default, skip_serializing_if = "Option::is_none")]
    pub err_code: Option<u32>,
    /// A failure's reason, the text after `connectWifi:fail `.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `scan`: every access point of the LAN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networks: Option<Vec<Ap>>,
    /// `status` and `connect`: the access point the host's Wi-Fi is on (`null`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connected: Option<Option<Ap>>,
    /// `connect`: whether the host moved to another network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved: Option<bool>,
    /// `connect`: the host's address there, `192.168.1.3/24`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Answer {
    /// A refusal: `errCode` and reason.
    pub fn refused(code: u32, reason: impl Into<String>) -> Answer {
        Answer {
            ok: false,
            err_code: Some(code),
            reason: Some(reason.into()),
            ..Answer::default()
        }
    }

    /// A success with nothing more yet.
    pub fn ok() -> Answer {
        Answer {
            ok: true,
            ..Answer::default()
        }
    }
}

/// Reads a request frame: the request, or why it is refused (a later version, or not a
/// request at all; the answer's errCode is 12010).
pub fn parse_request(frame: &[u8]) -> Result<Request, String> {
    match serde_json::from_slice::<Envelope>(frame) {
        Ok(Envelope { v, .. }) if v > VERSION => Err(format!(
            "the LAN controller speaks version {VERSION} of its protocol, not {v}"
        )),
        Ok(Envelope { request, .. }) => Ok(request),
        Err(e) => Err(format!("the LAN controller cannot read the request: {e}")),
    }
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

/// The security of an access point (`secure` in `WifiInfo` is anything but `Open`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Security {
    /// No password.
    Open,
    /// WEP: keys of 5 or 13 characters, or 10 or 26 hex digits.
    Wep,
    /// WPA, WPA2, WPA3: passphrases of 8 to 63 characters, or 64 hex digits.
    Wpa,
    /// See [`Security::Wpa`].
    Wpa2,
    /// See [`Security::Wpa`].
    Wpa3,
}

impl Security {
    /// `open` (or `none`), `wep`, `wpa`, `wpa2`, `wpa3`, in any case.
    pub fn parse(text: &str) -> Option<Security> {
        Some(match text.to_ascii_lowercase().as_str() {
            "open" | "none" => Security::Open,
            "wep" => Security::Wep,
            "wpa" => Security::Wpa,
            "wpa2" => Security::Wpa2,
            "wpa3" => Security::Wpa3,
            _ => return None,
        })
    }

    /// The name [`Security::parse`] reads.
    pub fn name(self) -> &'static str {
        match self {
            Security::Open => "open",
            Security::Wep => "wep",
            Security::Wpa => "wpa",
            Security::Wpa2 => "wpa2",
            Security::Wpa3 => "wpa3",
        }
    }

    /// Whether `password` has a form this security accepts at all: WEP keys of 5 or 13
    /// characters (10 or 26 hex digits), WPA passphrases of 8 to 63 characters (or 64 hex
    /// digits). An open network takes anything (the password is ignored).
    pub fn key_is_valid(self, password: &str) -> bool {
        let hex = !password.is_empty() && password.bytes().all(|b| b.is_ascii_hexdigit());
        let chars = password.chars().count();
        match self {
            Security::Open => true,
            Security::Wep => matches!(chars, 5 | 13) || (hex && matches!(chars, 10 | 26)),
            Security::Wpa | Security::Wpa2 | Security::Wpa3 => {
                (8..=63).contains(&chars) || (hex && chars == 64)
            }
        }
    }
}

impl TryFrom<String> for Security {
    type Error = String;

    fn try_from(text: String) -> Result<Security, String> {
        Security::parse(&text)
            .ok_or_else(|| format!("no security {text:?}: open, wep, wpa, wpa2 or wpa3"))
    }
}

impl From<Security> for String {
    fn from(security: Security) -> String {
        security.name().to_string()
    }
}

/// An access point as a backend reports it (and the LAN controller sends it):
/// `{"SSID","BSSID","security":"open|wep|wpa|wpa2|wpa3","signalStrength":0..100,"frequency"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ap {
    /// The network's name.
    #[serde(rename = "SSID")]
    pub ssid: String,
    /// The access point's MAC address, `xx:xx:xx:xx:xx:xx`.
    #[serde(rename = "BSSID")]
    pub bssid: String,
    /// Its security.
    pub security: Security,
    /// 0 to 100; 0: known, but out of range.
    #[serde(rename = "signalStrength")]
    pub signal: u8,
    /// MHz.
    pub frequency: u32,
}

/// A locally administered MAC address made from `name` (the same name, the same address).
pub fn bssid_for(name: &str) -> String {
    // FNV-1a: stable across runs and builds.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let b = hash.to_be_bytes();
    format!(
        "02:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        b[0], b[1], b[2], b[3], b[4]
    )
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
        assert_eq!(parse_request(br#"{"v":1,"op":"scan"}"#), Ok(Request::Scan));
        assert!(parse_request(br#"{"v":2,"op":"scan"}"#)
            .unwrap_err()
            .contains("version 1"));
        assert!(parse_request(b"{")
            .unwrap_err()
            .contains("cannot read the request"));
        let answer = Answer {
            networks: Some(Vec::new()),
            ..Answer::ok()
        };
        assert_eq!(frame(&answer).unwrap(), b"{\"ok\":true,\"networks\":[]}\n");
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
