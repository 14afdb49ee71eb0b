//! `wx.request` against an HTTP/1.1 server the test starts on loopback (and the same
//! behind TLS with a test CA): answers of every kind, WeChat's data encodings, the
//! RequestTask (abort, headers, chunks), and each failure with WeChat's errMsg and errno.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::{run, stderr, stdout, Script};

/// A request as the server read it.
#[derive(Debug, Clone)]
struct Seen {
    line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Reads one request (its head and a `Content-Length` body).
fn read_request(reader: &mut impl BufRead) -> Option<Seen> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    if line.is_empty() {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':')?;
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        line: line.trim_end().to_string(),
        headers,
        body,
    })
}

/// Answers a request by its path: the routes the tests use.
fn answer(seen: &Seen, out: &mut impl Write) -> std::io::Result<()> {
    let path = seen.line.split(' ').nth(1).unwrap_or("/");
    let reply = |out: &mut dyn Write, status: &str, extra: &str, body: &[u8]| {
        write!(
            out,
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
            body.len()
        )?;
        out.write_all(body)?;
        out.flush()
    };
    match path.split('?').next().unwrap_or("") {
        "/json" => reply(
            out,
            "200 OK",
            "Content-Type: application/json\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2\r\nX-Device: lamp\r\n",
            br#"{"ok":true,"n":[1,2]}"#,
        ),
        "/text" => reply(out, "200 OK", "Content-Type: text/plain\r\n", "\u{feff}not json: 你好".as_bytes()),
        "/echo" => {
            let echo = serde_json::json!({
                "line": seen.line,
                "headers": seen.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect::<Vec<_>>(),
                "body": String::from_utf8_lossy(&seen.body),
            });
            reply(out, "200 OK", "Content-Type: application/json\r\n", echo.to_string().as_bytes())
        }
        "/slow" => {
            std::thread::sleep(Duration::from_secs(3));
            reply(out, "200 OK", "", b"late")
        }
        "/chunked" => {
            write!(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")?;
            for part in ["first,", "second,", "third"] {
                write!(out, "{:x}\r\n{part}\r\n", part.len())?;
                out.flush()?;
                std::thread::sleep(Duration::from_millis(30));
            }
            write!(out, "0\r\n\r\n")?;
            out.flush()
        }
        "/redirect" => reply(out, "302 Found", "Location: /json\r\n", b""),
        "/reset" => Ok(()),
        _ => reply(out, "404 Not Found", "Content-Type: text/plain\r\n", b"no such page"),
    }
}

/// An HTTP server on 127.0.0.1 (TLS with `tls`), a thread per connection, for as long
/// as the test runs. Returns its port.
fn serve(tls: Option<Arc<rustls::ServerConfig>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let tls = tls.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                match tls {
                    None => {
                        let mut reader = BufReader::new(stream.try_clone().unwrap());
                        if let Some(seen) = read_request(&mut reader) {
                            let _ = answer(&seen, &mut &stream);
                        }
                    }
                    Some(config) => {
                        let Ok(conn) = rustls::ServerConnection::new(config) else {
                            return;
                        };
                        let mut tls = rustls::StreamOwned::new(conn, stream);
                        let mut reader = BufReader::new(&mut tls);
                        let seen = read_request(&mut reader);
                        drop(reader);
                        if let Some(seen) = seen {
                            let _ = answer(&seen, &mut tls);
                            tls.conn.send_close_notify();
                            let _ = tls.flush();
                        }
                    }
                }
            });
        }
    });
    port
}

fn tls_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tls")
}

fn tls_config() -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(tls_dir().join("server.pem"))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let key = PrivateKeyDer::from_pem_file(tls_dir().join("server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    Arc::new(config)
}

/// Runs `source` (with `PORT` replaced) and returns what it printed; it must succeed.
fn page(source: &str, port: u16, args: &[&str]) -> String {
    let script = Script::new("request", &source.replace("PORT", &port.to_string()));
    let mut all = vec!["run", script.path.to_str().unwrap(), "--timeout", "30"];
    all.extend_from_slice(args);
    let out = run(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

#[test]
fn answers_of_every_kind_are_success_with_their_status_header_and_cookies() {
    let port = serve(None);
    let out = page(
        r#"
wx.request({ url: 'http://127.0.0.1:PORT/json', success(r) {
  console.log('json', r.errMsg, r.statusCode, JSON.stringify(r.data), r.header['Content-Type'], r.header['X-Device'], JSON.stringify(r.cookies));
  wx.request({ url: 'http://127.0.0.1:PORT/text', success(r) { console.log('text', typeof r.data, r.data); } });
  wx.request({ url: 'http://127.0.0.1:PORT/json', dataType: 'other', success(r) { console.log('other', typeof r.data); } });
  wx.request({ url: 'http://127.0.0.1:PORT/json', responseType: 'arraybuffer', success(r) { console.log('buffer', r.data instanceof ArrayBuffer, r.data.byteLength); } });
  wx.request({ url: 'http://127.0.0.1:PORT/missing', success(r) { console.log('404', r.statusCode, r.data); } });
  wx.request({ url: 'http://127.0.0.1:PORT/redirect', success(r) { console.log('followed', r.statusCode, r.data.ok); } });
  wx.request({ url: 'http://127.0.0.1:PORT/redirect', redirect: 'manual', success(r) { console.log('manual', r.statusCode, r.header.Location); } });
} });
"#,
        port,
        &[],
    );
    let mut lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.remove(0),
        r#"json request:ok 200 {"ok":true,"n":[1,2]} application/json lamp ["a=1; Path=/","b=2"]"#
    );
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "404 404 no such page",
            "buffer true 21",
            "followed 200 true",
            "manual 302 /json",
            "other string",
            "text string not json: 你好",
        ]
    );
}

#[test]
fn data_is_encoded_as_wechat_does() {
    let port = serve(None);
    let out = page(
        r#"
function echo(options) {
  return new Promise(function (resolve) {
    options.url = options.url || 'http://127.0.0.1:PORT/echo';
    options.success = function (r) { resolve(r.data); };
    wx.request(options);
  });
}
(async function () {
  let e = await echo({ data: { a: 'x y', n: 1, o: { k: [1] } } });
  console.log(e.line);
  e = await echo({ url: 'http://127.0.0.1:PORT/echo?q=1#frag', data: 'raw=1' });
  console.log(e.line);
  e = await echo({ method: 'post', data: { a: 1, b: [2] } });
  console.log(e.line, e.body, e.headers.filter(h => h.startsWith('content-type')).join());
  e = await echo({ method: 'POST', header: { 'Content-Type': 'application/x-www-form-urlencoded' }, data: { a: 'x&y', b: [1, 2] } });
  console.log(e.body, e.headers.filter(h => h.startsWith('content-type')).join());
  e = await echo({ method: 'PUT', data: 'plain text' });
  console.log(e.line, e.body);
  e = await echo({ method: 'POST', data: new Uint8Array([104, 105]).buffer, header: { 'X-Token': 7, Referer: 'x' } });
  console.log(e.body, e.headers.filter(h => h.startsWith('x-token') || h.startsWith('referer')).join(' | '));
})();
"#,
        port,
        &[],
    );
    assert_eq!(
        out,
        "GET /echo?a=x%20y&n=1&o=%7B%22k%22%3A%5B1%5D%7D HTTP/1.1\n\
         GET /echo?q=1&raw=1 HTTP/1.1\n\
         POST /echo HTTP/1.1 {\"a\":1,\"b\":[2]} content-type: application/json\n\
         a=x%26y&b=1%2C2 content-type: application/x-www-form-urlencoded\n\
         PUT /echo HTTP/1.1 plain text\n\
         hi x-token: 7 | referer: https://servicewechat.com/touristappid/0/page-frame.html\n"
    );
}

#[test]
fn the_request_task_aborts_and_reports_headers_and_chunks() {
    let port = serve(None);
    let out = page(
        r#"
const chunks = [];
const task = wx.request({ url: 'http://127.0.0.1:PORT/chunked', enableChunked: true,
  success(r) { console.log('done', r.statusCode, JSON.stringify(r.data), chunks.join('|')); } });
task.onHeadersReceived(function (h) { console.log('headers', h.statusCode); });
task.onChunkReceived(function (c) { chunks.push(new TextDecoder().decode(c.data)); });
const slow = wx.request({ url: 'http://127.0.0.1:PORT/slow', success() { console.log('not aborted'); },
  fail(e) { console.log('slow', JSON.stringify(e)); }, complete(e) { console.log('complete', e.errMsg); } });
console.log(typeof slow.then, typeof slow.abort, typeof slow.offHeadersReceived);
setTimeout(function () { slow.abort(); slow.abort(); }, 50);
"#,
        port,
        &[],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "undefined function function");
    assert!(lines.contains(&"headers 200"), "{out}");
    assert!(
        lines.contains(&r#"done 200 "" first,|second,|third"#),
        "{out}"
    );
    assert!(
        lines.contains(&r#"slow {"errMsg":"request:fail abort"}"#),
        "{out}"
    );
    assert!(lines.contains(&"complete request:fail abort"), "{out}");
    assert!(!out.contains("not aborted"), "{out}");
}

#[test]
fn failures_read_as_wechat_s_with_their_errno() {
    let port = serve(None);
    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = page(
        r#"
function fails(options) {
  return new Promise(function (resolve) {
    options.fail = function (e) { resolve(JSON.stringify(e)); };
    options.success = function (r) { resolve('success ' + r.statusCode); };
    wx.request(options);
  });
}
(async function () {
  console.log(await fails({ url: 'http://127.0.0.1:PORT/slow', timeout: 200 }));
  console.log(await fails({ url: 'http://127.0.0.1:CLOSED/' }));
  console.log(await fails({ url: 'http://no-such-host.invalid/' }));
  console.log(await fails({ url: 'ftp://127.0.0.1/' }));
  console.log(await fails({ url: '/relative' }));
  console.log(await fails({}));
  console.log(await fails({ url: 'http://127.0.0.1:PORT/reset' }));
  console.log(await fails({ url: 'https://127.0.0.1:PORT/json' }));
})();
"#
        .replace("CLOSED", &closed.to_string())
        .as_str(),
        port,
        &[],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..6],
        [
            r#"{"errMsg":"request:fail timeout","errno":5}"#,
            r#"{"errMsg":"request:fail -102:net::ERR_CONNECTION_REFUSED","errno":600001}"#,
            r#"{"errMsg":"request:fail -105:net::ERR_NAME_NOT_RESOLVED","errno":600001}"#,
            r#"{"errMsg":"request:fail invalid url \"ftp://127.0.0.1/\"","errno":600009}"#,
            r#"{"errMsg":"request:fail invalid url \"/relative\"","errno":600009}"#,
            r#"{"errMsg":"request:fail invalid url \"\"","errno":600009}"#,
        ]
    );
    assert!(
        lines[6].starts_with(r#"{"errMsg":"request:fail -"#),
        "{out}"
    );
    assert!(
        lines[7].starts_with(r#"{"errMsg":"request:fail -"#) && lines[7].contains("600001"),
        "{out}"
    );
    // Before base library 2.24.0 there is no errno.
    let old = page(
        "wx.request({ url: 'ftp://x', fail(e) { console.log(JSON.stringify(e)); } });",
        port,
        &["--base-library", "2.23.0"],
    );
    assert_eq!(
        old,
        "{\"errMsg\":\"request:fail invalid url \\\"ftp://x\\\"\"}\n"
    );
}

#[test]
fn https_checks_certificates_and_trusts_a_test_ca_given_by_flag() {
    let port = serve(Some(tls_config()));
    let source = r#"
wx.request({ url: 'https://localhost:PORT/json',
  success(r) { console.log('ok', r.statusCode, r.data.ok); },
  fail(e) { console.log(JSON.stringify(e)); } });
"#;
    assert_eq!(
        page(source, port, &[]),
        "{\"errMsg\":\"request:fail -202:net::ERR_CERT_AUTHORITY_INVALID\",\"errno\":600001}\n"
    );
    let ca = tls_dir().join("ca.pem");
    assert_eq!(
        page(source, port, &["--cacert", ca.to_str().unwrap()]),
        "ok 200 true\n"
    );
    // The certificate names localhost and 127.0.0.1, not 127.0.0.2.
    let other = source.replace("localhost", "127.0.0.2");
    let listener_port = {
        // The server listens on 127.0.0.1 only: use a second one on 127.0.0.2.
        let l = TcpListener::bind("127.0.0.2:0").unwrap();
        let p = l.local_addr().unwrap().port();
        let config = tls_config();
        std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                let conn = rustls::ServerConnection::new(config.clone()).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, s);
                let mut buf = [0u8; 1];
                let _ = tls.read(&mut buf);
            }
        });
        p
    };
    assert_eq!(
        page(&other, listener_port, &["--cacert", ca.to_str().unwrap()]),
        "{\"errMsg\":\"request:fail -200:net::ERR_CERT_COMMON_NAME_INVALID\",\"errno\":600001}\n"
    );
}

#[test]
fn requests_appear_in_the_trace_and_the_report() {
    let port = serve(None);
    let script = Script::new(
        "request-report",
        &"wx.request({ url: 'http://127.0.0.1:PORT/json' }); wx.request({ url: 'ftp://x' });"
            .replace("PORT", &port.to_string()),
    );
    let report = script.dir.join("report.json");
    let out = run(&[
        "run",
        script.path.to_str().unwrap(),
        "--trace",
        "--report",
        report.to_str().unwrap(),
        "--timeout",
        "30",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("request#1 GET http://127.0.0.1:{port}/json")),
        "{err}"
    );
    assert!(err.contains("request#1 -> 200 (21 bytes) in "), "{err}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let requests = r["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1, "{r}");
    assert_eq!(requests[0]["method"], "GET");
    assert_eq!(requests[0]["statusCode"], 200);
    assert_eq!(requests[0]["bytes"], 21);
}

#[test]
fn a_connection_that_never_answers_does_not_hold_the_loop() {
    // The server accepts and stays silent: timers go on while the request waits.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_secs(2));
        drop::<TcpStream>(s);
    });
    let out = page(
        r#"
let ticks = 0;
const timer = setInterval(function () { ticks++; }, 10);
wx.request({ url: 'http://127.0.0.1:PORT/', timeout: 500, fail(e) { clearInterval(timer); console.log(e.errMsg, ticks > 20); } });
"#,
        port,
        &[],
    );
    assert_eq!(out, "request:fail timeout true\n");
    held.join().unwrap();
}
