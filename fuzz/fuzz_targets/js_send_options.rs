//! `UDPSocket.send`'s options as a hostile script builds them: every message kind
//! (strings, ArrayBuffers, resizable ones, views, duck-typed views, Proxies), offsets
//! and lengths from the fuzzer (huge, negative, fractional, NaN), and getters that
//! resize, transfer or throw while the options are read. The conversion must copy
//! exactly the bytes the range names, or report an error event; never crash.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// A number the fuzzer chose, as JavaScript source.
fn number(b: &[u8]) -> String {
    match b.first().copied().unwrap_or(0) % 8 {
        0 => "undefined".into(),
        1 => "NaN".into(),
        2 => "-1".into(),
        3 => "1.8e19".into(),
        4 => "0.5".into(),
        5 => format!("'{}'", b.get(1).copied().unwrap_or(0)),
        _ => format!("{}", u16::from_le_bytes([b.get(1).copied().unwrap_or(0), b.get(2).copied().unwrap_or(0)])),
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (head, bytes) = data.split_at(8);
    let len = bytes.len().min(4096);
    let fill = format!(
        "const src = [{}];",
        bytes[..len].iter().map(u8::to_string).collect::<Vec<_>>().join(",")
    );
    let buffer = match head[0] % 4 {
        0 => format!("const buf = new ArrayBuffer({len});"),
        1 => format!("const buf = new ArrayBuffer({len}, {{ maxByteLength: {} }});", len * 4 + 64),
        2 => format!("const buf = new ArrayBuffer({len}); buf.transfer && (buf.transfer());"),
        _ => "const buf = null;".to_owned(),
    };
    let message = match head[1] % 7 {
        0 => "'text \\u00e9'".to_owned(),
        1 => "buf".to_owned(),
        2 => format!("new Uint8Array(buf, {}, {})", head[2] as usize % (len + 2), number(&head[3..6])),
        3 => format!("new DataView(buf, {})", head[2] as usize % (len + 2)),
        4 => format!("{{ buffer: buf, byteOffset: {}, byteLength: {} }}", number(&head[2..5]), number(&head[5..8])),
        5 => "new Proxy(new Uint8Array(buf), {})".to_owned(),
        _ => "new Uint16Array(buf.byteLength >= 2 ? buf : new ArrayBuffer(2))".to_owned(),
    };
    let mutate = match head[4] % 5 {
        0 => "",
        1 => "buf.resize && buf.resizable && buf.resize(buf.maxByteLength);",
        2 => "buf.resize && buf.resizable && buf.resize(0);",
        3 => "buf.transfer && buf.transfer();",
        _ => "throw new Error('getter');",
    };
    let source = format!(
        "{fill}{buffer}if (buf) new Uint8Array(buf).set(src.slice(0, buf.byteLength));\
         ({{ address: '127.0.0.1', port: 9, message: {message}, \
            get offset() {{ {mutate} return {offset}; }}, length: {length}, setBroadcast: {bc} }})",
        offset = number(&head[5..8]),
        length = number(&head[2..5]),
        bc = head[7] % 2 == 0,
    );
    if let Ok(Ok(sent)) = wxudp_js::fuzzing::send_options_from_script(&source) {
        assert!(sent.bytes.len() <= 65536, "more bytes than any message holds");
        assert_eq!(sent.port, 9);
    }
});
