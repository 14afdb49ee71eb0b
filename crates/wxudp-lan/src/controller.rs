//! `wxudp lan FILE`: a simulated LAN with Wi-Fi (docs/LAN.md). Each network is a bridge
//! in a namespace of the LAN's own; each host runs in a namespace of its own, joined to
//! its networks by veth pairs; hosts run mini-program code (`wxudp run`) or any command,
//! and move between Wi-Fi networks with `wx.connectWifi`. Everything is torn down at the
//! end: on exit, Ctrl-C, SIGTERM, SIGHUP, a failure or a panic (drop guards); after a
//! SIGKILL the hosts die with the controller and `wxudp lan --cleanup` removes the
//! namespaces left.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use crate::config::Lan;
use crate::hosts::Event;
use crate::output::Output;
use crate::{capture, control, hosts, netns, userns};

/// What `wxudp lan FILE` runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The LAN file (TOML): its networks and hosts (docs/LAN.md).
    pub file: PathBuf,
    /// End the LAN after this long (exit status 124); the file's `timeout` otherwise,
    /// else no limit.
    pub timeout: Option<Duration>,
    /// Capture every network into DIR/NETWORK.pcap.
    pub pcap: Option<PathBuf>,
    /// Write each host but the main one's traffic into DIR/HOST.pcap at the end: the
    /// capture a `replay` device reads.
    pub record: Option<PathBuf>,
}

/// How long hosts get to end after SIGTERM before SIGKILL.
const GRACE: Duration = Duration::from_secs(3);

/// Runs `wxudp lan` and returns its exit status: the main host's, 124 after the timeout,
/// 130/143/129 after SIGINT/SIGTERM/SIGHUP, 1 when the LAN cannot be made, 2 for a bad
/// file.
pub fn run(options: Options) -> u8 {
    let lan = match Lan::load(&options.file) {
        Ok(lan) => lan,
        Err(e) => {
            eprintln!("wxudp lan: {e}");
            return 2;
        }
    };
    if !nix::unistd::geteuid().is_root() {
        // Still one thread: the user namespace needs it.
        if let Err(e) = userns::enter() {
            eprintln!("wxudp lan: {e}");
            return 1;
        }
        eprintln!("wxudp lan: not root: the LAN runs in a user namespace of its own");
    }
    if std::process::Command::new("ip").arg("-V").output().is_err() {
        eprintln!("wxudp lan: needs ip (iproute2): apt-get install iproute2");
        return 1;
    }
    let timeout = options.timeout.or(lan.timeout);
    let (tx, rx) = mpsc::channel();
    if let Err(e) = catch_signals(&tx) {
        eprintln!("wxudp lan: cannot catch signals: {e}");
        return 1;
    }
    let mut namespaces = netns::Namespaces::default();
    // --record captures the networks too: into --pcap's folder, or one of its own.
    let scratch = match (&options.record, &options.pcap) {
        (Some(_), None) => match tempfile::tempdir() {
            Ok(dir) => Some(dir),
            Err(e) => {
                eprintln!("wxudp lan: cannot make a folder for --record: {e}");
                return 1;
            }
        },
        _ => None,
    };
    let pcap = options
        .pcap
        .clone()
        .or_else(|| scratch.as_ref().map(|d| d.path().to_path_buf()));
    let devices: Vec<(usize, String)> = lan
        .hosts
        .iter()
        .enumerate()
        .filter(|(h, _)| *h != lan.main)
        .map(|(h, host)| (h, host.name.clone()))
        .collect();
    let networks: Vec<PathBuf> = match &pcap {
        Some(dir) => lan
            .networks
            .iter()
            .map(|n| dir.join(format!("{}.pcap", n.name)))
            .collect(),
        None => Vec::new(),
    };
    let code = match Controller::start(lan, pcap, timeout, tx, &rx, &mut namespaces) {
        Ok(mut c) => {
            let code = c.wait(&rx);
            c.stop_hosts(&rx);
            if let Some(capture) = c.capture.take() {
                if let Err(e) = capture.finish() {
                    c.out.note(&e);
                }
            }
            if let Some(dir) = &options.record {
                let known: Vec<(String, Vec<std::net::Ipv4Addr>)> = {
                    let wiring = c
                        .wiring
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    devices
                        .iter()
                        .map(|(h, name)| (name.clone(), wiring.addresses_of(*h)))
                        .filter(|(_, a)| !a.is_empty())
                        .collect()
                };
                match std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot make {}: {e}", dir.display()))
                    .and_then(|()| crate::replay::record(&networks, &known, dir))
                {
                    Ok(()) => {
                        for (name, _) in &known {
                            c.out.note(&format!(
                                "recorded {name} into {}",
                                dir.join(format!("{name}.pcap")).display()
                            ));
                        }
                    }
                    Err(e) => c.out.note(&format!("--record: {e}")),
                }
            }
            code
        }
        Err(code) => code,
    };
    let failed = namespaces.remove_all();
    for e in &failed {
        eprintln!("wxudp lan: {e}");
    }
    if failed.is_empty() {
        code
    } else {
        code.max(1)
    }
}

/// `wxudp lan --cleanup`: removes what LANs killed with SIGKILL left behind (with
/// `all`, every LAN's namespaces, also of LANs still running); the exit status.
pub fn cleanup(all: bool) -> u8 {
    let (removed, failed) = netns::cleanup(all);
    for name in &removed {
        eprintln!("wxudp lan: removed {name}");
    }
    for e in &failed {
        eprintln!("wxudp lan: {e}");
    }
    if removed.is_empty() && failed.is_empty() {
        eprintln!("wxudp lan: nothing to clean up");
    }
    u8::from(!failed.is_empty())
}

/// SIGINT, SIGTERM and SIGHUP become [`Event::Signal`] on `tx`.
fn catch_signals(tx: &Sender<Event>) -> std::io::Result<()> {
    use std::io::Read;
    use std::os::unix::net::UnixStream;
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        let (mut read, write) = UnixStream::pair()?;
        signal_hook::low_level::pipe::register(signal as i32, write)?;
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut byte = [0u8; 1];
            while read.read(&mut byte).is_ok_and(|n| n > 0) {
                if tx.send(Event::Signal(signal as i32)).is_err() {
                    return;
                }
            }
        });
    }
    Ok(())
}

struct Controller {
    lan_name: Vec<String>,
    /// The wiring, shared with the control sockets' threads.
    wiring: Arc<Mutex<control::Wiring>>,
    main: usize,
    out: Output,
    /// The process group of each host started and not seen to end.
    running: Vec<Option<i32>>,
    deadline: Option<Instant>,
    timeout: Option<Duration>,
    capture: Option<capture::Capture>,
    /// The control sockets' folder, removed at the end.
    _control_dir: tempfile::TempDir,
    /// The status to end with once the main host ended early (during start-up).
    early: Option<u8>,
}

impl Controller {
    /// Makes the LAN and starts its hosts; on failure, the exit status.
    fn start(
        lan: Lan,
        pcap: Option<PathBuf>,
        timeout: Option<Duration>,
        tx: Sender<Event>,
        rx: &Receiver<Event>,
        namespaces: &mut netns::Namespaces,
    ) -> Result<Controller, u8> {
        let out = Output::new(lan.hosts.iter().map(|h| h.name.clone()).collect());
        let fail = |out: &Output, e: String| {
            out.note(&e);
            1
        };
        let pid = std::process::id();
        let lan_ns = netns::lan_name(pid);
        let host_ns: Vec<String> = lan
            .hosts
            .iter()
            .map(|h| netns::host_name(pid, &h.name))
            .collect();
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let control_dir = tempfile::Builder::new()
            .prefix(&format!("{}-", netns::lan_name(pid)))
            .tempdir()
            .map_err(|e| fail(&out, format!("cannot make a temporary folder: {e}")))?;
        namespaces.add(&lan_ns).map_err(|e| fail(&out, e))?;
        for ns in &host_ns {
            namespaces.add(ns).map_err(|e| fail(&out, e))?;
        }
        let main = lan.main;
        let names: Vec<String> = lan.networks.iter().map(|n| n.name.clone()).collect();
        let mut wiring = control::Wiring::new(lan, lan_ns.clone(), host_ns.clone());
        wiring.bridges().map_err(|e| fail(&out, e))?;
        for h in 0..host_ns.len() {
            wiring.attach_host(h, &out).map_err(|e| fail(&out, e))?;
        }
        let capture = match &pcap {
            None => None,
            Some(dir) => Some(
                capture::Capture::start(&netns_path(&lan_ns), dir, &names, wiring.ports.clone())
                    .map_err(|e| fail(&out, e))?,
            ),
        };
        let lan = wiring.lan.clone();
        let wiring = Arc::new(Mutex::new(wiring));
        let mut controls = Vec::new();
        for (h, host) in lan.hosts.iter().enumerate() {
            let (listener, path) =
                control::listen(control_dir.path(), &host.name).map_err(|e| fail(&out, e))?;
            control::serve(listener, h, wiring.clone(), out.clone());
            controls.push(path);
        }
        let mut c = Controller {
            wiring: wiring.clone(),
            lan_name: lan.hosts.iter().map(|h| h.name.clone()).collect(),
            main,
            out: out.clone(),
            running: vec![None; lan.hosts.len()],
            deadline,
            timeout,
            capture,
            _control_dir: control_dir,
            early: None,
        };
        // Start the hosts in the file's order, each `ready` one before the next.
        for (h, host) in lan.hosts.iter().enumerate() {
            if c.early.is_some() {
                break;
            }
            match hosts::spawn(&lan, h, &netns_path(&host_ns[h]), &controls[h], &out, &tx) {
                Ok(pgid) => c.running[h] = Some(pgid),
                Err(e) => {
                    c.out.note(&e);
                    c.stop_hosts(rx);
                    return Err(1);
                }
            }
            if host.ready.is_some() {
                if let Err(code) = c.wait_ready(h, rx) {
                    c.stop_hosts(rx);
                    return Err(code);
                }
            }
        }
        Ok(c)
    }

    /// The next event, or None when the deadline passed.
    fn next(&self, rx: &Receiver<Event>) -> Option<Event> {
        match self.deadline {
            None => rx.recv().ok(),
            Some(d) => rx
                .recv_timeout(d.saturating_duration_since(Instant::now()))
                .ok(),
        }
    }

    fn timed_out(&self) -> u8 {
        self.out.note(&format!(
            "timed out after {}s",
            self.timeout.map(|t| t.as_secs_f64()).unwrap_or_default()
        ));
        124
    }

    /// What a host's end means: the main host's ends the LAN with its status.
    fn exited(&mut self, h: usize, status: std::process::ExitStatus) -> Option<u8> {
        self.running[h] = None;
        let how = hosts::describe(status);
        self.out.note(&format!("{} {how}", self.lan_name[h]));
        (h == self.main).then(|| hosts::status_code(status))
    }

    /// Waits for host `h`'s ready line; the exit status when the LAN must end first.
    fn wait_ready(&mut self, h: usize, rx: &Receiver<Event>) -> Result<(), u8> {
        loop {
            match self.next(rx) {
                None => return Err(self.timed_out()),
                Some(Event::Ready(r)) if r == h => return Ok(()),
                Some(Event::Ready(_)) => {}
                Some(Event::Signal(s)) => return Err(signal_status(s)),
                Some(Event::Exited(e, status)) => {
                    if let Some(code) = self.exited(e, status) {
                        self.early = Some(code);
                        return Ok(());
                    }
                    if e == h {
                        self.out.note(&format!(
                            "{} ended before it printed its ready text",
                            self.lan_name[h]
                        ));
                        return Err(1);
                    }
                }
            }
        }
    }

    /// Waits for the main host to end, the deadline or a signal; returns the status.
    fn wait(&mut self, rx: &Receiver<Event>) -> u8 {
        if let Some(code) = self.early {
            return code;
        }
        loop {
            match self.next(rx) {
                None => return self.timed_out(),
                Some(Event::Ready(_)) => {}
                Some(Event::Signal(s)) => return signal_status(s),
                Some(Event::Exited(h, status)) => {
                    if let Some(code) = self.exited(h, status) {
                        return code;
                    }
                }
            }
        }
    }

    /// Ends every host still running: SIGTERM to its process group, SIGKILL after
    /// [`GRACE`]; waits until each is seen to end (a while at most).
    fn stop_hosts(&mut self, rx: &Receiver<Event>) {
        for signal in [Signal::SIGTERM, Signal::SIGKILL] {
            let live: BTreeSet<usize> = (0..self.running.len())
                .filter(|h| self.running[*h].is_some())
                .collect();
            if live.is_empty() {
                return;
            }
            for h in &live {
                if let Some(pgid) = self.running[*h] {
                    let _ = killpg(Pid::from_raw(pgid), signal);
                }
            }
            let until = Instant::now() + GRACE;
            while self.running.iter().any(Option::is_some) {
                let left = until.saturating_duration_since(Instant::now());
                match rx.recv_timeout(left) {
                    Ok(Event::Exited(h, _)) => self.running[h] = None,
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        }
        // Whatever a host left behind in its process group.
        for pgid in self.running.iter().flatten() {
            let _ = killpg(Pid::from_raw(*pgid), Signal::SIGKILL);
        }
    }
}

fn signal_status(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(1)
}

fn netns_path(name: &str) -> PathBuf {
    netns::netns_file(name)
}
