//! Test support shared by the wxudp crates: network namespaces that a test creates and
//! removes itself (docs/CONTRACT.md §8), for what needs a LAN — broadcast, multicast,
//! addresses of its own.
//!
//! Namespaces need root and `ip` (iproute2). CI has both; a test that makes one is marked
//! `#[cfg_attr(not(wxudp_ci), ignore = "...")]` (each crate's `build.rs` sets `wxudp_ci`
//! under `CI`), so it runs under CI and is listed as ignored, with its reason, elsewhere. [`Netns::create`] fails loudly
//! when the machine cannot make a namespace: a test never passes without running.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::process::Command;

use nix::sched::{setns, CloneFlags};

/// A network namespace of this test process, with `lo` up; deleted, with its
/// interfaces, when dropped (also when the test fails).
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// A new namespace named after the process id and `tag`.
    ///
    /// # Panics
    /// When this machine cannot make one (not root, or no `ip`), and when `ip` fails.
    pub fn create(tag: &str) -> Netns {
        let root = nix::unistd::geteuid().is_root();
        let has_ip = Command::new("ip").arg("-V").output().is_ok();
        assert!(
            root && has_ip,
            "network namespace tests need root and iproute2 (root: {root}, ip found: {has_ip})"
        );
        let name = format!("wxudp-{}-{tag}", std::process::id());
        ip(&["netns", "add", &name]);
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// The namespace's name, as `ip netns` knows it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `ip -n NAME ARGS...`.
    ///
    /// # Panics
    /// When the command fails.
    pub fn ip(&self, args: &[&str]) {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        ip(&all);
    }

    /// Joins this namespace to `other` with a veth pair, both ends up: `ours` here with
    /// `our_addr`, `theirs` there with `their_addr` (addresses with a prefix length, such
    /// as `192.168.4.2/24`).
    ///
    /// # Panics
    /// When `ip` fails.
    pub fn link(&self, ours: &str, our_addr: &str, other: &Netns, theirs: &str, their_addr: &str) {
        self.ip(&[
            "link",
            "add",
            ours,
            "type",
            "veth",
            "peer",
            "name",
            theirs,
            "netns",
            &other.name,
        ]);
        self.ip(&["addr", "add", our_addr, "dev", ours]);
        other.ip(&["addr", "add", their_addr, "dev", theirs]);
        self.ip(&["link", "set", ours, "up"]);
        other.ip(&["link", "set", theirs, "up"]);
    }

    /// A command that runs `program` inside this namespace (`ip netns exec`).
    pub fn exec(&self, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.name, program]);
        cmd
    }

    /// Runs `f` with the calling thread inside this namespace, then moves it back:
    /// sockets created in `f` belong to the namespace.
    ///
    /// # Panics
    /// When the thread cannot enter the namespace or return.
    pub fn within<T>(&self, f: impl FnOnce() -> T) -> T {
        let home = File::open("/proc/thread-self/ns/net").unwrap();
        self.enter();
        let out = f();
        setns(&home, CloneFlags::CLONE_NEWNET).unwrap();
        out
    }

    /// Moves the calling thread into this namespace for good (for a thread of its own).
    ///
    /// # Panics
    /// When the thread cannot enter the namespace.
    pub fn enter(&self) {
        let ns = File::open(format!("/var/run/netns/{}", self.name)).unwrap();
        setns(&ns, CloneFlags::CLONE_NEWNET).unwrap();
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

fn ip(args: &[&str]) {
    let status = Command::new("ip").args(args).status().unwrap();
    assert!(status.success(), "ip {args:?} failed");
}
