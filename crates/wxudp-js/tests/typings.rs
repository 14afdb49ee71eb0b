//! Conformance with WeChat's official typings (npm `miniprogram-api-typings`, installed
//! in `typings/` by `npm ci`, as `.ci/run` does): every member the `UDPSocket` interface
//! declares exists on our socket object, and `tsc --checkJs` accepts the examples.
//! They need that install (and Node.js): CI does it and runs them; elsewhere they are
//! ignored with that reason (`--include-ignored` runs them), and without the install they
//! fail instead of skipping.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn typings_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../typings")
}

/// The typings file.
///
/// # Panics
/// When `(cd typings && npm ci)` has not run.
fn api_typings() -> PathBuf {
    let path = typings_dir().join("node_modules/miniprogram-api-typings/types/wx/lib.wx.api.d.ts");
    assert!(
        path.is_file(),
        "the official typings are not installed: run `(cd typings && npm ci)`"
    );
    path
}

/// The method names of `interface <name> { ... }` in a .d.ts text.
fn interface_members(dts: &str, name: &str) -> Vec<String> {
    let start = dts
        .find(&format!("interface {name} {{"))
        .unwrap_or_else(|| panic!("no interface {name}"));
    let body = &dts[start..];
    let end = body.find("\n    }").expect("the interface ends");
    let body = strip_comments(&body[..end]);
    let mut members: Vec<String> = body
        .lines()
        .skip(1)
        .filter_map(|line| {
            let line = line.trim_start();
            let ident: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let rest = line[ident.len()..].trim_start();
            (!ident.is_empty() && (rest.starts_with('(') || rest.starts_with('<'))).then_some(ident)
        })
        .collect();
    members.sort();
    members.dedup();
    members
}

fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        rest = match rest[i..].find("*/") {
            Some(j) => &rest[i + j + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs `(cd typings && npm ci)` and Node.js; runs under CI=true or with --include-ignored"
)]
fn udp_socket_has_every_member_the_typings_declare() {
    let path = api_typings();
    let dts = std::fs::read_to_string(path).unwrap();
    let members = interface_members(&dts, "UDPSocket");
    for expected in [
        "bind",
        "send",
        "connect",
        "write",
        "setTTL",
        "close",
        "onMessage",
        "offMessage",
    ] {
        assert!(
            members.iter().any(|m| m == expected),
            "typings lack {expected}: {members:?}"
        );
    }
    let dir = std::env::temp_dir().join(format!("wxudp-typings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("members.js");
    let storage = dir.join("storage.json");
    std::fs::write(
        &script,
        format!(
            r#"
const declared = {members};
const socket = wx.createUDPSocket();
const missing = declared.filter(function (m) {{ return typeof socket[m] !== 'function'; }});
if (missing.length) throw new Error('UDPSocket lacks ' + missing.join(', '));
if (typeof wx.createUDPSocket !== 'function') throw new Error('no wx.createUDPSocket');
wx.setStorageSync('checked', declared.length);
"#,
            members = serde_json::to_string(&members).unwrap()
        ),
    )
    .unwrap();
    let code = wxudp_js::run(
        &script,
        &wxudp_js::RunOptions {
            storage: Some(storage.clone()),
            timeout: Some(Duration::from_secs(30)),
            ..Default::default()
        },
    );
    let stored = std::fs::read_to_string(&storage).unwrap_or_default();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 0, "a declared member is missing (see stderr)");
    let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored["checked"], members.len());
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs `(cd typings && npm ci)` and Node.js; runs under CI=true or with --include-ignored"
)]
fn tsc_accepts_the_examples_with_the_typings() {
    api_typings();
    let dir = typings_dir();
    let tsc = dir.join("node_modules/typescript/bin/tsc");
    let out = Command::new("node")
        .arg(tsc)
        .args(["-p", "tsconfig.json"])
        .current_dir(&dir)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "tsc --checkJs failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn member_extraction() {
    let dts = "    interface UDPSocket {\n        /** close() doc\n         * send(x) */\n        close(): void\n        on<T>(x: T): void\n        bind(\n            port?: number\n        ): number\n        size: number\n    }\n";
    assert_eq!(interface_members(dts, "UDPSocket"), ["bind", "close", "on"]);
}
