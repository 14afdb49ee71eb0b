//! `wxudp run`: whatever a script throws is reported readably (like Node's
//! `Uncaught { a: 1 }`), never as a raw pointer, and describing it cannot crash the run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};

#[test]
fn thrown_non_errors_are_described_readably() {
    let dir = std::env::temp_dir().join(format!("wxudp-uncaught-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("app.js");
    std::fs::write(
        &script,
        r#"
setTimeout(() => { throw { a: 1 }; }, 0);
setTimeout(() => { throw Object.create(null); }, 0);
setTimeout(() => { throw Symbol('s'); }, 0);
setTimeout(() => { throw { toString() { throw new Error('no'); }, get bad() { throw 1; } }; }, 0);
setTimeout(() => { throw new Proxy({}, { ownKeys() { throw 2; }, getPrototypeOf() { throw 3; } }); }, 0);
Promise.reject({ reason: 'x' });
"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wxudp"))
        .arg("run")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "Uncaught (in promise) { reason: 'x' }\n\
         Uncaught { a: 1 }\n\
         Uncaught [Object: null prototype] {}\n\
         Uncaught Symbol(s)\n\
         Uncaught { toString: [Function: toString], bad: <unreadable> }\n\
         Uncaught {}\n"
    );
}
