//! What a project's configuration says about how its code is compiled and found:
//! `project.config.json` (its compiler plugins and build scripts), `tsconfig.json`
//! (`esModuleInterop`, following `extends` inside the project) and app.json
//! (`resolveAlias`, subpackages).
//!
//! The interop of a `.ts` file follows the project's own compiler, as the devtools
//! do (docs/MODULES.md has the table):
//!
//! - `setting.useCompilerPlugins` with `"typescript"`: the devtools strip the types
//!   and Babel compiles the modules ([`Interop::Babel`]).
//! - otherwise a `tsconfig.json` in the project folder (the tsc template, whose
//!   `beforeCompile` runs `tsc`): tsc's CommonJS output under that tsconfig
//!   ([`Interop::Tsc`]).
//! - neither: Babel, as the devtools compile JavaScript.
//!
//! JavaScript files always compile as the devtools' ES6-to-ES5 build does (Babel).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::resolve::Alias;

/// The largest configuration file read: 1 MiB.
pub(crate) const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// How `import` of a CommonJS module reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Interop {
    /// Babel's (`@babel/plugin-transform-modules-commonjs`): `import x` is
    /// `module.exports` unless it is an ES module; `import * as X` a namespace object
    /// (not callable); `export =` is refused.
    #[default]
    Babel,
    /// tsc's CommonJS output. With `esModuleInterop` off, `import * as X` is
    /// `module.exports` itself (callable) and `import x` its `default`; on, `import * as
    /// X` is `__importStar`'s object and `import x` is `__importDefault`'s.
    Tsc {
        /// `compilerOptions.esModuleInterop`.
        es_module_interop: bool,
    },
}

impl Interop {
    /// The name the transform and the prelude know it by.
    #[cfg_attr(not(feature = "transform"), allow(dead_code))]
    pub(crate) fn name(self) -> &'static str {
        match self {
            Interop::Babel => "babel",
            Interop::Tsc {
                es_module_interop: false,
            } => "tsc",
            Interop::Tsc {
                es_module_interop: true,
            } => "tsc-interop",
        }
    }
}

/// A subpackage of app.json (`subpackages` or `subPackages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subpackage {
    /// Its folder, from the package root, without a trailing `/`.
    pub(crate) root: String,
    /// Its page routes, each with the root in front.
    pub(crate) pages: Vec<String>,
    /// `independent: true`: it runs without the main package.
    pub(crate) independent: bool,
}

/// What the configuration files say.
#[derive(Debug, Clone, Default)]
pub(crate) struct Config {
    /// The project folder: where `project.config.json` is (else the package root).
    pub(crate) folder: PathBuf,
    /// `project.config.json`'s `appid`.
    pub(crate) app_id: Option<String>,
    /// How `.ts` files read CommonJS modules.
    pub(crate) ts_interop: Interop,
    /// app.json's `resolveAlias`, longest key first.
    pub(crate) aliases: Vec<Alias>,
    /// app.json's subpackages.
    pub(crate) subpackages: Vec<Subpackage>,
    /// app.json itself, for `__wxConfig` (`{}` without one).
    pub(crate) app: Value,
}

impl Config {
    /// Reads the configuration of the package at `root` in the project folder `folder`
    /// (the folder holding project.config.json, at or above `root`). Unreadable or
    /// missing files count as empty, except a `tsconfig.json` that is not JSON with
    /// comments, which is an error (the devtools' tsc would refuse it too).
    pub(crate) fn read(folder: &Path, root: &Path) -> Result<Config, String> {
        let project = read_json(&folder.join("project.config.json"))
            .ok()
            .flatten()
            .unwrap_or(Value::Null);
        let app = read_json(&root.join("app.json"))
            .ok()
            .flatten()
            .filter(Value::is_object)
            .unwrap_or_else(|| Value::Object(Default::default()));
        let plugins = project
            .pointer("/setting/useCompilerPlugins")
            .and_then(Value::as_array)
            .map(|list| list.iter().any(|p| plugin_name(p) == Some("typescript")))
            .unwrap_or(false);
        let ts_interop = if plugins {
            Interop::Babel
        } else {
            match tsconfig_interop(folder, &folder.join("tsconfig.json"), 0)? {
                Some(es_module_interop) => Interop::Tsc { es_module_interop },
                None => Interop::Babel,
            }
        };
        Ok(Config {
            folder: folder.to_path_buf(),
            app_id: project
                .get("appid")
                .and_then(Value::as_str)
                .map(str::to_owned),
            ts_interop,
            aliases: Alias::parse(app.get("resolveAlias")),
            subpackages: subpackages(&app),
            app,
        })
    }

    /// The subpackage whose folder holds `route` (a path from the root), if any.
    pub(crate) fn subpackage_of(&self, route: &str) -> Option<&Subpackage> {
        self.subpackages.iter().find(|s| {
            route
                .strip_prefix(s.root.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }
}

/// A compiler plugin's name: `"typescript"` or `{"name": "typescript", ...}`.
fn plugin_name(p: &Value) -> Option<&str> {
    p.as_str().or_else(|| p.get("name").and_then(Value::as_str))
}

/// app.json's subpackages, `root` normalized, pages with their root.
fn subpackages(app: &Value) -> Vec<Subpackage> {
    let mut out = Vec::new();
    for key in ["subpackages", "subPackages"] {
        let Some(Value::Array(list)) = app.get(key) else {
            continue;
        };
        for sub in list {
            let Some(root) = sub.get("root").and_then(Value::as_str) else {
                continue;
            };
            let root = normalize_route(root);
            if root.is_empty() || out.iter().any(|s: &Subpackage| s.root == root) {
                continue;
            }
            let pages = sub
                .get("pages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|p| normalize_route(&format!("{root}/{p}")))
                .collect();
            out.push(Subpackage {
                root,
                pages,
                independent: sub.get("independent").and_then(Value::as_bool) == Some(true),
            });
        }
    }
    out
}

/// `compilerOptions.esModuleInterop` of the tsconfig at `path` (following `extends`
/// to files inside the project folder, at most 8 deep): `None` when there is no
/// tsconfig, `Some(false)` when none of them sets it.
fn tsconfig_interop(folder: &Path, path: &Path, depth: usize) -> Result<Option<bool>, String> {
    if depth > 8 {
        return Ok(Some(false));
    }
    let Some(text) = read_text(path)? else {
        return Ok(None);
    };
    let value = jsonc_parser::parse_to_serde_value(&text, &Default::default())
        .map_err(|e| format!("{}: {e}", path.display()))?
        .unwrap_or(Value::Null);
    if let Some(flag) = value
        .pointer("/compilerOptions/esModuleInterop")
        .and_then(Value::as_bool)
    {
        return Ok(Some(flag));
    }
    let parent: Option<PathBuf> = value
        .get("extends")
        .and_then(Value::as_str)
        .filter(|e| e.starts_with('.'))
        .and_then(|e| {
            let base = path.parent()?.join(e);
            let base = if base.extension().is_none() {
                base.with_extension("json")
            } else {
                base
            };
            let real = base.canonicalize().ok()?;
            real.starts_with(folder.canonicalize().ok()?)
                .then_some(real)
        });
    match parent {
        Some(parent) => Ok(Some(
            tsconfig_interop(folder, &parent, depth + 1)?.unwrap_or(false),
        )),
        None => Ok(Some(false)),
    }
}

/// A small text file: `Ok(None)` when there is no such regular file.
fn read_text(path: &Path) -> Result<Option<String>, String> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    if !meta.is_file() {
        return Ok(None);
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(format!("{}: larger than 1 MiB", path.display()));
    }
    std::fs::read_to_string(path)
        .map(Some)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a small JSON file: `Ok(None)` when there is no such file.
pub(crate) fn read_json(path: &Path) -> Result<Option<Value>, String> {
    let Some(text) = read_text(path).map_err(|e| {
        e.rsplit_once(": ")
            .map_or(e.clone(), |(_, reason)| reason.to_string())
    })?
    else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| format!("not valid JSON: {e}"))
}

/// A route as WeChat writes it: no leading `/`, no `.js`, `./` segments dropped.
pub(crate) fn normalize_route(route: &str) -> String {
    let route = route.trim();
    let route = route
        .strip_suffix(".js")
        .or_else(|| route.strip_suffix(".ts"))
        .unwrap_or(route);
    route
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    struct Dir(PathBuf);

    impl Dir {
        fn new(name: &str) -> Dir {
            let dir =
                std::env::temp_dir().join(format!("wxudp-config-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Dir(dir.canonicalize().unwrap())
        }

        fn file(&self, rel: &str, text: &str) {
            let p = self.0.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_typescript_plugin_means_babel_and_a_tsconfig_means_tsc() {
        let d = Dir::new("interop");
        let root = d.0.join("miniprogram");
        std::fs::create_dir_all(&root).unwrap();
        assert_eq!(
            Config::read(&d.0, &root).unwrap().ts_interop,
            Interop::Babel
        );
        d.file(
            "tsconfig.json",
            "{\n // the tsc template\n \"compilerOptions\": { \"module\": \"CommonJS\", },\n}",
        );
        assert_eq!(
            Config::read(&d.0, &root).unwrap().ts_interop,
            Interop::Tsc {
                es_module_interop: false
            }
        );
        d.file(
            "base.json",
            r#"{"compilerOptions": {"esModuleInterop": true}}"#,
        );
        d.file(
            "tsconfig.json",
            r#"{"extends": "./base", "compilerOptions": {}}"#,
        );
        assert_eq!(
            Config::read(&d.0, &root).unwrap().ts_interop,
            Interop::Tsc {
                es_module_interop: true
            }
        );
        d.file(
            "project.config.json",
            r#"{"appid": "wx0123", "setting": {"useCompilerPlugins": ["typescript", "sass"]}}"#,
        );
        let c = Config::read(&d.0, &root).unwrap();
        assert_eq!(c.ts_interop, Interop::Babel);
        assert_eq!(c.app_id.as_deref(), Some("wx0123"));
        d.file("project.config.json", "{}");
        d.file("tsconfig.json", "{ not json");
        assert!(Config::read(&d.0, &root)
            .unwrap_err()
            .contains("tsconfig.json"));
    }

    #[test]
    fn subpackages_and_aliases_come_from_app_json() {
        let d = Dir::new("app");
        d.file(
            "app.json",
            r#"{"pages": ["pages/index/index"],
                "resolveAlias": {"@/*": "/*"},
                "subPackages": [{"root": "packageA/", "pages": ["pages/cat/cat"]},
                                {"root": "moduleB", "pages": ["x"], "independent": true}]}"#,
        );
        let c = Config::read(&d.0, &d.0).unwrap();
        assert_eq!(c.aliases.len(), 1);
        assert_eq!(c.subpackages.len(), 2);
        assert_eq!(c.subpackages[0].root, "packageA");
        assert_eq!(c.subpackages[0].pages, ["packageA/pages/cat/cat"]);
        assert!(c.subpackages[1].independent);
        assert_eq!(
            c.subpackage_of("packageA/utils/x").unwrap().root,
            "packageA"
        );
        assert!(c.subpackage_of("packageAB/x").is_none());
        assert!(c.subpackage_of("pages/index/index").is_none());
    }
}
