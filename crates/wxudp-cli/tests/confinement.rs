//! `wxudp run`: `require` stays inside the package. Files outside it (by absolute path,
//! `..` or a symlink), FIFOs and /proc files fail at once with the missing-module error,
//! without `--timeout`: nothing blocks on a read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Only there so that a run that hangs fails the test instead of blocking it forever.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// A package folder and a folder beside it, removed when dropped.
struct Tree {
    top: PathBuf,
    pkg: PathBuf,
    outside: PathBuf,
}

impl Tree {
    fn new(name: &str) -> Tree {
        let top = std::env::temp_dir().join(format!("wxudp-confine-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&top);
        std::fs::create_dir_all(&top).unwrap();
        let top = top.canonicalize().unwrap();
        let pkg = top.join("pkg");
        let outside = top.join("outside");
        std::fs::create_dir_all(pkg.join("utils")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        Tree { top, pkg, outside }
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.top);
    }
}

fn run(script: &std::path::Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wxudp"))
        .arg("run")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + HANG_GUARD;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "wxudp run hung (a require blocked): {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

/// The stdout of a run that must have succeeded (status 0; its stderr shown if not).
fn succeeded(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn requires_outside_the_package_fail_fast_like_a_missing_module() {
    let t = Tree::new("require");
    // A FIFO outside the package, a symlink to it inside, and a FIFO inside: opening any
    // of them for reading would wait for a writer that never comes.
    let fifo = t.outside.join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    symlink(&fifo, t.pkg.join("fifo.js")).unwrap();
    nix::unistd::mkfifo(&t.pkg.join("own_fifo.js"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    // /proc/kmsg blocks a reader until the kernel logs something.
    symlink("/proc/kmsg", t.pkg.join("kmsg.js")).unwrap();
    std::fs::write(t.outside.join("secret.js"), "module.exports = 'secret';").unwrap();
    symlink(t.outside.join("secret.js"), t.pkg.join("utils/secret.js")).unwrap();
    std::fs::write(t.pkg.join("utils/ok.js"), "module.exports = 'ok';").unwrap();
    let requests = [
        "/proc/kmsg",
        "./kmsg.js",
        "./kmsg",
        "./fifo.js",
        "./fifo",
        "./own_fifo.js",
        "/etc/passwd",
        "../outside/fifo",
        "../outside/secret.js",
        "./utils/secret.js",
        "utils/secret",
        "./missing.js",
    ];
    let list = requests
        .iter()
        .map(|r| format!("'{r}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let script = t.pkg.join("app.js");
    std::fs::write(
        &script,
        format!(
            r#"
for (const request of [{list}]) {{
  for (const how of ['require', 'resolve']) {{
    try {{
      const got = how === 'require' ? require(request) : require.resolve(request);
      console.log(how + ' ' + request + ' LOADED ' + got);
    }} catch (e) {{
      console.log(how + ' ' + request + ' => ' + e.message);
    }}
  }}
}}
console.log('inside: ' + require('./utils/ok.js'));
"#
        ),
    )
    .unwrap();

    let stdout = succeeded(&run(&script));
    // Each answer is the one a missing file gets: the same text in a package with none
    // of the traps and nothing outside, naming only candidates inside the package.
    let control = Tree::new("require-control");
    std::fs::write(control.pkg.join("utils/ok.js"), "module.exports = 'ok';").unwrap();
    std::fs::copy(&script, control.pkg.join("app.js")).unwrap();
    assert_eq!(stdout, succeeded(&run(&control.pkg.join("app.js"))));
    let mut lines = stdout.lines();
    for request in requests {
        for how in ["require", "resolve"] {
            let line = lines.next().unwrap();
            let prefix =
                format!("{how} {request} => Cannot find module '{request}' from app.js (tried: ");
            assert!(line.starts_with(&prefix), "{line}");
            let tried = &line[prefix.len()..];
            assert!(
                !tried.contains("..") && !tried.contains("/tmp") && !tried.contains("outside/"),
                "{line}"
            );
        }
    }
    assert_eq!(lines.next(), Some("inside: ok"));
}

#[test]
fn a_symlinked_package_folder_still_confines() {
    let t = Tree::new("linked");
    std::fs::write(t.outside.join("secret.js"), "module.exports = 'secret';").unwrap();
    std::fs::write(t.pkg.join("utils/ok.js"), "module.exports = 'ok';").unwrap();
    let link = t.top.join("link");
    symlink(&t.pkg, &link).unwrap();
    std::fs::write(
        t.pkg.join("app.js"),
        r#"
console.log(require('./utils/ok'));
try { require('../outside/secret.js'); } catch (e) { console.log(e.message); }
"#,
    )
    .unwrap();
    // Through the linked folder, and through a link to the script itself: either way the
    // script runs where it really is (as Node runs a symlinked main script).
    let script_link = t.top.join("app-link.js");
    symlink(t.pkg.join("app.js"), &script_link).unwrap();
    for script in [link.join("app.js"), script_link] {
        assert_eq!(
            succeeded(&run(&script)),
            "ok\nCannot find module '../outside/secret.js' from app.js (tried: nothing inside the package)\n"
        );
    }
}

#[test]
fn a_page_run_on_its_own_reaches_its_project_and_no_further() {
    let t = Tree::new("project");
    std::fs::write(
        t.pkg.join("app.json"),
        "{\"pages\": [\"pages/index/index\"]}",
    )
    .unwrap();
    std::fs::write(t.pkg.join("utils/util.js"), "module.exports = 'util';").unwrap();
    std::fs::write(t.outside.join("secret.js"), "module.exports = 'secret';").unwrap();
    let page_dir = t.pkg.join("pages/index");
    std::fs::create_dir_all(&page_dir).unwrap();
    std::fs::write(
        page_dir.join("index.js"),
        r#"
console.log(require('../../utils/util.js'), require('utils/util'));
try { require('../../../outside/secret.js'); } catch (e) { console.log(e.message); }
"#,
    )
    .unwrap();
    assert_eq!(
        succeeded(&run(&page_dir.join("index.js"))),
        "util util\nCannot find module '../../../outside/secret.js' from pages/index/index.js (tried: nothing inside the package)\n"
    );
}

#[test]
fn the_prelude_s_own_loader_reached_through_a_call_site_stays_confined() {
    // A script can reach the prelude's internal functions (QuickJS's
    // `CallSite.getFunction`); the natives behind them trust none of their arguments.
    let tree = Tree::new("callsite");
    std::fs::write(
        tree.outside.join("secret.js"),
        "module.exports = 'SECRET';\n",
    )
    .unwrap();
    let secret = tree.outside.join("secret.js");
    let script = tree.pkg.join("app.js");
    std::fs::write(
        &script,
        format!(
            r#"
Error.prepareStackTrace = function (e, sites) {{ return sites; }};
const site = new Error().stack.find(function (s) {{ return s.getFunctionName() === 'load'; }});
Error.prepareStackTrace = undefined;
const load = site && site.getFunction();
for (const path of [{secret:?}, '/etc/hostname']) {{
  try {{ console.log('READ ' + JSON.stringify(load(path))); }}
  catch (e) {{ console.log(e.message); }}
}}
"#
        ),
    )
    .unwrap();
    let stdout = succeeded(&run(&script));
    assert!(!stdout.contains("READ"), "{stdout}");
    assert!(
        stdout.contains(&format!("Cannot find module '{}'", secret.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("Cannot find module '/etc/hostname'"),
        "{stdout}"
    );
}

/// `wxudp run script` in a child whose seccomp filter answers `openat2` with `errno`, as
/// a sandbox does (Docker's default profile: EPERM).
#[cfg(target_arch = "x86_64")]
fn run_without_openat2(script: &std::path::Path, errno: i32) -> Output {
    use nix::libc;
    use std::os::unix::process::CommandExt;
    const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
    let stmt = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let jeq = |k: u32, jt: u8, jf: u8| libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    };
    let load = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
    let ret = libc::BPF_RET | libc::BPF_K;
    let filter = [
        stmt(load, 4), // the architecture
        jeq(AUDIT_ARCH_X86_64, 1, 0),
        stmt(ret, libc::SECCOMP_RET_ALLOW),
        stmt(load, 0), // the system call's number
        jeq(libc::SYS_openat2 as u32, 0, 1),
        stmt(ret, libc::SECCOMP_RET_ERRNO | errno as u32),
        stmt(ret, libc::SECCOMP_RET_ALLOW),
    ];
    let mut command = Command::new(env!("CARGO_BIN_EXE_wxudp"));
    command.arg("run").arg("--timeout").arg("60").arg(script);
    // SAFETY: the hook runs in the forked child before exec and only makes two
    // `prctl` calls (async-signal-safe) with pointers to `filter`, which the closure
    // owns and which outlives them.
    #[allow(unsafe_code)]
    unsafe {
        command.pre_exec(move || {
            let prog = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr().cast_mut(),
            };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    &prog as *const libc::sock_fprog,
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.stdin(Stdio::null()).output().unwrap()
}

/// Modules are opened with `openat2` (RESOLVE_BENEATH); where a sandbox refuses that
/// call, they still load, by the plain open, and the package still confines them.
#[cfg(target_arch = "x86_64")]
#[test]
fn modules_load_where_a_sandbox_refuses_openat2() {
    let t = Tree::new("seccomp");
    std::fs::write(t.pkg.join("utils/m.js"), "module.exports = 'from m';").unwrap();
    std::fs::write(t.outside.join("secret.js"), "module.exports = 'secret';").unwrap();
    std::fs::write(
        t.pkg.join("app.js"),
        "console.log(require('./utils/m.js'));\n\
         try { require('../outside/secret.js'); } catch (e) { console.log(e.message); }\n",
    )
    .unwrap();
    for errno in [nix::libc::EPERM, nix::libc::EACCES, nix::libc::ENOSYS] {
        let out = run_without_openat2(&t.pkg.join("app.js"), errno);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "errno {errno}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("from m"), "errno {errno}");
        assert!(
            lines
                .next()
                .is_some_and(|l| l.starts_with("Cannot find module")),
            "errno {errno}: {text}"
        );
    }
}
