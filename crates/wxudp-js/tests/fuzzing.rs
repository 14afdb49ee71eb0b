//! The fuzzing entry points reach the real code paths.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use wxudp_js::fuzzing::{
    parse_storage, resolve_module, send_options_from_script, ParseError, Sent,
};

#[test]
fn send_options_from_script_converts_like_send() {
    let sent = send_options_from_script(
        "({ address: '127.0.0.1', port: '9', message: new Uint8Array([1, 2, 3, 4]), offset: 1, length: 2, setBroadcast: 1 })",
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        sent,
        Sent {
            address: "127.0.0.1".into(),
            port: 9,
            bytes: vec![2, 3],
            set_broadcast: true,
        }
    );
    // The review's use after free: the bytes are taken after the getter ran.
    let sent = send_options_from_script(
        "const big = new ArrayBuffer(8 << 20, { maxByteLength: 256 << 20 });
         new Uint8Array(big)[0] = 7;
         ({ address: '127.0.0.1', port: 9, message: big, length: 3,
            get offset() { big.resize(256 << 20); return 0; } })",
    )
    .unwrap()
    .unwrap();
    assert_eq!(sent.bytes, vec![7, 0, 0]);
    let refused = send_options_from_script(
        "({ address: '127.0.0.1', port: 9, message: { buffer: new ArrayBuffer(4), byteOffset: 1.8e19, byteLength: 1.8e19 } })",
    )
    .unwrap()
    .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "send:fail the view lies outside its ArrayBuffer"
    );
    assert_eq!(refused.code(), -1);
    assert_eq!(
        send_options_from_script("({ port: 9, message: 'x' })")
            .unwrap()
            .unwrap_err()
            .to_string(),
        "send:fail parameter error: parameter.address should be String instead of Undefined;"
    );
    assert!(send_options_from_script("throw new Error('x')").is_err());
    assert!(
        send_options_from_script("for (;;) {}").is_err(),
        "an endless script is interrupted"
    );
}

#[test]
fn parse_storage_reads_any_text() {
    assert_eq!(parse_storage(r#"{"k": [1]}"#).unwrap()["k"], "[1]");
    let deep = format!("{{\"k\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(parse_storage(&deep), Err(ParseError::TooDeep("k".into())));
    assert!(parse_storage(&"{\"k\":[".repeat(100_000)).is_err());
}

#[test]
fn resolve_module_stays_in_the_package() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    assert!(resolve_module(&root, &root, "./lib/counter").is_some());
    assert_eq!(resolve_module(&root, &root, "/etc/passwd"), None);
    assert_eq!(
        resolve_module(&root, &root, "../../../../../../../etc/passwd"),
        None
    );
}

#[test]
fn compile_module_strips_types_rewrites_modules_and_refuses_deep_sources() {
    use wxudp_js::fuzzing::compile_module;
    let js = compile_module(
        "m.ts",
        "import x from './x';\nexport const y: number = x;\n",
        "babel",
    )
    .unwrap();
    assert!(
        js.contains("require(\"./x\")") && !js.contains(": number"),
        "{js}"
    );
    let tsc = compile_module(
        "m.ts",
        "import * as x from './x';\nexport const y = x;\n",
        "tsc",
    )
    .unwrap();
    assert!(!tsc.contains("interop.namespace"), "{tsc}");
    let deep = format!(
        "export const y = {}1{};",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    assert!(compile_module("m.js", &deep, "babel")
        .unwrap_err()
        .contains("nesting too deep"));
}

#[test]
fn set_data_applies_within_the_limit_and_refuses_beyond_it() {
    use wxudp_js::fuzzing::set_data;
    assert_eq!(
        set_data(r#"{"list[2]": "x", "a.c": {"d": 1}}"#).unwrap(),
        r#"{"list":[1,null,"x"],"a":{"b":1,"c":{"d":1}}}"#
    );
    assert!(set_data(r#"{"list[100000000]": 1}"#)
        .unwrap()
        .starts_with("threw: setData: the data is far over 1024 KB"));
    // A path through __proto__ is ignored; nothing reaches Object.prototype.
    assert_eq!(
        set_data(r#"{"__proto__.polluted": 1, "a.constructor.prototype.list": 2}"#).unwrap(),
        r#"{"list":[1],"a":{"b":1}}"#
    );
    assert!(set_data("not json").unwrap().starts_with("threw: "));
}
