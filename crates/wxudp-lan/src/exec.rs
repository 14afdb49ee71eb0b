//! `wxudp lan-exec` (hidden): how the controller starts a host. It asks the kernel to
//! kill it when the controller dies (so a controller killed with SIGKILL leaves no host
//! running), enters the host's network namespace, and becomes the host's command.

use std::ffi::CString;
use std::fs::File;
use std::path::Path;

use nix::sched::{setns, CloneFlags};
use nix::sys::signal::Signal;

/// Runs `wxudp lan-exec`: only returns on failure (exit status 127, as a shell's for a
/// command it cannot run).
///
/// `netns` is the namespace to enter (a file such as /run/netns/NAME), `parent` the
/// controller's process id (if it is gone already, nothing starts), `command` the
/// program and its arguments.
pub fn exec(netns: &Path, parent: i32, command: &[String]) -> u8 {
    if let Err(e) = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL) {
        eprintln!("wxudp lan-exec: cannot ask to die with the controller: {e}");
        return 127;
    }
    // The controller may have died before the line above: then nobody would kill us.
    if nix::unistd::getppid().as_raw() != parent {
        return 127;
    }
    let entered = File::open(netns)
        .map_err(|e| e.to_string())
        .and_then(|ns| setns(&ns, CloneFlags::CLONE_NEWNET).map_err(|e| e.to_string()));
    if let Err(e) = entered {
        eprintln!("wxudp lan-exec: cannot enter {}: {e}", netns.display());
        return 127;
    }
    let argv: Result<Vec<CString>, _> =
        command.iter().map(|a| CString::new(a.as_bytes())).collect();
    let Ok(argv) = argv else {
        eprintln!("wxudp lan-exec: a NUL byte in the command");
        return 127;
    };
    let Some(program) = argv.first() else {
        return 127;
    };
    let e = nix::unistd::execvp(program, &argv).unwrap_err();
    eprintln!("wxudp lan-exec: cannot run {}: {e}", command[0]);
    127
}
