#![allow(clippy::unwrap_used)]

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

use super::{Lan, Leases, Subnet, What};
use crate::protocol::Security;

const SOFTAP: &str = r#"
timeout = 60

[[network]]
name = "home"
subnet = "192.168.1.0/24"
wifi = { ssid = "HomeWiFi", password = "correct-horse" }

[[network]]
name = "device-ap"
subnet = "192.168.4.0/24"
wifi = { ssid = "ESP_5CCF7F" }

[[host]]
name = "lamp"
command = ["python3", "device.py"]
networks = [{ network = "device-ap", address = "192.168.4.1" }]
ready = "listening"

[[host]]
name = "phone"
command = "echo hi"
networks = ["home"]
main = true
"#;

fn parse(text: &str) -> Result<Lan, String> {
    Lan::parse(text, Path::new("/"))
}

#[test]
fn a_softap_lan() {
    let lan = parse(SOFTAP).unwrap();
    assert_eq!(lan.timeout, Some(Duration::from_secs(60)));
    assert_eq!(lan.main, 1);
    let (home, password) = lan.networks[0].ap.clone().unwrap();
    assert_eq!(
        (home.security, password.as_str()),
        (Security::Wpa2, "correct-horse")
    );
    let (esp, _) = lan.networks[1].ap.clone().unwrap();
    assert_eq!(esp.security, Security::Open);
    assert_eq!(
        lan.hosts[0].attach,
        [(1, Some(Ipv4Addr::new(192, 168, 4, 1)))]
    );
    assert_eq!(lan.hosts[0].ready.as_deref(), Some("listening"));
    assert_eq!(
        lan.hosts[1].what,
        What::Command(vec!["sh".into(), "-c".into(), "echo hi".into()])
    );
    assert_eq!(lan.network_of_ssid("ESP_5CCF7F"), Some(1));
    assert_eq!(lan.network_of_ssid("nope"), None);

    let mut leases = Leases::new(&lan);
    let ip = |s: &str| s.parse::<Ipv4Addr>().unwrap();
    assert_eq!(leases.address(&lan, 0, 1).unwrap(), ip("192.168.1.2"));
    assert_eq!(leases.address(&lan, 1, 1).unwrap(), ip("192.168.4.2"));
    assert_eq!(leases.address(&lan, 0, 0).unwrap(), ip("192.168.1.3"));
    assert_eq!(
        leases.address(&lan, 0, 1).unwrap(),
        ip("192.168.1.2"),
        "the same again"
    );
    assert_eq!(
        leases.address(&lan, 1, 0).unwrap(),
        ip("192.168.4.1"),
        "its own"
    );
}

#[test]
fn subnets() {
    let s = Subnet::parse("10.0.0.0/30").unwrap();
    assert_eq!(s.broadcast(), Ipv4Addr::new(10, 0, 0, 3));
    assert_eq!(s.pool().collect::<Vec<_>>(), [Ipv4Addr::new(10, 0, 0, 2)]);
    assert!(s.holds(Ipv4Addr::new(10, 0, 0, 1)));
    assert!(!s.holds(Ipv4Addr::new(10, 0, 0, 3)));
    for bad in [
        "10.0.0.1/24",
        "10.0.0.0",
        "10.0.0.0/31",
        "10.0.0.0/7",
        "x/24",
    ] {
        assert!(Subnet::parse(bad).is_err(), "{bad}");
    }
    // A /30 has one address to hand out.
    let lan = parse(
        "[[network]]\nname = \"n\"\nsubnet = \"10.0.0.0/30\"\n[[host]]\nname = \"a\"\ncommand = \"true\"\nnetworks = [\"n\"]\n[[host]]\nname = \"b\"\ncommand = \"true\"\nmain = true\n",
    )
    .unwrap();
    let mut leases = Leases::new(&lan);
    leases.address(&lan, 0, 0).unwrap();
    assert!(leases
        .address(&lan, 0, 1)
        .unwrap_err()
        .contains("no address left"));
}

#[test]
fn mistakes_are_named() {
    let with = |from: &str, to: &str| parse(&SOFTAP.replacen(from, to, 1)).unwrap_err();
    for (from, to, says) in [
        (
            "name = \"home\"",
            "name = \"Home\"",
            "network name \"Home\"",
        ),
        ("192.168.4.0/24", "192.168.1.128/25", "overlap"),
        (
            "ssid = \"ESP_5CCF7F\"",
            "ssid = \"HomeWiFi\"",
            "another network announces",
        ),
        (
            "password = \"correct-horse\"",
            "password = \"short\"",
            "8 to 63",
        ),
        (
            "address = \"192.168.4.1\"",
            "address = \"192.168.1.9\"",
            "not a host address",
        ),
        (
            "address = \"192.168.4.1\"",
            "address = \"192.168.4.255\"",
            "not a host address",
        ),
        (
            "networks = [\"home\"]",
            "networks = [\"garage\"]",
            "no network named \"garage\"",
        ),
        ("main = true", "", "no host has main = true"),
        ("ready = \"listening\"", "main = true", "more than one host"),
        ("command = \"echo hi\"", "", "give either run"),
        (
            "command = \"echo hi\"",
            "run = \"no/such/app\"",
            "does not exist",
        ),
        ("timeout = 60", "timeout = 0", "timeout"),
        ("timeout = 60", "colour = 1", "unknown field"),
        ("name = \"phone\"", "name = \"lamp\"", "two hosts are named"),
    ] {
        let e = with(from, to);
        assert!(e.contains(says), "{from} -> {to}: {e}");
    }
}

#[test]
fn a_replayed_device_gets_lan_replay_with_its_rules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lamp.pcap"), b"").unwrap();
    let lan = |replay: &str| {
        let text = format!(
            "[[network]]\nname = \"home\"\nsubnet = \"192.168.1.0/24\"\n\n[[host]]\nname = \"lamp\"\n{replay}\nnetworks = [\"home\"]\n"
        );
        Lan::parse(&text, dir.path())
    };
    let file = dir.path().join("lamp.pcap").to_string_lossy().into_owned();
    let got = lan(r#"replay = "lamp.pcap""#).unwrap();
    assert_eq!(got.hosts[0].what, What::Replay(vec![file.clone()]));
    assert_eq!(got.hosts[0].ready.as_deref(), Some("replaying"));
    let got = lan(r#"replay = { file = "lamp.pcap", ignore = ["4..8", "12"], delays = false, device = ["192.168.4.1"] }"#)
        .unwrap();
    assert_eq!(
        got.hosts[0].what,
        What::Replay(
            [
                &file,
                "--ignore",
                "4..8",
                "--ignore",
                "12",
                "--no-delays",
                "--device",
                "192.168.4.1"
            ]
            .map(String::from)
            .to_vec()
        )
    );
    for (replay, says) in [
        (r#"replay = "nope.pcap""#, "is not a file"),
        (
            r#"replay = { file = "lamp.pcap", match = "fuzzy" }"#,
            "not \"fuzzy\"",
        ),
        (
            r#"replay = { file = "lamp.pcap", match = "order", ignore = ["1"] }"#,
            "goes with match",
        ),
        (
            r#"replay = { file = "lamp.pcap", ignore = ["9..2"] }"#,
            "not a byte range",
        ),
        (
            r#"replay = { file = "lamp.pcap", device = ["lamp.local"] }"#,
            "not an IPv4 address",
        ),
        (
            "replay = \"lamp.pcap\"\ncommand = \"true\"",
            "one of run, command or replay",
        ),
    ] {
        let e = lan(replay).unwrap_err();
        assert!(e.contains(says), "{replay}: {e}");
    }
}
