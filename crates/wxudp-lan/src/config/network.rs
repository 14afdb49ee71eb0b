//! The networks of a LAN file checked: their names, subnets and Wi-Fi access points.

use std::collections::BTreeSet;

use super::spec::{NetworkSpec, WifiSpec};
use super::subnet::{overlap, Subnet};
use super::{check_name, Network};
use crate::protocol::{bssid_for, Ap, Security};

/// Checks the `[[network]]` tables: one at least, each name once, no two subnets that
/// overlap, each SSID announced once.
pub(super) fn networks(specs: Vec<NetworkSpec>) -> Result<Vec<Network>, String> {
    if specs.is_empty() {
        return Err("no [[network]]: a LAN needs one at least".into());
    }
    let mut networks: Vec<Network> = Vec::new();
    let mut ssids = BTreeSet::new();
    for n in specs {
        check_name("network", &n.name)?;
        if networks.iter().any(|m| m.name == n.name) {
            return Err(format!("two networks are named {:?}", n.name));
        }
        let subnet = Subnet::parse(&n.subnet).map_err(|e| format!("network {:?}: {e}", n.name))?;
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
    Ok(networks)
}

/// The access point a network's `wifi` table describes, and its password; each SSID is
/// announced by one network only (`ssids`: those announced so far).
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
