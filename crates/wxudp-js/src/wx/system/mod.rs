//! The device a run pretends to be, and what `wx` reports about it and its network
//! (system.js): the system info of `--platform`, the local address, the network type.

use std::net::{IpAddr, Ipv4Addr};

use rquickjs::{Ctx, Function, Object};

use crate::runtime::host::Shared;

pub(crate) mod platform;

/// Adds `N.systemInfoJson`, `N.system`, `N.localIPAddress()` and `N.networkType()`.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, n: &Object<'js>, host: &Shared) -> rquickjs::Result<()> {
    let info = {
        let h = host.borrow();
        platform::system_info(h.platform, &h.base_library.to_string()).to_string()
    };
    n.set("systemInfoJson", info)?;
    n.set("system", system_name())?;
    n.set(
        "localIPAddress",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>| -> rquickjs::Result<Option<Object<'js>>> {
                let Some((ip, mask)) = local_ipv4() else {
                    return Ok(None);
                };
                let obj = Object::new(ctx)?;
                obj.set("localip", ip.to_string())?;
                obj.set("netmask", mask.to_string())?;
                Ok(Some(obj))
            },
        )?,
    )?;
    n.set(
        "networkType",
        Function::new(ctx.clone(), || {
            if local_ipv4().is_some() {
                "wifi"
            } else {
                "none"
            }
        })?,
    )?;

    Ok(())
}

/// The first IPv4 address (and netmask) of an interface that is up and not loopback.
fn local_ipv4() -> Option<(Ipv4Addr, Ipv4Addr)> {
    use nix::net::if_::InterfaceFlags;
    nix::ifaddrs::getifaddrs().ok()?.find_map(|iface| {
        if !iface.flags.contains(InterfaceFlags::IFF_UP)
            || iface.flags.contains(InterfaceFlags::IFF_LOOPBACK)
        {
            return None;
        }
        let ip = iface.address?.as_sockaddr_in()?.ip();
        let mask = iface.netmask?.as_sockaddr_in()?.ip();
        (!IpAddr::V4(ip).is_loopback()).then_some((ip, mask))
    })
}

fn system_name() -> String {
    nix::sys::utsname::uname()
        .map(|u| {
            format!(
                "{} {}",
                u.sysname().to_string_lossy(),
                u.release().to_string_lossy()
            )
        })
        .unwrap_or_else(|_| "Linux".into())
}
