//! `wxudp run --storage FILE`: the file is replaced atomically, so a run killed with
//! SIGKILL in the middle of `setStorageSync` leaves a file the next run reads.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Only there so that a run that hangs fails the test instead of blocking it forever.
const HANG_GUARD: Duration = Duration::from_secs(60);

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn sigkill_during_set_storage_sync_leaves_a_readable_file() {
    let dir = Dir(std::env::temp_dir().join(format!("wxudp-storage-kill-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).unwrap();
    let storage = dir.0.join("storage.json");
    let writer = dir.0.join("writer.js");
    // Rewrites about 8 MiB of storage over and over, until killed.
    std::fs::write(
        &writer,
        r#"
wx.setStorageSync('first', 'kept');
const big = 'x'.repeat(900 * 1024);
wx.setStorageSync('k0', big);
console.log('ready');
for (let i = 1; ; i++) wx.setStorageSync('k' + (i % 9), big + i);
"#,
    )
    .unwrap();
    let mut child = common::piped()
        .arg("run")
        .arg(&writer)
        .arg("--storage")
        .arg(&storage)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");

    // While it writes, every read of the file finds a whole storage object.
    let deadline = Instant::now() + HANG_GUARD;
    let (mut reads, mut versions) = (0, std::collections::HashSet::new());
    while reads < 20 || versions.len() < 3 {
        assert!(Instant::now() < deadline, "the writer made no progress");
        let text = std::fs::read_to_string(&storage).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("a partial storage file ({} bytes): {e}", text.len()));
        assert_eq!(value["first"], "kept");
        let mut hash = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut hash);
        versions.insert(hash.finish());
        reads += 1;
    }
    child.kill().unwrap(); // SIGKILL, wherever the writer is
    child.wait().unwrap();

    let reader = dir.0.join("reader.js");
    std::fs::write(
        &reader,
        "console.log(wx.getStorageSync('first'), wx.getStorageSync('k0').length > 0);\n",
    )
    .unwrap();
    let out = common::piped()
        .arg("run")
        .arg(&reader)
        .arg("--storage")
        .arg(&storage)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "kept true\n");
}

/// A run that dies in the middle of writing the storage file, every time: `prlimit`
/// caps the size of files it writes, and the kernel kills it (SIGXFSZ) at the write that
/// crosses the cap. The file must still hold the last complete storage.
#[test]
fn a_run_killed_mid_write_leaves_the_previous_storage() {
    use std::os::unix::process::ExitStatusExt;

    let dir = Dir(std::env::temp_dir().join(format!("wxudp-storage-fsize-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).unwrap();
    let storage = dir.0.join("storage.json");
    let script = |name: &str, source: &str| {
        let path = dir.0.join(name);
        std::fs::write(&path, source).unwrap();
        path
    };
    let first = script(
        "first.js",
        "wx.setStorageSync('first', 'kept'); wx.setStorageSync('k0', 'x'.repeat(900 * 1024));\n",
    );
    let grow = script(
        "grow.js",
        "const big = 'y'.repeat(900 * 1024);\nfor (let i = 1; i < 9; i++) wx.setStorageSync('k' + i, big);\n",
    );
    let read = script(
        "read.js",
        "console.log(wx.getStorageSync('first'), wx.getStorageSync('k0').length);\n",
    );
    let run = |script: &PathBuf, fsize: Option<u64>| {
        let mut cmd = match fsize {
            Some(limit) => {
                let mut cmd = Command::new("prlimit");
                cmd.arg(format!("--fsize={limit}"))
                    .arg("--core=0")
                    .arg("--")
                    .arg(env!("CARGO_BIN_EXE_wxudp"));
                cmd
            }
            None => Command::new(env!("CARGO_BIN_EXE_wxudp")),
        };
        cmd.arg("run")
            .arg(script)
            .arg("--storage")
            .arg(&storage)
            .stdin(Stdio::null())
            .output()
            .expect("prlimit (util-linux) and wxudp run")
    };

    let out = run(&first, None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&grow, Some(2_000_000));
    assert_eq!(
        out.status.signal(),
        Some(nix::sys::signal::Signal::SIGXFSZ as i32),
        "the run was to die writing a file over the cap: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&read, None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("kept {}\n", 900 * 1024)
    );
    // The killed run's temporary file is gone too.
    let mut names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["first.js", "grow.js", "read.js", "storage.json"]);
}
