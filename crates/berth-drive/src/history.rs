//! Deploy history in `.berth/history.json`: one record per `up`/`deploy`/`down` (time,
//! environment, recipe, outcome), newest last, written atomically, the last 200 kept.

use crate::fsutil;
use serde::{Deserialize, Serialize};
use std::path::Path;

const KEEP: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// RFC 3339 UTC.
    pub time: String,
    pub environment: String,
    /// `up`, `deploy`, `down`.
    pub command: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipe: Option<String>,
    /// `ok`, `failed`, `interrupted`.
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub duration_ms: u64,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub records: Vec<Record>,
}

impl History {
    /// The history on disk; an unreadable file counts as empty (it is only a record).
    pub fn load(path: &Path) -> History {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Append one record and write the file atomically.
    pub fn append(path: &Path, record: Record) -> std::io::Result<()> {
        let mut h = History::load(path);
        h.records.push(record);
        if h.records.len() > KEEP {
            let drop = h.records.len() - KEEP;
            h.records.drain(..drop);
        }
        let mut text = serde_json::to_string_pretty(&h).unwrap_or_default();
        text.push('\n');
        fsutil::write_atomic(path, text.as_bytes(), fsutil::Content::State)
    }

    /// The newest record of an environment.
    pub fn last(&self, env: &str) -> Option<&Record> {
        self.records.iter().rev().find(|r| r.environment == env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(env: &str, i: usize) -> Record {
        Record {
            time: format!("t{i}"),
            environment: env.into(),
            command: "up".into(),
            recipe: None,
            outcome: "ok".into(),
            detail: None,
            duration_ms: i as u64,
        }
    }

    #[test]
    fn appends_keeps_the_newest_and_finds_the_last_per_env() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("history.json");
        for i in 0..205 {
            History::append(&p, rec(if i % 2 == 0 { "local" } else { "dev" }, i)).unwrap();
        }
        let h = History::load(&p);
        assert_eq!(h.records.len(), KEEP);
        assert_eq!(h.records[0].time, "t5");
        assert_eq!(h.last("local").unwrap().time, "t204");
        assert_eq!(h.last("dev").unwrap().time, "t203");
        assert!(h.last("prod").is_none());
    }
}
