//! # wxudp-lan
//!
//! `wxudp lan FILE.toml`: a simulated LAN with Wi-Fi on one Linux machine (docs/LAN.md).
//! Each network is a bridge in a network namespace of the LAN's own; each host runs in a
//! namespace of its own, joined to its networks by veth pairs; hosts run mini-program
//! code (`wxudp run`) or any command, and move between Wi-Fi networks with
//! `wx.connectWifi`, which asks the controller over the host's control socket.
//!
//! - [`protocol`]: the control protocol a host and the controller speak (typed,
//!   versioned, length-bounded frames of JSON); the runtime's Wi-Fi client uses it too.
//! - [`pcap`]: the capture files of `--pcap` (also `wxudp run --pcap`).
//! - with the `controller` feature (the default): the LAN file (`config`), the
//!   namespaces and their wiring, the hosts' processes, the capture, and [`run`]. The
//!   hosts are started through the `wxudp` binary's hidden `lan-exec` and `lan-mdns`
//!   commands ([`exec`], [`advertise`]).

pub mod pcap;
pub mod protocol;

#[cfg(feature = "controller")]
mod capture;
#[cfg(feature = "controller")]
mod config;
#[cfg(feature = "controller")]
mod control;
#[cfg(feature = "controller")]
mod controller;
#[cfg(feature = "controller")]
mod exec;
#[cfg(feature = "controller")]
mod hosts;
#[cfg(feature = "controller")]
mod mdns;
#[cfg(feature = "controller")]
mod netns;
#[cfg(feature = "controller")]
mod output;
#[cfg(feature = "controller")]
pub mod replay;
#[cfg(feature = "controller")]
mod userns;

#[cfg(feature = "controller")]
pub use controller::{cleanup, run, Options};
#[cfg(feature = "controller")]
pub use exec::exec;
#[cfg(feature = "controller")]
pub use mdns::advertise;
