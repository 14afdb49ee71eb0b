//! The module transform (TypeScript types stripped, ES modules to CommonJS), on deep and
//! odd sources: a syntax error or a module, never a crash (a native stack overflow was
//! one: the depth check and the transform's own thread are what this target holds).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let source = String::from_utf8_lossy(rest);
    // Some inputs as they are, some made deep: the first byte picks.
    let source = if mode & 0x80 != 0 {
        let n = usize::from(mode & 0x7f) * 200;
        format!("{}{}{}", source.repeat(n.min(4000) / source.len().max(1)), "(".repeat(n), ")".repeat(n))
    } else {
        source.into_owned()
    };
    let (path, interop) = match mode % 4 {
        0 => ("m.js", "babel"),
        1 => ("m.ts", "babel"),
        2 => ("m.ts", "tsc"),
        _ => ("m.ts", "tsc-interop"),
    };
    let _ = wxudp_js::fuzzing::compile_module(path, &source, interop);
});
