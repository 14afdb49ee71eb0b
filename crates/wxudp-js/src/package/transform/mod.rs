//! What a module's source goes through before QuickJS compiles it.
//!
//! * A `.ts` file is type-stripped by oxc (parser, semantic analysis, the TypeScript
//!   transform, the code generator with a source map). The map is kept: stack traces
//!   shown by the console and for uncaught exceptions point at the `.ts` lines
//!   ([`SourceMaps::map_stack`]).
//! * An ES module (`import`/`export`) is rewritten into CommonJS the way the project's
//!   compiler does ([`Interop`], package/config.rs): `exports.__esModule` is set; an
//!   `import` becomes a `require` at the top of the module; `require` of an ES module
//!   gets its exports object (with `default`). Under Babel (the devtools' build),
//!   `import x from` a CommonJS module gets its `module.exports`, from an ES module its
//!   `default`, and `import * as X` of CommonJS a namespace object; under tsc, what its
//!   `esModuleInterop` setting gives. Babel refuses TypeScript's `export =`. Exports are live getters, and
//!   references to imported names read the module's exports at each use, so cycles
//!   work as in ES modules. The rewrite keeps every line where it was: what is added
//!   goes on the first line, what is removed keeps its line breaks.
//! * Anything else is left exactly as it is.

use std::collections::HashMap;

use super::config::Interop;

#[cfg(feature = "transform")]
mod rewrite;
#[cfg(feature = "transform")]
use rewrite::{strip_types, to_commonjs};

/// A compiled module: its JavaScript, and for a `.ts` file the map back to it.
pub(crate) struct Compiled {
    pub(crate) code: String,
    pub(crate) map: Option<LineMap>,
}

/// Positions in generated code mapped back to the source: (generated line, generated
/// column, source line, source column), all from 0, sorted.
#[derive(Debug, Default, Clone)]
pub(crate) struct LineMap {
    pub(super) tokens: Vec<(u32, u32, u32, u32)>,
}

impl LineMap {
    /// The source position (1-based line and column, as QuickJS counts) of a generated
    /// one.
    pub(crate) fn lookup(&self, line: u32, col: u32) -> Option<(u32, u32)> {
        let (l, c) = (line.checked_sub(1)?, col.saturating_sub(1));
        let i = self.tokens.partition_point(|t| (t.0, t.1) <= (l, c));
        let t = if i > 0 {
            self.tokens[i - 1]
        } else {
            *self.tokens.first()?
        };
        // A position on a line with no token of its own: the token that starts the
        // next line's code, else the last one before.
        let t = if t.0 < l {
            self.tokens
                .get(i)
                .filter(|n| n.0 == l)
                .copied()
                .unwrap_or(t)
        } else {
            t
        };
        Some((t.2 + 1, t.3 + 1))
    }
}

thread_local! {
    /// The source maps of the `.ts` files loaded by the run on this thread (a run has
    /// one thread; [`crate::run`] clears them at its start).
    pub(crate) static SOURCE_MAPS: std::cell::RefCell<SourceMaps> = std::cell::RefCell::default();
}

/// `stack` with the positions in `.ts` files mapped back to their source.
pub(crate) fn map_stack(stack: &str) -> String {
    SOURCE_MAPS.with(|maps| maps.borrow().map_stack(stack))
}

/// The source maps of the `.ts` files a run loaded.
#[derive(Debug, Default)]
pub(crate) struct SourceMaps {
    maps: HashMap<String, LineMap>,
}

impl SourceMaps {
    pub(crate) fn clear(&mut self) {
        self.maps.clear();
    }

    pub(crate) fn insert(&mut self, path: &str, map: LineMap) {
        self.maps.insert(path.to_string(), map);
    }

    /// `stack` with every `FILE:LINE:COL` of a mapped file replaced by the source
    /// position.
    pub(crate) fn map_stack(&self, stack: &str) -> String {
        if self.maps.is_empty() {
            return stack.to_string();
        }
        let mut out = String::with_capacity(stack.len());
        for (i, line) in stack.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&self.map_line(line));
        }
        out
    }

    fn map_line(&self, line: &str) -> String {
        for (path, map) in &self.maps {
            let Some(at) = line.find(path.as_str()) else {
                continue;
            };
            let rest = &line[at + path.len()..];
            let Some(rest) = rest.strip_prefix(':') else {
                continue;
            };
            let digits = |s: &str| s.chars().take_while(char::is_ascii_digit).count();
            let n1 = digits(rest);
            let Ok(gen_line) = rest[..n1].parse::<u32>() else {
                continue;
            };
            let after = &rest[n1..];
            let (gen_col, tail) = match after.strip_prefix(':') {
                Some(c) => {
                    let n2 = digits(c);
                    (c[..n2].parse::<u32>().unwrap_or(1), &c[n2..])
                }
                None => (1, after),
            };
            if let Some((l, c)) = map.lookup(gen_line, gen_col) {
                return format!("{}{path}:{l}:{c}{tail}", &line[..at]);
            }
        }
        line.to_string()
    }
}

/// Compiles the module at `path` (its name decides: `.ts`, `.mts` and `.cts` are
/// TypeScript, compiled with `ts_interop`; JavaScript always with Babel's). A syntax
/// error is returned as `path:line:col: message`.
pub(crate) fn compile(path: &str, source: &str, ts_interop: Interop) -> Result<Compiled, String> {
    let typescript = [".ts", ".mts", ".cts"]
        .iter()
        .any(|ext| path.ends_with(ext));
    if !typescript && !might_be_module(source) {
        // QuickJS parses it, with a stack limit of its own.
        return Ok(Compiled {
            code: source.to_string(),
            map: None,
        });
    }
    if let Some((line, col)) = super::depth::too_deep(source, typescript) {
        return Err(format!(
            "{path}:{line}:{col}: nesting too deep (more than {} levels)",
            super::depth::MAX_NESTING
        ));
    }
    // The parser recurses once per level: on a thread with a stack of known size.
    let (path_owned, source_owned) = (path.to_string(), source.to_string());
    std::thread::Builder::new()
        .name("wxudp-transform".into())
        .stack_size(super::depth::TRANSFORM_STACK)
        .spawn(move || transform(&path_owned, &source_owned, typescript, ts_interop))
        .map_err(|e| format!("{path}: cannot start the transform: {e}"))?
        .join()
        .unwrap_or_else(|_| Err(format!("{path}: the transform failed")))
}

/// TypeScript stripped, then module syntax rewritten (see [`compile`]).
fn transform(
    path: &str,
    source: &str,
    typescript: bool,
    ts_interop: Interop,
) -> Result<Compiled, String> {
    let (js, map, interop) = if typescript {
        let (code, map) = strip_types(path, source, ts_interop)?;
        (code, Some(map), ts_interop)
    } else {
        (source.to_string(), None, Interop::Babel)
    };
    let code = if might_be_module(&js) {
        match to_commonjs(path, &js, interop) {
            Ok(Some(code)) => code,
            Ok(None) => js,
            // The parser's view of plain JavaScript is not the last word (QuickJS may
            // accept what it refuses, and reports errors of its own).
            Err(_) if !typescript => js,
            Err(e) => return Err(e),
        }
    } else {
        js
    };
    Ok(Compiled { code, map })
}

/// Without the `transform` feature (oxc), TypeScript cannot run.
#[cfg(not(feature = "transform"))]
fn strip_types(path: &str, _source: &str, _interop: Interop) -> Result<(String, LineMap), String> {
    Err(format!(
        "{path}: TypeScript needs wxudp-js built with its `transform` feature (a default one)"
    ))
}

/// Without the `transform` feature (oxc), module syntax is left to QuickJS, which
/// refuses it in a script.
#[cfg(not(feature = "transform"))]
fn to_commonjs(_path: &str, _js: &str, _interop: Interop) -> Result<Option<String>, String> {
    Ok(None)
}

fn might_be_module(js: &str) -> bool {
    js.contains("import") || js.contains("export")
}

#[cfg(all(test, feature = "transform"))]
mod tests {
    use super::*;

    /// The transform thread's stack holds what the depth check lets through with room to
    /// spare: the raw scan's bound (20 x MAX_NESTING levels) in a debug build.
    #[test]
    fn the_transform_thread_holds_the_deepest_source_the_check_allows() {
        let n = 20 * super::super::depth::MAX_NESTING;
        let source = format!(
            "export const x: number = {}1{};\n",
            "(".repeat(n),
            ")".repeat(n)
        );
        let compiled = std::thread::Builder::new()
            .stack_size(super::super::depth::TRANSFORM_STACK)
            .spawn(move || transform("deep.ts", &source, true, Interop::Babel).map(|c| c.code))
            .unwrap_or_else(|e| panic!("{e}"))
            .join()
            .unwrap_or_else(|_| panic!("the transform panicked"));
        assert!(compiled.is_ok(), "{compiled:?}");
    }
}
