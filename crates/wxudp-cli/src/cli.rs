//! The command line of `wxudp`: its subcommands, their help and examples.

use clap::{Parser, Subcommand};

use crate::run::RunArgs;
use crate::{bench, lan, send, serve};

/// UDP sockets the way WeChat mini programs use them: poke devices, listen, echo.
#[derive(Debug, Parser)]
#[command(
    name = "wxudp",
    version,
    about,
    long_about = None,
    after_help = TOP_HELP,
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Examples and exit statuses of `wxudp --help`.
const TOP_HELP: &str = concat!(
    "\
Examples (netcat users: nc -u HOST PORT is wxudp send HOST:PORT, nc -ul PORT is wxudp listen PORT):
  wxudp send 192.168.4.1:7000 'hello, how are you' -r 1     send, wait for a reply
  wxudp send 192.168.4.1:7000 hi                            send, show replies for 1 s
  echo -n ping | wxudp send 192.168.4.1:7000 -              send what stdin holds
  wxudp send 192.168.4.1:7000                               one datagram per line typed
  wxudp listen 9000                                         print what arrives; lines typed answer
  wxudp listen 9000 -f json | jq .text                      one JSON object per datagram
  wxudp echo 9000                                           send every datagram back
  wxudp send -b 192.168.4.255:9000 DISCOVER -w 2            broadcast, print replies for 2 s

",
    "Exit status (send, listen, echo):
  0    done
  1    a runtime failure (network, name resolution, a file or stdin; send --replies:
       the destination refused, ICMP port unreachable)
  2    a usage error (a bad flag, value, address or message)
  124  time ran out before --replies replies (send) or --count datagrams (listen, echo)
  130, 143, 129  ended by SIGINT (Ctrl-C), SIGTERM, SIGHUP
A closed stdout (| head -1) ends them quietly, with status 0.
wxudp run has its own (see wxudp run --help)."
);

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a mini-program script with a `wx` global (wx.createUDPSocket and friends).
    ///
    /// Exit status: 0 when the script ran and nothing went uncaught; 1 after an uncaught
    /// exception (top level, listener, timer or promise), a syntax error or an unreadable
    /// file; 2 for a usage error; 124 when --timeout ended the run; 130, 143, 129 after
    /// SIGINT (Ctrl-C), SIGTERM, SIGHUP: the script is cut short, the wx.onAppHide
    /// listeners, App.onHide and the pages' onHide/onUnload run, then the sockets close.
    /// A second signal ends the run at once (with the first one's status), and so does
    /// --timeout, whatever the script is doing.
    #[command(after_help = "\
Examples:
  wxudp run examples/hello.js                      a script
  wxudp run my-project                             a project folder (app.json, or game.json)
  wxudp run . --page 'pages/device/device?id=7'    another page, with its onLoad query
  wxudp run app.js --trace                         every datagram and event on stderr
  wxudp run app.js --pcap run.pcap                 the traffic, for Wireshark
  wxudp run app.js --timeout 30 --report r.json    in CI: at most 30 s, a JSON summary")]
    Run(RunArgs),
    /// Run a simulated LAN with Wi-Fi from a TOML file: networks (bridges, access points)
    /// and hosts (mini programs, device simulators, any command), each host in a network
    /// namespace of its own. Needs root, or unprivileged user namespaces.
    ///
    /// Exit status: the main host's; 124 after --timeout; 130, 143, 129 after SIGINT,
    /// SIGTERM, SIGHUP; 1 when the LAN cannot be made; 2 for a bad file. Everything is
    /// torn down at the end (wxudp lan --cleanup removes what a SIGKILL left).
    #[command(after_help = "\
Examples:
  sudo wxudp lan examples/lan/softap/lan.toml                 provision a simulated device
  sudo wxudp lan lan.toml --pcap captures --timeout 60       capture each network
  sudo wxudp lan --cleanup                                   remove what a killed LAN left")]
    Lan(lan::LanArgs),
    /// Internal: how `wxudp lan` starts a host in its namespace.
    #[command(hide = true)]
    LanExec(lan::ExecArgs),
    /// Internal: how `wxudp lan` advertises a host's mDNS services.
    #[command(hide = true)]
    LanMdns(lan::MdnsArgs),
    /// Internal: a LAN host that replays a capture of a device (`replay` in a LAN file).
    #[command(hide = true)]
    LanReplay(lan::ReplayArgs),
    /// Print every datagram received on PORT (nc -ul PORT); lines typed (or piped) into
    /// it go back to the last sender, one datagram each.
    #[command(after_help = concat!(
        "Examples:\n",
        "  wxudp listen 9000                         every datagram on port 9000, one line each\n",
        "  wxudp listen 9000 --reply-to 127.0.0.1:7000   lines typed go to 127.0.0.1:7000\n",
        "  wxudp listen -p 9000 -c 1 -w 5            the first datagram, waiting at most 5 s\n",
        "  wxudp listen 9000 --from 192.168.4.1      only what 192.168.4.1 sends\n",
        "  wxudp listen 9000 -f hex                  an xxd-style dump of each datagram\n",
        "  wxudp listen 9000 -f json | jq -r .text   one JSON object per datagram\n",
        "  wxudp listen 9000 -f raw > dump.bin       the bytes alone\n\n",
        "Each line of stdin (without its newline; -C adds \\r\\n) is sent as one datagram to whoever\n",
        "sent the last datagram, or to --reply-to. At the end of stdin (or with none) it listens on.\n\n",
        "Exit status: 0 done (or stdout closed: | head -1), 1 runtime failure (port in use),\n",
        "2 usage error, 124 --timeout/--idle before --count datagrams, 130/143/129 after\n",
        "SIGINT/SIGTERM/SIGHUP."
    ))]
    Listen(serve::ServeArgs),
    /// Send a datagram to HOST:PORT and print the replies (nc -u HOST PORT).
    #[command(after_help = concat!(
        "Examples:\n",
        "  wxudp send 192.168.4.1:7000 'hello, how are you'         one datagram, replies for 1 s\n",
        "  wxudp send 192.168.4.1:7000 hi -w 0                      one datagram, exit at once\n",
        "  wxudp send 192.168.4.1:7000 -- -hello                    a message starting with '-'\n",
        "  wxudp send 192.168.4.1:7000 hi -r 1                      and wait (5 s at most) for a reply\n",
        "  wxudp send 192.168.4.1:7000 hi -r 2 --wait 300           status 124 unless 2 replies in 300 ms\n",
        "  wxudp send [::1]:7000 --hex 'de ad be ef'                bytes given in hex\n",
        "  wxudp send 192.168.4.1:7000 --base64 3q2+7w==            bytes given in base64\n",
        "  wxudp send 192.168.4.1:7000 @frame.bin                   a file's bytes\n",
        "  printf 'AT\\r\\n' | wxudp send 192.168.4.1:7000           stdin's bytes (MESSAGE - too)\n",
        "  wxudp send 192.168.4.1:7000                              interactive: each line typed is sent\n",
        "  cat cmds.txt | wxudp send 192.168.4.1:7000 --lines -w 1  each line of a file, replies for 1 s\n",
        "  wxudp send 192.168.4.1:7000 ping --from 192.168.4.2:5000  from this address and port\n",
        "  wxudp send -b 192.168.4.255:9000 DISCOVER -w 2           broadcast; replies for 2 s\n",
        "  wxudp send 192.168.4.1:7000 hi -r 1 -c 10 --interval 300  a retry loop: up to 10 sends until a reply\n",
        "  wxudp send 127.0.0.1:9000 x -c 100000 --interval 1       a long send (a progress bar on a terminal)\n\n",
        "Replies are printed on stdout, in --format, for a moment after sending (after the end of\n",
        "input in interactive mode): 1 s, or --wait MS, or -w SECONDS; -w 0 exits at once. --replies N\n",
        "ends as soon as N came, waiting 5 s at most without --wait or -w. Replies come from HOST:PORT\n",
        "(the socket is connected, as nc's); --any-peer and broadcasts take them from anyone.\n\n",
        "An ICMP port unreachable from the destination is told: \"connection refused (ICMP port\n",
        "unreachable from HOST:PORT)\"; with --replies that is status 1, unless a later datagram (a\n",
        "retry loop) got its replies.\n\n",
        "Exit status: 0 done, 1 runtime failure (no route, name not resolved, file unreadable,\n",
        "refused with --replies), 2 usage error, 124 fewer than --replies replies in time,\n",
        "130/143/129 after SIGINT/SIGTERM/SIGHUP."
    ))]
    Send(send::SendArgs),
    /// Echo every datagram received on PORT back to its sender.
    #[command(after_help = concat!(
        "Examples:\n",
        "  wxudp echo 9000                  answer every datagram with itself\n",
        "  wxudp echo 9000 -c 10 -f hex     echo ten datagrams, printing each as an xxd-style dump\n",
        "  wxudp echo 0 -s 127.0.0.1        on a free port of 127.0.0.1 (printed on stderr)\n\n",
        "Exit status: 0 done, 1 runtime failure (port in use, stdout closed), 2 usage error,\n",
        "124 --timeout/--idle before --count datagrams, 130/143/129 after SIGINT/SIGTERM/SIGHUP."
    ))]
    Echo(serve::ServeArgs),
    /// Measure round trips over loopback: std sockets, the wxudp Rust API, a wxudp run
    /// script and Node.js' dgram (when node is installed), side by side.
    #[command(after_help = "\
Examples:
  wxudp bench                              everything, 3 runs each (minutes; a release build)
  wxudp bench --quick                      seconds: does it work here?
  wxudp bench --only recv,send --runs 5    a part, more runs
  wxudp bench --plot bench.svg             the table and a chart
  wxudp bench --json > bench.json          the numbers as JSON")]
    Bench(bench::BenchArgs),
    /// Print a shell completion script: wxudp completions bash > /etc/bash_completion.d/wxudp
    #[command(after_help = "\
Examples:
  wxudp completions bash > ~/.local/share/bash-completion/completions/wxudp
  wxudp completions zsh > \"${fpath[1]}/_wxudp\"
  wxudp completions fish > ~/.config/fish/completions/wxudp.fish")]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): wxudp man | man -l -
    #[command(after_help = "\
Examples:
  wxudp man | man -l -             read it
  wxudp man send | man -l -        the page of wxudp send
  wxudp man --dir /usr/local/share/man/man1    write every page (wxudp.1, wxudp-send.1, ...)")]
    Man {
        /// The page of this subcommand (wxudp-SUBCOMMAND(1)) instead of wxudp(1).
        #[arg(value_name = "SUBCOMMAND", conflicts_with = "dir")]
        page: Option<String>,
        /// Write every page into DIR instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}
