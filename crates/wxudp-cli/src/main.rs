//! `wxudp`: send, listen for and echo UDP datagrams with the WeChat-compatible socket of
//! the `wxudp` library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// Print every datagram received on PORT (one line each).
    Listen(net::ListenArgs),
    /// Send MESSAGE to HOST:PORT (IPv6 as [::1]:PORT).
    Send(net::SendArgs),
    /// Echo every datagram received on PORT back to its sender.
    Echo(net::EchoArgs),
}

/// Exit status of a run that was interrupted by Ctrl-C.
const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the event loop: {e}")),
    };
    let result = runtime.block_on(async {
        match cli.command {
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

fn fail(msg: &str) -> ExitCode {
    eprintln!("wxudp: error: {msg}");
    ExitCode::FAILURE
}
