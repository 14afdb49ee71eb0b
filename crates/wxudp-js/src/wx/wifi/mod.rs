//! Wi-Fi: `wx.startWifi`, `stopWifi`, `getWifiList`, `getConnectedWifi`, `connectWifi`
//! and their events, with WeChat's errCodes (docs/LAN.md has the table and its source).
//!
//! The state machine (`Wifi`) decides every errCode from what a `Backend` reports:
//! the access points in range, the one this host is connected to, and whether joining
//! one works. Two backends:
//!
//! - **a phone on one network** (`Phone`): `wxudp run` on its own answers as a phone
//!   connected to one default network (`--wifi SSID`, default `wxudp`; `--wifi off` for
//!   a phone whose Wi-Fi is switched off). Nothing moves: the host's address stays.
//! - **a host of a LAN** (`LanClient`): under `wxudp lan` the controller passes the path
//!   of a control socket of this host in [`CONTROL_ENV`]; `connectWifi` asks it to move
//!   the host's `wlan0` onto the network and waits for the answer, so the address (and
//!   `wx.getLocalIPAddress`) changes, as a phone's does.
//!
//! The control protocol: one request per connection, a JSON object on one line, and one
//! JSON line back: `{"op":"scan"}` → `{"ok":true,"networks":[AP...]}`, `{"op":"status"}` →
//! `{"ok":true,"connected":AP|null}`, `{"op":"connect","SSID":..,"BSSID":..,"password":..}`
//! → `{"ok":true,"connected":AP,"moved":bool,"address":"192.168.4.2/24"}`; a failure is
//! `{"ok":false,"errCode":12002,"reason":"password error Wi-Fi"}`. An AP is
//! `{"SSID","BSSID","security":"open|wep|wpa|wpa2|wpa3","signalStrength":0..100,"frequency"}`
//! (signal 0: known but out of range).

pub mod protocol;

use std::cell::RefCell;
use std::io::{BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use rquickjs::{Ctx, Function, Object};
use serde_json::{json, Value};

use crate::runtime::host::Shared;
use crate::Platform;

/// The environment variable through which `wxudp lan` tells a host's runtime the path of
/// its control socket.
pub const CONTROL_ENV: &str = "WXUDP_LAN_CONTROL";

/// The SSID of the network `wxudp run` pretends to be connected to by default.
pub const DEFAULT_SSID: &str = "wxudp";

/// How long `connectWifi` waits for the LAN controller's answer.
const CONTROL_WAIT: Duration = Duration::from_secs(30);

/// errCodes of the Wi-Fi APIs (WeChat's table; docs/LAN.md).
pub(crate) mod code {
    pub(crate) const NOT_INIT: u32 = 12000;
    pub(crate) const NOT_SUPPORTED: u32 = 12001;
    pub(crate) const PASSWORD: u32 = 12002;
    pub(crate) const TIMEOUT: u32 = 12003;
    pub(crate) const DUPLICATE: u32 = 12004;
    pub(crate) const WIFI_OFF: u32 = 12005;
    pub(crate) const INVALID_SSID: u32 = 12008;
    pub(crate) const SYSTEM: u32 = 12010;
    pub(crate) const BACKGROUND: u32 = 12011;
    pub(crate) const INVALID_KEY: u32 = 12014;
}

/// A failed call: its errCode and the text after `API:fail `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fail {
    pub(crate) code: u32,
    pub(crate) reason: String,
}

impl Fail {
    pub(crate) fn new(code: u32, reason: impl Into<String>) -> Fail {
        Fail {
            code,
            reason: reason.into(),
        }
    }
}

/// The security of an access point (`secure` in `WifiInfo` is anything but `Open`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// An access point as a backend reports it (and the LAN controller sends it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ap {
    /// The network's name.
    pub ssid: String,
    /// The access point's MAC address, `xx:xx:xx:xx:xx:xx`.
    pub bssid: String,
    /// Its security.
    pub security: Security,
    /// 0 to 100; 0: known, but out of range.
    pub signal: u8,
    /// MHz.
    pub frequency: u32,
}

impl Ap {
    /// Reads the protocol's form of an AP.
    pub fn from_json(v: &Value) -> Option<Ap> {
        Some(Ap {
            ssid: v.get("SSID")?.as_str()?.to_owned(),
            bssid: v.get("BSSID")?.as_str()?.to_owned(),
            security: Security::parse(v.get("security")?.as_str()?)?,
            signal: u8::try_from(v.get("signalStrength")?.as_u64()?.min(100)).ok()?,
            frequency: u32::try_from(v.get("frequency")?.as_u64()?).ok()?,
        })
    }

    /// The protocol's form.
    pub fn to_json(&self) -> Value {
        json!({
            "SSID": self.ssid,
            "BSSID": self.bssid,
            "security": self.security.name(),
            "signalStrength": self.signal,
            "frequency": self.frequency,
        })
    }
}

/// What joining a network did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Joined {
    /// The host moved to another network (its address changed).
    pub(crate) moved: bool,
}

/// Where the Wi-Fi facts come from.
pub(crate) trait Backend {
    /// Every access point known, in range or not.
    fn scan(&mut self) -> Result<Vec<Ap>, Fail>;
    /// The access point this host is connected to.
    fn connected(&mut self) -> Result<Option<Ap>, Fail>;
    /// Joins `ap` with `password`: the backend checks the password (errCode 12002).
    fn join(&mut self, ap: &Ap, password: &str) -> Result<Joined, Fail>;
}

/// A phone connected to one network, outside a LAN.
pub(crate) struct Phone {
    ap: Option<Ap>,
}

impl Phone {
    /// A phone on the network `ssid`, or with Wi-Fi off (`None`).
    pub(crate) fn new(ssid: Option<&str>) -> Phone {
        Phone {
            ap: ssid.map(|ssid| Ap {
                ssid: ssid.to_owned(),
                bssid: bssid_for(ssid),
                security: Security::Wpa2,
                signal: 80,
                frequency: 2437,
            }),
        }
    }
}

impl Backend for Phone {
    fn scan(&mut self) -> Result<Vec<Ap>, Fail> {
        Ok(self.ap.iter().cloned().collect())
    }

    fn connected(&mut self) -> Result<Option<Ap>, Fail> {
        Ok(self.ap.clone())
    }

    fn join(&mut self, _ap: &Ap, _password: &str) -> Result<Joined, Fail> {
        // Its own network, already connected; its password is not known here.
        Ok(Joined { moved: false })
    }
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

/// A host of a LAN: asks the `wxudp lan` controller over its control socket.
pub(crate) struct LanClient {
    path: PathBuf,
}

impl LanClient {
    pub(crate) fn new(path: PathBuf) -> LanClient {
        LanClient { path }
    }

    fn ask(&self, request: &protocol::Request) -> Result<Value, Fail> {
        let unreachable = |e: std::io::Error| {
            Fail::new(
                code::SYSTEM,
                format!("cannot reach the LAN controller: {e}"),
            )
        };
        let frame = protocol::frame(request).ok_or_else(|| {
            Fail::new(
                code::SYSTEM,
                "the request is too long for the LAN controller",
            )
        })?;
        let mut stream = UnixStream::connect(&self.path).map_err(unreachable)?;
        stream
            .set_read_timeout(Some(CONTROL_WAIT))
            .map_err(unreachable)?;
        stream.write_all(&frame).map_err(unreachable)?;
        let answer = match protocol::read_frame(&mut BufReader::new(stream)) {
            Ok(answer) => answer,
            Err(protocol::FrameError::TooLong) => {
                return Err(Fail::new(
                    code::SYSTEM,
                    "the LAN controller's answer is too long",
                ))
            }
            Err(protocol::FrameError::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Fail::new(code::TIMEOUT, "connection timeout"))
            }
            Err(protocol::FrameError::Io(e)) => return Err(unreachable(e)),
        };
        let v: Value = serde_json::from_slice(&answer).map_err(|e| {
            Fail::new(
                code::SYSTEM,
                format!("the LAN controller answered nonsense: {e}"),
            )
        })?;
        if v.get("ok").and_then(Value::as_bool) == Some(true) {
            return Ok(v);
        }
        let code = v
            .get("errCode")
            .and_then(Value::as_u64)
            .and_then(|c| u32::try_from(c).ok())
            .unwrap_or(code::SYSTEM);
        let reason = v
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("system internal error");
        Err(Fail::new(code, reason))
    }
}

impl Backend for LanClient {
    fn scan(&mut self) -> Result<Vec<Ap>, Fail> {
        let v = self.ask(&protocol::Request::Scan)?;
        Ok(v.get("networks")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Ap::from_json).collect())
            .unwrap_or_default())
    }

    fn connected(&mut self) -> Result<Option<Ap>, Fail> {
        let v = self.ask(&protocol::Request::Status)?;
        Ok(v.get("connected").and_then(Ap::from_json))
    }

    fn join(&mut self, ap: &Ap, password: &str) -> Result<Joined, Fail> {
        let v = self.ask(&protocol::Request::Connect {
            ssid: ap.ssid.clone(),
            bssid: ap.bssid.clone(),
            password: password.to_string(),
        })?;
        Ok(Joined {
            moved: v.get("moved").and_then(Value::as_bool).unwrap_or(false),
        })
    }
}

/// What `connectWifi` asks for.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnectRequest {
    /// `SSID` if it is a string.
    pub(crate) ssid: Option<String>,
    pub(crate) bssid: Option<String>,
    pub(crate) password: String,
}

/// The Wi-Fi module of one run.
pub(crate) struct Wifi {
    platform: Platform,
    /// Wi-Fi switched on (`--wifi off` switches it off).
    on: bool,
    /// `startWifi` was called (and `stopWifi` not since).
    started: bool,
    /// A `connectWifi` between its start and its answer.
    pending: Option<(Ap, String)>,
    backend: Box<dyn Backend>,
}

impl Wifi {
    pub(crate) fn new(platform: Platform, on: bool, backend: Box<dyn Backend>) -> Wifi {
        Wifi {
            platform,
            on,
            started: false,
            pending: None,
            backend,
        }
    }

    /// The module of a run: a LAN host's when [`CONTROL_ENV`] is set, else a phone on
    /// `ssid` (`None`: Wi-Fi off).
    pub(crate) fn for_run(platform: Platform, ssid: Option<&str>) -> Wifi {
        match std::env::var_os(CONTROL_ENV) {
            Some(path) if !path.is_empty() => Wifi::new(
                platform,
                ssid.is_some(),
                Box::new(LanClient::new(PathBuf::from(path))),
            ),
            _ => Wifi::new(platform, ssid.is_some(), Box::new(Phone::new(ssid))),
        }
    }

    fn is_phone(&self) -> bool {
        matches!(
            self.platform,
            Platform::Android | Platform::Ios | Platform::Ohos
        )
    }

    fn android_like(&self) -> bool {
        matches!(self.platform, Platform::Android | Platform::Ohos)
    }

    /// An Android-only errCode, or 12010 with the same reason elsewhere (the table marks
    /// 12003, 12005 and 12013 as Android's).
    fn android_only(&self, code: u32, reason: &str) -> Fail {
        if self.android_like() {
            Fail::new(code, reason)
        } else {
            Fail::new(code::SYSTEM, reason)
        }
    }

    /// What every call checks first: a phone (12001), the module started (12000).
    fn ready(&self) -> Result<(), Fail> {
        if !self.is_phone() {
            return Err(Fail::new(code::NOT_SUPPORTED, "system not support"));
        }
        if !self.started {
            return Err(Fail::new(code::NOT_INIT, "not init"));
        }
        Ok(())
    }

    fn switched_on(&self) -> Result<(), Fail> {
        if self.on {
            Ok(())
        } else {
            Err(self.android_only(code::WIFI_OFF, "wifi not turned on"))
        }
    }

    /// `wx.startWifi`.
    pub(crate) fn start(&mut self) -> Result<(), Fail> {
        if !self.is_phone() {
            return Err(Fail::new(code::NOT_SUPPORTED, "system not support"));
        }
        self.started = true;
        Ok(())
    }

    /// `wx.stopWifi`.
    pub(crate) fn stop(&mut self) -> Result<(), Fail> {
        self.ready()?;
        self.started = false;
        Ok(())
    }

    /// `wx.getWifiList`: the access points in range (what `onGetWifiList` then gets).
    pub(crate) fn list(&mut self, background: bool) -> Result<Vec<Ap>, Fail> {
        self.ready()?;
        if background {
            return Err(Fail::new(code::BACKGROUND, "weapp in background"));
        }
        self.switched_on()?;
        let mut aps = self.backend.scan()?;
        aps.retain(|ap| ap.signal > 0);
        Ok(aps)
    }

    /// `wx.getConnectedWifi`.
    pub(crate) fn connected(&mut self) -> Result<Ap, Fail> {
        self.ready()?;
        self.switched_on()?;
        self.backend
            .connected()?
            .ok_or_else(|| Fail::new(code::SYSTEM, "no wifi is connected"))
    }

    /// The first half of `wx.connectWifi`: every check that needs no answer from the
    /// network. From here until [`Wifi::connect_finish`], another `connectWifi` fails
    /// with 12004.
    pub(crate) fn connect_begin(
        &mut self,
        request: ConnectRequest,
        background: bool,
    ) -> Result<(), Fail> {
        self.ready()?;
        if background {
            return Err(Fail::new(code::BACKGROUND, "weapp in background"));
        }
        self.switched_on()?;
        if self.pending.is_some() {
            return Err(Fail::new(code::DUPLICATE, "duplicate request"));
        }
        let ssid = match request.ssid {
            Some(ssid) if !ssid.is_empty() && ssid.len() <= 32 => ssid,
            _ => return Err(Fail::new(code::INVALID_SSID, "invalid SSID")),
        };
        let aps = self.backend.scan()?;
        let ap = aps
            .into_iter()
            .find(|ap| {
                ap.ssid == ssid
                    && request
                        .bssid
                        .as_deref()
                        .is_none_or(|b| b.is_empty() || b.eq_ignore_ascii_case(&ap.bssid))
            })
            .ok_or_else(|| Fail::new(code::INVALID_SSID, "invalid SSID"))?;
        if ap.signal == 0 {
            return Err(self.android_only(code::TIMEOUT, "connection timeout"));
        }
        if !ap.security.key_is_valid(&request.password) {
            return Err(if self.platform == Platform::Ios {
                Fail::new(code::INVALID_KEY, "invalid WEP / WPA password")
            } else {
                Fail::new(code::PASSWORD, "password error Wi-Fi")
            });
        }
        self.pending = Some((ap, request.password));
        Ok(())
    }

    /// The second half of `wx.connectWifi`: joins the network chosen by
    /// [`Wifi::connect_begin`] and returns it, and whether the host moved.
    pub(crate) fn connect_finish(&mut self) -> Result<(Ap, bool), Fail> {
        let Some((ap, password)) = self.pending.take() else {
            return Err(Fail::new(code::SYSTEM, "no connection under way"));
        };
        match self.backend.join(&ap, &password) {
            Ok(joined) => Ok((ap, joined.moved)),
            Err(f) if f.code == code::TIMEOUT => Err(self.android_only(f.code, &f.reason)),
            Err(f) => Err(f),
        }
    }

    /// WeChat's `WifiInfo` for `ap`: the signal from 0 to 100 on Android, 0 to 1 on iOS;
    /// `partial` (partialInfo) keeps the SSID alone on Android, SSID and BSSID on iOS.
    pub(crate) fn info(&self, ap: &Ap, partial: bool, frequency: bool) -> Value {
        if partial {
            return if self.platform == Platform::Ios {
                json!({ "SSID": ap.ssid, "BSSID": ap.bssid })
            } else {
                json!({ "SSID": ap.ssid })
            };
        }
        let signal = if self.platform == Platform::Ios {
            json!(f64::from(ap.signal) / 100.0)
        } else {
            json!(ap.signal)
        };
        let mut info = json!({
            "SSID": ap.ssid,
            "BSSID": ap.bssid,
            "secure": ap.security != Security::Open,
            "signalStrength": signal,
        });
        if frequency {
            info["frequency"] = json!(ap.frequency);
        }
        info
    }

    /// Whether Wi-Fi is switched on (`wx.getSystemSetting().wifiEnabled`).
    pub(crate) fn enabled(&self) -> bool {
        self.on
    }
}

/// Adds `N.wifi(op, json) -> json` and `N.wifiEnabled` to `n`. The answer is
/// `{"result": ...}` or `{"errCode": N, "reason": "..."}`.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, n: &Object<'js>, host: &Shared) -> rquickjs::Result<()> {
    let (wifi, frequency) = {
        let h = host.borrow();
        (
            Rc::new(RefCell::new(Wifi::for_run(
                h.platform,
                h.wifi_ssid.as_deref(),
            ))),
            h.base_library.at_least("2.12.0"),
        )
    };
    n.set("wifiEnabled", wifi.borrow().enabled())?;
    let h = host.clone();
    n.set(
        "wifi",
        Function::new(ctx.clone(), move |op: String, args: String| -> String {
            let args: Value = serde_json::from_str(&args).unwrap_or(Value::Null);
            let background = matches!(
                h.borrow().stop.poll(),
                crate::runtime::stop::Phase::Hiding { .. } | crate::runtime::stop::Phase::Done(_)
            );
            let answer = call(&mut wifi.borrow_mut(), &op, &args, background, frequency);
            match answer {
                Ok(result) => json!({ "result": result }),
                Err(f) => json!({ "errCode": f.code, "reason": f.reason }),
            }
            .to_string()
        })?,
    )?;
    Ok(())
}

/// Runs one operation of the prelude's Wi-Fi section.
fn call(
    wifi: &mut Wifi,
    op: &str,
    args: &Value,
    background: bool,
    frequency: bool,
) -> Result<Value, Fail> {
    let partial = args.get("partialInfo").and_then(Value::as_bool) == Some(true);
    match op {
        "start" => wifi.start().map(|()| json!({})),
        "stop" => wifi.stop().map(|()| json!({})),
        "list" => {
            let aps = wifi.list(background)?;
            let list: Vec<Value> = aps
                .iter()
                .map(|ap| wifi.info(ap, false, frequency))
                .collect();
            Ok(json!({ "wifiList": list }))
        }
        "connected" => {
            let ap = wifi.connected()?;
            Ok(json!({ "wifi": wifi.info(&ap, partial, frequency) }))
        }
        "connectBegin" => {
            let text = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_owned);
            let request = ConnectRequest {
                ssid: text("SSID"),
                bssid: text("BSSID"),
                password: text("password").unwrap_or_default(),
            };
            wifi.connect_begin(request, background).map(|()| json!({}))
        }
        "connectFinish" => {
            let (ap, moved) = wifi.connect_finish()?;
            // partialInfo: Android only (the documentation's words).
            let partial = (partial && wifi.android_like()).then(|| wifi.info(&ap, true, frequency));
            Ok(json!({
                "wifi": partial,
                "fullWifi": wifi.info(&ap, false, frequency),
                "moved": moved,
            }))
        }
        _ => Err(Fail::new(code::SYSTEM, format!("unknown operation {op}"))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A backend that answers from a list, with one password per SSID.
    struct Fake {
        aps: Vec<(Ap, &'static str)>,
        connected: Option<Ap>,
        fail_join: Option<Fail>,
    }

    impl Backend for Fake {
        fn scan(&mut self) -> Result<Vec<Ap>, Fail> {
            Ok(self.aps.iter().map(|(ap, _)| ap.clone()).collect())
        }
        fn connected(&mut self) -> Result<Option<Ap>, Fail> {
            Ok(self.connected.clone())
        }
        fn join(&mut self, ap: &Ap, password: &str) -> Result<Joined, Fail> {
            if let Some(f) = self.fail_join.clone() {
                return Err(f);
            }
            let (_, right) = self.aps.iter().find(|(a, _)| a == ap).unwrap();
            if ap.security != Security::Open && password != *right {
                return Err(Fail::new(code::PASSWORD, "password error Wi-Fi"));
            }
            let moved = self.connected.as_ref() != Some(ap);
            self.connected = Some(ap.clone());
            Ok(Joined { moved })
        }
    }

    fn ap(ssid: &str, security: Security, signal: u8) -> Ap {
        Ap {
            ssid: ssid.into(),
            bssid: bssid_for(ssid),
            security,
            signal,
            frequency: 2412,
        }
    }

    fn lan(platform: Platform) -> Wifi {
        let home = ap("HomeWiFi", Security::Wpa2, 90);
        Wifi::new(
            platform,
            true,
            Box::new(Fake {
                aps: vec![
                    (home.clone(), "correct-horse"),
                    (ap("ESP_5CCF7F", Security::Open, 70), ""),
                    (ap("Far", Security::Wpa2, 0), "whatever1"),
                    (ap("OldRouter", Security::Wep, 40), "abcde"),
                ],
                connected: Some(home),
                fail_join: None,
            }),
        )
    }

    fn connect(ssid: &str, password: &str) -> ConnectRequest {
        ConnectRequest {
            ssid: Some(ssid.into()),
            bssid: None,
            password: password.into(),
        }
    }

    fn code_of<T: std::fmt::Debug>(r: Result<T, Fail>) -> u32 {
        r.unwrap_err().code
    }

    #[test]
    fn ok_paths() {
        let mut w = lan(Platform::Android);
        w.start().unwrap();
        let list = w.list(false).unwrap();
        assert_eq!(list.len(), 3, "the out-of-range AP is not listed");
        assert_eq!(w.connected().unwrap().ssid, "HomeWiFi");
        w.connect_begin(connect("ESP_5CCF7F", ""), false).unwrap();
        let (joined, moved) = w.connect_finish().unwrap();
        assert_eq!((joined.ssid.as_str(), moved), ("ESP_5CCF7F", true));
        assert_eq!(w.connected().unwrap().ssid, "ESP_5CCF7F");
        w.connect_begin(connect("HomeWiFi", "correct-horse"), false)
            .unwrap();
        assert!(w.connect_finish().unwrap().1);
        // The same network again: success, no move.
        w.connect_begin(connect("HomeWiFi", "correct-horse"), false)
            .unwrap();
        assert!(!w.connect_finish().unwrap().1);
        w.stop().unwrap();
    }

    #[test]
    fn errcode_12000_not_init() {
        let mut w = lan(Platform::Android);
        assert_eq!(code_of(w.list(false)), code::NOT_INIT);
        assert_eq!(code_of(w.connected()), code::NOT_INIT);
        assert_eq!(
            code_of(w.connect_begin(connect("HomeWiFi", "correct-horse"), false)),
            code::NOT_INIT
        );
        assert_eq!(code_of(w.stop()), code::NOT_INIT);
        w.start().unwrap();
        w.stop().unwrap();
        assert_eq!(code_of(w.connected()), code::NOT_INIT, "after stopWifi");
    }

    #[test]
    fn errcode_12001_not_a_phone() {
        for p in [Platform::Windows, Platform::Mac, Platform::Devtools] {
            let mut w = lan(p);
            assert_eq!(code_of(w.start()), code::NOT_SUPPORTED, "{p}");
            assert_eq!(code_of(w.connected()), code::NOT_SUPPORTED, "{p}");
        }
        for p in [Platform::Android, Platform::Ios, Platform::Ohos] {
            lan(p).start().unwrap();
        }
    }

    #[test]
    fn errcode_12002_password_error() {
        for p in [Platform::Android, Platform::Ios] {
            let mut w = lan(p);
            w.start().unwrap();
            w.connect_begin(connect("HomeWiFi", "wrong-horse"), false)
                .unwrap();
            let f = w.connect_finish().unwrap_err();
            assert_eq!(f, Fail::new(code::PASSWORD, "password error Wi-Fi"));
            assert_eq!(w.connected().unwrap().ssid, "HomeWiFi", "did not move");
        }
        // A password no WPA network takes, on Android.
        let mut w = lan(Platform::Android);
        w.start().unwrap();
        assert_eq!(
            code_of(w.connect_begin(connect("HomeWiFi", "short"), false)),
            code::PASSWORD
        );
    }

    #[test]
    fn errcode_12003_connection_timeout() {
        let mut w = lan(Platform::Android);
        w.start().unwrap();
        let f = w
            .connect_begin(connect("Far", "whatever1"), false)
            .unwrap_err();
        assert_eq!(f, Fail::new(code::TIMEOUT, "connection timeout"));
        // Android only: iOS reports it as a system error with the reason.
        let mut w = lan(Platform::Ios);
        w.start().unwrap();
        let f = w
            .connect_begin(connect("Far", "whatever1"), false)
            .unwrap_err();
        assert_eq!(f, Fail::new(code::SYSTEM, "connection timeout"));
        // A controller that does not answer in time.
        let mut w = lan(Platform::Android);
        w.backend = Box::new(Fake {
            aps: vec![(ap("HomeWiFi", Security::Open, 50), "")],
            connected: None,
            fail_join: Some(Fail::new(code::TIMEOUT, "connection timeout")),
        });
        w.start().unwrap();
        w.connect_begin(connect("HomeWiFi", ""), false).unwrap();
        assert_eq!(code_of(w.connect_finish()), code::TIMEOUT);
    }

    #[test]
    fn errcode_12004_duplicate_request() {
        let mut w = lan(Platform::Android);
        w.start().unwrap();
        w.connect_begin(connect("ESP_5CCF7F", ""), false).unwrap();
        assert_eq!(
            code_of(w.connect_begin(connect("HomeWiFi", "correct-horse"), false)),
            code::DUPLICATE
        );
        w.connect_finish().unwrap();
        w.connect_begin(connect("HomeWiFi", "correct-horse"), false)
            .unwrap();
    }

    #[test]
    fn errcode_12005_wifi_off() {
        let mut w = Wifi::new(Platform::Android, false, Box::new(Phone::new(None)));
        w.start().unwrap();
        assert_eq!(
            w.connected().unwrap_err(),
            Fail::new(code::WIFI_OFF, "wifi not turned on")
        );
        assert_eq!(code_of(w.list(false)), code::WIFI_OFF);
        assert_eq!(
            code_of(w.connect_begin(connect("wxudp", "12345678"), false)),
            code::WIFI_OFF
        );
        // Android only: 12010 with the reason on iOS.
        let mut w = Wifi::new(Platform::Ios, false, Box::new(Phone::new(None)));
        w.start().unwrap();
        assert_eq!(
            w.connected().unwrap_err(),
            Fail::new(code::SYSTEM, "wifi not turned on")
        );
    }

    #[test]
    fn errcode_12008_invalid_ssid() {
        let mut w = lan(Platform::Android);
        w.start().unwrap();
        for bad in [
            ConnectRequest::default(),
            connect("", "x"),
            connect(&"x".repeat(33), "x"),
            connect("NoSuchNetwork", "12345678"),
            ConnectRequest {
                bssid: Some("02:00:00:00:00:99".into()),
                ..connect("HomeWiFi", "correct-horse")
            },
        ] {
            assert_eq!(
                w.connect_begin(bad.clone(), false).unwrap_err(),
                Fail::new(code::INVALID_SSID, "invalid SSID"),
                "{bad:?}"
            );
        }
        // The right BSSID is fine.
        w.connect_begin(
            ConnectRequest {
                bssid: Some(bssid_for("HomeWiFi").to_uppercase()),
                ..connect("HomeWiFi", "correct-horse")
            },
            false,
        )
        .unwrap();
    }

    #[test]
    fn errcode_12010_system_error() {
        let mut w = lan(Platform::Android);
        w.backend = Box::new(Fake {
            aps: vec![],
            connected: None,
            fail_join: None,
        });
        w.start().unwrap();
        assert_eq!(
            w.connected().unwrap_err(),
            Fail::new(code::SYSTEM, "no wifi is connected")
        );
        assert_eq!(code_of(w.connect_finish()), code::SYSTEM);
        // A LAN controller that is not there.
        let mut w = Wifi::new(
            Platform::Android,
            true,
            Box::new(LanClient::new(PathBuf::from("/nonexistent/wxudp-lan.sock"))),
        );
        w.start().unwrap();
        let f = w.connected().unwrap_err();
        assert_eq!(f.code, code::SYSTEM);
        assert!(
            f.reason.starts_with("cannot reach the LAN controller"),
            "{f:?}"
        );
    }

    #[test]
    fn errcode_12011_in_background() {
        let mut w = lan(Platform::Android);
        w.start().unwrap();
        assert_eq!(code_of(w.list(true)), code::BACKGROUND);
        assert_eq!(
            code_of(w.connect_begin(connect("HomeWiFi", "correct-horse"), true)),
            code::BACKGROUND
        );
    }

    #[test]
    fn errcode_12014_invalid_key_on_ios() {
        let mut w = lan(Platform::Ios);
        w.start().unwrap();
        assert_eq!(
            w.connect_begin(connect("HomeWiFi", "short"), false)
                .unwrap_err(),
            Fail::new(code::INVALID_KEY, "invalid WEP / WPA password")
        );
        assert_eq!(
            code_of(w.connect_begin(connect("OldRouter", "abcdef"), false)),
            code::INVALID_KEY
        );
        w.connect_begin(connect("OldRouter", "abcde"), false)
            .unwrap();
    }

    #[test]
    fn keys_and_infos() {
        assert!(Security::Wep.key_is_valid("0123456789"));
        assert!(Security::Wep.key_is_valid("abcdefghijklm"));
        assert!(!Security::Wep.key_is_valid("abcdefghij"));
        assert!(Security::Wpa2.key_is_valid(&"a".repeat(63)));
        assert!(!Security::Wpa2.key_is_valid(&"g".repeat(64)));
        assert!(Security::Wpa2.key_is_valid(&"f".repeat(64)));
        assert!(Security::Open.key_is_valid(""));
        let home = ap("HomeWiFi", Security::Wpa2, 90);
        let android = lan(Platform::Android);
        assert_eq!(
            android.info(&home, false, true),
            json!({"SSID": "HomeWiFi", "BSSID": bssid_for("HomeWiFi"), "secure": true, "signalStrength": 90, "frequency": 2412})
        );
        assert_eq!(android.info(&home, true, true), json!({"SSID": "HomeWiFi"}));
        let ios = lan(Platform::Ios);
        assert_eq!(ios.info(&home, false, false)["signalStrength"], json!(0.9));
        assert_eq!(
            ios.info(&home, true, true),
            json!({"SSID": "HomeWiFi", "BSSID": bssid_for("HomeWiFi")})
        );
        assert_eq!(Ap::from_json(&home.to_json()), Some(home));
        assert_eq!(bssid_for("x"), bssid_for("x"));
        assert_ne!(bssid_for("x"), bssid_for("y"));
    }
}
