//! The natives of what a run loads: the project (`N.projectJson`, `N.wxConfigJson`),
//! the base library (`N.baseLibrary`, `N.versionAtLeast`), stack traces mapped back to
//! TypeScript (`N.mapStack`) and the module loader's (loader.rs).

use std::rc::Rc;

use rquickjs::{Ctx, Function, Object};
use serde_json::{json, Value};

use super::loader::Loader;
use super::project::Project;
use crate::runtime::convert::JsText;
use crate::runtime::host::Shared;
use crate::Platform;

/// `wx.env.USER_DATA_PATH`: `wxfile://usr` on a phone, `http://usr` in the devtools.
pub(crate) fn user_data_path(platform: Platform) -> &'static str {
    match platform {
        Platform::Devtools => "http://usr",
        _ => "wxfile://usr",
    }
}

/// Adds the package natives to `n`, and returns the run's module loader.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    n: &Object<'js>,
    host: &Shared,
    verbose: bool,
) -> rquickjs::Result<Rc<Loader>> {
    let (project, config, loader) = {
        let h = host.borrow();
        let p = &h.project;
        let project = json!({
            "kind": p.kind.name(),
            "root": p.root.to_string_lossy(),
            "main": p.main.to_string_lossy(),
            "pages": p.pages,
            "entry": p.entry,
            "query": p.query,
            "subpackages": p.config.subpackages.iter().map(|s| &s.root).collect::<Vec<_>>(),
        });
        (
            project.to_string(),
            wx_config(p, h.platform).to_string(),
            Rc::new(Loader::new(p, verbose)),
        )
    };
    n.set("projectJson", project)?;
    n.set("wxConfigJson", config)?;
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
    super::loader::install(ctx, n, &loader)?;
    Ok(loader)
}

/// `__wxConfig`, the app-service layer's configuration object, with the fields real
/// code reads: `envVersion`, `platform`, `accountInfo`, `env.USER_DATA_PATH`, and what
/// app.json says (`pages`, `subPackages`, `entryPagePath`, `resolveAlias`, `global.window`,
/// `tabBar`).
fn wx_config(project: &Project, platform: Platform) -> Value {
    let app = &project.config.app;
    let subpackages: Vec<Value> = project
        .config
        .subpackages
        .iter()
        .map(|s| {
            json!({
                "root": format!("{}/", s.root),
                "pages": s.pages.iter().map(|p| p.strip_prefix(&format!("{}/", s.root)).unwrap_or(p)).collect::<Vec<_>>(),
                "independent": s.independent,
            })
        })
        .collect();
    let launch_path = project.entry.clone().unwrap_or_default();
    json!({
        "envVersion": "develop",
        "platform": platform.name(),
        "accountInfo": {
            "appId": project.config.app_id.clone().unwrap_or_else(|| "touristappid".into()),
            "nickname": "",
            "icon": "",
        },
        "env": { "USER_DATA_PATH": user_data_path(platform) },
        "pages": project.pages,
        "entryPagePath": app.get("entryPagePath").cloned().unwrap_or(Value::from(launch_path.clone())),
        "subPackages": subpackages,
        "resolveAlias": app.get("resolveAlias").cloned().unwrap_or(json!({})),
        "global": { "window": app.get("window").cloned().unwrap_or(json!({})) },
        "tabBar": app.get("tabBar").cloned().unwrap_or(Value::Null),
        "networkTimeout": app.get("networkTimeout").cloned().unwrap_or(json!({})),
        "appLaunchInfo": { "scene": 1001, "path": launch_path, "query": {} },
    })
}
