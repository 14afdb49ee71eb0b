//! Native functions behind the environment the prelude builds: printing, timers, UTF-8,
//! CommonJS module loading, and the host facts `wx` reports (network address, storage).

use std::ffi::CString;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use rquickjs::function::Opt;
use rquickjs::{qjs, ArrayBuffer, Ctx, Exception, Function, Object, Persistent, Value};
use wxudp::Payload;

use crate::convert::{message_bytes, MessageBytes};
use crate::exception::report_exception;
use crate::host::Shared;

/// Adds the environment natives to `n`.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, n: &Object<'js>, host: &Shared) -> rquickjs::Result<()> {
    n.set(
        "print",
        Function::new(ctx.clone(), |level: String, text: String| {
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
        Function::new(ctx.clone(), |ctx: Ctx<'js>, text: String| {
            ArrayBuffer::new(ctx, text.into_bytes())
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
                let input = match message_bytes(wxudp::Method::Receive, &input) {
                    Ok(view @ MessageBytes::Buffer(..)) => view,
                    _ => {
                        return Err(Exception::throw_type(
                            &ctx,
                            "The \"input\" argument must be an ArrayBuffer or ArrayBufferView",
                        ))
                    }
                };
                // A detached buffer (or a view outside it) decodes as nothing.
                let bytes = match input.payload() {
                    Ok(Payload::Bytes(bytes)) => bytes,
                    Ok(Payload::Text(_)) | Err(_) => &[],
                };
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

    let h = host.clone();
    n.set(
        "resolve",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, dir: String, request: String| {
                let root = h.borrow().root.clone();
                resolve(Path::new(&dir), &root, &request)
                    .map(|p| p.to_string_lossy().into_owned())
                    .ok_or_else(|| {
                        Exception::throw_message(
                            &ctx,
                            &format!("Cannot find module '{request}' from '{dir}'"),
                        )
                    })
            },
        )?,
    )?;
    n.set(
        "readFile",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, path: String| {
            std::fs::read_to_string(&path)
                .map_err(|e| Exception::throw_message(&ctx, &format!("cannot read {path}: {e}")))
        })?,
    )?;
    n.set(
        "compile",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, path: String| {
            compile_module(&ctx, Path::new(&path))
        })?,
    )?;

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
        Function::new(ctx.clone(), move |key: String| {
            h.borrow().storage.get(&key).map(str::to_owned)
        })?,
    )?;
    let h = host.clone();
    n.set(
        "storageSet",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, key: String, json: String| {
                let result = h.borrow_mut().storage.set(key, json);
                storage_result(&ctx, result)
            },
        )?,
    )?;
    let h = host.clone();
    n.set(
        "storageRemove",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, key: String| {
            let result = h.borrow_mut().storage.remove(&key);
            storage_result(&ctx, result)
        })?,
    )?;
    let h = host.clone();
    n.set(
        "storageClear",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, _unused: Opt<Value<'js>>| {
                let result = h.borrow_mut().storage.clear();
                storage_result(&ctx, result)
            },
        )?,
    )?;

    n.set("baseLibrary", host.borrow().base_library.clone())?;
    n.set("system", system_name())?;
    Ok(())
}

fn storage_result(ctx: &Ctx<'_>, result: std::io::Result<()>) -> rquickjs::Result<()> {
    result.map_err(|e| Exception::throw_message(ctx, &format!("cannot save the storage file: {e}")))
}

/// `require` resolution: relative to the requiring file's directory, then (for bare
/// names, as mini programs write `require('utils/udp.js')`) to the main script's
/// directory; with `.js`, `.json` and `/index.js` tried in turn.
fn resolve(dir: &Path, root: &Path, request: &str) -> Option<PathBuf> {
    let relative =
        request.starts_with("./") || request.starts_with("../") || request.starts_with('/');
    let bases: Vec<PathBuf> = if relative {
        vec![dir.join(request)]
    } else {
        vec![dir.join(request), root.join(request)]
    };
    for base in bases {
        let mut candidates = vec![base.clone()];
        for ext in ["js", "json"] {
            let mut name = base.clone().into_os_string();
            name.push(".");
            name.push(ext);
            candidates.push(PathBuf::from(name));
        }
        candidates.push(base.join("index.js"));
        if let Some(found) = candidates.into_iter().find(|p| p.is_file()) {
            return Some(normalize(&found));
        }
    }
    None
}

/// An absolute path without `.` and `..` parts, so each module has one cache key.
fn normalize(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Compiles a CommonJS module into its wrapper function, keeping line numbers: the
/// wrapper opens on the module's first line.
pub(crate) fn compile_module<'js>(ctx: &Ctx<'js>, path: &Path) -> rquickjs::Result<Function<'js>> {
    let source = std::fs::read_to_string(path).map_err(|e| {
        Exception::throw_message(ctx, &format!("cannot read {}: {e}", path.display()))
    })?;
    let body = match source.strip_prefix("#!") {
        // Keep the line so that line numbers do not move.
        Some(rest) => format!("//{rest}"),
        None => source,
    };
    let wrapped =
        format!("(function (exports, require, module, __filename, __dirname) {{{body}\n}})");
    let value = eval_named(ctx, &wrapped, &path.to_string_lossy())?;
    value
        .into_function()
        .ok_or_else(|| Exception::throw_type(ctx, "a module did not compile to a function"))
}

/// Evaluates `source` as a global script whose stack frames and syntax errors name
/// `filename` (rquickjs' own `eval` names every script `eval_script`).
#[allow(unsafe_code)]
pub(crate) fn eval_named<'js>(
    ctx: &Ctx<'js>,
    source: &str,
    filename: &str,
) -> rquickjs::Result<Value<'js>> {
    let len = source.len();
    let source = CString::new(source).map_err(|_| {
        Exception::throw_syntax(ctx, &format!("{filename}: the file contains a NUL byte"))
    })?;
    let filename = CString::new(filename).unwrap_or_else(|_| c"module".to_owned());
    // SAFETY: `ctx.as_raw()` is the live context this `Ctx` borrows; `source` and
    // `filename` are NUL-terminated and outlive the call, and `len` is the source length
    // without the terminator, as JS_Eval requires. JS_Eval returns an owned JSValue.
    let raw = unsafe {
        qjs::JS_Eval(
            ctx.as_raw().as_ptr(),
            source.as_ptr(),
            len as _,
            filename.as_ptr(),
            qjs::JS_EVAL_TYPE_GLOBAL as i32,
        )
    };
    // SAFETY: `raw` is an owned value of this context; `Value` takes over its reference.
    let value = unsafe { Value::from_raw(ctx.clone(), raw) };
    if value.is_exception() {
        Err(rquickjs::Error::Exception)
    } else {
        Ok(value)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_order() {
        let dir = std::env::temp_dir().join(format!("wxudp-resolve-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("utils/lib")).unwrap();
        std::fs::write(dir.join("utils/udp.js"), "").unwrap();
        std::fs::write(dir.join("utils/lib/index.js"), "").unwrap();
        std::fs::write(dir.join("conf.json"), "{}").unwrap();
        let utils = dir.join("utils");
        assert_eq!(
            resolve(&utils, &dir, "./udp").unwrap(),
            dir.join("utils/udp.js")
        );
        assert_eq!(
            resolve(&utils, &dir, "./udp.js").unwrap(),
            dir.join("utils/udp.js")
        );
        assert_eq!(
            resolve(&utils, &dir, "../conf").unwrap(),
            dir.join("conf.json")
        );
        assert_eq!(
            resolve(&utils, &dir, "./lib").unwrap(),
            dir.join("utils/lib/index.js")
        );
        assert_eq!(
            resolve(&dir, &dir, "utils/udp.js").unwrap(),
            dir.join("utils/udp.js")
        );
        assert_eq!(
            resolve(&utils, &dir, "utils/udp").unwrap(),
            dir.join("utils/udp.js")
        );
        assert!(resolve(&utils, &dir, "./missing").is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
