//! Module resolution: which file of the package a `require`/`import` specifier names,
//! the way WeChat's developer tools resolve it, confined to the package root.
//!
//! docs/MODULES.md walks through the algorithm with its errors; in short, for a
//! specifier `S` required from a file in folder `D` (paths relative to the root):
//!
//! 1. **`resolveAlias`** (app.json): the longest key `S` starts with maps it to a path
//!    from the root; that path's files, then the root's `miniprogram_npm`.
//! 2. **Relative** (`./x`, `../x`) and **leading `/`** (`/utils/x`): from `D`. The
//!    devtools' module engine drops a leading `/`: it is *not* the root (the root is
//!    reached through `resolveAlias {"@/*": "/*"}` or a relative path).
//! 3. **Bare** (`udp-proto`, `pkg/sub`, `utils/x.js`): a file at `D/S`, then
//!    `miniprogram_npm/S` in `D` and in each folder above it up to the root
//!    (`S/index.js`, then `S.js`), then (a wxudp leniency, noted in `--verbose`) a
//!    file at `S` from the root.
//!
//! The files of a path `P` without an extension are tried in this order: `P` itself,
//! `P.ts`, `P.js`, `P.json`, `P/index.ts`, `P/index.js`. A `P` ending in `.js` tries
//! the `.ts` of the same name first (a `.ts` compiles to the `.js` name, and the
//! devtools prefer the `.ts` when both exist), then `P`; one ending in `.ts` or `.json`
//! tries `P`; then the folder's index files. A path that climbs above the root names nothing. Every
//! candidate is checked after its symlinks are resolved: a regular file inside the
//! package, or nothing.

use std::path::{Component, Path, PathBuf};

/// An app.json `resolveAlias` entry, with the trailing `*` of key and value removed
/// (`"@/*": "/*"` is `("@/", "/")`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Alias {
    pub(crate) key: String,
    pub(crate) value: String,
}

impl Alias {
    /// The aliases of an app.json `resolveAlias` object, longest key first; entries
    /// whose key or value does not end in `/*` are left out (WeChat refuses them).
    pub(crate) fn parse(value: Option<&serde_json::Value>) -> Vec<Alias> {
        let mut aliases: Vec<Alias> = value
            .and_then(serde_json::Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(key, value)| {
                let key = key.strip_suffix('*').filter(|k| k.ends_with('/'))?;
                let value = value
                    .as_str()?
                    .strip_suffix('*')
                    .filter(|v| v.ends_with('/'))?;
                Some(Alias {
                    key: key.to_string(),
                    value: value.to_string(),
                })
            })
            .collect();
        aliases.sort_by_key(|a| std::cmp::Reverse(a.key.len()));
        aliases
    }
}

/// How a specifier was found, when WeChat would not have found it the same way (the
/// `--verbose` line says so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Leniency {
    /// A bare name found from the root, not from the requiring file's folder.
    FromRoot,
    /// A folder's `index` file for a file of the project (WeChat looks for `index.js`
    /// only inside `miniprogram_npm`).
    FolderIndex,
    /// A `.json` file (WeChat requires only `.js` modules).
    Json,
    /// A specifier naming a `.ts` file (WeChat knows the compiled `.js` name only).
    TypeScriptName,
}

impl Leniency {
    /// What WeChat would do instead, for the `--verbose` line.
    pub(crate) fn note(self) -> &'static str {
        match self {
            Leniency::FromRoot => "WeChat resolves a bare name from the requiring file's folder and miniprogram_npm only; wxudp also tries the root",
            Leniency::FolderIndex => "WeChat does not look for a folder's index file outside miniprogram_npm",
            Leniency::Json => "WeChat's require loads .js modules only, not .json",
            Leniency::TypeScriptName => "WeChat knows a .ts file by its .js name only",
        }
    }
}

/// A module found: its canonical path, and what WeChat would do differently, if
/// anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) path: PathBuf,
    pub(crate) leniency: Option<Leniency>,
}

/// Why nothing was found: the candidates tried (relative to the root, all inside the
/// package), and a hint when the answer is likely elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NotFound {
    pub(crate) tried: Vec<String>,
    pub(crate) hint: Option<String>,
}

/// Resolves specifiers in one package.
#[derive(Debug, Clone)]
pub(crate) struct Resolver {
    /// The package root, canonical.
    root: PathBuf,
    /// The project folder (`project.config.json`'s, at or above the root), canonical:
    /// where `node_modules` may be found for the hint that npm was not built.
    project: PathBuf,
    aliases: Vec<Alias>,
}

/// How a specifier is read for `usingComponents`: a leading `/` is the root there
/// (WeChat's component paths), where `require` drops it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Require,
    Component,
}

impl Resolver {
    /// A resolver for the package at `root` (canonicalized here; a root that cannot be
    /// resolved finds nothing), in the project folder `project`.
    pub(crate) fn new(root: &Path, project: &Path, aliases: Vec<Alias>) -> Resolver {
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let project = project
            .canonicalize()
            .ok()
            .filter(|p| root.starts_with(p))
            .unwrap_or_else(|| root.clone());
        Resolver {
            root,
            project,
            aliases,
        }
    }

    /// The package root (canonical).
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The module `spec` names from a file in the folder `dir` (absolute).
    pub(crate) fn resolve(&self, dir: &Path, spec: &str, mode: Mode) -> Result<Found, NotFound> {
        let mut tried = Vec::new();
        if spec.is_empty() || spec.contains('\0') {
            return Err(NotFound::default());
        }
        // The requiring folder, as segments from the root (a folder outside: the root).
        let from = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.strip_prefix(&self.root).ok().map(Path::to_path_buf))
            .map(|rel| segments_of(&rel))
            .unwrap_or_default();
        if let Some((alias, rest)) = self.alias(spec) {
            let mapped = format!("{}{rest}", alias.value);
            if let Some(path) = normalize(&[], mapped.trim_start_matches('/')) {
                if let Some(found) = self.files(&path, &mut tried) {
                    return Ok(found);
                }
                if let Some(found) = self.npm(&[], &path, &mut tried) {
                    return Ok(found);
                }
            }
            return Err(NotFound { tried, hint: None });
        }
        let relative =
            spec.starts_with("./") || spec.starts_with("../") || spec == "." || spec == "..";
        let absolute = spec.starts_with('/');
        if relative || absolute {
            let start: &[String] = if absolute && mode == Mode::Component {
                &[]
            } else {
                &from
            };
            let Some(path) = normalize(start, spec.trim_start_matches('/')) else {
                return Err(NotFound { tried, hint: None });
            };
            return self
                .files(&path, &mut tried)
                .ok_or(NotFound { tried, hint: None });
        }
        // A bare name: a file beside the requiring one, then miniprogram_npm outward,
        // then from the root.
        if let Some(path) = normalize(&from, spec) {
            if let Some(found) = self.files(&path, &mut tried) {
                return Ok(found);
            }
        }
        if let Some(name) = normalize(&[], spec) {
            if let Some(found) = self.npm(&from, &name, &mut tried) {
                return Ok(found);
            }
            if !from.is_empty() || mode == Mode::Component {
                if let Some(mut found) = self.files(&name, &mut tried) {
                    found.leniency.get_or_insert(Leniency::FromRoot);
                    return Ok(found);
                }
            }
        }
        let hint = self.node_modules_hint(dir, spec);
        Err(NotFound { tried, hint })
    }

    /// The longest alias `spec` starts with, and the rest of `spec`.
    fn alias<'s>(&self, spec: &'s str) -> Option<(&Alias, &'s str)> {
        self.aliases
            .iter()
            .find_map(|a| spec.strip_prefix(a.key.as_str()).map(|rest| (a, rest)))
    }

    /// The files a path may name, in order (see the module documentation).
    fn files(&self, path: &[String], tried: &mut Vec<String>) -> Option<Found> {
        let p = path.join("/");
        if p.is_empty() {
            return None;
        }
        let mut candidates: Vec<(String, Option<Leniency>)> = Vec::new();
        let extension = p
            .rsplit_once('.')
            .map(|(_, e)| e)
            .filter(|e| !e.contains('/'));
        match extension {
            Some("js") => {
                let stem = &p[..p.len() - 3];
                candidates.push((format!("{stem}.ts"), None));
                candidates.push((p.clone(), None));
            }
            Some("json") => candidates.push((p.clone(), Some(Leniency::Json))),
            Some("ts" | "mts" | "cts") => {
                candidates.push((p.clone(), Some(Leniency::TypeScriptName)));
            }
            Some("mjs" | "cjs") => candidates.push((p.clone(), None)),
            _ => {
                candidates.push((p.clone(), None));
                candidates.push((format!("{p}.ts"), None));
                candidates.push((format!("{p}.js"), None));
                candidates.push((format!("{p}.json"), Some(Leniency::Json)));
            }
        }
        candidates.push((format!("{p}/index.ts"), Some(Leniency::FolderIndex)));
        candidates.push((format!("{p}/index.js"), Some(Leniency::FolderIndex)));
        self.first(candidates, tried)
    }

    /// A package in `miniprogram_npm`, from the folder `from` outward to the root:
    /// `name/index.js`, then `name.js`.
    fn npm(&self, from: &[String], name: &[String], tried: &mut Vec<String>) -> Option<Found> {
        let n = name.join("/");
        for depth in (0..=from.len()).rev() {
            let mut base = from[..depth].join("/");
            if !base.is_empty() {
                base.push('/');
            }
            let mut candidates = vec![(format!("{base}miniprogram_npm/{n}/index.js"), None)];
            if n.ends_with(".js") {
                candidates.push((format!("{base}miniprogram_npm/{n}"), None));
            } else {
                candidates.push((format!("{base}miniprogram_npm/{n}.js"), None));
            }
            if let Some(found) = self.first(candidates, tried) {
                return Some(found);
            }
        }
        None
    }

    /// The first candidate that is a regular file inside the package; every one looked
    /// at is added to `tried`.
    fn first(
        &self,
        candidates: Vec<(String, Option<Leniency>)>,
        tried: &mut Vec<String>,
    ) -> Option<Found> {
        for (candidate, leniency) in candidates {
            if tried.contains(&candidate) {
                continue;
            }
            let found = super::modules::inside(&self.root, &self.root.join(&candidate));
            tried.push(candidate);
            if let Some(path) = found {
                return Some(Found { path, leniency });
            }
        }
        None
    }

    /// When a bare name is in a `node_modules` of the project but not in any
    /// `miniprogram_npm`: npm was installed but never built for the mini program.
    fn node_modules_hint(&self, dir: &Path, spec: &str) -> Option<String> {
        let mut parts = spec.split('/');
        let first = parts.next()?;
        let name = if first.starts_with('@') {
            format!("{first}/{}", parts.next()?)
        } else {
            first.to_string()
        };
        if name
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return None;
        }
        let dir = dir.canonicalize().ok()?;
        let found = dir
            .ancestors()
            .take_while(|a| a.starts_with(&self.project))
            .any(|a| a.join("node_modules").join(&name).is_dir());
        found.then(|| {
            format!(
                "'{name}' is in node_modules but not in miniprogram_npm: npm was installed but not built for the mini program. \
                 Build it as the WeChat devtools do (Tools > Build npm, or miniprogram-ci's packNpm), which writes miniprogram_npm/{name}/"
            )
        })
    }
}

/// `path`'s normal segments.
fn segments_of(path: &Path) -> Vec<String> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

/// `spec` (segments separated by `/`) joined to `base`, with `.` dropped and `..`
/// taking one segment back: `None` when it climbs above the root.
fn normalize(base: &[String], spec: &str) -> Option<Vec<String>> {
    let mut out = base.to_vec();
    for seg in spec.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s.to_string()),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    struct Tree(PathBuf);

    impl Tree {
        fn new(name: &str) -> Tree {
            let dir =
                std::env::temp_dir().join(format!("wxudp-resolve-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Tree(dir.canonicalize().unwrap())
        }

        fn file(&self, rel: &str) -> PathBuf {
            let p = self.0.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "").unwrap();
            p
        }

        fn resolver(&self, aliases: &[(&str, &str)]) -> Resolver {
            let json: serde_json::Map<String, serde_json::Value> = aliases
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
                .collect();
            let root = self.0.join("mp");
            std::fs::create_dir_all(&root).unwrap();
            Resolver::new(&root, &self.0, Alias::parse(Some(&json.into())))
        }
    }

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn found(r: &Resolver, from: &str, spec: &str) -> Option<String> {
        let dir = r.root().join(from);
        std::fs::create_dir_all(&dir).unwrap();
        r.resolve(&dir, spec, Mode::Require).ok().map(|f| {
            f.path
                .strip_prefix(r.root())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
    }

    fn tried(r: &Resolver, from: &str, spec: &str) -> Vec<String> {
        r.resolve(&r.root().join(from), spec, Mode::Require)
            .unwrap_err()
            .tried
    }

    #[test]
    fn extensionless_specifiers_try_ts_js_json_then_the_folder_index() {
        let t = Tree::new("ext");
        let r = t.resolver(&[]);
        t.file("mp/utils/codec.ts");
        t.file("mp/utils/conf.json");
        t.file("mp/utils/lib/index.ts");
        t.file("mp/utils/old/index.js");
        assert_eq!(
            found(&r, "pages/scan", "../../utils/codec").unwrap(),
            "utils/codec.ts"
        );
        // The compiled name finds the .ts.
        assert_eq!(
            found(&r, "pages/scan", "../../utils/codec.js").unwrap(),
            "utils/codec.ts"
        );
        assert_eq!(found(&r, "utils", "./conf").unwrap(), "utils/conf.json");
        assert_eq!(found(&r, "utils", "./lib").unwrap(), "utils/lib/index.ts");
        assert_eq!(found(&r, "utils", "./old").unwrap(), "utils/old/index.js");
        assert_eq!(
            tried(&r, "pages/scan", "../../utils/nope"),
            [
                "utils/nope",
                "utils/nope.ts",
                "utils/nope.js",
                "utils/nope.json",
                "utils/nope/index.ts",
                "utils/nope/index.js"
            ]
        );
    }

    #[test]
    fn a_ts_wins_over_a_js_of_the_same_name() {
        let t = Tree::new("tswins");
        let r = t.resolver(&[]);
        t.file("mp/a.ts");
        t.file("mp/a.js");
        assert_eq!(found(&r, "", "./a").unwrap(), "a.ts");
        assert_eq!(found(&r, "", "./a.js").unwrap(), "a.ts");
        let f = r.resolve(r.root(), "./a.ts", Mode::Require).unwrap();
        assert_eq!(f.leniency, Some(Leniency::TypeScriptName));
    }

    #[test]
    fn a_leading_slash_is_the_requiring_folder_for_require_and_the_root_for_components() {
        let t = Tree::new("slash");
        let r = t.resolver(&[]);
        t.file("mp/utils/util.js");
        t.file("mp/components/card/card.js");
        // From the root, "/utils/util.js" and "utils/util.js" are the same file.
        assert_eq!(found(&r, "", "/utils/util.js").unwrap(), "utils/util.js");
        // From a page, the devtools' engine looks under the page's folder.
        assert_eq!(found(&r, "pages/index", "/utils/util.js"), None);
        assert_eq!(
            tried(&r, "pages/index", "/utils/util.js")[..2],
            ["pages/index/utils/util.ts", "pages/index/utils/util.js"]
        );
        let dir = r.root().join("pages/index");
        let c = r
            .resolve(&dir, "/components/card/card", Mode::Component)
            .unwrap();
        assert_eq!(c.path, r.root().join("components/card/card.js"));
    }

    #[test]
    fn bare_names_look_beside_then_in_miniprogram_npm_outward_then_from_the_root() {
        let t = Tree::new("npm");
        let r = t.resolver(&[]);
        t.file("mp/miniprogram_npm/udp-proto/index.js");
        t.file("mp/miniprogram_npm/dayjs/plugin/utc.js");
        t.file("mp/miniprogram_npm/single.js");
        t.file("mp/pages/a/miniprogram_npm/udp-proto/index.js");
        t.file("mp/pages/a/helper.js");
        t.file("mp/utils/util.js");
        // The nearest miniprogram_npm wins.
        assert_eq!(
            found(&r, "pages/a", "udp-proto").unwrap(),
            "pages/a/miniprogram_npm/udp-proto/index.js"
        );
        assert_eq!(
            found(&r, "pages/b", "udp-proto").unwrap(),
            "miniprogram_npm/udp-proto/index.js"
        );
        assert_eq!(
            found(&r, "pages/b", "dayjs/plugin/utc").unwrap(),
            "miniprogram_npm/dayjs/plugin/utc.js"
        );
        assert_eq!(
            found(&r, "", "single").unwrap(),
            "miniprogram_npm/single.js"
        );
        // A file beside the requiring one comes first.
        assert_eq!(found(&r, "pages/a", "helper").unwrap(), "pages/a/helper.js");
        // Inside a package, another package is found outward from there.
        assert_eq!(
            found(&r, "miniprogram_npm/dayjs/plugin", "udp-proto").unwrap(),
            "miniprogram_npm/udp-proto/index.js"
        );
        // From the root as a last resort, noted as wxudp's own.
        let f = r
            .resolve(&r.root().join("pages/a"), "utils/util", Mode::Require)
            .unwrap();
        assert_eq!(f.path, r.root().join("utils/util.js"));
        assert_eq!(f.leniency, Some(Leniency::FromRoot));
        let list = tried(&r, "pages/a", "nope");
        assert!(
            list.contains(&"pages/a/miniprogram_npm/nope/index.js".to_string()),
            "{list:?}"
        );
        assert!(
            list.contains(&"miniprogram_npm/nope.js".to_string()),
            "{list:?}"
        );
    }

    #[test]
    fn a_package_only_in_node_modules_says_npm_was_not_built() {
        let t = Tree::new("nodemodules");
        let r = t.resolver(&[]);
        std::fs::create_dir_all(t.0.join("node_modules/dayjs")).unwrap();
        std::fs::create_dir_all(t.0.join("node_modules/@scope/pkg")).unwrap();
        let e = r.resolve(r.root(), "dayjs", Mode::Require).unwrap_err();
        assert!(e.hint.as_deref().unwrap().contains("Build npm"), "{e:?}");
        let e = r
            .resolve(r.root(), "@scope/pkg/sub", Mode::Require)
            .unwrap_err();
        assert!(
            e.hint
                .as_deref()
                .unwrap()
                .contains("miniprogram_npm/@scope/pkg/"),
            "{e:?}"
        );
        let e = r.resolve(r.root(), "other", Mode::Require).unwrap_err();
        assert_eq!(e.hint, None);
    }

    #[test]
    fn aliases_map_the_longest_key_from_the_root() {
        let t = Tree::new("alias");
        let r = t.resolver(&[
            ("@/*", "/*"),
            ("@utils/*", "utils/*"),
            ("@utils/net/*", "lib/net/*"),
            ("bad", "x/*"),
        ]);
        t.file("mp/utils/codec.ts");
        t.file("mp/lib/net/udp.js");
        t.file("mp/miniprogram_npm/aliased/index.js");
        assert_eq!(
            found(&r, "pages/deep/er", "@/utils/codec").unwrap(),
            "utils/codec.ts"
        );
        assert_eq!(
            found(&r, "pages/x", "@utils/codec").unwrap(),
            "utils/codec.ts"
        );
        assert_eq!(
            found(&r, "pages/x", "@utils/net/udp").unwrap(),
            "lib/net/udp.js"
        );
        assert_eq!(
            found(&r, "pages/x", "@/aliased").unwrap(),
            "miniprogram_npm/aliased/index.js"
        );
        // An alias that climbs out names nothing.
        assert_eq!(found(&r, "pages/x", "@/../../etc/passwd"), None);
        assert_eq!(
            Alias::parse(Some(&serde_json::json!({"a": "b/*", "c/*": 1}))),
            []
        );
    }

    #[test]
    fn nothing_outside_the_root_is_ever_a_candidate() {
        let t = Tree::new("escape");
        let r = t.resolver(&[]);
        t.file("secret.js");
        for spec in [
            "../secret",
            "../secret.js",
            "./../secret",
            "pkg/../../secret",
            "/../secret",
            "..",
            ".",
        ] {
            let e = r.resolve(r.root(), spec, Mode::Require).unwrap_err();
            assert!(e.tried.iter().all(|c| !c.contains("..")), "{spec}: {e:?}");
        }
        // The answer is the same whether the file outside exists or not.
        let with = r.resolve(r.root(), "../secret", Mode::Require).unwrap_err();
        std::fs::remove_file(t.0.join("secret.js")).unwrap();
        assert_eq!(
            r.resolve(r.root(), "../secret", Mode::Require).unwrap_err(),
            with
        );
    }
}
