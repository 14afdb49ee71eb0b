//! The natives of what a run loads: the project (`N.projectJson`), the base library
//! (`N.baseLibrary`, `N.versionAtLeast`), stack traces mapped back to TypeScript
//! (`N.mapStack`) and the module loader's (modules.rs).

use rquickjs::{Ctx, Function, Object};

use crate::runtime::convert::JsText;
use crate::runtime::host::Shared;

/// Adds the package natives to `n`.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, n: &Object<'js>, host: &Shared) -> rquickjs::Result<()> {
    let project = {
        let h = host.borrow();
        let p = &h.project;
        serde_json::json!({
            "kind": p.kind.name(),
            "root": p.root.to_string_lossy(),
            "main": p.main.to_string_lossy(),
            "pages": p.pages,
            "entry": p.entry,
            "query": p.query,
        })
        .to_string()
    };
    n.set("projectJson", project)?;
    n.set(
        "mapStack",
        Function::new(ctx.clone(), |JsText(stack): JsText| {
            crate::package::transform::map_stack(&stack)
        })?,
    )?;
    let base_library = host.borrow().base_library;
    n.set("baseLibrary", base_library.to_string())?;
    n.set(
        "versionAtLeast",
        Function::new(ctx.clone(), move |since: String| {
            base_library.at_least(&since)
        })?,
    )?;
    super::modules::install(ctx, n, host)
}
