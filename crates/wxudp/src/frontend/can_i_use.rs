//! `wx.canIUse` for the UDP API: every schema of it and the base library that brought
//! it, and how a schema is looked up. Every front end answers from this table.

/// `[schema, since]`: each part of the UDP API and the first base library that has it.
pub const UDP_API: &[(&str, &str)] = &[
    ("createUDPSocket", "2.7.0"),
    ("createUDPSocket.type", "2.18.0"),
    ("UDPSocket", "2.7.0"),
    ("UDPSocket.bind", "2.7.0"),
    ("UDPSocket.bind.port", "2.9.0"),
    ("UDPSocket.send", "2.7.0"),
    ("UDPSocket.send.object.address", "2.7.0"),
    ("UDPSocket.send.object.port", "2.7.0"),
    ("UDPSocket.send.object.message", "2.7.0"),
    ("UDPSocket.send.object.offset", "2.7.0"),
    ("UDPSocket.send.object.length", "2.7.0"),
    ("UDPSocket.send.object.setBroadcast", "2.24.0"),
    ("UDPSocket.connect", "2.15.0"),
    ("UDPSocket.write", "2.15.0"),
    ("UDPSocket.setTTL", "2.18.0"),
    ("UDPSocket.close", "2.7.0"),
    ("UDPSocket.onClose", "2.7.0"),
    ("UDPSocket.offClose", "2.7.0"),
    ("UDPSocket.onError", "2.7.0"),
    ("UDPSocket.offError", "2.7.0"),
    ("UDPSocket.onListening", "2.7.0"),
    ("UDPSocket.offListening", "2.7.0"),
    ("UDPSocket.onMessage", "2.7.0"),
    ("UDPSocket.offMessage", "2.7.0"),
    ("UDPSocket.onMessage.callback.localInfo", "2.18.0"),
];

/// The table key of a schema: a trailing `.success`, `.fail` or `.complete` names the
/// API's callback, which the API itself answers for.
///
/// # Examples
/// ```
/// use wxudp::frontend::can_i_use::key;
/// assert_eq!(key("UDPSocket.send.success"), "UDPSocket.send");
/// assert_eq!(key("UDPSocket.onMessage.callback.localInfo"), "UDPSocket.onMessage.callback.localInfo");
/// ```
pub fn key(schema: &str) -> &str {
    for suffix in [".success", ".fail", ".complete"] {
        if let Some(api) = schema.strip_suffix(suffix) {
            return api;
        }
    }
    schema
}

/// The base library that brought `schema` of the UDP API, or `None` when it names no
/// part of it.
///
/// # Examples
/// ```
/// use wxudp::frontend::can_i_use::since;
/// assert_eq!(since("UDPSocket.setTTL"), Some("2.18.0"));
/// assert_eq!(since("UDPSocket.write.fail"), Some("2.15.0"));
/// assert_eq!(since("UDPSocket.listen"), None);
/// ```
pub fn since(schema: &str) -> Option<&'static str> {
    let key = key(schema);
    UDP_API
        .iter()
        .find(|(api, _)| *api == key)
        .map(|(_, since)| *since)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_is_listed_once_with_a_version() {
        let mut seen = std::collections::HashSet::new();
        for (api, since) in UDP_API {
            assert!(seen.insert(*api), "{api} twice");
            let parts: Vec<_> = since.split('.').collect();
            assert_eq!(parts.len(), 3, "{since}");
            assert!(parts.iter().all(|p| p.parse::<u32>().is_ok()), "{since}");
        }
    }

    #[test]
    fn methods_come_with_their_base_libraries() {
        for (schema, version) in [
            ("createUDPSocket", "2.7.0"),
            ("UDPSocket.connect", "2.15.0"),
            ("UDPSocket.write.complete", "2.15.0"),
            ("UDPSocket.send.object.setBroadcast", "2.24.0"),
        ] {
            assert_eq!(since(schema), Some(version), "{schema}");
        }
        assert_eq!(since("UDPSocket.send.object"), None);
        assert_eq!(since(""), None);
    }
}
