//! `wxudp`: send, listen for and echo UDP datagrams with the WeChat-compatible socket of
//! the `wxudp` library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench;
mod net;
mod output;

/// UDP sockets the way WeChat mini programs use them: poke devices, listen, echo.
#[derive(Debug, Parser)]
#[command(name = "wxudp", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

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
    Run(RunArgs),
    /// Print every datagram received on PORT (one line each).
    Listen(net::ListenArgs),
    /// Send MESSAGE to HOST:PORT (IPv6 as [::1]:PORT).
    Send(net::SendArgs),
    /// Echo every datagram received on PORT back to its sender.
    Echo(net::EchoArgs),
    /// Measure round trips over loopback: std sockets, the wxudp Rust API, a wxudp run
    /// script and Node.js' dgram (when node is installed), side by side.
    Bench(bench::BenchArgs),
}

/// Arguments of `wxudp run`.
#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The script to run (CommonJS: `require` and `module.exports` work).
    file: std::path::PathBuf,
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
}

/// Exit status of a run that was interrupted by Ctrl-C.
const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match cli.command {
        Command::Run(args) => return run_script(args),
        Command::Bench(args) => {
            return match bench::bench(&args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(msg) => fail(&msg),
            }
        }
        _ => {}
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the event loop: {e}")),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(_) | Command::Bench(_) => Ok(net::Outcome::Done),
            Command::Listen(args) => net::listen(args).await,
            Command::Send(args) => net::send(args).await,
            Command::Echo(args) => net::echo(args).await,
        }
    });
    match result {
        Ok(net::Outcome::Done) => ExitCode::SUCCESS,
        Ok(net::Outcome::Interrupted) => ExitCode::from(EXIT_INTERRUPTED),
        Err(msg) => fail(&msg),
    }
}

fn run_script(args: RunArgs) -> ExitCode {
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
    };
    let code = wxudp_js::run(&args.file, &options);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
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

fn fail(msg: &str) -> ExitCode {
    eprintln!("wxudp: error: {msg}");
    ExitCode::FAILURE
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
