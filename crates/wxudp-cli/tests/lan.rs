//! `wxudp lan`: the examples end to end (SoftAP provisioning, and its failure with a
//! wrong password; discovery; SSDP), the Wi-Fi errCodes against a LAN controller, the
//! capture, and teardown: no namespace, link or process left after an exit, Ctrl-C,
//! SIGTERM, a timeout, or SIGKILL followed by `wxudp lan --cleanup`. They need root and
//! iproute2 (CI); the user-namespace test runs the LAN as `nobody`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

const WAIT: Duration = Duration::from_secs(90);

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lan")
}

/// Waits for `child` (killing it after [`WAIT`]) and returns its output.
fn finish(child: Child) -> Output {
    common::finish_within(child, WAIT)
}

fn lan(args: &[&str]) -> (Output, u32) {
    let child = common::piped().arg("lan").args(args).spawn().unwrap();
    let pid = child.id();
    (finish(child), pid)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn both(out: &Output) -> String {
    format!(
        "--- stdout\n{}--- stderr\n{}",
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// The namespaces of the LAN whose controller was `pid`.
fn namespaces_of(pid: u32) -> Vec<String> {
    let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
    let ours = format!("wxudp-lan-{pid}");
    text(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n == ours || n.starts_with(&format!("{ours}-")))
        .map(str::to_owned)
        .collect()
}

/// Links of the test's own namespace named as the LAN names its bridges and ports.
fn lan_links_here() -> Vec<String> {
    let out = Command::new("ip").args(["-o", "link"]).output().unwrap();
    text(&out.stdout)
        .lines()
        .filter_map(|l| l.split(": ").nth(1))
        .map(|n| n.split('@').next().unwrap_or(n).to_owned())
        .filter(|n| {
            let port = n.starts_with('p')
                && n[1..]
                    .split('-')
                    .next()
                    .is_some_and(|d| d.parse::<u32>().is_ok());
            let bridge = n
                .strip_prefix("br")
                .is_some_and(|d| d.parse::<u32>().is_ok());
            port || bridge
        })
        .collect()
}

/// Asserts that the LAN of controller `pid` left no namespace and no link here.
fn assert_torn_down(pid: u32, before: &[String]) {
    assert_eq!(namespaces_of(pid), Vec::<String>::new(), "namespaces left");
    assert_eq!(lan_links_here(), before, "links changed on the host");
}

/// Whether process `pid` is gone (a zombie counts as gone: it runs no more).
fn gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

/// Waits (a while at most) until `pid` is gone.
fn assert_gone(pid: i32) {
    let deadline = Instant::now() + WAIT;
    while !gone(pid) {
        assert!(Instant::now() < deadline, "process {pid} is still running");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A LAN file in a temporary folder of its own, removed when dropped.
struct LanFile {
    dir: PathBuf,
    path: PathBuf,
}

impl LanFile {
    fn new(name: &str, text: &str) -> LanFile {
        let dir =
            std::env::temp_dir().join(format!("wxudp-lan-test-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("lan.toml");
        std::fs::write(&path, text).unwrap();
        LanFile { dir, path }
    }

    fn file(&self, name: &str, text: &str) -> &Self {
        std::fs::write(self.dir.join(name), text).unwrap();
        self
    }

    fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

impl Drop for LanFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The Ethernet frames of a pcap file written by `--pcap`.
fn frames(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..4], &0xa1b2_c3d4u32.to_ne_bytes(), "pcap magic");
    assert_eq!(&bytes[20..24], &1u32.to_ne_bytes(), "LINKTYPE_ETHERNET");
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let len = u32::from_ne_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        out.push(bytes[at + 16..at + 16 + len].to_vec());
        at += 16 + len;
    }
    out
}

/// The UDP datagrams among `frames`: (destination MAC, source, destination, payload).
fn udp(frames: &[Vec<u8>]) -> Vec<([u8; 6], String, String, Vec<u8>)> {
    frames
        .iter()
        .filter(|f| f.len() > 42 && f[12..14] == [0x08, 0x00] && f[23] == 17)
        .map(|f| {
            let ip = |o: usize| format!("{}.{}.{}.{}", f[o], f[o + 1], f[o + 2], f[o + 3]);
            let port = |o: usize| u16::from_be_bytes([f[o], f[o + 1]]);
            let ihl = usize::from(f[14] & 0x0f) * 4;
            let udp = 14 + ihl;
            (
                f[..6].try_into().unwrap(),
                format!("{}:{}", ip(26), port(udp)),
                format!("{}:{}", ip(30), port(udp + 2)),
                f[udp + 8..].to_vec(),
            )
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn the_mdns_example_finds_the_lamp_provisions_it_and_registers_it_over_http() {
    let before = lan_links_here();
    let file = examples().join("mdns/lan.toml");
    let (out, pid) = lan(&[file.to_str().unwrap()]);
    let all = both(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stdout = text(&out.stdout);
    for line in [
        " lamp | advertising Desk lamp (_lamp._udp.local.) on port 4210",
        "phone | found Desk lamp at 192.168.1.20:4210",
        " lamp | got the credentials of HomeWiFi from 192.168.1.2",
        "cloud | registered lamp-5ccf7f for https://servicewechat.com/touristappid/0/page-frame.html",
        r#"phone | the cloud answered 201: {"registered":true,"deviceId":"lamp-5ccf7f","token":"t-42"}"#,
        "phone | saved wxfile://usr/provision.log: provisioned lamp-5ccf7f token t-42",
    ] {
        assert!(stdout.contains(line), "no {line:?} in\n{all}");
    }
    let stderr = text(&out.stderr);
    for line in [
        r#"phone | [wx.showModal] HomeWiFi: The Wi-Fi password (editable, "password") -> confirm, content "correct-horse-battery""#,
        "phone | [wx.showToast] 配网成功",
        "wxudp lan: phone exited with status 0",
    ] {
        assert!(stderr.contains(line), "no {line:?} in\n{all}");
    }
    assert_torn_down(pid, &before);
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn the_controller_refuses_oversized_and_malformed_requests_and_keeps_running() {
    let before = lan_links_here();
    let file = LanFile::new(
        "frames",
        r#"
[[network]]
name = "home"
subnet = "192.168.1.0/24"
wifi = { ssid = "HomeWiFi", password = "correct-horse-battery" }

[[host]]
name = "raw"
command = ["python3", "-u", "raw.py"]
networks = ["home"]
"#,
    );
    file.file(
        "raw.py",
        r#"
import os, socket
def ask(data):
    s = socket.socket(socket.AF_UNIX)
    s.connect(os.environ["WXUDP_LAN_CONTROL"])
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the controller stopped reading: its answer is there
    answer = s.makefile("rb").readline()
    s.close()
    return answer.decode().strip()
print("long:", ask(b'{"op":"connect","SSID":"HomeWiFi","password":"' + b"x" * 10_000_000 + b'"}\n'))
print("bad:", ask(b'{"op":"format"}\n'))
print("scan:", ask(b'{"op":"scan"}\n')[:30])
"#,
    );
    let (out, pid) = lan(&[file.arg()]);
    let all = both(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stdout = text(&out.stdout);
    assert!(stdout.contains(r#"raw | long: {"ok":false,"errCode":12010,"reason":"the request is too long for the LAN controller"}"#), "{all}");
    assert!(stdout.contains(r#"raw | bad: {"ok":false,"errCode":12010,"reason":"the LAN controller cannot read the request: "#), "{all}");
    assert!(
        stdout.contains(r#"raw | scan: {"ok":true,"networks":[{"SSID""#),
        "{all}"
    );
    assert_torn_down(pid, &before);
}

/// The same page when the user cancels the password prompt: it stops there, before any
/// network (so it runs without a LAN).
#[test]
fn the_mdns_example_takes_its_cancel_branch_with_the_cancel_answers() {
    let dir = examples().join("mdns");
    let report = LanFile::new("mdns-cancel", "");
    let path = report.dir.join("report.json");
    let out = common::run(&[
        "run",
        dir.join("app").to_str().unwrap(),
        "--answers",
        dir.join("answers/cancel.json").to_str().unwrap(),
        "--report",
        path.to_str().unwrap(),
        "--timeout",
        "30",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert_eq!(text(&out.stdout), "the user cancelled\n");
    assert!(text(&out.stderr).contains("-> cancel"), "{}", both(&out));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let data = &r["pages"][0]["data"];
    assert_eq!(data["status"], "cancelled");
    assert_eq!(data["lamp"], serde_json::Value::Null);
    assert_eq!(r["requests"], serde_json::json!([]));
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn the_softap_example_provisions_the_lamp_and_captures_each_network() {
    let before = lan_links_here();
    let pcap = LanFile::new("softap-pcap", "");
    let file = examples().join("softap/lan.toml");
    let (out, pid) = lan(&[file.to_str().unwrap(), "--pcap", pcap.dir.to_str().unwrap()]);
    let all = both(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stdout = text(&out.stdout);
    for line in [
        "phone | on HomeWiFi as 192.168.1.2",
        "phone | on ESP_5CCF7F as 192.168.4.2",
        " lamp | got the credentials of HomeWiFi from 192.168.4.2",
        "phone | back on HomeWiFi as 192.168.1.2",
        " lamp | joined HomeWiFi as 192.168.1.3",
        "phone | found Desk lamp (5c:cf:7f:00:00:01) at 192.168.1.3:4210",
        " lamp | switched on by 192.168.1.2",
        "phone | Desk lamp is on",
        "phone | network changed: wifi",
    ] {
        assert!(stdout.contains(line), "no {line:?} in\n{all}");
    }
    let stderr = text(&out.stderr);
    for line in [
        "wxudp lan: phone joined ESP_5CCF7F (lamp-ap) as 192.168.4.2",
        "wxudp lan: lamp joined HomeWiFi (home) as 192.168.1.3",
        "phone | [wx.showToast] 配网成功",
        "wxudp lan: phone exited with status 0",
    ] {
        assert!(stderr.contains(line), "no {line:?} in\n{all}");
    }
    assert_torn_down(pid, &before);

    // The capture: the credentials on the lamp's network, the broadcast at home.
    let ap = udp(&frames(&pcap.dir.join("lamp-ap.pcap")));
    assert!(
        ap.iter()
            .any(|(_, from, to, data)| from.starts_with("192.168.4.2:")
                && to == "192.168.4.1:8266"
                && contains(data, b"correct-horse-battery")),
        "{ap:?}"
    );
    assert!(ap
        .iter()
        .any(|(_, from, _, data)| from == "192.168.4.1:8266" && contains(data, b"\"ok\":true")));
    let home = udp(&frames(&pcap.dir.join("home.pcap")));
    assert!(
        home.iter().any(|(mac, from, to, data)| *mac == [0xff; 6]
            && from.starts_with("192.168.1.2:")
            && to == "255.255.255.255:4210"
            && data == br#"{"cmd":"discover"}"#),
        "{home:?}"
    );
    assert!(
        !home.iter().any(|(_, _, to, _)| to.ends_with(":8266")),
        "the credentials stayed on the lamp's network"
    );
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn a_wrong_password_fails_the_provisioning() {
    let before = lan_links_here();
    let softap = examples().join("softap").canonicalize().unwrap();
    let original = std::fs::read_to_string(softap.join("lan.toml")).unwrap();
    let broken = original
        .replace(
            "?password=correct-horse-battery",
            "?password=wrong-horse-battery",
        )
        .replace("run = \"", &format!("run = \"{}/", softap.display()));
    assert_ne!(broken, original);
    let file = LanFile::new("softap-wrong", &broken);
    let (out, pid) = lan(&[file.arg()]);
    let all = both(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        text(&out.stderr)
            .contains("provisioning failed: connectWifi:fail password error Wi-Fi (errCode 12002)"),
        "{all}"
    );
    assert!(
        text(&out.stderr).contains("wxudp lan: phone exited with status 1"),
        "{all}"
    );
    assert!(!text(&out.stdout).contains("Desk lamp is on"), "{all}");
    assert_torn_down(pid, &before);
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root, iproute2 and python3 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn the_discovery_and_ssdp_examples_find_every_device() {
    let before = lan_links_here();
    let (out, pid) = lan(&[examples().join("discovery/lan.toml").to_str().unwrap()]);
    let all = both(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("phone | found Kitchen plug (plug) at 192.168.1.50"),
        "{all}"
    );
    assert!(
        stdout.contains("phone | found Hall bulb (bulb) at 192.168.1.2"),
        "{all}"
    );
    assert!(
        stdout.contains(" bulb | probe from 192.168.1.3 to 255.255.255.255"),
        "{all}"
    );
    assert_torn_down(pid, &before);

    let (out, pid) = lan(&[examples().join("ssdp/lan.toml").to_str().unwrap()]);
    let all = both(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("found Living room TV at 10.0.0.2: http://10.0.0.2:49152/description.xml"),
        "{all}"
    );
    assert!(
        stdout.contains("found Kitchen speaker at 10.0.0.3"),
        "{all}"
    );
    assert!(stdout.contains("found every renderer"), "{all}");
    assert_torn_down(pid, &before);
}

/// A LAN whose phone checks the Wi-Fi APIs against the controller: each errCode the
/// controller decides, a move and what follows it (the address, the events, a socket
/// bound before), and a host that starts on no network and joins one.
#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn wifi_in_a_lan_moves_the_host_and_answers_each_errcode() {
    let before = lan_links_here();
    let file = LanFile::new(
        "wifi",
        &format!(
            r#"
timeout = 60

[[network]]
name = "home"
subnet = "192.168.1.0/24"
wifi = {{ ssid = "HomeWiFi", password = "correct-horse-battery" }}

[[network]]
name = "cafe"
subnet = "10.20.0.0/16"
wifi = {{ ssid = "Cafe", signal = 60, frequency = 5180 }}

[[network]]
name = "far"
subnet = "172.16.0.0/24"
wifi = {{ ssid = "FarAway", password = "whatever-it-is", signal = 0 }}

[[network]]
name = "lab"
subnet = "192.168.9.0/24"

[[host]]
name = "echo"
command = ["{wxudp}", "echo", "7000"]
networks = [{{ network = "cafe", address = "10.20.0.1" }}]
ready = "listening"

[[host]]
name = "late"
run = "late.js"
networks = []
ready = "joined"

[[host]]
name = "phone"
main = true
run = "phone.js"
networks = ["home", "lab"]
"#,
            wxudp = env!("CARGO_BIN_EXE_wxudp")
        ),
    );
    file.file(
        "late.js",
        r#"
(async function () {
  await wx.startWifi();
  const none = await wx.getConnectedWifi().catch(function (e) { return e; });
  console.log('before: ' + none.errCode + ' ' + none.errMsg);
  await wx.connectWifi({ SSID: 'HomeWiFi', password: 'correct-horse-battery' });
  console.log('joined as ' + (await wx.getLocalIPAddress()).localip);
})();
"#,
    )
    .file(
        "phone.js",
        r#"
function check(cond, what) { if (!cond) throw new Error('failed: ' + what); }
async function fails(promise) {
  try { await promise; } catch (e) { return e; }
  throw new Error('expected a failure');
}
(async function () {
  const events = [];
  wx.onNetworkStatusChange(function (res) { events.push('network ' + res.isConnected + ' ' + res.networkType); });
  wx.onWifiConnected(function (res) { events.push('connected ' + res.wifi.SSID); });
  check((await fails(wx.getConnectedWifi())).errCode === 12000, '12000 before startWifi');
  await wx.startWifi();
  const home = (await wx.getConnectedWifi()).wifi;
  check(home.SSID === 'HomeWiFi' && home.secure === true, 'on HomeWiFi: ' + JSON.stringify(home));
  const before = await wx.getLocalIPAddress();
  check(before.localip === '192.168.1.2' && before.netmask === '255.255.255.0', 'home address ' + JSON.stringify(before));

  const list = [];
  wx.onGetWifiList(function (res) { res.wifiList.forEach(function (w) { list.push(w.SSID + ' ' + w.signalStrength); }); });
  await wx.getWifiList();

  const socket = wx.createUDPSocket();
  const port = socket.bind();
  const wrong = await fails(wx.connectWifi({ SSID: 'HomeWiFi', password: 'wrong-horse-battery' }));
  check(wrong.errCode === 12002 && wrong.errMsg === 'connectWifi:fail password error Wi-Fi', '12002 ' + JSON.stringify(wrong));
  check((await fails(wx.connectWifi({ SSID: 'Nowhere', password: '12345678' }))).errCode === 12008, '12008');
  check((await fails(wx.connectWifi({ SSID: 'FarAway', password: 'whatever-it-is' }))).errCode === 12003, '12003');
  check((await fails(wx.connectWifi({ SSID: 'Cafe', password: '', BSSID: '02:00:00:00:00:00' }))).errCode === 12008, 'wrong BSSID');
  check((await wx.getLocalIPAddress()).localip === '192.168.1.2', 'no move after failures');
  check(events.length === 0, 'no events after failures: ' + events);

  const joined = await wx.connectWifi({ SSID: 'Cafe', password: '' });
  check(joined.errMsg === 'connectWifi:ok', 'joined Cafe');
  const cafe = await wx.getLocalIPAddress();
  check(cafe.localip === '10.20.0.2' && cafe.netmask === '255.255.0.0', 'cafe address ' + JSON.stringify(cafe));
  const now = (await wx.getConnectedWifi()).wifi;
  check(now.SSID === 'Cafe' && now.secure === false && now.frequency === 5180, 'on Cafe ' + JSON.stringify(now));
  check(events.join(',') === 'network true wifi,connected Cafe', 'events ' + events);

  // The socket bound before the move talks on the new network.
  const reply = new Promise(function (resolve) {
    socket.onMessage(function (res) { resolve(res); });
  });
  socket.send({ address: '10.20.0.1', port: 7000, message: 'ping' });
  const res = await reply;
  check(new TextDecoder().decode(res.message) === 'ping' && res.remoteInfo.address === '10.20.0.1', 'echo');
  check(res.localInfo.port === port, 'same socket');

  await wx.connectWifi({ SSID: 'HomeWiFi', password: 'correct-horse-battery' });
  check((await wx.getLocalIPAddress()).localip === '192.168.1.2', 'the same address back home');
  socket.close();
  console.log('listed ' + list.join(', '));
  console.log('all checks passed');
})().catch(function (e) { console.log(String(e)); throw e; });
"#,
    );
    let (out, pid) = lan(&[file.arg()]);
    let all = both(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("phone | all checks passed"), "{all}");
    assert!(
        stdout.contains("phone | listed HomeWiFi 80, Cafe 60"),
        "{all}"
    );
    assert!(
        stdout.contains(" late | before: 12010 getConnectedWifi:fail no wifi is connected"),
        "{all}"
    );
    assert!(stdout.contains(" late | joined as 192.168.1.3"), "{all}");
    assert!(
        text(&out.stderr)
            .contains("wxudp lan: phone could not join HomeWiFi (home): wrong password"),
        "{all}"
    );
    assert_torn_down(pid, &before);
}

/// The LAN of the teardown tests: a device host that leaves a process in the
/// background, and a main host that runs until it is stopped; both print their process
/// ids.
fn lasting_lan(name: &str) -> LanFile {
    LanFile::new(
        name,
        r#"
[[network]]
name = "home"
subnet = "192.168.1.0/24"

[[host]]
name = "device"
command = "sleep 600 & echo device $$ child $!; wait"
networks = ["home"]
ready = "child"

[[host]]
name = "phone"
main = true
command = "echo phone $$; exec sleep 600"
networks = ["home"]
"#,
    )
}

/// Starts the lasting LAN and returns the controller and the pids the hosts printed
/// (device, its background child, phone).
fn start_lasting(file: &LanFile, extra: &[&str]) -> (Child, Vec<i32>) {
    let mut child = common::piped()
        .arg("lan")
        .arg(file.arg())
        .args(extra)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut pids = Vec::new();
    let mut line = String::new();
    while pids.len() < 3 {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the LAN ended early"
        );
        let numbers: Vec<i32> = line
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        pids.extend(numbers);
    }
    // Keep reading so that the hosts never block on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    (child, pids)
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn ctrl_c_sigterm_and_the_timeout_tear_everything_down() {
    let before = lan_links_here();
    let file = lasting_lan("lasting-signals");
    for (signal, status) in [
        (Signal::SIGINT, 130),
        (Signal::SIGTERM, 143),
        (Signal::SIGHUP, 129),
    ] {
        let (child, pids) = start_lasting(&file, &[]);
        let pid = child.id();
        assert_eq!(namespaces_of(pid).len(), 3, "the LAN runs");
        kill(Pid::from_raw(pid as i32), signal).unwrap();
        let out = finish(child);
        assert_eq!(out.status.code(), Some(status), "{signal}: {}", both(&out));
        for p in pids {
            assert_gone(p);
        }
        assert_torn_down(pid, &before);
    }
    // The timeout counts from the start: it may end the LAN while it starts, or later.
    let (out, pid) = lan(&[file.arg(), "--timeout", "2"]);
    assert_eq!(out.status.code(), Some(124), "{}", both(&out));
    assert!(text(&out.stderr).contains("wxudp lan: timed out after 2s"));
    assert_torn_down(pid, &before);
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn after_sigkill_the_hosts_die_and_cleanup_removes_the_rest() {
    let before = lan_links_here();
    let file = lasting_lan("lasting-sigkill");
    let (mut child, pids) = start_lasting(&file, &[]);
    let pid = child.id();
    child.kill().unwrap();
    child.wait().unwrap();
    // The hosts die with their controller.
    assert_gone(pids[0]);
    assert_gone(pids[2]);
    // Their namespaces stay (and the background child inside one) until --cleanup,
    // ours or that of another test run on this machine, which may come first.
    let left = namespaces_of(pid);
    let out = finish(common::piped().args(["lan", "--cleanup"]).spawn().unwrap());
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    for name in left {
        assert!(
            text(&out.stderr).contains(&format!("wxudp lan: removed {name}\n"))
                || !Path::new("/run/netns").join(&name).exists(),
            "{name}: {}",
            both(&out)
        );
    }
    assert_gone(pids[1]);
    assert_torn_down(pid, &before);
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root to become nobody, iproute2 and python3; runs under CI=true or with --include-ignored"
)]
fn without_root_it_runs_in_a_user_namespace_or_says_why_not() {
    let file = examples().join("discovery/lan.toml");
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_wxudp"))
        .arg("lan")
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = finish(cmd.spawn().unwrap());
    let all = both(&out);
    let stderr = text(&out.stderr);
    if stderr.contains("run wxudp lan as root") {
        // A kernel that does not allow it: said plainly, nothing made.
        assert_eq!(out.status.code(), Some(1), "{all}");
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        stderr.contains("wxudp lan: not root: the LAN runs in a user namespace of its own"),
        "{all}"
    );
    assert!(
        text(&out.stdout).contains("phone | found every device"),
        "{all}"
    );
}

#[test]
fn a_bad_lan_file_is_a_usage_error() {
    let file = LanFile::new(
        "bad",
        "[[network]]\nname = \"home\"\nsubnet = \"192.168.1.7/24\"\n",
    );
    let out = finish(common::piped().args(["lan", file.arg()]).spawn().unwrap());
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(
        text(&out.stderr).contains("has host bits set; did you mean 192.168.1.0/24?"),
        "{}",
        both(&out)
    );
    let out = finish(
        common::piped()
            .args(["lan", "/no/such/lan.toml"])
            .spawn()
            .unwrap(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read /no/such/lan.toml"));
}

/// 12011: in the hide hooks (the app goes to the background on a signal), connectWifi
/// and getWifiList fail; outside a LAN, no root needed.
#[test]
fn wifi_in_the_background_fails_with_12011() {
    let file = LanFile::new(
        "background",
        "", // only the folder is used
    );
    file.file(
        "hidden.js",
        r#"
wx.onAppHide(function () {
  wx.connectWifi({ SSID: 'wxudp', password: 'any-passphrase', fail(res) { console.log('connect ' + res.errCode + ' ' + res.errMsg); } });
  wx.getWifiList({ fail(res) { console.log('list ' + res.errCode + ' ' + res.errMsg); } });
});
wx.startWifi({ success() { console.log('ready'); } });
setInterval(function () {}, 1000);
"#,
    );
    let mut child = common::piped()
        .args([
            "run",
            file.dir.join("hidden.js").to_str().unwrap(),
            "--timeout",
            "60",
        ])
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let out = finish(child);
    assert_eq!(out.status.code(), Some(143), "{rest}{}", text(&out.stderr));
    assert!(
        rest.contains("connect 12011 connectWifi:fail weapp in background"),
        "{rest}"
    );
    assert!(
        rest.contains("list 12011 getWifiList:fail weapp in background"),
        "{rest}"
    );
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn the_replay_example_provisions_a_lamp_that_is_a_capture() {
    let before = lan_links_here();
    let file = examples().join("replay/lan.toml");
    let (out, pid) = lan(&[file.to_str().unwrap()]);
    let all = both(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stdout = text(&out.stdout);
    for line in [
        " lamp | replaying 3 exchanges of lamp.pcap on ports 4210, 8266",
        "to port 8266 with request #0's 1 answer",
        "phone | found Desk lamp (5c:cf:7f:00:00:01) at 192.168.1.3:4210",
        "phone | Desk lamp is on",
    ] {
        assert!(stdout.contains(line), "no {line:?} in\n{all}");
    }
    assert_torn_down(pid, &before);
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn a_recorded_session_replays_and_what_it_cannot_match_is_said() {
    // Record the scripted lamp of the SoftAP example...
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec");
    let (out, _) = lan(&[
        examples().join("softap/lan.toml").to_str().unwrap(),
        "--record",
        rec.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(
        text(&out.stderr).contains("recorded lamp into"),
        "{}",
        both(&out)
    );
    // ...and replay it, with no delays: the page provisions it as before.
    let replay = std::fs::read_to_string(examples().join("replay/lan.toml"))
        .unwrap()
        .replace(
            r#"replay = { file = "captures/lamp.pcap", match = "bytes" }"#,
            &format!(
                r#"replay = {{ file = "{}", match = "bytes", delays = false }}"#,
                rec.join("lamp.pcap").display()
            ),
        )
        .replace(
            r#"run = "../softap/app""#,
            &format!(r#"run = "{}""#, examples().join("softap/app").display()),
        );
    let file = dir.path().join("replay.toml");
    std::fs::write(&file, &replay).unwrap();
    let (out, _) = lan(&[file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(
        text(&out.stdout).contains("phone | Desk lamp is on"),
        "{}",
        both(&out)
    );

    // A page that sends what the lamp never heard (another password) is told nothing,
    // and the replay says so at once: the run ends by its timeout, not a hang.
    let wrong = replay.replace(
        "password=correct-horse-battery",
        "password=another-password",
    );
    std::fs::write(&file, wrong).unwrap();
    let (out, _) = lan(&[file.to_str().unwrap(), "--timeout", "15"]);
    let all = both(&out);
    assert!(
        text(&out.stdout).contains(" lamp | replay: no recorded answer for "),
        "{all}"
    );
    assert_ne!(out.status.code(), Some(0), "{all}");
}
