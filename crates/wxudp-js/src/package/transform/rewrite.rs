//! The oxc side of the transform: TypeScript stripped with a source map, module syntax
//! rewritten into CommonJS (see the parent module for the rules).

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

use super::LineMap;
use crate::package::config::Interop;

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
pub(super) fn strip_types(
    path: &str,
    source: &str,
    interop: Interop,
) -> Result<(String, LineMap), String> {
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
pub(super) fn to_commonjs(
    path: &str,
    js: &str,
    interop: Interop,
) -> Result<Option<String>, String> {
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
