//! How an exception that a script let through is reported: its text and stack on
//! stderr, and a failed run.

use rquickjs::{Ctx, Value};

use crate::host::Shared;

/// Prints an uncaught exception with its stack to stderr and marks the run failed.
pub(crate) fn report_exception<'js>(ctx: &Ctx<'js>, host: &Shared, value: Value<'js>) {
    if host.borrow().stop.reason().is_some() {
        // The script was stopped from outside; that is not its exception.
        return;
    }
    eprintln!("{}", describe_exception(ctx, value));
    host.borrow_mut().exit_code = 1;
}

/// `Uncaught Error: message` and the stack, for an exception value.
pub(crate) fn describe_exception<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> String {
    if let Some(obj) = value.as_object() {
        let name: Option<String> = obj.get("name").ok();
        let message: Option<String> = obj.get("message").ok();
        let stack: Option<String> = obj.get("stack").ok();
        if let Some(message) = message {
            let mut text = format!(
                "Uncaught {}: {message}",
                name.unwrap_or_else(|| "Error".into())
            );
            if let Some(stack) = stack.filter(|s| !s.is_empty()) {
                text.push('\n');
                text.push_str(stack.trim_end());
            }
            return text;
        }
    }
    let shown = value
        .as_string()
        .and_then(|s| s.to_string().ok())
        .or_else(|| {
            ctx.json_stringify(value.clone())
                .ok()
                .flatten()
                .and_then(|s| s.to_string().ok())
        })
        .unwrap_or_else(|| format!("{value:?}"));
    format!("Uncaught {shown}")
}
