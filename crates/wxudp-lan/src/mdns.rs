//! `wxudp lan-mdns` (hidden): advertises a LAN host's mDNS services (the `mdns` key of
//! its `[[host]]`), from the host's network namespace, for as long as the LAN runs. It
//! follows the host's addresses: when the device joins another network, the next
//! announcement carries its new address.

use std::time::Duration;

use mdns_sd::{ServiceDaemon, ServiceInfo};

/// Runs `wxudp lan-mdns` until it is killed; returns only on failure.
///
/// `host` is the host's name (its mDNS host name is `NAME.local.`), each of `services`
/// `TYPE|NAME|PORT` (`_lamp._udp.|Desk lamp|4210`).
pub fn advertise(host: &str, services: &[String]) -> u8 {
    match run(host, services) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("wxudp lan-mdns: {e}");
            1
        }
    }
}

fn run(host: &str, services: &[String]) -> Result<(), String> {
    let daemon = ServiceDaemon::new().map_err(|e| format!("cannot start mDNS: {e}"))?;
    // Addresses change when the host joins another network: look every second.
    daemon
        .set_ip_check_interval(1)
        .map_err(|e| format!("cannot start mDNS: {e}"))?;
    // The LAN's networks are IPv4 (IPv6 has link-local addresses only): a phone finds
    // the device's IPv4 address, as on a home network.
    daemon
        .disable_interface(mdns_sd::IfKind::IPv6)
        .map_err(|e| format!("cannot start mDNS: {e}"))?;
    for service in services {
        let (ty, name, port) = parse(service)?;
        let info = ServiceInfo::new(
            &ty,
            &name,
            &format!("{host}.local."),
            "",
            port,
            None::<std::collections::HashMap<String, String>>,
        )
        .map_err(|e| format!("{service}: {e}"))?
        .enable_addr_auto();
        daemon
            .register(info)
            .map_err(|e| format!("cannot advertise {service}: {e}"))?;
        println!("advertising {name} ({ty}) on port {port}");
    }
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// `TYPE|NAME|PORT` with the type in mdns-sd's form (`_lamp._udp.local.`).
pub fn parse(service: &str) -> Result<(String, String, u16), String> {
    let mut parts = service.splitn(3, '|');
    let (Some(ty), Some(name), Some(port)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("{service:?}: TYPE|NAME|PORT"));
    };
    let port: u16 = port
        .parse()
        .map_err(|_| format!("{service:?}: the port is not a number from 0 to 65535"))?;
    let ty = ty.trim_end_matches('.');
    if !ty.starts_with('_') || !(ty.ends_with("._udp") || ty.ends_with("._tcp")) || name.is_empty()
    {
        return Err(format!(
            "{service:?}: the type is _NAME._udp. or _NAME._tcp. and the name is not empty"
        ));
    }
    Ok((format!("{ty}.local."), name.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_type_name_and_port() {
        assert_eq!(
            parse("_lamp._udp.|Desk lamp|4210").unwrap(),
            ("_lamp._udp.local.".into(), "Desk lamp".into(), 4210)
        );
        assert!(parse("_lamp._udp.|Desk lamp").is_err());
        assert!(parse("lamp|x|1").is_err());
        assert!(parse("_lamp._udp|x|70000").is_err());
    }
}
