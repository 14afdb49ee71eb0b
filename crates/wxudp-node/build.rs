//! Node-API link settings for the addon (napi-rs' own; nothing on Linux today).

fn main() {
    napi_build::setup();
}
