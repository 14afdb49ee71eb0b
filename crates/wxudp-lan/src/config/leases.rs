//! The addresses the hosts get on their networks.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use super::Lan;

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

    /// Every address `host` has been given, on any network.
    pub fn of_host(&self, host: usize) -> Vec<Ipv4Addr> {
        self.given
            .iter()
            .filter(|((_, h), _)| *h == host)
            .map(|(_, ip)| *ip)
            .collect()
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
