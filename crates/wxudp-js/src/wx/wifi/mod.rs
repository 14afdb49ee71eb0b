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

mod backend;

use std::path::PathBuf;

use rquickjs::{Ctx, Function, Object};
use serde_json::{json, Value};
use tokio::sync::mpsc::unbounded_channel;

use crate::runtime::host::Shared;
use crate::runtime::tasks::Sender;
use crate::Platform;

use backend::{Backend, LanClient, Phone};
pub use wxudp_lan::protocol::{bssid_for, Ap, Security, CONTROL_ENV};

/// The SSID of the network `wxudp run` pretends to be connected to by default.
pub const DEFAULT_SSID: &str = "wxudp";

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

/// One call of the prelude's, waiting for the Wi-Fi worker.
struct Job {
    op: String,
    args: Value,
    /// Whether the call came from the hide hooks (12011 for some).
    background: bool,
    answer: Sender,
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
    pub(crate) async fn list(&mut self, background: bool) -> Result<Vec<Ap>, Fail> {
        self.ready()?;
        if background {
            return Err(Fail::new(code::BACKGROUND, "weapp in background"));
        }
        self.switched_on()?;
        let mut aps = self.backend.scan().await?;
        aps.retain(|ap| ap.signal > 0);
        Ok(aps)
    }

    /// `wx.getConnectedWifi`.
    pub(crate) async fn connected(&mut self) -> Result<Ap, Fail> {
        self.ready()?;
        self.switched_on()?;
        self.backend
            .connected()
            .await?
            .ok_or_else(|| Fail::new(code::SYSTEM, "no wifi is connected"))
    }

    /// The first half of `wx.connectWifi`: every check that needs no answer from the
    /// network. From here until [`Wifi::connect_finish`], another `connectWifi` fails
    /// with 12004.
    pub(crate) async fn connect_begin(
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
        let aps = self.backend.scan().await?;
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
    pub(crate) async fn connect_finish(&mut self) -> Result<(Ap, bool), Fail> {
        let Some((ap, password)) = self.pending.take() else {
            return Err(Fail::new(code::SYSTEM, "no connection under way"));
        };
        match self.backend.join(&ap, &password).await {
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

/// Adds `N.wifi(op, json, callback)` and `N.wifiEnabled` to `n`. Each call goes to the
/// run's Wi-Fi worker, a tokio task that owns the state machine and answers the calls
/// in the order they were made (a LAN controller's answer never holds the JS thread);
/// the callback gets `{"result": ...}` or `{"errCode": N, "reason": "..."}` as JSON.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, n: &Object<'js>, host: &Shared) -> rquickjs::Result<()> {
    let (mut wifi, frequency) = {
        let h = host.borrow();
        (
            Wifi::for_run(h.platform, h.wifi_ssid.as_deref()),
            h.base_library.at_least("2.12.0"),
        )
    };
    n.set("wifiEnabled", wifi.enabled())?;
    let (jobs, mut queue) = unbounded_channel::<Job>();
    tokio::spawn(async move {
        while let Some(job) = queue.recv().await {
            let answer = call(&mut wifi, &job.op, &job.args, job.background, frequency).await;
            let text = match answer {
                Ok(result) => json!({ "result": result }),
                Err(f) => json!({ "errCode": f.code, "reason": f.reason }),
            }
            .to_string();
            job.answer.send(true, move |ctx| {
                Ok(rquickjs::String::from_str(ctx.clone(), &text)?.into_value())
            });
        }
    });
    let h = host.clone();
    n.set(
        "wifi",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, op: String, args: String, callback: Function<'js>| {
                let args: Value = serde_json::from_str(&args).unwrap_or(Value::Null);
                let background = matches!(
                    h.borrow().stop.poll(),
                    crate::runtime::stop::Phase::Hiding { .. }
                        | crate::runtime::stop::Phase::Done(_)
                );
                // In the background, the calls WeChat refuses fail at once: the hide hooks
                // that make them see the failure before the run ends.
                if background && matches!(op.as_str(), "list" | "connectBegin") {
                    let text =
                        json!({ "errCode": code::BACKGROUND, "reason": "weapp in background" });
                    return callback.call::<_, ()>((text.to_string(),));
                }
                let answer = h.borrow_mut().tasks.register(&ctx, callback);
                let id = answer.id();
                let job = Job {
                    op,
                    args,
                    background,
                    answer,
                };
                if jobs.send(job).is_err() {
                    h.borrow_mut().tasks.cancel(id);
                }
                Ok(())
            },
        )?,
    )?;
    Ok(())
}

/// Runs one operation of the prelude's Wi-Fi section.
async fn call(
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
            let aps = wifi.list(background).await?;
            let list: Vec<Value> = aps
                .iter()
                .map(|ap| wifi.info(ap, false, frequency))
                .collect();
            Ok(json!({ "wifiList": list }))
        }
        "connected" => {
            let ap = wifi.connected().await?;
            Ok(json!({ "wifi": wifi.info(&ap, partial, frequency) }))
        }
        "connectBegin" => {
            let text = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_owned);
            let request = ConnectRequest {
                ssid: text("SSID"),
                bssid: text("BSSID"),
                password: text("password").unwrap_or_default(),
            };
            wifi.connect_begin(request, background)
                .await
                .map(|()| json!({}))
        }
        "connectFinish" => {
            let (ap, moved) = wifi.connect_finish().await?;
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
mod tests;
