//! `wxudp run`: exit statuses, error reports, Ctrl-C, --timeout, --storage, and the wx
//! APIs that need a real network (inside network namespaces the test makes).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::Script;
use std::time::{Duration, Instant};
use wxudp_testkit::Netns;

const WAIT: Duration = Duration::from_secs(30);

fn wxudp(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wxudp"));
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

fn finish(mut child: std::process::Child) -> Output {
    let deadline = Instant::now() + WAIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("wxudp did not exit in time");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

fn run(args: &[&str]) -> Output {
    finish(wxudp(args).spawn().unwrap())
}

fn run_script(script: &Script, extra: &[&str]) -> Output {
    let mut args = vec!["run", script.path.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_main_job_prints_the_reply() {
    let hello = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello.js");
    let out = run(&["run", hello.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("onListening: { errMsg: 'bind:ok' }"),
        "{stdout}"
    );
    assert!(stdout.contains("onMessage: hello, how are you"), "{stdout}");
    assert!(
        stdout.contains("remoteInfo: { address: '127.0.0.1', family: 'IPv4', port: "),
        "{stdout}"
    );
    assert!(stdout.contains("size: 18 }"), "{stdout}");
    assert!(
        stdout.contains("onClose: { errMsg: 'close:ok' }"),
        "{stdout}"
    );
}

#[test]
fn a_throwing_listener_is_reported_and_the_loop_goes_on() {
    let script = Script::new(
        "listener",
        r#"
const s = wx.createUDPSocket();
const port = s.bind();
let second = 0;
s.onMessage(function broken() { throw new Error('listener failed'); });
s.onMessage(function () { second++; if (second === 2) { console.log('second listener ran twice'); s.close(); } });
s.send({ address: '127.0.0.1', port: port, message: 'one' });
s.send({ address: '127.0.0.1', port: port, message: 'two' });
setTimeout(function () { throw new TypeError('timer failed'); }, 1);
"#,
    );
    let out = run_script(&script, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stdout_has(&out, "second listener ran twice"));
    assert_eq!(
        stderr.matches("Uncaught Error: listener failed").count(),
        2,
        "{stderr}"
    );
    assert!(
        stderr.contains("at broken ("),
        "the stack is printed: {stderr}"
    );
    assert!(
        stderr.contains("listener.js:5"),
        "with file and line: {stderr}"
    );
    assert!(
        stderr.contains("Uncaught TypeError: timer failed"),
        "{stderr}"
    );
}

fn stdout_has(out: &Output, needle: &str) -> bool {
    text(&out.stdout).contains(needle)
}

#[test]
fn syntax_errors_name_file_and_line() {
    let script = Script::new("syntax", "const a = 1;\nconst b = ;\n");
    let out = run_script(&script, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("SyntaxError"), "{stderr}");
    assert!(stderr.contains("syntax.js:2"), "{stderr}");
}

#[test]
fn an_exception_at_the_top_level_ends_the_run() {
    let script = Script::new(
        "toplevel",
        "const s = wx.createUDPSocket(); s.bind();\nnull.x;\n",
    );
    let out = run_script(&script, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("Uncaught TypeError"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn unhandled_rejections_are_reported() {
    let script = Script::new(
        "rejection",
        "Promise.reject(new Error('nobody caught me'));\nPromise.reject(1).catch(() => {});\n",
    );
    let out = run_script(&script, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Uncaught (in promise) Error: nobody caught me"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("Uncaught").count(),
        1,
        "a handled rejection is not reported: {stderr}"
    );
}

#[test]
fn timeout_ends_the_run_with_124() {
    let script = Script::new(
        "forever",
        "const s = wx.createUDPSocket(); s.bind();\nsetInterval(function () {}, 1000);\n",
    );
    let out = run_script(&script, &["--timeout", "0.3"]);
    assert_eq!(out.status.code(), Some(124));
    assert!(text(&out.stderr).contains("timed out after 0.3s"));
    let bad = run_script(&script, &["--timeout", "0"]);
    assert_eq!(bad.status.code(), Some(2), "a usage error");
    // A usage error, like every bad argument (exit status 2).
    let bad = run_script(&script, &["--base-library", "latest"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains(
            "invalid value 'latest' for '--base-library <VERSION>': \"latest\" is not a base library version such as 2.9.3"
        ),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn ctrl_c_runs_on_app_hide_closes_sockets_and_exits_130() {
    let script = Script::new(
        "interrupt",
        r#"
const s = wx.createUDPSocket();
s.onClose(function () { console.log('socket closed'); });
wx.onAppHide(function () { console.log('onAppHide ran'); });
Page({ onHide() { console.log('page onHide'); }, onUnload() { console.log('page onUnload'); } });
console.log('bound ' + s.bind());
"#,
    );
    let mut child = wxudp(&["run", script.path.to_str().unwrap()])
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert!(line.starts_with("bound "), "{line:?}");
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let out = finish(child);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(out.status.code(), Some(130));
    assert!(
        rest.contains("onAppHide ran\npage onHide\npage onUnload\n"),
        "{rest}"
    );
    // The port is free again: the socket was closed.
    let port: u16 = line.trim()["bound ".len()..].parse().unwrap();
    std::net::UdpSocket::bind(("0.0.0.0", port)).unwrap();
}

#[test]
fn a_missing_file_is_an_error() {
    let out = run(&["run", "/nonexistent/app.js"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "wxudp: cannot open /nonexistent/app.js: no such file\n"
    );
}

#[test]
fn storage_persists_in_a_file() {
    let script = Script::new(
        "storage",
        r#"
const n = wx.getStorageSync('runs') || 0;
wx.setStorageSync('runs', n + 1);
console.log('run ' + (n + 1));
"#,
    );
    let file = script.dir.join("storage.json");
    let file = file.to_str().unwrap();
    assert!(stdout_has(
        &run_script(&script, &["--storage", file]),
        "run 1"
    ));
    assert!(stdout_has(
        &run_script(&script, &["--storage", file]),
        "run 2"
    ));
    assert!(
        stdout_has(&run_script(&script, &[]), "run 1"),
        "in memory without --storage"
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    assert_eq!(saved["runs"], 2);

    // A file that is not storage is refused, not overwritten.
    std::fs::write(file, "not json").unwrap();
    let out = run_script(&script, &["--storage", file]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with(&format!(
            "wxudp: the storage file {file} is not a JSON object"
        )),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(file).unwrap(), "not json");
}

/// `wxudp run SCRIPT --timeout 20` inside `ns`.
fn wxudp_run_in(ns: &Netns, script: &Path) -> Command {
    let mut cmd = ns.exec(env!("CARGO_BIN_EXE_wxudp"));
    cmd.arg("run")
        .arg(script)
        .args(["--timeout", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `wxudp run` inside a fresh namespace set up by `setup` (`ip -n NS ...` argument
/// lists).
fn run_in_netns(tag: &str, setup: &[&[&str]], script: &Script) -> Output {
    let ns = Netns::create(tag);
    for args in setup {
        ns.ip(args);
    }
    finish(wxudp_run_in(&ns, &script.path).spawn().unwrap())
}

/// The phone and an ESP8266 as two namespaces joined by a veth pair, with the module's
/// usual SoftAP addresses (phone 192.168.4.2, module 192.168.4.1).
fn softap_pair(tag: &str) -> (Netns, Netns) {
    let phone = Netns::create(&format!("{tag}-phone"));
    let device = Netns::create(&format!("{tag}-esp"));
    phone.link("wxp", "192.168.4.2/24", &device, "wxd", "192.168.4.1/24");
    (phone, device)
}

/// Runs the device script in `device` until it says it listens, then the page in
/// `phone`; returns the page's output, the device's, and the device's stdout after its
/// first line.
fn page_and_device(
    phone: &Netns,
    device: &Netns,
    page: &str,
    device_js: &str,
) -> (Output, Output, String) {
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/projects/softap");
    let mut esp = wxudp_run_in(device, &project.join(device_js))
        .spawn()
        .unwrap();
    let mut esp_out = std::io::BufReader::new(esp.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut esp_out, &mut line).unwrap();
    assert_eq!(line, "device listening\n");
    let page = finish(wxudp_run_in(phone, &project.join(page)).spawn().unwrap());
    let esp_status = finish(esp);
    let mut esp_rest = String::new();
    std::io::Read::read_to_string(&mut esp_out, &mut esp_rest).unwrap();
    (page, esp_status, esp_rest)
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn a_discovery_page_finds_the_device_by_subnet_broadcast() {
    let (phone, device) = softap_pair("disc");
    let (page, esp, esp_rest) = page_and_device(
        &phone,
        &device,
        "pages/discover/discover.js",
        "discover_device.js",
    );
    assert_eq!(page.status.code(), Some(0), "{}", text(&page.stderr));
    let stdout = text(&page.stdout);
    assert!(
        stdout.contains("probing 192.168.4.255 from 192.168.4.2"),
        "{stdout}"
    );
    assert!(
        stdout.contains("found esp8266-5ccf7f at 192.168.4.1:4210"),
        "{stdout}"
    );
    assert_eq!(esp.status.code(), Some(0));
    assert!(
        esp_rest.contains("probe from 192.168.4.2 to 192.168.4.255"),
        "{esp_rest}"
    );
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn a_softap_provisioning_page_runs_unchanged() {
    let (phone, device) = softap_pair("prov");
    let (page, esp_status, esp_rest) =
        page_and_device(&phone, &device, "pages/provision/provision.js", "device.js");
    assert_eq!(page.status.code(), Some(0), "{}", text(&page.stderr));
    let stdout = text(&page.stdout);
    assert!(stdout.contains("udp listening"), "{stdout}");
    assert!(
        stdout.contains("recv from 192.168.4.1:8266 {\"ok\":true"),
        "{stdout}"
    );
    assert!(stdout.contains("configured: 5c:cf:7f:00:00:01"), "{stdout}");
    assert!(
        text(&page.stderr).contains("[wx.showToast] 配网成功"),
        "{}",
        text(&page.stderr)
    );
    assert_eq!(esp_status.status.code(), Some(0));
    assert!(
        esp_rest.contains("device got ssid=home-wifi from 192.168.4.2 to 192.168.4.1"),
        "{esp_rest}"
    );
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn get_local_ip_address_reports_the_interface() {
    let script = Script::new(
        "localip",
        r#"
wx.getLocalIPAddress({
  success(res) { console.log(JSON.stringify(res)); },
  fail(err) { console.log('fail ' + err.errMsg); },
});
wx.getNetworkType().then(function (res) { console.log('network ' + res.networkType); });
"#,
    );
    let out = run_in_netns(
        "localip",
        &[
            &[
                "link", "add", "wxv0", "type", "veth", "peer", "name", "wxv1",
            ],
            &["addr", "add", "10.214.7.20/20", "dev", "wxv0"],
            &["link", "set", "wxv0", "up"],
            &["link", "set", "wxv1", "up"],
        ],
        &script,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            r#"{"errMsg":"getLocalIPAddress:ok","localip":"10.214.7.20","netmask":"255.255.240.0"}"#
        ),
        "{stdout}"
    );
    assert!(stdout.contains("network wifi"), "{stdout}");

    // With only loopback there is no local network: fail, and networkType none.
    let out = run_in_netns("nonet", &[], &script);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("fail getLocalIPAddress:fail no local network address"),
        "{stdout}"
    );
    assert!(stdout.contains("network none"), "{stdout}");
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn broadcast_to_255_255_255_255_in_a_namespace() {
    let script = Script::new(
        "bcast",
        r#"
const device = wx.createUDPSocket();
const port = device.bind();
device.onMessage(function (res) {
  console.log('device got ' + new TextDecoder().decode(res.message) + ' to ' + res.localInfo.address);
  device.send({ address: res.remoteInfo.address, port: res.remoteInfo.port, message: 'here' });
});
const app = wx.createUDPSocket();
app.onMessage(function (res) {
  console.log('app got ' + new TextDecoder().decode(res.message) + ' from ' + res.remoteInfo.address);
  app.close();
  device.close();
});
app.send({ address: '255.255.255.255', port: port, message: 'anyone?' });
"#,
    );
    let out = run_in_netns(
        "bcast",
        &[&[
            "route",
            "add",
            "255.255.255.255/32",
            "dev",
            "lo",
            "src",
            "127.0.0.1",
        ]],
        &script,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("device got anyone? to 255.255.255.255"),
        "{stdout}"
    );
    assert!(stdout.contains("app got here from 127.0.0.1"), "{stdout}");
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn an_ssdp_search_goes_to_the_multicast_group_without_joining_it() {
    let script = Script::new(
        "ssdp",
        r#"
const ssdp = wx.createUDPSocket();
ssdp.onMessage(function (res) {
  const text = new TextDecoder().decode(res.message);
  console.log('reply from ' + res.remoteInfo.address + ': ' + text.split('\r\n')[0]);
  ssdp.close();
});
ssdp.send({
  address: '239.255.255.250',
  port: 1900,
  message: 'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n',
});
"#,
    );
    let ns = Netns::create("ssdp");
    ns.ip(&["link", "set", "lo", "multicast", "on"]);
    ns.ip(&["route", "add", "239.0.0.0/8", "dev", "lo"]);
    // A UPnP device in the namespace: joined to the group, answering unicast.
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (search, out) = std::thread::scope(|scope| {
        let device = scope.spawn(|| {
            ns.enter();
            let sock = std::net::UdpSocket::bind("0.0.0.0:1900").unwrap();
            sock.join_multicast_v4(
                &"239.255.255.250".parse().unwrap(),
                &std::net::Ipv4Addr::LOCALHOST,
            )
            .unwrap();
            sock.set_read_timeout(Some(WAIT)).unwrap();
            ready_tx.send(()).unwrap();
            let mut buf = [0u8; 1024];
            let (n, from) = sock.recv_from(&mut buf).unwrap();
            sock.send_to(b"HTTP/1.1 200 OK\r\nST: ssdp:all\r\n\r\n", from)
                .unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        ready_rx.recv_timeout(WAIT).unwrap();
        let out = finish(wxudp_run_in(&ns, &script.path).spawn().unwrap());
        (device.join().unwrap(), out)
    });
    assert!(search.starts_with("M-SEARCH * HTTP/1.1\r\n"), "{search}");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("reply from 127.0.0.1: HTTP/1.1 200 OK"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn timeout_and_ctrl_c_end_even_an_endless_loop() {
    let spin = Script::new("spin", "console.log('spinning');\nwhile (true) {}\n");
    let out = run_script(&spin, &["--timeout", "0.3"]);
    assert_eq!(out.status.code(), Some(124));
    let stderr = text(&out.stderr);
    assert_eq!(
        stderr, "wxudp: timed out after 0.3s\n",
        "no report of the interruption"
    );

    let busy = Script::new(
        "busy",
        r#"
const s = wx.createUDPSocket();
s.bind();
wx.onAppHide(function () { console.log('onAppHide ran'); });
setTimeout(function () { console.log('spinning in a timer'); for (;;) {} }, 1);
"#,
    );
    let mut child = wxudp(&["run", busy.path.to_str().unwrap()])
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert_eq!(line, "spinning in a timer\n");
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let out = finish(child);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(out.status.code(), Some(130));
    assert_eq!(rest, "onAppHide ran\n");
    assert_eq!(text(&out.stderr), "", "no report of the interruption");
}

#[test]
fn the_budget_flags_bound_each_socket() {
    let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = rx.local_addr().unwrap().port();
    let script = Script::new(
        "budgets",
        &format!(
            r#"
const tx = wx.createUDPSocket();
let full = 0, other = 0;
tx.onError(function (e) {{
  if (e.errCode === -2 && e.errMsg === 'send:fail no buffer space available (send queue full)') full++;
  else other++;
}});
// A host name first: the sends after it wait in the queue for its lookup.
tx.send({{ address: 'localhost', port: {port}, message: 'first' }});
for (let i = 0; i < 100; i++) tx.send({{ address: '127.0.0.1', port: {port}, message: new Uint8Array(100) }});
setTimeout(function () {{ console.log('full ' + full + ' other ' + other); tx.close(); }}, 50);
"#
        ),
    );
    let small = run_script(&script, &["--send-buffer", "1K", "--timeout", "30"]);
    assert_eq!(small.status.code(), Some(0), "{}", text(&small.stderr));
    let line = text(&small.stdout);
    let full: u32 = line
        .trim()
        .strip_prefix("full ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line:?}"));
    // 1 KiB holds 6 queued sends of 100 bytes (each counts 64 more).
    assert!(full >= 90, "{line}");
    assert!(line.trim().ends_with("other 0"), "{line}");
    let default = run_script(&script, &["--timeout", "30"]);
    assert_eq!(text(&default.stdout).trim(), "full 0 other 0");
    let bad = run_script(&script, &["--send-buffer", "lots"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("is not a size"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn a_script_that_allocates_without_end_runs_out_of_memory() {
    let script = Script::new(
        "oom",
        "const all = [];\nfor (;;) all.push(new Array(100000).fill(1.5), new ArrayBuffer(1 << 20));\n",
    );
    let out = run_script(&script, &["--js-memory", "64M", "--timeout", "60"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).starts_with("Uncaught InternalError: out of memory"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn rust_log_shows_the_library_log_lines() {
    let hello = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello.js");
    let hello = hello.to_str().unwrap();
    let quiet = run(&["run", hello]);
    assert!(
        !text(&quiet.stderr).contains("socket open"),
        "{}",
        text(&quiet.stderr)
    );
    let out = finish(
        wxudp(&["run", hello])
            .env("RUST_LOG", "wxudp=debug")
            .spawn()
            .unwrap(),
    );
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(
        err.contains("DEBUG wxudp::engine::inner: socket open local=0.0.0.0:"),
        "{err}"
    );
    assert!(err.contains("socket closed flushed=0 unsent=0"), "{err}");
    assert!(
        !err.contains('\x1b'),
        "no colours when stderr is not a terminal"
    );
}

/// `/etc/netns/NAME/resolv.conf`, which `ip netns exec` shows the namespace as its
/// `/etc/resolv.conf`; removed when dropped.
struct NetnsResolvConf(PathBuf);

impl Drop for NetnsResolvConf {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn a_lookup_that_never_answers_does_not_hold_the_run() {
    let ns = Netns::create("deaddns");
    let dir = PathBuf::from("/etc/netns").join(ns.name());
    std::fs::create_dir_all(&dir).unwrap();
    let _conf = NetnsResolvConf(dir.clone());
    // A DNS server inside the namespace that reads queries and never answers; the
    // resolver would wait 120 s for it.
    std::fs::write(
        dir.join("resolv.conf"),
        "nameserver 127.0.0.1\noptions timeout:120 attempts:1\n",
    )
    .unwrap();
    let _silent_dns = ns.within(|| std::net::UdpSocket::bind("127.0.0.1:53").unwrap());
    let script = Script::new(
        "deaddns",
        r#"
const s = wx.createUDPSocket();
s.onError(function (e) { console.log(e.errCode + ' ' + e.errMsg); });
s.send({ address: 'slow.invalid', port: 9, message: 'x' });
setTimeout(function () { s.close(); }, 100);
"#,
    );
    // Ends by itself once the socket is closed (finish() fails the test after 30 s).
    let out = finish(wxudp_run_in(&ns, &script.path).spawn().unwrap());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "-1 send:fail socket closed before the host name slow.invalid was resolved\n"
    );
    // And --timeout still ends a run whose socket stays open behind such a lookup.
    let open = Script::new(
        "deaddns-open",
        "const s = wx.createUDPSocket();\ns.send({ address: 'slow.invalid', port: 9, message: 'x' });\n",
    );
    let mut cmd = ns.exec(env!("CARGO_BIN_EXE_wxudp"));
    cmd.arg("run")
        .arg(&open.path)
        .args(["--timeout", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = finish(cmd.spawn().unwrap());
    assert_eq!(out.status.code(), Some(124), "{}", text(&out.stderr));
}

#[test]
fn the_console_and_storage_take_any_string_and_any_value() {
    // Strings with lone surrogates (String.fromCharCode over received bytes makes them)
    // and values the console cannot look at must not throw out of console.log or
    // wx.setStorageSync.
    let script = Script::new(
        "anystring",
        r#"
console.log('a\uD800b');
wx.setStorageSync('k\uD800', 'v\uDC00');
console.log(JSON.stringify(wx.getStorageSync('k\uD800')));
const p = Proxy.revocable({}, {});
p.revoke();
console.log('proxy', p.proxy);
// Getters are shown, not called (as Node does); a trap that throws is unreadable.
console.log('getter', { get x() { throw new Error('no'); } });
console.log('trap', new Proxy({}, { ownKeys: function () { throw new Error('no'); } }));
// A value that claims 2^32-1 items is refused once its text passes 1 MB, not written out.
try {
  wx.setStorageSync('huge', new Proxy([], { get: function (t, k) { return k === 'length' ? 4294967295 : 0; } }));
} catch (e) { console.log(e.errMsg); }
"#,
    );
    let out = run_script(&script, &["--timeout", "30"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "a\u{fffd}b\n\"v\\udc00\"\nproxy <unreadable: revoked proxy>\ngetter { x: [Getter] }\ntrap <unreadable: no>\n\
         setStorageSync:fail exceed storage item max length\n"
    );
}

/// Issue 19: the native memory a run holds for its script (sockets, timers, requests)
/// has one budget; beyond it each call fails in WeChat's way, never the process, and a
/// socket closed gives its share back in the same turn.
#[test]
fn the_native_memory_budget_fails_calls_not_the_run() {
    let script = Script::new(
        "native",
        r#"
const NOMEM = 'cannot allocate memory (native memory budget used up)';
const seen = [];
function onError(e) { seen.push(e.errMsg + ' ' + e.errCode); }
// Sockets until one is refused: bind first, then creation itself.
const open = [];
let refusedBind = null;
let refusedCreate = null;
for (let i = 0; i < 100000 && !refusedCreate; i++) {
  const s = wx.createUDPSocket();
  s.onError(onError);
  if (s.bind() === 0) {
    if (!refusedBind) {
      refusedBind = s;
      // An implicit bind is refused the same way, in send's name.
      s.send({ address: '127.0.0.1', port: 9, message: 'x' });
    } else {
      refusedCreate = s;
    }
  } else {
    open.push(s);
  }
}
if (!refusedBind || !refusedCreate || open.length < 10) throw new Error('no refusal: ' + open.length);
// Timers are refused as an engine refuses an allocation.
let timerError = null;
try { setTimeout(function () {}, 1); } catch (e) { timerError = e; }
if (!(timerError instanceof RangeError) || timerError.message !== 'setTimeout: ' + NOMEM) {
  throw new Error('setTimeout: ' + timerError);
}
// Closing gives memory back in this very turn: a refused socket binds now.
open.splice(0, 5).forEach(function (s) { s.close(); });
if (refusedBind.bind() === 0) throw new Error('no room after close');
refusedBind.close();
// Closing gives memory back in this very turn: a socket binds, a timer is set.
open.splice(0, 20).forEach(function (s) { s.close(); });
const again = wx.createUDPSocket();
again.onError(onError);
if (again.bind() === 0) throw new Error('closing gave nothing back');
again.close();
// A request refused for memory fails before it reaches the network.
open.splice(0, 20).forEach(function (s) { s.close(); });
let filler = [];
try { for (;;) filler.push(setTimeout(function () {}, 100000)); } catch (e) { /* full */ }
let failed = null;
wx.request({ url: 'http://127.0.0.1:9/', fail: function (res) { failed = res; } });
filler.forEach(clearTimeout);
setTimeout(function () {
  open.forEach(function (s) { s.close(); });
  if (!failed || failed.errMsg !== 'request:fail ' + NOMEM) throw new Error('request: ' + JSON.stringify(failed));
  console.log(JSON.stringify(seen));
}, 20);
"#,
    );
    let out = run_script(&script, &["--native-memory", "1M", "--timeout", "60"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut seen: Vec<String> = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    seen.sort();
    seen.dedup();
    // Which comes first, creation or bind, depends on the costs; each is refused
    // somewhere in the run (a socket refused at creation is closed: its bind says so).
    assert_eq!(
        seen,
        [
            "bind:fail cannot allocate memory (native memory budget used up) -1",
            "bind:fail socket is closed -1",
            "createUDPSocket:fail cannot allocate memory (native memory budget used up) -1",
            "send:fail cannot allocate memory (native memory budget used up) -1",
        ],
        "{}",
        text(&out.stderr)
    );
}
