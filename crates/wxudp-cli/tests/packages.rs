//! Real repositories load as their authors wrote them: the three example projects (a
//! TypeScript project with extensionless imports and a `miniprogram_npm` package, a
//! project with `miniprogramRoot` and a subpackage loaded by `require.async`, a
//! uni-app build folder), then each rule of module loading seen from a script: the
//! interop of the project's own compiler, `require.async`, the app-service globals,
//! `--verbose`, the subpackage warning, the import chain and the refusals.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{run, stderr, stdout, Folder};

fn example(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(rel)
}

/// Runs `wxudp run PATH ARGS... --report` and returns the output and the report.
fn run_with_report(path: &Path, args: &[&str]) -> (Output, serde_json::Value) {
    let folder = Folder::new("report");
    let report = folder.0.join("report.json");
    let mut all = vec!["run", path.to_str().unwrap(), "--timeout", "30", "--report"];
    all.push(report.to_str().unwrap());
    all.extend_from_slice(args);
    let out = run(&all);
    let value = std::fs::read_to_string(&report)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(serde_json::Value::Null);
    (out, value)
}

fn succeeded(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(out),
        stderr(out)
    );
}

#[test]
fn the_typescript_example_loads_extensionless_imports_npm_packages_aliases_and_components() {
    let (out, report) = run_with_report(&example("typescript"), &["--verbose"]);
    succeeded(&out);
    assert!(
        stdout(&out).contains("Desk lamp (lamp-1) is on"),
        "{}",
        stdout(&out)
    );
    let page = &report["pages"][0];
    assert_eq!(page["route"], "pages/scan/scan");
    assert_eq!(page["data"]["status"], "on");
    assert_eq!(page["data"]["lamp"]["id"], "lamp-1");
    assert_eq!(page["data"]["lamp"]["on"], true);
    assert_eq!(page["data"]["protocol"], "1.2.0");
    let err = stderr(&out);
    for line in [
        "wxudp: component '/components/lamp-card/lamp-card' from pages/scan/scan.ts -> components/lamp-card/lamp-card.ts",
        "wxudp: require '../../utils/codec' from pages/scan/scan.ts -> utils/codec.ts",
        "wxudp: require 'udp-proto' from utils/codec.ts -> miniprogram_npm/udp-proto/index.js",
        "wxudp: require '@/utils/lamp' from pages/scan/scan.ts -> utils/lamp.ts",
    ] {
        assert!(err.contains(line), "{line}\n{err}");
    }
}

#[test]
fn the_subpackage_example_loads_its_device_code_with_require_async() {
    let (out, report) = run_with_report(&example("subpackages"), &[]);
    succeeded(&out);
    let text = stdout(&out);
    assert!(
        text.contains("as expected: ../../packageDevice/utils/missing.js is not there"),
        "{text}"
    );
    assert!(text.contains("the lamp says: lamp on"), "{text}");
    let pages = report["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 2, "{report}");
    assert_eq!(pages[0]["data"]["isDemo"], true);
    assert_eq!(pages[0]["data"]["logPath"], "wxfile://usr/index.log");
    assert!(pages[0]["data"]["status"]
        .as_str()
        .unwrap()
        .starts_with("lamp started on port "));
    assert_eq!(pages[1]["route"], "packageDevice/pages/lamp/lamp");
    assert_eq!(pages[1]["data"]["state"], "lamp on");
    assert_eq!(pages[1]["data"]["logPath"], "wxfile://usr/lamp.log");
}

#[test]
fn a_uni_app_build_folder_runs_unchanged() {
    let (out, report) =
        run_with_report(&example("uni-app-build/unpackage/dist/dev/mp-weixin"), &[]);
    succeeded(&out);
    assert!(
        stdout(&out).contains("the thermometer reads 21.5"),
        "{}",
        stdout(&out)
    );
    let data = &report["pages"][0]["data"];
    assert_eq!(data["reply"], "pong");
    assert_eq!(data["temperature"], "21.5");
    assert_eq!(data["dev"], true, "__wxConfig.envVersion is develop");
}

/// A project whose `.ts` files import a CommonJS module exporting a function, three
/// ways, under the configuration `setup` writes; returns what the page printed.
fn interop(setup: &dyn Fn(&Folder)) -> Output {
    let p = Folder::new("interop");
    p.file("app.json", r#"{"pages": ["pages/index/index"]}"#);
    p.file("app.js", "App({});");
    p.file(
        "sdk.js",
        "function sdk() { return 'called'; }\nsdk.version = 3;\nmodule.exports = sdk;\n",
    );
    p.file(
        "esm.ts",
        "export default 'esm default';\nexport const named = 'esm named';\n",
    );
    p.file(
        "pages/index/index.ts",
        "import * as sdk from '../../sdk';\n\
         import sdkDefault from '../../sdk';\n\
         import esm, { named } from '../../esm';\n\
         Page({ onLoad() {\n\
           console.log('star', typeof sdk, typeof sdk === 'function' ? (sdk as any)() : Object.keys(sdk).sort().join(','));\n\
           console.log('default', typeof sdkDefault, (sdkDefault as any) && (sdkDefault as any).version);\n\
           console.log('esm', esm, named);\n\
         } });\n",
    );
    setup(&p);
    let out = run(&["run", p.0.to_str().unwrap(), "--timeout", "30"]);
    succeeded(&out);
    out
}

#[test]
fn interop_follows_the_project_s_compiler() {
    // The devtools' TypeScript plugin: Babel. `import * as` of CommonJS is a namespace
    // object, not callable; the default import is module.exports.
    let babel = interop(&|p| {
        p.file(
            "project.config.json",
            r#"{"setting": {"useCompilerPlugins": ["typescript"]}}"#,
        );
        p.file(
            "tsconfig.json",
            r#"{"compilerOptions": {"esModuleInterop": false}}"#,
        );
    });
    assert_eq!(
        stdout(&babel),
        "star object default,version\ndefault function 3\nesm esm default esm named\n"
    );
    // Nothing configured: Babel too (the documented default).
    let default = interop(&|_| {});
    assert_eq!(stdout(&default), stdout(&babel));
    // The tsc template without esModuleInterop: `import * as X` is module.exports
    // itself (callable), the default import its `default` (undefined).
    let tsc = interop(&|p| {
        p.file(
            "tsconfig.json",
            "{\n  // tsc\n  \"compilerOptions\": {\"module\": \"CommonJS\",},\n}\n",
        );
    });
    assert_eq!(
        stdout(&tsc),
        "star function called\ndefault undefined undefined\nesm esm default esm named\n"
    );
    // With esModuleInterop: __importStar's object and __importDefault.
    let interop_on = interop(&|p| {
        p.file(
            "tsconfig.json",
            r#"{"compilerOptions": {"esModuleInterop": true}}"#,
        );
    });
    assert_eq!(
        stdout(&interop_on),
        "star object default,length,name,prototype,version\ndefault function 3\nesm esm default esm named\n"
    );
}

#[test]
fn export_equals_is_refused_by_babel_and_is_module_exports_under_tsc() {
    let p = Folder::new("exporteq");
    p.file(
        "lib.ts",
        "import fs = require('./dep');\nexport = { dep: fs.name };\n",
    );
    p.file("dep.js", "module.exports = { name: 'dep' };\n");
    let main = p.file(
        "main.js",
        "console.log(JSON.stringify(require('./lib')));\n",
    );
    let out = run(&["run", main.to_str().unwrap(), "--timeout", "30"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("SyntaxError"), "{err}");
    assert!(
        err.contains(
            "lib.ts:2:1: `export =` is not supported by the devtools' TypeScript compiler (Babel)"
        ),
        "{err}"
    );
    p.file("tsconfig.json", "{}");
    let out = run(&["run", main.to_str().unwrap(), "--timeout", "30"]);
    succeeded(&out);
    assert_eq!(stdout(&out), "{\"dep\":\"dep\"}\n");
}

#[test]
fn require_async_and_the_callback_form_are_asynchronous() {
    let p = Folder::new("async");
    p.file(
        "lib/mod.js",
        "console.log('mod loads'); module.exports = { name: 'mod' };\n",
    );
    let main = p.file(
        "main.js",
        r#"
const order = [];
require.async('./lib/mod').then(function (m) { order.push('async ' + m.name); });
require('./lib/mod.js', function (m) { order.push('callback ' + m.name); });
require('./lib/none', function () { order.push('not called'); }, function (e) {
  order.push('error ' + e.mod + ' ' + e.errMsg.split(' (')[0]);
});
require.async('./lib/none').catch(function (e) { order.push('rejected ' + e.mod); });
order.push('sync first');
setTimeout(function () { console.log(order.join('\n')); }, 10);
"#,
    );
    let out = run(&["run", main.to_str().unwrap(), "--timeout", "30"]);
    succeeded(&out);
    assert_eq!(
        stdout(&out),
        "mod loads\nsync first\nasync mod\ncallback mod\nerror ./lib/none Cannot find module './lib/none' from main.js\nrejected ./lib/none\n"
    );
    // Before base library 2.11.2 there is no require.async, and a callback is ignored.
    let old = p.file(
        "old.js",
        "console.log(typeof require.async, require('./lib/mod', function () { console.log('called'); }).name);\n",
    );
    let out = run(&[
        "run",
        old.to_str().unwrap(),
        "--timeout",
        "30",
        "--base-library",
        "2.11.1",
    ]);
    succeeded(&out);
    assert_eq!(stdout(&out), "mod loads\nundefined mod\n");
}

#[test]
fn global_wx_config_and_wx_env_are_the_app_service_layer_s() {
    let p = Folder::new("globals");
    p.file(
        "project.config.json",
        r#"{"appid": "wx1234567890abcdef", "miniprogramRoot": "mp/"}"#,
    );
    p.file(
        "mp/app.json",
        r#"{"pages": ["pages/a/a"], "window": {"navigationBarTitleText": "T"},
            "subpackages": [{"root": "sub", "pages": ["p/p"]}], "resolveAlias": {"~/*": "/*"}}"#,
    );
    p.file("mp/app.js", "global.shared = 'from app'; App({});");
    p.file("mp/sub/p/p.js", "Page({});");
    p.file(
        "mp/pages/a/a.js",
        r#"
const c = __wxConfig;
console.log(global.shared, typeof shared, global === globalThis, typeof window, typeof document);
console.log(c.envVersion, c.platform, c.accountInfo.appId, c.env.USER_DATA_PATH, wx.env === c.env);
console.log(c.pages.join(','), JSON.stringify(c.subPackages), c.global.window.navigationBarTitleText, c.resolveAlias['~/*']);
Page({});
"#,
    );
    let out = run(&["run", p.0.to_str().unwrap(), "--timeout", "30"]);
    succeeded(&out);
    assert_eq!(
        stdout(&out),
        "from app undefined false undefined undefined\n\
         develop android wx1234567890abcdef wxfile://usr true\n\
         pages/a/a,sub/p/p [{\"independent\":false,\"pages\":[\"p/p\"],\"root\":\"sub/\"}] T /*\n"
    );
    // The devtools' user data path is http://usr.
    let out = run(&[
        "run",
        p.0.to_str().unwrap(),
        "--timeout",
        "30",
        "--platform",
        "devtools",
    ]);
    succeeded(&out);
    assert!(
        stdout(&out).contains("develop devtools wx1234567890abcdef http://usr true"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn verbose_names_each_file_and_where_wechat_would_differ() {
    let p = Folder::new("verbose");
    p.file("app.json", r#"{"pages": ["pages/a/a"]}"#);
    p.file("app.js", "App({});");
    p.file("utils/conf.json", "{\"k\": 1}");
    p.file("utils/lib/index.js", "module.exports = 'lib';");
    p.file("utils/util.js", "module.exports = 'util';");
    p.file(
        "pages/a/a.js",
        "require('../../utils/conf.json'); require('../../utils/lib'); require('utils/util.js'); require('utils/util.js');\nPage({});\n",
    );
    let out = run(&["run", p.0.to_str().unwrap(), "--timeout", "30", "--verbose"]);
    succeeded(&out);
    let err = stderr(&out);
    assert!(err.contains("wxudp: require '../../utils/conf.json' from pages/a/a.js -> utils/conf.json (wxudp only: WeChat's require loads .js modules only, not .json)"), "{err}");
    assert!(err.contains("wxudp: require '../../utils/lib' from pages/a/a.js -> utils/lib/index.js (wxudp only: WeChat does not look for a folder's index file outside miniprogram_npm)"), "{err}");
    assert!(err.contains("wxudp: require 'utils/util.js' from pages/a/a.js -> utils/util.js (wxudp only: WeChat resolves a bare name from the requiring file's folder and miniprogram_npm only; wxudp also tries the root)"), "{err}");
    // Once per file and specifier.
    assert_eq!(
        err.matches("'utils/util.js' from pages/a/a.js").count(),
        1,
        "{err}"
    );
    // Without --verbose, nothing.
    let out = run(&["run", p.0.to_str().unwrap(), "--timeout", "30"]);
    succeeded(&out);
    assert_eq!(stderr(&out), "");
}

#[test]
fn a_sync_require_across_subpackages_warns_as_the_devtools_do() {
    let p = Folder::new("across");
    p.file(
        "app.json",
        r#"{"pages": ["pages/a/a"], "subpackages": [{"root": "packageA", "pages": ["p/p"]}]}"#,
    );
    p.file("app.js", "App({});");
    p.file("packageA/util.js", "module.exports = 1;");
    p.file("packageA/p/p.js", "Page({});");
    p.file(
        "pages/a/a.js",
        "require('../../packageA/util.js'); require('../../packageA/util.js');\n\
         require('../../packageA/util.js', function () {});\nPage({});\n",
    );
    let out = run(&["run", p.0.to_str().unwrap(), "--timeout", "30"]);
    succeeded(&out);
    assert_eq!(
        stderr(&out),
        "Requires \"../../packageA/util.js\" from \"pages/a/a.js\" without a callback may fail in production, since they are in different subPackages\n"
    );
}

#[test]
fn a_missing_module_names_the_import_chain_the_candidates_and_npm_that_was_not_built() {
    let p = Folder::new("chain");
    p.file("app.json", r#"{"pages": ["pages/scan/scan"]}"#);
    p.file("app.js", "App({});");
    p.file(
        "pages/scan/scan.ts",
        "import { decode } from '../../utils/proto';\nPage({ onLoad() { decode(); } });\n",
    );
    p.file(
        "utils/proto.ts",
        "import { crc } from './crc';\nexport const decode = crc;\n",
    );
    let out = run(&["run", p.0.to_str().unwrap(), "--timeout", "30"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("Cannot find module './crc' from utils/proto.ts (tried: utils/crc, utils/crc.ts, utils/crc.js, utils/crc.json, utils/crc/index.ts, utils/crc/index.js)"), "{err}");
    assert!(
        err.contains("import chain: pages/scan/scan.ts -> utils/proto.ts"),
        "{err}"
    );
    let message = err.lines().next().unwrap();
    assert!(
        !message.contains(p.0.to_str().unwrap()),
        "no absolute path: {message}"
    );

    // A package installed with npm but never built for the mini program.
    std::fs::create_dir_all(p.0.join("node_modules/dayjs")).unwrap();
    p.file(
        "utils/proto.ts",
        "import dayjs from 'dayjs';\nexport const decode = dayjs;\n",
    );
    let out = run(&["run", p.0.to_str().unwrap(), "--timeout", "30"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("miniprogram_npm/dayjs/index.js"), "{err}");
    assert!(
        err.contains("'dayjs' is in node_modules but not in miniprogram_npm"),
        "{err}"
    );
    assert!(err.contains("Build npm"), "{err}");
}

#[test]
fn a_missing_component_is_an_error_naming_the_page() {
    let p = Folder::new("component");
    p.file("app.json", r#"{"pages": ["pages/a/a"]}"#);
    p.file("app.js", "App({});");
    p.file("pages/a/a.js", "Page({});");
    p.file(
        "pages/a/a.json",
        r#"{"usingComponents": {"card": "/components/card/card", "chart": "plugin://charts/line"}}"#,
    );
    let out = run(&["run", p.0.to_str().unwrap(), "--timeout", "30"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("the component <card> of pages/a/a.json: Cannot find module '/components/card/card' from pages/a/a.js (tried: components/card/card, components/card/card.ts"),
        "{err}"
    );
    // Found, it loads before the page (a plugin component is left out).
    p.file(
        "components/card/card.js",
        "console.log('card loads'); Component({});",
    );
    p.file("pages/a/a.js", "console.log('page loads'); Page({});");
    let out = run(&["run", p.0.to_str().unwrap(), "--timeout", "30"]);
    succeeded(&out);
    assert_eq!(stdout(&out), "card loads\npage loads\n");
}
