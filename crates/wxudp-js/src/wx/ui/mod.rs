//! The user's answers to what a page asks (`--answers FILE.json`, `--deny SCOPE`): read
//! here, checked and used by `crates/wxudp-node/prompts.js`, the prompts both hosts
//! share (the prelude includes it; the Node package evaluates it). The format is
//! documented there and in docs/PLATFORM.md.

use std::path::Path;

use serde_json::{json, Map, Value};

/// The largest answers file read: 1 MiB.
const MAX_ANSWERS_BYTES: u64 = 1 << 20;

/// The answers as prompts.js takes them.
#[derive(Debug)]
pub(crate) struct Answers {
    /// The JSON text (an object, `{}` without a file).
    pub(crate) json: String,
    /// Where they came from, for prompts.js's errors (`--answers FILE`).
    pub(crate) source: String,
}

/// Reads an answers file (JSON), with each `deny` scope (`--deny`) added to its
/// `authorize` answers. A file that cannot be read or is not JSON is an error naming it.
pub(crate) fn load(path: Option<&Path>, deny: &[String]) -> Result<Answers, String> {
    let (mut answers, source) = match path {
        None => (Value::Object(Map::new()), "--deny".to_string()),
        Some(path) => {
            let shown = path.display().to_string();
            let meta = std::fs::metadata(path)
                .map_err(|e| format!("cannot read the answers file {shown}: {e}"))?;
            if meta.len() > MAX_ANSWERS_BYTES {
                return Err(format!("the answers file {shown} is larger than 1 MiB"));
            }
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the answers file {shown}: {e}"))?;
            let value =
                serde_json::from_str(&text).map_err(|e| format!("{shown}: not valid JSON: {e}"))?;
            (value, format!("--answers {shown}"))
        }
    };
    if !deny.is_empty() {
        let Value::Object(map) = &mut answers else {
            return Err(format!(
                "{source}: the answers must be a JSON object (an API name to its answers)"
            ));
        };
        let scopes = map.entry("authorize").or_insert_with(|| json!({}));
        let Value::Object(scopes) = scopes else {
            return Err(format!(
                "--deny cannot be used with {source}, whose authorize answers are a queue"
            ));
        };
        for scope in deny {
            scopes.insert(scope.clone(), json!("deny"));
        }
    }
    Ok(Answers {
        json: answers.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn deny_joins_the_answers_and_unreadable_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("answers.json");
        std::fs::write(&path, r#"{"authorize": {"scope.camera": "allow"}}"#).unwrap();
        let a = load(Some(&path), &["scope.userLocation".into()]).unwrap();
        let v: Value = serde_json::from_str(&a.json).unwrap();
        assert_eq!(v["authorize"]["scope.userLocation"], "deny");
        assert_eq!(v["authorize"]["scope.camera"], "allow");
        assert!(a.source.starts_with("--answers "));
        assert_eq!(load(None, &[]).unwrap().json, "{}");
        std::fs::write(&path, "{").unwrap();
        assert!(load(Some(&path), &[])
            .unwrap_err()
            .contains("not valid JSON"));
        std::fs::write(&path, r#"{"authorize": ["deny"]}"#).unwrap();
        assert!(load(Some(&path), &["scope.x".into()])
            .unwrap_err()
            .contains("--deny"));
        assert!(load(Some(&dir.path().join("none.json")), &[])
            .unwrap_err()
            .contains("cannot read the answers file"));
    }
}
