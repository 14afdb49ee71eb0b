//! `wxudp`: send, listen for and echo UDP datagrams with the WeChat-compatible socket of
//! the `wxudp` library.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};

mod bench;
mod console;
mod hints;
mod input;
mod lan;
mod output;
mod printer;
mod progress;
mod send;
mod serve;
mod signals;
mod status;
mod target;

/// UDP sockets the way WeChat mini programs use them: poke devices, listen, echo.
#[derive(Debug, Parser)]
#[command(
    name = "wxudp",
    version,
    about,
    long_about = None,
    after_help = TOP_HELP,
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Examples and exit statuses of `wxudp --help`.
const TOP_HELP: &str = concat!(
    "\
Examples (netcat users: nc -u HOST PORT is wxudp send HOST:PORT):
  wxudp send 192.168.4.1:7000 'hello, how are you' -r 1     send, wait for a reply
  echo -n ping | wxudp send 192.168.4.1:7000 -              send what stdin holds
  wxudp send 192.168.4.1:7000                               one datagram per line typed
  wxudp listen 9000 -f json | jq .text                      print what arrives on port 9000
  wxudp echo 9000                                           send every datagram back
  wxudp send -b 192.168.4.255:9000 DISCOVER -w 2            broadcast, print replies for 2 s

",
    "Exit status (send, listen, echo):
  0    done
  1    a runtime failure (network, name resolution, a file or stdin, stdout closed)
  2    a usage error (a bad flag, value, address or message)
  124  time ran out before --replies replies (send) or --count datagrams (listen, echo)
  130, 143, 129  ended by SIGINT (Ctrl-C), SIGTERM, SIGHUP
wxudp run has its own (see wxudp run --help)."
);

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a mini-program script with a `wx` global (wx.createUDPSocket and friends).
    ///
    /// Exit status: 0 when the script ran and nothing went uncaught; 1 after an uncaught
    /// exception (top level, listener, timer or promise), a syntax error or an unreadable
    /// file; 2 for a usage error; 124 when --timeout ended the run; 130, 143, 129 after
    /// SIGINT (Ctrl-C), SIGTERM, SIGHUP: the script is cut short, the wx.onAppHide
    /// listeners, App.onHide and the pages' onHide/onUnload run, then the sockets close.
    /// A second signal ends the run at once (with the first one's status), and so does
    /// --timeout, whatever the script is doing.
    #[command(after_help = "\
Examples:
  wxudp run examples/hello.js                      a script
  wxudp run my-project                             a project folder (app.json, or game.json)
  wxudp run . --page 'pages/device/device?id=7'    another page, with its onLoad query
  wxudp run app.js --trace                         every datagram and event on stderr
  wxudp run app.js --pcap run.pcap                 the traffic, for Wireshark
  wxudp run app.js --timeout 30 --report r.json    in CI: at most 30 s, a JSON summary")]
    Run(RunArgs),
    /// Run a simulated LAN with Wi-Fi from a TOML file: networks (bridges, access points)
    /// and hosts (mini programs, device simulators, any command), each host in a network
    /// namespace of its own. Needs root, or unprivileged user namespaces.
    ///
    /// Exit status: the main host's; 124 after --timeout; 130, 143, 129 after SIGINT,
    /// SIGTERM, SIGHUP; 1 when the LAN cannot be made; 2 for a bad file. Everything is
    /// torn down at the end (wxudp lan --cleanup removes what a SIGKILL left).
    #[command(after_help = "\
Examples:
  sudo wxudp lan examples/lan/softap/lan.toml                 provision a simulated device
  sudo wxudp lan lan.toml --pcap captures --timeout 60       capture each network
  sudo wxudp lan --cleanup                                   remove what a killed LAN left")]
    Lan(lan::LanArgs),
    /// Internal: how `wxudp lan` starts a host in its namespace.
    #[command(hide = true)]
    LanExec(lan::ExecArgs),
    /// Internal: how `wxudp lan` advertises a host's mDNS services.
    #[command(hide = true)]
    LanMdns(lan::MdnsArgs),
    /// Print every datagram received on PORT (nc -ul PORT).
    #[command(after_help = concat!(
        "Examples:\n",
        "  wxudp listen 9000                         every datagram on port 9000, one line each\n",
        "  wxudp listen -p 9000 -c 1 -w 5            the first datagram, waiting at most 5 s\n",
        "  wxudp listen 9000 --from 192.168.4.1      only what 192.168.4.1 sends\n",
        "  wxudp listen 9000 -f hex                  an xxd-style dump of each datagram\n",
        "  wxudp listen 9000 -f json | jq -r .text   one JSON object per datagram\n",
        "  wxudp listen 9000 -f raw > dump.bin       the bytes alone\n\n",
        "Exit status: 0 done, 1 runtime failure (port in use, stdout closed), 2 usage error,\n",
        "124 --timeout/--idle before --count datagrams, 130/143/129 after SIGINT/SIGTERM/SIGHUP."
    ))]
    Listen(serve::ServeArgs),
    /// Send a datagram to HOST:PORT and print the replies (nc -u HOST PORT).
    #[command(after_help = concat!(
        "Examples:\n",
        "  wxudp send 192.168.4.1:7000 'hello, how are you'         one datagram\n",
        "  wxudp send 192.168.4.1:7000 hi -r 1                      and wait (5 s at most) for a reply\n",
        "  wxudp send 192.168.4.1:7000 hi -r 2 --wait 300           status 124 unless 2 replies in 300 ms\n",
        "  wxudp send [::1]:7000 --hex 'de ad be ef'                bytes given in hex\n",
        "  wxudp send 192.168.4.1:7000 --base64 3q2+7w==            bytes given in base64\n",
        "  wxudp send 192.168.4.1:7000 @frame.bin                   a file's bytes\n",
        "  printf 'AT\\r\\n' | wxudp send 192.168.4.1:7000           stdin's bytes (MESSAGE - too)\n",
        "  wxudp send 192.168.4.1:7000                              interactive: each line typed is sent\n",
        "  cat cmds.txt | wxudp send 192.168.4.1:7000 --lines -w 1  each line of a file, replies for 1 s\n",
        "  wxudp send 192.168.4.1:7000 ping --from 192.168.4.2:5000 from this address and port\n",
        "  wxudp send -b 192.168.4.255:9000 DISCOVER -w 2           broadcast; replies for 2 s\n",
        "  wxudp send 127.0.0.1:9000 x -c 100000 --interval 1       a long send (a progress bar on a terminal)\n\n",
        "Replies are printed with --wait/--timeout/--replies and in interactive mode (from anyone, on\n",
        "stdout, in --format). Without --wait or --timeout, --replies waits 5 seconds.\n\n",
        "Exit status: 0 done, 1 runtime failure (no route, name not resolved, file unreadable),\n",
        "2 usage error, 124 fewer than --replies replies in time, 130/143/129 after SIGINT/SIGTERM/SIGHUP."
    ))]
    Send(send::SendArgs),
    /// Echo every datagram received on PORT back to its sender.
    #[command(after_help = concat!(
        "Examples:\n",
        "  wxudp echo 9000                  answer every datagram with itself\n",
        "  wxudp echo 9000 -c 10 -f hex     echo ten datagrams, printing each as an xxd-style dump\n",
        "  wxudp echo 0 -s 127.0.0.1        on a free port of 127.0.0.1 (printed on stderr)\n\n",
        "Exit status: 0 done, 1 runtime failure (port in use, stdout closed), 2 usage error,\n",
        "124 --timeout/--idle before --count datagrams, 130/143/129 after SIGINT/SIGTERM/SIGHUP."
    ))]
    Echo(serve::ServeArgs),
    /// Measure round trips over loopback: std sockets, the wxudp Rust API, a wxudp run
    /// script and Node.js' dgram (when node is installed), side by side.
    #[command(after_help = "\
Examples:
  wxudp bench                              everything, 3 runs each (minutes; a release build)
  wxudp bench --quick                      seconds: does it work here?
  wxudp bench --only recv,send --runs 5    a part, more runs
  wxudp bench --plot bench.svg             the table and a chart
  wxudp bench --json > bench.json          the numbers as JSON")]
    Bench(bench::BenchArgs),
    /// Print a shell completion script: wxudp completions bash > /etc/bash_completion.d/wxudp
    #[command(after_help = "\
Examples:
  wxudp completions bash > ~/.local/share/bash-completion/completions/wxudp
  wxudp completions zsh > \"${fpath[1]}/_wxudp\"
  wxudp completions fish > ~/.config/fish/completions/wxudp.fish")]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): wxudp man | man -l -
    #[command(after_help = "\
Examples:
  wxudp man | man -l -             read it
  wxudp man send | man -l -        the page of wxudp send
  wxudp man --dir /usr/local/share/man/man1    write every page (wxudp.1, wxudp-send.1, ...)")]
    Man {
        /// The page of this subcommand (wxudp-SUBCOMMAND(1)) instead of wxudp(1).
        #[arg(value_name = "SUBCOMMAND", conflicts_with = "dir")]
        page: Option<String>,
        /// Write every page into DIR instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}

/// Arguments of `wxudp run`.
#[derive(Debug, clap::Args)]
struct RunArgs {
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
    #[arg(long, value_name = "PLATFORM", default_value_t = wxudp_js::Platform::Android)]
    platform: wxudp_js::Platform,
    /// Print every datagram sent and received (time, socket, local and peer address,
    /// size, a hex/ASCII preview) and every error event on stderr.
    #[arg(long)]
    trace: bool,
    /// Write the run's datagrams to FILE as a pcap capture (Wireshark, tcpdump -r).
    #[arg(long, value_name = "FILE")]
    pcap: Option<std::path::PathBuf>,
    /// Write a JSON report to FILE at exit: the exit status and reason, each page's
    /// final data, per-socket counts (sent, received, dropped, errors by errCode).
    #[arg(long, value_name = "FILE.json")]
    report: Option<std::path::PathBuf>,
    /// End the run after this many seconds, even in the middle of a script or of its
    /// hide hooks (exit status 124). A number of seconds above 0 and at most 31536000 (365 days); fractions such
    /// as 0.5 are fine.
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout, allow_negative_numbers = true)]
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let code = match cli.command {
        Command::Run(args) => run_script(args),
        Command::Lan(args) => lan::lan(args),
        Command::LanExec(args) => lan::exec(args),
        Command::LanMdns(args) => lan::advertise(args),
        Command::Bench(args) => bench::bench(&args).map_or_else(|f| f.report(), |()| status::OK),
        Command::Listen(args) => in_runtime(serve::listen(args)),
        Command::Echo(args) => in_runtime(serve::echo(args)),
        Command::Send(args) => in_runtime(send::send(args)),
        Command::Completions { shell } => completions(shell),
        Command::Man { page, dir } => man(page.as_deref(), dir.as_deref()),
    };
    // Stderr gets a moment to take the last lines (it may be a pipe nobody reads).
    console::flush(Duration::from_secs(2));
    ExitCode::from(code)
}

/// Runs a network command on a tokio runtime of this thread and returns its exit status.
fn in_runtime(
    command: impl std::future::Future<Output = Result<status::Ending, status::Failure>>,
) -> u8 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return status::Failure::runtime(format!("cannot start the event loop: {e}")).report()
        }
    };
    let code = status::exit_status(runtime.block_on(command));
    // Threads blocked on stdin or stdout are not waited for.
    runtime.shutdown_background();
    code
}

/// `wxudp completions SHELL`.
fn completions(shell: clap_complete::Shell) -> u8 {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "wxudp", &mut script);
    write_stdout(&script)
}

/// `wxudp man [SUBCOMMAND | --dir DIR]`.
fn man(page: Option<&str>, dir: Option<&std::path::Path>) -> u8 {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    if let Some(dir) = dir {
        return match clap_mangen::generate_to(cmd, dir) {
            Ok(()) => status::OK,
            Err(e) => status::Failure::runtime(format!(
                "cannot write the manual pages into {}: {e}",
                dir.display()
            ))
            .report(),
        };
    }
    let cmd = match page {
        None => cmd,
        Some(name) => match cmd.find_subcommand(name).filter(|sub| !sub.is_hide_set()) {
            Some(sub) => sub.clone(),
            None => {
                let names: Vec<&str> = cmd
                    .get_subcommands()
                    .filter(|sub| !sub.is_hide_set())
                    .map(clap::Command::get_name)
                    .collect();
                return status::Failure::Usage(format!(
                    "no subcommand {name:?}; the pages are: {}",
                    names.join(", ")
                ))
                .report();
            }
        },
    };
    let mut page = Vec::new();
    match clap_mangen::Man::new(cmd).render(&mut page) {
        Ok(()) => write_stdout(&page),
        Err(e) => status::Failure::runtime(format!("cannot render the manual page: {e}")).report(),
    }
}

/// Writes `bytes` on stdout; a closed stdout is a failure (status 1), not a panic.
fn write_stdout(bytes: &[u8]) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => status::OK,
        Err(e) => status::Failure::runtime(format!("cannot write to stdout: {e}")).report(),
    }
}

fn run_script(args: RunArgs) -> u8 {
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

/// The longest `--timeout`, in seconds: 365 days. Longer is surely a mistake (and far
/// beyond it a deadline no longer fits the clock).
const MAX_TIMEOUT_SECS: f64 = 31_536_000.0;

/// Parses `--timeout SECONDS`: a number above 0 and at most [`MAX_TIMEOUT_SECS`].
/// Anything else (NaN, infinities, 0, negatives, more) is a usage error (exit status 2).
fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    const BOUNDS: &str = "a number of seconds above 0 and at most 31536000 (365 days)";
    match text.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= MAX_TIMEOUT_SECS => {
            // In range, the conversion cannot fail; a timeout below a nanosecond is one.
            Ok(std::time::Duration::from_secs_f64(secs).max(std::time::Duration::from_nanos(1)))
        }
        _ => Err(format!("must be {BOUNDS}")),
    }
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

/// The library's log lines (`tracing`) go to stderr as `RUST_LOG` asks
/// (`RUST_LOG=wxudp=debug`: sockets opened and closed, datagrams dropped by a budget,
/// sends queued, names resolved); without it, errors only.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::builder()
        .with_default_directive(tracing_subscriber::filter::LevelFilter::ERROR.into())
        .from_env_lossy();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_target(true)
        .try_init();
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

#[cfg(test)]
mod startup_order {
    /// The list build.rs hands the linker: one symbol per line, each once (lld rejects
    /// neither duplicates nor stray text, it silently skips them, so this is the check).
    #[test]
    fn one_symbol_per_line_each_once() {
        let list = include_str!("../link/startup-order.txt");
        let names: Vec<&str> = list.lines().collect();
        assert!(names.len() > 500, "{} names", names.len());
        assert!(names
            .iter()
            .all(|n| !n.is_empty() && !n.contains(char::is_whitespace)));
        let unique: std::collections::HashSet<&&str> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        // Start-up itself must be in it: QuickJS's context and the runtime's entry.
        assert!(names.contains(&"JS_NewContext"));
        assert!(names.iter().any(|n| n.contains("wxudp_js")));
    }
}
