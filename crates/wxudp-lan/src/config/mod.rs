//! The LAN file of `wxudp lan` (TOML; docs/LAN.md describes it): networks (a subnet, an
//! optional Wi-Fi access point) and hosts (what runs there, the networks it starts on),
//! read and checked before anything is made.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::protocol::Ap;

mod host;
mod leases;
mod network;
mod spec;
mod subnet;
#[cfg(test)]
mod tests;

pub use leases::Leases;
pub use subnet::Subnet;

use spec::FileSpec;

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

/// What runs on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// `wxudp run PATH ARGS...` (a project folder or a script).
    Run { path: PathBuf, args: Vec<String> },
    /// Any command: a program and its arguments.
    Command(Vec<String>),
    /// `wxudp lan-replay ARGS...`: a device replayed from a capture.
    Replay(Vec<String>),
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
        let networks = network::networks(spec.networks)?;
        let (hosts, main) = host::hosts(spec.hosts, &networks, dir)?;
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
