//! Native functions behind the environment the prelude builds: printing, timers, UTF-8,
//! CommonJS module loading, and the host facts `wx` reports (network address, storage).

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};

use rquickjs::context::EvalOptions;
use rquickjs::function::Opt;
use rquickjs::{ArrayBuffer, Ctx, Exception, Function, Object, Persistent, Value};

use crate::convert::{js_array_buffer, view_bytes, JsText, ViewError};
use crate::exception::report_exception;
use crate::host::Shared;

/// Adds the environment natives to `n`.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, n: &Object<'js>, host: &Shared) -> rquickjs::Result<()> {
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

    let h = host.clone();
    n.set(
        "setTimer",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  f: Function<'js>,
                  ms: f64,
                  repeat: bool,
                  args: Vec<Value<'js>>|
                  -> u64 {
                let delay = crate::timers::delay(ms);
                let args = args
                    .into_iter()
                    .map(|a| Persistent::save(&ctx, a))
                    .collect();
                h.borrow_mut()
                    .timers
                    .add(delay, repeat, Persistent::save(&ctx, f), args)
            },
        )?,
    )?;
    let h = host.clone();
    n.set(
        "clearTimer",
        Function::new(ctx.clone(), move |id: f64| {
            if id.fract() == 0.0 && id >= 1.0 {
                h.borrow_mut().timers.remove(id as u64);
            }
        })?,
    )?;

    n.set(
        "utf8Encode",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, text: rquickjs::String<'js>| {
            js_array_buffer(ctx, crate::convert::text(&text).as_bytes())
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

    crate::modules::install(ctx, n, host)?;

    let h = host.clone();
    n.set(
        "reportError",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, error: Value<'js>| {
            report_exception(&ctx, &h, error);
        })?,
    )?;

    n.set(
        "localIPAddress",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>| -> rquickjs::Result<Option<Object<'js>>> {
                let Some((ip, mask)) = local_ipv4() else {
                    return Ok(None);
                };
                let obj = Object::new(ctx)?;
                obj.set("localip", ip.to_string())?;
                obj.set("netmask", mask.to_string())?;
                Ok(Some(obj))
            },
        )?,
    )?;
    n.set(
        "networkType",
        Function::new(ctx.clone(), || {
            if local_ipv4().is_some() {
                "wifi"
            } else {
                "none"
            }
        })?,
    )?;

    let h = host.clone();
    n.set(
        "storageGet",
        Function::new(ctx.clone(), move |JsText(key): JsText| {
            h.borrow().storage.get(&key).map(str::to_owned)
        })?,
    )?;
    // Each returns the reason of a failure (the text after `setStorage:fail `), or
    // nothing.
    let h = host.clone();
    n.set(
        "storageSet",
        Function::new(
            ctx.clone(),
            move |JsText(key): JsText, JsText(json): JsText| {
                let result = h.borrow_mut().storage.set(key, json);
                result.err().map(|e| e.reason())
            },
        )?,
    )?;
    let h = host.clone();
    n.set(
        "storageRemove",
        Function::new(ctx.clone(), move |JsText(key): JsText| {
            let result = h.borrow_mut().storage.remove(&key);
            result.err().map(|e| e.reason())
        })?,
    )?;
    let h = host.clone();
    n.set(
        "storageClear",
        Function::new(ctx.clone(), move |_unused: Opt<Value<'js>>| {
            let result = h.borrow_mut().storage.clear();
            result.err().map(|e| e.reason())
        })?,
    )?;
    n.set("storageMaxDepth", crate::storage::MAX_DEPTH)?;
    n.set("storageMaxItem", crate::storage::MAX_ITEM_BYTES)?;
    n.set("storageItemTooLong", crate::storage::ITEM_TOO_LONG)?;

    let base_library = host.borrow().base_library;
    n.set("baseLibrary", base_library.to_string())?;
    n.set(
        "versionAtLeast",
        Function::new(ctx.clone(), move |since: String| {
            base_library.at_least(&since)
        })?,
    )?;
    n.set("system", system_name())?;
    install_project(ctx, n, host)?;
    crate::wifi::install(ctx, n, host)?;
    Ok(())
}

/// The project natives: what the run runs (`N.project`), the device it pretends to be
/// (`N.systemInfo`, JSON text), the page files (`N.pageFile(route)`, confined to the
/// package) and the hook through which the prelude describes the pages at exit.
fn install_project<'js>(ctx: &Ctx<'js>, n: &Object<'js>, host: &Shared) -> rquickjs::Result<()> {
    let (project, info) = {
        let h = host.borrow();
        let p = &h.project;
        let project = serde_json::json!({
            "kind": p.kind.name(),
            "root": p.root.to_string_lossy(),
            "main": p.main.to_string_lossy(),
            "pages": p.pages,
            "entry": p.entry,
            "query": p.query,
        });
        let info = crate::platform::system_info(h.platform, &h.base_library.to_string());
        (project.to_string(), info.to_string())
    };
    n.set("projectJson", project)?;
    n.set("systemInfoJson", info)?;
    n.set(
        "mapStack",
        Function::new(ctx.clone(), |JsText(stack): JsText| {
            crate::transform::map_stack(&stack)
        })?,
    )?;
    let h = host.clone();
    n.set(
        "pageFile",
        Function::new(ctx.clone(), move |JsText(route): JsText| {
            let root = h.borrow().root.clone();
            crate::project::page_file(&root, &route).map(|p| p.to_string_lossy().into_owned())
        })?,
    )?;
    let h = host.clone();
    n.set(
        "setPagesReporter",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, f: Function<'js>| {
            h.borrow_mut().pages_reporter = Some(Persistent::save(&ctx, f));
        })?,
    )?;
    Ok(())
}

/// Evaluates `source` as a global script in sloppy mode (as mini-program code often
/// is), whose stack frames and syntax errors name `filename`.
pub(crate) fn eval_named<'js>(
    ctx: &Ctx<'js>,
    source: &str,
    filename: &str,
) -> rquickjs::Result<Value<'js>> {
    if source.contains('\0') {
        return Err(Exception::throw_syntax(
            ctx,
            &format!("{filename}: the file contains a NUL byte"),
        ));
    }
    let mut options = EvalOptions::default();
    options.strict = false;
    options.filename = Some(filename.replace('\0', ""));
    ctx.eval_with_options(source, options)
}

/// The first IPv4 address (and netmask) of an interface that is up and not loopback.
fn local_ipv4() -> Option<(Ipv4Addr, Ipv4Addr)> {
    use nix::net::if_::InterfaceFlags;
    nix::ifaddrs::getifaddrs().ok()?.find_map(|iface| {
        if !iface.flags.contains(InterfaceFlags::IFF_UP)
            || iface.flags.contains(InterfaceFlags::IFF_LOOPBACK)
        {
            return None;
        }
        let ip = iface.address?.as_sockaddr_in()?.ip();
        let mask = iface.netmask?.as_sockaddr_in()?.ip();
        (!IpAddr::V4(ip).is_loopback()).then_some((ip, mask))
    })
}

fn system_name() -> String {
    nix::sys::utsname::uname()
        .map(|u| {
            format!(
                "{} {}",
                u.sysname().to_string_lossy(),
                u.release().to_string_lossy()
            )
        })
        .unwrap_or_else(|_| "Linux".into())
}
