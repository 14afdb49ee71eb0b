//! `wxudp lan-exec` (hidden): how the controller starts a host. It asks the kernel to
//! kill it when the controller dies (so a controller killed with SIGKILL leaves no host
//! running), enters the host's network namespace, and becomes the host's command.

use std::ffi::CString;
use std::fs::File;
use std::path::PathBuf;

use nix::sched::{setns, CloneFlags};
use nix::sys::signal::Signal;

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

/// Runs `wxudp lan-exec`: only returns on failure (exit status 127, as a shell's for a
/// command it cannot run).
pub fn exec(args: ExecArgs) -> u8 {
    if let Err(e) = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL) {
        eprintln!("wxudp lan-exec: cannot ask to die with the controller: {e}");
        return 127;
    }
    // The controller may have died before the line above: then nobody would kill us.
    if nix::unistd::getppid().as_raw() != args.parent {
        return 127;
    }
    let entered = File::open(&args.netns)
        .map_err(|e| e.to_string())
        .and_then(|ns| setns(&ns, CloneFlags::CLONE_NEWNET).map_err(|e| e.to_string()));
    if let Err(e) = entered {
        eprintln!("wxudp lan-exec: cannot enter {}: {e}", args.netns.display());
        return 127;
    }
    let argv: Result<Vec<CString>, _> = args
        .command
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect();
    let Ok(argv) = argv else {
        eprintln!("wxudp lan-exec: a NUL byte in the command");
        return 127;
    };
    let Some(program) = argv.first() else {
        return 127;
    };
    let e = nix::unistd::execvp(program, &argv).unwrap_err();
    eprintln!("wxudp lan-exec: cannot run {}: {e}", args.command[0]);
    127
}
