//! The part of `--report` that needs JavaScript: at the end of a run, each page's
//! route, query, state and final `data`, read while the context is still alive.

use std::time::{Duration, Instant};

use rquickjs::{CatchResultExt, Context, Runtime};
use serde_json::{json, Value};

use crate::runtime::host::Shared;

/// How long describing the pages may take (a getter in `data` could spin): well
/// within the second the watchdog gives a run that has timed out.
const SNAPSHOT_TIME: Duration = Duration::from_millis(500);

/// Hands the observer the project and the pages, and lets go of the prelude's
/// function (it must not outlive the runtime). Only when a report is asked for.
pub(crate) fn snapshot_pages(js: &Runtime, context: &Context, host: &Shared) {
    let (reporter, observer, project) = {
        let mut h = host.borrow_mut();
        let project = json!({
            "kind": h.project.kind.name(),
            "root": h.project.root.to_string_lossy(),
            "main": h.project.main.to_string_lossy(),
            "entry": h.project.entry,
            "platform": h.platform.name(),
        });
        (h.pages_reporter.take(), h.observer.clone(), project)
    };
    observer.set_project(project);
    let Some(reporter) = reporter else {
        return;
    };
    if !observer.wants_report() {
        drop(reporter);
        return;
    }
    let deadline = Instant::now() + SNAPSHOT_TIME;
    js.set_interrupt_handler(Some(Box::new(move || Instant::now() > deadline)));
    let pages = context.with(|ctx| {
        let f = reporter.restore(&ctx).map_err(|e| e.to_string())?;
        f.call::<_, String>(())
            .catch(&ctx)
            .map_err(|e| e.to_string())
    });
    js.set_interrupt_handler(None);
    let pages = match pages {
        Ok(text) => serde_json::from_str(&text).unwrap_or(Value::Null),
        Err(e) => json!({ "error": format!("the pages could not be described: {e}") }),
    };
    observer.set_pages(pages);
}
