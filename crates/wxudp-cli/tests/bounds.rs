//! Bounded everywhere, round two: inputs that used to abort the process, go silent or
//! grow without bound, each now a clear error with the report written. Deep sources,
//! out of memory (in a promise job, caught, and for good), a huge setData, a run stuck
//! in native work at its timeout, `--wifi`'s rules, TextDecoder streams and encodings.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{run, stderr, stdout, Folder, Script};

fn report(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs `file` with a report and `args`; returns the output and the report.
fn run_reported(file: &Path, args: &[&str]) -> (Output, serde_json::Value) {
    let folder = Folder::new("bounds");
    let path = folder.0.join("report.json");
    let mut all = vec![
        "run",
        file.to_str().unwrap(),
        "--report",
        path.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let out = run(&all);
    (out, report(&path))
}

#[test]
fn deeply_nested_sources_are_a_script_error_naming_the_file() {
    let f = Folder::new("deep");
    let n = 100_000;
    let cases = [
        (
            "parens.js",
            format!("const x = {}1{};\n", "(".repeat(n), ")".repeat(n)),
        ),
        (
            "brackets.ts",
            format!("const x: unknown = {}{};\n", "[".repeat(n), "]".repeat(n)),
        ),
        (
            "arrows.js",
            format!("export const f = {}1;\n", "a => ".repeat(n)),
        ),
        (
            "types.ts",
            format!(
                "let a: {}number{} = [];\n",
                "Array<".repeat(n),
                ">".repeat(n)
            ),
        ),
    ];
    for (name, source) in cases {
        let file = f.file(name, &source);
        let (out, r) = run_reported(&file, &["--timeout", "60"]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("SyntaxError") && err.contains(name) && err.contains("nesting too deep"),
            "{name}: {err}"
        );
        assert_eq!(r["status"], 1, "{name}: the report is written");
    }
    // JSON: app.json is refused by its reader, JSON.parse throws in the script.
    f.file(
        "mp/app.json",
        &format!("{{\"pages\": {}{}}}", "[".repeat(n), "]".repeat(n)),
    );
    let out = run(&["run", f.0.join("mp").to_str().unwrap(), "--timeout", "30"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("app.json") && stderr(&out).contains("recursion limit"),
        "{}",
        stderr(&out)
    );
    let file = f.file(
        "parse.js",
        &format!(
            "try {{ JSON.parse('{}'); }} catch (e) {{ console.log(e.name); }}\n",
            "[".repeat(n)
        ),
    );
    let out = run(&["run", file.to_str().unwrap(), "--timeout", "30"]);
    assert_eq!(stdout(&out), "RangeError\n", "{}", stderr(&out));
}

#[test]
fn out_of_memory_is_an_internal_error_and_ends_the_run_when_it_goes_on() {
    // Caught: QuickJS's own InternalError, never null.
    let caught = Script::new(
        "oom-caught",
        "const a = []; try { while (true) a.push({ x: a.length }); } catch (e) { console.log(e === null ? 'null' : e.name + ': ' + e.message); }\n",
    );
    let out = run(&[
        "run",
        caught.path.to_str().unwrap(),
        "--js-memory",
        "16M",
        "--timeout",
        "60",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "InternalError: out of memory\n");
    // In a promise job and in an async function: an uncaught error, exit 1, reported.
    for (name, source) in [
        ("oom-job", "Promise.resolve().then(function () { const a = []; while (true) a.push({ x: a.length }); });\n"),
        ("oom-async", "(async function () { const a = []; while (true) a.push([a.length]); })();\n"),
    ] {
        let script = Script::new(name, source);
        let (out, r) = run_reported(&script.path, &["--js-memory", "16M", "--timeout", "60"]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert!(stderr(&out).starts_with("Uncaught (in promise) InternalError: out of memory"), "{name}: {}", stderr(&out));
        assert_eq!(r["status"], 1);
    }
    // Allocating on past the error: the run ends, with the message.
    let spins = Script::new(
        "oom-spins",
        "const a = []; while (true) { try { a.push({ x: a.length }); } catch (e) { /* on and on */ } }\n",
    );
    let (out, r) = run_reported(&spins.path, &["--js-memory", "16M", "--timeout", "60"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("InternalError: out of memory (the script went on allocating past --js-memory 16777216 bytes)"), "{}", stderr(&out));
    assert_eq!(r["reason"], "error");
}

#[test]
fn a_huge_set_data_is_refused_and_a_timeout_still_writes_the_report() {
    let script = Script::new(
        "setdata",
        r#"
Page({ data: { list: [1] }, onLoad() {
  try { this.setData({ 'list[100000000]': 1 }); } catch (e) { console.log(e.message.slice(0, 34)); }
  try { this.setData({ blob: 'x'.repeat(1100 * 1024) }); } catch (e) { console.log(e.message.slice(0, 34)); }
  this.setData({ 'list[3]': 'ok' });
  console.log(this.data.list.length);
  // What setData refuses, a direct write can still do: the report says so, quickly.
  this.data.sparse = []; this.data.sparse[100000000] = 1;
  setInterval(function () {}, 1000);
} });
"#,
    );
    let (out, r) = run_reported(&script.path, &["--timeout", "2"]);
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "setData: the data is far over 1024\nsetData: the data is over 1024 KB \n4\n"
    );
    assert_eq!(r["reason"], "timeout");
    assert_eq!(r["pages"][0]["data"], "<more than 8 MiB: not written>");
}

#[test]
fn a_run_stuck_in_native_work_at_its_timeout_ends_with_its_report() {
    // Nobody reads stdout: the script blocks in a write, where JavaScript cannot be cut.
    let script = Script::new(
        "stuck",
        "const line = 'x'.repeat(1000);\nfor (;;) console.log(line);\n",
    );
    let path = script.dir.join("report.json");
    let child = Command::new(env!("CARGO_BIN_EXE_wxudp"))
        .args([
            "run",
            script.path.to_str().unwrap(),
            "--timeout",
            "1",
            "--report",
            path.to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = common::Running(Some(child));
    // Keep stdout unread until the process has ended.
    let status = loop {
        if let Some(status) = child.child().try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(124));
    let r = report(&path);
    assert_eq!(r["status"], 124);
    assert_eq!(r["reason"], "timeout");
}

#[test]
fn wifi_ssids_have_one_to_thirty_two_bytes() {
    let script = Script::new("wifi-ssid", "");
    for (ssid, says) in [
        ("", "this one is empty"),
        (&"x".repeat(33)[..], "this one has 33"),
    ] {
        let out = run(&["run", script.path.to_str().unwrap(), "--wifi", ssid]);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains("an SSID has 1 to 32 bytes (IEEE 802.11)") && err.contains(says),
            "{err}"
        );
    }
    let out = run(&[
        "run",
        script.path.to_str().unwrap(),
        "--wifi",
        &"x".repeat(32),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn text_decoder_streams_and_decodes_gbk_as_the_encoding_standard_says() {
    let script = Script::new(
        "textdecoder",
        r#"
const bytes = new TextEncoder().encode('你好€');
const d = new TextDecoder();
console.log([d.decode(bytes.subarray(0, 4), { stream: true }), d.decode(bytes.subarray(4, 8), { stream: true }), d.decode(bytes.subarray(8))].join('|'));
console.log(new TextDecoder().decode(bytes.subarray(0, 4)) === '你\uFFFD');
console.log(new TextDecoder('gbk').decode(new Uint8Array([0xc4, 0xe3, 0xba, 0xc3])), new TextDecoder('GB18030').encoding);
console.log(new TextDecoder('utf-16le').decode(new Uint8Array([0xff, 0xfe, 0x41, 0x00])));
console.log(new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x78])).length);
try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xe4, 0xbd])); } catch (e) { console.log(e.name, e.message); }
try { new TextDecoder('klingon'); } catch (e) { console.log(e.name); }
"#,
    );
    let out = run(&["run", script.path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "你|好|€\ntrue\n你好 gb18030\nA\n2\nTypeError The encoded data was not valid for encoding utf-8\nRangeError\n"
    );
}
