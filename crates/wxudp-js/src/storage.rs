//! `wx.*StorageSync`: the key-value storage of one run, in memory or in a JSON file.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// `wx.*StorageSync`: values kept as JSON text, in memory or in a JSON file.
pub(crate) struct Storage {
    values: BTreeMap<String, String>,
    file: Option<PathBuf>,
}

impl Storage {
    /// The storage kept in `file` (empty if the file does not exist yet), or in memory.
    ///
    /// A file that exists but is not a JSON object is an error rather than a fresh start,
    /// which would overwrite it at the first `setStorageSync`.
    pub(crate) fn open(file: Option<PathBuf>) -> Result<Self, String> {
        let Some(path) = file else {
            return Ok(Storage {
                values: BTreeMap::new(),
                file: None,
            });
        };
        let values = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&text)
                .map_err(|e| {
                    format!(
                        "the storage file {} is not a JSON object: {e}",
                        path.display()
                    )
                })?
                .into_iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => {
                return Err(format!(
                    "cannot read the storage file {}: {e}",
                    path.display()
                ))
            }
        };
        Ok(Storage {
            values,
            file: Some(path),
        })
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    pub(crate) fn set(&mut self, key: String, json: String) -> std::io::Result<()> {
        self.values.insert(key, json);
        self.save()
    }

    pub(crate) fn remove(&mut self, key: &str) -> std::io::Result<()> {
        self.values.remove(key);
        self.save()
    }

    pub(crate) fn clear(&mut self) -> std::io::Result<()> {
        self.values.clear();
        self.save()
    }

    fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let map: serde_json::Map<String, serde_json::Value> = self
            .values
            .iter()
            .map(|(k, v)| {
                let value = serde_json::from_str(v).unwrap_or(serde_json::Value::Null);
                (k.clone(), value)
            })
            .collect();
        let text = serde_json::to_string_pretty(&map).map_err(std::io::Error::other)?;
        std::fs::write(path, text)
    }
}
