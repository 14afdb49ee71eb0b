//! The LAN's wiring and the control sockets through which hosts join networks.
//!
//! Each network is a bridge `brN` in the LAN's namespace. A host's interfaces are veth
//! pairs: `wlan0` (its Wi-Fi, on the first network with an access point it starts on) or
//! `eth0`, `eth1`... in the host's namespace, `pH-IFACE` on the bridge. `connectWifi`
//! moves `wlan0`: down, its addresses flushed, its other end onto the new bridge, the new
//! address, up, the default route again. Sockets bound to the wildcard keep working.
//!
//! Every host has a control socket of its own (`HOST.sock` in the controller's
//! temporary folder, passed as `WXUDP_LAN_CONTROL`); the protocol is in
//! `crate::protocol`.

use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::net::Ipv4Addr;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::protocol::{
    frame, parse_request, read_frame, Answer, Ap, FrameError, Request, Security,
};

use crate::config::{Lan, Leases};
use crate::netns::ip_batch;
use crate::output::Output;

/// The name of the bridge of network `n`.
fn bridge(n: usize) -> String {
    format!("br{n}")
}

/// The name, on the bridge, of host `h`'s interface `iface`.
fn port(h: usize, iface: &str) -> String {
    format!("p{h}-{iface}")
}

/// Which bridge each port is on, for the capture; `version` changes at each move.
#[derive(Debug, Default)]
pub struct Ports {
    pub version: u64,
    pub network_of: BTreeMap<String, usize>,
}

/// The wiring as it is now.
pub struct Wiring {
    pub lan: Lan,
    lan_ns: String,
    host_ns: Vec<String>,
    leases: Leases,
    /// The network each host's `wlan0` is on (None: no `wlan0` yet).
    wlan: Vec<Option<usize>>,
    /// The interface of each host's default route.
    default_iface: Vec<Option<String>>,
    pub ports: Arc<Mutex<Ports>>,
}

/// A failed request: an errCode for the runtime, and why.
struct Refused(u32, String);

impl Wiring {
    /// Every address host `h` has had during the run (for `--record`).
    pub fn addresses_of(&self, h: usize) -> Vec<std::net::Ipv4Addr> {
        self.leases.of_host(h)
    }

    pub fn new(lan: Lan, lan_ns: String, host_ns: Vec<String>) -> Wiring {
        let leases = Leases::new(&lan);
        let hosts = lan.hosts.len();
        Wiring {
            lan,
            lan_ns,
            host_ns,
            leases,
            wlan: vec![None; hosts],
            default_iface: vec![None; hosts],
            ports: Arc::default(),
        }
    }

    /// Makes the bridges, in the LAN's namespace.
    pub fn bridges(&self) -> Result<(), String> {
        let mut commands = Vec::new();
        for n in 0..self.lan.networks.len() {
            commands.push(format!(
                "link add {} type bridge mcast_snooping 0 forward_delay 0",
                bridge(n)
            ));
            commands.push(format!("link set {} up", bridge(n)));
        }
        ip_batch(&self.lan_ns, &commands)
    }

    /// Puts host `h` on the networks it starts on.
    pub fn attach_host(&mut self, h: usize, out: &Output) -> Result<(), String> {
        let attach = self.lan.hosts[h].attach.clone();
        let mut eth = 0;
        for (n, _) in attach {
            let wifi = self.lan.networks[n].ap.is_some();
            let iface = if wifi && self.wlan[h].is_none() {
                self.wlan[h] = Some(n);
                "wlan0".to_owned()
            } else {
                eth += 1;
                format!("eth{}", eth - 1)
            };
            self.plug(h, &iface, n, true)?;
            let ip = self.leases.address(&self.lan, n, h)?;
            out.note(&format!(
                "{} is on {} as {ip} ({iface})",
                self.lan.hosts[h].name, self.lan.networks[n].name
            ));
        }
        Ok(())
    }

    /// Makes the veth pair of host `h`'s `iface` (when `create`), or moves its other end,
    /// onto network `n`, with the host's address there, up, with the default route when
    /// it has none or it is this interface's.
    fn plug(&mut self, h: usize, iface: &str, n: usize, create: bool) -> Result<Ipv4Addr, String> {
        let ip = self.leases.address(&self.lan, n, h)?;
        let subnet = self.lan.networks[n].subnet;
        let p = port(h, iface);
        let ns = &self.host_ns[h];
        if create {
            ip_batch(
                &self.lan_ns,
                &[
                    format!("link add {p} type veth peer name {iface} netns {ns}"),
                    format!("link set {p} master {}", bridge(n)),
                    format!("link set {p} up"),
                ],
            )?;
        } else {
            // The link stays up (no carrier change, which the kernel may take a second
            // to act on): the old address and neighbours go, the other end changes bridge.
            ip_batch(
                ns,
                &[
                    format!("addr flush dev {iface} scope global"),
                    format!("neigh flush dev {iface}"),
                ],
            )?;
            ip_batch(
                &self.lan_ns,
                &[
                    format!("link set {p} nomaster"),
                    format!("link set {p} master {}", bridge(n)),
                ],
            )?;
        }
        let mut commands = vec![
            format!("addr add {ip}/{} brd + dev {iface}", subnet.prefix),
            format!("link set {iface} up"),
        ];
        let default = self.default_iface[h].get_or_insert_with(|| iface.to_owned());
        if default == iface {
            commands.push(format!("route replace default dev {iface}"));
        }
        ip_batch(ns, &commands)?;
        wait_usable(ns, iface, &self.lan_ns, &p)?;
        let mut ports = self.ports.lock().unwrap_or_else(PoisonError::into_inner);
        ports.version += 1;
        ports.network_of.insert(p, n);
        Ok(ip)
    }

    /// Every access point, for `getWifiList`.
    fn scan(&self) -> Answer {
        let list: Vec<Ap> = self
            .lan
            .networks
            .iter()
            .filter_map(|n| n.ap.as_ref().map(|(ap, _)| ap.clone()))
            .collect();
        Answer {
            networks: Some(list),
            ..Answer::ok()
        }
    }

    /// The access point of the network `wlan0` of host `h` is on.
    fn status(&self, h: usize) -> Answer {
        let ap = self.wlan[h]
            .and_then(|n| self.lan.networks[n].ap.as_ref())
            .map(|(ap, _)| ap.clone());
        Answer {
            connected: Some(ap),
            ..Answer::ok()
        }
    }

    /// `connectWifi` of host `h`.
    fn connect(
        &mut self,
        h: usize,
        ssid: &str,
        bssid: &str,
        password: &str,
        out: &Output,
    ) -> Result<Answer, Refused> {
        let n = self
            .lan
            .network_of_ssid(ssid)
            .ok_or_else(|| Refused(12008, "invalid SSID".into()))?;
        let (ap, want) = self.lan.networks[n]
            .ap
            .clone()
            .ok_or_else(|| Refused(12008, "invalid SSID".into()))?;
        if !bssid.is_empty() && !bssid.eq_ignore_ascii_case(&ap.bssid) {
            return Err(Refused(12008, "invalid SSID".into()));
        }
        if ap.signal == 0 {
            return Err(Refused(12003, "connection timeout".into()));
        }
        let host = self.lan.hosts[h].name.clone();
        let network = self.lan.networks[n].name.clone();
        if ap.security != Security::Open && password != want {
            out.note(&format!(
                "{host} could not join {ssid} ({network}): wrong password"
            ));
            return Err(Refused(12002, "password error Wi-Fi".into()));
        }
        let moved = self.wlan[h] != Some(n);
        let ip = if moved {
            let create = self.wlan[h].is_none();
            let ip = self
                .plug(h, "wlan0", n, create)
                .map_err(|e| Refused(12010, format!("the LAN could not move the host: {e}")))?;
            self.wlan[h] = Some(n);
            out.note(&format!("{host} joined {ssid} ({network}) as {ip}"));
            ip
        } else {
            self.leases
                .address(&self.lan, n, h)
                .map_err(|e| Refused(12010, e))?
        };
        let prefix = self.lan.networks[n].subnet.prefix;
        Ok(Answer {
            connected: Some(Some(ap)),
            moved: Some(moved),
            address: Some(format!("{ip}/{prefix}")),
            ..Answer::ok()
        })
    }
}

/// Waits until `iface` in `ns` is up with a carrier and its other end `port` forwards
/// on its bridge: before that the kernel drops what the host sends (a link's carrier
/// may take the kernel up to a second to act on).
fn wait_usable(ns: &str, iface: &str, lan_ns: &str, port: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let host_up = link_json(ns, iface).is_some_and(|v| v["operstate"] == "UP");
        let forwarding = link_json(lan_ns, port).is_some_and(|v| {
            v["operstate"] == "UP" && v["linkinfo"]["info_slave_data"]["state"] == "forwarding"
        });
        if host_up && forwarding {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("{iface} of {ns} did not come up"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `ip -n NS -j -d link show dev NAME`.
fn link_json(ns: &str, name: &str) -> Option<Value> {
    let out = std::process::Command::new("ip")
        .args(["-n", ns, "-j", "-d", "link", "show", "dev", name])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let v: Value = serde_json::from_slice(&out.stdout).ok()?;
    v.get(0).cloned()
}

/// Answers host `h`'s requests on `listener` until the process ends.
pub fn serve(listener: UnixListener, h: usize, wiring: Arc<Mutex<Wiring>>, out: Output) {
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            answer(stream, h, &wiring, &out);
        }
    });
}

fn answer(stream: UnixStream, h: usize, wiring: &Mutex<Wiring>, out: &Output) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let reply = match read_frame(&mut BufReader::new(&stream)) {
        Err(FrameError::Io(_)) => return,
        Err(FrameError::TooLong) => {
            Answer::refused(12010, "the request is too long for the LAN controller")
        }
        Ok(line) => match parse_request(&line) {
            Err(reason) => Answer::refused(12010, reason),
            Ok(request) => {
                let mut w = wiring.lock().unwrap_or_else(PoisonError::into_inner);
                match request {
                    Request::Scan => w.scan(),
                    Request::Status => w.status(h),
                    Request::Connect {
                        ssid,
                        bssid,
                        password,
                    } => w
                        .connect(h, &ssid, &bssid, &password, out)
                        .unwrap_or_else(|Refused(code, reason)| Answer::refused(code, reason)),
                }
            }
        },
    };
    let reply = frame(&reply)
        .or_else(|| frame(&Answer::refused(12010, "the answer is too long")))
        .unwrap_or_default();
    let _ = (&stream).write_all(&reply);
}

/// Binds host `h`'s control socket in `dir`.
pub fn listen(dir: &Path, host: &str) -> Result<(UnixListener, std::path::PathBuf), String> {
    let path = dir.join(format!("{host}.sock"));
    UnixListener::bind(&path)
        .map(|l| (l, path.clone()))
        .map_err(|e| format!("cannot make the control socket {}: {e}", path.display()))
}
