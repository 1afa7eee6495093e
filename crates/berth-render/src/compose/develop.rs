//! Compose dev mode: `compose.dev.yaml`, layered over the stores and services files by `berth dev`
//! (`-f compose.stores.yaml -f compose.services.yaml -f compose.dev.yaml`), gives the services
//! with a `dev` section compose's `develop.watch`, which `docker compose watch` acts on.
//!
//! Decisions:
//! - `dev.sync` (container path → project path) becomes `action: sync`: a change is copied into
//!   the running container (compose runs `tar` in it), no rebuild, no restart; the program's own
//!   reloader (`tsx watch`, `uvicorn --reload`, …) picks it up. A synced service's root file
//!   system is writable in dev mode (`read_only: false`), or the copy would fail.
//! - `dev.watch` paths that no `sync` path holds become `action: rebuild` (lockfiles,
//!   `package.json`, …): the image is built again and the container recreated. The Dockerfile is
//!   always a rebuild trigger. Only a service with `build` rebuilds; a service that runs an image
//!   gets its sync rules alone.
//! - Paths are written from the compose directory back to the project (like build contexts), so
//!   the file works from `deploy/compose/<env>/` and from `.berth/compose/<env>/`.

use super::common::{esc, ComposeOptions};
use super::services::context;
use berth_spec::model::Workload;
use berth_spec::Model;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// The dev-mode file of a compose environment.
pub const DEV_FILE: &str = "compose.dev.yaml";

/// What `docker compose watch` keeps current for one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceWatch {
    pub service: String,
    pub rules: Vec<WatchRule>,
}

/// One `develop.watch` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WatchRule {
    pub action: WatchAction,
    /// Relative to berth.yaml (absolute when the build context is).
    pub path: String,
    /// Where a sync copies to, inside the container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WatchAction {
    Sync,
    Rebuild,
}

/// The watch rules of every workload with a dev mode, in workload order.
pub fn watches(model: &Model) -> Vec<ServiceWatch> {
    model
        .workloads
        .iter()
        .filter_map(|w| {
            let rules = rules(w);
            (!rules.is_empty()).then(|| ServiceWatch {
                service: w.name.clone(),
                rules,
            })
        })
        .collect()
}

fn rules(w: &Workload) -> Vec<WatchRule> {
    let Some(dev) = &w.dev else {
        return Vec::new();
    };
    let mut rules: Vec<WatchRule> = dev
        .sync
        .iter()
        .map(|s| WatchRule {
            action: WatchAction::Sync,
            path: clean(&s.source),
            target: Some(s.path.clone()),
        })
        .collect();
    let Some(build) = &w.build else {
        return rules;
    };
    let synced = |p: &str| dev.sync.iter().any(|s| within(p, &clean(&s.source)));
    let mut rebuild: Vec<String> = dev
        .watch
        .iter()
        .map(|p| clean(p))
        .filter(|p| !synced(p))
        .collect();
    if !rules.is_empty() || !rebuild.is_empty() {
        if let Some(df) = dockerfile(build) {
            if !rebuild.contains(&df) {
                rebuild.push(df);
            }
        }
    }
    rules.extend(rebuild.into_iter().map(|path| WatchRule {
        action: WatchAction::Rebuild,
        path,
        target: None,
    }));
    rules
}

/// The Dockerfile relative to berth.yaml (None for a remote context).
fn dockerfile(b: &berth_spec::model::BuildModel) -> Option<String> {
    let ctx = b.context.trim();
    if ctx.contains("://") || ctx.starts_with("git@") {
        return None;
    }
    let df = b.dockerfile.as_deref().unwrap_or("Dockerfile");
    let ctx = clean(ctx);
    Some(if ctx == "." {
        clean(df)
    } else {
        format!("{ctx}/{}", clean(df))
    })
}

/// A project path without `./` and trailing `/` (`.` for the root).
fn clean(p: &str) -> String {
    let p = p.trim().trim_start_matches("./").trim_end_matches('/');
    if p.is_empty() {
        ".".into()
    } else {
        p.to_string()
    }
}

/// `path` is `dir` or inside it.
fn within(path: &str, dir: &str) -> bool {
    dir == "." || path == dir || path.starts_with(&format!("{dir}/"))
}

/// `compose.dev.yaml`, or None when no workload has a dev mode.
pub(crate) fn document(model: &Model, opts: &ComposeOptions) -> Option<Value> {
    let watches = watches(model);
    if watches.is_empty() {
        return None;
    }
    // A project path as seen from the compose directory: the rule of build contexts.
    let from_compose = |p: &str| -> String {
        let as_context = berth_spec::model::BuildModel {
            context: p.to_string(),
            dockerfile: None,
            target: None,
            args: Vec::new(),
        };
        context(&as_context, opts)
    };
    let mut services = Map::new();
    for w in &watches {
        let entries: Vec<Value> = w
            .rules
            .iter()
            .map(|r| {
                let mut e = json!({ "action": r.action, "path": esc(&from_compose(&r.path)) });
                if let Some(t) = &r.target {
                    e["target"] = json!(esc(t));
                }
                e
            })
            .collect();
        let mut s = Map::new();
        s.insert("develop".into(), json!({ "watch": entries }));
        if w.rules.iter().any(|r| r.action == WatchAction::Sync) {
            s.insert("read_only".into(), json!(false));
        }
        services.insert(w.service.clone(), Value::Object(s));
    }
    Some(json!({ "name": model.stack, "services": services }))
}
