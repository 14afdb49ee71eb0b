//! Sets `cfg(wxudp_linux)` (see below) and `cfg(wxudp_ci)` when the build runs under CI
//! (`CI` set and not `false`/`0`), so that tests which need root, iproute2 or npm
//! packages run (and fail loudly when those are missing) under CI, and are `#[ignore]`d
//! with their reason elsewhere.

fn main() {
    // `cfg(wxudp_linux)`: the Linux-only code paths (the socket registered with tokio's
    // reactor for reading only, the kernel's drop count), unless the `portable` feature
    // asks for the ones macOS and Windows use, so that those are built and tested here
    // too. Every use is listed in docs/PLATFORM.md.
    println!("cargo::rustc-check-cfg=cfg(wxudp_linux)");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux && std::env::var_os("CARGO_FEATURE_PORTABLE").is_none() {
        println!("cargo::rustc-cfg=wxudp_linux");
    }
    println!("cargo::rustc-check-cfg=cfg(wxudp_ci)");
    println!("cargo::rerun-if-env-changed=CI");
    let ci = std::env::var("CI").unwrap_or_default();
    if !ci.is_empty() && ci != "false" && ci != "0" {
        println!("cargo::rustc-cfg=wxudp_ci");
    }
}
