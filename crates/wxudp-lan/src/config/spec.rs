//! The shapes of a LAN file as TOML has them, before they are checked.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The whole file: an optional `timeout`, `[[network]]` and `[[host]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileSpec {
    #[serde(default)]
    pub(super) timeout: Option<f64>,
    #[serde(default, rename = "network")]
    pub(super) networks: Vec<NetworkSpec>,
    #[serde(default, rename = "host")]
    pub(super) hosts: Vec<HostSpec>,
}

/// A `[[network]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NetworkSpec {
    pub(super) name: String,
    pub(super) subnet: String,
    #[serde(default)]
    pub(super) wifi: Option<WifiSpec>,
}

/// The `wifi` table of a network: its access point.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WifiSpec {
    pub(super) ssid: String,
    #[serde(default)]
    pub(super) password: Option<String>,
    #[serde(default)]
    pub(super) security: Option<String>,
    #[serde(default)]
    pub(super) bssid: Option<String>,
    #[serde(default)]
    pub(super) signal: Option<u8>,
    #[serde(default)]
    pub(super) frequency: Option<u32>,
}

/// A host's `command`: a shell line, or a program and its arguments.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum CommandSpec {
    Shell(String),
    Argv(Vec<String>),
}

/// An entry of a host's `networks`: a network's name, or `{ network, address }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum AttachSpec {
    Name(String),
    Table {
        network: String,
        #[serde(default)]
        address: Option<String>,
    },
}

/// A `[[host]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HostSpec {
    pub(super) name: String,
    #[serde(default)]
    pub(super) run: Option<String>,
    #[serde(default)]
    pub(super) command: Option<CommandSpec>,
    #[serde(default)]
    pub(super) args: Vec<String>,
    #[serde(default)]
    pub(super) networks: Vec<AttachSpec>,
    #[serde(default)]
    pub(super) main: bool,
    #[serde(default)]
    pub(super) ready: Option<String>,
    #[serde(default)]
    pub(super) env: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) mdns: Vec<MdnsSpec>,
    #[serde(default)]
    pub(super) replay: Option<ReplaySpec>,
}

/// A host's `replay`: a capture file, or `{ file, match, ignore, delays, device }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum ReplaySpec {
    File(String),
    Table(ReplayTable),
}

/// The table form of `replay`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReplayTable {
    pub(super) file: String,
    /// `bytes` (the default) or `order`; `ignore` implies bytes but for those ranges.
    #[serde(default, rename = "match")]
    pub(super) matching: Option<String>,
    #[serde(default)]
    pub(super) ignore: Vec<String>,
    #[serde(default)]
    pub(super) delays: Option<bool>,
    #[serde(default)]
    pub(super) device: Vec<String>,
}

/// A service a host advertises by mDNS: `{ type = "_lamp._udp.", name = "Desk lamp",
/// port = 4210 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MdnsSpec {
    #[serde(rename = "type")]
    pub(super) ty: String,
    pub(super) name: String,
    pub(super) port: u16,
}
