//! `setData` with any paths and values: applied within WeChat's 1024 KB, or refused
//! with an error; never a path that reaches `Object.prototype`, never unbounded work
//! (a sparse index of a hundred million counts as the nulls it would add).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Paths are made from the input's lines: `path = value-json`.
    let mut object = serde_json::Map::new();
    for line in text.lines().take(16) {
        let (path, value) = line.split_once('=').unwrap_or((line, "1"));
        let value = serde_json::from_str(value.trim()).unwrap_or(serde_json::Value::from(value));
        object.insert(path.trim().to_string(), value);
    }
    let input = serde_json::Value::Object(object).to_string();
    match wxudp_js::fuzzing::set_data(&input) {
        Ok(outcome) => assert!(outcome.len() <= 4 << 20, "the page's data grew to {} bytes", outcome.len()),
        Err(e) => assert!(!e.contains("Object.prototype was reached"), "{e}"),
    }
});
