//! `wxudp run`: whatever a script throws is reported readably (like Node's
//! `Uncaught { a: 1 }`), never as a raw pointer, and describing it cannot crash the run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};

#[test]
fn thrown_non_errors_are_described_readably() {
    let dir = std::env::temp_dir().join(format!("wxudp-uncaught-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("app.js");
    std::fs::write(
        &script,
        r#"
setTimeout(() => { throw { a: 1 }; }, 0);
setTimeout(() => { throw Object.create(null); }, 0);
setTimeout(() => { throw Symbol('s'); }, 0);
setTimeout(() => { throw { toString() { throw new Error('no'); }, get bad() { throw 1; } }; }, 0);
setTimeout(() => { throw new Proxy({}, { ownKeys() { throw 2; }, getPrototypeOf() { throw 3; } }); }, 0);
Promise.reject({ reason: 'x' });
"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wxudp"))
        .arg("run")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "Uncaught (in promise) { reason: 'x' }\n\
         Uncaught { a: 1 }\n\
         Uncaught [Object: null prototype] {}\n\
         Uncaught Symbol(s)\n\
         Uncaught { toString: [Function: toString], bad: <unreadable> }\n\
         Uncaught {}\n"
    );
}

#[test]
fn a_missing_wx_api_is_named_once_and_feature_detection_still_works() {
    let dir = std::env::temp_dir().join(format!("wxudp-missing-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("app.js");
    std::fs::write(
        &script,
        r#"
console.log(typeof wx.startBeaconDiscovery, 'startBeaconDiscovery' in wx, !!wx.createUDPSocket);
if (!uni.getBLEDeviceServices) console.log('no BLE');
const o = {};
setTimeout(() => { o.nope(); }, 0);
setTimeout(() => { Taro.startBeaconDiscovery({}); }, 1);
setTimeout(() => { wx.startBeaconDiscovery({}); }, 2);
setTimeout(() => { wx.toString(); wx.onSomething(() => 1); }, 3);
"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wxudp"))
        .arg("run")
        .arg(&script)
        .args(["--base-library", "2.30.0"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "undefined false true\nno BLE\n"
    );
    let notes: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("wxudp: "))
        .collect();
    // The unrelated TypeError gets no note; the same missing API is told once, whichever
    // name of wx it was called by.
    assert_eq!(
        notes,
        [
            "wxudp: wx.startBeaconDiscovery is not available in wxudp (base library 2.30.0); see docs/PLATFORM.md",
            "wxudp: wx.onSomething is not available in wxudp (base library 2.30.0); see docs/PLATFORM.md",
        ],
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("Uncaught TypeError: not a function").count(),
        4,
        "{stderr}"
    );
}
