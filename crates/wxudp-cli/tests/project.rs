//! `wxudp run DIR`: the example project (app.json, two pages, utils/, an ES module, a
//! .ts file) discovering a device that answers on loopback, with --trace, --pcap and
//! --report read back; the same project with uni./Taro. spellings; mini games, --page,
//! --platform, folders that are neither; ES modules and TypeScript line numbers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::thread::JoinHandle;

use common::{finish, wxudp, Folder as Temp, WAIT};

fn example_project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/project")
}

/// A device on loopback: answers the first probe it gets with its id and name, and
/// returns the probe.
fn device(id: &'static str, name: &'static str) -> (u16, JoinHandle<Vec<u8>>) {
    let sock = UdpSocket::bind("0.0.0.0:0").unwrap();
    sock.set_read_timeout(Some(WAIT)).unwrap();
    let port = sock.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        let (n, from) = sock.recv_from(&mut buf).expect("a probe");
        let reply = format!(r#"{{"id":"{id}","name":"{name}"}}"#);
        sock.send_to(reply.as_bytes(), from).unwrap();
        buf[..n].to_vec()
    });
    (port, handle)
}

fn run(args: &[&str]) -> Output {
    let child = wxudp()
        .arg("run")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    finish(child)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// One record of a pcap file: an IPv4 UDP packet's addresses, ports and payload.
#[derive(Debug)]
struct Packet {
    src: [u8; 4],
    dst: [u8; 4],
    src_port: u16,
    dst_port: u16,
    payload: Vec<u8>,
}

/// Parses a libpcap file of LINKTYPE_RAW IPv4 UDP packets, checking every length and
/// checksum.
fn parse_pcap(bytes: &[u8]) -> Vec<Packet> {
    let u32_at = |b: &[u8], i: usize| u32::from_ne_bytes(b[i..i + 4].try_into().unwrap());
    assert_eq!(u32_at(bytes, 0), 0xa1b2_c3d4, "libpcap magic, microseconds");
    assert_eq!(
        &bytes[4..8],
        &[2u16.to_ne_bytes(), 4u16.to_ne_bytes()].concat()[..]
    );
    assert_eq!(u32_at(bytes, 20), 101, "LINKTYPE_RAW");
    let sum = |data: &[u8], acc: u32| -> u32 {
        let mut acc = acc;
        for c in data.chunks(2) {
            acc += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
        }
        acc
    };
    let fold = |mut acc: u32| {
        while acc > 0xffff {
            acc = (acc & 0xffff) + (acc >> 16);
        }
        acc
    };
    let mut packets = Vec::new();
    let mut at = 24;
    while at < bytes.len() {
        let caplen = u32_at(bytes, at + 8) as usize;
        assert_eq!(caplen, u32_at(bytes, at + 12) as usize, "whole packets");
        let p = &bytes[at + 16..at + 16 + caplen];
        at += 16 + caplen;
        assert_eq!(p[0], 0x45, "IPv4 without options");
        assert_eq!(u16::from_be_bytes([p[2], p[3]]) as usize, p.len());
        assert_eq!(p[9], 17, "UDP");
        assert_eq!(fold(sum(&p[..20], 0)), 0xffff, "IP header checksum");
        let udp = &p[20..];
        assert_eq!(u16::from_be_bytes([udp[4], udp[5]]) as usize, udp.len());
        let mut pseudo = p[12..20].to_vec();
        pseudo.extend_from_slice(&[0, 17]);
        pseudo.extend_from_slice(&u16::try_from(udp.len()).unwrap().to_be_bytes());
        assert_eq!(fold(sum(udp, sum(&pseudo, 0))), 0xffff, "UDP checksum");
        packets.push(Packet {
            src: p[12..16].try_into().unwrap(),
            dst: p[16..20].try_into().unwrap(),
            src_port: u16::from_be_bytes([udp[0], udp[1]]),
            dst_port: u16::from_be_bytes([udp[2], udp[3]]),
            payload: udp[8..].to_vec(),
        });
    }
    packets
}

/// Runs `project` against a device on loopback, with every observer on, and checks
/// what the pages, the console, the trace, the capture and the report say.
fn discover_with(project: &Path, tag: &str) {
    let tmp = Temp::new(tag);
    let report = tmp.0.join("report.json");
    let pcap = tmp.0.join("run.pcap");
    let (port, device) = device("dev-7", "Lamp");
    let page = format!("pages/index/index?port={port}&ms=500");
    let out = run(&[
        project.to_str().unwrap(),
        "--page",
        &page,
        "--trace",
        "--pcap",
        pcap.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--timeout",
        "30",
    ]);
    let probe = device.join().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(probe, br#"{"cmd":"discover","v":1}"#);

    // console.log of the message result shows the bytes.
    assert!(
        stdout.contains(
            "message: ArrayBuffer { [Uint8Contents]: <7b 22 69 64 22 3a 22 64 65 76 2d 37 22"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("launched on android at pages/index/index"),
        "{stdout}"
    );
    assert!(
        stdout.contains("opened pages/device/device over pages/index/index with { id: 'dev-7' }"),
        "{stdout}"
    );

    // The report: the exit, each page's final data, the sockets' counts.
    let r = read_json(&report);
    assert_eq!(r["status"], 0);
    assert_eq!(r["reason"], "finished");
    assert_eq!(r["project"]["kind"], "miniprogram");
    let pages = r["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 2, "{r}");
    assert_eq!(pages[0]["route"], "pages/index/index");
    assert_eq!(pages[0]["query"]["port"], port.to_string());
    assert_eq!(pages[0]["state"], "hidden");
    let devices = pages[0]["data"]["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["name"], "Lamp");
    assert_eq!(devices[0]["address"], "127.0.0.1");
    assert_eq!(devices[0]["port"], port);
    assert_eq!(pages[0]["data"]["status"], "found 1");
    assert_eq!(pages[0]["data"]["platform"], "android");
    assert_eq!(pages[1]["route"], "pages/device/device");
    assert_eq!(pages[1]["state"], "shown");
    assert_eq!(pages[1]["data"]["device"]["id"], "dev-7");
    let sockets = r["sockets"].as_array().unwrap();
    assert_eq!(sockets.len(), 1, "{r}");
    let s = &sockets[0];
    assert_eq!(
        (s["sent"].as_u64(), s["received"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(s["sentBytes"], 24);
    assert_eq!(s["errors"], serde_json::json!({}));
    let local_port: u16 = s["local"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    // The trace: both datagrams with their addresses and a preview.
    assert!(
        stderr.contains(&format!(
            "udp#1 send 0.0.0.0:{local_port} -> 127.255.255.255:{port} 24 bytes"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "udp#1 recv 127.0.0.1:{local_port} <- 127.0.0.1:{port} 28 bytes"
        )),
        "{stderr}"
    );
    assert!(stderr.contains(r#"|{"cmd":"discover|"#), "{stderr}");

    // The capture, parsed back.
    let packets = parse_pcap(&std::fs::read(&pcap).unwrap());
    assert_eq!(packets.len(), 2, "{packets:?}");
    assert_eq!(packets[0].src, [127, 0, 0, 1]);
    assert_eq!(packets[0].dst, [127, 255, 255, 255]);
    assert_eq!(
        (packets[0].src_port, packets[0].dst_port),
        (local_port, port)
    );
    assert_eq!(packets[0].payload, probe);
    assert_eq!(
        (packets[1].src, packets[1].dst),
        ([127, 0, 0, 1], [127, 0, 0, 1])
    );
    assert_eq!(
        (packets[1].src_port, packets[1].dst_port),
        (port, local_port)
    );
    assert_eq!(packets[1].payload, br#"{"id":"dev-7","name":"Lamp"}"#);
}

#[test]
fn the_example_project_discovers_a_device_and_shows_it_in_page_data() {
    discover_with(&example_project(), "wx");
}

/// Copies a folder (regular files only).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn the_same_project_runs_with_uni_and_taro_spellings() {
    let tmp = Temp::new("spellings");
    let copy = tmp.0.join("project");
    copy_dir(&example_project(), &copy);
    let respell = |rel: &str, name: &str| {
        let path = copy.join(rel);
        let source = std::fs::read_to_string(&path).unwrap();
        assert!(source.contains("wx."), "{rel}");
        std::fs::write(&path, source.replace("wx.", &format!("{name}."))).unwrap();
    };
    respell("pages/index/index.js", "uni");
    respell("app.js", "uni");
    respell("utils/discovery.js", "Taro");
    respell("utils/simulated_device.js", "Taro");
    discover_with(&copy, "spelled");
}

#[test]
fn page_query_platform_and_the_entry_page() {
    let tmp = Temp::new("platform");
    let report = tmp.0.join("r.json");
    // The second page directly: its query reaches onLoad; no device is known.
    let out = run(&[
        example_project().to_str().unwrap(),
        "--page",
        "/pages/device/device?id=none&x=a%20b",
        "--platform",
        "ios",
        "--report",
        report.to_str().unwrap(),
        "--timeout",
        "30",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("launched on ios at pages/device/device"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "opened pages/device/device over pages/device/device with { id: 'none', x: 'a%20b' }"
        ),
        "{stdout}"
    );
    let r = read_json(&report);
    assert_eq!(r["project"]["platform"], "ios");
    assert_eq!(r["pages"][0]["data"]["device"], serde_json::Value::Null);

    // Every platform reports itself with consistent fields; devtools too.
    let script = Temp::new("platforms");
    let path = script.file(
        "info.js",
        "const i = wx.getSystemInfoSync();\n\
         const d = wx.getDeviceInfo(), w = wx.getWindowInfo(), a = wx.getAppBaseInfo();\n\
         if (d.platform !== i.platform || w.windowHeight !== i.windowHeight || a.SDKVersion !== i.SDKVersion) throw new Error('inconsistent');\n\
         console.log(i.platform, i.system.split(' ')[0], i.windowHeight < i.screenHeight);",
    );
    for (platform, system) in [
        ("android", "Android"),
        ("ios", "iOS"),
        ("ohos", "HarmonyOS"),
        ("windows", "Windows"),
        ("mac", "macOS"),
        ("devtools", "iOS"),
    ] {
        let out = run(&[
            path.to_str().unwrap(),
            "--platform",
            platform,
            "--timeout",
            "30",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let want_smaller = !matches!(platform, "windows" | "mac");
        assert_eq!(
            text(&out.stdout),
            format!("{platform} {system} {want_smaller}\n")
        );
    }
    let out = run(&[
        path.to_str().unwrap(),
        "--platform",
        "symbian",
        "--timeout",
        "30",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("android, ios, ohos, windows, mac, devtools"));
    // Without --platform: an Android phone.
    let out = run(&[path.to_str().unwrap(), "--timeout", "30"]);
    assert_eq!(text(&out.stdout), "android Android true\n");
}

#[test]
fn folders_that_are_not_projects_and_bad_pages_say_so() {
    let tmp = Temp::new("neither");
    tmp.file("readme.txt", "not a project");
    let report = tmp.0.join("r.json");
    let out = run(&[
        tmp.0.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--timeout",
        "30",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .contains("it is neither a mini program (no app.json) nor a mini game (no game.json)"),
        "{stderr}"
    );
    // Even a run that never started writes its report.
    let r = read_json(&report);
    assert_eq!(
        (r["status"].as_i64(), r["reason"].as_str()),
        (Some(1), Some("error"))
    );

    let out = run(&[
        example_project().to_str().unwrap(),
        "--page",
        "pages/missing/missing",
        "--timeout",
        "30",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("its pages: pages/index/index, pages/device/device"),
        "{}",
        text(&out.stderr)
    );
    // A page that does not call Page(): navigating to it fails with fail, not a crash.
    let p = Temp::new("nopage");
    p.file("app.json", r#"{"pages": ["pages/a/a", "pages/b/b"]}"#);
    p.file("app.js", "App({})");
    p.file(
        "pages/a/a.js",
        "Page({ onLoad() { wx.navigateTo({ url: '../b/b', fail: (e) => console.log(e.errMsg) }); \
         wx.navigateTo({ url: '/pages/c/c' }).catch((e) => console.log(e.errMsg)); } });",
    );
    p.file("pages/b/b.js", "// forgot Page()");
    let out = run(&[p.0.to_str().unwrap(), "--timeout", "30"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("navigateTo:fail page \"pages/b/b\" did not call Page() or Component()"),
        "{stdout}"
    );
    assert!(
        stdout.contains("navigateTo:fail page \"pages/c/c\" is not found"),
        "{stdout}"
    );
}

#[test]
fn a_mini_game_folder_runs_with_game_global() {
    let tmp = Temp::new("game");
    tmp.file("game.json", r#"{"deviceOrientation": "portrait"}"#);
    tmp.file(
        "game.js",
        "const udp = GameGlobal.wx.createUDPSocket();\n\
         console.log(GameGlobal === globalThis, typeof qq.createUDPSocket, typeof tt.createUDPSocket, typeof ks.createUDPSocket, typeof my);\n\
         udp.close();",
    );
    let out = run(&[tmp.0.to_str().unwrap(), "--timeout", "30"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "true function function function undefined\n"
    );
    // A mini program has no GameGlobal.
    let out = run(&[example_project().to_str().unwrap(), "--timeout", "30"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn es_modules_mix_with_commonjs_and_typescript_keeps_its_line_numbers() {
    let tmp = Temp::new("esm");
    tmp.file(
        "main.js",
        "import greet, { counter, bump } from './lib.js';\n\
         import * as ns from './lib.js';\n\
         import cjs, { named } from './cjs.js';\n\
         import { area, fail } from './shape.ts';\n\
         const viaRequire = require('./lib.js');\n\
         bump();\n\
         console.log(greet('x'), counter, ns.counter, { counter }, viaRequire.default('y'), viaRequire.__esModule);\n\
         console.log(cjs, named, area(1).toFixed(2));\n\
         import('./cjs.js').then((m) => { console.log('dynamic', m.default.named); fail(); });\n",
    );
    tmp.file(
        "lib.js",
        "export default function greet(n) { return 'hi ' + n; }\n\
         export let counter = 0;\n\
         export function bump() { counter++; }\n",
    );
    tmp.file("cjs.js", "module.exports = { named: 'N' };\n");
    tmp.file(
        "shape.ts",
        "interface Shape {\n  kind: string;\n}\n\nexport function area(r: number): number {\n  \
         const s: Shape = { kind: 'circle' };\n  return Math.PI * r * r;\n}\n\n\
         export function fail(): never {\n  throw new Error('from ts');\n}\n",
    );
    let out = run(&[tmp.0.join("main.js").to_str().unwrap(), "--timeout", "30"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_eq!(
        stdout,
        "hi x 1 1 { counter: 1 } hi y true\n{ named: 'N' } N 3.14\ndynamic N\n"
    );
    // The uncaught error points at the .ts line that threw.
    assert!(
        stderr.contains("Uncaught (in promise) Error: from ts"),
        "{stderr}"
    );
    assert!(stderr.contains("shape.ts:11:"), "{stderr}");

    // A syntax error in a .ts file names the file, line and column.
    tmp.file("bad.ts", "const a: number = 1;\nlet b: = 2;\n");
    let out = run(&[tmp.0.join("bad.ts").to_str().unwrap(), "--timeout", "30"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("SyntaxError"), "{stderr}");
    assert!(stderr.contains("bad.ts:2:"), "{stderr}");

    // An import outside the package fails like a missing module.
    tmp.file("escape.js", "import x from '../../../../etc/passwd';\n");
    let out = run(&[tmp.0.join("escape.js").to_str().unwrap(), "--timeout", "30"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("Cannot find module '../../../../etc/passwd'"));
}

#[test]
fn the_report_counts_errors_by_errcode_and_names_a_timeout() {
    let tmp = Temp::new("errors");
    let report = tmp.0.join("r.json");
    let script = tmp.file(
        "errors.js",
        "const udp = wx.createUDPSocket();\n\
         udp.onError(() => {});\n\
         udp.bind();\n\
         udp.send({ address: '127.0.0.1', port: 0, message: 'x' });\n\
         udp.send({ address: '127.0.0.1', port: 0, message: 'x' });\n\
         udp.send({ address: 'not an address!', port: 9, message: 'x' });\n\
         udp.bind();\n\
         setInterval(() => {}, 1000);\n",
    );
    let out = run(&[
        script.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--trace",
        "--timeout",
        "0.5",
    ]);
    assert_eq!(out.status.code(), Some(124));
    let r = read_json(&report);
    assert_eq!(r["status"], 124);
    assert_eq!(r["reason"], "timeout");
    assert_eq!(r["project"]["kind"], "script");
    assert_eq!(
        r["sockets"][0]["errors"],
        serde_json::json!({ "2": 2, "1": 1, "-1": 1 })
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("udp#1 0.0.0.0:"), "{stderr}");
    assert!(stderr.contains("error 2: send:fail"), "{stderr}");
    // An unwritable report or capture is an error before anything runs.
    let out = run(&[
        script.to_str().unwrap(),
        "--pcap",
        "/nonexistent/dir/x.pcap",
        "--timeout",
        "30",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot write the capture file /nonexistent/dir/x.pcap"));
    let out = run(&[
        script.to_str().unwrap(),
        "--report",
        "/nonexistent/dir/r.json",
        "--timeout",
        "0.2",
    ]);
    assert_eq!(out.status.code(), Some(124));
    assert!(text(&out.stderr).contains("cannot write the report /nonexistent/dir/r.json"));
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs Node.js 20 (node:test); runs under CI=true or with --include-ignored"
)]
fn the_node_test_example_asserts_on_the_report() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/report.test.mjs");
    let out = std::process::Command::new("node")
        .arg("--test")
        .arg(&example)
        .env("WXUDP", env!("CARGO_BIN_EXE_wxudp"))
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("# pass 2"),
        "{}",
        text(&out.stdout)
    );
}
