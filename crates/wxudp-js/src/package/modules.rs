//! Reading module files, confined to the package root (package/resolve.rs finds them,
//! package/loader.rs compiles them).
//!
//! Every candidate is checked after its symlinks are resolved (`canonicalize`): it must
//! lie inside the package root and be a regular file. Anything else — a file outside
//! (by `..`, an absolute path or a symlink), a FIFO, a device, a directory — fails with
//! the same "Cannot find module" error as a missing file, so a script learns neither the
//! content nor the existence of anything outside the package. Reading opens the file
//! without following a final symlink and without blocking, beneath the package root
//! once more (package/open.rs: a folder swapped for a symlink out of the package after
//! the check is refused), checks the opened file with `fstat` (a regular file, at most
//! [`MAX_MODULE_BYTES`]) and reads at most that much.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::open::{open_beneath, open_file};

/// The largest module file (`.js` or `.json`) `require` reads: 16 MiB. Larger files fail
/// with `cannot load PATH: the file is larger than 16 MiB`.
///
/// # Examples
/// ```
/// assert_eq!(wxudp_js::MAX_MODULE_BYTES, 16 << 20);
/// ```
pub const MAX_MODULE_BYTES: u64 = 16 * 1024 * 1024;

/// Why a module file could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// Missing, outside the package, or not a regular file: the same answer for all.
    NotFound,
    /// A regular file in the package, larger than [`MAX_MODULE_BYTES`].
    TooLarge,
    /// A regular file in the package that cannot be read (permissions, not UTF-8, ...).
    Unreadable(std::io::Error),
}

/// Files that mark the folder of a mini-program package: `app.json` (its root, where
/// `pages` live), else `project.config.json` (the developer tools' project folder).
const PACKAGE_MARKERS: [&str; 2] = ["app.json", "project.config.json"];

/// The package root for the script at `main` (an absolute path): the nearest folder at
/// or above the script's that holds `app.json`, else the nearest that holds
/// `project.config.json`, else the script's own folder. So a page run on its own
/// (`wxudp run pages/x/x.js`) still reaches the project's `utils/`.
pub(crate) fn package_root(main: &Path) -> PathBuf {
    let folder = main.parent().map(Path::to_path_buf).unwrap_or_default();
    PACKAGE_MARKERS
        .iter()
        .find_map(|marker| {
            folder
                .ancestors()
                .find(|dir| dir.join(marker).is_file())
                .map(Path::to_path_buf)
        })
        .unwrap_or(folder)
}

/// `path` with its symlinks resolved, if that is a regular file inside `root` (itself
/// canonical).
pub(crate) fn inside(root: &Path, path: &Path) -> Option<PathBuf> {
    let real = path.canonicalize().ok()?;
    if !real.starts_with(root) {
        return None;
    }
    // `metadata` follows nothing more: `real` has no symlinks left.
    real.metadata().ok()?.is_file().then_some(real)
}

/// Reads the module file at `path`, which must be a regular file inside `root` (no root:
/// the main script, which the user named and may live anywhere).
pub(crate) fn read_source(root: Option<&Path>, path: &Path) -> Result<String, ReadError> {
    let file = match root {
        Some(root) => {
            let root = root.canonicalize().map_err(|_| ReadError::NotFound)?;
            let real = inside(&root, path).ok_or(ReadError::NotFound)?;
            open_beneath(&root, &real).map_err(|_| ReadError::NotFound)?
        }
        None => open_file(path).map_err(|_| ReadError::NotFound)?,
    };
    let meta = file.metadata().map_err(|_| ReadError::NotFound)?;
    if !meta.is_file() {
        return Err(ReadError::NotFound);
    }
    if meta.len() > MAX_MODULE_BYTES {
        return Err(ReadError::TooLarge);
    }
    let mut bytes = Vec::new();
    // A file that grows (or a /proc file that reports size 0) still stops at the cap.
    file.take(MAX_MODULE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Unreadable)?;
    if bytes.len() as u64 > MAX_MODULE_BYTES {
        return Err(ReadError::TooLarge);
    }
    String::from_utf8(bytes)
        .map_err(|e| ReadError::Unreadable(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::package::resolve::{Mode, Resolver};
    use std::fs::File;
    use std::os::unix::fs::symlink;

    /// What `require(request)` finds from a file in `dir`, in the package at `root`.
    fn resolve(root: &Path, dir: &Path, request: &str) -> Option<PathBuf> {
        Resolver::new(root, root, Vec::new())
            .resolve(dir, request, Mode::Require)
            .ok()
            .map(|found| found.path)
    }

    /// A package folder and a folder outside it, in a temporary folder of their own.
    struct Tree {
        top: PathBuf,
        pkg: PathBuf,
        outside: PathBuf,
    }

    impl Tree {
        fn new(name: &str) -> Tree {
            let top =
                std::env::temp_dir().join(format!("wxudp-modules-{}-{name}", std::process::id()));
            std::fs::create_dir_all(&top).unwrap();
            let top = top.canonicalize().unwrap();
            let pkg = top.join("pkg");
            let outside = top.join("outside");
            std::fs::create_dir_all(pkg.join("utils/lib")).unwrap();
            std::fs::create_dir_all(&outside).unwrap();
            Tree { top, pkg, outside }
        }

        fn file(&self, rel: &str, text: &str) -> PathBuf {
            let p = self.top.join(rel);
            std::fs::write(&p, text).unwrap();
            p
        }
    }

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.top);
        }
    }

    #[test]
    fn resolution_order() {
        let t = Tree::new("order");
        let dir = &t.pkg;
        t.file("pkg/utils/udp.js", "");
        t.file("pkg/utils/lib/index.js", "");
        t.file("pkg/conf.json", "{}");
        let utils = dir.join("utils");
        let r = |from: &Path, req: &str| resolve(dir, from, req);
        assert_eq!(r(&utils, "./udp").unwrap(), dir.join("utils/udp.js"));
        assert_eq!(r(&utils, "./udp.js").unwrap(), dir.join("utils/udp.js"));
        assert_eq!(r(&utils, "../conf").unwrap(), dir.join("conf.json"));
        assert_eq!(r(&utils, "./lib").unwrap(), dir.join("utils/lib/index.js"));
        assert_eq!(r(dir, "utils/udp.js").unwrap(), dir.join("utils/udp.js"));
        assert_eq!(r(&utils, "utils/udp").unwrap(), dir.join("utils/udp.js"));
        assert_eq!(r(&utils, "./missing"), None);
        assert_eq!(r(&utils, ""), None);
    }

    #[test]
    fn dot_dot_cannot_leave_the_package() {
        let t = Tree::new("dotdot");
        t.file("outside/secret.js", "");
        t.file("pkg/app.js", "");
        assert_eq!(resolve(&t.pkg, &t.pkg, "../outside/secret.js"), None);
        assert_eq!(resolve(&t.pkg, &t.pkg, "../outside/secret"), None);
        assert_eq!(
            resolve(&t.pkg, &t.pkg.join("utils"), "../../outside/secret.js"),
            None
        );
        // Bare names with `..` too.
        assert_eq!(
            resolve(&t.pkg, &t.pkg, "utils/../../outside/secret.js"),
            None
        );
        // Climbing out and back in climbs above the root on the way: nothing, as in
        // the devtools' module engine ("can not find module").
        assert_eq!(
            resolve(&t.pkg, &t.pkg.join("utils"), "../../pkg/app.js"),
            None
        );
        assert!(matches!(
            read_source(Some(&t.pkg), &t.outside.join("secret.js")),
            Err(ReadError::NotFound)
        ));
        assert!(matches!(
            read_source(Some(&t.pkg), &t.pkg.join("../outside/secret.js")),
            Err(ReadError::NotFound)
        ));
    }

    #[test]
    fn absolute_paths_are_refused() {
        let t = Tree::new("absolute");
        let inside = t.file("pkg/app.js", "");
        for request in [
            "/etc/passwd",
            "/etc/shadow",
            "/proc/kmsg",
            "/proc/self/environ",
        ] {
            assert_eq!(resolve(&t.pkg, &t.pkg, request), None, "{request}");
        }
        // Even one that names a file inside the package.
        assert_eq!(resolve(&t.pkg, &t.pkg, inside.to_str().unwrap()), None);
        assert_eq!(resolve(&t.pkg, &t.pkg, "/utils/udp.js"), None);
        assert!(matches!(
            read_source(Some(&t.pkg), Path::new("/etc/passwd")),
            Err(ReadError::NotFound)
        ));
    }

    /// The race of a folder swapped for a symlink out of the package between the check
    /// and the open, in the state it leaves: the checked path now leads outside.
    #[test]
    fn a_folder_swapped_for_a_symlink_after_the_check_is_refused() {
        let t = Tree::new("swap");
        t.file("pkg/utils/lib/mod.js", "module.exports = 1;");
        t.file("outside/mod.js", "secret");
        let root = t.pkg.canonicalize().unwrap();
        let real = inside(&root, &t.pkg.join("utils/lib/mod.js")).unwrap();
        let mut text = String::new();
        open_beneath(&root, &real)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "module.exports = 1;");
        std::fs::rename(t.pkg.join("utils/lib"), t.top.join("lib-away")).unwrap();
        symlink(&t.outside, t.pkg.join("utils/lib")).unwrap();
        // A plain open of the checked path would read the file outside now.
        assert!(open_file(&real).is_ok());
        assert!(open_beneath(&root, &real).is_err());
        // And through the public path: the same answer as for a missing file.
        assert!(matches!(
            read_source(Some(&t.pkg), &real),
            Err(ReadError::NotFound)
        ));
    }

    #[test]
    fn symlinks_are_followed_then_checked() {
        let t = Tree::new("symlinks");
        t.file("outside/secret.js", "module.exports = 'secret';");
        t.file("pkg/utils/real.js", "module.exports = 'real';");
        symlink(t.outside.join("secret.js"), t.pkg.join("leak.js")).unwrap();
        symlink(&t.outside, t.pkg.join("outdir")).unwrap();
        symlink("/proc/self/status", t.pkg.join("status.js")).unwrap();
        symlink("/etc", t.pkg.join("etc")).unwrap();
        symlink(t.pkg.join("utils/real.js"), t.pkg.join("alias.js")).unwrap();
        symlink("utils", t.pkg.join("u")).unwrap();
        for request in [
            "./leak.js",
            "./leak",
            "./outdir/secret.js",
            "outdir/secret",
            "./status.js",
            "./etc/passwd",
        ] {
            assert_eq!(resolve(&t.pkg, &t.pkg, request), None, "{request}");
        }
        assert!(matches!(
            read_source(Some(&t.pkg), &t.pkg.join("leak.js")),
            Err(ReadError::NotFound)
        ));
        // A symlink that stays inside the package is fine; the module is known by its
        // real path.
        let real = t.pkg.join("utils/real.js");
        assert_eq!(resolve(&t.pkg, &t.pkg, "./alias.js"), Some(real.clone()));
        assert_eq!(resolve(&t.pkg, &t.pkg, "./u/real"), Some(real.clone()));
        assert_eq!(
            read_source(Some(&t.pkg), &t.pkg.join("alias.js")).unwrap(),
            "module.exports = 'real';"
        );
        // A package root reached through a symlink works the same.
        symlink(&t.pkg, t.top.join("pkglink")).unwrap();
        let linked = t.top.join("pkglink");
        assert_eq!(resolve(&linked, &linked, "./u/real.js"), Some(real));
        assert_eq!(resolve(&linked, &linked, "./leak.js"), None);
    }

    #[test]
    fn only_regular_files_are_modules() {
        let t = Tree::new("special");
        let fifo = t.pkg.join("pipe.js");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert_eq!(resolve(&t.pkg, &t.pkg, "./pipe.js"), None);
        assert_eq!(resolve(&t.pkg, &t.pkg, "./pipe"), None);
        // Read directly (as if it had been swapped in after resolution): no wait for a
        // writer, and the not-found answer.
        assert!(matches!(
            read_source(Some(&t.pkg), &fifo),
            Err(ReadError::NotFound)
        ));
        assert!(matches!(read_source(None, &fifo), Err(ReadError::NotFound)));
        // A device.
        symlink("/dev/zero", t.pkg.join("zero.js")).unwrap();
        assert_eq!(resolve(&t.pkg, &t.pkg, "./zero.js"), None);
        assert!(matches!(
            read_source(None, Path::new("/dev/zero")),
            Err(ReadError::NotFound)
        ));
        // A directory named like a module, without and with an index.js.
        std::fs::create_dir_all(t.pkg.join("x.js")).unwrap();
        assert_eq!(resolve(&t.pkg, &t.pkg, "./x.js"), None);
        assert!(matches!(
            read_source(Some(&t.pkg), &t.pkg.join("x.js")),
            Err(ReadError::NotFound)
        ));
        let index = t.file("pkg/x.js/index.js", "");
        assert_eq!(resolve(&t.pkg, &t.pkg, "./x.js"), Some(index));
    }

    #[test]
    fn the_package_root_is_the_project_folder() {
        let t = Tree::new("root");
        let page = t.pkg.join("pages/index/index.js");
        std::fs::create_dir_all(page.parent().unwrap()).unwrap();
        // No marker: the script's folder.
        assert_eq!(package_root(&page), page.parent().unwrap());
        t.file("project.config.json", "{}");
        assert_eq!(package_root(&page), t.top);
        // app.json (the mini program's root) wins over the project folder above it.
        t.file("pkg/app.json", "{}");
        assert_eq!(package_root(&page), t.pkg);
        assert_eq!(package_root(&t.pkg.join("app.js")), t.pkg);
        // A directory named app.json is no marker.
        std::fs::create_dir_all(t.pkg.join("pages/app.json")).unwrap();
        assert_eq!(package_root(&page), t.pkg);
    }

    #[test]
    fn proc_files_are_outside_the_package() {
        let t = Tree::new("proc");
        assert_eq!(resolve(&t.pkg, &t.pkg, "../../../../../../proc/kmsg"), None);
        assert_eq!(
            resolve(&t.pkg, &t.pkg, "../../../../../../proc/self/status"),
            None
        );
        assert!(matches!(
            read_source(Some(&t.pkg), Path::new("/proc/kmsg")),
            Err(ReadError::NotFound)
        ));
    }

    #[test]
    fn oversized_files_are_refused() {
        let t = Tree::new("big");
        let big = t.pkg.join("big.js");
        let f = File::create(&big).unwrap();
        f.set_len(MAX_MODULE_BYTES + 1).unwrap();
        // It is a module (resolution does not read), but it is not loaded.
        assert_eq!(resolve(&t.pkg, &t.pkg, "./big"), Some(big.clone()));
        assert!(matches!(
            read_source(Some(&t.pkg), &big),
            Err(ReadError::TooLarge)
        ));
        f.set_len(MAX_MODULE_BYTES).unwrap();
        assert_eq!(
            read_source(Some(&t.pkg), &big).unwrap().len() as u64,
            MAX_MODULE_BYTES
        );
        std::fs::write(&big, [0xff, 0xfe]).unwrap();
        assert!(matches!(
            read_source(Some(&t.pkg), &big),
            Err(ReadError::Unreadable(_))
        ));
    }
}
