//! Opening a file a check found inside the package root, so that what is read is what
//! was checked: never through a final symlink, never waiting (a FIFO), and never out of
//! the package through a folder swapped for a symlink after the check.
//!
//! - Linux: the kernel resolves the path beneath the package root once more at the
//!   moment of the open (`openat2` with `RESOLVE_BENEATH`); where a sandbox filters
//!   `openat2`, the portable way below.
//! - Elsewhere (and on Linux with the `portable` feature): the file is opened, then its
//!   path is resolved again and must still lie inside the root and (on Unix) name the
//!   very file opened (same device and inode). A swap that is undone between the open
//!   and that check is the one race left; docs/PLATFORM.md says so.

use std::fs::File;
use std::io;
use std::path::Path;

/// Opens `path` for reading without following a final symlink and without blocking.
pub(crate) fn open_file(path: &Path) -> io::Result<File> {
    let mut options = File::options();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: a FIFO that a check let through (a race) must not wait for a
        // writer. O_NOFOLLOW: a final component that is a symlink is refused.
        options.custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOFOLLOW);
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        // FILE_FLAG_OPEN_REPARSE_POINT: a final symlink (reparse point) is opened
        // itself, not followed; the regular-file check that follows refuses it.
        options.custom_flags(0x0020_0000);
    }
    options.open(path)
}

/// Opens `real` (a canonical path inside the canonical `root`) so that it is still
/// beneath `root` when opened (see the module's documentation).
///
/// # Errors
/// Whatever the open says, or `NotFound` when the path no longer leads to the file the
/// check saw inside the root.
pub(crate) fn open_beneath(root: &Path, real: &Path) -> io::Result<File> {
    #[cfg(wxudp_linux)]
    if let Some(opened) = linux::open_beneath(root, real) {
        return opened;
    }
    portable_open_beneath(root, real)
}

/// The portable way: open, then check that the path still resolves inside `root` to the
/// file opened.
fn portable_open_beneath(root: &Path, real: &Path) -> io::Result<File> {
    let file = open_file(real)?;
    let gone = || io::Error::from(io::ErrorKind::NotFound);
    let again = real.canonicalize().map_err(|_| gone())?;
    if !again.starts_with(root) {
        return Err(gone());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let (opened, named) = (file.metadata()?, std::fs::metadata(&again)?);
        if (opened.dev(), opened.ino()) != (named.dev(), named.ino()) {
            return Err(gone());
        }
    }
    Ok(file)
}

#[cfg(wxudp_linux)]
mod linux {
    use std::fs::File;
    use std::io;
    use std::path::Path;

    use nix::errno::Errno;
    use nix::fcntl::{openat2, OFlag, OpenHow, ResolveFlag};
    use nix::sys::stat::Mode;

    /// `openat2` with `RESOLVE_BENEATH`: a folder of the path swapped for a symlink out
    /// of the package between the check and the open fails here (EXDEV) instead of
    /// reading what it points to. `None` where `openat2` cannot be used (Linux before
    /// 5.6, or a sandbox whose seccomp filter refuses it, as Docker's default profile
    /// does with EPERM).
    pub(super) fn open_beneath(root: &Path, real: &Path) -> Option<io::Result<File>> {
        let relative = match real.strip_prefix(root) {
            Ok(relative) => relative,
            Err(_) => return Some(Err(io::Error::from(io::ErrorKind::NotFound))),
        };
        let dir = match nix::fcntl::open(
            root,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        ) {
            Ok(dir) => dir,
            Err(e) => return Some(Err(e.into())),
        };
        if !openat2_works(&dir) {
            return None;
        }
        let how = OpenHow::new()
            .flags(OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK | OFlag::O_NOFOLLOW)
            .resolve(ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_MAGICLINKS);
        // EAGAIN: the kernel saw a rename race it could not rule out; it asks for a
        // retry (never the plain open: that is the race this guards against).
        for _ in 0..8 {
            match openat2(&dir, relative, how) {
                Err(Errno::EAGAIN) => continue,
                Ok(fd) => return Some(Ok(File::from(fd))),
                Err(e) => return Some(Err(e.into())),
            }
        }
        Some(Err(Errno::EAGAIN.into()))
    }

    /// Whether `openat2` can be used here, asked once per process: an `O_PATH` open of
    /// the folder itself needs no permission, so a failure means the call is missing or
    /// filtered; except running out of descriptors or memory, which says nothing about
    /// it (the open that follows fails the same way) and is not remembered.
    pub(super) fn openat2_works(dir: &impl std::os::fd::AsFd) -> bool {
        use std::sync::atomic::{AtomicU8, Ordering};
        const UNKNOWN: u8 = 0;
        const WORKS: u8 = 1;
        const MISSING: u8 = 2;
        static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);
        match STATE.load(Ordering::Relaxed) {
            WORKS => return true,
            MISSING => return false,
            _ => {}
        }
        let how = OpenHow::new()
            .flags(OFlag::O_PATH | OFlag::O_CLOEXEC)
            .resolve(ResolveFlag::RESOLVE_BENEATH);
        let state = match openat2(dir, ".", how) {
            Ok(_) => WORKS,
            Err(Errno::EMFILE | Errno::ENFILE | Errno::ENOMEM) => return true,
            Err(_) => MISSING,
        };
        STATE.store(state, Ordering::Relaxed);
        state == WORKS
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Read;

    use super::*;

    /// A folder swapped for a symlink out of the package after the check: both ways
    /// refuse the checked path (the kernel's with EXDEV where it has openat2).
    #[cfg(unix)]
    #[test]
    fn both_ways_refuse_a_folder_swapped_out_of_the_package() {
        let top = std::env::temp_dir().join(format!("wxudp-open-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&top);
        let (pkg, outside) = (top.join("pkg"), top.join("outside"));
        std::fs::create_dir_all(pkg.join("lib")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(pkg.join("lib/mod.js"), "inside").unwrap();
        std::fs::write(outside.join("mod.js"), "outside").unwrap();
        let root = pkg.canonicalize().unwrap();
        let real = root.join("lib/mod.js");
        let mut text = String::new();
        portable_open_beneath(&root, &real)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "inside");
        std::fs::rename(pkg.join("lib"), top.join("away")).unwrap();
        std::os::unix::fs::symlink(&outside, pkg.join("lib")).unwrap();
        assert!(open_file(&real).is_ok(), "a plain open reads outside");
        let portable = portable_open_beneath(&root, &real).unwrap_err();
        assert_eq!(portable.kind(), io::ErrorKind::NotFound);
        #[cfg(wxudp_linux)]
        {
            let dir = File::open(&root).unwrap();
            if linux::openat2_works(&dir) {
                let e = linux::open_beneath(&root, &real).unwrap().unwrap_err();
                assert_eq!(e.raw_os_error(), Some(nix::libc::EXDEV), "{e}");
            }
        }
        assert!(open_beneath(&root, &real).is_err());
        std::fs::remove_dir_all(&top).unwrap();
    }
}
