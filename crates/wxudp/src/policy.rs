//! The destination policy of docs/CONTRACT.md §5.

use std::net::IpAddr;

use crate::error::{Error, Method};

/// Which destinations a socket may send to.
///
/// Base library 2.9.4 and later allow any destination ([`Policy::Any`], the default).
/// Up to 2.9.3 a destination had to be an IP on one of the device's own subnets (but not
/// the device's own address), the limited broadcast address, or an allow-listed host name;
/// [`Policy::SameSubnet`] emulates that. A refused send fails with errCode -3 and no
/// packet leaves the host.
///
/// # Examples
/// ```
/// use wxudp::Policy;
/// let old = Policy::same_subnet(["device.invalid"]);
/// // 127.0.0.1 is the host's own address on `lo`: refused.
/// assert_eq!(old.check_ip(wxudp::Method::Send, "127.0.0.1".parse().unwrap()).unwrap_err().code(), -3);
/// // Another address of lo's 127.0.0.0/8 subnet is allowed.
/// assert!(old.check_ip(wxudp::Method::Send, "127.0.0.2".parse().unwrap()).is_ok());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Policy {
    /// Any IP or host name (base library 2.9.4 and later).
    #[default]
    Any,
    /// Only IPs of the device's own subnets (not its own IPs), `255.255.255.255`, and the
    /// listed host names (base library up to 2.9.3, "udp legal domains").
    SameSubnet {
        /// The host names allowed as destinations, compared without case.
        allowed_hosts: Vec<String>,
    },
}

impl Policy {
    /// Creates the pre-2.9.4 policy with these allowed host names ("udp legal domains").
    ///
    /// # Examples
    /// ```
    /// use wxudp::Policy;
    /// let policy = Policy::same_subnet(["a.invalid", "b.invalid"]);
    /// assert_eq!(
    ///     policy,
    ///     Policy::SameSubnet { allowed_hosts: vec!["a.invalid".into(), "b.invalid".into()] }
    /// );
    /// assert_ne!(Policy::same_subnet(Vec::<String>::new()), Policy::Any);
    /// ```
    pub fn same_subnet<I, S>(allowed_hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Policy::SameSubnet {
            allowed_hosts: allowed_hosts.into_iter().map(Into::into).collect(),
        }
    }

    /// Checks an IP destination against the policy. Under [`Policy::SameSubnet`] it looks
    /// up this host's interfaces: the address must lie on one of their subnets without
    /// being one of their own addresses, or be `255.255.255.255`. An IPv4-mapped IPv6
    /// address is checked as IPv4.
    ///
    /// # Errors
    /// [`Error::NotPermitted`] (errCode -3) of `method` when the policy refuses it.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{Method, Policy};
    /// let check = |p: &Policy, ip: &str| p.check_ip(Method::Send, ip.parse().unwrap());
    /// assert!(check(&Policy::Any, "127.0.0.1").is_ok());
    /// let old = Policy::same_subnet(Vec::<String>::new());
    /// assert!(check(&old, "255.255.255.255").is_ok());
    /// assert!(check(&old, "::ffff:127.0.0.2").is_ok(), "on lo's 127.0.0.0/8");
    /// assert_eq!(
    ///     check(&old, "127.0.0.1").unwrap_err().to_string(),
    ///     "send:fail destination not permitted: 127.0.0.1"
    /// );
    /// ```
    pub fn check_ip(&self, method: Method, ip: IpAddr) -> Result<(), Error> {
        self.check_ip_with(method, ip, &on_own_subnet)
    }

    /// Checks an IP destination, asking `on_own_subnet` whether an address lies on one
    /// of this host's subnets without being one of its own addresses.
    pub(crate) fn check_ip_with(
        &self,
        method: Method,
        ip: IpAddr,
        on_own_subnet: &dyn Fn(IpAddr) -> bool,
    ) -> Result<(), Error> {
        match self {
            Policy::Any => Ok(()),
            Policy::SameSubnet { .. } => {
                let ip = ip.to_canonical();
                if ip == IpAddr::from([255, 255, 255, 255]) || on_own_subnet(ip) {
                    Ok(())
                } else {
                    Err(Error::NotPermitted {
                        method,
                        destination: ip.to_string(),
                    })
                }
            }
        }
    }

    /// Checks a host-name destination against the policy: under
    /// [`Policy::SameSubnet`] it must be one of the allowed names, compared without case
    /// and without a final dot. Nothing is resolved.
    ///
    /// # Errors
    /// [`Error::NotPermitted`] (errCode -3) of `method` when the policy refuses it.
    ///
    /// # Examples
    /// ```
    /// use wxudp::{Method, Policy};
    /// let old = Policy::same_subnet(["Device.Invalid"]);
    /// assert!(old.check_host(Method::Send, "device.invalid.").is_ok());
    /// assert_eq!(old.check_host(Method::Connect, "other.invalid").unwrap_err().code(), -3);
    /// assert!(Policy::Any.check_host(Method::Send, "other.invalid").is_ok());
    /// ```
    pub fn check_host(&self, method: Method, host: &str) -> Result<(), Error> {
        match self {
            Policy::Any => Ok(()),
            Policy::SameSubnet { allowed_hosts } => {
                let host = host.trim_end_matches('.');
                if allowed_hosts
                    .iter()
                    .any(|h| h.trim_end_matches('.').eq_ignore_ascii_case(host))
                {
                    Ok(())
                } else {
                    Err(Error::NotPermitted {
                        method,
                        destination: host.to_owned(),
                    })
                }
            }
        }
    }
}

/// Whether `ip` lies on the subnet of one of this host's interfaces without being that
/// interface's own address.
pub(crate) fn on_own_subnet(ip: IpAddr) -> bool {
    let Ok(interfaces) = if_addrs::get_if_addrs() else {
        return false;
    };
    let mut on_subnet = false;
    for iface in interfaces {
        let (own, mask) = match (ip, iface.addr) {
            (IpAddr::V4(_), if_addrs::IfAddr::V4(a)) => (
                u128::from(u32::from(a.ip)),
                u128::from(u32::from(a.netmask)),
            ),
            (IpAddr::V6(_), if_addrs::IfAddr::V6(a)) => (u128::from(a.ip), u128::from(a.netmask)),
            _ => continue,
        };
        let ip = match ip {
            IpAddr::V4(v4) => u128::from(u32::from(v4)),
            IpAddr::V6(v6) => u128::from(v6),
        };
        if ip == own {
            return false;
        }
        on_subnet |= ip & mask == own & mask;
    }
    on_subnet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_allows_everything() {
        assert!(Policy::Any.check_host(Method::Send, "x.y").is_ok());
        assert!(Policy::Any
            .check_ip(Method::Send, "127.0.0.1".parse().unwrap())
            .is_ok());
    }

    #[test]
    fn same_subnet_hosts_and_addresses() {
        let p = Policy::same_subnet(["Dev.Example"]);
        assert!(p.check_host(Method::Send, "dev.example.").is_ok());
        assert_eq!(p.check_host(Method::Send, "other").unwrap_err().code(), -3);
        let check = |ip: &str| p.check_ip(Method::Write, ip.parse().unwrap());
        assert!(check("255.255.255.255").is_ok());
        assert!(check("127.0.0.9").is_ok());
        assert!(
            check("::ffff:127.0.0.9").is_ok(),
            "mapped addresses are unmapped"
        );
        assert_eq!(check("127.0.0.1").unwrap_err().code(), -3);
        assert_eq!(check("::1").unwrap_err().code(), -3);
        assert_eq!(
            check("203.0.113.7").unwrap_err().to_string(),
            "write:fail destination not permitted: 203.0.113.7"
        );
    }
}
