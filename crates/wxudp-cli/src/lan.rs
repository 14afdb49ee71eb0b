//! The command-line face of `wxudp lan` (the LAN itself is the wxudp-lan crate): the
//! arguments of `lan`, and of the hidden `lan-exec` and `lan-mdns` the controller starts
//! hosts with.

use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `wxudp lan`.
#[derive(Debug, clap::Args)]
pub struct LanArgs {
    /// The LAN file (TOML): its networks and hosts (see docs/LAN.md).
    #[arg(value_name = "FILE.toml", required_unless_present = "cleanup")]
    file: Option<PathBuf>,
    /// End the LAN after this many seconds (exit status 124); the file's `timeout`
    /// otherwise, else no limit.
    #[arg(long, value_name = "SECONDS", value_parser = crate::target::parse_timeout)]
    timeout: Option<Duration>,
    /// Capture every network into DIR/NETWORK.pcap (Ethernet frames; Wireshark, tcpdump -r).
    #[arg(long, value_name = "DIR")]
    pcap: Option<PathBuf>,
    /// Write each device host's traffic into DIR/HOST.pcap at the end: the capture a
    /// `replay` device reads (docs/LAN.md)
    #[arg(long, value_name = "DIR")]
    record: Option<PathBuf>,
    /// Remove what LANs killed with SIGKILL left behind (their namespaces, links and
    /// processes), then exit; with --all, every LAN's, running or not.
    #[arg(long, conflicts_with_all = ["file", "timeout", "pcap"])]
    cleanup: bool,
    /// With --cleanup: every LAN's namespaces, also those of LANs still running.
    #[arg(long, requires = "cleanup")]
    all: bool,
}

/// Runs `wxudp lan` and returns its exit status: the main host's, 124 after the timeout,
/// 130/143/129 after SIGINT/SIGTERM/SIGHUP, 1 when the LAN cannot be made, 2 for a bad
/// file.
pub fn lan(args: LanArgs) -> u8 {
    if args.cleanup {
        return wxudp_lan::cleanup(args.all);
    }
    let Some(file) = args.file else {
        return 2;
    };
    wxudp_lan::run(wxudp_lan::Options {
        file,
        timeout: args.timeout,
        pcap: args.pcap,
        record: args.record,
    })
}

/// Arguments of `wxudp lan-exec` (internal: `wxudp lan` runs it).
#[derive(Debug, clap::Args)]
pub struct ExecArgs {
    /// The network namespace to enter (a file such as /run/netns/NAME).
    #[arg(long, value_name = "FILE")]
    netns: PathBuf,
    /// The controller's process id: if it is gone already, do not start.
    #[arg(long, value_name = "PID")]
    parent: i32,
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// Runs `wxudp lan-exec`: only returns on failure (exit status 127).
pub fn exec(args: ExecArgs) -> u8 {
    wxudp_lan::exec(&args.netns, args.parent, &args.command)
}

/// Arguments of `wxudp lan-mdns` (internal: `wxudp lan` runs it through `lan-exec`).
#[derive(Debug, clap::Args)]
pub struct MdnsArgs {
    /// The host's name (its mDNS host name is NAME.local.).
    #[arg(long)]
    host: String,
    /// A service: TYPE|NAME|PORT (`_lamp._udp.|Desk lamp|4210`); may be repeated.
    #[arg(long = "service", value_name = "TYPE|NAME|PORT", required = true)]
    services: Vec<String>,
}

/// Runs `wxudp lan-mdns` until it is killed; returns only on failure.
pub fn advertise(args: MdnsArgs) -> u8 {
    wxudp_lan::advertise(&args.host, &args.services)
}

/// Arguments of `wxudp lan-replay` (internal: a host's `replay` in a LAN file runs it).
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The capture of the real device (pcap or pcapng).
    #[arg(value_name = "FILE")]
    capture: PathBuf,
    /// `bytes` (the same bytes) or `order` (the next recorded request).
    #[arg(long = "match", value_name = "RULE", default_value = "bytes", value_parser = ["bytes", "order"])]
    matching: String,
    /// A byte range the match ignores (4..8, 4-7 or 12); may be repeated.
    #[arg(long, value_name = "RANGE", value_parser = wxudp_lan::replay::parse_range)]
    ignore: Vec<std::ops::Range<usize>>,
    /// Answer at once instead of after the recorded delays.
    #[arg(long)]
    no_delays: bool,
    /// The recorded device's address in the capture (default: this host's addresses);
    /// may be repeated.
    #[arg(long, value_name = "IPV4")]
    device: Vec<std::net::Ipv4Addr>,
}

/// Runs `wxudp lan-replay` until it is killed; returns only on failure.
pub fn replay(args: ReplayArgs) -> u8 {
    let rule = match (args.matching.as_str(), args.ignore.is_empty()) {
        ("order", _) => wxudp_lan::replay::Rule::Order,
        (_, true) => wxudp_lan::replay::Rule::Bytes,
        (_, false) => wxudp_lan::replay::Rule::Ignoring(args.ignore),
    };
    let options = wxudp_lan::replay::Options {
        capture: args.capture,
        device: args.device,
        rule,
        delays: !args.no_delays,
    };
    let own = wxudp_lan::replay::own_addresses();
    u8::try_from(wxudp_lan::replay::run(&options, &own)).unwrap_or(1)
}
