//! `wxudp`: send, listen for and echo UDP datagrams with the WeChat-compatible socket of
//! the `wxudp` library.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

mod bench;
mod cli;
mod console;
mod hints;
mod input;
mod lan;
mod manual;
mod output;
mod printer;
mod progress;
mod run;
mod send;
mod serve;
mod signals;
mod status;
mod suggest;
mod target;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = parse();
    init_logging();
    let code = match cli.command {
        Command::Run(args) => run::run_script(args),
        Command::Lan(args) => lan::lan(args),
        Command::LanExec(args) => lan::exec(args),
        Command::LanMdns(args) => lan::advertise(args),
        Command::LanReplay(args) => lan::replay(args),
        Command::Bench(args) => bench::bench(&args).map_or_else(|f| f.report(), |()| status::OK),
        Command::Listen(args) => in_runtime(serve::listen(args)),
        Command::Echo(args) => in_runtime(serve::echo(args)),
        Command::Send(args) => in_runtime(send::send(args)),
        Command::Completions { shell } => manual::completions(shell),
        Command::Man { page, dir } => manual::man(page.as_deref(), dir.as_deref()),
    };
    // Stderr gets a moment to take the last lines (it may be a pipe nobody reads).
    console::flush(Duration::from_secs(2));
    ExitCode::from(code)
}

/// The command line, or the exit after clap's error, help or version. A netcat habit
/// clap would misread (a message starting with `-`, nc's argument order) gets an error
/// saying what to type instead, with exit status 2.
fn parse() -> Cli {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let misread = if e.kind() == clap::error::ErrorKind::DisplayVersion {
                None
            } else {
                suggest::misreading(&<Cli as clap::CommandFactory>::command(), &args)
            };
            match misread {
                Some(message) => {
                    console::error(message);
                    console::flush(Duration::from_secs(2));
                    std::process::exit(i32::from(status::USAGE));
                }
                None => e.exit(),
            }
        }
    }
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
