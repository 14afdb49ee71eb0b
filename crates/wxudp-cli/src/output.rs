//! How received datagrams are printed.

use clap::ValueEnum;
use wxudp::Message;

/// The line format of a received datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `127.0.0.1:5000 (IPv4) 5 bytes: hello` with non-printable bytes escaped.
    Text,
    /// `127.0.0.1:5000 (IPv4) 5 bytes: 68656c6c6f`.
    Hex,
    /// One JSON object per line with address, family, port, size, local, text and hex.
    Json,
}

/// One line describing `msg`. Addresses are shown unmapped (`127.0.0.1`, not
/// `::ffff:127.0.0.1`).
pub fn line(msg: &Message, format: Format) -> String {
    let remote_ip = msg.remote.ip().to_canonical();
    let family = if remote_ip.is_ipv4() { "IPv4" } else { "IPv6" };
    let from = std::net::SocketAddr::new(remote_ip, msg.remote.port());
    match format {
        Format::Text => format!(
            "{from} ({family}) {} bytes: {}",
            msg.size(),
            String::from_utf8_lossy(&msg.data).escape_debug()
        ),
        Format::Hex => format!(
            "{from} ({family}) {} bytes: {}",
            msg.size(),
            hex::encode(&msg.data)
        ),
        Format::Json => serde_json::json!({
            "address": remote_ip.to_string(),
            "family": family,
            "port": msg.remote.port(),
            "size": msg.size(),
            "local": {
                "address": msg.local.ip().to_canonical().to_string(),
                "port": msg.local.port(),
            },
            "text": String::from_utf8_lossy(&msg.data),
            "hex": hex::encode(&msg.data),
        })
        .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(data: &[u8]) -> Message {
        Message {
            data: data.to_vec(),
            remote: "[::ffff:127.0.0.1]:5000".parse().unwrap(),
            local: "[::ffff:127.0.0.1]:9000".parse().unwrap(),
        }
    }

    #[test]
    fn formats() {
        let m = msg(b"hi\r\n\x00");
        assert_eq!(
            line(&m, Format::Text),
            "127.0.0.1:5000 (IPv4) 5 bytes: hi\\r\\n\\0"
        );
        assert_eq!(
            line(&m, Format::Hex),
            "127.0.0.1:5000 (IPv4) 5 bytes: 68690d0a00"
        );
        let v: serde_json::Value = serde_json::from_str(&line(&m, Format::Json)).unwrap();
        assert_eq!(v["address"], "127.0.0.1");
        assert_eq!(v["port"], 5000);
        assert_eq!(v["size"], 5);
        assert_eq!(v["local"]["port"], 9000);
        assert_eq!(v["hex"], "68690d0a00");
    }
}
