//! `wxudp send`, `listen` and `echo` as a netcat for UDP devices: every way in for a
//! message, interactive mode through a pipe, source addresses, the exact output of each
//! format, exit statuses, signals, stdout and stderr that fail, completions and the man
//! page. Traffic goes to loopback only (and, for the broadcast hint, inside a network
//! namespace of the test's own).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{
    finish, recv, run, run_with_stdin, signal, socket, start, stderr, stdout, wxudp, Running,
    TempFile, WAIT,
};
use nix::sys::signal::Signal;

/// Control bytes, an escape sequence, invalid UTF-8, valid UTF-8 (é), a backslash, DEL,
/// a C1 control and a right-to-left override.
const AWKWARD: &[u8] = b"hi\r\n\x00\x1b[31m\xff\xfe caf\xc3\xa9 \\ \x7f\xc2\x80\xe2\x80\xae!";

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect()
}

/// The payload bytes of a JSON line.
fn payload(line: &serde_json::Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(line["base64"].as_str().unwrap())
        .unwrap()
}

#[test]
fn send_takes_the_message_from_stdin_a_file_hex_and_base64() {
    let (listener, port, _err) =
        start(&["listen", "0", "-s", "127.0.0.1", "-c", "8", "-f", "json"]);
    let to = format!("127.0.0.1:{port}");
    let file = TempFile::new("message.bin", AWKWARD);
    let file_arg = format!("@{}", file.path());
    let sends: &[(&[&str], &[u8])] = &[
        // `-` reads stdin, bytes as they are.
        (&["send", &to, "-"], AWKWARD),
        // No MESSAGE and stdin a pipe: stdin too.
        (&["send", &to], b"piped\n"),
        (&["send", &to, &file_arg], b""),
        (&["send", &to, "--hex", "-"], b"de:ad be ef\n"),
        (&["send", &to, "--base64"], b"aGVsbG8=\n"),
        (&["send", &to, "--literal", "-"], b"ignored"),
        (&["send", &to, "--literal", "@not-a-file"], b""),
        (&["send", &to, "--base64", "_-8"], b""),
    ];
    for (args, input) in sends {
        // No replies come: no moment to wait for them.
        let args: Vec<&str> = args.iter().copied().chain(["-w", "0"]).collect();
        let out = run_with_stdin(&args, input);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let out = finish(listener);
    assert!(out.status.success());
    let got: Vec<Vec<u8>> = json_lines(&stdout(&out)).iter().map(payload).collect();
    let expected: Vec<&[u8]> = vec![
        AWKWARD,
        b"piped\n",
        AWKWARD,
        &[0xde, 0xad, 0xbe, 0xef],
        b"hello",
        b"-",
        b"@not-a-file",
        &[0xff, 0xef],
    ];
    assert_eq!(got, expected);
}

#[test]
fn send_input_errors() {
    // Bad input is a usage error (2) before anything is sent; an unreadable file a
    // runtime failure (1).
    let cases: &[(&[&str], &[u8], i32, &str)] = &[
        (
            &["send", "127.0.0.1:9", "--hex", "-"],
            b"xyz",
            2,
            "wxudp: error: stdin is not hex: ",
        ),
        (
            &["send", "127.0.0.1:9", "--base64", "a!b"],
            b"",
            2,
            "wxudp: error: MESSAGE is not base64: ",
        ),
        (
            &["send", "127.0.0.1:9", "@/nonexistent/wxudp-message"],
            b"",
            1,
            "wxudp: error: cannot read /nonexistent/wxudp-message: No such file or directory",
        ),
        (
            &["send", "127.0.0.1:9", "--literal"],
            b"",
            2,
            "error: the following required arguments were not provided:\n  <MESSAGE>",
        ),
        (
            &["send", "127.0.0.1:9", "-C", "x"],
            b"",
            2,
            "error: the argument '--crlf' cannot be used with '[MESSAGE]'",
        ),
        (
            &["send", "127.0.0.1:9", "--interactive", "-c", "2"],
            b"",
            2,
            "error: the argument '--interactive' cannot be used with",
        ),
    ];
    for (args, input, code, start) in cases {
        let out = run_with_stdin(args, input);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {err}");
        assert!(err.starts_with(start), "{args:?}: {err}");
    }
    // Larger than a datagram: from a file, and endless stdin.
    let big = TempFile::new("big.bin", &vec![b'x'; 65508]);
    let out = run(&["send", "127.0.0.1:9", &format!("@{}", big.path())]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "wxudp: error: the message is 65508 bytes; a UDP datagram carries at most 65507 bytes over IPv4\n"
    );
    let out = run_with_stdin(&["send", "127.0.0.1:9", "-"], &vec![b'y'; (1 << 20) + 1]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("wxudp: error: stdin is more than 1048576 bytes"),
        "{}",
        stderr(&out)
    );
}

/// Flags that need MESSAGE, or interactive mode, are usage errors in every combination:
/// clap's `requires` does not hold beside a flag that conflicts with what it requires,
/// and whether stdin is a terminal (which clap cannot see) picks the mode without
/// MESSAGE.
#[test]
fn send_flags_of_the_other_mode_are_usage_errors() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["send", "127.0.0.1:9", "--interactive", "--literal"],
            "error: the argument '--interactive' cannot be used with '--literal'",
        ),
        (
            &["send", "127.0.0.1:9", "-C", "--literal"],
            "error: the argument '--crlf' cannot be used with '--literal'",
        ),
        (
            &["send", "127.0.0.1:9", "-C"],
            "wxudp: error: -C/--crlf ends the lines of interactive mode",
        ),
    ];
    for (args, start) in cases {
        let out = run_with_stdin(args, b"x");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with(start), "{args:?}: {err}");
    }
}

/// Writes a line to a child's stdin and reads the next line of its stdout.
fn exchange(stdin: &mut impl Write, stdout: &mut impl BufRead, line: &[u8]) -> String {
    stdin.write_all(line).unwrap();
    stdin.flush().unwrap();
    let mut reply = String::new();
    stdout.read_line(&mut reply).unwrap();
    reply
}

#[test]
fn interactive_mode_sends_each_line_and_prints_replies_as_they_arrive() {
    let (echo, port, _err) = start(&["echo", "0", "-s", "127.0.0.1", "-c", "4"]);
    let mut child = wxudp()
        .args([
            "send",
            &format!("127.0.0.1:{port}"),
            "--interactive",
            "--replies",
            "4",
            "-w",
            "20",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    let sender = Running(Some(child));
    // Each reply comes back while stdin is still open: replies print as they arrive.
    let from = format!("127.0.0.1:{port} (IPv4)");
    assert_eq!(
        exchange(&mut input, &mut output, b"one\n"),
        format!("{from} 3 bytes: one\n")
    );
    assert_eq!(
        exchange(&mut input, &mut output, b"two\r\n"),
        format!("{from} 3 bytes: two\n")
    );
    assert_eq!(
        exchange(&mut input, &mut output, b"\n"),
        format!("{from} 0 bytes: \n")
    );
    // The last line needs no newline: it goes at the end of input, and its reply is
    // waited for (--replies 4, within -w 20).
    input.write_all(b"\xff\tend").unwrap();
    drop(input);
    let mut last = String::new();
    output.read_line(&mut last).unwrap();
    assert_eq!(last, format!("{from} 5 bytes: \\xff\\x09end\n"));
    let out = sender.finish();
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "wxudp: sending each line to 127.0.0.1:{port}, replies as they come"
        )),
        "{err}"
    );
    let summary = err.lines().last().unwrap();
    assert!(
        summary.starts_with(&format!(
            "wxudp: sent 4 datagrams (11 bytes in all) to 127.0.0.1:{port} in "
        )),
        "{err}"
    );
    assert!(
        summary.ends_with("; received 4 replies (11 bytes)"),
        "{err}"
    );
    assert!(finish(echo).status.success());
}

#[test]
fn interactive_mode_with_hex_lines_crlf_and_a_bad_line() {
    let (listener, port, _err) =
        start(&["listen", "0", "-s", "127.0.0.1", "-c", "2", "-f", "json"]);
    let to = format!("127.0.0.1:{port}");
    let out = run_with_stdin(
        &["send", &to, "--lines", "--hex", "-q"],
        b"01 02\nnot hex\nff\n",
    );
    // The bad line is reported and skipped; the others go; the status tells.
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "wxudp: line 2 is not hex: Invalid character 'n' at position 0: not sent\n\
         wxudp: error: 1 line of stdin could not be sent (see above)\n"
    );
    let got: Vec<Vec<u8>> = json_lines(&stdout(&finish(listener)))
        .iter()
        .map(payload)
        .collect();
    assert_eq!(got, [vec![1, 2], vec![0xff]]);

    let (listener, port, _err) =
        start(&["listen", "0", "-s", "127.0.0.1", "-c", "1", "-f", "json"]);
    let out = run_with_stdin(
        &["send", &format!("127.0.0.1:{port}"), "--interactive", "-C"],
        b"AT\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&stdout(&finish(listener)));
    assert_eq!(lines[0]["text"], "AT\r\n");
}

/// Runs `send` from a port that was free a moment ago; another program may take it
/// meanwhile, so a busy port means another try with another port.
fn send_from_a_free_port(flags: impl Fn(u16) -> Vec<String>) -> u16 {
    for _ in 0..20 {
        let port = UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let args = flags(port);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        if out.status.success() {
            return port;
        }
        assert!(
            stderr(&out).contains("address already in use"),
            "{}",
            stderr(&out)
        );
    }
    panic!("no free port in 20 tries");
}

#[test]
fn send_from_a_source_address_and_port() {
    let (listener, port, _err) = start(&["listen", "0", "-c", "4", "-f", "json"]);
    let to = format!("127.0.0.1:{port}");
    let p1 = send_from_a_free_port(|p| {
        vec![
            "send".into(),
            to.clone(),
            "from".into(),
            "--from".into(),
            format!("127.0.0.1:{p}"),
        ]
    });
    let p2 = send_from_a_free_port(|p| {
        vec![
            "send".into(),
            to.clone(),
            "dash p".into(),
            "-p".into(),
            p.to_string(),
        ]
    });
    let out = run(&["send", &to, "dash s", "-s", "127.0.0.2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["send", &format!("[::1]:{port}"), "v6", "--from", "[::1]:0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&stdout(&finish(listener)));
    let peers: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["text"].as_str().unwrap(), l["peer"].as_str().unwrap()))
        .collect();
    assert_eq!(peers[0], ("from", format!("127.0.0.1:{p1}").as_str()));
    assert_eq!(peers[1], ("dash p", format!("127.0.0.1:{p2}").as_str()));
    assert_eq!(peers[2].0, "dash s");
    assert!(peers[2].1.starts_with("127.0.0.2:"), "{peers:?}");
    assert_eq!(lines[3]["address"], "::1");
}

#[test]
fn source_errors_name_the_address_and_a_hint() {
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = run(&[
        "send",
        "127.0.0.1:9",
        "x",
        "--from",
        &format!("127.0.0.1:{port}"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "wxudp: error: cannot send from 127.0.0.1:{port}: address already in use (os error 98)\n\
             wxudp: hint: another program has UDP port {port}; see which with: ss -ulpn 'sport = :{port}' \
             (or choose another port; 0 picks a free one)\n"
        )
    );
    // 192.0.2.1 (TEST-NET-1) is no address of this host: nothing is sent.
    let out = run(&["send", "127.0.0.1:9", "x", "-s", "192.0.2.1"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "wxudp: error: cannot send from 192.0.2.1:0: cannot assign requested address (os error 99)\n\
         wxudp: hint: 192.0.2.1 is not an address of this host; list them with: ip -br addr\n"
    );
    let out = run(&["listen", "0", "-s", "192.0.2.1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("wxudp: error: cannot listen on 192.0.2.1:0: "));
    // Families that cannot go together are usage errors.
    for (args, msg) in [
        (
            &["send", "-4", "[::1]:9", "x"][..],
            "wxudp: error: ::1 is not an IPv4 address",
        ),
        (
            &["send", "-s", "::1", "127.0.0.1:9", "x"],
            "wxudp: error: 127.0.0.1 is not an IPv6 address",
        ),
        (
            &["send", "-6", "-s", "127.0.0.1", "localhost:9", "x"],
            "wxudp: error: the source address 127.0.0.1 is not of the family -6 asks for",
        ),
        (
            &["listen", "-4", "-s", "::1", "0"],
            "wxudp: error: -4 (IPv4 only) with the IPv6 address ::1",
        ),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).starts_with(msg), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn replies_and_their_exit_statuses() {
    let silent = socket();
    let to = format!("127.0.0.1:{}", silent.local_addr().unwrap().port());
    // Fewer replies than asked within --wait: 124, and the summary says so.
    let out = run(&["send", &to, "ping", "--replies", "2", "--wait", "300"]);
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!("wxudp: timed out: sent 1 datagram of 4 bytes to {to}; received 0 of 2 replies (0 bytes)\n")
    );
    // --replies without --wait does not wait for ever: 5 seconds.
    let begun = Instant::now();
    let out = run(&["send", &to, "ping", "-r", "1"]);
    assert_eq!(out.status.code(), Some(124));
    assert!(begun.elapsed() < WAIT);
    // Enough replies: 0, as soon as they came.
    let (echo, port, _err) = start(&["echo", "0", "-s", "127.0.0.1", "-c", "2"]);
    let to = format!("127.0.0.1:{port}");
    let out = run(&["send", &to, "ping", "-r", "1", "-w", "20"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{to} (IPv4) 4 bytes: ping\n"));
    assert_eq!(
        stderr(&out),
        format!("wxudp: sent 1 datagram of 4 bytes to {to}; received 1 reply (4 bytes)\n")
    );
    let out = run(&["send", &to, "\u{1}", "-r", "1", "-f", "hex"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("{to} (IPv4) 1 bytes:\n00000000: 01                                       .\n")
    );
    assert!(finish(echo).status.success());
}

#[test]
fn replies_stop_a_repeated_send_a_retry_loop() {
    // A device that misses the first datagram and answers the second.
    let device = socket();
    let to = device.local_addr().unwrap().to_string();
    let sender = std::thread::spawn({
        let to = to.clone();
        move || {
            run(&[
                "send",
                &to,
                "ping",
                "-c",
                "5",
                "--interval",
                "500",
                "-r",
                "1",
            ])
        }
    });
    let _missed = recv(&device);
    let (_, from) = recv(&device);
    device.send_to(b"pong", from).unwrap();
    let out = sender.join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{to} (IPv4) 4 bytes: pong\n"));
    // Sending stopped at the reply, before the 5th datagram.
    let err = stderr(&out);
    let sent: u64 = err
        .strip_prefix("wxudp: sent ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{err}"));
    assert!((2..5).contains(&sent), "{err}");
    assert!(err.ends_with("; received 1 reply (4 bytes)\n"), "{err}");
}

#[test]
fn listen_timeout_idle_count_and_from() {
    // --timeout alone ends well; with --count unmet, 124.
    let out = run(&["listen", "0", "-s", "127.0.0.1", "-w", "0.2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("\nwxudp: received 0 datagrams (0 bytes) in "),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "listen",
        "0",
        "-s",
        "127.0.0.1",
        "-c",
        "2",
        "--timeout",
        "0.2",
    ]);
    assert_eq!(out.status.code(), Some(124));
    assert!(
        stderr(&out).contains("\nwxudp: timed out: received 0 of 2 datagrams (0 bytes) in "),
        "{}",
        stderr(&out)
    );
    let out = run(&["echo", "0", "-s", "127.0.0.1", "-c", "1", "--idle", "0.2"]);
    assert_eq!(out.status.code(), Some(124));
    let out = run(&["listen", "0", "-s", "127.0.0.1", "--idle", "0.2", "-q"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "", "-q: no notes");

    // --from: only that sender counts; the others are ignored and counted.
    let (listener, port, mut err) = start(&[
        "listen",
        "0",
        "-s",
        "127.0.0.1",
        "-c",
        "1",
        "--from",
        "127.0.0.2",
    ]);
    let other = socket();
    other.send_to(b"not you", ("127.0.0.1", port)).unwrap();
    let wanted = UdpSocket::bind("127.0.0.2:0").unwrap();
    wanted.send_to(b"you", ("127.0.0.1", port)).unwrap();
    let out = finish(listener);
    assert!(out.status.success());
    let from = wanted.local_addr().unwrap();
    assert_eq!(stdout(&out), format!("{from} (IPv4) 3 bytes: you\n"));
    let mut summary = String::new();
    err.read_to_string(&mut summary).unwrap();
    assert!(
        summary.starts_with("wxudp: received 1 datagram (3 bytes) in "),
        "{summary}"
    );
    assert!(
        summary.ends_with("; ignored 1 from other senders\n"),
        "{summary}"
    );
}

/// The exact output of every format for [`AWKWARD`], from `listen` and from `echo`.
#[test]
fn every_format_prints_control_bytes_and_invalid_utf8_exactly() {
    let client = socket();
    let from = client.local_addr().unwrap();
    let expected = |format: &str| -> Vec<u8> {
        match format {
            "text" => format!(
                "{from} (IPv4) 28 bytes: hi\\x0d\\x0a\\x00\\x1b[31m\\xff\\xfe café \\\\ \\x7f\\xc2\\x80\\xe2\\x80\\xae!\n"
            )
            .into_bytes(),
            "hex" => format!(
                "{from} (IPv4) 28 bytes:\n\
                 00000000: 6869 0d0a 001b 5b33 316d fffe 2063 6166  hi....[31m.. caf\n\
                 00000010: c3a9 205c 207f c280 e280 ae21            .. \\ ......!\n"
            )
            .into_bytes(),
            "raw" => AWKWARD.to_vec(),
            _ => unreachable!(),
        }
    };
    for command in ["listen", "echo"] {
        for format in ["text", "hex", "json", "raw"] {
            let (child, port, _err) =
                start(&[command, "0", "-s", "127.0.0.1", "-c", "1", "-f", format]);
            client.send_to(AWKWARD, ("127.0.0.1", port)).unwrap();
            if command == "echo" {
                assert_eq!(recv(&client).0, AWKWARD);
            }
            let out = finish(child);
            assert!(out.status.success(), "{command} {format}");
            if format == "json" {
                let line = String::from_utf8(out.stdout).unwrap();
                let v = &json_lines(&line)[0];
                assert_eq!(line.lines().count(), 1);
                assert_eq!(v["peer"], from.to_string());
                assert_eq!(v["address"], "127.0.0.1");
                assert_eq!(v["family"], "IPv4");
                assert_eq!(v["port"], from.port());
                assert_eq!(v["local"]["address"], "127.0.0.1");
                assert_eq!(v["local"]["port"], port);
                assert_eq!(v["size"], 28);
                assert!(v["text"].is_null(), "invalid UTF-8 has no text form");
                assert_eq!(v["base64"], base64(AWKWARD));
                assert_eq!(v["hex"], hex::encode(AWKWARD));
                let time = v["time"].as_str().unwrap();
                assert!(time.ends_with('Z') && time.len() == 27, "{time}");
            } else {
                assert_eq!(out.stdout, expected(format), "{command} {format}");
            }
        }
    }
    // Valid UTF-8 keeps its text in JSON, even with quotes and controls.
    let (child, port, _err) = start(&["listen", "0", "-s", "127.0.0.1", "-c", "1", "-f", "json"]);
    client
        .send_to("{\"device\": \"é\u{1b}\"}".as_bytes(), ("127.0.0.1", port))
        .unwrap();
    let v = &json_lines(&stdout(&finish(child)))[0];
    assert_eq!(v["text"], "{\"device\": \"é\u{1b}\"}");
}

#[test]
fn echo_prints_a_summary() {
    let (echo, port, mut err) = start(&["echo", "0", "-s", "127.0.0.1", "-c", "2"]);
    let client = socket();
    for msg in [&b"a"[..], b"bc"] {
        client.send_to(msg, ("127.0.0.1", port)).unwrap();
        assert_eq!(recv(&client).0, msg);
    }
    let out = finish(echo);
    assert!(out.status.success());
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(
        rest.starts_with("wxudp: echoed 2 datagrams (3 bytes) in "),
        "{rest}"
    );
}

#[test]
fn echo_answers_every_datagram_even_when_its_stdout_is_not_read() {
    // Issue 24: echo echoes first. Its stdout is held and never read; 300 datagrams of
    // 60 kB fill the pipe and the queue to the printing thread many times over, yet each
    // comes back: the echo happens where the datagram was received.
    let (child, port, mut err) = start(&["echo", "0", "-s", "127.0.0.1"]);
    let mut child = Running(Some(child));
    let _stdout = child.child().stdout.take().unwrap();
    let client = socket();
    for i in 0..300u32 {
        let mut big = vec![b'e'; 60_000];
        big[..4].copy_from_slice(&i.to_be_bytes());
        client.send_to(&big, ("127.0.0.1", port)).unwrap();
        let (back, _) = recv(&client);
        assert_eq!(back[..4], i.to_be_bytes(), "datagram {i} echoed");
    }
    signal(child.child(), Signal::SIGINT);
    let out = child.finish();
    assert_eq!(out.status.code(), Some(130));
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("echoed 300 datagrams"), "{rest}");
}

/// Waits (bounded) until `pid` has read everything queued on its IPv4 UDP `port`.
fn drained(pid: u32, port: u16) {
    let deadline = Instant::now() + WAIT;
    let wanted = format!(":{port:04X}");
    loop {
        let table = std::fs::read_to_string(format!("/proc/{pid}/net/udp")).unwrap();
        let queued = table.lines().skip(1).find_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if !cols.get(1)?.ends_with(&wanted) {
                return None;
            }
            u64::from_str_radix(cols.get(4)?.split(':').nth(1)?, 16).ok()
        });
        if queued == Some(0) {
            return;
        }
        assert!(Instant::now() < deadline, "the socket was not drained");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn ctrl_c_ends_a_listen_whose_stdout_nobody_reads() {
    let (child, port, mut err) = start(&["listen", "0", "-s", "127.0.0.1"]);
    let mut child = Running(Some(child));
    // Its stdout is held and never read: 200 lines of 60 kB fill the pipe and the
    // queue to the stdout thread many times over.
    let _stdout = child.child().stdout.take().unwrap();
    let sender = socket();
    let big = vec![b'a'; 60_000];
    for _ in 0..200 {
        sender.send_to(&big, ("127.0.0.1", port)).unwrap();
        drained(child.id(), port);
    }
    signal(child.child(), Signal::SIGINT);
    let out = child.finish();
    assert_eq!(out.status.code(), Some(130));
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    // It took what it could print (the rest waits in the socket's stream or was
    // dropped) and ended at once.
    assert!(rest.starts_with("wxudp: interrupted: received "), "{rest}");
}

#[test]
fn a_closed_stdout_ends_listen_quietly() {
    // `wxudp listen ... | head -1`: the reader went away; listen ends with status 0 and
    // no error, as the tools that die of SIGPIPE end without a word.
    let (child, port, mut err) = start(&["listen", "0", "-s", "127.0.0.1"]);
    let mut child = Running(Some(child));
    drop(child.child().stdout.take());
    let sender = socket();
    // The first datagram may be written before the stdout thread learns the pipe is
    // closed; the next ones find it closed.
    let deadline = Instant::now() + WAIT;
    while child.child().try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "listen did not end");
        sender.send_to(b"x", ("127.0.0.1", port)).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.finish();
    assert_eq!(out.status.code(), Some(0));
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(rest.starts_with("wxudp: received "), "{rest}");
    assert!(!rest.contains("error"), "{rest}");
    assert_eq!(rest.lines().count(), 1, "{rest}");
}

#[test]
fn a_closed_stdout_ends_send_and_man_quietly() {
    // Replies to a stdout nobody reads any more: send ends at once, status 0.
    let (echo, port, _err) = start(&["echo", "0", "-s", "127.0.0.1"]);
    let mut echo = Running(Some(echo));
    let mut child = wxudp()
        .args(["send", &format!("127.0.0.1:{port}"), "--lines", "-w", "20"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut input = child.stdin.take().unwrap();
    let mut child = Running(Some(child));
    // Lines until it notices (the first reply may be written before it does).
    let deadline = Instant::now() + WAIT;
    while child.child().try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "send did not end");
        let _ = input.write_all(b"ping\n");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.finish();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("error"), "{}", stderr(&out));
    signal(echo.child(), Signal::SIGTERM);
    let _ = finish(echo.0.take().unwrap());
    // `wxudp man send | head -1`: whether the page went out before the reader left or
    // not, status 0 and nothing on stderr.
    let mut child = wxudp()
        .args(["man", "send"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = finish(child);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "");
}

#[test]
fn a_closed_stderr_is_ignored() {
    let receiver = socket();
    let to = receiver.local_addr().unwrap().to_string();
    let mut child = wxudp()
        .args(["send", &to, "quietly"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let out = finish(child);
    assert_eq!(out.status.code(), Some(0), "no panic on a closed stderr");
    assert_eq!(recv(&receiver).0, b"quietly");
    // A usage error, too, exits with its status.
    let mut child = wxudp()
        .args(["send", "127.0.0.1:9", "zz", "--hex"])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert_eq!(finish(child).status.code(), Some(2));
}

#[test]
fn signals_end_send_with_a_summary() {
    // A long send, interrupted once the listener saw the first datagram.
    let receiver = socket();
    let to = receiver.local_addr().unwrap().to_string();
    let child = wxudp()
        .args(["send", &to, "tick", "-c", "1000000", "--interval", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(recv(&receiver).0, b"tick");
    signal(&child, Signal::SIGINT);
    let out = finish(child);
    assert_eq!(out.status.code(), Some(130));
    let err = stderr(&out);
    assert!(err.starts_with("wxudp: interrupted: sent "), "{err}");
    assert!(
        err.contains(" of 1000000 datagrams of 4 bytes to "),
        "{err}"
    );

    // Interactive mode waiting on stdin: SIGTERM ends it (143), SIGHUP too (129). A
    // receiver of its own each time: ticks of the send above may still be arriving.
    for (sig, code, word) in [
        (Signal::SIGTERM, 143, "terminated"),
        (Signal::SIGHUP, 129, "hung up"),
    ] {
        let receiver = socket();
        let to = receiver.local_addr().unwrap().to_string();
        let mut child = wxudp()
            .args(["send", &to, "--interactive"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        err.read_line(&mut line).unwrap();
        assert!(line.starts_with("wxudp: sending each line"), "{line}");
        input.write_all(b"first\n").unwrap();
        assert_eq!(recv(&receiver).0, b"first");
        signal(&child, sig);
        let out = finish(child);
        assert_eq!(out.status.code(), Some(code));
        let mut rest = String::new();
        err.read_to_string(&mut rest).unwrap();
        assert_eq!(
            rest,
            format!(
                "wxudp: {word}: sent 1 datagram of 5 bytes to {to}; received 0 replies (0 bytes)\n"
            )
        );
    }
}

#[test]
fn completions_generate_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        for word in ["listen", "send", "echo", "replies", "format", "interactive"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
    }
    // The bash script is valid bash, and completes the subcommands.
    let file = TempFile::new("completion.bash", &run(&["completions", "bash"]).stdout);
    let check = std::process::Command::new("bash")
        .args(["-n", file.path()])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let complete = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; COMP_WORDS=(wxudp li); COMP_CWORD=1; COMP_LINE='wxudp li'; COMP_POINT=8; \
             _wxudp wxudp li wxudp; echo \"${{COMPREPLY[@]}}\"",
            file.path()
        ))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&complete.stdout).trim(), "listen");
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_man_page_renders() {
    let out = run(&["man"]);
    assert!(out.status.success());
    let page = stdout(&out);
    assert!(page.contains(".TH wxudp 1"), "{page}");
    assert!(page.contains("wxudp\\-listen(1)"), "{page}");
    let send = stdout(&run(&["man", "send"]));
    assert!(send.contains(".TH wxudp-send 1"), "{send}");
    assert!(send.contains("\\-\\-replies"), "{send}");
    // The examples are a section, one indented paragraph each, not flowed under EXTRA.
    assert!(!send.contains(".SH EXTRA"), "{send}");
    assert!(send.contains(".SH \"EXIT STATUS\""), "{send}");
    let examples = send.split_once(".SH EXAMPLES\n").unwrap().1;
    assert!(
        examples.starts_with(".TP\n\\fBwxudp send 192.168.4.1:7000 \\*(Aqhello, how are you\\*(Aq\\fR\none datagram, replies for 1 s\n.TP\n"),
        "{examples}"
    );
    let listen = stdout(&run(&["man", "listen"]));
    assert!(
        listen.contains(
            "\n.TP\n\\fBwxudp listen 9000 \\-f hex\\fR\nan xxd\\-style dump of each datagram\n"
        ),
        "{listen}"
    );
    // groff reads it without a warning.
    for page in [&page, &send, &listen] {
        let file = TempFile::new("page.1", page.as_bytes());
        let groff = std::process::Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z", file.path()])
            .output()
            .unwrap();
        assert!(groff.status.success());
        assert_eq!(String::from_utf8_lossy(&groff.stderr), "");
    }
    // Every page into a folder.
    let dir = std::env::temp_dir().join(format!("wxudp-cli-{}-man", std::process::id()));
    let out = run(&["man", "--dir", dir.to_str().unwrap()]);
    std::fs::create_dir_all(&dir).unwrap();
    let out2 = run(&["man", "--dir", dir.to_str().unwrap()]);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        out.status.code(),
        Some(1),
        "no such folder: {}",
        stderr(&out)
    );
    assert!(out2.status.success(), "{}", stderr(&out2));
    for name in ["wxudp.1", "wxudp-send.1", "wxudp-listen.1", "wxudp-echo.1"] {
        assert!(names.iter().any(|n| n == name), "{names:?}");
    }
    let out = run(&["man", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    // The pages it lists are the subcommands a user has: not the hidden `lan-exec`.
    let err = stderr(&out);
    assert!(err.contains("run, lan, listen, send, echo, bench"), "{err}");
    assert!(!err.contains("lan-exec"), "{err}");
    assert_eq!(run(&["man", "lan-exec"]).status.code(), Some(2));
}

#[test]
fn help_has_examples_and_exit_statuses() {
    for args in [
        &["--help"][..],
        &["send", "--help"],
        &["listen", "--help"],
        &["echo", "--help"],
    ] {
        let out = run(args);
        assert!(out.status.success());
        let text = stdout(&out);
        assert!(text.contains("Examples"), "{args:?}");
        assert!(text.contains("Exit status"), "{args:?}");
        assert!(text.contains("124"), "{args:?}");
    }
    for args in [
        &["run", "--help"][..],
        &["bench", "--help"],
        &["lan", "--help"],
    ] {
        assert!(stdout(&run(args)).contains("Examples:"), "{args:?}");
    }
    // Netcat's short flags.
    let listen = stdout(&run(&["listen", "--help"]));
    for flag in [
        "-p, --port",
        "-s, --bind",
        "-w, --timeout",
        "-c, --count",
        "-4, --ipv4",
        "-6, --ipv6",
    ] {
        assert!(listen.contains(flag), "listen: {flag}");
    }
    let send = stdout(&run(&["send", "--help"]));
    for flag in [
        "-p, --source-port",
        "-s, --source",
        "-w, --timeout",
        "-b, --broadcast",
        "-c, --count",
        "-C, --crlf",
    ] {
        assert!(send.contains(flag), "send: {flag}");
    }
}

#[test]
fn bench_with_one_round_trip_reports_no_absurd_latency() {
    let out = run(&[
        "bench", "--quick", "--only", "rtt", "--count", "1", "--size", "8", "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    for metric in doc["metrics"].as_array().unwrap() {
        for row in metric["rows"].as_array().unwrap() {
            if let Some(us) = row["median"].as_f64() {
                // A round trip over loopback takes microseconds, not nanoseconds nor
                // seconds.
                assert!(us > 0.5 && us < 1e6, "{row}");
            }
        }
    }
    // No progress bar without a terminal; at most the debug build's warning.
    let err = stderr(&out);
    assert!(
        err.is_empty() || (err.lines().count() == 1 && err.contains("debug build")),
        "{err}"
    );
    for bad in [
        &["bench", "--size", "0"][..],
        &["bench", "--size", "65508"],
        &["bench", "-c", "x"],
        &["bench", "-c", "0"],
    ] {
        assert_eq!(run(bad).status.code(), Some(2), "{bad:?}");
    }
}

/// A pseudo-terminal: the child's end and ours, read on a thread until the child is gone.
struct Pty {
    child_end: Option<std::os::fd::OwnedFd>,
    master: std::fs::File,
}

impl Pty {
    fn new() -> Pty {
        let size = nix::pty::Winsize {
            ws_row: 24,
            ws_col: 100,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = nix::pty::openpty(&size, None::<&nix::sys::termios::Termios>).unwrap();
        Pty {
            child_end: Some(pty.slave),
            master: std::fs::File::from(pty.master),
        }
    }

    fn stdio(&self) -> Stdio {
        Stdio::from(self.child_end.as_ref().unwrap().try_clone().unwrap())
    }

    /// Everything written to the terminal, once the child (the only other holder of
    /// its end) is gone.
    fn output(mut self) -> std::thread::JoinHandle<Vec<u8>> {
        drop(self.child_end.take());
        let mut master = self.master;
        std::thread::spawn(move || {
            let mut all = Vec::new();
            let mut buf = [0u8; 4096];
            // EIO once the other end is closed everywhere.
            while let Ok(n) = master.read(&mut buf) {
                if n == 0 {
                    break;
                }
                all.extend_from_slice(&buf[..n]);
            }
            all
        })
    }
}

#[test]
fn a_long_send_shows_a_progress_bar_on_a_terminal_only() {
    // A socket that never reads: the kernel drops what does not fit.
    let receiver = socket();
    let to = receiver.local_addr().unwrap().to_string();
    let args = ["send", &to, "x", "-c", "2000"];
    let pty = Pty::new();
    let child = wxudp()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(pty.stdio())
        .spawn()
        .unwrap();
    let screen = pty.output();
    let out = finish(child);
    let screen = String::from_utf8_lossy(&screen.join().unwrap()).into_owned();
    assert!(out.status.success());
    assert!(screen.contains("wxudp: sending ["), "{screen:?}");
    assert!(screen.contains("datagrams"), "{screen:?}");
    assert!(
        screen.contains("wxudp: sent 2000 datagrams of 1 byte to "),
        "{screen:?}"
    );
    // Not a terminal: the summary alone, no escape sequence.
    let out = run(&args);
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.starts_with("wxudp: sent 2000 datagrams of 1 byte to "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains('\u{1b}'), "{err:?}");
}

#[test]
fn bench_shows_its_progress_on_a_terminal() {
    let pty = Pty::new();
    let child = wxudp()
        .args([
            "bench", "--quick", "--only", "rtt", "--count", "20", "--size", "8",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(pty.stdio())
        .spawn()
        .unwrap();
    let screen = pty.output();
    let out = finish(child);
    let screen = String::from_utf8_lossy(&screen.join().unwrap()).into_owned();
    assert!(out.status.success());
    assert!(screen.contains("wxudp: bench ["), "{screen:?}");
    assert!(screen.contains("round trip: plain sockets"), "{screen:?}");
    assert!(stdout(&out).contains("round trip p50, 20 x 8 B"));
}

#[test]
fn listen_ipv4_or_ipv6_only() {
    let (listener, port, mut err) = start(&["listen", "-4", "0", "-c", "1"]);
    let sock = socket();
    sock.send_to(b"four", ("127.0.0.1", port)).unwrap();
    let out = finish(listener);
    assert!(out.status.success());
    assert!(stdout(&out).ends_with(" (IPv4) 4 bytes: four\n"));
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(rest.starts_with("wxudp: received 1 datagram"), "{rest}");

    // -6: a udp6 socket on [::] whose IPv4 senders are ignored.
    let mut child = wxudp()
        .args(["listen", "-6", "0", "-c", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.starts_with("wxudp: listening on [::]:"), "{line}");
    assert!(line.ends_with(" (udp6)\n"), "{line}");
    let port = common::listening_port(&line);
    sock.send_to(b"four", ("127.0.0.1", port)).unwrap();
    let six = UdpSocket::bind("[::1]:0").unwrap();
    six.send_to(b"six", ("::1", port)).unwrap();
    let out = finish(child);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        format!("{} (IPv6) 3 bytes: six\n", six.local_addr().unwrap())
    );
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(rest.ends_with("; ignored 1 from other senders\n"), "{rest}");
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root, iproute2 and setpriv (a namespace, and a user without privileges); runs under CI=true or with --include-ignored"
)]
fn a_privileged_port_says_why() {
    // In a namespace of its own, ports below 1024 need privileges (the default of
    // net.ipv4.ip_unprivileged_port_start), which `nobody` lacks.
    let ns = wxudp_testkit::Netns::create("lowport");
    // A copy `nobody` can run whatever the permissions of the build folder, written
    // by another process (a file this one had open for writing could be inherited by a
    // child another test forks meanwhile, and then not run: ETXTBSY).
    let binary = TempFile::new("wxudp-copy", b"");
    let copied = std::process::Command::new("install")
        .args(["-m", "755", env!("CARGO_BIN_EXE_wxudp"), binary.path()])
        .status()
        .unwrap();
    assert!(copied.success());
    let out = ns
        .exec("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(binary.path())
        .args(["listen", "80", "-s", "127.0.0.1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "wxudp: error: cannot listen on 127.0.0.1:80: permission denied (os error 13)\n\
         wxudp: hint: ports below 1024 need root (or CAP_NET_BIND_SERVICE); use a port from 1024 up instead of 80\n"
    );
}

#[test]
fn without_a_message_a_terminal_gets_interactive_mode() {
    let (echo, port, _err) = start(&["echo", "0", "-s", "127.0.0.1", "-c", "1"]);
    let pty = Pty::new();
    let mut child = wxudp()
        .args(["send", &format!("127.0.0.1:{port}")])
        .stdin(pty.stdio())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut typing = pty.master.try_clone().unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    let screen = pty.output();
    let reply = exchange(&mut typing, &mut output, b"typed\n");
    assert_eq!(reply, format!("127.0.0.1:{port} (IPv4) 5 bytes: typed\n"));
    // Ctrl-D at the start of a line: end of input.
    typing.write_all(&[4]).unwrap();
    let out = finish(child);
    drop(typing);
    let _ = screen.join();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("wxudp: sent 1 datagram of 5 bytes"));
    assert!(finish(echo).status.success());
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn a_broadcast_without_a_route_says_why() {
    // A namespace with nothing but `lo`: no route for the limited broadcast. Nothing
    // leaves it.
    let ns = wxudp_testkit::Netns::create("nobcast");
    let out = ns
        .exec(env!("CARGO_BIN_EXE_wxudp"))
        .args(["send", "-b", "255.255.255.255:9", "hello"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "wxudp: error: cannot send to 255.255.255.255:9: network is unreachable (os error 101)\n\
         wxudp: hint: no route for the broadcast to 255.255.255.255: this host has no default \
         route and no interface up whose network holds it. Send to the broadcast address of an \
         interface's network (see: ip -br addr), or add a route for it \
         (ip route add 255.255.255.255 dev IFACE)\n"
    );
    let out = ns
        .exec(env!("CARGO_BIN_EXE_wxudp"))
        .args(["send", "192.0.2.1:9", "hello"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .ends_with("wxudp: hint: this host has no route to 192.0.2.1; see which way it would go with: ip route get 192.0.2.1\n"));
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn a_broadcast_reaches_a_listener_on_the_lan() {
    // Two namespaces joined by a veth pair: send -b to the subnet's broadcast address
    // from one, listen in the other.
    let a = wxudp_testkit::Netns::create("bca");
    let b = wxudp_testkit::Netns::create("bcb");
    a.link("veth-a", "192.168.77.1/24", &b, "veth-b", "192.168.77.2/24");
    let mut listener = b
        .exec(env!("CARGO_BIN_EXE_wxudp"))
        .args(["listen", "-4", "0", "-c", "1", "-f", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(listener.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let port = common::listening_port(&line);
    let out = a
        .exec(env!("CARGO_BIN_EXE_wxudp"))
        .args(["send", "-b", &format!("192.168.77.255:{port}"), "DISCOVER"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = finish(listener);
    let v = &json_lines(&stdout(&out))[0];
    assert_eq!(v["text"], "DISCOVER");
    assert_eq!(v["address"], "192.168.77.1");
    assert_eq!(v["local"]["address"], "192.168.77.255");
    let _: SocketAddr = v["peer"].as_str().unwrap().parse().unwrap();
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root, iproute2 and tc (network namespaces, a rate-limited link); runs under CI=true or with --include-ignored"
)]
fn a_long_send_over_a_slow_link_waits_for_room() {
    // A 80 Mbit/s link (a token bucket on the veth): 20 MB of datagrams fill the
    // socket's buffer and its send queue many times over. Each is handed to the kernel
    // in the end (the queue is waited out, and emptied before the socket closes).
    let a = wxudp_testkit::Netns::create("slowa");
    let b = wxudp_testkit::Netns::create("slowb");
    a.link("veth-a", "192.168.78.1/24", &b, "veth-b", "192.168.78.2/24");
    let tc = a
        .exec("tc")
        .args([
            "qdisc", "add", "dev", "veth-a", "root", "tbf", "rate", "80mbit",
        ])
        .args(["burst", "32kb", "latency", "10s"])
        .status()
        .unwrap();
    assert!(tc.success());
    let message = "a".repeat(1000);
    let out = a
        .exec(env!("CARGO_BIN_EXE_wxudp"))
        // Unconnected (nothing listens there: a connected socket would hear the ICMP
        // port unreachable answers), and no wait for replies.
        .args(["send", "192.168.78.2:9", &message, "-c", "20000"])
        .args(["--any-peer", "-w", "0"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.starts_with("wxudp: sent 20000 datagrams of 1000 bytes to 192.168.78.2:9 in "),
        "{err}"
    );
    // The link sends them all (those still in its queue when `send` ends, within a
    // generous deadline), and drops none.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stats = a
            .exec("tc")
            .args(["-s", "qdisc", "show", "dev", "veth-a"])
            .output()
            .unwrap();
        let stats = String::from_utf8_lossy(&stats.stdout).into_owned();
        let packets: u64 = stats
            .split_once(" pkt")
            .and_then(|(before, _)| before.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{stats}"));
        assert!(stats.contains("(dropped 0,"), "{stats}");
        if packets >= 20_000 {
            break;
        }
        assert!(Instant::now() < deadline, "{stats}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A loopback address of this test's own (127.0.0.0/8 is all this host's) and a port
/// nothing listens on there: nobody else binds that address, so the port stays closed.
fn closed_port(ip: &str) -> String {
    let taken = UdpSocket::bind((ip, 0)).unwrap();
    let addr = taken.local_addr().unwrap();
    drop(taken);
    addr.to_string()
}

#[test]
fn send_shows_replies_for_a_moment_unless_told_not_to() {
    let (echo, port, _err) = start(&["echo", "0", "-s", "127.0.0.1", "-c", "3"]);
    let to = format!("127.0.0.1:{port}");
    // A plain send, as `nc -u -w1`: the reply shows, then it exits (1 s at most).
    let out = run(&["send", &to, "ping"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{to} (IPv4) 4 bytes: ping\n"));
    assert_eq!(
        stderr(&out),
        format!("wxudp: sent 1 datagram of 4 bytes to {to}; received 1 reply (4 bytes)\n")
    );
    // -w 0: at once, replies not shown nor counted.
    let out = run(&["send", &to, "ping", "-w", "0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        format!("wxudp: sent 1 datagram of 4 bytes to {to}\n")
    );
    // Interactive mode from a pipe, without -w: the end of input waits for the replies
    // of the last lines (here until --replies came).
    let out = run_with_stdin(&["send", &to, "--lines", "-r", "1"], b"last\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{to} (IPv4) 4 bytes: last\n"));
    assert!(finish(echo).status.success());
}

#[test]
fn a_closed_port_is_told_and_fails_a_wait_for_replies() {
    let to = closed_port("127.83.41.7");
    // The loopback answers each datagram with an ICMP port unreachable; the connected
    // socket hears it (on the next send, at the latest).
    let out = run(&["send", &to, "x", "-c", "3", "--interval", "100", "-r", "1"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let refused = format!("connection refused (ICMP port unreachable from {to})");
    assert!(
        err.starts_with(&format!("wxudp: {refused}; trying again\n")),
        "{err}"
    );
    assert!(
        err.contains(&format!("\nwxudp: error: {refused}\n")),
        "{err}"
    );
    let summary = err.lines().last().unwrap();
    assert!(
        summary.starts_with(&format!(
            "wxudp: refused: sent 3 datagrams of 1 byte to {to} in "
        )),
        "{err}"
    );
    assert!(
        summary.contains("; received 0 of 1 reply (0 bytes); ")
            && summary.ends_with(" refused (ICMP port unreachable)"),
        "{err}"
    );
    // Without --replies it is a note, and no failure.
    let out = run(&["send", &to, "x", "-c", "2", "--interval", "100"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.starts_with(&format!("wxudp: {refused}\n")), "{err}");
    assert!(!err.contains("error"), "{err}");
    // --any-peer keeps the socket unconnected: nothing heard, nothing said.
    let out = run(&[
        "send",
        &to,
        "x",
        "-c",
        "2",
        "--interval",
        "100",
        "--any-peer",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!stderr(&out).contains("refused"), "{}", stderr(&out));
}

#[test]
fn a_retry_loop_outlasts_refusals_until_the_echo_is_up() {
    // The README's tour: the send starts before the echo binds its port.
    let ip = "127.83.41.8";
    let to = closed_port(ip);
    let port = to.rsplit_once(':').unwrap().1.to_owned();
    let mut child = wxudp()
        .args(["send", &to, "hello, how are you", "--replies", "1"])
        .args(["-c", "100", "--interval", "100", "-w", "20"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let sender = Running(Some(child));
    // Refused at first: told once, and sending goes on.
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert_eq!(
        line,
        format!("wxudp: connection refused (ICMP port unreachable from {to}); trying again\n")
    );
    let (echo, _, _echo_err) = start(&["echo", &port, "-s", ip, "-c", "1"]);
    let out = sender.finish();
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(out.status.success(), "{rest}");
    assert_eq!(
        stdout(&out),
        format!("{to} (IPv4) 18 bytes: hello, how are you\n")
    );
    assert!(
        rest.contains("; received 1 reply (18 bytes); ")
            && rest.ends_with(" refused (ICMP port unreachable)\n"),
        "{rest}"
    );
    assert!(finish(echo).status.success());
}

#[test]
fn listen_sends_lines_of_stdin_to_the_last_sender() {
    let mut child = wxudp()
        .args(["listen", "0", "-s", "127.0.0.1", "-c", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let listener = Running(Some(child));
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let port = common::listening_port(&line);
    // Nobody to answer yet: the line is told, not sent.
    input.write_all(b"too early\n").unwrap();
    input.flush().unwrap();
    line.clear();
    err.read_line(&mut line).unwrap();
    assert_eq!(
        line,
        "wxudp: line 1 not sent: no datagram came yet to answer (--reply-to ADDR:PORT names where lines go)\n"
    );
    let peer = socket();
    peer.send_to(b"hello", ("127.0.0.1", port)).unwrap();
    let mut shown = String::new();
    output.read_line(&mut shown).unwrap();
    assert!(shown.ends_with(" 5 bytes: hello\n"), "{shown}");
    // Each line, without its newline, is a datagram to the last sender.
    input.write_all(b"hi there\r\n\nlast").unwrap();
    drop(input);
    let (got, from) = recv(&peer);
    assert_eq!((got.as_slice(), from.port()), (&b"hi there"[..], port));
    assert_eq!(recv(&peer).0, b"");
    assert_eq!(recv(&peer).0, b"last");
    // Stdin ended; listening goes on.
    peer.send_to(b"more", ("127.0.0.1", port)).unwrap();
    let out = listener.finish();
    assert!(out.status.success());
    let mut rest = String::new();
    output.read_to_string(&mut rest).unwrap();
    assert!(rest.ends_with(" 4 bytes: more\n"), "{rest}");
    let mut summary = String::new();
    err.read_to_string(&mut summary).unwrap();
    assert!(
        summary.starts_with("wxudp: received 2 datagrams (9 bytes) in ")
            && summary.ends_with("; sent 3 lines (12 bytes)\n"),
        "{summary}"
    );
}

#[test]
fn listen_reply_to_pins_the_peer_and_crlf_ends_lines() {
    let pinned = socket();
    let to = pinned.local_addr().unwrap().to_string();
    let mut child = wxudp()
        .args([
            "listen",
            "0",
            "-s",
            "127.0.0.1",
            "--reply-to",
            &to,
            "-C",
            "-c",
            "2",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    let listener = Running(Some(child));
    // Before any datagram came, and after another sender's: to --reply-to, with \r\n.
    input.write_all(b"AT\n").unwrap();
    input.flush().unwrap();
    let (got, listen_addr) = recv(&pinned);
    assert_eq!(got, b"AT\r\n");
    let other = socket();
    other.send_to(b"from another", listen_addr).unwrap();
    let mut shown = String::new();
    output.read_line(&mut shown).unwrap();
    assert!(shown.ends_with(" 12 bytes: from another\n"), "{shown}");
    input.write_all(b"AT+OK\n").unwrap();
    drop(input);
    assert_eq!(recv(&pinned).0, b"AT+OK\r\n");
    pinned.send_to(b"bye", listen_addr).unwrap();
    assert!(listener.finish().status.success());
    // echo has no lines to send: a usage error; so is a --reply-to that is no address.
    let out = run(&["echo", "0", "--reply-to", &to]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("wxudp: error: --reply-to and -C/--crlf are for listen"),
        "{}",
        stderr(&out)
    );
    let out = run(&["listen", "0", "--reply-to", "example.invalid:9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not an IP address"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn netcat_habits_get_what_to_type_instead() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["send", "127.0.0.1:9", "-hello"],
            "wxudp: error: -hello is not a flag of wxudp send; to send a message starting with \
             '-', put -- before it: wxudp send 127.0.0.1:9 -- -hello\n",
        ),
        (
            &["127.0.0.1", "9000"],
            "wxudp: error: wxudp takes a subcommand; did you mean `wxudp send 127.0.0.1:9000`? \
             (nc -u HOST PORT is wxudp send HOST:PORT; see wxudp send --help)\n",
        ),
        (
            &["-u", "127.0.0.1", "9000"],
            "wxudp: error: wxudp takes a subcommand; did you mean `wxudp send 127.0.0.1:9000`? \
             (nc -u HOST PORT is wxudp send HOST:PORT; see wxudp send --help)\n",
        ),
        (
            &["-ul", "9000"],
            "wxudp: error: wxudp takes a subcommand; did you mean `wxudp listen 9000`? \
             (nc -ul PORT is wxudp listen PORT; see wxudp listen --help)\n",
        ),
    ];
    for (args, said) in cases {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&out), *said, "{args:?}");
        assert_eq!(stdout(&out), "", "{args:?}");
    }
    // With --, the dashed message goes; -h alone is still the help.
    let peer = socket();
    let to = peer.local_addr().unwrap().to_string();
    let out = run(&["send", &to, "-w", "0", "--", "-hello"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(recv(&peer).0, b"-hello");
    let out = run(&["send", "-h"]);
    assert!(out.status.success());
    assert!(
        stdout(&out).starts_with("Send a datagram"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn completions_hide_hidden_commands_and_complete_values() {
    let file = TempFile::new("values.bash", &run(&["completions", "bash"]).stdout);
    let script = std::fs::read_to_string(&file.0).unwrap();
    assert!(!script.contains("lan-exec") && !script.contains("lan-mdns"));
    let complete = |line: &str| {
        let words: Vec<&str> = line.split(' ').collect();
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {}; COMP_WORDS=({line}); COMP_CWORD={}; COMP_LINE='{line}'; \
                 COMP_POINT={}; _wxudp wxudp '{}' '{}'; echo \"${{COMPREPLY[@]}}\"",
                file.path(),
                words.len() - 1,
                line.len(),
                words[words.len() - 1],
                words[words.len() - 2],
            ))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(complete("wxudp lan"), "lan");
    assert_eq!(
        complete("wxudp run app.js --platform "),
        "android ios ohos windows mac devtools"
    );
    assert_eq!(complete("wxudp run app.js --platform o"), "ohos");
    assert_eq!(complete("wxudp listen 9000 -f "), "text hex json raw");
    assert_eq!(complete("wxudp send h:1 --format j"), "json");
    // A bad platform is still a usage error naming the choices.
    let out = run(&["run", "x.js", "--platform", "symbian"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("[possible values: android, ios, ohos, windows, mac, devtools]"));
}

#[test]
fn a_quick_bench_says_so_explains_its_terms_and_sums_up() {
    let out = run(&[
        "bench",
        "--quick",
        "--only",
        "rtt",
        "--count",
        "20",
        "--size",
        "8",
        "--no-node",
    ]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        text.starts_with("wxudp bench --quick (small workloads: does it work here? not numbers to quote): 1 run each, "),
        "{text}"
    );
    // One run: no range column repeating the median.
    assert!(
        !text.contains("range of") && !text.contains(" – "),
        "{text}"
    );
    assert!(text.contains("\nTerms:\n  median "), "{text}");
    assert!(text.contains("\n  p50, p99   "), "{text}");
    // Node was left out: no x node term, and the summary compares with plain sockets.
    assert!(!text.contains("\n  x node "), "{text}");
    let last = text.trim_end().lines().last().unwrap();
    assert!(
        last.starts_with("wxudp run (JS) echoed ")
            && last.ends_with(" than plain sockets on this machine (round-trip p50, medians)"),
        "{text}"
    );
}
