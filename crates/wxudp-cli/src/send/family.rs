//! The address family of a send (-4/-6 and the source address), and the destination
//! resolved within it.

use std::net::{IpAddr, SocketAddr};

use crate::status::Failure;
use crate::target::Target;

/// Which address family the destination must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    Any,
    V4,
    V6,
}

impl Family {
    /// From -4/-6 and the source address, which must agree.
    pub(super) fn wanted(
        ipv4: bool,
        ipv6: bool,
        source: Option<IpAddr>,
    ) -> Result<Family, Failure> {
        let flag = match (ipv4, ipv6) {
            (true, _) => Family::V4,
            (_, true) => Family::V6,
            _ => Family::Any,
        };
        let from_source = match source {
            Some(ip) if ip.is_unspecified() && ip.is_ipv4() => Family::Any,
            Some(IpAddr::V4(_)) => Family::V4,
            Some(IpAddr::V6(_)) => Family::V6,
            None => Family::Any,
        };
        match (flag, from_source) {
            (Family::Any, f) | (f, Family::Any) => Ok(f),
            (a, b) if a == b => Ok(a),
            _ => Err(Failure::Usage(format!(
                "the source address {} is not of the family -{} asks for",
                source.map(|ip| ip.to_string()).unwrap_or_default(),
                if ipv4 { 4 } else { 6 }
            ))),
        }
    }

    fn accepts(self, ip: IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Family::Any => "any",
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
}

/// The address to send to: an IP literal, or an address of a host name (IPv4 first, as
/// most devices are IPv4, unless the family says otherwise).
pub(super) async fn resolve(target: &Target, family: Family) -> Result<SocketAddr, Failure> {
    if let Some(ip) = target.ip {
        if !family.accepts(ip) {
            return Err(Failure::Usage(format!(
                "{ip} is not an {} address (-4/-6 and the source address decide the family)",
                family.name()
            )));
        }
        return Ok(SocketAddr::new(ip, target.port));
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((target.host.as_str(), target.port))
        .await
        .map_err(|e| Failure::runtime(format!("cannot resolve {}: {e}", target.host)))?
        .collect();
    let pick = match family {
        Family::Any => addrs.iter().find(|a| a.is_ipv4()).or(addrs.first()),
        f => addrs.iter().find(|a| f.accepts(a.ip())),
    };
    pick.copied().ok_or_else(|| {
        Failure::runtime(format!(
            "{} has no {}address",
            target.host,
            match family {
                Family::Any => "",
                Family::V4 => "IPv4 ",
                Family::V6 => "IPv6 ",
            }
        ))
    })
}
