//! `wxudp completions` and `wxudp man`: what the command line says about itself, as a
//! shell completion script or manual pages.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::status;

/// `wxudp completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> u8 {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "wxudp", &mut script);
    write_stdout(&script)
}

/// `wxudp man [SUBCOMMAND | --dir DIR]`.
pub fn man(page: Option<&str>, dir: Option<&std::path::Path>) -> u8 {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    if let Some(dir) = dir {
        return match clap_mangen::generate_to(cmd, dir) {
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
    let mut page = Vec::new();
    match clap_mangen::Man::new(cmd).render(&mut page) {
        Ok(()) => write_stdout(&page),
        Err(e) => status::Failure::runtime(format!("cannot render the manual page: {e}")).report(),
    }
}

/// Writes `bytes` on stdout; a closed stdout is a failure (status 1), not a panic.
fn write_stdout(bytes: &[u8]) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => status::OK,
        Err(e) => status::Failure::runtime(format!("cannot write to stdout: {e}")).report(),
    }
}
