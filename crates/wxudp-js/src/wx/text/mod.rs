//! `TextEncoder`/`TextDecoder` and `wx`'s base64 helpers: the natives that turn text
//! into bytes and back, and copy the bytes of a buffer or view (text.js).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use encoding_rs::{Decoder, DecoderResult, Encoding};
use rquickjs::{ArrayBuffer, Ctx, Exception, Function, Object, Value};

use crate::runtime::convert::{js_array_buffer, view_bytes, JsText, ViewError};

/// TextDecoders in the middle of a stream (`decode(bytes, { stream: true })`) at most:
/// beyond it the oldest forgets its pending bytes.
const MAX_STREAMS: usize = 4096;

/// The encoding a WHATWG label names, if a TextDecoder may decode it (never the
/// "replacement" encoding).
fn encoding_of(label: &str) -> Option<&'static Encoding> {
    Encoding::for_label(label.trim().as_bytes()).filter(|e| *e != encoding_rs::REPLACEMENT)
}

/// An encoding's name as `TextDecoder.encoding` gives it: `utf-8`, `gbk`, `utf-16le`.
fn name(encoding: &'static Encoding) -> String {
    encoding.name().to_ascii_lowercase()
}

/// How one `decode` call reads.
struct Decode {
    /// The TextDecoder's number (its stream's state is kept under it).
    id: u64,
    fatal: bool,
    ignore_bom: bool,
    stream: bool,
}

/// The state of the TextDecoders in the middle of a stream: what encoding_rs keeps of
/// a character split between two calls.
#[derive(Default)]
struct Decoders {
    next: u64,
    live: HashMap<u64, Decoder>,
}

impl Decoders {
    fn next_id(&mut self) -> f64 {
        self.next += 1;
        self.next as f64
    }

    /// Decodes `bytes` in `label`'s encoding (the WHATWG Encoding standard's decode):
    /// a byte order mark is dropped unless `ignore_bom`; malformed input is U+FFFD, or
    /// with `fatal` an error (the stream starts over); with `stream`, a character
    /// split at the end waits for the next call.
    fn decode(&mut self, label: &str, bytes: &[u8], how: Decode) -> Result<String, String> {
        let encoding = encoding_of(label)
            .ok_or_else(|| format!("The \"{label}\" encoding is not supported"))?;
        let mut decoder = self.live.remove(&how.id).unwrap_or_else(|| {
            if how.ignore_bom {
                encoding.new_decoder_without_bom_handling()
            } else {
                encoding.new_decoder_with_bom_removal()
            }
        });
        let last = !how.stream;
        let mut out = String::with_capacity(
            decoder
                .max_utf8_buffer_length(bytes.len())
                .unwrap_or(bytes.len().saturating_mul(3)),
        );
        if how.fatal {
            let (result, _read) =
                decoder.decode_to_string_without_replacement(bytes, &mut out, last);
            if let DecoderResult::Malformed(_, _) = result {
                return Err(format!(
                    "The encoded data was not valid for encoding {}",
                    name(encoding)
                ));
            }
        } else {
            let _ = decoder.decode_to_string(bytes, &mut out, last);
        }
        if how.stream {
            if self.live.len() >= MAX_STREAMS {
                if let Some(&oldest) = self.live.keys().min() {
                    self.live.remove(&oldest);
                }
            }
            self.live.insert(how.id, decoder);
        }
        Ok(out)
    }
}

/// Adds `N.utf8Encode`, `N.textEncoding`, `N.textDecode` (and the stream state's
/// `N.textDecoderId`/`N.textDecoderFree`) and `N.copyBytes`.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, n: &Object<'js>) -> rquickjs::Result<()> {
    n.set(
        "utf8Encode",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, text: rquickjs::String<'js>| {
            js_array_buffer(ctx, crate::runtime::convert::text(&text).as_bytes())
        })?,
    )?;
    let decoders = Rc::new(RefCell::new(Decoders::default()));
    n.set(
        "textEncoding",
        Function::new(ctx.clone(), |JsText(label): JsText| {
            encoding_of(&label).map(name)
        })?,
    )?;
    let d = decoders.clone();
    n.set(
        "textDecoderId",
        Function::new(ctx.clone(), move || d.borrow_mut().next_id())?,
    )?;
    let d = decoders.clone();
    n.set(
        "textDecoderFree",
        Function::new(ctx.clone(), move |id: f64| {
            d.borrow_mut().live.remove(&(id as u64));
        })?,
    )?;
    let d = decoders;
    n.set(
        "textDecode",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  input: Value<'js>,
                  options: Object<'js>|
                  -> rquickjs::Result<String> {
                // A copy: nothing of the buffer is borrowed while the decoder works.
                let bytes = match view_bytes(&input) {
                    Ok(bytes) => bytes,
                    // A detached buffer, or a view (now) outside its buffer, reads as
                    // nothing, as a zero-length view does in browsers.
                    Err(ViewError::Detached | ViewError::OutOfRange) => Vec::new(),
                    Err(ViewError::NotBuffer) => {
                        return Err(Exception::throw_type(
                            &ctx,
                            "The \"input\" argument must be an ArrayBuffer or ArrayBufferView",
                        ))
                    }
                };
                let JsText(label) = options.get("encoding")?;
                let how = Decode {
                    id: options.get::<_, f64>("id")? as u64,
                    fatal: options.get("fatal")?,
                    ignore_bom: options.get("ignoreBOM")?,
                    stream: options.get("stream")?,
                };
                d.borrow_mut()
                    .decode(&label, &bytes, how)
                    .map_err(|e| Exception::throw_type(&ctx, &e))
            },
        )?,
    )?;

    n.set(
        "copyBytes",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, input: Value<'js>| -> rquickjs::Result<ArrayBuffer<'js>> {
                let bytes = match view_bytes(&input) {
                    Ok(bytes) => bytes,
                    Err(ViewError::Detached | ViewError::OutOfRange) => Vec::new(),
                    Err(ViewError::NotBuffer) => {
                        return Err(Exception::throw_type(
                            &ctx,
                            "The argument must be an ArrayBuffer or ArrayBufferView",
                        ))
                    }
                };
                js_array_buffer(ctx, &bytes)
            },
        )?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn decode(
        d: &mut Decoders,
        label: &str,
        bytes: &[u8],
        stream: bool,
        fatal: bool,
    ) -> Result<String, String> {
        d.decode(
            label,
            bytes,
            Decode {
                id: 1,
                fatal,
                ignore_bom: false,
                stream,
            },
        )
    }

    #[test]
    fn streams_keep_a_split_character_and_encodings_follow_whatwg() {
        let mut d = Decoders::default();
        let euro = "€".as_bytes();
        assert_eq!(
            decode(&mut d, "utf-8", &euro[..2], true, false).unwrap(),
            ""
        );
        assert_eq!(
            decode(&mut d, "utf-8", &euro[2..], false, false).unwrap(),
            "€"
        );
        assert!(d.live.is_empty(), "a final call forgets the stream");
        // Without stream, a split character is malformed.
        assert_eq!(
            decode(&mut d, "utf8", &euro[..2], false, false).unwrap(),
            "\u{fffd}"
        );
        assert!(decode(&mut d, "utf-8", &euro[..2], false, true)
            .unwrap_err()
            .contains("not valid for encoding utf-8"));
        // GBK (Chinese devices) and UTF-16LE.
        assert_eq!(
            decode(&mut d, "gbk", &[0xc4, 0xe3, 0xba, 0xc3], false, false).unwrap(),
            "你好"
        );
        assert_eq!(
            decode(&mut d, "GB18030", &[0xc4, 0xe3], false, false).unwrap(),
            "你"
        );
        assert_eq!(
            decode(&mut d, "utf-16le", &[0xff, 0xfe, 0x41, 0x00], false, false).unwrap(),
            "A"
        );
        assert_eq!(
            decode(&mut d, "utf-8", b"\xEF\xBB\xBFx", false, false).unwrap(),
            "x"
        );
        let kept = d.decode(
            "utf-8",
            b"\xEF\xBB\xBFx",
            Decode {
                id: 2,
                fatal: false,
                ignore_bom: true,
                stream: false,
            },
        );
        assert_eq!(kept.unwrap(), "\u{feff}x");
        assert!(decode(&mut d, "klingon", b"x", false, false).is_err());
        assert!(encoding_of("replacement").is_none() && encoding_of("iso-2022-kr").is_none());
        assert_eq!(
            encoding_of(" Unicode-1-1-UTF-8 ").map(name).as_deref(),
            Some("utf-8")
        );
    }
}
