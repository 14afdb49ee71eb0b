//! Runs each JavaScript fixture in `tests/js` with the runtime and checks that it
//! finished: exit status 0 and its `done()` recorded in a storage file of its own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use wxudp_js::{run, RunOptions};

fn fixture(name: &str) {
    fixture_with(name, RunOptions::default());
}

fn fixture_with(name: &str, mut options: RunOptions) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    let storage = std::env::temp_dir().join(format!(
        "wxudp-fixture-{}-{}.json",
        std::process::id(),
        name.replace('/', "_")
    ));
    let _ = std::fs::remove_file(&storage);
    options.storage = Some(storage.clone());
    options.timeout.get_or_insert(Duration::from_secs(60));
    let code = run(&dir.join(name), &options);
    let stored = std::fs::read_to_string(&storage).unwrap_or_default();
    let _ = std::fs::remove_file(&storage);
    assert_eq!(code, 0, "{name} exited with {code}");
    let stored: serde_json::Value = serde_json::from_str(&stored).unwrap_or_default();
    assert_eq!(stored["__done__"], true, "{name} did not reach done()");
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

#[test]
fn file_system_manager() {
    fixture("fs.js");
}

#[test]
fn prompts_take_their_answers_from_the_answers_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    fixture_with(
        "prompts.js",
        RunOptions {
            answers: Some(dir.join("prompts.answers.json")),
            ..RunOptions::default()
        },
    );
}

#[test]
fn udp_basics() {
    fixture("udp_basics.js");
}

#[test]
fn udp_send_forms() {
    fixture("udp_send_forms.js");
}

#[test]
fn send_memory_safety() {
    fixture("send_memory.js");
}

#[test]
fn udp_errors() {
    fixture("udp_errors.js");
}

#[test]
fn udp_close() {
    fixture("udp_close.js");
}

#[test]
fn udp_listeners() {
    fixture("udp_listeners.js");
}

#[test]
fn udp_connect_write_ttl() {
    fixture("udp_connect.js");
}

#[test]
fn udp6() {
    fixture("udp6.js");
}

#[test]
fn environment() {
    fixture("env.js");
}

#[test]
fn wx_api() {
    fixture("wx_api.js");
}

#[test]
fn storage() {
    fixture("storage.js");
}

#[test]
fn set_data_paths() {
    fixture("set_data.js");
}

#[test]
fn modules() {
    fixture("modules.js");
}

#[test]
fn old_base_library() {
    fixture_with(
        "old_base_library.js",
        RunOptions {
            base_library: "2.9.3".parse().unwrap(),
            udp_domains: vec!["localhost".into()],
            ..RunOptions::default()
        },
    );
}

#[test]
fn every_example_runs() {
    for name in [
        "hello.js",
        "discovery.js",
        "wake_on_lan.js",
        "connect_write.js",
        "udp6.js",
        "modules/app.js",
        "project",
    ] {
        let code = run(
            &example(name),
            &RunOptions {
                timeout: Some(Duration::from_secs(60)),
                ..RunOptions::default()
            },
        );
        assert_eq!(code, 0, "examples/{name} exited with {code}");
    }
}

#[test]
fn wifi_outside_a_lan() {
    // A phone on the default network, on Android and iOS.
    fixture("wifi.js");
    fixture_with(
        "wifi.js",
        RunOptions {
            platform: wxudp_js::Platform::Ios,
            ..RunOptions::default()
        },
    );
    // Wi-Fi switched off.
    for platform in [wxudp_js::Platform::Android, wxudp_js::Platform::Ios] {
        fixture_with(
            "wifi.js",
            RunOptions {
                wifi: None,
                platform,
                ..RunOptions::default()
            },
        );
    }
    // WeChat on a computer.
    fixture_with(
        "wifi.js",
        RunOptions {
            platform: wxudp_js::Platform::Windows,
            ..RunOptions::default()
        },
    );
}
