//! How an exception that a script let through is reported: its text and stack on
//! stderr, and a failed run.
//!
//! A script may throw anything: an Error, a string, a plain object, an object without a
//! prototype, a Proxy, a Symbol. Describing it reads properties, which may run getters
//! and Proxy traps; so the description reads a bounded number of them (a few levels, a
//! few keys each, a budget in all), treats one that throws as missing (the exception is
//! discarded), and never calls `toString`, `toJSON` or `valueOf`. A getter that never
//! returns is ended like any script code, by `--timeout` or Ctrl-C.

use std::cell::RefCell;
use std::collections::HashSet;

use rquickjs::{Ctx, Function, Object, Type, Value};

use crate::runtime::host::Shared;

/// The names a script looked up on `wx` that it does not have (wx's prototype is a
/// Proxy that sees only those: runtime/main.js), for naming the API of a "not a
/// function" TypeError.
#[derive(Debug, Default)]
struct Missing {
    /// The base library emulated, for the note.
    base_library: String,
    /// The last name looked up, and where in the script (`file:line`).
    last: Option<(String, String)>,
    /// Names already told about: once each.
    told: HashSet<String>,
}

thread_local! {
    static MISSING: RefCell<Missing> = RefCell::default();
}

/// The first frame of `stack` in the script's own code (not the prelude's, not a native
/// function), as `file:line`.
fn script_site(stack: &str) -> Option<String> {
    stack
        .lines()
        .filter_map(|line| line.trim().strip_prefix("at "))
        .find_map(|frame| {
            let place = frame
                .rsplit_once('(')
                .map_or(frame, |(_, p)| p)
                .trim_end_matches(')');
            if place.starts_with("wxudp:") || place == "native" {
                return None;
            }
            let (file_line, column) = place.rsplit_once(':')?;
            column.parse::<u32>().ok()?;
            Some(file_line.to_owned())
        })
}

/// The note for a "not a function" TypeError thrown where the script last looked up a
/// name `wx` lacks: `wx.foo is not available in wxudp (base library 3.8.9); see
/// docs/PLATFORM.md`, once per name.
fn missing_api_note(name: &str, message: &str, stack: Option<&str>) -> Option<String> {
    if name != "TypeError" || !message.ends_with("not a function") {
        return None;
    }
    let site = script_site(stack?)?;
    MISSING.with(|missing| {
        let mut missing = missing.borrow_mut();
        let (api, looked_up_at) = missing.last.clone()?;
        if looked_up_at != site || !missing.told.insert(api.clone()) {
            return None;
        }
        Some(format!(
            "wxudp: wx.{api} is not available in wxudp (base library {}); see docs/PLATFORM.md",
            missing.base_library
        ))
    })
}

/// Levels of nested objects shown (`{ a: { b: [Object] } }`).
const DEPTH: usize = 2;
/// Properties shown per object or array.
const KEYS: usize = 20;
/// Properties read in all for one description.
const BUDGET: usize = 200;
/// Characters shown of a string.
const STRING_CHARS: usize = 1000;

/// Prints an uncaught exception with its stack to stderr and marks the run failed.
pub(crate) fn report_exception<'js>(ctx: &Ctx<'js>, host: &Shared, value: Value<'js>) {
    if host.borrow().stop.reason().is_some() {
        // The script was stopped from outside; that is not its exception.
        return;
    }
    eprintln!("{}", describe_exception(ctx, value));
    host.borrow_mut().exit_code = 1;
}

/// `Uncaught Error: message` and the stack for an Error (anything with a string
/// `message`); `Uncaught ` and a Node-like inspection (`{ a: 1 }`, `Symbol(s)`,
/// `[Object: null prototype] {}`) for any other value.
pub(crate) fn describe_exception<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> String {
    if let Some(obj) = value.as_object() {
        if let Some(message) = string_property(obj, "message") {
            let name = string_property(obj, "name").unwrap_or_else(|| "Error".into());
            let mut text = format!("Uncaught {name}: {message}");
            let stack = string_property(obj, "stack").filter(|s| !s.is_empty());
            if let Some(stack) = &stack {
                text.push('\n');
                text.push_str(crate::package::transform::map_stack(stack).trim_end());
            }
            if let Some(note) = missing_api_note(&name, &message, stack.as_deref()) {
                text.push('\n');
                text.push_str(&note);
            }
            return text;
        }
    }
    let shown = match value.as_string() {
        // A thrown string is shown as it is (`Uncaught boom`).
        Some(s) => s.to_string().unwrap_or_default(),
        None => Inspector {
            ctx: ctx.clone(),
            budget: BUDGET,
            seen: Vec::new(),
        }
        .inspect(&value, 0),
    };
    format!("Uncaught {shown}")
}

/// A property, or `None` when reading it throws (the exception is discarded).
fn property<'js>(obj: &Object<'js>, key: &str) -> Option<Value<'js>> {
    match obj.get::<_, Value<'js>>(key) {
        Ok(v) => Some(v),
        Err(_) => {
            let _ = obj.ctx().catch();
            None
        }
    }
}

/// A property that is a string.
fn string_property(obj: &Object<'_>, key: &str) -> Option<String> {
    property(obj, key)?.as_string()?.to_string().ok()
}

struct Inspector<'js> {
    ctx: Ctx<'js>,
    /// Properties that may still be read.
    budget: usize,
    /// The objects being shown, outermost first, to spot cycles.
    seen: Vec<Object<'js>>,
}

impl<'js> Inspector<'js> {
    fn inspect(&mut self, value: &Value<'js>, depth: usize) -> String {
        match value.type_of() {
            Type::Uninitialized | Type::Undefined => "undefined".into(),
            Type::Null => "null".into(),
            Type::Bool => value.as_bool().unwrap_or_default().to_string(),
            Type::Int | Type::Float => number(value.as_number().unwrap_or(f64::NAN)),
            Type::String => {
                let text = value
                    .as_string()
                    .and_then(|s| s.to_string().ok())
                    .unwrap_or_default();
                quote(&text)
            }
            Type::Symbol => {
                let description = value
                    .as_symbol()
                    .and_then(|s| match s.description() {
                        Ok(d) => Some(d),
                        Err(_) => {
                            let _ = self.ctx.catch();
                            None
                        }
                    })
                    .and_then(|d| d.as_string().and_then(|s| s.to_string().ok()))
                    .unwrap_or_default();
                format!("Symbol({description})")
            }
            Type::BigInt => match value.as_big_int().map(|b| b.clone().to_i64()) {
                Some(Ok(n)) => format!("{n}n"),
                _ => {
                    let _ = self.ctx.catch();
                    "[BigInt]".into()
                }
            },
            Type::Function | Type::Constructor => {
                let name = value
                    .as_object()
                    .and_then(|f| self.string(f, "name"))
                    .filter(|n| !n.is_empty());
                match name {
                    Some(name) => format!("[Function: {name}]"),
                    None => "[Function (anonymous)]".into(),
                }
            }
            _ => match value.as_object() {
                Some(obj) => self.object(obj, value.is_array(), depth),
                None => format!("[{}]", value.type_name()),
            },
        }
    }

    /// Reads a property within the budget.
    fn get(&mut self, obj: &Object<'js>, key: &str) -> Option<Value<'js>> {
        if self.budget == 0 {
            return None;
        }
        self.budget -= 1;
        property(obj, key)
    }

    fn string(&mut self, obj: &Object<'js>, key: &str) -> Option<String> {
        self.get(obj, key)?.as_string()?.to_string().ok()
    }

    fn object(&mut self, obj: &Object<'js>, array: bool, depth: usize) -> String {
        if self.seen.contains(obj) {
            return "[Circular]".into();
        }
        if let Some(message) = self.string(obj, "message") {
            let name = self.string(obj, "name").unwrap_or_else(|| "Error".into());
            return format!("[{name}: {message}]");
        }
        if depth > DEPTH {
            return if array { "[Array]" } else { "[Object]" }.into();
        }
        self.seen.push(obj.clone());
        let shown = if array {
            self.array(obj, depth)
        } else {
            self.plain(obj, depth)
        };
        self.seen.pop();
        shown
    }

    /// Whether `obj` has no prototype, asked through `Object.getPrototypeOf` so that a
    /// Proxy trap that throws is an exception (discarded), not a panic (rquickjs'
    /// `Object::get_prototype` assumes it cannot fail).
    fn null_prototype(&mut self, obj: &Object<'js>) -> bool {
        let get_prototype_of = self
            .ctx
            .globals()
            .get::<_, Object<'js>>("Object")
            .and_then(|o| o.get::<_, rquickjs::Function<'js>>("getPrototypeOf"));
        match get_prototype_of.and_then(|f| f.call::<_, Value<'js>>((obj.clone(),))) {
            Ok(proto) => proto.is_null(),
            Err(_) => {
                let _ = self.ctx.catch();
                false
            }
        }
    }

    fn array(&mut self, obj: &Object<'js>, depth: usize) -> String {
        // `length` of a Proxy may be anything: read it as a value, never assume it.
        let length = self
            .get(obj, "length")
            .and_then(|l| l.as_number())
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map_or(0, |n| n.min(u32::MAX as f64) as usize);
        let mut parts = Vec::new();
        for i in 0..length.min(KEYS) {
            if self.budget == 0 {
                break;
            }
            let item = self.get(obj, &i.to_string());
            parts.push(match item {
                Some(v) => self.inspect(&v, depth + 1),
                None => "<unreadable>".into(),
            });
        }
        if length > parts.len() {
            parts.push(format!("... {} more items", length - parts.len()));
        }
        if parts.is_empty() {
            "[]".into()
        } else {
            format!("[ {} ]", parts.join(", "))
        }
    }

    fn plain(&mut self, obj: &Object<'js>, depth: usize) -> String {
        let prefix = if self.null_prototype(obj) {
            "[Object: null prototype] "
        } else {
            ""
        };
        let mut keys = Vec::new();
        let mut more = false;
        for key in obj.keys::<String>() {
            match key {
                Ok(key) if keys.len() < KEYS => keys.push(key),
                Ok(_) => {
                    more = true;
                    break;
                }
                Err(_) => {
                    let _ = self.ctx.catch();
                    break;
                }
            }
        }
        let mut parts = Vec::new();
        for key in &keys {
            if self.budget == 0 {
                more = true;
                break;
            }
            let shown = match self.get(obj, key) {
                Some(v) => self.inspect(&v, depth + 1),
                None => "<unreadable>".into(),
            };
            parts.push(format!("{}: {shown}", key_name(key)));
        }
        if more {
            parts.push("...".into());
        }
        if parts.is_empty() {
            format!("{prefix}{{}}")
        } else {
            format!("{prefix}{{ {} }}", parts.join(", "))
        }
    }
}

/// A number as JavaScript prints it, near enough (`1`, `-0`, `1.5`, `NaN`).
fn number(n: f64) -> String {
    if n == 0.0 && n.is_sign_negative() {
        "-0".into()
    } else if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

/// A string in single quotes, escaped and shortened.
fn quote(text: &str) -> String {
    let mut out = String::from("'");
    for (i, c) in text.chars().enumerate() {
        if i == STRING_CHARS {
            out.push_str("...");
            break;
        }
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A property name as an object literal would write it.
fn key_name(key: &str) -> String {
    let mut chars = key.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier {
        key.into()
    } else {
        quote(key)
    }
}

/// Adds `N.reportError(e)`: reports an exception the prelude caught on the script's
/// behalf (a listener of `wx.onAppHide`, a success callback) and marks the run failed.
///
/// Adds `N.noteMissingWx(name, stack)` too: the prototype Proxy of `wx` calls it with a
/// name `wx` lacks and the stack where it was looked up.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, n: &Object<'js>, host: &Shared) -> rquickjs::Result<()> {
    let base_library = host.borrow().base_library.to_string();
    MISSING.with(|missing| {
        *missing.borrow_mut() = Missing {
            base_library,
            ..Missing::default()
        };
    });
    n.set(
        "noteMissingWx",
        Function::new(ctx.clone(), |name: String, stack: String| {
            if let Some(site) = script_site(&stack) {
                MISSING.with(|missing| missing.borrow_mut().last = Some((name, site)));
            }
        })?,
    )?;
    let h = host.clone();
    n.set(
        "reportError",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, error: Value<'js>| {
            report_exception(&ctx, &h, error);
        })?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    #[test]
    fn the_scripts_own_frame_is_the_site() {
        let stack = "    at get (wxudp:internal/prelude.js:10:5)\n    at f (/p/app.js:3:7)\n    \
                     at call (native)\n";
        assert_eq!(super::script_site(stack).as_deref(), Some("/p/app.js:3"));
        assert_eq!(
            super::script_site("    at <anonymous> (a.js:1:258)").as_deref(),
            Some("a.js:1")
        );
        assert_eq!(super::script_site("    at call (native)"), None);
        assert_eq!(super::script_site(""), None);
    }

    use rquickjs::{CatchResultExt, Context, Runtime};

    use super::*;

    /// What `throw <source>` is described as.
    fn described(source: &str) -> String {
        let rt = Runtime::new().unwrap();
        let context = Context::full(&rt).unwrap();
        context.with(|ctx| {
            let thrown = ctx
                .eval::<(), _>(format!("(function () {{ {source} }})()"))
                .catch(&ctx)
                .expect_err("the script throws");
            let value = match thrown {
                rquickjs::CaughtError::Exception(e) => e.into_value(),
                rquickjs::CaughtError::Value(v) => v,
                rquickjs::CaughtError::Error(e) => panic!("{e}"),
            };
            let text = describe_exception(&ctx, value);
            // Nothing is left pending.
            let pending = ctx.catch();
            assert!(
                matches!(
                    pending.type_of(),
                    Type::Uninitialized | Type::Undefined | Type::Null
                ),
                "{pending:?}"
            );
            text
        })
    }

    #[test]
    fn plain_values_read_like_node() {
        assert_eq!(described("throw {a: 1}"), "Uncaught { a: 1 }");
        assert_eq!(
            described("throw {a: 'x', b: [1, 2, {c: null}], 'odd key': undefined, n: -0}"),
            "Uncaught { a: 'x', b: [ 1, 2, { c: null } ], 'odd key': undefined, n: -0 }"
        );
        assert_eq!(
            described("throw Object.create(null)"),
            "Uncaught [Object: null prototype] {}"
        );
        assert_eq!(described("throw Symbol('s')"), "Uncaught Symbol(s)");
        assert_eq!(described("throw 'plain text'"), "Uncaught plain text");
        assert_eq!(described("throw 42"), "Uncaught 42");
        assert_eq!(described("throw 1.5"), "Uncaught 1.5");
        assert_eq!(described("throw null"), "Uncaught null");
        assert_eq!(described("throw undefined"), "Uncaught undefined");
        assert_eq!(described("throw 10n"), "Uncaught 10n");
        assert_eq!(
            described("throw function named() {}"),
            "Uncaught [Function: named]"
        );
        assert_eq!(described("throw [1, 'two']"), "Uncaught [ 1, 'two' ]");
        assert_eq!(
            described("const o = {}; o.self = o; throw o"),
            "Uncaught { self: [Circular] }"
        );
        assert_eq!(
            described("throw {a: {b: {c: {d: 1}}}}"),
            "Uncaught { a: { b: { c: [Object] } } }"
        );
        assert_eq!(
            described("throw {inner: new TypeError('bad')}"),
            "Uncaught { inner: [TypeError: bad] }"
        );
        assert!(described("throw new RangeError('r')").starts_with("Uncaught RangeError: r\n"));
    }

    #[test]
    fn hostile_values_are_described_without_crashing() {
        // toString and valueOf are never called.
        assert_eq!(
            described("throw {toString() { throw 1; }, valueOf() { throw 2; }}"),
            "Uncaught { toString: [Function: toString], valueOf: [Function: valueOf] }"
        );
        // Getters that throw read as unreadable; the exception is discarded.
        assert_eq!(
            described("throw {get a() { throw new Error('no'); }, b: 2}"),
            "Uncaught { a: <unreadable>, b: 2 }"
        );
        assert_eq!(
            described("throw {get message() { throw 1; }, get name() { throw 2; }}"),
            "Uncaught { message: <unreadable>, name: <unreadable> }"
        );
        // Proxies: traps run, and a throwing one stops the description, not the run.
        assert_eq!(
            described("throw new Proxy({a: 1}, {})"),
            "Uncaught { a: 1 }"
        );
        assert_eq!(
            described(
                "throw new Proxy({}, {ownKeys() { throw new Error('trap'); }, \
                 getPrototypeOf() { throw new Error('trap'); }, get() { throw 3; }})"
            ),
            "Uncaught {}"
        );
        // A Proxy of an array shows its own enumerable keys; a length of 1e300 is not
        // trusted.
        assert_eq!(
            described("throw new Proxy([], {get(t, k) { return k === 'length' ? 1e300 : 7; }})"),
            "Uncaught {}"
        );
        // A wide object: a bounded number of properties is read.
        let wide = described(
            "let reads = 0; const o = {}; \
             for (let i = 0; i < 100000; i++) Object.defineProperty(o, 'k' + i, \
             {enumerable: true, get() { reads++; return reads; }}); throw o",
        );
        assert!(wide.ends_with(", ... }"), "{wide}");
        assert!(wide.len() < 1000, "{wide}");
        // A Symbol whose description getter was replaced.
        assert_eq!(
            described(
                "Object.defineProperty(Symbol.prototype, 'description', {get() { throw 1; }}); \
                 throw Symbol('x')"
            ),
            "Uncaught Symbol()"
        );
    }
}
