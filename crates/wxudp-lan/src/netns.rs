//! The namespaces of a LAN, made and removed with `ip` (iproute2), always with `-n NAME`
//! so that no command ever runs on the host's own interfaces. Every name starts with
//! [`PREFIX`] and the controller's process id (`wxudp-lan-4242` for the LAN's bridges,
//! `wxudp-lan-4242-phone` for a host), so that leftovers of a controller killed with
//! SIGKILL can be found and removed by name ([`cleanup`]).

use std::io::Write;
use std::process::{Command, Stdio};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// What every namespace of `wxudp lan` is named with.
pub const PREFIX: &str = "wxudp-lan-";

/// The name of the LAN's own namespace (the bridges) for controller `pid`.
pub fn lan_name(pid: u32) -> String {
    format!("{PREFIX}{pid}")
}

/// The name of a host's namespace.
pub fn host_name(pid: u32, host: &str) -> String {
    format!("{PREFIX}{pid}-{host}")
}

/// The controller's process id in a namespace name of ours.
pub fn owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(PREFIX)?;
    let digits = rest.split('-').next()?;
    digits.parse().ok()
}

/// Runs `ip -n NS -batch -` with `commands`, one per line.
pub fn ip_batch(ns: &str, commands: &[String]) -> Result<(), String> {
    let mut child = Command::new("ip")
        .args(["-n", ns, "-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run ip (iproute2): {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let text = commands.join("\n") + "\n";
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot talk to ip: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("ip failed: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip -n {ns} failed ({}): {}",
            commands.join("; "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Runs `ip ARGS...`.
fn ip(args: &[&str]) -> Result<String, String> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run ip (iproute2): {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "ip {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The file of namespace `name` (what `ip netns` mounts).
pub fn netns_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new("/run/netns").join(name)
}

/// Makes the namespace `name` with `lo` up.
pub fn add(name: &str) -> Result<(), String> {
    ip(&["netns", "add", name])?;
    ip_batch(name, &["link set lo up".into()])
}

/// The processes inside namespace `name`.
pub fn pids(name: &str) -> Vec<i32> {
    ip(&["netns", "pids", name])
        .map(|text| {
            text.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Kills every process inside `name` (SIGKILL), then deletes it.
pub fn remove(name: &str) -> Result<(), String> {
    for pid in pids(name) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
    ip(&["netns", "del", name]).map(|_| ())
}

/// The namespaces whose names start with [`PREFIX`].
pub fn ours() -> Vec<String> {
    ip(&["netns", "list"])
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(PREFIX))
        .map(str::to_owned)
        .collect()
}

/// Whether the controller `pid` still runs: a process with that id whose name is wxudp.
pub fn controller_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.trim() == "wxudp")
}

/// `wxudp lan --cleanup`: removes the namespaces (and their processes, bridges and links)
/// of every LAN whose controller is gone (killed with SIGKILL, or a machine that
/// crashed), or of every LAN with `all`. Returns the names removed and the failures.
pub fn cleanup(all: bool) -> (Vec<String>, Vec<String>) {
    let mut removed = Vec::new();
    let mut failed = Vec::new();
    let mut names = ours();
    // Hosts first, the LAN's own namespace (the shortest name) last.
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    for name in names {
        let orphan = owner(&name).is_some_and(|pid| !controller_alive(pid));
        if !(all || orphan) {
            continue;
        }
        match remove(&name) {
            Ok(()) => removed.push(name),
            // Gone meanwhile: its controller was ending when the list was made.
            Err(_) if !netns_file(&name).exists() => {}
            Err(e) => failed.push(e),
        }
    }
    // The folders of the control sockets.
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let orphan = owner(&name).is_some_and(|pid| all || !controller_alive(pid));
            if orphan && entry.path().is_dir() {
                match std::fs::remove_dir_all(entry.path()) {
                    Ok(()) => removed.push(entry.path().display().to_string()),
                    Err(e) => failed.push(format!("cannot remove {}: {e}", entry.path().display())),
                }
            }
        }
    }
    (removed, failed)
}

/// The namespaces made so far, deleted (with everything inside) when dropped: on exit, on
/// a failure, on a panic.
#[derive(Debug, Default)]
pub struct Namespaces {
    names: Vec<String>,
}

impl Namespaces {
    /// Makes namespace `name`, remembered for deletion even if making it fails half-way.
    pub fn add(&mut self, name: &str) -> Result<(), String> {
        self.names.push(name.to_owned());
        add(name)
    }

    /// Deletes every namespace, the last made first; returns the failures.
    pub fn remove_all(&mut self) -> Vec<String> {
        let mut failed = Vec::new();
        while let Some(name) = self.names.pop() {
            if let Err(e) = remove(&name) {
                failed.push(e);
            }
        }
        failed
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for e in self.remove_all() {
            eprintln!("wxudp lan: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(lan_name(42), "wxudp-lan-42");
        assert_eq!(host_name(42, "phone"), "wxudp-lan-42-phone");
        assert_eq!(owner("wxudp-lan-42"), Some(42));
        assert_eq!(owner("wxudp-lan-42-phone"), Some(42));
        assert_eq!(
            owner("wxudp-42-ssdp"),
            None,
            "the testkit's namespaces are not ours"
        );
        assert_eq!(owner("wxudp-lan-x"), None);
    }
}
