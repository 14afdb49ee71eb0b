//! Sets `cfg(wxudp_ci)` when the build runs under CI (`CI` set and not `false`/`0`), so
//! that tests which need root, iproute2 or npm packages run (and fail loudly when those
//! are missing) under CI, and are `#[ignore]`d with their reason elsewhere.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(wxudp_ci)");
    println!("cargo::rerun-if-env-changed=CI");
    let ci = std::env::var("CI").unwrap_or_default();
    if !ci.is_empty() && ci != "false" && ci != "0" {
        println!("cargo::rustc-cfg=wxudp_ci");
    }
}
