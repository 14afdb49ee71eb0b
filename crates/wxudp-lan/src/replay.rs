//! A LAN device that replays a capture of a real one (`replay = "lamp.pcap"`): it takes
//! the recorded device's addresses and ports, and answers each datagram the page sends
//! as the recorded device answered the recorded app — matched by the same bytes, the
//! same bytes but for the fields the user marks, or in order — after the recorded delays
//! (or none). What it cannot match it says at once, instead of leaving the page waiting.
//!
//! The capture is pcap or pcapng (Wireshark, tcpdump, `wxudp lan --pcap` or
//! `--record`), read with `pcap-file`; its UDP datagrams over IPv4 with `etherparse`,
//! from Ethernet, raw IP, Linux cooked (SLL) and BSD loopback link types.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;

/// A recorded delay longer than this is cut to it: a capture with a pause of minutes
/// must not make a test wait as long.
const MAX_DELAY: Duration = Duration::from_secs(5);

/// One UDP datagram of a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Seconds since the capture's first packet, in microseconds.
    pub at_us: u64,
    /// Its sender.
    pub from: SocketAddr,
    /// Where it went.
    pub to: SocketAddr,
    /// Its bytes.
    pub payload: Vec<u8>,
}

/// How a datagram the page sends finds its recorded counterpart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// The same bytes (and the same device port).
    Bytes,
    /// The same length and bytes but for these ranges (a sequence number, a MAC...).
    Ignoring(Vec<Range<usize>>),
    /// The next recorded request to that port, whatever its bytes.
    Order,
}

/// A request of the recorded app to the device, and the device's answers to it.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// What the app sent.
    pub request: Recorded,
    /// Each answer with its delay after the request.
    pub answers: Vec<(Duration, Recorded)>,
}

/// Reads the packets of a pcap or pcapng file: each one's time (microseconds since the
/// epoch), link type and bytes.
///
/// # Errors
/// A file that cannot be read, or is neither pcap nor pcapng, in words.
pub fn frames(path: &Path) -> Result<Vec<(u64, DataLink, Vec<u8>)>, String> {
    let data = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let what = |e: pcap_file::PcapError| format!("{}: {e}", path.display());
    let mut packets: Vec<(u64, DataLink, Vec<u8>)> = Vec::new();
    // pcapng starts with a section header block (0x0A0D0D0A).
    if data.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut reader = PcapNgReader::new(&data[..]).map_err(what)?;
        let mut links: Vec<DataLink> = Vec::new();
        while let Some(block) = reader.next_block() {
            match block.map_err(what)? {
                Block::InterfaceDescription(i) => links.push(i.linktype),
                Block::EnhancedPacket(p) => {
                    let link = links
                        .get(p.interface_id as usize)
                        .copied()
                        .unwrap_or(DataLink::ETHERNET);
                    packets.push((p.timestamp.as_micros() as u64, link, p.data.to_vec()));
                }
                Block::SimplePacket(p) => {
                    let link = links.first().copied().unwrap_or(DataLink::ETHERNET);
                    packets.push((0, link, p.data.to_vec()));
                }
                _ => {}
            }
        }
    } else {
        let mut reader = PcapReader::new(&data[..]).map_err(what)?;
        let link = reader.header().datalink;
        while let Some(packet) = reader.next_packet() {
            let p = packet.map_err(what)?;
            packets.push((p.timestamp.as_micros() as u64, link, p.data.to_vec()));
        }
    }
    Ok(packets)
}

/// Reads the UDP datagrams of a pcap or pcapng file.
///
/// # Errors
/// A file that cannot be read, or is neither pcap nor pcapng, in words.
pub fn read(path: &Path) -> Result<Vec<Recorded>, String> {
    let packets = frames(path)?;
    let start = packets.iter().map(|p| p.0).min().unwrap_or(0);
    Ok(packets
        .into_iter()
        .filter_map(|(at, link, bytes)| {
            udp(link, &bytes).map(|(from, to, payload)| Recorded {
                at_us: at - start,
                from,
                to,
                payload,
            })
        })
        .collect())
}

/// The UDP datagram (over IPv4) of one packet, if it is one.
pub(crate) fn udp(link: DataLink, bytes: &[u8]) -> Option<(SocketAddr, SocketAddr, Vec<u8>)> {
    let sliced = match link {
        DataLink::ETHERNET => SlicedPacket::from_ethernet(bytes).ok()?,
        DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(bytes).ok()?,
        // BSD loopback: a 4-byte address family, then the IP packet.
        DataLink::NULL | DataLink::LOOP => SlicedPacket::from_ip(bytes.get(4..)?).ok()?,
        _ => SlicedPacket::from_ip(bytes).ok()?,
    };
    let Some(NetSlice::Ipv4(ip)) = sliced.net else {
        return None;
    };
    let Some(TransportSlice::Udp(u)) = sliced.transport else {
        return None;
    };
    let header = ip.header();
    let from = SocketAddr::new(IpAddr::V4(header.source_addr()), u.source_port());
    let to = SocketAddr::new(IpAddr::V4(header.destination_addr()), u.destination_port());
    Some((from, to, u.payload().to_vec()))
}

pub(crate) fn is_broadcast_or_multicast(ip: IpAddr, device: &BTreeSet<Ipv4Addr>) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_broadcast()
                || v4.is_multicast()
                // A subnet's broadcast address: all host bits set for some /8../30 the
                // device's address is in.
                || device.iter().any(|d| {
                    (8..=30).any(|prefix: u32| {
                        let mask = u32::MAX << (32 - prefix);
                        u32::from(*d) & mask == u32::from(v4) & mask && u32::from(v4) | mask == u32::MAX
                    })
                })
        }
        IpAddr::V6(v6) => v6.is_multicast(),
    }
}

/// The exchanges of the device at `device` in `datagrams`: each datagram another host
/// sent to it (or to a broadcast or multicast address, on a port the device answers
/// from), with what the device sent back to that host before the next such request.
pub fn exchanges(datagrams: &[Recorded], device: &BTreeSet<Ipv4Addr>) -> Vec<Exchange> {
    let is_device = |a: &SocketAddr| matches!(a.ip(), IpAddr::V4(v4) if device.contains(&v4));
    let ports: BTreeSet<u16> = datagrams
        .iter()
        .filter(|d| is_device(&d.from))
        .map(|d| d.from.port())
        .collect();
    let mut out: Vec<Exchange> = Vec::new();
    for d in datagrams {
        if is_device(&d.from) {
            // An answer goes with the latest request from the host it is sent to.
            if let Some(ex) = out.iter_mut().rev().find(|ex| {
                ex.request.from.ip() == d.to.ip()
                    || d.to.ip().is_unspecified()
                    || is_broadcast_or_multicast(d.to.ip(), device)
            }) {
                let delay = Duration::from_micros(d.at_us.saturating_sub(ex.request.at_us));
                ex.answers.push((delay, d.clone()));
            }
        } else if is_device(&d.to)
            || (is_broadcast_or_multicast(d.to.ip(), device) && ports.contains(&d.to.port()))
        {
            out.push(Exchange {
                request: d.clone(),
                answers: Vec::new(),
            });
        }
    }
    out
}

impl Rule {
    fn matches(&self, recorded: &[u8], got: &[u8]) -> bool {
        match self {
            Rule::Bytes => recorded == got,
            Rule::Order => true,
            Rule::Ignoring(ranges) => {
                recorded.len() == got.len()
                    && recorded
                        .iter()
                        .zip(got)
                        .enumerate()
                        .all(|(i, (a, b))| a == b || ranges.iter().any(|r| r.contains(&i)))
            }
        }
    }
}

/// Which recorded exchanges answered already, and what could not be matched.
#[derive(Debug, Default)]
pub struct Cursor {
    used: Vec<bool>,
    /// For [`Rule::Order`]: the next exchange.
    next: usize,
    /// Datagrams no recorded request matched.
    pub unmatched: u64,
}

/// The exchange that answers `payload` sent to device port `port`: the first unused
/// one that matches, else (a device answers a repeated discovery again) the last one
/// that matches; for [`Rule::Order`], the next one to that port.
pub fn find(
    exchanges: &[Exchange],
    cursor: &mut Cursor,
    rule: &Rule,
    port: u16,
    payload: &[u8],
) -> Option<usize> {
    if cursor.used.len() != exchanges.len() {
        cursor.used = vec![false; exchanges.len()];
    }
    let fits =
        |ex: &Exchange| ex.request.to.port() == port && rule.matches(&ex.request.payload, payload);
    let found = if *rule == Rule::Order {
        let i = (cursor.next..exchanges.len()).find(|&i| fits(&exchanges[i]));
        if let Some(i) = i {
            cursor.next = i + 1;
        }
        i
    } else {
        (0..exchanges.len())
            .find(|&i| !cursor.used[i] && fits(&exchanges[i]))
            .or_else(|| (0..exchanges.len()).rev().find(|&i| fits(&exchanges[i])))
    };
    match found {
        Some(i) => cursor.used[i] = true,
        None => cursor.unmatched += 1,
    }
    found
}

/// `4..8`, `4-7` (inclusive) or `12` (one byte): a byte range the match ignores.
///
/// # Errors
/// Anything else, in words.
pub fn parse_range(text: &str) -> Result<Range<usize>, String> {
    let bad = || format!("{text:?} is not a byte range (4..8, 4-7 or 12)");
    let num = |s: &str| s.trim().parse::<usize>().map_err(|_| bad());
    if let Some((a, b)) = text.split_once("..") {
        let (a, b) = (num(a)?, num(b)?);
        return if a < b { Ok(a..b) } else { Err(bad()) };
    }
    if let Some((a, b)) = text.split_once('-') {
        let (a, b) = (num(a)?, num(b)?);
        return if a <= b { Ok(a..b + 1) } else { Err(bad()) };
    }
    let a = num(text)?;
    Ok(a..a + 1)
}

/// What `wxudp lan-replay` is given.
#[derive(Debug, Clone)]
pub struct Options {
    /// The pcap or pcapng file.
    pub capture: std::path::PathBuf,
    /// The recorded device's IPv4 addresses (empty: the host's own, from its
    /// interfaces).
    pub device: Vec<Ipv4Addr>,
    /// How requests are matched.
    pub rule: Rule,
    /// Whether answers wait for their recorded delays.
    pub delays: bool,
}

/// This host's IPv4 addresses but loopback: the recorded device's, unless a LAN file
/// names them.
pub fn own_addresses() -> Vec<Ipv4Addr> {
    let Ok(list) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    let mut out: Vec<Ipv4Addr> = list
        .filter_map(|i| i.address?.as_sockaddr_in().map(|a| a.ip()))
        .filter(|ip| !ip.is_loopback())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn hex_preview(bytes: &[u8]) -> String {
    let mut s: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > 16 {
        s.push("…".into());
    }
    s.join(" ")
}

/// `wxudp lan --record DIR`: writes `DIR/HOST.pcap` for each host of `hosts` (a name
/// and its IPv4 addresses) from the networks' captures `networks`: the Ethernet frames
/// of UDP datagrams the host sent or was sent, and the broadcasts and multicasts it
/// could hear — what `replay` reads back.
///
/// # Errors
/// A capture that cannot be read or a file that cannot be written, in words.
pub fn record(
    networks: &[std::path::PathBuf],
    hosts: &[(String, Vec<Ipv4Addr>)],
    dir: &Path,
) -> Result<(), String> {
    let mut all = Vec::new();
    for n in networks {
        all.extend(frames(n)?);
    }
    all.sort_by_key(|f| f.0);
    for (name, addrs) in hosts {
        let own: BTreeSet<Ipv4Addr> = addrs.iter().copied().collect();
        let path = dir.join(format!("{name}.pcap"));
        let file = std::fs::File::create(&path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let mut w = crate::pcap::PcapWriter::with_link_type(
            std::io::BufWriter::new(file),
            crate::pcap::LINKTYPE_ETHERNET,
        )
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        for (at, link, bytes) in &all {
            let Some((from, to, _)) = udp(*link, bytes) else {
                continue;
            };
            let mine = |a: &SocketAddr| matches!(a.ip(), IpAddr::V4(v4) if own.contains(&v4));
            if mine(&from) || mine(&to) || is_broadcast_or_multicast(to.ip(), &own) {
                let when = std::time::UNIX_EPOCH + Duration::from_micros(*at);
                w.packet(when, bytes)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
        }
        w.flush()
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// `wxudp lan-replay`: binds the device's ports and answers until killed (the LAN ends
/// its hosts). Returns an exit status.
pub fn run(options: &Options, own: &[Ipv4Addr]) -> i32 {
    let datagrams = match read(&options.capture) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("replay: {e}");
            return 1;
        }
    };
    let mut device: BTreeSet<Ipv4Addr> = options.device.iter().copied().collect();
    if device.is_empty() {
        device = own.iter().copied().collect();
    }
    let sent_from: BTreeSet<Ipv4Addr> = datagrams
        .iter()
        .filter_map(|d| match d.from.ip() {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        })
        .collect();
    if !device.iter().any(|d| sent_from.contains(d)) {
        let list: Vec<String> = sent_from.iter().map(ToString::to_string).collect();
        eprintln!(
            "replay: the device ({}) sends nothing in {}; name it with device = [...] (the capture's senders: {})",
            device.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
            options.capture.display(),
            list.join(", ")
        );
        return 1;
    }
    let exchanges = Arc::new(exchanges(&datagrams, &device));
    let ports: BTreeSet<u16> = exchanges.iter().map(|e| e.request.to.port()).collect();
    let mut sockets = Vec::new();
    for port in &ports {
        match UdpSocket::bind((Ipv4Addr::UNSPECIFIED, *port)) {
            Ok(s) => {
                let _ = s.set_broadcast(true);
                sockets.push(Arc::new(s));
            }
            Err(e) => {
                eprintln!("replay: cannot bind UDP port {port}: {e}");
                return 1;
            }
        }
    }
    println!(
        "replaying {} exchanges of {} on port{} {}",
        exchanges.len(),
        options
            .capture
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        if ports.len() == 1 { "" } else { "s" },
        ports
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let cursor = Arc::new(Mutex::new(Cursor::default()));
    let threads: Vec<_> = sockets
        .iter()
        .map(|socket| {
            let (socket, all, exchanges, cursor) = (
                socket.clone(),
                sockets.clone(),
                exchanges.clone(),
                cursor.clone(),
            );
            let (rule, delays) = (options.rule.clone(), options.delays);
            std::thread::spawn(move || serve(&socket, &all, &exchanges, &cursor, &rule, delays))
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    0
}

/// Answers what arrives on `socket` (one of the device's ports), from the socket of
/// the recorded answer's source port when the device has it.
fn serve(
    socket: &UdpSocket,
    all: &[Arc<UdpSocket>],
    exchanges: &[Exchange],
    cursor: &Mutex<Cursor>,
    rule: &Rule,
    delays: bool,
) {
    let port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
    let mut buf = vec![0u8; 65536];
    loop {
        let Ok((n, peer)) = socket.recv_from(&mut buf) else {
            return;
        };
        let got = &buf[..n];
        let found = {
            let mut c = cursor
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            find(exchanges, &mut c, rule, port, got)
        };
        let Some(i) = found else {
            println!(
                "replay: no recorded answer for {n} bytes from {peer} to port {port} ({})",
                hex_preview(got)
            );
            continue;
        };
        let ex = &exchanges[i];
        if ex.answers.is_empty() {
            println!("replay: {n} bytes from {peer} to port {port}: the device did not answer it (request #{i})");
        }
        let mut waited = Duration::ZERO;
        for (delay, answer) in &ex.answers {
            if delays {
                let due = (*delay).min(MAX_DELAY);
                if due > waited {
                    std::thread::sleep(due - waited);
                    waited = due;
                }
            }
            let from = all
                .iter()
                .find(|s| s.local_addr().is_ok_and(|a| a.port() == answer.from.port()))
                .map_or(socket, |s| s.as_ref());
            if let Err(e) = from.send_to(&answer.payload, peer) {
                println!("replay: cannot answer {peer}: {e}");
            }
        }
        println!(
            "replay: answered {n} bytes from {peer} to port {port} with request #{i}'s {} answer{}",
            ex.answers.len(),
            if ex.answers.len() == 1 { "" } else { "s" }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(at_us: u64, from: &str, to: &str, payload: &[u8]) -> Recorded {
        Recorded {
            at_us,
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            payload: payload.to_vec(),
        }
    }

    fn lamp() -> BTreeSet<Ipv4Addr> {
        ["192.168.4.1".parse().unwrap()].into()
    }

    #[test]
    fn requests_and_their_answers_pair_up_broadcasts_included() {
        let capture = [
            rec(0, "192.168.4.2:5000", "255.255.255.255:4210", b"discover"),
            rec(1_500, "192.168.4.1:4210", "192.168.4.2:5000", b"lamp"),
            rec(9_000, "192.168.4.2:5000", "192.168.4.1:8266", b"cfg1"),
            rec(9_700, "192.168.4.1:8266", "192.168.4.2:5000", b"ok"),
            // Not the device's business: another port's broadcast.
            rec(9_800, "192.168.4.9:1", "255.255.255.255:9999", b"x"),
        ];
        let ex = exchanges(&capture, &lamp());
        assert_eq!(ex.len(), 2);
        assert_eq!(ex[0].request.payload, b"discover");
        assert_eq!(ex[0].answers[0].0, Duration::from_micros(1_500));
        assert_eq!(ex[1].answers[0].1.payload, b"ok");
    }

    #[test]
    fn the_rules_match_bytes_bytes_but_fields_or_order() {
        let capture = [
            rec(0, "10.0.0.2:1", "10.0.0.1:7", b"\x01seq1"),
            rec(1, "10.0.0.1:7", "10.0.0.2:1", b"a"),
            rec(2, "10.0.0.2:1", "10.0.0.1:7", b"\x02seq2"),
            rec(3, "10.0.0.1:7", "10.0.0.2:1", b"b"),
        ];
        let dev = ["10.0.0.1".parse().unwrap()].into();
        let ex = exchanges(&capture, &dev);
        let mut c = Cursor::default();
        assert_eq!(find(&ex, &mut c, &Rule::Bytes, 7, b"\x02seq2"), Some(1));
        assert_eq!(find(&ex, &mut c, &Rule::Bytes, 7, b"\x09seq9"), None);
        assert_eq!(c.unmatched, 1);
        let mut c = Cursor::default();
        let ignore = Rule::Ignoring(vec![0..1, 4..5]);
        assert_eq!(find(&ex, &mut c, &ignore, 7, b"\x07seq7"), Some(0));
        assert_eq!(
            find(&ex, &mut c, &ignore, 7, b"\x07seq7"),
            Some(1),
            "the next unused"
        );
        assert_eq!(
            find(&ex, &mut c, &ignore, 7, b"\x07seq7"),
            Some(1),
            "then the last again"
        );
        assert_eq!(find(&ex, &mut c, &ignore, 7, b"\x07SEQ7"), None);
        let mut c = Cursor::default();
        assert_eq!(find(&ex, &mut c, &Rule::Order, 7, b"anything"), Some(0));
        assert_eq!(find(&ex, &mut c, &Rule::Order, 7, b"else"), Some(1));
        assert_eq!(find(&ex, &mut c, &Rule::Order, 7, b"more"), None);
        assert_eq!(
            find(&ex, &mut c, &Rule::Bytes, 8, b"\x01seq1"),
            None,
            "another port"
        );
    }

    #[test]
    fn ranges_read_as_users_write_them() {
        assert_eq!(parse_range("4..8"), Ok(4..8));
        assert_eq!(parse_range("4-7"), Ok(4..8));
        assert_eq!(parse_range("12"), Ok(12..13));
        assert!(parse_range("8..4").is_err());
        assert!(parse_range("x").is_err());
    }

    #[test]
    fn our_own_captures_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.pcap");
        let mut w = crate::pcap::PcapWriter::new(std::fs::File::create(&path).unwrap()).unwrap();
        let t = std::time::SystemTime::now();
        w.datagram(
            t,
            "192.168.4.2:5000".parse().unwrap(),
            "192.168.4.1:8266".parse().unwrap(),
            b"hello",
        )
        .unwrap();
        w.flush().unwrap();
        drop(w);
        let got = read(&path).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].payload, b"hello");
        assert_eq!(got[0].to, "192.168.4.1:8266".parse().unwrap());
    }
}
