//! mDNS discovery between two network namespaces (mDNS is multicast: never on the host's
//! network): a page finds a service `wxudp lan-mdns` advertises, and each failure of
//! WeChat's API gets its errMsg. The search's own failures need no peer, but starting a
//! search sends multicast queries, so those run in a namespace too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::{finish, stderr, stdout, Script};

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (network namespaces); runs under CI=true or with --include-ignored"
)]
fn a_page_finds_an_advertised_service_and_each_misuse_fails_as_in_wechat() {
    let device = wxudp_testkit::Netns::create("mdnsd");
    let phone = wxudp_testkit::Netns::create("mdnsp");
    device.link(
        "veth-d",
        "192.168.79.20/24",
        &phone,
        "veth-p",
        "192.168.79.2/24",
    );
    let mut advertiser = common::Running(Some(
        device
            .exec(env!("CARGO_BIN_EXE_wxudp"))
            .args([
                "lan-mdns",
                "--host",
                "lamp",
                "--service",
                "_lamp._udp.|Desk lamp|4210",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    ));
    let mut line = String::new();
    BufReader::new(advertiser.child().stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(
        line,
        "advertising Desk lamp (_lamp._udp.local.) on port 4210\n"
    );
    let script = Script::new(
        "mdns",
        r#"
(async function () {
  let e = await wx.stopLocalServiceDiscovery().catch(x => x);
  console.log(e.errMsg);
  e = await wx.startLocalServiceDiscovery({ serviceType: '' }).catch(x => x);
  console.log(e.errMsg);
  e = await wx.startLocalServiceDiscovery({}).catch(x => x);
  console.log(e.errMsg);
  const found = new Promise(resolve => wx.onLocalServiceFound(resolve));
  const stopped = new Promise(resolve => wx.onLocalServiceDiscoveryStop(resolve));
  console.log((await wx.startLocalServiceDiscovery({ serviceType: '_lamp._udp.' })).errMsg);
  e = await wx.startLocalServiceDiscovery({ serviceType: '_lamp._udp.' }).catch(x => x);
  console.log(e.errMsg);
  console.log(JSON.stringify(await found));
  console.log((await wx.stopLocalServiceDiscovery()).errMsg);
  console.log(JSON.stringify(await stopped));
  e = await wx.stopLocalServiceDiscovery().catch(x => x);
  console.log(e.errMsg);
  console.log(wx.canIUse('startLocalServiceDiscovery'), wx.canIUse('offLocalServiceFound'));
})();
"#,
    );
    let out = finish(
        phone
            .exec(env!("CARGO_BIN_EXE_wxudp"))
            .args(["run", script.path.to_str().unwrap(), "--timeout", "30"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(
        stdout(&out),
        "stopLocalServiceDiscovery:fail task not found\n\
         startLocalServiceDiscovery:fail invalid param\n\
         startLocalServiceDiscovery:fail invalid param\n\
         startLocalServiceDiscovery:ok\n\
         startLocalServiceDiscovery:fail scan task already exist\n\
         {\"serviceType\":\"_lamp._udp.\",\"serviceName\":\"Desk lamp\",\"ip\":\"192.168.79.20\",\"port\":4210}\n\
         stopLocalServiceDiscovery:ok\n\
         {\"errMsg\":\"onLocalServiceDiscoveryStop:ok\"}\n\
         stopLocalServiceDiscovery:fail task not found\n\
         true true\n"
    );
}
