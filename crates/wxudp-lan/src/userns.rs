//! `wxudp lan` without root: the controller moves itself into a user namespace of its
//! own (where it is root), with a network namespace and a mount namespace of its own,
//! and a private `/run` where `ip netns` keeps its names. Nothing it makes is visible
//! outside, and everything goes when its last process ends.
//!
//! This needs a kernel that lets users make user namespaces (most do; some distributions
//! switch it off with `kernel.unprivileged_userns_clone=0`,
//! `user.max_user_namespaces=0`, or AppArmor's
//! `kernel.apparmor_restrict_unprivileged_userns=1`). When it does not, [`enter`] says so.

use nix::mount::{mount, MsFlags};
use nix::sched::{unshare, CloneFlags};
use nix::unistd::{getegid, geteuid};

/// Moves this process (which must still have one thread) into a user, network and
/// mount namespace of its own, as root there, with an empty `/run`.
pub fn enter() -> Result<(), String> {
    let (uid, gid) = (geteuid(), getegid());
    unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWNS)
        .map_err(|e| {
            format!(
                "this kernel does not let a user without root make the namespaces wxudp lan needs \
                 (unshare: {e}); run wxudp lan as root (sudo), or allow unprivileged user \
                 namespaces (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces, \
                 or on Ubuntu kernel.apparmor_restrict_unprivileged_userns=0)"
            )
        })?;
    let write = |file: &str, text: String| {
        std::fs::write(format!("/proc/self/{file}"), text).map_err(|e| {
            format!(
                "the kernel made a user namespace but refuses to map this user into it \
                 ({file}: {e}); run wxudp lan as root (sudo)"
            )
        })
    };
    write("setgroups", "deny".into())?;
    write("uid_map", format!("0 {uid} 1"))?;
    write("gid_map", format!("0 {gid} 1"))?;
    let refused = |what: &str, e: nix::Error| {
        format!(
            "in its user namespace wxudp lan cannot {what} ({e}): this kernel restricts \
             unprivileged user namespaces; run wxudp lan as root (sudo)"
        )
    };
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|e| refused("make its mounts private", e))?;
    mount(
        Some("tmpfs"),
        "/run",
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=0755"),
    )
    .map_err(|e| refused("mount a /run of its own", e))?;
    Ok(())
}
