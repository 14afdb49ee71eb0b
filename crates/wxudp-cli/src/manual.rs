//! `wxudp completions` and `wxudp man`: what the command line says about itself, as a
//! shell completion script or manual pages.
//!
//! The pages are clap_mangen's sections, with the examples of each command's help as an
//! EXAMPLES section (one indented paragraph per example) and its exit statuses as EXIT
//! STATUS, instead of one paragraph flowed under EXTRA.

use std::io::Write;
use std::path::Path;

use clap::{Command, CommandFactory};
use roff::{bold, roman, Roff};

use crate::cli::Cli;
use crate::status;

/// `wxudp completions SHELL`: hidden subcommands and flags are left out.
pub fn completions(shell: clap_complete::Shell) -> u8 {
    let mut script = Vec::new();
    let mut cmd = visible(Cli::command()).version(env!("CARGO_PKG_VERSION"));
    clap_complete::generate(shell, &mut cmd, "wxudp", &mut script);
    write_stdout(&script)
}

/// `cmd` without its hidden subcommands and arguments (completion generators list them
/// all): what a completion script offers.
fn visible(cmd: Command) -> Command {
    let subcommands: Vec<Command> = cmd
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .cloned()
        .map(visible)
        .collect();
    let args: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|arg| !arg.is_hide_set())
        .cloned()
        .collect();
    let mut out = Command::new(cmd.get_name().to_owned())
        .args(args)
        .subcommands(subcommands);
    if let Some(about) = cmd.get_about() {
        out = out.about(about.clone());
    }
    out
}

/// `wxudp man [SUBCOMMAND | --dir DIR]`.
pub fn man(page: Option<&str>, dir: Option<&std::path::Path>) -> u8 {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    if let Some(dir) = dir {
        return match write_pages(&cmd, dir) {
            Ok(()) => status::OK,
            Err(e) => status::Failure::runtime(format!(
                "cannot write the manual pages into {}: {e}",
                dir.display()
            ))
            .report(),
        };
    }
    let cmd = match page {
        None => cmd,
        Some(name) => match cmd.find_subcommand(name).filter(|sub| !sub.is_hide_set()) {
            Some(sub) => sub.clone(),
            None => {
                let names: Vec<&str> = cmd
                    .get_subcommands()
                    .filter(|sub| !sub.is_hide_set())
                    .map(clap::Command::get_name)
                    .collect();
                return status::Failure::Usage(format!(
                    "no subcommand {name:?}; the pages are: {}",
                    names.join(", ")
                ))
                .report();
            }
        },
    };
    match render(&cmd) {
        Ok(page) => write_stdout(&page),
        Err(e) => status::Failure::runtime(format!("cannot render the manual page: {e}")).report(),
    }
}

/// Writes the page of `cmd` and of each of its visible subcommands into `dir`
/// (`wxudp.1`, `wxudp-send.1`, ...).
fn write_pages(cmd: &Command, dir: &Path) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        write_pages(sub, dir)?;
    }
    let name = clap_mangen::Man::new(cmd.clone()).get_filename();
    std::fs::write(dir.join(name), render(cmd)?)
}

/// The manual page of `cmd`: clap_mangen's sections, then EXAMPLES, EXIT STATUS and
/// NOTES from its help's after text.
fn render(cmd: &Command) -> std::io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    let mut section = |render: &dyn Fn(&mut Vec<u8>) -> std::io::Result<()>| {
        let mut out = Vec::new();
        render(&mut out)?;
        // Each render starts with the same two-line preamble (the apostrophe string);
        // once, in the title, is enough.
        page.extend_from_slice(strip_preamble(&out));
        Ok::<(), std::io::Error>(())
    };
    section(&|w| man.render_name_section(w))?;
    section(&|w| man.render_synopsis_section(w))?;
    section(&|w| man.render_description_section(w))?;
    if cmd
        .get_arguments()
        .any(|arg| !arg.is_hide_set() && arg.get_id() != "help" && arg.get_id() != "version")
    {
        section(&|w| man.render_options_section(w))?;
    }
    if cmd.get_subcommands().any(|sub| !sub.is_hide_set()) {
        section(&|w| man.render_subcommands_section(w))?;
    }
    if let Some(after) = cmd.get_after_long_help().or(cmd.get_after_help()) {
        let after = after_sections(&after.to_string());
        section(&|w| after.to_writer(w))?;
    }
    if cmd.get_version().is_some() {
        section(&|w| man.render_version_section(w))?;
    }
    Ok(page)
}

/// `out` without roff's apostrophe preamble.
fn strip_preamble(out: &[u8]) -> &[u8] {
    let mut rest = out;
    for prefix in [&b".ie \\n(.g .ds Aq \\(aq\n"[..], b".el .ds Aq '\n"] {
        if let Some(stripped) = rest.strip_prefix(prefix) {
            rest = stripped;
        }
    }
    rest
}

/// The after text of a command's help as manual sections: a block headed `Examples...:`
/// becomes EXAMPLES, each example (`  COMMAND   what it does`) an indented paragraph
/// with the command in bold; a block headed `Exit status...` becomes EXIT STATUS; the
/// other blocks are paragraphs of NOTES.
fn after_sections(text: &str) -> Roff {
    let mut roff = Roff::new();
    let mut notes: Vec<String> = Vec::new();
    for block in text
        .split("\n\n")
        .map(str::trim_end)
        .filter(|b| !b.trim().is_empty())
    {
        let mut lines = block.lines();
        let head = lines.next().unwrap_or_default();
        if head.starts_with("Examples") {
            roff.control("SH", ["EXAMPLES"]);
            if let Some(intro) = head.strip_prefix("Examples").and_then(|h| {
                let h = h.trim().trim_end_matches(':').trim();
                (!h.is_empty()).then_some(h)
            }) {
                roff.text([roman(
                    intro
                        .trim_start_matches('(')
                        .trim_end_matches(')')
                        .to_owned(),
                )]);
            }
            for line in lines {
                let (command, what) = split_example(line);
                roff.control("TP", []);
                roff.text([bold(command)]);
                if !what.is_empty() {
                    roff.text([roman(what)]);
                }
            }
        } else if head.starts_with("Exit status") {
            roff.control("SH", ["EXIT STATUS"]);
            let first = head.split_once(':').map_or("", |(_, r)| r.trim());
            let mut paragraph: Vec<&str> = Vec::new();
            if !first.is_empty() {
                paragraph.push(first);
            }
            for line in lines {
                // `  0    done`: a status and its meaning.
                match split_example(line) {
                    (code, what) if line.starts_with("  ") && !what.is_empty() => {
                        flush_paragraph(&mut roff, &mut paragraph);
                        roff.control("TP", []);
                        roff.text([bold(code)]);
                        roff.text([roman(what)]);
                    }
                    _ => paragraph.push(line.trim()),
                }
            }
            flush_paragraph(&mut roff, &mut paragraph);
        } else {
            notes.push(join_flowed(
                &block.lines().map(str::trim).collect::<Vec<_>>(),
            ));
        }
    }
    if !notes.is_empty() {
        roff.control("SH", ["NOTES"]);
        for note in notes {
            roff.control("PP", []);
            roff.text([roman(note)]);
        }
    }
    roff
}

/// Prints the lines gathered as one paragraph.
fn flush_paragraph(roff: &mut Roff, lines: &mut Vec<&str>) {
    if !lines.is_empty() {
        roff.control("PP", []);
        roff.text([roman(join_flowed(lines))]);
        lines.clear();
    }
}

/// Lines of one paragraph joined with spaces.
fn join_flowed(lines: &[&str]) -> String {
    lines.join(" ")
}

/// `  wxudp send h:p hi -r 1     and wait for a reply` → the command and what it does:
/// split at the first run of two spaces or more after the indentation.
fn split_example(line: &str) -> (String, String) {
    let line = line.trim();
    match line.find("  ") {
        Some(at) => (line[..at].to_owned(), line[at..].trim().to_owned()),
        None => (line.to_owned(), String::new()),
    }
}

/// Writes `bytes` on stdout; a reader that went away (`| head`) ends it quietly
/// (status 0), another failure is status 1, never a panic.
fn write_stdout(bytes: &[u8]) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => status::OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => status::OK,
        Err(e) => status::Failure::runtime(format!("cannot write to stdout: {e}")).report(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_become_a_section_of_their_own() {
        let roff = after_sections(
            "Examples (netcat users: nc -u HOST PORT):\n  wxudp send h:7000 hi     one datagram\n  \
             wxudp listen 9000\n\nReplies are printed\nfrom anyone.\n\nExit status (send):\n  \
             0    done\n  124  time ran out\nwxudp run has its own.",
        )
        .to_roff();
        assert_eq!(
            roff,
            ".SH EXAMPLES\nnetcat users: nc \\-u HOST PORT\n.TP\n\\fBwxudp send h:7000 hi\\fR\n\
             one datagram\n.TP\n\\fBwxudp listen 9000\\fR\n.SH \"EXIT STATUS\"\n.TP\n\\fB0\\fR\n\
             done\n.TP\n\\fB124\\fR\ntime ran out\n.PP\nwxudp run has its own.\n.SH NOTES\n.PP\n\
             Replies are printed from anyone.\n"
        );
        assert_eq!(
            split_example("  wxudp echo 0 -s 127.0.0.1        on a free port"),
            ("wxudp echo 0 -s 127.0.0.1".into(), "on a free port".into())
        );
    }
}
