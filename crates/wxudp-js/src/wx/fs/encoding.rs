//! The encodings of `readFile`/`writeFile`/`appendFile`: `utf8` (`utf-8`), `ascii`,
//! `base64`, `hex`, `binary` (`latin1`), `ucs2` (`ucs-2`, `utf16le`, `utf-16le`). No
//! encoding means an ArrayBuffer.

use base64::Engine as _;

/// An encoding of text in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    Ascii,
    Base64,
    Hex,
    Latin1,
    Utf16Le,
}

impl Encoding {
    /// The encoding a name means, `None` for a name WeChat does not take.
    pub(crate) fn parse(name: &str) -> Option<Encoding> {
        Some(match name {
            "utf8" | "utf-8" => Encoding::Utf8,
            "ascii" => Encoding::Ascii,
            "base64" => Encoding::Base64,
            "hex" => Encoding::Hex,
            "binary" | "latin1" => Encoding::Latin1,
            "ucs2" | "ucs-2" | "utf16le" | "utf-16le" => Encoding::Utf16Le,
            _ => return None,
        })
    }

    /// The bytes of `text` in this encoding; `None` for base64 or hex that is not.
    pub(crate) fn encode(self, text: &str) -> Option<Vec<u8>> {
        Some(match self {
            Encoding::Utf8 => text.as_bytes().to_vec(),
            // As Node: each UTF-16 unit's low byte.
            Encoding::Ascii | Encoding::Latin1 => text.encode_utf16().map(|u| u as u8).collect(),
            Encoding::Base64 => {
                let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                base64::engine::general_purpose::STANDARD
                    .decode(clean.trim_end_matches('='))
                    .or_else(|_| {
                        base64::engine::general_purpose::STANDARD_NO_PAD
                            .decode(clean.trim_end_matches('='))
                    })
                    .ok()?
            }
            Encoding::Hex => hex::decode(text).ok()?,
            Encoding::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        })
    }

    /// `bytes` as text in this encoding.
    pub(crate) fn decode(self, bytes: &[u8]) -> String {
        match self {
            Encoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
            Encoding::Ascii => bytes.iter().map(|&b| char::from(b & 0x7f)).collect(),
            Encoding::Latin1 => bytes.iter().map(|&b| char::from(b)).collect(),
            Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(bytes),
            Encoding::Hex => hex::encode(bytes),
            Encoding::Utf16Le => {
                let units: Vec<u16> = bytes
                    .chunks_exact(2)
                    .map(|p| u16::from_le_bytes([p[0], p[1]]))
                    .collect();
                String::from_utf16_lossy(&units)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_round_trips() {
        for name in [
            "utf8", "utf-8", "base64", "hex", "binary", "latin1", "ucs2", "utf-16le",
        ] {
            let e = Encoding::parse(name).unwrap_or_else(|| panic!("{name}"));
            let text = if matches!(e, Encoding::Latin1) {
                "caf\u{e9}"
            } else {
                "caf\u{e9} \u{6c49}"
            };
            let plain = match e {
                Encoding::Base64 | Encoding::Hex => e.decode(text.as_bytes()),
                _ => text.to_string(),
            };
            let bytes = e.encode(&plain).unwrap_or_default();
            assert_eq!(e.decode(&bytes), plain, "{name}");
        }
        assert_eq!(Encoding::parse("gbk"), None);
        assert_eq!(Encoding::Base64.encode("aGk="), Some(b"hi".to_vec()));
        assert_eq!(Encoding::Base64.encode("a!"), None);
        assert_eq!(Encoding::Hex.encode("zz"), None);
        assert_eq!(Encoding::Ascii.decode(&[0xe9]), "i");
    }
}
