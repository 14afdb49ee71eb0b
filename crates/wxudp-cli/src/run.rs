//! `wxudp run`: a mini-program script, project or game under the JS runtime
//! (`wxudp-js`), and the parsers of its flags.

use crate::status;

/// `--platform`: one of the platforms' names, which completions offer.
fn parse_platform() -> impl clap::builder::TypedValueParser<Value = wxudp_js::Platform> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(wxudp_js::Platform::ALL.map(wxudp_js::Platform::name))
        .try_map(|name| name.parse::<wxudp_js::Platform>())
}

/// Arguments of `wxudp run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// What to run: a mini-program project folder (app.json, app.js, its pages), a
    /// mini-game folder (game.json, game.js), or one script (.js or .ts; CommonJS or ES
    /// module).
    #[arg(value_name = "DIR|FILE")]
    file: std::path::PathBuf,
    /// Open this page of a project folder first, with its query passed to onLoad:
    /// --page 'pages/device/device?id=7' (default: app.json's entryPagePath, else its
    /// first page).
    #[arg(long, value_name = "ROUTE[?QUERY]")]
    page: Option<String>,
    /// The device to pretend to be: wx.getSystemInfoSync().platform and the rest
    /// (android, ios, ohos, windows, mac, devtools).
    #[arg(long, value_name = "PLATFORM", default_value_t = wxudp_js::Platform::Android,
          value_parser = parse_platform())]
    platform: wxudp_js::Platform,
    /// Print every datagram sent and received (time, socket, local and peer address,
    /// size, a hex/ASCII preview) and every error event on stderr.
    #[arg(long)]
    trace: bool,
    /// Write the run's datagrams to FILE as a pcap capture (Wireshark, tcpdump -r).
    #[arg(long, value_name = "FILE")]
    pcap: Option<std::path::PathBuf>,
    /// Write a report to FILE at exit: the exit status and reason, each page's final
    /// data, per-socket counts (sent, received, dropped, errors by errCode) and the
    /// timeline of datagrams and page events; FILE.html is the flow view, a page that
    /// draws it as a sequence diagram (docs/RUNTIME.md)
    #[arg(long, value_name = "FILE.json|FILE.html")]
    report: Option<std::path::PathBuf>,
    /// End the run after this many seconds, even in the middle of a script or of its
    /// hide hooks (exit status 124). A number of seconds above 0 and at most 31536000 (365 days); fractions such
    /// as 0.5 are fine.
    #[arg(long, value_name = "SECONDS", value_parser = crate::target::parse_timeout, allow_negative_numbers = true)]
    timeout: Option<std::time::Duration>,
    /// Keep wx storage (wx.setStorageSync, ...) in this JSON file across runs.
    #[arg(long, value_name = "FILE")]
    storage: Option<std::path::PathBuf>,
    /// The base library version to emulate: SDKVersion, wx.canIUse, which UDPSocket
    /// methods exist, and below 2.9.4 the same-subnet destination policy.
    #[arg(long, value_name = "VERSION", default_value_t = wxudp_js::BaseLibrary::DEFAULT)]
    base_library: wxudp_js::BaseLibrary,
    /// A host name allowed as a destination under the pre-2.9.4 policy (repeatable).
    #[arg(long, value_name = "HOST")]
    udp_domain: Vec<String>,
    /// Bytes of received datagrams each socket holds for its message listeners; beyond
    /// it datagrams are dropped, as a full kernel buffer drops them. Suffixes K, M, G
    /// (powers of 1024).
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "8M")]
    receive_buffer: usize,
    /// The same for all the run's sockets together.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "64M")]
    receive_total: usize,
    /// Bytes of sends each socket queues (waiting for a host name or for room in the
    /// kernel); beyond it send/write fail with errCode -2 (send queue full).
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "8M")]
    send_buffer: usize,
    /// The same for all the run's sockets together.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "64M")]
    send_total: usize,
    /// Bytes the script's JavaScript heap may hold; beyond it an allocation throws
    /// "out of memory" in the script.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "1G")]
    js_memory: usize,
    /// Bytes of native memory the run holds for the script outside its JavaScript heap:
    /// sockets, received datagrams and queued sends, error events, timers, HTTP
    /// requests. Beyond it the call fails as WeChat's do: createUDPSocket/bind/send
    /// with an error event "cannot allocate memory (native memory budget used up)"
    /// (errCode -1), request:fail, setTimeout throwing a RangeError.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "256M")]
    native_memory: usize,
    /// The Wi-Fi network the phone is connected to (wx.getConnectedWifi, wx.getWifiList),
    /// or `off`: Wi-Fi switched off (errCode 12005). Under `wxudp lan` the LAN answers.
    #[arg(long, value_name = "SSID|off", default_value = wxudp_js::wifi::DEFAULT_SSID, value_parser = parse_ssid)]
    wifi: String,
    /// Print, on stderr, which file each require/import specifier and each
    /// usingComponents path resolved to, and where WeChat would differ.
    #[arg(long, short = 'v')]
    verbose: bool,
    /// Certificates (PEM) wx.request trusts beside Mozilla's roots: a test server's
    /// own CA. Certificate checks stay on.
    #[arg(long, value_name = "FILE.pem")]
    cacert: Option<std::path::PathBuf>,
    /// The user data folder (wx.env.USER_DATA_PATH, wx.getFileSystemManager), kept
    /// across runs; default a temporary folder removed at exit.
    #[arg(long, value_name = "DIR")]
    data: Option<std::path::PathBuf>,
    /// The user's answers to prompts: a JSON object of queues per API (showModal,
    /// showActionSheet, authorize, getUserProfile, openSetting, checkSession).
    #[arg(long, value_name = "FILE.json")]
    answers: Option<std::path::PathBuf>,
    /// A scope the user refuses (wx.authorize, and on Android wx.getWifiList's
    /// scope.userLocation); may be repeated.
    #[arg(long, value_name = "SCOPE")]
    deny: Vec<String>,
}

/// `wxudp run`: runs the script and returns its exit status.
pub fn run_script(args: RunArgs) -> u8 {
    let options = wxudp_js::RunOptions {
        timeout: args.timeout,
        storage: args.storage,
        base_library: args.base_library,
        udp_domains: args.udp_domain,
        receive_buffer: args.receive_buffer,
        receive_total: args.receive_total,
        send_buffer: args.send_buffer,
        send_total: args.send_total,
        js_memory: args.js_memory,
        native_memory: args.native_memory,
        page: args.page,
        platform: args.platform,
        trace: args.trace,
        pcap: args.pcap,
        report: args.report,
        wifi: (args.wifi != "off").then_some(args.wifi),
        verbose: args.verbose,
        cacert: args.cacert,
        data: args.data,
        answers: args.answers,
        deny: args.deny,
    };
    let code = wxudp_js::run(&args.file, &options);
    u8::try_from(code).unwrap_or(status::FAILURE)
}

/// Parses `--wifi`: `off`, or an SSID of 1 to 32 bytes (IEEE 802.11's limit).
fn parse_ssid(text: &str) -> Result<String, String> {
    match text.len() {
        1..=32 => Ok(text.to_string()),
        0 => Err(
            "an SSID has 1 to 32 bytes (IEEE 802.11); this one is empty (`off`: Wi-Fi off)".into(),
        ),
        n => Err(format!(
            "an SSID has 1 to 32 bytes (IEEE 802.11); this one has {n}"
        )),
    }
}

/// Parses a size in bytes: digits with an optional suffix K, M or G (powers of 1024),
/// from 1 byte to 1024G (1 TiB).
fn parse_bytes(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c.to_ascii_uppercase()),
        _ => (text, 'B'),
    };
    let shift = match unit {
        'B' => Some(0),
        'K' => Some(10),
        'M' => Some(20),
        'G' => Some(30),
        _ => None,
    };
    shift
        .zip(digits.parse::<u64>().ok())
        .and_then(|(shift, n)| n.checked_mul(1 << shift))
        .filter(|n| (1..=1 << 40).contains(n))
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| {
            format!("{text:?} is not a size from 1 byte to 1024G (such as 65536, 512K, 8M)")
        })
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn sizes_in_bytes() {
        assert_eq!(parse_bytes("65536"), Ok(65536));
        assert_eq!(parse_bytes("512k"), Ok(512 << 10));
        assert_eq!(parse_bytes("8M"), Ok(8 << 20));
        assert_eq!(parse_bytes("1G"), Ok(1 << 30));
        for bad in [
            "",
            "0",
            "-1",
            "1.5M",
            "8X",
            "M",
            "2000G",
            "99999999999999999999",
        ] {
            assert!(parse_bytes(bad).is_err(), "{bad}");
        }
    }
}
