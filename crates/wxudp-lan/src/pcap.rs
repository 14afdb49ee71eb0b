//! `--pcap FILE`: the run's datagrams as a classic libpcap capture (what Wireshark and
//! tcpdump open), link type RAW (101): each record is an IPv4 or IPv6 packet holding
//! one UDP datagram, with correct lengths and checksums. The packets are rebuilt from
//! what the sockets saw (the kernel's own headers are not available to a UDP socket):
//! a sent datagram's source is the address its socket is bound to (`0.0.0.0` for the
//! wildcard, replaced by the loopback address when the destination is loopback, as the
//! kernel would choose), and a datagram between an IPv4-mapped IPv6 address and
//! another is written as IPv4.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{SystemTime, UNIX_EPOCH};

/// The libpcap magic number (microsecond timestamps), written in native order.
pub(crate) const MAGIC: u32 = 0xa1b2_c3d4;
/// LINKTYPE_RAW: each packet begins with an IPv4 or IPv6 header.
pub const LINKTYPE_RAW: u32 = 101;
/// The largest packet recorded whole (an IPv6 datagram of 65527 bytes with headers).
pub(crate) const SNAPLEN: u32 = 262_144;

/// LINKTYPE_ETHERNET: each packet is an Ethernet frame (what `wxudp lan --pcap` captures
/// on its bridges).
pub const LINKTYPE_ETHERNET: u32 = 1;

/// A capture file being written.
pub struct PcapWriter<W: Write> {
    out: W,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header, for IP packets ([`LINKTYPE_RAW`]).
    pub fn new(out: W) -> io::Result<Self> {
        PcapWriter::with_link_type(out, LINKTYPE_RAW)
    }

    /// Writes the header of a capture whose packets are of `link_type` (such as
    /// [`LINKTYPE_ETHERNET`]), then [`PcapWriter::packet`] writes each.
    pub fn with_link_type(mut out: W, link_type: u32) -> io::Result<Self> {
        let mut header = Vec::with_capacity(24);
        header.extend_from_slice(&MAGIC.to_ne_bytes());
        header.extend_from_slice(&2u16.to_ne_bytes());
        header.extend_from_slice(&4u16.to_ne_bytes());
        header.extend_from_slice(&0i32.to_ne_bytes());
        header.extend_from_slice(&0u32.to_ne_bytes());
        header.extend_from_slice(&SNAPLEN.to_ne_bytes());
        header.extend_from_slice(&link_type.to_ne_bytes());
        out.write_all(&header)?;
        Ok(PcapWriter { out })
    }

    /// Writes one datagram from `src` to `dst`, stamped `when`.
    pub fn datagram(
        &mut self,
        when: SystemTime,
        src: SocketAddr,
        dst: SocketAddr,
        data: &[u8],
    ) -> io::Result<()> {
        self.packet(when, &packet(src, dst, data))
    }

    /// Writes one packet as it is (of the file's link type), stamped `when`.
    pub fn packet(&mut self, when: SystemTime, packet: &[u8]) -> io::Result<()> {
        let since = when.duration_since(UNIX_EPOCH).unwrap_or_default();
        let len = u32::try_from(packet.len()).unwrap_or(u32::MAX);
        let mut record = Vec::with_capacity(16 + packet.len());
        record.extend_from_slice(
            &u32::try_from(since.as_secs())
                .unwrap_or(u32::MAX)
                .to_ne_bytes(),
        );
        record.extend_from_slice(&since.subsec_micros().to_ne_bytes());
        record.extend_from_slice(&len.to_ne_bytes());
        record.extend_from_slice(&len.to_ne_bytes());
        record.extend_from_slice(packet);
        self.out.write_all(&record)
    }

    /// Flushes what is buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The IPv4 form of `ip`, if it is IPv4 or IPv4-mapped.
fn as_v4(ip: IpAddr) -> Option<Ipv4Addr> {
    match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(v6) => v6.to_ipv4_mapped(),
    }
}

/// The source address the kernel would put on a datagram from `src` to `dst`, as far
/// as it can be told without a route lookup: the loopback address for a loopback
/// destination when the socket is bound to the wildcard.
fn source(src: IpAddr, dst: IpAddr) -> IpAddr {
    if !src.is_unspecified() {
        return src;
    }
    match (as_v4(dst), dst) {
        (Some(v4), _) if v4.is_loopback() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        (None, IpAddr::V6(v6)) if v6.is_loopback() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        _ => src,
    }
}

/// An IP packet holding a UDP datagram.
pub(crate) fn packet(src: SocketAddr, dst: SocketAddr, data: &[u8]) -> Vec<u8> {
    let src_ip = source(src.ip(), dst.ip());
    let udp_len = 8 + data.len();
    let udp_len16 = u16::try_from(udp_len).unwrap_or(u16::MAX);
    match (as_v4(src_ip), as_v4(dst.ip())) {
        (Some(s), Some(d)) => {
            let total = u16::try_from(20 + udp_len).unwrap_or(u16::MAX);
            let mut p = Vec::with_capacity(20 + udp_len);
            p.extend_from_slice(&[0x45, 0]);
            p.extend_from_slice(&total.to_be_bytes());
            p.extend_from_slice(&[0, 0, 0x40, 0, 64, 17, 0, 0]);
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            let header_sum = !fold(sum(&p[..20], 0));
            p[10..12].copy_from_slice(&header_sum.to_be_bytes());
            let mut pseudo = Vec::with_capacity(12);
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&[0, 17]);
            pseudo.extend_from_slice(&udp_len16.to_be_bytes());
            udp(&mut p, src.port(), dst.port(), data, sum(&pseudo, 0));
            p
        }
        _ => {
            let s = v6(src_ip);
            let d = v6(dst.ip());
            let mut p = Vec::with_capacity(40 + udp_len);
            p.extend_from_slice(&[0x60, 0, 0, 0]);
            p.extend_from_slice(&udp_len16.to_be_bytes());
            p.extend_from_slice(&[17, 64]);
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            let mut pseudo = Vec::with_capacity(40);
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&u32::try_from(udp_len).unwrap_or(u32::MAX).to_be_bytes());
            pseudo.extend_from_slice(&[0, 0, 0, 17]);
            udp(&mut p, src.port(), dst.port(), data, sum(&pseudo, 0));
            p
        }
    }
}

fn v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

/// Appends the UDP header and payload, with the checksum over `pseudo` (the pseudo
/// header's sum) and the datagram.
fn udp(p: &mut Vec<u8>, src_port: u16, dst_port: u16, data: &[u8], pseudo: u32) {
    let start = p.len();
    let len = u16::try_from(8 + data.len()).unwrap_or(u16::MAX);
    p.extend_from_slice(&src_port.to_be_bytes());
    p.extend_from_slice(&dst_port.to_be_bytes());
    p.extend_from_slice(&len.to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(data);
    let mut check = !fold(sum(&p[start..], pseudo));
    // A computed 0 is sent as all ones (0 means "no checksum" over IPv4).
    if check == 0 {
        check = 0xffff;
    }
    p[start + 6..start + 8].copy_from_slice(&check.to_be_bytes());
}

/// The one's-complement sum of `bytes` as 16-bit big-endian words, added to `acc`.
pub(crate) fn sum(bytes: &[u8], acc: u32) -> u32 {
    let mut acc = u64::from(acc);
    let mut chunks = bytes.chunks_exact(2);
    for c in &mut chunks {
        acc += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u64::from(u16::from_be_bytes([*last, 0]));
    }
    while acc > 0xffff_ffff {
        acc = (acc & 0xffff_ffff) + (acc >> 32);
    }
    u32::try_from(acc).unwrap_or(u32::MAX)
}

/// Folds a 32-bit sum into 16 bits.
pub(crate) fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    u16::try_from(acc).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn ipv4_packets_have_valid_checksums() {
        let src: SocketAddr = "0.0.0.0:5000".parse().unwrap();
        let dst: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let p = packet(src, dst, b"hello");
        assert_eq!(p.len(), 20 + 8 + 5);
        assert_eq!(p[0], 0x45);
        assert_eq!(&p[12..16], &[127, 0, 0, 1], "the wildcard becomes loopback");
        assert_eq!(fold(sum(&p[..20], 0)), 0xffff, "header checksum");
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&p[12..20]);
        pseudo.extend_from_slice(&[0, 17, 0, 13]);
        assert_eq!(fold(sum(&p[20..], sum(&pseudo, 0))), 0xffff, "UDP checksum");
        // IPv4-mapped on both ends is IPv4.
        let mapped = packet(
            "[::ffff:127.0.0.1]:1".parse().unwrap(),
            "[::ffff:127.0.0.2]:2".parse().unwrap(),
            b"",
        );
        assert_eq!(mapped[0], 0x45);
    }

    #[test]
    fn ipv6_packets_have_valid_checksums() {
        let p = packet(
            "[::]:5000".parse().unwrap(),
            "[::1]:9".parse().unwrap(),
            b"odd",
        );
        assert_eq!(p[0] >> 4, 6);
        assert_eq!(u16::from_be_bytes([p[4], p[5]]), 11);
        assert_eq!(&p[8..24], &Ipv6Addr::LOCALHOST.octets());
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&p[8..40]);
        pseudo.extend_from_slice(&[0, 0, 0, 11, 0, 0, 0, 17]);
        assert_eq!(fold(sum(&p[40..], sum(&pseudo, 0))), 0xffff);
    }

    #[test]
    fn the_file_starts_with_the_libpcap_header() {
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        w.datagram(
            UNIX_EPOCH + std::time::Duration::from_micros(1_500_000),
            "127.0.0.1:1".parse().unwrap(),
            "127.0.0.1:2".parse().unwrap(),
            b"x",
        )
        .unwrap();
        let bytes = w.out;
        assert_eq!(&bytes[..4], &MAGIC.to_ne_bytes());
        assert_eq!(&bytes[20..24], &LINKTYPE_RAW.to_ne_bytes());
        assert_eq!(&bytes[24..28], &1u32.to_ne_bytes());
        assert_eq!(&bytes[28..32], &500_000u32.to_ne_bytes());
        assert_eq!(&bytes[32..36], &29u32.to_ne_bytes());
        assert_eq!(bytes.len(), 24 + 16 + 29);
    }
}
