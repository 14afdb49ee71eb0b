//! The `wx` global and the environment around it, one folder per API: each holds its
//! native functions (an `install` that adds them to the natives object `N`) and its
//! slice of the prelude, the JavaScript that gives them WeChat's shape.
//!
//! The prelude is one function `(N, global) => hooks`, assembled here from the slices in
//! the order they build on one another: the console first (everything prints), then
//! timers, the `wx` object and its shared helpers, then each API, the pages, the module
//! loader and the hooks handed back to the event loop. The slices share one scope.

use rquickjs::{Ctx, Object};

use crate::runtime::host::Shared;
use crate::RunOptions;

pub(crate) mod console;
pub(crate) mod fs;
pub(crate) mod mdns;
pub(crate) mod pages;
pub(crate) mod request;
pub(crate) mod storage;
pub(crate) mod system;
pub(crate) mod text;
pub(crate) mod udp;
pub(crate) mod ui;
pub mod wifi;

/// The prelude's source (see the module documentation).
pub(crate) const PRELUDE: &str = concat!(
    "(function (N, global) {\n'use strict';\n",
    include_str!("console/console.js"),
    include_str!("../runtime/timers.js"),
    "const makePrompts = (function (module) {\n",
    include_str!("../../../wxudp-node/prompts.js"),
    "return module.exports;\n})({});\n",
    include_str!("wx.js"),
    include_str!("text/text.js"),
    include_str!("udp/udp.js"),
    include_str!("request/request.js"),
    include_str!("mdns/mdns.js"),
    include_str!("system/system.js"),
    include_str!("ui/ui.js"),
    include_str!("wifi/wifi.js"),
    include_str!("storage/storage.js"),
    include_str!("fs/fs.js"),
    include_str!("pages/data.js"),
    include_str!("pages/pages.js"),
    include_str!("../package/modules.js"),
    include_str!("../runtime/main.js"),
    "})\n",
);

/// What the APIs need from outside before the run starts, read (and checked) before any
/// JavaScript runs, so that a bad file is a clear error: the answers file and the user
/// data folder.
pub(crate) struct Prepared {
    answers: ui::Answers,
    files: fs::Files,
    storage: storage::Storage,
}

impl Prepared {
    /// The errors are whole sentences for the user.
    pub(crate) fn new(options: &RunOptions, root: &std::path::Path) -> Result<Prepared, String> {
        Ok(Prepared {
            answers: ui::load(options.answers.as_deref(), &options.deny)?,
            files: fs::Files::new(options.data.as_deref(), root)?,
            storage: storage::Storage::open(options.storage.clone())?,
        })
    }
}

/// The slice of the prelude with setData (evaluated alone by the `set_data` fuzz target).
pub(crate) const SET_DATA: &str = include_str!("pages/data.js");

/// Adds every native the prelude uses to `n`.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    n: &Object<'js>,
    host: &Shared,
    options: &RunOptions,
    prepared: Prepared,
) -> rquickjs::Result<()> {
    let observer = host.borrow().observer.clone();
    let noting = observer.wants_report().then(|| observer.clone());
    console::install(ctx, n, noting.clone())?;
    crate::observe::install(ctx, n, noting)?;
    n.set("answersJson", prepared.answers.json)?;
    n.set("answersSource", prepared.answers.source)?;
    crate::runtime::timers::install(ctx, n, &host.borrow().timers)?;
    crate::runtime::exception::install(ctx, n, host)?;
    text::install(ctx, n)?;
    let loader = crate::package::natives::install(ctx, n, host, options.verbose)?;
    system::install(ctx, n, host)?;
    storage::natives::install(ctx, n, prepared.storage)?;
    pages::install(ctx, n, host, &loader)?;
    wifi::install(ctx, n, host)?;
    let http = {
        let h = host.borrow();
        std::rc::Rc::new(request::Http::new(
            options.cacert.clone(),
            h.observer.clone(),
            tokio::runtime::Handle::current(),
            h.sockets.limits().clone(),
        ))
    };
    request::install(ctx, n, host, &http)?;
    mdns::install(ctx, n, host)?;
    fs::natives::install(ctx, n, &std::rc::Rc::new(prepared.files))?;
    udp::install(ctx, n, host)
}
