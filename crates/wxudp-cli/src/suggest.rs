//! Command lines clap cannot read, or reads as something else, that carry a netcat habit:
//! a message starting with `-` (`wxudp send h:p -hello` would show the help of `-h`),
//! nc's argument order (`wxudp 127.0.0.1 9000`, `wxudp -u 127.0.0.1 9000`,
//! `wxudp -ul 9000`). Each gets an error saying what to type instead (exit status 2).

use std::ffi::OsString;

use clap::Command;

/// What to say instead of clap's error (or help) for `args` (the whole command line,
/// the program's name first), if the command line is one of the habits above.
pub fn misreading(cmd: &Command, args: &[OsString]) -> Option<String> {
    let args: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    dashed_message(cmd, &args).or_else(|| netcat_order(cmd, &args))
}

/// `wxudp send h:p -hello`: a token after `send` (before any `--`) that starts with one
/// `-` and is no cluster of send's short flags.
fn dashed_message(cmd: &Command, args: &[String]) -> Option<String> {
    let send_at = args.iter().position(|a| !a.starts_with('-'))?;
    if args[send_at] != "send" {
        return None;
    }
    let send = cmd.find_subcommand("send")?;
    let rest = &args[send_at + 1..];
    let end = rest.iter().position(|a| a == "--").unwrap_or(rest.len());
    let mut skip_value = false;
    for (i, token) in rest[..end].iter().enumerate() {
        if skip_value {
            skip_value = false;
            continue;
        }
        let Some(cluster) = token.strip_prefix('-') else {
            continue;
        };
        if cluster.is_empty() || cluster.starts_with('-') {
            // `-` (stdin) or a long flag: clap has its own word for unknown long flags.
            if let Some(long) = cluster.strip_prefix('-') {
                skip_value = long_takes_value(send, long);
            }
            continue;
        }
        match short_cluster(send, cluster) {
            Some(takes_next) => skip_value = takes_next,
            None => {
                let mut fixed: Vec<&str> = std::iter::once("wxudp")
                    .chain(args[..=send_at].iter().map(String::as_str))
                    .chain(rest[..i].iter().map(String::as_str))
                    .chain(rest[i + 1..end].iter().map(String::as_str))
                    .collect();
                fixed.push("--");
                fixed.push(token);
                fixed.extend(rest[end..].iter().skip(1).map(String::as_str));
                return Some(format!(
                    "{token} is not a flag of wxudp send; to send a message starting with \
                     '-', put -- before it: {}",
                    fixed
                        .iter()
                        .map(|a| shell_word(a))
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
            }
        }
    }
    None
}

/// Whether `--long` (without `=VALUE`) takes the next token as its value.
fn long_takes_value(cmd: &Command, long: &str) -> bool {
    if long.contains('=') {
        return false;
    }
    cmd.get_arguments()
        .find(|a| {
            a.get_long() == Some(long)
                || a.get_all_aliases()
                    .is_some_and(|aliases| aliases.contains(&long))
        })
        .is_some_and(|a| a.get_action().takes_values())
}

/// Reads `-abc` as clap would: `Some(takes the next token)` when every letter is a short
/// flag (the first one that takes a value ends the cluster: `-c10`), `None` when a letter
/// is not.
fn short_cluster(cmd: &Command, cluster: &str) -> Option<bool> {
    let mut chars = cluster.chars().peekable();
    while let Some(c) = chars.next() {
        if c == 'h' {
            continue;
        }
        let arg = cmd.get_arguments().find(|a| {
            a.get_short() == Some(c)
                || a.get_all_short_aliases()
                    .is_some_and(|aliases| aliases.contains(&c))
        })?;
        if arg.get_action().takes_values() {
            let rest: String = chars.collect();
            // `-c10` or `-c=10` holds its value; `-c` takes the next token.
            return Some(rest.is_empty());
        }
    }
    Some(false)
}

/// nc's order: `[-flags] HOST PORT` (send) or `-l [-flags] [-p] PORT` (listen), where the
/// first word is no subcommand.
fn netcat_order(cmd: &Command, args: &[String]) -> Option<String> {
    let mut listen = false;
    let mut udp = false;
    let mut words: Vec<&str> = Vec::new();
    let mut port_flag: Option<&str> = None;
    let mut tokens = args.iter();
    while let Some(token) = tokens.next() {
        match token.strip_prefix('-') {
            Some(flags) if !flags.is_empty() && !flags.starts_with('-') => {
                // nc's own letters; `-p PORT`, `-w SECS`, `-s ADDR`, `-i SECS` take a value.
                for (i, c) in flags.char_indices() {
                    match c {
                        'l' => listen = true,
                        'u' => udp = true,
                        'p' | 'w' | 's' | 'i' => {
                            let rest = &flags[i + c.len_utf8()..];
                            let value = if rest.is_empty() {
                                tokens.next().map(String::as_str)
                            } else {
                                Some(rest)
                            };
                            if c == 'p' {
                                port_flag = value;
                            }
                            break;
                        }
                        'n' | 'v' | 'z' | 'k' | '4' | '6' | 'b' | 'C' => {}
                        _ => return None,
                    }
                }
            }
            Some(_) => return None,
            None => {
                if words.is_empty() && cmd.find_subcommand(token).is_some() {
                    return None;
                }
                words.push(token);
            }
        }
    }
    if listen {
        let port = port_flag.or(words.last().copied())?;
        port.parse::<u16>().ok()?;
        return Some(format!(
            "wxudp takes a subcommand; did you mean `wxudp listen {port}`? \
             (nc -ul PORT is wxudp listen PORT; see wxudp listen --help)"
        ));
    }
    match words[..] {
        [host, port] if port.parse::<u16>().is_ok_and(|p| p > 0) && looks_like_host(host) => {
            let host = if host.contains(':') && !host.starts_with('[') {
                format!("[{host}]")
            } else {
                host.to_owned()
            };
            Some(format!(
                "wxudp takes a subcommand; did you mean `wxudp send {host}:{port}`? \
                 (nc -u HOST PORT is wxudp send HOST:PORT; see wxudp send --help)"
            ))
        }
        [port] if udp && port.parse::<u16>().is_ok() => Some(format!(
            "wxudp takes a subcommand; did you mean `wxudp listen {port}`? \
             (nc -ul PORT is wxudp listen PORT; see wxudp listen --help)"
        )),
        _ => None,
    }
}

/// An IP literal or something shaped like a host name (letters, digits, dots, dashes).
fn looks_like_host(text: &str) -> bool {
    text.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok()
        || (!text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
            && text.chars().any(|c| c.is_ascii_alphabetic() || c == '.'))
}

/// `word` as a shell would need it: quoted when it holds anything but plain characters.
fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/@%+=,[]".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn say(line: &str) -> Option<String> {
        let args: Vec<OsString> = std::iter::once("wxudp")
            .chain(line.split(' '))
            .map(OsString::from)
            .collect();
        misreading(&crate::cli::Cli::command(), &args)
    }

    #[test]
    fn a_dashed_message_points_to_the_double_dash() {
        assert_eq!(
            say("send h:9 -hello").as_deref(),
            Some(
                "-hello is not a flag of wxudp send; to send a message starting with '-', \
                 put -- before it: wxudp send h:9 -- -hello"
            )
        );
        assert_eq!(
            say("send 127.0.0.1:9 -x1 -w 1").as_deref(),
            Some(
                "-x1 is not a flag of wxudp send; to send a message starting with '-', \
                 put -- before it: wxudp send 127.0.0.1:9 -w 1 -- -x1"
            )
        );
        // Real flags and their values, `-` and what follows `--` are no message.
        assert_eq!(say("send h:9 hi -c10 -w 1 -q"), None);
        assert_eq!(say("send h:9 -r 1 -f json -"), None);
        assert_eq!(say("send h:9 --wait -5"), None);
        assert_eq!(say("send h:9 -- -hello"), None);
        assert_eq!(say("send h:9 -h"), None);
        assert_eq!(say("listen -hello"), None);
    }

    #[test]
    fn netcat_order_names_the_subcommand() {
        let send = "wxudp takes a subcommand; did you mean `wxudp send 127.0.0.1:9000`? \
                    (nc -u HOST PORT is wxudp send HOST:PORT; see wxudp send --help)";
        assert_eq!(say("127.0.0.1 9000").as_deref(), Some(send));
        assert_eq!(say("-u 127.0.0.1 9000").as_deref(), Some(send));
        assert_eq!(say("-u -w1 127.0.0.1 9000").as_deref(), Some(send));
        assert!(say("-u ::1 9000")
            .unwrap()
            .contains("`wxudp send [::1]:9000`"));
        assert!(say("esp.local 7000")
            .unwrap()
            .contains("`wxudp send esp.local:7000`"));
        let listen = "wxudp takes a subcommand; did you mean `wxudp listen 9000`? \
                      (nc -ul PORT is wxudp listen PORT; see wxudp listen --help)";
        assert_eq!(say("-ul 9000").as_deref(), Some(listen));
        assert_eq!(say("-lu -p 9000").as_deref(), Some(listen));
        assert_eq!(say("-ulp 9000").as_deref(), Some(listen));
        assert_eq!(say("-u -l 9000").as_deref(), Some(listen));
        // Subcommands, and words that are no address and port, are left to clap.
        assert_eq!(say("send 127.0.0.1 9000"), None);
        assert_eq!(say("sendd 127.0.0.1:9000"), None);
        assert_eq!(say("127.0.0.1 99999"), None);
        assert_eq!(say("-x 127.0.0.1 9000"), None);
    }
}
