//! The IPv4 subnets of the LAN's networks: parsed, compared, and their address pools.

use std::net::Ipv4Addr;

/// An IPv4 subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    pub network: Ipv4Addr,
    pub prefix: u8,
}

impl Subnet {
    /// Parses `ADDRESS/PREFIX`: a prefix from 8 to 30, and no host bits set.
    pub(super) fn parse(text: &str) -> Result<Subnet, String> {
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

/// Whether two subnets share addresses.
pub(super) fn overlap(a: Subnet, b: Subnet) -> bool {
    let prefix = a.prefix.min(b.prefix);
    let mask = Subnet::mask_bits(prefix);
    u32::from(a.network) & mask == u32::from(b.network) & mask
}
