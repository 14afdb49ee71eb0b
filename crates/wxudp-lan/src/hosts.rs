//! The hosts' processes: started through `wxudp lan-exec` in their namespaces, each in a
//! process group of its own (Ctrl-C on the terminal reaches the controller, which stops
//! them in order), their output read line by line.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Lan, What};
use crate::output::Output;

/// What the controller waits for.
#[derive(Debug)]
pub enum Event {
    /// Host `usize` ended.
    Exited(usize, ExitStatus),
    /// Host `usize` printed its `ready` text.
    Ready(usize),
    /// SIGINT, SIGTERM or SIGHUP reached the controller.
    Signal(i32),
}

/// Starts host `h` in the namespace at `netns` and returns its process id (also its
/// process group's). Must be called on the main thread: the host is killed when the
/// thread that started it ends.
/// `NAME=ADDRESS,...` for every address the LAN file gives a host: what a run's flow
/// view names its peers by (`crate::protocol::NAMES_ENV`).
fn names(lan: &Lan) -> String {
    lan.hosts
        .iter()
        .flat_map(|h| {
            h.attach
                .iter()
                .filter_map(move |a| a.1.map(|ip| format!("{}={ip}", h.name)))
        })
        .collect::<Vec<_>>()
        .join(",")
}

pub fn spawn(
    lan: &Lan,
    h: usize,
    netns: &Path,
    control: &Path,
    out: &Output,
    events: &Sender<Event>,
) -> Result<i32, String> {
    let host = &lan.hosts[h];
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot find the wxudp program itself: {e}"))?;
    let argv: Vec<std::ffi::OsString> = match &host.what {
        What::Run { path, args } => {
            let mut argv = vec![
                exe.clone().into_os_string(),
                "run".into(),
                path.clone().into(),
            ];
            argv.extend(args.iter().map(Into::into));
            argv
        }
        What::Command(argv) => argv.iter().map(Into::into).collect(),
        What::Replay(args) => {
            let mut argv = vec![exe.clone().into_os_string(), "lan-replay".into()];
            argv.extend(args.iter().map(Into::into));
            argv
        }
    };
    let mut cmd = Command::new(&exe);
    cmd.arg("lan-exec")
        .arg("--netns")
        .arg(netns)
        .arg("--parent")
        .arg(std::process::id().to_string())
        .arg("--")
        .args(&argv)
        .current_dir(&lan.dir)
        .env(crate::protocol::CONTROL_ENV, control)
        .env("WXUDP_LAN_HOST", &host.name)
        .env(crate::protocol::NAMES_ENV, names(lan))
        .envs(&host.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start host {}: {e}", host.name))?;
    let pid = i32::try_from(child.id()).unwrap_or(i32::MAX);
    if !host.mdns.is_empty() {
        advertise(&exe, netns, pid, h, host, out)?;
    }
    let ready = host
        .ready
        .clone()
        .map(|text| (text, Arc::new(AtomicBool::new(false))));
    let (done_tx, done_rx) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        read_lines(
            stdout,
            h,
            false,
            out,
            ready.clone(),
            events,
            done_tx.clone(),
        );
    }
    if let Some(stderr) = child.stderr.take() {
        read_lines(stderr, h, true, out, ready, events, done_tx);
    }
    let events = events.clone();
    std::thread::spawn(move || {
        let status = child.wait();
        // The last lines first (at most a moment: a process the host left behind may
        // hold its output open).
        for _ in 0..2 {
            let _ = done_rx.recv_timeout(Duration::from_secs(2));
        }
        if let Ok(status) = status {
            let _ = events.send(Event::Exited(h, status));
        }
    });
    Ok(pid)
}

/// Starts `wxudp lan-mdns` for host `h`'s services, in its namespace and in its process
/// group (`pgid`), so that it ends with the host's processes when the LAN ends. Its
/// lines are the host's.
fn advertise(
    exe: &Path,
    netns: &Path,
    pgid: i32,
    h: usize,
    host: &crate::config::Host,
    out: &Output,
) -> Result<(), String> {
    let mut cmd = Command::new(exe);
    cmd.arg("lan-exec")
        .arg("--netns")
        .arg(netns)
        .arg("--parent")
        .arg(std::process::id().to_string())
        .arg("--")
        .arg(exe)
        .arg("lan-mdns")
        .arg("--host")
        .arg(&host.name);
    for service in &host.mdns {
        cmd.arg("--service").arg(service);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut cmd, pgid);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot advertise the services of host {}: {e}", host.name))?;
    let (done, _) = mpsc::channel();
    let (events, _) = mpsc::channel();
    for (stream, err) in [
        (
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            false,
        ),
        (
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            true,
        ),
    ] {
        if let Some(stream) = stream {
            read_lines(stream, h, err, out, None, &events, done.clone());
        }
    }
    // Reaped when it ends (the LAN kills its group at the end).
    std::thread::spawn(move || child.wait());
    Ok(())
}

/// Prints each line of `from` with host `h`'s prefix, and reports its `ready` text.
fn read_lines(
    from: impl Read + Send + 'static,
    h: usize,
    stderr: bool,
    out: &Output,
    ready: Option<(String, Arc<AtomicBool>)>,
    events: &Sender<Event>,
    done: Sender<()>,
) {
    let out = out.clone();
    let events = events.clone();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(from);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                buf.pop();
            }
            let text = String::from_utf8_lossy(&buf);
            out.line(h, stderr, &text);
            if let Some((want, seen)) = &ready {
                if text.contains(want.as_str()) && !seen.swap(true, Ordering::SeqCst) {
                    let _ = events.send(Event::Ready(h));
                }
            }
        }
        let _ = done.send(());
    });
}

/// The exit status `wxudp lan` gives for a host's: its code, or 128 + the signal.
pub fn status_code(status: ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code).unwrap_or(1),
        (None, Some(signal)) => u8::try_from(128 + signal).unwrap_or(1),
        _ => 1,
    }
}

/// How a host ended, in words.
pub fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!(
            "was killed by {}",
            nix::sys::signal::Signal::try_from(signal)
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|_| format!("signal {signal}"))
        ),
        _ => "ended".into(),
    }
}
