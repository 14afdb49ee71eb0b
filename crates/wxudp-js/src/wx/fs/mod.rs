//! `wx.getFileSystemManager()`: the operations device pages use on the user data
//! folder (`wx.env.USER_DATA_PATH`) and the code package, with WeChat's errMsg texts
//! and errnos (fs.js builds the sync and callback forms over [`Files::run`]).
//!
//! The user data folder is the run's `--data DIR`, else a temporary folder removed at
//! exit. It holds at most [`MAX_USER_BYTES`] in all (WeChat's limit for a mini
//! program's files); a write beyond it fails with `the maximum size of the file storage
//! limit is exceeded`. Paths are confined to their area (paths.rs).

mod encoding;
mod paths;

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use encoding::Encoding;
use paths::{resolve, Place};

/// Bytes the user data folder may hold in all: 10 MiB.
pub(crate) const MAX_USER_BYTES: u64 = 10 << 20;

/// A file read at most: 100 MiB, as WeChat's readFile.
pub(crate) const MAX_READ_BYTES: u64 = 100 << 20;

/// A failed operation: the text after `api:fail ` and WeChat's errno.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FsError {
    pub(crate) reason: String,
    pub(crate) errno: i32,
}

fn fail(reason: impl Into<String>, errno: i32) -> FsError {
    FsError {
        reason: reason.into(),
        errno,
    }
}

const ENOENT: i32 = 1300002;
const EPERM: i32 = 1300001;
const EACCES: i32 = 1300013;
const ENOTDIR: i32 = 1300020;
const ENOTEMPTY: i32 = 1300066;
const ENOSPC: i32 = 1300202;
const EBASE64: i32 = 1300203;
const EISDIR: i32 = 1301003;
const EEXIST: i32 = 1301005;
const EINVAL: i32 = 1300022;

/// What an operation answers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Output {
    Nothing,
    Text(String),
    Bytes(Vec<u8>),
    Names(Vec<String>),
    Stats(Stats),
    /// `stat` with `recursive` of a folder: each path (from it) and its stats.
    Tree(Vec<(String, Stats)>),
}

/// A file's `Stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stats {
    pub(crate) size: u64,
    pub(crate) mode: u32,
    pub(crate) accessed: u64,
    pub(crate) modified: u64,
    pub(crate) directory: bool,
}

/// Data to write: text with its encoding, or bytes.
pub(crate) enum Data {
    Text(String, Option<String>),
    Bytes(Vec<u8>),
}

/// The file system of one run.
pub(crate) struct Files {
    user: PathBuf,
    package: PathBuf,
    _temporary: Option<tempfile::TempDir>,
}

impl Files {
    /// The user data folder `data` (made if missing), else a temporary one; the package
    /// at `package`.
    pub(crate) fn new(data: Option<&Path>, package: &Path) -> Result<Files, String> {
        let (user, temporary) = match data {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot make the data folder {}: {e}", dir.display()))?;
                (dir.to_path_buf(), None)
            }
            None => {
                let t = tempfile::Builder::new()
                    .prefix("wxudp-usr-")
                    .tempdir()
                    .map_err(|e| format!("cannot make a data folder: {e}"))?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let user = user
            .canonicalize()
            .map_err(|e| format!("cannot open the data folder {}: {e}", user.display()))?;
        Ok(Files {
            user,
            package: package
                .canonicalize()
                .unwrap_or_else(|_| package.to_path_buf()),
            _temporary: temporary,
        })
    }

    fn place(&self, text: &str, verb: &str) -> Result<Place, FsError> {
        resolve(text, &self.user, &self.package)
            .map_err(|_| fail(format!("permission denied, {verb} {text}"), EACCES))
    }

    fn writable(&self, text: &str, verb: &str) -> Result<PathBuf, FsError> {
        let place = self.place(text, verb)?;
        if !place.writable() {
            return Err(fail(format!("permission denied, {verb} {text}"), EACCES));
        }
        Ok(place.path().to_path_buf())
    }

    /// Bytes the user folder holds now.
    fn used(&self) -> u64 {
        fn walk(p: &Path) -> u64 {
            let Ok(entries) = std::fs::read_dir(p) else {
                return 0;
            };
            entries
                .flatten()
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => walk(&e.path()),
                    Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
                    _ => 0,
                })
                .sum()
        }
        walk(&self.user)
    }

    /// Whether the folder may grow by `more` bytes once `path`'s current size is gone.
    fn room(&self, path: &Path, more: u64, replaced: bool) -> Result<(), FsError> {
        let old = if replaced {
            std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
        } else {
            0
        };
        if self.used().saturating_sub(old) + more > MAX_USER_BYTES {
            return Err(fail(
                "the maximum size of the file storage limit is exceeded",
                ENOSPC,
            ));
        }
        Ok(())
    }

    pub(crate) fn access(&self, path: &str) -> Result<Output, FsError> {
        let place = self.place(path, "open")?;
        if place.path().exists() {
            Ok(Output::Nothing)
        } else {
            Err(fail(format!("no such file or directory {path}"), ENOENT))
        }
    }

    pub(crate) fn read_file(
        &self,
        path: &str,
        encoding: Option<&str>,
        position: Option<u64>,
        length: Option<u64>,
    ) -> Result<Output, FsError> {
        let encoding = encoding_of(encoding)?;
        let place = self.place(path, "open")?;
        let p = place.path();
        let meta = std::fs::metadata(p)
            .map_err(|_| fail(format!("no such file or directory, open {path}"), ENOENT))?;
        if meta.is_dir() {
            return Err(fail(
                format!("illegal operation on a directory, open {path}"),
                EISDIR,
            ));
        }
        if meta.len() > MAX_READ_BYTES {
            return Err(fail("native buffer exceed size limit", ENOSPC));
        }
        let bytes = std::fs::read(p)
            .map_err(|_| fail(format!("permission denied, open {path}"), EACCES))?;
        let start = position.unwrap_or(0);
        let bytes = if position.is_some() || length.is_some() {
            let end = length.map_or(bytes.len() as u64, |l| start.saturating_add(l));
            if start > bytes.len() as u64 || end > bytes.len() as u64 {
                return Err(fail(
                    "the value of \"position\" or \"length\" is out of range",
                    EINVAL,
                ));
            }
            bytes[start as usize..end as usize].to_vec()
        } else {
            bytes
        };
        Ok(match encoding {
            Some(e) => Output::Text(e.decode(&bytes)),
            None => Output::Bytes(bytes),
        })
    }

    /// `writeFile` (`append`: `appendFile`, which needs the file to exist).
    pub(crate) fn write_file(
        &self,
        path: &str,
        data: Data,
        append: bool,
    ) -> Result<Output, FsError> {
        let bytes = bytes_of(data)?;
        let p = self.writable(path, "open")?;
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => {
                return Err(fail(
                    format!("illegal operation on a directory, open \"{path}\""),
                    EISDIR,
                ))
            }
            Err(_) if append => {
                return Err(fail(
                    format!("no such file or directory, open {path}"),
                    ENOENT,
                ))
            }
            _ => {}
        }
        if !p.parent().is_some_and(Path::is_dir) {
            return Err(fail(
                format!("no such file or directory, open {path}"),
                ENOENT,
            ));
        }
        self.room(&p, bytes.len() as u64, !append)?;
        let result = if append {
            use std::io::Write;
            std::fs::OpenOptions::new()
                .append(true)
                .open(&p)
                .and_then(|mut f| f.write_all(&bytes))
        } else {
            std::fs::write(&p, &bytes)
        };
        result
            .map(|()| Output::Nothing)
            .map_err(|_| fail(format!("permission denied, open {path}"), EACCES))
    }

    pub(crate) fn mkdir(&self, path: &str, recursive: bool) -> Result<Output, FsError> {
        let p = self.writable(path, "open")?;
        if p.exists() {
            return if recursive && p.is_dir() {
                Ok(Output::Nothing)
            } else {
                Err(fail(format!("file already exists {path}"), EEXIST))
            };
        }
        let made = if recursive {
            std::fs::create_dir_all(&p)
        } else {
            std::fs::create_dir(&p)
        };
        made.map(|()| Output::Nothing)
            .map_err(|_| fail(format!("no such file or directory {path}"), ENOENT))
    }

    pub(crate) fn readdir(&self, path: &str) -> Result<Output, FsError> {
        let place = self.place(path, "open")?;
        let p = place.path();
        let meta = std::fs::metadata(p)
            .map_err(|_| fail(format!("no such file or directory {path}"), ENOENT))?;
        if !meta.is_dir() {
            return Err(fail(format!("not a directory {path}"), ENOTDIR));
        }
        let mut names: Vec<String> = std::fs::read_dir(p)
            .map_err(|_| fail(format!("permission denied, open {path}"), EACCES))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(Output::Names(names))
    }

    pub(crate) fn rmdir(&self, path: &str, recursive: bool) -> Result<Output, FsError> {
        let p = self.writable(path, "open")?;
        if p == self.user {
            return Err(fail(format!("permission denied, open {path}"), EACCES));
        }
        let meta = std::fs::metadata(&p)
            .map_err(|_| fail(format!("no such file or directory {path}"), ENOENT))?;
        if !meta.is_dir() {
            return Err(fail(format!("not a directory {path}"), ENOTDIR));
        }
        let removed = if recursive {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_dir(&p)
        };
        removed
            .map(|()| Output::Nothing)
            .map_err(|_| fail("directory not empty", ENOTEMPTY))
    }

    pub(crate) fn unlink(&self, path: &str) -> Result<Output, FsError> {
        let p = self.writable(path, "open")?;
        let meta = std::fs::symlink_metadata(&p)
            .map_err(|_| fail(format!("no such file or directory {path}"), ENOENT))?;
        if meta.is_dir() {
            return Err(fail(
                format!("operation not permitted, unlink {path}"),
                EPERM,
            ));
        }
        std::fs::remove_file(&p)
            .map(|()| Output::Nothing)
            .map_err(|_| fail(format!("permission denied, open {path}"), EACCES))
    }

    pub(crate) fn copy_file(&self, from: &str, to: &str) -> Result<Output, FsError> {
        let verb = format!("copyFile {from} -> {to}");
        let missing = || fail(format!("no such file or directory, {verb}"), ENOENT);
        let src = self.place(from, "copyFile")?;
        let dest = self
            .writable(to, "copyFile")
            .map_err(|_| fail(format!("permission denied, {verb}"), EACCES))?;
        let meta = std::fs::metadata(src.path()).map_err(|_| missing())?;
        if !meta.is_file() || !dest.parent().is_some_and(Path::is_dir) || dest.is_dir() {
            return Err(missing());
        }
        self.room(&dest, meta.len(), true)?;
        std::fs::copy(src.path(), &dest)
            .map(|_| Output::Nothing)
            .map_err(|_| missing())
    }

    pub(crate) fn rename(&self, from: &str, to: &str) -> Result<Output, FsError> {
        let verb = format!("rename {from} -> {to}");
        let denied = || fail(format!("permission denied, {verb}"), EACCES);
        let src = self.writable(from, "rename").map_err(|_| denied())?;
        let dest = self.writable(to, "rename").map_err(|_| denied())?;
        if src == self.user || !src.exists() || !dest.parent().is_some_and(Path::is_dir) {
            return Err(fail(format!("no such file or directory, {verb}"), ENOENT));
        }
        std::fs::rename(&src, &dest)
            .map(|()| Output::Nothing)
            .map_err(|_| denied())
    }

    pub(crate) fn stat(&self, path: &str, recursive: bool) -> Result<Output, FsError> {
        let place = self.place(path, "open")?;
        let p = place.path();
        let stats =
            stats_of(p).ok_or_else(|| fail(format!("no such file or directory {path}"), ENOENT))?;
        if !(recursive && stats.directory) {
            return Ok(Output::Stats(stats));
        }
        let mut tree = vec![("/".to_string(), stats)];
        fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Stats)>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            let mut entries: Vec<_> = entries.flatten().collect();
            entries.sort_by_key(std::fs::DirEntry::file_name);
            for e in entries {
                let path = e.path();
                if let Some(s) = stats_of(&path) {
                    let rel = path
                        .strip_prefix(base)
                        .map(|r| format!("/{}", r.to_string_lossy()))
                        .unwrap_or_default();
                    out.push((rel, s));
                    if s.directory {
                        walk(base, &path, out);
                    }
                }
            }
        }
        walk(p, p, &mut tree);
        Ok(Output::Tree(tree))
    }
}

fn stats_of(p: &Path) -> Option<Stats> {
    let m = std::fs::metadata(p).ok()?;
    #[cfg(unix)]
    let mode = std::os::unix::fs::MetadataExt::mode(&m);
    // What a Unix `stat` would say: the type bits and rw-r--r-- (r--r--r-- read-only),
    // rwxr-xr-x for a folder.
    #[cfg(not(unix))]
    let mode = match (m.is_dir(), m.permissions().readonly()) {
        (true, _) => 0o040_755,
        (false, false) => 0o100_644,
        (false, true) => 0o100_444,
    };
    let secs = |t: std::io::Result<std::time::SystemTime>| {
        t.ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs())
    };
    Some(Stats {
        size: m.len(),
        mode,
        accessed: secs(m.accessed()),
        modified: secs(m.modified()),
        directory: m.is_dir(),
    })
}

fn encoding_of(name: Option<&str>) -> Result<Option<Encoding>, FsError> {
    match name {
        None => Ok(None),
        Some(n) => Encoding::parse(n)
            .map(Some)
            .ok_or_else(|| fail(format!("invalid encoding {n}"), EINVAL)),
    }
}

fn bytes_of(data: Data) -> Result<Vec<u8>, FsError> {
    match data {
        Data::Bytes(b) => Ok(b),
        Data::Text(text, encoding) => {
            let e = encoding_of(encoding.as_deref())?.unwrap_or(Encoding::Utf8);
            e.encode(&text).ok_or_else(|| match e {
                Encoding::Base64 => fail("base64 encode error", EBASE64),
                _ => fail(
                    format!(
                        "invalid {} data",
                        if e == Encoding::Hex { "hex" } else { "encoded" }
                    ),
                    EINVAL,
                ),
            })
        }
    }
}

pub(crate) mod natives;

#[cfg(test)]
mod tests;
