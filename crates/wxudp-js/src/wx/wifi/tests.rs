#![allow(clippy::unwrap_used)]

use super::backend::{Answer, Joined, LanClient};
use super::*;

/// Runs a future of the state machine to its end.
fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A backend that answers from a list, with one password per SSID.
struct Fake {
    aps: Vec<(Ap, &'static str)>,
    connected: Option<Ap>,
    fail_join: Option<Fail>,
}

impl Fake {
    fn join_now(&mut self, ap: &Ap, password: &str) -> Result<Joined, Fail> {
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

impl Backend for Fake {
    fn scan(&mut self) -> Answer<'_, Vec<Ap>> {
        let aps = self.aps.iter().map(|(ap, _)| ap.clone()).collect();
        Box::pin(std::future::ready(Ok(aps)))
    }
    fn connected(&mut self) -> Answer<'_, Option<Ap>> {
        Box::pin(std::future::ready(Ok(self.connected.clone())))
    }
    fn join<'a>(&'a mut self, ap: &'a Ap, password: &'a str) -> Answer<'a, Joined> {
        let joined = self.join_now(ap, password);
        Box::pin(std::future::ready(joined))
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
    let list = block(w.list(false)).unwrap();
    assert_eq!(list.len(), 3, "the out-of-range AP is not listed");
    assert_eq!(block(w.connected()).unwrap().ssid, "HomeWiFi");
    block(w.connect_begin(connect("ESP_5CCF7F", ""), false)).unwrap();
    let (joined, moved) = block(w.connect_finish()).unwrap();
    assert_eq!((joined.ssid.as_str(), moved), ("ESP_5CCF7F", true));
    assert_eq!(block(w.connected()).unwrap().ssid, "ESP_5CCF7F");
    block(w.connect_begin(connect("HomeWiFi", "correct-horse"), false)).unwrap();
    assert!(block(w.connect_finish()).unwrap().1);
    // The same network again: success, no move.
    block(w.connect_begin(connect("HomeWiFi", "correct-horse"), false)).unwrap();
    assert!(!block(w.connect_finish()).unwrap().1);
    w.stop().unwrap();
}

#[test]
fn errcode_12000_not_init() {
    let mut w = lan(Platform::Android);
    assert_eq!(code_of(block(w.list(false))), code::NOT_INIT);
    assert_eq!(code_of(block(w.connected())), code::NOT_INIT);
    assert_eq!(
        code_of(block(
            w.connect_begin(connect("HomeWiFi", "correct-horse"), false)
        )),
        code::NOT_INIT
    );
    assert_eq!(code_of(w.stop()), code::NOT_INIT);
    w.start().unwrap();
    w.stop().unwrap();
    assert_eq!(
        code_of(block(w.connected())),
        code::NOT_INIT,
        "after stopWifi"
    );
}

#[test]
fn errcode_12001_not_a_phone() {
    for p in [Platform::Windows, Platform::Mac, Platform::Devtools] {
        let mut w = lan(p);
        assert_eq!(code_of(w.start()), code::NOT_SUPPORTED, "{p}");
        assert_eq!(code_of(block(w.connected())), code::NOT_SUPPORTED, "{p}");
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
        block(w.connect_begin(connect("HomeWiFi", "wrong-horse"), false)).unwrap();
        let f = block(w.connect_finish()).unwrap_err();
        assert_eq!(f, Fail::new(code::PASSWORD, "password error Wi-Fi"));
        assert_eq!(
            block(w.connected()).unwrap().ssid,
            "HomeWiFi",
            "did not move"
        );
    }
    // A password no WPA network takes, on Android.
    let mut w = lan(Platform::Android);
    w.start().unwrap();
    assert_eq!(
        code_of(block(w.connect_begin(connect("HomeWiFi", "short"), false))),
        code::PASSWORD
    );
}

#[test]
fn errcode_12003_connection_timeout() {
    let mut w = lan(Platform::Android);
    w.start().unwrap();
    let f = block(w.connect_begin(connect("Far", "whatever1"), false)).unwrap_err();
    assert_eq!(f, Fail::new(code::TIMEOUT, "connection timeout"));
    // Android only: iOS reports it as a system error with the reason.
    let mut w = lan(Platform::Ios);
    w.start().unwrap();
    let f = block(w.connect_begin(connect("Far", "whatever1"), false)).unwrap_err();
    assert_eq!(f, Fail::new(code::SYSTEM, "connection timeout"));
    // A controller that does not answer in time.
    let mut w = lan(Platform::Android);
    w.backend = Box::new(Fake {
        aps: vec![(ap("HomeWiFi", Security::Open, 50), "")],
        connected: None,
        fail_join: Some(Fail::new(code::TIMEOUT, "connection timeout")),
    });
    w.start().unwrap();
    block(w.connect_begin(connect("HomeWiFi", ""), false)).unwrap();
    assert_eq!(code_of(block(w.connect_finish())), code::TIMEOUT);
}

#[test]
fn errcode_12004_duplicate_request() {
    let mut w = lan(Platform::Android);
    w.start().unwrap();
    block(w.connect_begin(connect("ESP_5CCF7F", ""), false)).unwrap();
    assert_eq!(
        code_of(block(
            w.connect_begin(connect("HomeWiFi", "correct-horse"), false)
        )),
        code::DUPLICATE
    );
    block(w.connect_finish()).unwrap();
    block(w.connect_begin(connect("HomeWiFi", "correct-horse"), false)).unwrap();
}

#[test]
fn errcode_12005_wifi_off() {
    let mut w = Wifi::new(Platform::Android, false, Box::new(Phone::new(None)));
    w.start().unwrap();
    assert_eq!(
        block(w.connected()).unwrap_err(),
        Fail::new(code::WIFI_OFF, "wifi not turned on")
    );
    assert_eq!(code_of(block(w.list(false))), code::WIFI_OFF);
    assert_eq!(
        code_of(block(w.connect_begin(connect("wxudp", "12345678"), false))),
        code::WIFI_OFF
    );
    // Android only: 12010 with the reason on iOS.
    let mut w = Wifi::new(Platform::Ios, false, Box::new(Phone::new(None)));
    w.start().unwrap();
    assert_eq!(
        block(w.connected()).unwrap_err(),
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
            block(w.connect_begin(bad.clone(), false)).unwrap_err(),
            Fail::new(code::INVALID_SSID, "invalid SSID"),
            "{bad:?}"
        );
    }
    // The right BSSID is fine.
    block(w.connect_begin(
        ConnectRequest {
            bssid: Some(bssid_for("HomeWiFi").to_uppercase()),
            ..connect("HomeWiFi", "correct-horse")
        },
        false,
    ))
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
        block(w.connected()).unwrap_err(),
        Fail::new(code::SYSTEM, "no wifi is connected")
    );
    assert_eq!(code_of(block(w.connect_finish())), code::SYSTEM);
    // A LAN controller that is not there.
    let mut w = Wifi::new(
        Platform::Android,
        true,
        Box::new(LanClient::new(PathBuf::from("/nonexistent/wxudp-lan.sock"))),
    );
    w.start().unwrap();
    let f = block(w.connected()).unwrap_err();
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
    assert_eq!(code_of(block(w.list(true))), code::BACKGROUND);
    assert_eq!(
        code_of(block(
            w.connect_begin(connect("HomeWiFi", "correct-horse"), true)
        )),
        code::BACKGROUND
    );
}

#[test]
fn errcode_12014_invalid_key_on_ios() {
    let mut w = lan(Platform::Ios);
    w.start().unwrap();
    assert_eq!(
        block(w.connect_begin(connect("HomeWiFi", "short"), false)).unwrap_err(),
        Fail::new(code::INVALID_KEY, "invalid WEP / WPA password")
    );
    assert_eq!(
        code_of(block(
            w.connect_begin(connect("OldRouter", "abcdef"), false)
        )),
        code::INVALID_KEY
    );
    block(w.connect_begin(connect("OldRouter", "abcde"), false)).unwrap();
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
    let json = serde_json::to_value(&home).unwrap();
    assert_eq!(serde_json::from_value::<Ap>(json).ok(), Some(home));
    assert_eq!(bssid_for("x"), bssid_for("x"));
    assert_ne!(bssid_for("x"), bssid_for("y"));
}
