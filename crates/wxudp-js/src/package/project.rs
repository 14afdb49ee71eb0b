//! What `wxudp run PATH` runs: a script, a mini-program project folder (`app.json`,
//! `app.js`, its pages) or a mini-game folder (`game.json`, `game.js`), and the package
//! root `require` and `import` may read from.
//!
//! A folder is read the way WeChat's developer tools read it: `project.config.json`'s
//! `srcMiniprogramRoot` (the sources compiler plugins start from), else its
//! `miniprogramRoot`, names the folder of the code (it must lie inside the project
//! folder); there, `app.json` makes a mini program and `game.json` a mini game. The
//! package root is that folder. A file is run as a script, as before: its package root
//! is found by [`crate::package::modules::package_root`].

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::config::{normalize_route, read_json, Config};

/// What kind of code a run runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One file, run as a CommonJS module (pages in it start at once).
    Script,
    /// A mini program: `app.js`, then the entry page.
    MiniProgram,
    /// A mini game: `game.js`, with `GameGlobal`.
    MiniGame,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Script => "script",
            Kind::MiniProgram => "miniprogram",
            Kind::MiniGame => "minigame",
        }
    }
}

/// What a run runs, as read from the path it was given.
#[derive(Debug, Clone)]
pub(crate) struct Project {
    pub(crate) kind: Kind,
    /// The file run first: the script, `app.js`/`app.ts` or `game.js`/`game.ts`.
    pub(crate) main: PathBuf,
    /// The package root: what `require` and `import` may read.
    pub(crate) root: PathBuf,
    /// The page routes `app.json` lists (`pages`, then each subpackage's), in order.
    pub(crate) pages: Vec<String>,
    /// The route of the page opened first (mini programs only).
    pub(crate) entry: Option<String>,
    /// Its query, as `--page` gave it (`k=v&k2=v2`, not decoded).
    pub(crate) query: String,
    /// What project.config.json, tsconfig.json and app.json say (interop, aliases,
    /// subpackages).
    pub(crate) config: Config,
}

impl Project {
    /// Reads what `path` holds. `page` is `--page ROUTE[?QUERY]`, which needs a mini
    /// program. The errors are whole sentences for the user.
    pub(crate) fn open(path: &Path, page: Option<&str>) -> Result<Project, String> {
        let absolute = std::path::absolute(path)
            .map_err(|_| format!("cannot open {}: no such file", path.display()))?;
        if absolute.is_dir() {
            return Self::open_folder(path, &absolute, page);
        }
        if !absolute.is_file() {
            return Err(format!("cannot open {}: no such file", path.display()));
        }
        if page.is_some() {
            return Err(format!(
                "--page opens a page of a mini-program project folder; {} is a file (run its folder instead)",
                path.display()
            ));
        }
        // A script named through a symlink runs where the link points, as Node runs it:
        // its package, its relative requires and `__dirname` are those of the real file.
        let absolute = absolute
            .canonicalize()
            .map_err(|_| format!("cannot open {}: no such file", path.display()))?;
        let root = crate::package::modules::package_root(&absolute);
        let kind = if root.join("game.json").is_file() && !root.join("app.json").is_file() {
            Kind::MiniGame
        } else {
            Kind::Script
        };
        let pages = read_json(&root.join("app.json"))
            .ok()
            .flatten()
            .map(|app| app_pages(&app))
            .unwrap_or_default();
        let folder = root
            .ancestors()
            .find(|dir| dir.join("project.config.json").is_file())
            .unwrap_or(&root)
            .to_path_buf();
        let config = Config::read(&folder, &root)?;
        Ok(Project {
            kind,
            main: absolute,
            root,
            pages,
            entry: None,
            query: String::new(),
            config,
        })
    }

    fn open_folder(shown: &Path, folder: &Path, page: Option<&str>) -> Result<Project, String> {
        let shown = shown.display();
        let folder = folder
            .canonicalize()
            .map_err(|e| format!("cannot open {shown}: {e}"))?;
        let mut root = folder.clone();
        if let Some(config) = read_json(&folder.join("project.config.json"))
            .map_err(|e| format!("cannot read {shown}/project.config.json: {e}"))?
        {
            let key = if matches!(config.get("srcMiniprogramRoot"), Some(Value::String(s)) if !s.trim().is_empty())
            {
                "srcMiniprogramRoot"
            } else {
                "miniprogramRoot"
            };
            match config.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::String(sub)) if !sub.trim().is_empty() => {
                    let inner = folder.join(sub.trim());
                    root = inner.canonicalize().map_err(|_| {
                        format!("{shown}/project.config.json: {key} {sub:?} is not a folder")
                    })?;
                    if !root.starts_with(&folder) || !root.is_dir() {
                        return Err(format!(
                            "{shown}/project.config.json: {key} {sub:?} must be a folder inside the project folder"
                        ));
                    }
                }
                Some(Value::String(_)) => {}
                Some(_) => {
                    return Err(format!(
                        "{shown}/project.config.json: {key} must be a string (a folder inside the project)"
                    ))
                }
            }
        }
        let app = read_json(&root.join("app.json"))
            .map_err(|e| format!("cannot read {}: {e}", root.join("app.json").display()))?;
        if let Some(app) = app {
            let config = Config::read(&folder, &root)?;
            return Self::mini_program(&root, &app, page, config);
        }
        let game = read_json(&root.join("game.json"))
            .map_err(|e| format!("cannot read {}: {e}", root.join("game.json").display()))?;
        if game.is_some() {
            if page.is_some() {
                return Err(format!(
                    "--page opens a page of a mini program; {shown} is a mini game (game.json)"
                ));
            }
            let main = script_in(&root, "game").ok_or_else(|| {
                format!("{shown} is a mini game (game.json) without game.js or game.ts")
            })?;
            let config = Config::read(&folder, &root)?;
            return Ok(Project {
                kind: Kind::MiniGame,
                main,
                root,
                pages: Vec::new(),
                entry: None,
                query: String::new(),
                config,
            });
        }
        Err(format!(
            "cannot run {shown}: it is neither a mini program (no app.json) nor a mini game (no game.json){}",
            if root == folder {
                ""
            } else {
                " in its miniprogramRoot"
            }
        ))
    }

    fn mini_program(
        root: &Path,
        app: &Value,
        page: Option<&str>,
        config: Config,
    ) -> Result<Project, String> {
        let app_json = root.join("app.json");
        if !app.is_object() {
            return Err(format!("{}: not a JSON object", app_json.display()));
        }
        let pages = app_pages(app);
        let main = script_in(root, "app")
            .ok_or_else(|| format!("{} has app.json but no app.js or app.ts", root.display()))?;
        let (wanted, query) = match page {
            Some(page) => {
                let (route, query) = page.split_once('?').unwrap_or((page, ""));
                (Some(normalize_route(route)), query.to_string())
            }
            None => {
                let entry = match app.get("entryPagePath") {
                    Some(Value::String(entry)) => {
                        let (route, query) = entry.split_once('?').unwrap_or((entry, ""));
                        Some((normalize_route(route), query.to_string()))
                    }
                    _ => None,
                };
                match entry {
                    Some((route, query)) => (Some(route), query),
                    None => (pages.first().cloned(), String::new()),
                }
            }
        };
        let Some(entry) = wanted else {
            return Err(format!(
                "{}: no pages: list the pages in \"pages\" (such as \"pages/index/index\")",
                app_json.display()
            ));
        };
        if !pages.contains(&entry) {
            return Err(format!(
                "no page {entry:?} in {}; its pages: {}",
                app_json.display(),
                if pages.is_empty() {
                    "none".to_string()
                } else {
                    pages.join(", ")
                }
            ));
        }
        if page_file(root, &entry).is_none() {
            return Err(format!(
                "the page {entry:?} has no {entry}.js or {entry}.ts in {}",
                root.display()
            ));
        }
        Ok(Project {
            kind: Kind::MiniProgram,
            main,
            root: root.to_path_buf(),
            pages,
            entry: Some(entry),
            query,
            config,
        })
    }
}

/// The page routes of `app.json`: `pages`, then each subpackage's `root/page`.
fn app_pages(app: &Value) -> Vec<String> {
    let mut pages: Vec<String> = strings(app.get("pages"))
        .map(|p| normalize_route(&p))
        .collect();
    for key in ["subpackages", "subPackages"] {
        if let Some(Value::Array(subs)) = app.get(key) {
            for sub in subs {
                let root = match sub.get("root") {
                    Some(Value::String(r)) => normalize_route(r),
                    _ => continue,
                };
                for page in strings(sub.get("pages")) {
                    pages.push(normalize_route(&format!("{root}/{page}")));
                }
            }
        }
    }
    pages.dedup();
    pages
}

fn strings(value: Option<&Value>) -> impl Iterator<Item = String> + '_ {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
}

/// `root/name.ts`, else `root/name.js` (a `.ts` wins over the `.js` of the same name,
/// as in the devtools), if either is a regular file inside `root`.
fn script_in(root: &Path, name: &str) -> Option<PathBuf> {
    let root = root.canonicalize().ok()?;
    ["ts", "js"]
        .iter()
        .find_map(|ext| super::modules::inside(&root, &root.join(format!("{name}.{ext}"))))
}

/// The file of the page at `route`: `route.js` or `route.ts` inside `root`.
pub(crate) fn page_file(root: &Path, route: &str) -> Option<PathBuf> {
    if route.split('/').any(|s| s == "..") {
        return None;
    }
    script_in(root, route)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    struct Dir(PathBuf);

    impl Dir {
        fn new(name: &str) -> Dir {
            let dir =
                std::env::temp_dir().join(format!("wxudp-project-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Dir(dir.canonicalize().unwrap())
        }

        fn file(&self, rel: &str, text: &str) -> PathBuf {
            let p = self.0.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            p
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn a_mini_program_folder_opens_its_entry_page() {
        let d = Dir::new("mp");
        d.file(
            "app.json",
            r#"{"pages": ["pages/index/index", "pages/logs/logs"],
                "subpackages": [{"root": "pkg", "pages": ["a/a"]}]}"#,
        );
        d.file("app.js", "App({})");
        d.file("pages/index/index.js", "Page({})");
        d.file("pages/logs/logs.ts", "Page({})");
        d.file("pkg/a/a.js", "Page({})");
        let p = Project::open(&d.0, None).unwrap();
        assert_eq!(p.kind, Kind::MiniProgram);
        assert_eq!(p.main, d.0.join("app.js"));
        assert_eq!(p.root, d.0);
        assert_eq!(p.pages, ["pages/index/index", "pages/logs/logs", "pkg/a/a"]);
        assert_eq!(p.entry.as_deref(), Some("pages/index/index"));
        let p = Project::open(&d.0, Some("/pages/logs/logs?id=7&x=a%20b")).unwrap();
        assert_eq!(p.entry.as_deref(), Some("pages/logs/logs"));
        assert_eq!(p.query, "id=7&x=a%20b");
        assert!(Project::open(&d.0, Some("pkg/a/a")).is_ok());
        let e = Project::open(&d.0, Some("pages/nope/nope")).unwrap_err();
        assert!(e.contains("no page \"pages/nope/nope\""), "{e}");
        assert!(
            e.contains("pages/index/index, pages/logs/logs, pkg/a/a"),
            "{e}"
        );
        // entryPagePath wins over the first page.
        d.file(
            "app.json",
            r#"{"pages": ["pages/index/index", "pages/logs/logs"], "entryPagePath": "pages/logs/logs?from=entry"}"#,
        );
        let p = Project::open(&d.0, None).unwrap();
        assert_eq!(p.entry.as_deref(), Some("pages/logs/logs"));
        assert_eq!(p.query, "from=entry");
    }

    #[test]
    fn every_mistake_in_a_folder_is_named() {
        let d = Dir::new("mistakes");
        let e = Project::open(&d.0, None).unwrap_err();
        assert!(
            e.contains("neither a mini program (no app.json) nor a mini game (no game.json)"),
            "{e}"
        );
        d.file("app.json", "{ not json");
        assert!(Project::open(&d.0, None)
            .unwrap_err()
            .contains("not valid JSON"));
        d.file("app.json", r#"{"pages": []}"#);
        assert!(Project::open(&d.0, None)
            .unwrap_err()
            .contains("no app.js or app.ts"));
        d.file("app.js", "App({})");
        assert!(Project::open(&d.0, None).unwrap_err().contains("no pages"));
        d.file("app.json", r#"{"pages": ["pages/x/x"]}"#);
        let e = Project::open(&d.0, None).unwrap_err();
        assert!(e.contains("has no pages/x/x.js or pages/x/x.ts"), "{e}");
        d.file("app.json", r#"{"pages": ["../../etc/x"]}"#);
        assert!(Project::open(&d.0, None).is_err());
        let e = Project::open(&d.0.join("app.js"), Some("pages/x/x")).unwrap_err();
        assert!(
            e.contains("--page opens a page of a mini-program project folder"),
            "{e}"
        );
        let missing = d.0.join("missing");
        assert_eq!(
            Project::open(&missing, None).unwrap_err(),
            format!("cannot open {}: no such file", missing.display())
        );
    }

    #[test]
    fn project_config_names_the_code_folder_inside_the_project() {
        let d = Dir::new("config");
        d.file(
            "project.config.json",
            r#"{"miniprogramRoot": "miniprogram/"}"#,
        );
        d.file(
            "miniprogram/app.json",
            r#"{"pages": ["pages/index/index"]}"#,
        );
        d.file("miniprogram/app.ts", "App({})");
        d.file("miniprogram/pages/index/index.ts", "Page({})");
        let p = Project::open(&d.0, None).unwrap();
        assert_eq!(p.root, d.0.join("miniprogram"));
        assert_eq!(p.main, d.0.join("miniprogram/app.ts"));
        for bad in [
            r#"{"miniprogramRoot": "../"}"#,
            r#"{"miniprogramRoot": "/etc"}"#,
        ] {
            d.file("project.config.json", bad);
            let e = Project::open(&d.0, None).unwrap_err();
            assert!(
                e.contains("must be a folder inside the project folder"),
                "{e}"
            );
        }
        d.file("project.config.json", r#"{"miniprogramRoot": "nowhere"}"#);
        assert!(Project::open(&d.0, None)
            .unwrap_err()
            .contains("is not a folder"));
        d.file("project.config.json", r#"{"miniprogramRoot": 7}"#);
        assert!(Project::open(&d.0, None)
            .unwrap_err()
            .contains("must be a string"));
        d.file("project.config.json", r#"{"miniprogramRoot": "src"}"#);
        std::fs::create_dir_all(d.0.join("src")).unwrap();
        let e = Project::open(&d.0, None).unwrap_err();
        assert!(e.contains("in its miniprogramRoot"), "{e}");
    }

    #[test]
    fn a_mini_game_folder_runs_game_js() {
        let d = Dir::new("game");
        d.file("game.json", r#"{"deviceOrientation": "portrait"}"#);
        let e = Project::open(&d.0, None).unwrap_err();
        assert!(e.contains("without game.js or game.ts"), "{e}");
        d.file("game.js", "");
        let p = Project::open(&d.0, None).unwrap();
        assert_eq!(p.kind, Kind::MiniGame);
        assert_eq!(p.main, d.0.join("game.js"));
        assert!(Project::open(&d.0, Some("x")).is_err());
        // A file of a mini game runs with GameGlobal too.
        let p = Project::open(&d.0.join("game.js"), None).unwrap();
        assert_eq!(p.kind, Kind::MiniGame);
    }

    #[test]
    fn routes_are_normalized() {
        assert_eq!(normalize_route("/pages/a/a.js"), "pages/a/a");
        assert_eq!(normalize_route("./pages//a/a"), "pages/a/a");
        assert_eq!(normalize_route("pages/a/a.ts"), "pages/a/a");
    }
}
