//! Node-API link settings for the addon: napi-rs' own (Linux needs none).

fn main() {
    napi_build::setup();
}
