//! Sets `cfg(wxudp_ci)` when the build runs under CI (`CI` set and not `false`/`0`), so
//! that tests which need root, iproute2 or npm packages run (and fail loudly when those
//! are missing) under CI, and are `#[ignore]`d with their reason elsewhere.
//!
//! In release builds, asks the linker to place the functions a `wxudp run` starts with
//! together (`link/startup-order.txt`, made by `link/regenerate.sh`), when the linker
//! takes `--symbol-ordering-file` (lld, Rust's default linker on x86_64 Linux, and mold
//! do; GNU ld does not, and then nothing changes). `WXUDP_SYMBOL_ORDERING=0` turns it
//! off: for a linker chosen where the probe cannot see it (`cargo rustc -- -C ...`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn main() {
    println!("cargo::rustc-check-cfg=cfg(wxudp_ci)");
    println!("cargo::rerun-if-env-changed=CI");
    let ci = std::env::var("CI").unwrap_or_default();
    if !ci.is_empty() && ci != "false" && ci != "0" {
        println!("cargo::rustc-cfg=wxudp_ci");
    }
    startup_order();
}

/// The kernel maps 64 KiB of a file around each page fault, so the memory a run of the
/// binary occupies grows with how scattered the code it executes is, not with how much
/// of it there is: with the functions of start-up placed together, start-up touches only
/// the blocks they fill (docs/PERFORMANCE.md, fourth step, has the numbers).
fn startup_order() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let list = manifest.join("link").join("startup-order.txt");
    println!("cargo::rerun-if-changed={}", list.display());
    println!("cargo::rerun-if-env-changed=WXUDP_SYMBOL_ORDERING");
    let off = std::env::var("WXUDP_SYMBOL_ORDERING").is_ok_and(|v| v == "0");
    if off || std::env::var("PROFILE").as_deref() != Ok("release") || !list.is_file() {
        return;
    }
    let args = [
        format!("-Wl,--symbol-ordering-file={}", list.display()),
        // The list names functions of one toolchain's build; others are skipped.
        "-Wl,--no-warn-symbol-ordering".to_string(),
    ];
    if links_with(&args) {
        for arg in &args {
            println!("cargo::rustc-link-arg-bin=wxudp={arg}");
        }
    }
}

/// Whether rustc, with this build's target, flags and linker, links an empty program
/// with the linker arguments `args`.
fn links_with(args: &[String]) -> bool {
    let (Some(rustc), Some(out)) = (std::env::var_os("RUSTC"), std::env::var_os("OUT_DIR")) else {
        return false;
    };
    let out = Path::new(&out);
    let source = out.join("probe.rs");
    if std::fs::write(&source, "fn main() {}\n").is_err() {
        return false;
    }
    let mut command = Command::new(rustc);
    command
        .arg("--crate-name=probe")
        .arg("--crate-type=bin")
        .arg("--edition=2021")
        .arg("-o")
        .arg(out.join("probe"))
        .arg(&source);
    if let Ok(target) = std::env::var("TARGET") {
        command.arg("--target").arg(target);
    }
    if let Ok(linker) = std::env::var("RUSTC_LINKER") {
        command.arg(format!("-Clinker={linker}"));
    }
    if let Ok(flags) = std::env::var("CARGO_ENCODED_RUSTFLAGS") {
        command.args(flags.split('\x1f').filter(|f| !f.is_empty()));
    }
    for arg in args {
        command.arg(format!("-Clink-arg={arg}"));
    }
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
