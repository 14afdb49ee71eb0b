//! `wx.*Storage*`: the key-value storage of one run, in memory or in a JSON file.
//!
//! Values are kept as JSON text, exactly as the prelude serialized them (which refuses
//! what JSON cannot hold instead of changing it). The limits are WeChat's: a value of at
//! most [`MAX_ITEM_BYTES`], and at most [`MAX_TOTAL_BYTES`] of keys and values in all;
//! a value nests at most [`MAX_DEPTH`] arrays/objects deep.
//!
//! The file is one JSON object, key to value. Every change rewrites it whole, atomically:
//! a temporary file in the same folder is written and flushed (`fsync`), renamed over the
//! file, and the folder flushed, so a run killed at any moment leaves either the old or
//! the new content, never a truncated file. The cost of a change is proportional to the
//! total stored (at most about 10 MiB), which mini programs' few small keys keep low.
//!
//! Reading a file (which may have been edited by hand, or by anyone) never builds a tree
//! of values and never recurses: it splits the object into keys and raw JSON text, and
//! measures each value's depth with a loop.

pub(crate) mod natives;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::value::RawValue;

/// The largest value one key holds: 1 MiB of JSON text (WeChat: "1MB"). Beyond:
/// [`ITEM_TOO_LONG`].
pub const MAX_ITEM_BYTES: usize = 1024 * 1024;
/// The most all keys and values may take together: 10 MiB (WeChat: "10MB"), counting
/// each key's UTF-8 bytes and its value's JSON text. Beyond: [`TOO_LARGE`].
pub const MAX_TOTAL_BYTES: usize = 10 * 1024 * 1024;
/// How deep arrays and objects may nest in one value (a bare number or string is depth
/// 0, `[]` depth 1). Deeper values are refused when set, and a file holding one is
/// refused when read.
pub const MAX_DEPTH: usize = 1000;
/// The largest storage file read: 64 MiB (room for 10 MiB of data written with the
/// most verbose escaping of keys). A larger file is refused, not truncated.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// WeChat's reason when one value is over [`MAX_ITEM_BYTES`].
pub const ITEM_TOO_LONG: &str = "exceed storage item max length";
/// WeChat's reason when the storage would be over [`MAX_TOTAL_BYTES`].
pub const TOO_LARGE: &str = "exceed storage max size";

/// Why a change was refused; [`SetError::reason`] is the text after `setStorage:fail `.
#[derive(Debug)]
pub(crate) enum SetError {
    ItemTooLong,
    TooLarge,
    /// Not JSON, or nested too deep (the prelude never sends such text).
    Invalid(String),
    /// The file could not be written; the storage is as it was before the call.
    Io(std::io::Error),
}

impl SetError {
    pub(crate) fn reason(&self) -> String {
        match self {
            SetError::ItemTooLong => ITEM_TOO_LONG.into(),
            SetError::TooLarge => TOO_LARGE.into(),
            SetError::Invalid(why) => why.clone(),
            SetError::Io(e) => format!("cannot save the storage file: {e}"),
        }
    }
}

/// `wx.*Storage*`: values kept as JSON text, in memory or in a JSON file.
pub(crate) struct Storage {
    values: BTreeMap<String, String>,
    /// Bytes of every key and value, as counted against [`MAX_TOTAL_BYTES`].
    total: usize,
    file: Option<PathBuf>,
}

impl Storage {
    /// The storage kept in `file` (empty if the file does not exist yet), or in memory.
    ///
    /// A file that exists but is not storage (not a JSON object, too large, too deep) is
    /// an error rather than a fresh start, which would overwrite it at the first set.
    pub(crate) fn open(file: Option<PathBuf>) -> Result<Self, String> {
        let Some(path) = file else {
            return Ok(Storage {
                values: BTreeMap::new(),
                total: 0,
                file: None,
            });
        };
        let shown = path.display().to_string();
        let (path, text) = match read_file(&path) {
            Ok(found) => found,
            Err(e) => return Err(format!("cannot read the storage file {shown}: {e}")),
        };
        let values = match text {
            Some(text) => parse_storage(&text).map_err(|e| match e {
                ParseError::NotAnObject(e) => {
                    format!("the storage file {shown} is not a JSON object: {e}")
                }
                ParseError::TooDeep(key) => format!(
                    "the storage file {shown} is not valid storage: the value of {key:?} \
                     nests deeper than {MAX_DEPTH} levels"
                ),
            })?,
            None => BTreeMap::new(),
        };
        let total = values.iter().map(|(k, v)| k.len() + v.len()).sum();
        remove_stale_temps(&path);
        Ok(Storage {
            values,
            total,
            file: Some(path),
        })
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Stores `json` (JSON text) under `key`.
    pub(crate) fn set(&mut self, key: String, json: String) -> Result<(), SetError> {
        check_value(&json).map_err(SetError::Invalid)?;
        if json.len() > MAX_ITEM_BYTES {
            return Err(SetError::ItemTooLong);
        }
        let old = self.values.get(&key).map_or(0, |v| key.len() + v.len());
        let total = self.total - old + key.len() + json.len();
        if total > MAX_TOTAL_BYTES {
            return Err(SetError::TooLarge);
        }
        let previous = self.values.insert(key.clone(), json);
        let before = std::mem::replace(&mut self.total, total);
        self.save().inspect_err(|_| {
            // Memory and file stay in agreement.
            match previous {
                Some(v) => self.values.insert(key, v),
                None => self.values.remove(&key),
            };
            self.total = before;
        })
    }

    pub(crate) fn remove(&mut self, key: &str) -> Result<(), SetError> {
        let Some(previous) = self.values.remove(key) else {
            return Ok(());
        };
        let size = key.len() + previous.len();
        self.total -= size;
        self.save().inspect_err(|_| {
            self.values.insert(key.to_owned(), previous);
            self.total += size;
        })
    }

    pub(crate) fn clear(&mut self) -> Result<(), SetError> {
        let previous = std::mem::take(&mut self.values);
        let total = std::mem::replace(&mut self.total, 0);
        self.save().inspect_err(|_| {
            self.values = previous;
            self.total = total;
        })
    }

    /// Writes the file anew, atomically (see the module documentation).
    fn save(&self) -> Result<(), SetError> {
        match &self.file {
            Some(path) => write_atomically(path, &render(&self.values)).map_err(SetError::Io),
            None => Ok(()),
        }
    }
}

/// Reads the storage file: its path with symlinks resolved (so that a rename replaces
/// the file, not a symlink to it) and its text, `None` when it does not exist yet.
fn read_file(path: &Path) -> std::io::Result<(PathBuf, Option<String>)> {
    let real = match path.canonicalize() {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Not there yet: its folder must be.
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.canonicalize()?,
                _ => std::env::current_dir()?,
            };
            let name = path
                .file_name()
                .ok_or_else(|| std::io::Error::other("not a file name"))?;
            return Ok((dir.join(name), None));
        }
        Err(e) => return Err(e),
    };
    let mut options = File::options();
    options.read(true);
    // O_NONBLOCK: a FIFO given as the storage file must not hang the run.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, nix::libc::O_NONBLOCK);
    let file = options.open(&real)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other("larger than 64 MiB"));
    }
    let text = String::from_utf8(bytes)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    Ok((real, Some(text)))
}

/// Removes the temporary files that runs killed while writing `path` left beside it
/// (`.NAME.PID-N.tmp` of a process that no longer exists).
fn remove_stale_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        let Some(pid) = file
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, n)| n.parse::<u64>().is_ok().then_some(pid))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The file's text: one JSON object, a key per line, values as stored.
fn render(values: &BTreeMap<String, String>) -> String {
    let size: usize = values.iter().map(|(k, v)| k.len() * 2 + v.len() + 8).sum();
    let mut text = String::with_capacity(size + 4);
    text.push('{');
    for (i, (key, value)) in values.iter().enumerate() {
        text.push_str(if i == 0 { "\n  " } else { ",\n  " });
        // Escaping a string cannot fail.
        text.push_str(&serde_json::to_string(key).unwrap_or_default());
        text.push_str(": ");
        text.push_str(value);
    }
    text.push_str(if values.is_empty() { "}\n" } else { "\n}\n" });
    text
}

/// A process-wide counter for temporary file names.
static TEMP: AtomicU64 = AtomicU64::new(0);

/// Replaces the file at `path` with `text` so that it is at any moment either the old or
/// the new content: write a temporary file beside it, flush it, rename it over the file,
/// flush the folder.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = dir.join(format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        TEMP.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut options = File::options();
        options.write(true).create_new(true);
        #[cfg(unix)]
        let mode = {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            // Keep the file's permissions; a new file is the user's alone.
            let mode = std::fs::metadata(path).map_or(0o600, |m| m.permissions().mode() & 0o7777);
            options.mode(mode);
            mode
        };
        let mut file = options.open(&temp)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        // The rename itself made durable (Unix: the folder's entry; Windows has no
        // handle on a folder to sync).
        #[cfg(unix)]
        File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Why a storage file's text is not storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not a JSON object (the parser's message).
    NotAnObject(String),
    /// The value of this key nests deeper than `MAX_DEPTH` (1000) levels.
    TooDeep(String),
}

/// Splits a storage file's text into keys and each value's JSON text; refuses anything
/// but a JSON object, and values nested deeper than `MAX_DEPTH` (1000). Never recurses: any
/// input, however deep, is safe.
pub fn parse_storage(text: &str) -> Result<BTreeMap<String, String>, ParseError> {
    // serde_json skips over a RawValue with a loop, not recursion.
    let raw: BTreeMap<String, Box<RawValue>> =
        serde_json::from_str(text).map_err(|e| ParseError::NotAnObject(e.to_string()))?;
    raw.into_iter()
        .map(|(key, value)| {
            if depth(value.get()) > MAX_DEPTH {
                Err(ParseError::TooDeep(key))
            } else {
                Ok((key, value.get().to_owned()))
            }
        })
        .collect()
}

/// Checks that `json` is one JSON value nested at most [`MAX_DEPTH`] deep.
fn check_value(json: &str) -> Result<(), String> {
    serde_json::from_str::<Box<RawValue>>(json).map_err(|e| format!("data is not JSON: {e}"))?;
    if depth(json) > MAX_DEPTH {
        return Err(format!("data nests deeper than {MAX_DEPTH} levels"));
    }
    Ok(())
}

/// How deep arrays and objects nest in valid JSON text, counted with a loop.
fn depth(json: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in json.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("wxudp-storage-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn nested(levels: usize) -> String {
        "[".repeat(levels) + &"]".repeat(levels)
    }

    #[test]
    fn depth_counts_brackets_outside_strings() {
        assert_eq!(depth("1"), 0);
        assert_eq!(depth("[]"), 1);
        assert_eq!(depth(r#"{"a":[{"b":"[[[\"]]]"}]}"#), 3);
        assert_eq!(depth(&nested(100_000)), 100_000);
    }

    #[test]
    fn parse_storage_takes_objects_only() {
        let map = parse_storage(r#"{"a": 1, "b": {"c": [1, "x"]}, "a": 2}"#).unwrap();
        assert_eq!(map["a"], "2");
        assert_eq!(map["b"], r#"{"c": [1, "x"]}"#);
        for bad in [
            "",
            "not json",
            "[]",
            "1",
            "null",
            "{\"a\":}",
            "{\"a\":1",
            "{\"a\":1}x",
        ] {
            assert!(
                matches!(parse_storage(bad), Err(ParseError::NotAnObject(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn hostile_depth_is_refused_without_recursion() {
        // Deep enough to overflow any recursive reader's stack.
        for levels in [MAX_DEPTH + 1, 100_000, 1_000_000] {
            let text = format!("{{\"deep\": {}}}", nested(levels));
            assert_eq!(
                parse_storage(&text),
                Err(ParseError::TooDeep("deep".into()))
            );
            // Unbalanced, as a truncated file would be.
            let text = format!("{{\"deep\": {}", "[".repeat(levels));
            assert!(matches!(
                parse_storage(&text),
                Err(ParseError::NotAnObject(_))
            ));
            assert!(parse_storage(&"[".repeat(levels)).is_err());
            assert!(parse_storage(&"{\"a\":".repeat(levels)).is_err());
        }
        let ok = format!("{{\"deep\": {}}}", nested(MAX_DEPTH));
        assert_eq!(parse_storage(&ok).unwrap()["deep"], nested(MAX_DEPTH));
    }

    #[test]
    fn limits_follow_wechat() {
        let mut s = Storage::open(None).unwrap();
        let item = format!("\"{}\"", "x".repeat(MAX_ITEM_BYTES - 2));
        s.set("k0".into(), item.clone()).unwrap();
        let over = format!("\"{}\"", "x".repeat(MAX_ITEM_BYTES - 1));
        assert!(matches!(
            s.set("k".into(), over),
            Err(SetError::ItemTooLong)
        ));
        assert_eq!(
            SetError::ItemTooLong.reason(),
            "exceed storage item max length"
        );
        for i in 1..9 {
            s.set(format!("k{i}"), item.clone()).unwrap();
        }
        // Nine full items and their keys: room for less than one more.
        assert!(matches!(
            s.set("k9".into(), item.clone()),
            Err(SetError::TooLarge)
        ));
        assert_eq!(SetError::TooLarge.reason(), "exceed storage max size");
        // Replacing a value counts only the difference.
        s.set("k8".into(), item.clone()).unwrap();
        s.remove("k8").unwrap();
        s.set("k9".into(), item).unwrap();
        assert!(matches!(
            s.set("deep".into(), nested(MAX_DEPTH + 1)),
            Err(SetError::Invalid(_))
        ));
        assert!(matches!(
            s.set("bad".into(), "{".into()),
            Err(SetError::Invalid(_))
        ));
        s.clear().unwrap();
        assert_eq!(s.total, 0);
    }

    #[test]
    fn the_file_round_trips_and_is_replaced_atomically() {
        let dir = temp("file");
        let path = dir.join("storage.json");
        let mut s = Storage::open(Some(path.clone())).unwrap();
        s.set(
            "key \"quoted\"\n".into(),
            r#"{"a":[1,2,{"b":null}]}"#.into(),
        )
        .unwrap();
        s.set("deep".into(), nested(MAX_DEPTH)).unwrap();
        s.set("n".into(), "3".into()).unwrap();
        let again = Storage::open(Some(path.clone())).unwrap();
        assert_eq!(again.values, s.values);
        assert_eq!(again.total, s.total);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("storage.json")]);
        // A reader sees the old or the new file while sets go on, never a partial one.
        let reader = {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut reads = 0;
                while reads < 200 {
                    let text = std::fs::read_to_string(&path).unwrap();
                    parse_storage(&text).expect("a complete file");
                    reads += 1;
                }
            })
        };
        let big = format!("\"{}\"", "y".repeat(512 * 1024));
        while !reader.is_finished() {
            s.set("big".into(), big.clone()).unwrap();
            s.remove("big").unwrap();
        }
        reader.join().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_write_changes_nothing() {
        let dir = temp("readonly");
        let path = dir.join("storage.json");
        let mut s = Storage::open(Some(path.clone())).unwrap();
        s.set("a".into(), "1".into()).unwrap();
        // The folder goes away: the write fails, memory keeps the old state.
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(
            s.set("b".into(), "2".into()),
            Err(SetError::Io(_))
        ));
        assert_eq!(s.get("b"), None);
        assert!(matches!(s.remove("a"), Err(SetError::Io(_))));
        assert_eq!(s.get("a"), Some("1"));
        assert!(matches!(s.clear(), Err(SetError::Io(_))));
        assert_eq!(s.get("a"), Some("1"));
        assert_eq!(s.total, 2);
    }

    #[test]
    fn files_that_are_not_storage_are_refused() {
        let dir = temp("refused");
        let path = dir.join("s.json");
        std::fs::write(&path, "{\"a\": ").unwrap();
        let e = Storage::open(Some(path.clone())).err().unwrap();
        assert!(e.contains("is not a JSON object"), "{e}");
        std::fs::write(&path, format!("{{\"d\": {}}}", nested(5000))).unwrap();
        let e = Storage::open(Some(path.clone())).err().unwrap();
        assert!(e.contains("nests deeper than 1000 levels"), "{e}");
        std::fs::write(&path, [b'{', 0xff, b'}']).unwrap();
        assert!(Storage::open(Some(path.clone())).is_err());
        let fifo = dir.join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let e = Storage::open(Some(fifo)).err().unwrap();
        assert!(e.contains("not a regular file"), "{e}");
        let big = dir.join("big.json");
        File::create(&big)
            .unwrap()
            .set_len(MAX_FILE_BYTES + 1)
            .unwrap();
        let e = Storage::open(Some(big)).err().unwrap();
        assert!(e.contains("larger than 64 MiB"), "{e}");
        // A symlink to the file: the file is updated, the symlink stays.
        let real = dir.join("real.json");
        std::fs::write(&real, "{}").unwrap();
        let link = dir.join("link.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let mut s = Storage::open(Some(link.clone())).unwrap();
        s.set("k".into(), "true".into()).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(std::fs::read_to_string(&real)
            .unwrap()
            .contains("\"k\": true"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
