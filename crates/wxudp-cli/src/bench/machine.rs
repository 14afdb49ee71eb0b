//! What the bench runs on and with: the machine, Node.js, and the Node addon's folder.

use std::path::{Path, PathBuf};

use super::{io, BenchArgs};

/// Node.js' version, if `node` runs.
pub(super) fn node_version() -> Option<String> {
    let out = std::process::Command::new("node")
        .arg("--version")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// What the numbers were measured on.
pub(super) fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_string())
        .unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    serde_json::json!({ "cpu": cpu, "cpus": cpus, "kernel": kernel })
}

/// The addon's package folder, built (`index.js` and a `.node` file in it), or why the
/// addon's rows stay empty.
pub(super) fn addon_dir(args: &BenchArgs) -> Result<PathBuf, String> {
    let given = args
        .addon
        .clone()
        .or_else(|| std::env::var_os("WXUDP_ADDON").map(PathBuf::from));
    let candidates: Vec<PathBuf> = match given {
        Some(dir) => vec![dir],
        None => {
            let mut c = Vec::new();
            // target/{debug,release}/wxudp -> the repository's crates/wxudp-node.
            if let Ok(exe) = std::env::current_exe() {
                if let Some(root) = exe.ancestors().nth(3) {
                    c.push(root.join("crates/wxudp-node"));
                }
            }
            if let Ok(cwd) = std::env::current_dir() {
                c.push(cwd.join("crates/wxudp-node"));
            }
            c
        }
    };
    let built = |dir: &Path| {
        dir.join("index.js").is_file()
            && std::fs::read_dir(dir).is_ok_and(|entries| {
                entries
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().ends_with(".node"))
            })
    };
    match candidates.iter().find(|d| built(d)) {
        Some(dir) => dir.canonicalize().map_err(io),
        None => Err(format!(
            "addon not built (npm ci && npm run build in crates/wxudp-node, or --addon DIR); looked in {}",
            candidates
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}
