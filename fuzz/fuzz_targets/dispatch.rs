//! Received datagrams through dispatch: any bytes, any sender, become WeChat's message
//! result and reach a listener that decodes them as real mini programs do. Nothing but
//! the decoders' own errors may surface.
#![no_main]

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV6};

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&shape, payload)) = data.split_first() else {
        return;
    };
    let port = u16::from(shape) << 8 | u16::from(payload.first().copied().unwrap_or(0));
    let (remote, local) = if shape % 2 == 0 {
        (
            SocketAddr::from((Ipv4Addr::new(127, 0, 0, shape), port)),
            SocketAddr::from((Ipv4Addr::LOCALHOST, 9)),
        )
    } else {
        let mapped = Ipv4Addr::new(127, 0, 0, shape).to_ipv6_mapped();
        (
            SocketAddr::V6(SocketAddrV6::new(mapped, port, 0, 0)),
            SocketAddr::V6(SocketAddrV6::new(std::net::Ipv6Addr::LOCALHOST, 9, 0, 0)),
        )
    };
    if let Err(e) = wxudp_js::fuzzing::deliver_datagram(payload, remote, local) {
        panic!("delivering {} bytes failed: {e}", payload.len());
    }
});
