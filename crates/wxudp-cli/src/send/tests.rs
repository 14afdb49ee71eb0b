use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::family::Family;

#[test]
fn families() {
    let v4: IpAddr = "127.0.0.1"
        .parse()
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
    assert_eq!(Family::wanted(false, false, None), Ok(Family::Any));
    assert_eq!(Family::wanted(true, false, None), Ok(Family::V4));
    assert_eq!(Family::wanted(false, false, Some(v6)), Ok(Family::V6));
    assert_eq!(Family::wanted(false, true, Some(v6)), Ok(Family::V6));
    assert!(Family::wanted(true, false, Some(v6)).is_err());
    assert!(Family::wanted(false, true, Some(v4)).is_err());
}
