//! The `--storage` file reader over hostile files: any text, deep nesting, huge
//! numbers, duplicate keys. It must return each key's JSON or an error, never panic or
//! overflow the stack; what it returns must be valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Also as a value nested very deep, the shape that overflowed a recursive reader.
    let deep = format!("{{\"k\":{}{}}}", "[".repeat(data.len() * 64), "]".repeat(data.len() * 64));
    for input in [text, deep.as_str()] {
        if let Ok(map) = wxudp_js::fuzzing::parse_storage(input) {
            for (key, json) in map {
                assert!(!json.is_empty(), "{key} has no value");
            }
        }
    }
});
