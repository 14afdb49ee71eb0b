//! `N.fs(op, args)`: one FileSystemManager operation, answered as `{ ok: true, value }`
//! or `{ ok: false, reason, errno }` (fs.js turns it into a return value or a throw, or
//! callbacks). fs.js checks the argument types first, with WeChat's wording.

use std::rc::Rc;

use rquickjs::{Array, Ctx, Exception, Function, Object, Value};

use super::{Data, Files, FsError, Output, Stats};
use crate::runtime::convert::{js_array_buffer, view_bytes, JsText};

/// Adds `N.fs(op, args)` to `n`.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    n: &Object<'js>,
    files: &Rc<Files>,
) -> rquickjs::Result<()> {
    let f = files.clone();
    n.set(
        "fs",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  JsText(op): JsText,
                  args: Array<'js>|
                  -> rquickjs::Result<Object<'js>> {
                let outcome = run(&ctx, &f, &op, &args)?;
                let answer = Object::new(ctx.clone())?;
                match outcome {
                    Ok(value) => {
                        answer.set("ok", true)?;
                        answer.set("value", output(&ctx, value)?)?;
                    }
                    Err(FsError { reason, errno }) => {
                        answer.set("ok", false)?;
                        answer.set("reason", reason)?;
                        answer.set("errno", errno)?;
                    }
                }
                Ok(answer)
            },
        )?,
    )?;
    Ok(())
}

/// Runs `op` with `args` (already checked by fs.js).
fn run<'js>(
    ctx: &Ctx<'js>,
    f: &Files,
    op: &str,
    args: &Array<'js>,
) -> rquickjs::Result<Result<Output, FsError>> {
    let text = |i: usize| -> rquickjs::Result<String> { args.get::<JsText>(i).map(|t| t.0) };
    let opt_text = |i: usize| -> rquickjs::Result<Option<String>> {
        let v: Value<'js> = args.get(i)?;
        Ok(v.as_string().map(crate::runtime::convert::text))
    };
    let flag = |i: usize| -> rquickjs::Result<bool> {
        let v: Value<'js> = args.get(i)?;
        Ok(v.as_bool().unwrap_or(false))
    };
    let number = |i: usize| -> rquickjs::Result<Option<u64>> {
        let v: Value<'js> = args.get(i)?;
        Ok(v.as_number()
            .filter(|n| *n >= 0.0 && n.fract() == 0.0)
            .map(|n| n as u64))
    };
    Ok(match op {
        "access" => f.access(&text(0)?),
        "readFile" => f.read_file(&text(0)?, opt_text(1)?.as_deref(), number(2)?, number(3)?),
        "writeFile" | "appendFile" => {
            let data: Value<'js> = args.get(1)?;
            let data = match data.as_string() {
                Some(s) => Data::Text(crate::runtime::convert::text(s), opt_text(2)?),
                None => Data::Bytes(view_bytes(&data).map_err(|_| {
                    Exception::throw_type(ctx, "fs: data is not a string or an ArrayBuffer")
                })?),
            };
            f.write_file(&text(0)?, data, op == "appendFile")
        }
        "mkdir" => f.mkdir(&text(0)?, flag(1)?),
        "readdir" => f.readdir(&text(0)?),
        "rmdir" => f.rmdir(&text(0)?, flag(1)?),
        "unlink" => f.unlink(&text(0)?),
        "copyFile" => f.copy_file(&text(0)?, &text(1)?),
        "rename" => f.rename(&text(0)?, &text(1)?),
        "stat" => f.stat(&text(0)?, flag(1)?),
        _ => {
            return Err(Exception::throw_type(
                ctx,
                &format!("fs: no operation {op}"),
            ))
        }
    })
}

fn output<'js>(ctx: &Ctx<'js>, out: Output) -> rquickjs::Result<Value<'js>> {
    Ok(match out {
        Output::Nothing => Value::new_undefined(ctx.clone()),
        Output::Text(t) => rquickjs::String::from_str(ctx.clone(), &t)?.into_value(),
        Output::Bytes(b) => js_array_buffer(ctx.clone(), &b)?.into_value(),
        Output::Names(names) => {
            let a = Array::new(ctx.clone())?;
            for (i, n) in names.into_iter().enumerate() {
                a.set(i, n)?;
            }
            a.into_value()
        }
        Output::Stats(s) => stats(ctx, s)?.into_value(),
        Output::Tree(tree) => {
            let a = Array::new(ctx.clone())?;
            for (i, (path, s)) in tree.into_iter().enumerate() {
                let entry = Object::new(ctx.clone())?;
                entry.set("path", path)?;
                entry.set("stats", stats(ctx, s)?)?;
                a.set(i, entry)?;
            }
            a.into_value()
        }
    })
}

/// The fields of a `Stats` (fs.js adds `isFile()` and `isDirectory()`).
fn stats<'js>(ctx: &Ctx<'js>, s: Stats) -> rquickjs::Result<Object<'js>> {
    let o = Object::new(ctx.clone())?;
    o.set("size", s.size as f64)?;
    o.set("mode", s.mode)?;
    o.set("lastAccessedTime", s.accessed as f64)?;
    o.set("lastModifiedTime", s.modified as f64)?;
    o.set("directory", s.directory)?;
    Ok(o)
}
