//! The user's answers to what a page asks (`--answers FILE.json`): per API, a queue of
//! answers, each taken by one prompt; once a queue is empty, the default answer (the
//! user confirms, picks the first item, allows). ui.js and auth.js take them; every
//! prompt is printed with the answer it got.
//!
//! ```json
//! {
//!   "showModal": ["confirm", "cancel", { "confirm": true, "content": "the typed text" }],
//!   "showActionSheet": [2, "cancel"],
//!   "authorize": { "scope.userLocation": "deny" },
//!   "getUserProfile": ["deny"],
//!   "openSetting": [{ "scope.userLocation": true }],
//!   "checkSession": ["expired"]
//! }
//! ```
//!
//! `authorize` takes a queue too (each first prompt of a scope takes one), or, as above,
//! the answer per scope; `--deny SCOPE` adds `"SCOPE": "deny"`.

use std::path::Path;

use serde_json::{json, Map, Value};

/// The largest answers file read: 1 MiB.
const MAX_ANSWERS_BYTES: u64 = 1 << 20;

/// Reads and checks an answers file, with `deny` (the `--deny` scopes) added; the JSON
/// text ui.js and auth.js read. Every mistake is named with where it is.
pub(crate) fn load(path: Option<&Path>, deny: &[String]) -> Result<String, String> {
    let mut answers =
        match path {
            None => Map::new(),
            Some(path) => {
                let shown = path.display();
                let meta = std::fs::metadata(path)
                    .map_err(|e| format!("cannot read the answers file {shown}: {e}"))?;
                if meta.len() > MAX_ANSWERS_BYTES {
                    return Err(format!("the answers file {shown} is larger than 1 MiB"));
                }
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read the answers file {shown}: {e}"))?;
                match serde_json::from_str(&text) {
                    Ok(Value::Object(map)) => {
                        check(&map).map_err(|e| format!("{shown}: {e}"))?;
                        map
                    }
                    Ok(_) => return Err(format!(
                        "{shown}: the answers must be a JSON object (an API name to its answers)"
                    )),
                    Err(e) => return Err(format!("{shown}: not valid JSON: {e}")),
                }
            }
        };
    if !deny.is_empty() {
        let scopes = answers.entry("authorize").or_insert_with(|| json!({}));
        if let Value::Object(scopes) = scopes {
            for scope in deny {
                scopes.insert(scope.clone(), json!("deny"));
            }
        } else {
            return Err(
                "--deny cannot be used with an answers file whose authorize answers are a queue"
                    .into(),
            );
        }
    }
    Ok(Value::Object(answers).to_string())
}

const ALLOW_DENY: [&str; 2] = ["allow", "deny"];

fn check(map: &Map<String, Value>) -> Result<(), String> {
    for (api, value) in map {
        match api.as_str() {
            "showModal" => each(api, value, |a| match a {
                Value::String(s) if s == "confirm" || s == "cancel" => Ok(()),
                Value::Object(o) if o.keys().all(|k| ["confirm", "cancel", "content"].contains(&k.as_str())) => {
                    match o.get("content") {
                        None | Some(Value::String(_)) => Ok(()),
                        Some(_) => Err("content must be a string".into()),
                    }
                }
                _ => Err("\"confirm\", \"cancel\" or {\"confirm\": true, \"content\": \"...\"}".into()),
            })?,
            "showActionSheet" => each(api, value, |a| match a {
                Value::Number(n) if n.as_u64().is_some_and(|i| i < 6) => Ok(()),
                Value::String(s) if s == "cancel" => Ok(()),
                Value::Object(o) if o.get("tapIndex").and_then(Value::as_u64).is_some_and(|i| i < 6) => Ok(()),
                _ => Err("a tapIndex from 0 to 5, or \"cancel\"".into()),
            })?,
            "authorize" => match value {
                Value::Object(scopes) => {
                    for (scope, a) in scopes {
                        if !scope.starts_with("scope.") || !a.as_str().is_some_and(|s| ALLOW_DENY.contains(&s)) {
                            return Err(format!("authorize.{scope}: \"allow\" or \"deny\" for a scope (scope.userLocation, ...)"));
                        }
                    }
                }
                _ => each(api, value, |a| words(a, &ALLOW_DENY))?,
            },
            "getUserProfile" => each(api, value, |a| words(a, &ALLOW_DENY))?,
            "checkSession" => each(api, value, |a| words(a, &["ok", "expired"]))?,
            "openSetting" => each(api, value, |a| match a {
                Value::Object(o) if o.iter().all(|(k, v)| k.starts_with("scope.") && v.is_boolean()) => Ok(()),
                _ => Err("the settings the user leaves: {\"scope.userLocation\": true, ...}".into()),
            })?,
            other => {
                return Err(format!(
                    "{other}: no such prompt (answers are for showModal, showActionSheet, authorize, getUserProfile, openSetting, checkSession)"
                ))
            }
        }
    }
    Ok(())
}

fn words(a: &Value, allowed: &[&str]) -> Result<(), String> {
    match a.as_str() {
        Some(s) if allowed.contains(&s) => Ok(()),
        _ => Err(allowed
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" or ")),
    }
}

/// Checks each answer of a queue (an array).
fn each(api: &str, value: &Value, ok: impl Fn(&Value) -> Result<(), String>) -> Result<(), String> {
    let Value::Array(queue) = value else {
        return Err(format!(
            "{api}: a list of answers, in the order of the prompts"
        ));
    };
    for (i, a) in queue.iter().enumerate() {
        ok(a).map_err(|e| format!("{api}[{i}]: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("answers.json");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn answers_are_checked_and_deny_is_added() {
        let (_d, p) = file(
            r#"{"showModal": ["cancel", {"confirm": true, "content": "pw"}], "showActionSheet": [1, "cancel"],
            "authorize": {"scope.userLocation": "deny"}, "getUserProfile": ["deny"], "checkSession": ["expired"],
            "openSetting": [{"scope.userLocation": true}]}"#,
        );
        let text = load(Some(&p), &["scope.bluetooth".into()]).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["authorize"]["scope.bluetooth"], "deny");
        assert_eq!(v["showModal"][1]["content"], "pw");
        assert_eq!(load(None, &[]).unwrap(), "{}");
        for (bad, says) in [
            (r#"{"showModal": ["yes"]}"#, "showModal[0]"),
            (r#"{"showActionSheet": [9]}"#, "tapIndex from 0 to 5"),
            (
                r#"{"authorize": {"location": "deny"}}"#,
                "authorize.location",
            ),
            (r#"{"showToast": []}"#, "no such prompt"),
            (r#"{"showModal": "confirm"}"#, "a list of answers"),
            ("[]", "must be a JSON object"),
            ("{", "not valid JSON"),
        ] {
            let (_d, p) = file(bad);
            let e = load(Some(&p), &[]).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let (_d, p) = file(r#"{"authorize": ["deny"]}"#);
        assert!(load(Some(&p), &["scope.x".into()])
            .unwrap_err()
            .contains("--deny"));
    }
}
