//! App / Page / Component (pages.js): the natives that find a page's file, confined to
//! the package, and the hook through which pages.js describes the pages at exit
//! (`--report`).

use rquickjs::{Ctx, Function, Object, Persistent};

use crate::runtime::convert::JsText;
use crate::runtime::host::Shared;

/// Adds `N.pageFile(route)` and `N.setPagesReporter(f)`.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, n: &Object<'js>, host: &Shared) -> rquickjs::Result<()> {
    let h = host.clone();
    n.set(
        "pageFile",
        Function::new(ctx.clone(), move |JsText(route): JsText| {
            let root = h.borrow().root.clone();
            crate::package::project::page_file(&root, &route)
                .map(|p| p.to_string_lossy().into_owned())
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
