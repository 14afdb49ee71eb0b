//! The flow view (`--report FILE.html`) in a real browser: the system's Chromium,
//! headless, driven by puppeteer-core (tests/browser/check.js): no console errors, an
//! arrow per datagram, a click shows the bytes; a 100,000-datagram run opens; the LAN
//! example's phone writes one too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

const NEEDS: &str = "needs Chromium (apt-get install chromium) and `npm ci` in crates/wxudp-cli/tests/browser; runs under CI=true or with --include-ignored";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Runs `wxudp` with `args`; its status must be 0.
fn wxudp(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_wxudp"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "wxudp {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Opens `report` with check.js; returns what it printed (one JSON object).
fn check(report: &Path, screenshot: Option<&Path>) -> serde_json::Value {
    assert!(
        browser_dir().join("node_modules/puppeteer-core").is_dir(),
        "{NEEDS}"
    );
    let mut cmd = Command::new("node");
    cmd.arg(browser_dir().join("check.js")).arg(report);
    if let Some(shot) = screenshot {
        cmd.arg("--screenshot").arg(shot);
    }
    let out = cmd.output().expect("node");
    assert!(
        out.status.success(),
        "the flow view failed its check: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[cfg_attr(not(wxudp_ci), ignore = "needs Chromium and npm packages; see NEEDS")]
fn the_flow_view_of_a_project_shows_every_datagram_and_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("run.html");
    let json = dir.path().join("run.json");
    let project = root().join("examples/project");
    let project = project.to_str().unwrap();
    wxudp(&["run", project, "--report", html.to_str().unwrap()]);
    wxudp(&["run", project, "--report", json.to_str().unwrap()]);
    // The page embeds the same report the JSON file holds (times and ports aside).
    let page = std::fs::read_to_string(&html).unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    for key in [
        "status", "reason", "project", "pages", "sockets", "timeline",
    ] {
        assert!(report.get(key).is_some(), "{key} in the JSON report");
        assert!(page.contains(&format!("\"{key}\":")), "{key} in the page");
    }
    let events = report["timeline"]["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for kind in ["life", "setData", "console", "datagram"] {
        assert!(kinds.contains(&kind), "a {kind} event in {kinds:?}");
    }
    let sent = events
        .iter()
        .find(|e| e["kind"] == "datagram" && e["dir"] == "send")
        .unwrap();
    assert_eq!(
        sent["site"], "utils/discovery.js:22",
        "where the page sent it"
    );

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("flow.png");
    let seen = check(&html, Some(&shot));
    eprintln!("{seen}");
    assert_eq!(seen["datagrams"], 4);
    assert_eq!(seen["arrows"], 4);
    assert!(shot.is_file(), "the screenshot");
}

#[test]
#[cfg_attr(not(wxudp_ci), ignore = "needs Chromium and npm packages; see NEEDS")]
fn a_request_gets_a_lane_of_its_origin() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("req.js");
    // A closed port on loopback: the request fails at once, and is drawn all the same.
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    std::fs::write(
        &script,
        format!("wx.request({{ url: 'http://127.0.0.1:{port}/x', fail: function (e) {{ console.log(e.errMsg); }} }});\n"),
    )
    .unwrap();
    let html = dir.path().join("req.html");
    wxudp(&[
        "run",
        script.to_str().unwrap(),
        "--report",
        html.to_str().unwrap(),
    ]);
    let seen = check(&html, None);
    let origin = format!("http://127.0.0.1:{port}");
    assert!(
        seen["lanes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == &origin),
        "{seen}"
    );
}

#[test]
#[cfg_attr(not(wxudp_ci), ignore = "needs Chromium and npm packages; see NEEDS")]
fn a_flow_view_of_100k_datagrams_opens() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("flood.js");
    // 100,000 datagrams to itself, 200 a turn, the next 200 once the last have come.
    std::fs::write(
        &script,
        r#"
const N = 100000;
const s = wx.createUDPSocket();
let got = 0, sent = 0;
s.onMessage(function () {
  got++;
  if (got === N) s.close();
  else if (got === sent) burst();
});
const port = s.bind();
function burst() {
  for (let i = 0; i < 200 && sent < N; i++, sent++) s.send({ address: '127.0.0.1', port: port, message: 'n' + sent });
}
burst();
"#,
    )
    .unwrap();
    let html = dir.path().join("flood.html");
    wxudp(&[
        "run",
        script.to_str().unwrap(),
        "--report",
        html.to_str().unwrap(),
    ]);
    let seen = check(&html, None);
    // The time it took is printed, never judged here (docs/PERFORMANCE.md).
    eprintln!("100k datagrams: {seen}");
    assert_eq!(seen["datagrams"], 200_000, "each sent and received");
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root, iproute2, Chromium and npm packages; runs under CI=true or with --include-ignored"
)]
fn the_lan_examples_phone_writes_a_flow_view() {
    // The SoftAP example, its phone asked for a report.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("softap");
    let status = Command::new("cp")
        .arg("-r")
        .arg(root().join("examples/lan/softap"))
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    let html = dir.path().join("phone.html");
    let toml = copy.join("lan.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let asked = text.replace(
        r#"args = ["--page", "pages/provision/provision?password=correct-horse-battery"]"#,
        &format!(
            r#"args = ["--page", "pages/provision/provision?password=correct-horse-battery", "--report", "{}"]"#,
            html.display()
        ),
    );
    assert_ne!(asked, text, "the phone's args in the example");
    std::fs::write(&toml, asked).unwrap();
    wxudp(&["lan", toml.to_str().unwrap()]);
    let seen = check(&html, None);
    eprintln!("the LAN example: {seen}");
    assert!(seen["datagrams"].as_u64().unwrap() >= 2, "{seen}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains(r#""kind":"wifi""#),
        "the Wi-Fi changes on the timeline"
    );
}
