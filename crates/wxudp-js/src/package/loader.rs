//! The module loader's state and natives: `N.resolve(from, request)`, `N.readFile(path)`
//! and `N.compile(path)` (modules.js builds `require` over them), and the component
//! paths of a page's `usingComponents`.
//!
//! The natives trust nothing their caller says (a script can reach the prelude's own
//! functions through `CallSite.getFunction`): a path is read only if it lies inside the
//! package, or is the main script itself.

use std::cell::RefCell;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rquickjs::{Ctx, Exception, Function, Object};

use super::config::{Config, Interop};
use super::modules::{read_source, ReadError};
use super::project::Project;
use super::resolve::{Found, Mode, NotFound, Resolver};
use crate::runtime::convert::JsText;
use crate::runtime::eval_named;

/// What the loader of one run knows.
pub(crate) struct Loader {
    resolver: Resolver,
    /// The main script, the one file that may lie outside the package.
    main: PathBuf,
    /// How `.ts` files read CommonJS modules.
    ts_interop: Interop,
    /// The project's configuration (subpackages).
    config: Config,
    /// `--verbose`: print where each specifier resolved to (once per file and
    /// specifier).
    verbose: bool,
    printed: RefCell<HashSet<(String, String)>>,
    /// The subpackage warnings printed.
    warned: RefCell<HashSet<String>>,
}

impl Loader {
    pub(crate) fn new(project: &Project, verbose: bool) -> Loader {
        Loader {
            resolver: Resolver::new(
                &project.root,
                &project.config.folder,
                project.config.aliases.clone(),
            ),
            main: project.main.clone(),
            ts_interop: project.config.ts_interop,
            config: project.config.clone(),
            verbose,
            printed: RefCell::default(),
            warned: RefCell::default(),
        }
    }

    /// The package root (canonical).
    pub(crate) fn root(&self) -> &Path {
        self.resolver.root()
    }

    /// `path` as the user reads it: relative to the package root when inside it.
    pub(crate) fn shown(&self, path: &Path) -> String {
        path.strip_prefix(self.root())
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }

    /// The module `request` names from the file `from`.
    pub(crate) fn resolve(
        &self,
        from: &Path,
        request: &str,
        mode: Mode,
    ) -> Result<Found, NotFound> {
        let dir = from.parent().unwrap_or(self.root());
        let found = self.resolver.resolve(dir, request, mode)?;
        if self.verbose {
            let key = (from.to_string_lossy().into_owned(), request.to_string());
            if self.printed.borrow_mut().insert(key) {
                let note = found
                    .leniency
                    .map(|l| format!(" (wxudp only: {})", l.note()))
                    .unwrap_or_default();
                eprintln!(
                    "wxudp: {} '{request}' from {} -> {}{note}",
                    match mode {
                        Mode::Require => "require",
                        Mode::Component => "component",
                    },
                    self.shown(from),
                    self.shown(&found.path),
                );
            }
        }
        Ok(found)
    }

    /// The devtools' warning for a `require` without a callback of a module in another
    /// subpackage (production loads a subpackage only when asked to), printed once per
    /// requiring file and specifier; `None` when both lie in the same package.
    pub(crate) fn across_subpackages(
        &self,
        from: &Path,
        target: &Path,
        request: &str,
    ) -> Option<String> {
        let route = |p: &Path| {
            p.strip_prefix(self.root())
                .ok()
                .map(|r| r.to_string_lossy().into_owned())
        };
        let to = self.config.subpackage_of(&route(target)?)?;
        let from_route = route(from).unwrap_or_default();
        if self.config.subpackage_of(&from_route).map(|s| &s.root) == Some(&to.root) {
            return None;
        }
        Some(format!(
            "Requires \"{request}\" from \"{from_route}\" without a callback may fail in production, since they are in different subPackages"
        ))
    }

    /// The message of a failed resolution: the specifier, the requiring file, every
    /// candidate tried inside the package, and a hint where there is one.
    pub(crate) fn not_found(&self, from: &Path, request: &str, e: &NotFound) -> String {
        let tried = if e.tried.is_empty() {
            "nothing inside the package".to_string()
        } else {
            e.tried.join(", ")
        };
        let mut text = format!(
            "Cannot find module '{request}' from {} (tried: {tried})",
            self.shown(from)
        );
        if let Some(hint) = &e.hint {
            text.push_str("; ");
            text.push_str(hint);
        }
        text
    }

    /// Reads a module: the main script as the user named it, or a regular file inside
    /// the package.
    fn read(&self, path: &Path) -> Result<String, ReadError> {
        let root = (path != self.main).then_some(self.root());
        read_source(root, path)
    }
}

/// Adds the module natives to `n` (see the module documentation).
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    n: &Object<'js>,
    loader: &Rc<Loader>,
) -> rquickjs::Result<()> {
    let l = loader.clone();
    n.set(
        "resolve",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, JsText(from): JsText, JsText(request): JsText, sync: bool| {
                let from = Path::new(&from);
                match l.resolve(from, &request, Mode::Require) {
                    Ok(found) => {
                        if sync {
                            if let Some(warning) = l.across_subpackages(from, &found.path, &request)
                            {
                                if l.warned.borrow_mut().insert(warning.clone()) {
                                    eprintln!("{warning}");
                                }
                            }
                        }
                        Ok(found.path.to_string_lossy().into_owned())
                    }
                    Err(e) => Err(not_found(&ctx, &l.not_found(from, &request, &e))),
                }
            },
        )?,
    )?;
    let l = loader.clone();
    n.set(
        "readFile",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, path: String| {
            l.read(Path::new(&path))
                .map_err(|e| read_exception(&ctx, &path, e))
        })?,
    )?;
    let l = loader.clone();
    n.set(
        "compile",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, path: String| {
            let source = l
                .read(Path::new(&path))
                .map_err(|e| read_exception(&ctx, &path, e))?;
            compile_module(&ctx, &path, source, l.ts_interop)
        })?,
    )?;
    Ok(())
}

/// Throws an `Error` with `message` and Node's `code: 'MODULE_NOT_FOUND'`.
fn not_found(ctx: &Ctx<'_>, message: &str) -> rquickjs::Error {
    let error = Exception::from_message(ctx.clone(), message)
        .and_then(|e| e.as_object().set("code", "MODULE_NOT_FOUND").map(|()| e));
    match error {
        Ok(e) => e.throw(),
        Err(e) => e,
    }
}

/// The JavaScript exception for a failed read of `path`.
fn read_exception(ctx: &Ctx<'_>, path: &str, e: ReadError) -> rquickjs::Error {
    match e {
        ReadError::NotFound => not_found(ctx, &format!("Cannot find module '{path}'")),
        ReadError::TooLarge => Exception::throw_message(
            ctx,
            &format!("cannot load {path}: the file is larger than 16 MiB"),
        ),
        ReadError::Unreadable(e) => {
            Exception::throw_message(ctx, &format!("cannot read {path}: {e}"))
        }
    }
}

/// The browser names the devtools' module engine declares as parameters of every
/// module's function and leaves undefined (so `window` is `undefined` in a module,
/// not a ReferenceError).
const WECHAT_UNDEFINED: &str = "window, document, frames, self, location, navigator, localStorage, history, Caches, screen, alert, confirm, prompt, XMLHttpRequest, WebSocket, Reporter, webkit, WeixinJSCore";

/// Compiles a CommonJS module into its wrapper function, keeping line numbers: the
/// wrapper opens on the module's first line.
fn compile_module<'js>(
    ctx: &Ctx<'js>,
    path: &str,
    source: String,
    ts_interop: Interop,
) -> rquickjs::Result<Function<'js>> {
    let compiled = super::transform::compile(path, &source, ts_interop)
        .map_err(|e| Exception::throw_syntax(ctx, &e))?;
    if let Some(map) = compiled.map {
        super::transform::SOURCE_MAPS.with(|maps| maps.borrow_mut().insert(path, map));
    }
    let source = compiled.code;
    let body = match source.strip_prefix("#!") {
        // Keep the line so that line numbers do not move.
        Some(rest) => format!("//{rest}"),
        None => source,
    };
    let wrapped = format!("(function (exports, require, module, __filename, __dirname, {WECHAT_UNDEFINED}) {{{body}\n}})");
    let value = match eval_named(ctx, &wrapped, path) {
        Ok(value) => value,
        Err(rquickjs::Error::Exception) => {
            // QuickJS's parser stops at its stack limit: say so in the file's name.
            let e = ctx.catch();
            let overflow = e
                .as_exception()
                .and_then(rquickjs::Exception::message)
                .is_some_and(|m| m.contains("Maximum call stack size exceeded"));
            if overflow {
                return Err(Exception::throw_syntax(
                    ctx,
                    &format!("{path}: nesting too deep for the parser"),
                ));
            }
            return Err(ctx.throw(e));
        }
        Err(e) => return Err(e),
    };
    value
        .into_function()
        .ok_or_else(|| Exception::throw_type(ctx, "a module did not compile to a function"))
}
