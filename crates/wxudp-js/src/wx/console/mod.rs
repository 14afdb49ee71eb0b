//! `console`: the native that prints a formatted line (console.js formats it).

use std::io::Write;

use rquickjs::{Ctx, Function, Object};

use crate::runtime::convert::JsText;

/// Adds `N.print(level, text)`.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, n: &Object<'js>) -> rquickjs::Result<()> {
    n.set(
        "print",
        Function::new(ctx.clone(), |level: String, JsText(text): JsText| {
            // A closed pipe (`wxudp run app.js | head -1`) must not stop the script.
            let _ = match level.as_str() {
                "warn" | "error" | "ui" => writeln!(std::io::stderr().lock(), "{text}"),
                _ => writeln!(std::io::stdout().lock(), "{text}"),
            };
        })?,
    )?;

    Ok(())
}
