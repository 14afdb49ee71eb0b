//! The hosts of a LAN file checked: what each runs, the networks it starts on (with the
//! addresses the file gives it there), and the mDNS services it advertises.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::path::Path;

use super::spec::{AttachSpec, CommandSpec, HostSpec, MdnsSpec, ReplaySpec, ReplayTable};
use super::{check_name, Host, Network, What};

/// Checks the `[[host]]` tables against the `networks`: the hosts, and the indices of
/// those marked `main = true`.
pub(super) fn hosts(
    specs: Vec<HostSpec>,
    networks: &[Network],
    dir: &Path,
) -> Result<(Vec<Host>, Vec<usize>), String> {
    if specs.is_empty() {
        return Err("no [[host]]: a LAN needs one at least".into());
    }
    let mut hosts: Vec<Host> = Vec::new();
    // The addresses the file gives, each to one host per network.
    let mut taken: BTreeSet<(usize, Ipv4Addr)> = BTreeSet::new();
    let mut main = Vec::new();
    for (i, h) in specs.into_iter().enumerate() {
        check_name("host", &h.name)?;
        if hosts.iter().any(|o| o.name == h.name) {
            return Err(format!("two hosts are named {:?}", h.name));
        }
        let replaying = h.replay.is_some();
        let what = match h.replay {
            Some(replay) if h.run.is_none() && h.command.is_none() => {
                replay_args(&h.name, replay, dir)?
            }
            Some(_) => {
                return Err(format!(
                    "host {:?}: give one of run, command or replay",
                    h.name
                ))
            }
            None => what(&h.name, h.run, h.command, h.args, dir)?,
        };
        let attach = attachments(&h.name, h.networks, networks, &mut taken)?;
        if h.main {
            main.push(i);
        }
        let mdns = services(&h.name, h.mdns)?;
        hosts.push(Host {
            name: h.name,
            what,
            attach,
            // A replayed device says so once its ports are bound.
            ready: h
                .ready
                .filter(|r| !r.is_empty())
                .or_else(|| replaying.then(|| "replaying".to_string())),
            env: h.env,
            mdns,
        });
    }
    Ok((hosts, main))
}

/// `wxudp lan-replay`'s arguments for host `name`'s `replay`: the capture (relative to
/// `dir`, checked to exist), the match rule, the fields it ignores, delays, the device's
/// addresses in the capture.
fn replay_args(name: &str, spec: ReplaySpec, dir: &Path) -> Result<What, String> {
    let table = match spec {
        ReplaySpec::File(file) => ReplayTable {
            file,
            matching: None,
            ignore: Vec::new(),
            delays: None,
            device: Vec::new(),
        },
        ReplaySpec::Table(t) => t,
    };
    let path = dir.join(&table.file);
    if !path.is_file() {
        return Err(format!(
            "host {name:?}: replay = {:?}: {} is not a file",
            table.file,
            path.display()
        ));
    }
    let mut args = vec![path.to_string_lossy().into_owned()];
    match table.matching.as_deref() {
        None | Some("bytes") => {}
        Some("order") if table.ignore.is_empty() => args.extend(["--match".into(), "order".into()]),
        Some("order") => {
            return Err(format!(
                "host {name:?}: replay's ignore goes with match = \"bytes\", not \"order\""
            ))
        }
        Some(other) => {
            return Err(format!(
                "host {name:?}: replay's match is \"bytes\" or \"order\", not {other:?}"
            ))
        }
    }
    for range in &table.ignore {
        crate::replay::parse_range(range)
            .map_err(|e| format!("host {name:?}: replay's ignore: {e}"))?;
        args.extend(["--ignore".into(), range.clone()]);
    }
    if table.delays == Some(false) {
        args.push("--no-delays".into());
    }
    for device in &table.device {
        device.parse::<Ipv4Addr>().map_err(|_| {
            format!("host {name:?}: replay's device {device:?} is not an IPv4 address")
        })?;
        args.extend(["--device".into(), device.clone()]);
    }
    Ok(What::Replay(args))
}

/// What host `name` runs: `run` (a path that exists, relative to `dir`, with `args`) or
/// `command` (a shell line or an argv), one of the two.
fn what(
    name: &str,
    run: Option<String>,
    command: Option<CommandSpec>,
    args: Vec<String>,
    dir: &Path,
) -> Result<What, String> {
    match (run, command) {
        (Some(run), None) => {
            let path = dir.join(&run);
            if !path.exists() {
                return Err(format!(
                    "host {name:?}: run = {run:?}: {} does not exist",
                    path.display()
                ));
            }
            Ok(What::Run { path, args })
        }
        (None, Some(command)) => {
            if !args.is_empty() {
                return Err(format!(
                    "host {name:?}: args go with run; put a command's arguments in command"
                ));
            }
            let argv = match command {
                CommandSpec::Shell(line) => vec!["sh".into(), "-c".into(), line],
                CommandSpec::Argv(argv) => argv,
            };
            if argv.first().is_none_or(String::is_empty) {
                return Err(format!("host {name:?}: command is empty"));
            }
            Ok(What::Command(argv))
        }
        _ => Err(format!(
            "host {name:?}: give either run (a mini-program project or script) or command"
        )),
    }
}

/// The networks host `name` starts on, each once, with the address the file gives it
/// there: a host address of the network's subnet that no other host has (`taken`).
fn attachments(
    name: &str,
    specs: Vec<AttachSpec>,
    networks: &[Network],
    taken: &mut BTreeSet<(usize, Ipv4Addr)>,
) -> Result<Vec<(usize, Option<Ipv4Addr>)>, String> {
    let mut attach = Vec::new();
    for a in specs {
        let (net, address) = match a {
            AttachSpec::Name(n) => (n, None),
            AttachSpec::Table { network, address } => (network, address),
        };
        let index = networks
            .iter()
            .position(|n| n.name == net)
            .ok_or_else(|| format!("host {name:?}: no network named {net:?}"))?;
        if attach.iter().any(|(n, _)| *n == index) {
            return Err(format!("host {name:?} is on {net:?} twice"));
        }
        let address = match address {
            None => None,
            Some(text) => {
                let ip: Ipv4Addr = text
                    .parse()
                    .map_err(|_| format!("host {name:?}: address {text:?} is not IPv4"))?;
                let subnet = networks[index].subnet;
                if !subnet.holds(ip) {
                    return Err(format!(
                        "host {name:?}: {ip} is not a host address of {net:?} ({subnet})"
                    ));
                }
                if !taken.insert((index, ip)) {
                    return Err(format!("two hosts have {ip} on {net:?}"));
                }
                Some(ip)
            }
        };
        attach.push((index, address));
    }
    Ok(attach)
}

/// The mDNS services host `name` advertises, as `wxudp lan-mdns --service` takes them
/// (`TYPE|NAME|PORT`).
fn services(name: &str, specs: Vec<MdnsSpec>) -> Result<Vec<String>, String> {
    let mut mdns = Vec::new();
    for m in specs {
        if m.name.contains('|') || m.ty.contains('|') {
            return Err(format!("host {name:?}: mdns: '|' in a type or name"));
        }
        let service = format!("{}|{}|{}", m.ty, m.name, m.port);
        crate::mdns::parse(&service).map_err(|e| format!("host {name:?}: mdns: {e}"))?;
        mdns.push(service);
    }
    Ok(mdns)
}
