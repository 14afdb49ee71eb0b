//! `require`'s resolution from inside a package with files, folders, a symlink that
//! stays inside, one that leads out, and a FIFO: whatever the request, the answer is a
//! regular file inside the package, or nothing.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// The package (and a secret next to it), made once per process.
fn package() -> &'static (PathBuf, PathBuf) {
    static DIRS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    DIRS.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("wxudp-fuzz-modules-{}", std::process::id()));
        let root = base.join("pkg");
        let outside = base.join("outside");
        for dir in [root.join("utils/lib"), root.join("pages/a"), outside.clone()] {
            std::fs::create_dir_all(dir).unwrap();
        }
        for (file, text) in [
            (root.join("app.json"), "{}"),
            (root.join("app.js"), ""),
            (root.join("utils/udp.js"), ""),
            (root.join("utils/lib/index.js"), ""),
            (root.join("pages/a/a.js"), ""),
            (root.join("conf.json"), "{}"),
            (outside.join("secret.js"), "secret"),
        ] {
            std::fs::write(file, text).unwrap();
        }
        let _ = std::os::unix::fs::symlink(root.join("utils"), root.join("pages/utils"));
        let _ = std::os::unix::fs::symlink(&outside, root.join("escape"));
        let _ = std::os::unix::fs::symlink(outside.join("secret.js"), root.join("secret.js"));
        let _ = nix::unistd::mkfifo(&root.join("fifo.js"), nix::sys::stat::Mode::S_IRWXU);
        (root.canonicalize().unwrap(), root.join("pages/a"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(request) = std::str::from_utf8(data) else {
        return;
    };
    let (root, dir) = package();
    for from in [root.as_path(), dir.as_path(), Path::new("/")] {
        if let Some(found) = wxudp_js::fuzzing::resolve_module(root, from, request) {
            assert!(found.starts_with(root), "{request:?} from {from:?} escaped to {found:?}");
            let meta = std::fs::symlink_metadata(&found).unwrap();
            assert!(meta.is_file(), "{found:?} is not a regular file");
        }
    }
});
