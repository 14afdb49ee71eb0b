//! `TextEncoder`/`TextDecoder` and `wx`'s base64 helpers: the natives that turn text
//! into bytes and back, and copy the bytes of a buffer or view (text.js).

use rquickjs::{ArrayBuffer, Ctx, Exception, Function, Object, Value};

use crate::runtime::convert::{js_array_buffer, view_bytes, ViewError};

/// Adds `N.utf8Encode`, `N.utf8Decode` and `N.copyBytes`.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, n: &Object<'js>) -> rquickjs::Result<()> {
    n.set(
        "utf8Encode",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, text: rquickjs::String<'js>| {
            js_array_buffer(ctx, crate::runtime::convert::text(&text).as_bytes())
        })?,
    )?;
    n.set(
        "utf8Decode",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             input: Value<'js>,
             fatal: bool,
             ignore_bom: bool|
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
                let bytes = bytes.as_slice();
                let body = if !ignore_bom && bytes.starts_with(b"\xEF\xBB\xBF") {
                    &bytes[3..]
                } else {
                    bytes
                };
                if fatal {
                    std::str::from_utf8(body).map(str::to_owned).map_err(|_| {
                        Exception::throw_type(
                            &ctx,
                            "The encoded data was not valid for encoding utf-8",
                        )
                    })
                } else {
                    Ok(String::from_utf8_lossy(body).into_owned())
                }
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
