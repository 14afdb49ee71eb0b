//! The LAN file of `wxudp lan` (TOML; docs/LAN.md describes it): networks (a subnet, an
//! optional Wi-Fi access point) and hosts (what runs there, the networks it starts on),
//! read and checked before anything is made.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::protocol::{bssid_for, Ap, Security};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    timeout: Option<f64>,
    #[serde(default, rename = "network")]
    networks: Vec<NetworkSpec>,
    #[serde(default, rename = "host")]
    hosts: Vec<HostSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkSpec {
    name: String,
    subnet: String,
    #[serde(default)]
    wifi: Option<WifiSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WifiSpec {
    ssid: String,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    security: Option<String>,
    #[serde(default)]
    bssid: Option<String>,
    #[serde(default)]
    signal: Option<u8>,
    #[serde(default)]
    frequency: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum CommandSpec {
    Shell(String),
    Argv(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AttachSpec {
    Name(String),
    Table {
        network: String,
        #[serde(default)]
        address: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostSpec {
    name: String,
    #[serde(default)]
    run: Option<String>,
    #[serde(default)]
    command: Option<CommandSpec>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    networks: Vec<AttachSpec>,
    #[serde(default)]
    main: bool,
    #[serde(default)]
    ready: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    mdns: Vec<MdnsSpec>,
}

/// A service a host advertises by mDNS: `{ type = "_lamp._udp.", name = "Desk lamp",
/// port = 4210 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MdnsSpec {
    #[serde(rename = "type")]
    ty: String,
    name: String,
    port: u16,
}

/// A checked LAN file.
#[derive(Debug, Clone)]
pub struct Lan {
    pub networks: Vec<Network>,
    pub hosts: Vec<Host>,
    /// The index of the main host (its exit status is `wxudp lan`'s).
    pub main: usize,
    /// `timeout = SECONDS` of the file (`--timeout` wins).
    pub timeout: Option<Duration>,
    /// The file's folder: relative paths start here, and commands run here.
    pub dir: PathBuf,
}

/// A network: a bridge.
#[derive(Debug, Clone)]
pub struct Network {
    pub name: String,
    pub subnet: Subnet,
    /// Its Wi-Fi access point, with the password it wants.
    pub ap: Option<(Ap, String)>,
}

/// An IPv4 subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    pub network: Ipv4Addr,
    pub prefix: u8,
}

impl Subnet {
    fn parse(text: &str) -> Result<Subnet, String> {
        let (ip, prefix) = text.split_once('/').ok_or_else(|| {
            format!("subnet {text:?} is not ADDRESS/PREFIX, such as 192.168.1.0/24")
        })?;
        let ip: Ipv4Addr = ip
            .parse()
            .map_err(|_| format!("subnet {text:?}: {ip:?} is not an IPv4 address"))?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| (8..=30).contains(p))
            .ok_or_else(|| format!("subnet {text:?}: the prefix must be from 8 to 30"))?;
        let subnet = Subnet {
            network: Ipv4Addr::from(u32::from(ip) & Subnet::mask_bits(prefix)),
            prefix,
        };
        if subnet.network != ip {
            return Err(format!(
                "subnet {text:?} has host bits set; did you mean {}/{prefix}?",
                subnet.network
            ));
        }
        Ok(subnet)
    }

    fn mask_bits(prefix: u8) -> u32 {
        u32::MAX << (32 - u32::from(prefix))
    }

    /// The broadcast address.
    pub fn broadcast(self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) | !Subnet::mask_bits(self.prefix))
    }

    /// Whether `ip` is a host address of this subnet (not the network or broadcast
    /// address).
    pub fn holds(self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & Subnet::mask_bits(self.prefix) == u32::from(self.network)
            && ip != self.network
            && ip != self.broadcast()
    }

    /// The addresses handed out, in order: from the network address + 2 (+ 1 is the
    /// router's, as on a home network) to the one before the broadcast address.
    pub fn pool(self) -> impl Iterator<Item = Ipv4Addr> {
        (u32::from(self.network) + 2..u32::from(self.broadcast())).map(Ipv4Addr::from)
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// What runs on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// `wxudp run PATH ARGS...` (a project folder or a script).
    Run { path: PathBuf, args: Vec<String> },
    /// Any command: a program and its arguments.
    Command(Vec<String>),
}

/// A host: a network namespace of its own.
#[derive(Debug, Clone)]
pub struct Host {
    pub name: String,
    pub what: What,
    /// The networks it starts on (indices into [`Lan::networks`]), each with an address
    /// given in the file, if any.
    pub attach: Vec<(usize, Option<Ipv4Addr>)>,
    /// Start the next hosts once this one printed a line holding this text.
    pub ready: Option<String>,
    pub env: BTreeMap<String, String>,
    /// The mDNS services it advertises, as `wxudp lan-mdns --service` takes them
    /// (`TYPE|NAME|PORT`).
    pub mdns: Vec<String>,
}

/// A name that can be part of a namespace name: `a-z`, `0-9`, `-`, 1 to 15 characters,
/// starting with a letter or digit.
fn check_name(kind: &str, name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 15
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{kind} name {name:?}: use 1 to 15 of a-z, 0-9 and '-' (not first)"
        ))
    }
}

impl Lan {
    /// Reads and checks the LAN file at `path`.
    pub fn load(path: &Path) -> Result<Lan, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let dir = path
            .parent()
            .map(|d| {
                if d.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    d
                }
            })
            .unwrap_or(Path::new("."));
        let dir = dir
            .canonicalize()
            .map_err(|e| format!("cannot open the folder of {}: {e}", path.display()))?;
        Lan::parse(&text, &dir).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Checks the text of a LAN file whose relative paths start at `dir`.
    pub fn parse(text: &str, dir: &Path) -> Result<Lan, String> {
        let spec: FileSpec = toml::from_str(text).map_err(|e| e.to_string())?;
        let timeout = match spec.timeout {
            None => None,
            Some(t) if t > 0.0 && t <= 31_536_000.0 => Some(Duration::from_secs_f64(t)),
            Some(t) => {
                return Err(format!(
                    "timeout = {t}: must be above 0 and at most 31536000"
                ))
            }
        };
        if spec.networks.is_empty() {
            return Err("no [[network]]: a LAN needs one at least".into());
        }
        let mut networks: Vec<Network> = Vec::new();
        let mut ssids = BTreeSet::new();
        for n in spec.networks {
            check_name("network", &n.name)?;
            if networks.iter().any(|m| m.name == n.name) {
                return Err(format!("two networks are named {:?}", n.name));
            }
            let subnet =
                Subnet::parse(&n.subnet).map_err(|e| format!("network {:?}: {e}", n.name))?;
            if let Some(other) = networks.iter().find(|m| overlap(m.subnet, subnet)) {
                return Err(format!(
                    "networks {:?} ({}) and {:?} ({subnet}) overlap",
                    other.name, other.subnet, n.name
                ));
            }
            let ap = match n.wifi {
                None => None,
                Some(w) => Some(access_point(&n.name, w, &mut ssids)?),
            };
            networks.push(Network {
                name: n.name,
                subnet,
                ap,
            });
        }
        if spec.hosts.is_empty() {
            return Err("no [[host]]: a LAN needs one at least".into());
        }
        let mut hosts: Vec<Host> = Vec::new();
        let mut taken: BTreeSet<(usize, Ipv4Addr)> = BTreeSet::new();
        let mut main = Vec::new();
        for (i, h) in spec.hosts.into_iter().enumerate() {
            check_name("host", &h.name)?;
            if hosts.iter().any(|o| o.name == h.name) {
                return Err(format!("two hosts are named {:?}", h.name));
            }
            let what = match (h.run, h.command) {
                (Some(run), None) => {
                    let path = dir.join(&run);
                    if !path.exists() {
                        return Err(format!(
                            "host {:?}: run = {run:?}: {} does not exist",
                            h.name,
                            path.display()
                        ));
                    }
                    What::Run { path, args: h.args }
                }
                (None, Some(command)) => {
                    if !h.args.is_empty() {
                        return Err(format!(
                            "host {:?}: args go with run; put a command's arguments in command",
                            h.name
                        ));
                    }
                    let argv = match command {
                        CommandSpec::Shell(line) => vec!["sh".into(), "-c".into(), line],
                        CommandSpec::Argv(argv) => argv,
                    };
                    if argv.first().is_none_or(String::is_empty) {
                        return Err(format!("host {:?}: command is empty", h.name));
                    }
                    What::Command(argv)
                }
                _ => {
                    return Err(format!(
                        "host {:?}: give either run (a mini-program project or script) or command",
                        h.name
                    ))
                }
            };
            let mut attach = Vec::new();
            for a in h.networks {
                let (net, address) = match a {
                    AttachSpec::Name(n) => (n, None),
                    AttachSpec::Table { network, address } => (network, address),
                };
                let index = networks
                    .iter()
                    .position(|n| n.name == net)
                    .ok_or_else(|| format!("host {:?}: no network named {net:?}", h.name))?;
                if attach.iter().any(|(n, _)| *n == index) {
                    return Err(format!("host {:?} is on {net:?} twice", h.name));
                }
                let address = match address {
                    None => None,
                    Some(text) => {
                        let ip: Ipv4Addr = text.parse().map_err(|_| {
                            format!("host {:?}: address {text:?} is not IPv4", h.name)
                        })?;
                        let subnet = networks[index].subnet;
                        if !subnet.holds(ip) {
                            return Err(format!(
                                "host {:?}: {ip} is not a host address of {net:?} ({subnet})",
                                h.name
                            ));
                        }
                        if !taken.insert((index, ip)) {
                            return Err(format!("two hosts have {ip} on {net:?}"));
                        }
                        Some(ip)
                    }
                };
                attach.push((index, address));
            }
            if h.main {
                main.push(i);
            }
            let mut mdns = Vec::new();
            for m in h.mdns {
                if m.name.contains('|') || m.ty.contains('|') {
                    return Err(format!("host {:?}: mdns: '|' in a type or name", h.name));
                }
                let service = format!("{}|{}|{}", m.ty, m.name, m.port);
                crate::mdns::parse(&service)
                    .map_err(|e| format!("host {:?}: mdns: {e}", h.name))?;
                mdns.push(service);
            }
            hosts.push(Host {
                name: h.name,
                what,
                attach,
                ready: h.ready.filter(|r| !r.is_empty()),
                env: h.env,
                mdns,
            });
        }
        let main = match main.as_slice() {
            [one] => *one,
            [] if hosts.len() == 1 => 0,
            [] => {
                return Err(
                    "no host has main = true: mark the one whose exit status is the LAN's".into(),
                )
            }
            _ => return Err("more than one host has main = true".into()),
        };
        Ok(Lan {
            networks,
            hosts,
            main,
            timeout,
            dir: dir.to_path_buf(),
        })
    }

    /// The network whose access point announces `ssid`.
    pub fn network_of_ssid(&self, ssid: &str) -> Option<usize> {
        self.networks
            .iter()
            .position(|n| n.ap.as_ref().is_some_and(|(ap, _)| ap.ssid == ssid))
    }
}

fn overlap(a: Subnet, b: Subnet) -> bool {
    let prefix = a.prefix.min(b.prefix);
    let mask = Subnet::mask_bits(prefix);
    u32::from(a.network) & mask == u32::from(b.network) & mask
}

fn access_point(
    network: &str,
    w: WifiSpec,
    ssids: &mut BTreeSet<String>,
) -> Result<(Ap, String), String> {
    let at = |e: String| format!("network {network:?}: wifi: {e}");
    if w.ssid.is_empty() || w.ssid.len() > 32 {
        return Err(at(format!("ssid {:?} must have 1 to 32 bytes", w.ssid)));
    }
    if !ssids.insert(w.ssid.clone()) {
        return Err(at(format!("another network announces ssid {:?}", w.ssid)));
    }
    let password = w.password.unwrap_or_default();
    let security = match w.security.as_deref() {
        None if password.is_empty() => Security::Open,
        None => Security::Wpa2,
        Some(text) => Security::parse(text).ok_or_else(|| {
            at(format!(
                "security {text:?} is not one of open, wep, wpa, wpa2, wpa3"
            ))
        })?,
    };
    if security != Security::Open && !security.key_is_valid(&password) {
        return Err(at(format!(
            "a {} network needs a password of {}",
            security.name(),
            if security == Security::Wep {
                "5 or 13 characters (10 or 26 hex digits)"
            } else {
                "8 to 63 characters (or 64 hex digits)"
            }
        )));
    }
    if security == Security::Open && !password.is_empty() {
        return Err(at(
            "an open network has no password (or say security = \"wpa2\")".into(),
        ));
    }
    let bssid = match w.bssid {
        None => bssid_for(&w.ssid),
        Some(b) => {
            let ok = b.len() == 17
                && b.split(':').count() == 6
                && b.split(':')
                    .all(|p| p.len() == 2 && p.bytes().all(|c| c.is_ascii_hexdigit()));
            if !ok {
                return Err(at(format!("bssid {b:?} is not xx:xx:xx:xx:xx:xx")));
            }
            b.to_ascii_lowercase()
        }
    };
    let signal = w.signal.unwrap_or(80);
    if signal > 100 {
        return Err(at(format!("signal {signal} is above 100")));
    }
    Ok((
        Ap {
            ssid: w.ssid,
            bssid,
            security,
            signal,
            frequency: w.frequency.unwrap_or(2412),
        },
        password,
    ))
}

/// The addresses of the hosts on each network: those the file gives, and those handed
/// out from the network's pool (the same one again when a host comes back, as DHCP does).
#[derive(Debug, Default)]
pub struct Leases {
    /// (network, host) → address.
    given: BTreeMap<(usize, usize), Ipv4Addr>,
    /// Addresses the file gives, which the pool never hands out.
    reserved: BTreeSet<(usize, Ipv4Addr)>,
}

impl Leases {
    pub fn new(lan: &Lan) -> Leases {
        let mut leases = Leases::default();
        for (h, host) in lan.hosts.iter().enumerate() {
            for &(n, address) in &host.attach {
                if let Some(ip) = address {
                    leases.given.insert((n, h), ip);
                    leases.reserved.insert((n, ip));
                }
            }
        }
        leases
    }

    /// The address of `host` on `network`: its own, or the first free one of the pool.
    pub fn address(&mut self, lan: &Lan, network: usize, host: usize) -> Result<Ipv4Addr, String> {
        if let Some(ip) = self.given.get(&(network, host)) {
            return Ok(*ip);
        }
        let used: BTreeSet<Ipv4Addr> = self
            .given
            .iter()
            .filter(|((n, _), _)| *n == network)
            .map(|(_, ip)| *ip)
            .collect();
        let net = &lan.networks[network];
        let ip = net
            .subnet
            .pool()
            .find(|ip| !used.contains(ip) && !self.reserved.contains(&(network, *ip)))
            .ok_or_else(|| {
                format!(
                    "network {:?} ({}) has no address left",
                    net.name, net.subnet
                )
            })?;
        self.given.insert((network, host), ip);
        Ok(ip)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const SOFTAP: &str = r#"
timeout = 60

[[network]]
name = "home"
subnet = "192.168.1.0/24"
wifi = { ssid = "HomeWiFi", password = "correct-horse" }

[[network]]
name = "device-ap"
subnet = "192.168.4.0/24"
wifi = { ssid = "ESP_5CCF7F" }

[[host]]
name = "lamp"
command = ["python3", "device.py"]
networks = [{ network = "device-ap", address = "192.168.4.1" }]
ready = "listening"

[[host]]
name = "phone"
command = "echo hi"
networks = ["home"]
main = true
"#;

    fn parse(text: &str) -> Result<Lan, String> {
        Lan::parse(text, Path::new("/"))
    }

    #[test]
    fn a_softap_lan() {
        let lan = parse(SOFTAP).unwrap();
        assert_eq!(lan.timeout, Some(Duration::from_secs(60)));
        assert_eq!(lan.main, 1);
        let (home, password) = lan.networks[0].ap.clone().unwrap();
        assert_eq!(
            (home.security, password.as_str()),
            (Security::Wpa2, "correct-horse")
        );
        let (esp, _) = lan.networks[1].ap.clone().unwrap();
        assert_eq!(esp.security, Security::Open);
        assert_eq!(
            lan.hosts[0].attach,
            [(1, Some(Ipv4Addr::new(192, 168, 4, 1)))]
        );
        assert_eq!(lan.hosts[0].ready.as_deref(), Some("listening"));
        assert_eq!(
            lan.hosts[1].what,
            What::Command(vec!["sh".into(), "-c".into(), "echo hi".into()])
        );
        assert_eq!(lan.network_of_ssid("ESP_5CCF7F"), Some(1));
        assert_eq!(lan.network_of_ssid("nope"), None);

        let mut leases = Leases::new(&lan);
        let ip = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        assert_eq!(leases.address(&lan, 0, 1).unwrap(), ip("192.168.1.2"));
        assert_eq!(leases.address(&lan, 1, 1).unwrap(), ip("192.168.4.2"));
        assert_eq!(leases.address(&lan, 0, 0).unwrap(), ip("192.168.1.3"));
        assert_eq!(
            leases.address(&lan, 0, 1).unwrap(),
            ip("192.168.1.2"),
            "the same again"
        );
        assert_eq!(
            leases.address(&lan, 1, 0).unwrap(),
            ip("192.168.4.1"),
            "its own"
        );
    }

    #[test]
    fn subnets() {
        let s = Subnet::parse("10.0.0.0/30").unwrap();
        assert_eq!(s.broadcast(), Ipv4Addr::new(10, 0, 0, 3));
        assert_eq!(s.pool().collect::<Vec<_>>(), [Ipv4Addr::new(10, 0, 0, 2)]);
        assert!(s.holds(Ipv4Addr::new(10, 0, 0, 1)));
        assert!(!s.holds(Ipv4Addr::new(10, 0, 0, 3)));
        for bad in [
            "10.0.0.1/24",
            "10.0.0.0",
            "10.0.0.0/31",
            "10.0.0.0/7",
            "x/24",
        ] {
            assert!(Subnet::parse(bad).is_err(), "{bad}");
        }
        // A /30 has one address to hand out.
        let lan = parse(
            "[[network]]\nname = \"n\"\nsubnet = \"10.0.0.0/30\"\n[[host]]\nname = \"a\"\ncommand = \"true\"\nnetworks = [\"n\"]\n[[host]]\nname = \"b\"\ncommand = \"true\"\nmain = true\n",
        )
        .unwrap();
        let mut leases = Leases::new(&lan);
        leases.address(&lan, 0, 0).unwrap();
        assert!(leases
            .address(&lan, 0, 1)
            .unwrap_err()
            .contains("no address left"));
    }

    #[test]
    fn mistakes_are_named() {
        let with = |from: &str, to: &str| parse(&SOFTAP.replacen(from, to, 1)).unwrap_err();
        for (from, to, says) in [
            (
                "name = \"home\"",
                "name = \"Home\"",
                "network name \"Home\"",
            ),
            ("192.168.4.0/24", "192.168.1.128/25", "overlap"),
            (
                "ssid = \"ESP_5CCF7F\"",
                "ssid = \"HomeWiFi\"",
                "another network announces",
            ),
            (
                "password = \"correct-horse\"",
                "password = \"short\"",
                "8 to 63",
            ),
            (
                "address = \"192.168.4.1\"",
                "address = \"192.168.1.9\"",
                "not a host address",
            ),
            (
                "address = \"192.168.4.1\"",
                "address = \"192.168.4.255\"",
                "not a host address",
            ),
            (
                "networks = [\"home\"]",
                "networks = [\"garage\"]",
                "no network named \"garage\"",
            ),
            ("main = true", "", "no host has main = true"),
            ("ready = \"listening\"", "main = true", "more than one host"),
            ("command = \"echo hi\"", "", "give either run"),
            (
                "command = \"echo hi\"",
                "run = \"no/such/app\"",
                "does not exist",
            ),
            ("timeout = 60", "timeout = 0", "timeout"),
            ("timeout = 60", "colour = 1", "unknown field"),
            ("name = \"phone\"", "name = \"lamp\"", "two hosts are named"),
        ] {
            let e = with(from, to);
            assert!(e.contains(says), "{from} -> {to}: {e}");
        }
    }
}
