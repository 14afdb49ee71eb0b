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
    if_addrs::get_if_addrs()
        .ok()?
        .into_iter()
        .find_map(|iface| {
            if !iface.is_oper_up() || iface.is_loopback() {
                return None;
            }
            match iface.addr {
                if_addrs::IfAddr::V4(v4) if !IpAddr::V4(v4.ip).is_loopback() => {
                    Some((v4.ip, v4.netmask))
                }
                _ => None,
            }
        })
}

/// The machine's OS and release, as `uname` says (`Linux 6.1.0`); the OS's name alone
/// where there is no `uname`.
fn system_name() -> String {
    #[cfg(unix)]
    if let Ok(u) = nix::sys::utsname::uname() {
        return format!(
            "{} {}",
            u.sysname().to_string_lossy(),
            u.release().to_string_lossy()
        );
    }
    match std::env::consts::OS {
        "linux" => "Linux".into(),
        "macos" => "Darwin".into(),
        "windows" => "Windows".into(),
        other => other.into(),
    }
}
