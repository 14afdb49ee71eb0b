//! Where a FileSystemManager path points: the user data folder (`wxfile://usr/...`,
//! `wx.env.USER_DATA_PATH`, on disk the run's `--data` folder), or a file of the code
//! package (a path from the package root, `a/b/c` or `/a/b/c`: readable, never
//! writable). Anything else names nothing.
//!
//! A path is resolved by its segments, never by the OS: `..` that climbs out of its area
//! is refused (`permission denied`), and so is a symlink that leads out of it (checked
//! after resolving the deepest existing ancestor).

use std::path::{Path, PathBuf};

/// The user data folder's names: WeChat's on a phone, and the devtools'.
pub(crate) const USER_DATA_PREFIXES: [&str; 2] = ["wxfile://usr", "http://usr"];

/// A resolved path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Place {
    /// In the user data folder: the path on disk.
    User(PathBuf),
    /// A file of the code package (read only): the path on disk.
    Package(PathBuf),
}

impl Place {
    pub(crate) fn path(&self) -> &Path {
        match self {
            Place::User(p) | Place::Package(p) => p,
        }
    }

    pub(crate) fn writable(&self) -> bool {
        matches!(self, Place::User(_))
    }
}

/// Why a path names nothing usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathError {
    /// Outside its area (`..`, a symlink out, another `wxfile://` folder, a relative
    /// `./` path the package does not take).
    Denied,
}

/// Resolves `text` in the user folder `user` or the package `package` (both canonical).
pub(crate) fn resolve(text: &str, user: &Path, package: &Path) -> Result<Place, PathError> {
    for prefix in USER_DATA_PREFIXES {
        if let Some(rest) = text.strip_prefix(prefix) {
            if !(rest.is_empty() || rest.starts_with('/')) {
                return Err(PathError::Denied);
            }
            return beneath(user, rest).map(Place::User);
        }
    }
    if text.contains("://") || text.starts_with("./") || text.starts_with("../") {
        return Err(PathError::Denied);
    }
    beneath(package, text).map(Place::Package)
}

/// `rel` (segments separated by `/`) beneath `base`, by its segments; then the deepest
/// part that exists must still lie beneath `base` once its symlinks are resolved.
fn beneath(base: &Path, rel: &str) -> Result<PathBuf, PathError> {
    let mut parts: Vec<&str> = Vec::new();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or(PathError::Denied)?;
            }
            s if s.contains('\0') => return Err(PathError::Denied),
            s => parts.push(s),
        }
    }
    let path = parts.iter().fold(base.to_path_buf(), |p, s| p.join(s));
    let existing = path
        .ancestors()
        .find(|a| a.symlink_metadata().is_ok())
        .unwrap_or(base);
    // A final symlink is resolved too: its target must be inside.
    let real = existing.canonicalize().map_err(|_| PathError::Denied)?;
    if !real.starts_with(base) {
        return Err(PathError::Denied);
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn user_paths_package_paths_and_refusals() {
        let top = tempfile::tempdir().unwrap();
        let top = top.path().canonicalize().unwrap();
        let user = top.join("usr");
        let pkg = top.join("pkg");
        std::fs::create_dir_all(&user).unwrap();
        std::fs::create_dir_all(pkg.join("config")).unwrap();
        assert_eq!(
            resolve("wxfile://usr", &user, &pkg),
            Ok(Place::User(user.clone()))
        );
        assert_eq!(
            resolve("wxfile://usr/logs/a.txt", &user, &pkg),
            Ok(Place::User(user.join("logs/a.txt")))
        );
        assert_eq!(
            resolve("http://usr/a/../b", &user, &pkg),
            Ok(Place::User(user.join("b")))
        );
        assert_eq!(
            resolve("config/device.json", &user, &pkg),
            Ok(Place::Package(pkg.join("config/device.json")))
        );
        assert_eq!(
            resolve("/config/device.json", &user, &pkg),
            Ok(Place::Package(pkg.join("config/device.json")))
        );
        for bad in [
            "wxfile://usr/../x",
            "wxfile://usrx",
            "wxfile://tmp_123.png",
            "https://example.invalid/x",
            "./config/device.json",
            "../etc/passwd",
            "config/../../etc/passwd",
        ] {
            assert_eq!(resolve(bad, &user, &pkg), Err(PathError::Denied), "{bad}");
        }
        // A symlink out of the area is refused.
        std::os::unix::fs::symlink(&top, user.join("out")).unwrap();
        assert_eq!(
            resolve("wxfile://usr/out/pkg", &user, &pkg),
            Err(PathError::Denied)
        );
    }
}
