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
use std::fmt::Write as _;
use std::path::Path;

use oxc::allocator::Allocator;
use oxc::ast::ast::{
    BindingPatternKind, Declaration, ExportDefaultDeclarationKind, ImportDeclarationSpecifier,
    ModuleExportName, Program, Statement,
};
use oxc::ast::AstKind;
use oxc::codegen::{Codegen, CodegenOptions};
use oxc::parser::Parser;
use oxc::semantic::SemanticBuilder;
use oxc::span::{GetSpan, SourceType, Span};
use oxc::transformer::{TransformOptions, Transformer};

use super::config::Interop;

/// A compiled module: its JavaScript, and for a `.ts` file the map back to it.
pub(crate) struct Compiled {
    pub(crate) code: String,
    pub(crate) map: Option<LineMap>,
}

/// Positions in generated code mapped back to the source: (generated line, generated
/// column, source line, source column), all from 0, sorted.
#[derive(Debug, Default, Clone)]
pub(crate) struct LineMap {
    tokens: Vec<(u32, u32, u32, u32)>,
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

fn might_be_module(js: &str) -> bool {
    js.contains("import") || js.contains("export")
}

/// `path:line:col: message` for an oxc diagnostic's first label.
fn diagnostic(path: &str, source: &str, error: &oxc::diagnostics::OxcDiagnostic) -> String {
    let offset = error
        .labels
        .as_ref()
        .and_then(|labels| labels.first())
        .map_or(0, |label| label.offset());
    let (line, col) = line_col(source, offset);
    format!("{path}:{line}:{col}: {}", error.message)
}

fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// TypeScript to JavaScript, with the map back. `import x = require()` becomes a
/// `const`; `export =` becomes `module.exports =` under tsc and is refused under Babel,
/// as `@babel/plugin-transform-typescript` refuses it.
fn strip_types(path: &str, source: &str, interop: Interop) -> Result<(String, LineMap), String> {
    let allocator = Allocator::default();
    let source_type = SourceType::ts().with_unambiguous(true);
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if let Some(e) = parsed.errors.first() {
        return Err(diagnostic(path, source, e));
    }
    let mut program = parsed.program;
    if interop == Interop::Babel {
        if let Some(Statement::TSExportAssignment(e)) = program
            .body
            .iter()
            .find(|s| matches!(s, Statement::TSExportAssignment(_)))
        {
            let (line, col) = line_col(source, e.span.start as usize);
            return Err(format!(
                "{path}:{line}:{col}: `export =` is not supported by the devtools' TypeScript compiler (Babel): \
                 use `module.exports = ...`, or compile with tsc (a tsconfig.json and no \"typescript\" compiler plugin)"
            ));
        }
    }
    let semantic = SemanticBuilder::new().build(&program);
    if let Some(e) = semantic.errors.first() {
        return Err(diagnostic(path, source, e));
    }
    let scoping = semantic.semantic.into_scoping();
    let options = TransformOptions::default();
    let transformed = Transformer::new(&allocator, Path::new(path), &options)
        .build_with_scoping(scoping, &mut program);
    if let Some(e) = transformed.errors.first() {
        return Err(diagnostic(path, source, e));
    }
    let generated = Codegen::new()
        .with_options(CodegenOptions {
            source_map_path: Some(Path::new(path).to_path_buf()),
            ..CodegenOptions::default()
        })
        .build(&program);
    let mut map = LineMap::default();
    if let Some(sm) = &generated.map {
        map.tokens = sm
            .get_tokens()
            .map(|t| {
                (
                    t.get_dst_line(),
                    t.get_dst_col(),
                    t.get_src_line(),
                    t.get_src_col(),
                )
            })
            .collect();
        map.tokens.sort_unstable();
    }
    Ok((generated.code, map))
}

/// An edit of the source: replace `span` with `text`.
struct Edit {
    start: u32,
    end: u32,
    text: String,
}

/// The ES module `js` as CommonJS, or `None` when it has no module syntax.
fn to_commonjs(path: &str, js: &str, interop: Interop) -> Result<Option<String>, String> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, js, SourceType::unambiguous()).parse();
    if let Some(e) = parsed.errors.first() {
        return Err(diagnostic(path, js, e));
    }
    let program = parsed.program;
    let has_module_syntax = program
        .body
        .iter()
        .any(|s| s.as_module_declaration().is_some());
    let semantic = SemanticBuilder::new().build(&program);
    let dynamic_imports: Vec<Span> = semantic
        .semantic
        .nodes()
        .iter()
        .filter_map(|n| match n.kind() {
            AstKind::ImportExpression(e) => Some(Span::new(e.span.start, e.source.span().start)),
            _ => None,
        })
        .collect();
    if !has_module_syntax && dynamic_imports.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        Rewriter::new(js, &program, &semantic.semantic, interop)
            .run(has_module_syntax, &dynamic_imports),
    ))
}

struct Rewriter<'s, 'a> {
    js: &'s str,
    program: &'s Program<'a>,
    semantic: &'s oxc::semantic::Semantic<'a>,
    edits: Vec<Edit>,
    /// `var __wxudp_mN = require(...)` for each import, in order.
    requires: Vec<String>,
    /// Export name and the expression that reads it.
    exports: Vec<(String, String)>,
    /// `export * from`: the module variables whose names are re-exported.
    stars: Vec<String>,
    /// Whose interop the imports follow.
    interop: Interop,
}

impl<'s, 'a> Rewriter<'s, 'a> {
    fn new(
        js: &'s str,
        program: &'s Program<'a>,
        semantic: &'s oxc::semantic::Semantic<'a>,
        interop: Interop,
    ) -> Self {
        Rewriter {
            js,
            program,
            semantic,
            edits: Vec::new(),
            requires: Vec::new(),
            exports: Vec::new(),
            stars: Vec::new(),
            interop,
        }
    }

    /// What an `import x from` (the default import) of the module in `var` reads:
    /// Babel's and tsc's `__importDefault` take `default` of an ES module and the
    /// module itself otherwise; tsc without `esModuleInterop` takes `default` always.
    fn default_reader(&self, var: &str) -> String {
        match self.interop {
            Interop::Tsc {
                es_module_interop: false,
            } => format!("{var}[\"default\"]"),
            _ => format!("require.interop.default({var})"),
        }
    }

    /// What an `import * as X from` of the module in `var` reads: Babel's
    /// `interopRequireWildcard`, tsc's `__importStar`, or (tsc without
    /// `esModuleInterop`) `module.exports` itself.
    fn namespace_reader(&self, var: &str) -> String {
        match self.interop {
            Interop::Babel => format!("require.interop.namespace({var})"),
            Interop::Tsc {
                es_module_interop: true,
            } => format!("require.interop.importStar({var})"),
            Interop::Tsc {
                es_module_interop: false,
            } => var.to_string(),
        }
    }

    fn text(&self, span: Span) -> &'s str {
        &self.js[span.start as usize..span.end as usize]
    }

    /// Removes `span`, keeping its line breaks.
    fn blank(&mut self, span: Span) {
        let breaks = self.text(span).matches('\n').count();
        self.edits.push(Edit {
            start: span.start,
            end: span.end,
            text: "\n".repeat(breaks),
        });
    }

    fn module_var(&mut self, source: &str) -> String {
        let name = format!("__wxudp_m{}", self.requires.len() + 1);
        self.requires.push(format!(
            "var {name} = require({});",
            serde_json::to_string(source).unwrap_or_default()
        ));
        name
    }

    /// Rewrites every reference to the binding declared by `symbol` as `replacement`.
    fn redirect(&mut self, symbol: oxc::semantic::SymbolId, replacement: &str) {
        let scoping = self.semantic.scoping();
        let nodes = self.semantic.nodes();
        for &reference in scoping.get_resolved_reference_ids(symbol) {
            let node = scoping.get_reference(reference).node_id();
            let AstKind::IdentifierReference(id) = nodes.kind(node) else {
                continue;
            };
            let shorthand = matches!(
                nodes.parent_kind(node),
                AstKind::ObjectProperty(p) if p.shorthand
            );
            let text = if shorthand {
                format!("{}: {replacement}", id.name)
            } else {
                replacement.to_string()
            };
            self.edits.push(Edit {
                start: id.span.start,
                end: id.span.end,
                text,
            });
        }
    }

    /// What reads the local binding `name` (an import's replacement if it is one).
    fn local_reader(&self, name: &str, imported: &HashMap<String, String>) -> String {
        imported
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }

    fn run(mut self, module: bool, dynamic_imports: &[Span]) -> String {
        // Imported bindings and how they are read.
        let mut imported: HashMap<String, String> = HashMap::new();
        let program = self.program;
        for statement in &program.body {
            let Statement::ImportDeclaration(decl) = statement else {
                continue;
            };
            self.blank(decl.span);
            if decl.import_kind.is_type() {
                continue;
            }
            let var = self.module_var(decl.source.value.as_str());
            for spec in decl.specifiers.iter().flatten() {
                let (local, reader) = match spec {
                    ImportDeclarationSpecifier::ImportSpecifier(s) => {
                        if s.import_kind.is_type() {
                            continue;
                        }
                        let name = s.imported.name();
                        let reader = if name == "default" {
                            self.default_reader(&var)
                        } else {
                            format!(
                                "{var}[{}]",
                                serde_json::to_string(name.as_str()).unwrap_or_default()
                            )
                        };
                        (&s.local, reader)
                    }
                    ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => {
                        (&s.local, self.default_reader(&var))
                    }
                    ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => {
                        (&s.local, self.namespace_reader(&var))
                    }
                };
                let reader = format!("({reader})");
                self.redirect(local.symbol_id(), &reader);
                imported.insert(local.name.to_string(), reader);
            }
        }
        for statement in &program.body {
            match statement {
                Statement::ExportNamedDeclaration(decl) => {
                    if decl.export_kind.is_type() {
                        self.blank(decl.span);
                        continue;
                    }
                    if let Some(declaration) = &decl.declaration {
                        // `export ` goes; the declaration stays.
                        self.edits.push(Edit {
                            start: decl.span.start,
                            end: declaration.span().start,
                            text: String::new(),
                        });
                        for name in declared_names(declaration) {
                            self.exports.push((name.clone(), name));
                        }
                        continue;
                    }
                    self.blank(decl.span);
                    let var = decl
                        .source
                        .as_ref()
                        .map(|s| self.module_var(s.value.as_str()));
                    for spec in &decl.specifiers {
                        if spec.export_kind.is_type() {
                            continue;
                        }
                        let exported = export_name(&spec.exported);
                        let local = export_name(&spec.local);
                        let reader = match &var {
                            Some(var) if local == "default" => self.default_reader(var),
                            Some(var) => format!(
                                "{var}[{}]",
                                serde_json::to_string(&local).unwrap_or_default()
                            ),
                            None => self.local_reader(&local, &imported),
                        };
                        self.exports.push((exported, reader));
                    }
                }
                Statement::ExportDefaultDeclaration(decl) => {
                    let named = match &decl.declaration {
                        ExportDefaultDeclarationKind::FunctionDeclaration(f) => {
                            f.id.as_ref().map(|id| id.name.to_string())
                        }
                        ExportDefaultDeclarationKind::ClassDeclaration(c) => {
                            c.id.as_ref().map(|id| id.name.to_string())
                        }
                        ExportDefaultDeclarationKind::TSInterfaceDeclaration(_) => {
                            self.blank(decl.span);
                            continue;
                        }
                        _ => None,
                    };
                    let start = decl.declaration.span().start;
                    match named {
                        Some(name) => {
                            self.edits.push(Edit {
                                start: decl.span.start,
                                end: start,
                                text: String::new(),
                            });
                            self.exports.push(("default".into(), name));
                        }
                        None => {
                            self.edits.push(Edit {
                                start: decl.span.start,
                                end: start,
                                text: "exports.default = ".into(),
                            });
                            // Defined now, so that a cycle sees the name before the
                            // value; the assignment above replaces it.
                            self.exports.push(("default".into(), String::new()));
                        }
                    }
                }
                Statement::ExportAllDeclaration(decl) => {
                    self.blank(decl.span);
                    if decl.export_kind.is_type() {
                        continue;
                    }
                    let var = self.module_var(decl.source.value.as_str());
                    match &decl.exported {
                        Some(name) => self
                            .exports
                            .push((export_name(name), self.namespace_reader(&var))),
                        None => self.stars.push(var),
                    }
                }
                _ => {}
            }
        }
        let preamble = self.preamble(module);
        self.apply_dynamic_imports(dynamic_imports);
        let mut edits = std::mem::take(&mut self.edits);
        edits.sort_by_key(|e| (e.start, e.end));
        let mut out = String::with_capacity(self.js.len() + preamble.len() + 256);
        let mut at = 0usize;
        // A `#!` line stays first (modules.rs turns it into a comment).
        let body_start = if self.js.starts_with("#!") {
            self.js.find('\n').map_or(self.js.len(), |i| i + 1)
        } else {
            0
        };
        out.push_str(&self.js[..body_start]);
        out.push_str(&preamble);
        at = at.max(body_start);
        for e in edits {
            let (s, t) = (e.start as usize, e.end as usize);
            if s < at {
                // Nested in an edit already made (a reference inside a removed
                // statement).
                continue;
            }
            out.push_str(&self.js[at..s]);
            out.push_str(&e.text);
            at = t;
        }
        out.push_str(&self.js[at..]);
        out
    }

    /// `import(x)` becomes a Promise of the module's namespace: each span runs from
    /// `import` to the argument.
    fn apply_dynamic_imports(&mut self, spans: &[Span]) {
        for span in spans {
            let breaks = self.text(*span).matches('\n').count();
            self.edits.push(Edit {
                start: span.start,
                end: span.end,
                text: format!(
                    "require.interop.dynamic(require, \"{}\", {}",
                    self.interop.name(),
                    "\n".repeat(breaks)
                ),
            });
        }
    }

    /// The first line's additions: strict mode, `__esModule`, the export getters, the
    /// requires in order, the re-exports of `export *`.
    fn preamble(&self, module: bool) -> String {
        if !module {
            return String::new();
        }
        let mut p = String::from(
            "\"use strict\";Object.defineProperty(exports, \"__esModule\", { value: true });",
        );
        for (name, reader) in &self.exports {
            let key = serde_json::to_string(name).unwrap_or_default();
            if reader.is_empty() {
                let _ = write!(p, "exports[{key}] = void 0;");
            } else {
                let _ = write!(
                    p,
                    "Object.defineProperty(exports, {key}, {{ enumerable: true, configurable: true, get: function () {{ return {reader}; }} }});"
                );
            }
        }
        for r in &self.requires {
            p.push_str(r);
        }
        for var in &self.stars {
            let _ = write!(p, "require.interop.star(exports, {var});");
        }
        p
    }
}

fn export_name(name: &ModuleExportName<'_>) -> String {
    name.name().to_string()
}

/// The names a declaration binds at the top level.
fn declared_names(declaration: &Declaration<'_>) -> Vec<String> {
    let mut names = Vec::new();
    match declaration {
        Declaration::VariableDeclaration(v) => {
            for d in &v.declarations {
                pattern_names(&d.id.kind, &mut names);
            }
        }
        Declaration::FunctionDeclaration(f) => {
            if let Some(id) = &f.id {
                names.push(id.name.to_string());
            }
        }
        Declaration::ClassDeclaration(c) => {
            if let Some(id) = &c.id {
                names.push(id.name.to_string());
            }
        }
        _ => {}
    }
    names
}

fn pattern_names(kind: &BindingPatternKind<'_>, names: &mut Vec<String>) {
    match kind {
        BindingPatternKind::BindingIdentifier(id) => names.push(id.name.to_string()),
        BindingPatternKind::ObjectPattern(o) => {
            for p in &o.properties {
                pattern_names(&p.value.kind, names);
            }
            if let Some(rest) = &o.rest {
                pattern_names(&rest.argument.kind, names);
            }
        }
        BindingPatternKind::ArrayPattern(a) => {
            for p in a.elements.iter().flatten() {
                pattern_names(&p.kind, names);
            }
            if let Some(rest) = &a.rest {
                pattern_names(&rest.argument.kind, names);
            }
        }
        BindingPatternKind::AssignmentPattern(a) => pattern_names(&a.left.kind, names),
    }
}

#[cfg(test)]
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
