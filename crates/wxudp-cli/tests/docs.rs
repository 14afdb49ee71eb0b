//! The docs run: every `sh` and `console` block of README.md and docs/*.md is run with
//! the `wxudp` just built on PATH (docs/TESTING.md says how), and the data blocks a
//! command reads (a LAN file, an answers file, a report) are read back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Commands a test cannot run, each with why. The test fails when one is no longer in
/// the docs, so this list cannot go stale.
const NOT_RUN: &[(&str, &str)] = &[
    (
        "git clone",
        "needs the network; the checkout under test is the clone",
    ),
    (
        "cargo install --locked --path crates/wxudp-cli",
        "a release build of minutes; the tests run the same binary from target/",
    ),
    (
        "cargo test --workspace --locked",
        "the test command itself; CI runs it",
    ),
    (
        "cargo build --release -p wxudp-cli",
        "a release build of minutes; CI builds the debug binary the tests run",
    ),
    (
        "npm ci && npm run build",
        "the addon's release build; .ci/run builds it (debug) before the tests",
    ),
    (
        "bench --plot",
        "minutes of measurement; `bench --quick` runs here and in tests/bench.rs",
    ),
    (
        "bench --json",
        "minutes of measurement; `bench --quick` runs here and in tests/bench.rs",
    ),
    (
        "bench --only recv,send --runs 5",
        "minutes of measurement; `bench --quick` runs here and in tests/bench.rs",
    ),
    (
        "scripts/instructions.sh",
        "valgrind counts of a release build, half a minute; the numbers are in PERFORMANCE.md",
    ),
];

/// Blocks that need root and iproute2 (`wxudp lan`).
fn needs_root(script: &str) -> bool {
    script.contains("wxudp lan ")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The pages whose blocks run.
fn pages() -> Vec<PathBuf> {
    let root = root();
    let mut pages = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// One fenced code block.
#[derive(Debug)]
struct Block {
    page: String,
    line: usize,
    lang: String,
    body: String,
}

fn blocks(page: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(page).unwrap();
    let name = page
        .strip_prefix(root())
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let mut out = Vec::new();
    let mut open: Option<(usize, String, String)> = None;
    for (i, line) in text.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(lang)) => open = Some((i + 1, lang.trim().to_string(), String::new())),
            (Some(_), Some(_)) => {
                let (line, lang, body) = open.take().unwrap();
                out.push(Block {
                    page: name.clone(),
                    line,
                    lang,
                    body,
                });
            }
            (Some((_, _, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "{name}: a code block is not closed");
    out
}

/// A command of a block, and the output lines the docs show for it.
struct Step {
    command: String,
    shown: Vec<String>,
}

/// The steps of a block: a `sh` block's lines are commands; a `console` block's `$ `
/// lines are, each followed by what it prints.
fn steps(block: &Block) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for line in block.body.lines() {
        if block.lang == "sh" {
            if !line.trim().is_empty() {
                steps.push(Step {
                    command: line.to_string(),
                    shown: Vec::new(),
                });
            }
        } else if let Some(command) = line.strip_prefix("$ ") {
            steps.push(Step {
                command: command.to_string(),
                shown: Vec::new(),
            });
        } else if let Some(step) = steps.last_mut() {
            step.shown.push(line.to_string());
        }
    }
    steps
}

fn skipped(command: &str) -> Option<&'static str> {
    NOT_RUN
        .iter()
        .find(|(what, _)| command.contains(what))
        .map(|(_, why)| *why)
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A command as the test runs it: `cargo run ... --` and `target/release/wxudp` are the
/// binary under test, `sudo` is dropped (the test runs as root), port 9000 is free.
fn rewrite(command: &str, port: u16) -> String {
    let command = command
        .replace("cargo run --locked -p wxudp-cli --", "wxudp")
        .replace("target/release/wxudp", "wxudp");
    let command = command.strip_prefix("sudo ").unwrap_or(&command);
    command.replace(":9000", &format!(":{port}")).replace(
        // `wxudp echo 9000`, `listen 9000`
        " 9000",
        &format!(" {port}"),
    )
}

/// A scratch folder to run in: a home of its own, the repository's folders linked in.
struct Scratch {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let root = root();
        for name in [
            "examples",
            "crates",
            "docs",
            "typings",
            "Cargo.toml",
            "Cargo.lock",
        ] {
            std::os::unix::fs::symlink(root.join(name), dir.path().join(name)).unwrap();
        }
        let bin = dir.path().join(".bin");
        std::fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_wxudp"), bin.join("wxudp")).unwrap();
        std::fs::create_dir(dir.path().join(".home")).unwrap();
        Scratch { dir, bin }
    }

    /// Runs a script with bash, ending any job it left in the background.
    fn run(&self, script: &str) -> Output {
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let script = format!("set -e\n{script}\nkill $(jobs -p) 2>/dev/null || true\n");
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(self.dir.path())
            .env("PATH", path)
            .env("HOME", self.dir.path().join(".home"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Generous: a LAN example takes seconds, a slow CI machine more.
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("did not end within 180 s:\n{script}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output().unwrap()
    }
}

/// Whether `shown` is in `printed`, numbers aside (ports, times and sizes differ from run
/// to run) and `...` standing for anything.
fn shows(printed: &str, shown: &str) -> bool {
    let shape = |s: &str| -> String {
        let mut out = String::new();
        let mut digits = false;
        for c in s.chars() {
            if c.is_ascii_digit() {
                if !digits {
                    out.push('#');
                }
                digits = true;
            } else {
                digits = false;
                out.push(c);
            }
        }
        out
    };
    let shown = shape(shown.trim());
    if shown.is_empty() {
        return true;
    }
    let parts: Vec<&str> = shown
        .split("...")
        .filter(|p| !p.trim().is_empty())
        .collect();
    printed.lines().map(shape).any(|line| {
        let mut at = 0;
        parts.iter().all(|p| match line[at..].find(p.trim()) {
            Some(i) => {
                at += i + p.trim().len();
                true
            }
            None => false,
        })
    })
}

/// Runs the blocks `pick` chooses; returns how many commands ran.
fn run_blocks(pick: impl Fn(&str) -> bool) -> usize {
    let mut ran = 0;
    for page in pages() {
        for block in blocks(&page) {
            if block.lang != "sh" && block.lang != "console" {
                continue;
            }
            let steps = steps(&block);
            let port = free_port();
            let mut script = String::new();
            let mut shown = Vec::new();
            for step in &steps {
                if skipped(&step.command).is_some() {
                    continue;
                }
                script.push_str(&rewrite(&step.command, port));
                script.push('\n');
                shown.extend(step.shown.iter().cloned());
            }
            if script.trim().is_empty() || !pick(&script) {
                continue;
            }
            let scratch = Scratch::new();
            let out = scratch.run(&script);
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let place = format!("{}:{} ({})", block.page, block.line, block.lang);
            assert!(
                out.status.success(),
                "{place} failed with {}:\n{script}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
                out.status
            );
            let printed = format!("{stdout}{stderr}");
            for line in shown {
                assert!(
                    shows(&printed, &line),
                    "{place}: the docs show {line:?}, the run printed:\n{printed}"
                );
            }
            eprintln!("ran {place}: {} commands", script.lines().count());
            ran += script.lines().count();
        }
    }
    ran
}

#[test]
fn every_command_the_docs_skip_is_still_in_them() {
    let all: String = pages()
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    for (what, why) in NOT_RUN {
        assert!(
            all.contains(what),
            "{what:?} ({why}) is no longer in the docs: take it off NOT_RUN"
        );
    }
}

#[test]
fn the_shape_match_ignores_numbers_and_dots() {
    assert!(shows("udp.bind() = 41533\n", "udp.bind() = 1234"));
    assert!(shows(
        "remoteInfo: { address: '127.0.0.1', port: 5 }",
        "remoteInfo: { address: ..., port: 36811 }"
    ));
    assert!(!shows("onClose", "onMessage"));
}

#[test]
fn the_docs_commands_run() {
    let ran = run_blocks(|script| !needs_root(script));
    assert!(
        ran >= 10,
        "only {ran} commands ran: are the docs' blocks found?"
    );
}

#[test]
#[cfg_attr(
    not(wxudp_ci),
    ignore = "needs root and iproute2 (wxudp lan); runs under CI=true or with --include-ignored"
)]
fn the_docs_lan_commands_run() {
    let ran = run_blocks(needs_root);
    assert!(ran >= 1, "no `wxudp lan` command in the docs");
}

#[test]
fn the_docs_data_blocks_are_what_the_commands_read() {
    let scratch = Scratch::new();
    for page in pages() {
        for block in blocks(&page) {
            let place = format!("{}:{}", block.page, block.line);
            match block.lang.as_str() {
                "json" if block.body.contains("\"showModal\"") => {
                    // An answers file: `wxudp run --answers` takes it.
                    let file = scratch.dir.path().join("answers.json");
                    std::fs::write(&file, &block.body).unwrap();
                    let script = scratch.dir.path().join("empty.js");
                    std::fs::write(&script, "").unwrap();
                    let out = scratch.run("wxudp run --answers answers.json empty.js");
                    assert!(
                        out.status.success(),
                        "{place}: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                "json" => {
                    // A report: JSON whose elisions are strings.
                    let value: serde_json::Value = serde_json::from_str(&block.body)
                        .unwrap_or_else(|e| panic!("{place}: not JSON: {e}"));
                    assert!(value.is_object(), "{place}");
                }
                "toml" => {
                    let value: Result<toml::Table, _> = block.body.parse();
                    assert!(value.is_ok(), "{place}: not TOML: {value:?}");
                }
                _ => {}
            }
        }
    }
}
