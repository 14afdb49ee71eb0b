//! `console`: the native that prints a formatted line (console.js formats it).

use std::io::Write;

use std::sync::Arc;

use rquickjs::{Ctx, Function, Object};

use crate::observe::Observer;
use crate::runtime::convert::JsText;

/// Adds `N.print(level, text)`; each line also goes to `noting`'s timeline (the
/// report's), when there is one.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    n: &Object<'js>,
    noting: Option<Arc<Observer>>,
) -> rquickjs::Result<()> {
    n.set(
        "print",
        Function::new(ctx.clone(), move |level: String, JsText(text): JsText| {
            if let Some(observer) = &noting {
                match level.as_str() {
                    "ui" => observer.note("ui", &text),
                    "log" | "info" | "debug" => observer.note("console", &text),
                    other => observer.note("console", &format!("{other}: {text}")),
                }
            }
            // A closed pipe (`wxudp run app.js | head -1`) must not stop the script.
            let _ = match level.as_str() {
                "warn" | "error" | "ui" => writeln!(std::io::stderr().lock(), "{text}"),
                _ => writeln!(std::io::stdout().lock(), "{text}"),
            };
        })?,
    )?;

    Ok(())
}
