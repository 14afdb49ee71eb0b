//! App / Page / Component (pages.js): the natives that find a page's file and the
//! files of the components it uses, confined to the package, and the hook through
//! which pages.js describes the pages at exit (`--report`).

use std::path::Path;
use std::rc::Rc;

use rquickjs::{Ctx, Exception, Function, Object, Persistent};
use serde_json::Value;

use crate::package::loader::Loader;
use crate::package::resolve::Mode;
use crate::runtime::convert::JsText;
use crate::runtime::host::Shared;

/// Adds `N.pageFile(route)`, `N.components(route)` and `N.setPagesReporter(f)`.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    n: &Object<'js>,
    host: &Shared,
    loader: &Rc<Loader>,
) -> rquickjs::Result<()> {
    let l = loader.clone();
    n.set(
        "pageFile",
        Function::new(ctx.clone(), move |JsText(route): JsText| {
            crate::package::project::page_file(l.root(), &route)
                .map(|p| p.to_string_lossy().into_owned())
        })?,
    )?;
    let l = loader.clone();
    n.set(
        "components",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, JsText(file): JsText| {
            components(&l, Path::new(&file)).map_err(|e| Exception::throw_message(&ctx, &e))
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

/// The files of the components the page or component at `file` (its `.js`/`.ts`)
/// lists in the `usingComponents` of its `.json`, each resolved as WeChat resolves
/// component paths (a leading `/` is the package root; a bare name may be a package of
/// `miniprogram_npm`). `plugin://` components are left out: a headless run has no
/// plugins. A component that cannot be found is an error naming the page.
fn components(loader: &Loader, file: &Path) -> Result<Vec<String>, String> {
    let json = file.with_extension("json");
    let Ok(real) = json.canonicalize() else {
        return Ok(Vec::new());
    };
    let Some(real) = crate::package::modules::inside(loader.root(), &real) else {
        return Ok(Vec::new());
    };
    let text = crate::package::modules::read_source(Some(loader.root()), &real)
        .map_err(|_| format!("cannot read {}", loader.shown(&json)))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not valid JSON: {e}", loader.shown(&json)))?;
    let mut files = Vec::new();
    let Some(Value::Object(using)) = value.get("usingComponents") else {
        return Ok(files);
    };
    for (name, path) in using {
        let Some(path) = path.as_str() else { continue };
        if path.starts_with("plugin://") || path.starts_with("plugin-private://") {
            continue;
        }
        match loader.resolve(file, path, Mode::Component) {
            Ok(found) => files.push(found.path.to_string_lossy().into_owned()),
            Err(e) => {
                return Err(format!(
                    "the component <{name}> of {}: {}",
                    loader.shown(&json),
                    loader.not_found(file, path, &e)
                ))
            }
        }
    }
    Ok(files)
}
