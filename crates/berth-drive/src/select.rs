//! What an `up` or a recipe starts: all of the environment, only its stores, only its
//! workloads, or a subset of services with everything they need (uses, transitively, and the
//! jobs that must run before them).

use berth_render::plan::ComposePlan;
use berth_spec::Only;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    /// Stores to start (spec order); only those compose runs.
    pub stores: Vec<String>,
    /// Workloads to start, in dependency order.
    pub workloads: Vec<String>,
    /// Stores the workloads need that this selection does not start (`only: services`): they
    /// must already be running.
    pub required_stores: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no service or job named `{name}` in this environment{}", if known.is_empty() { String::new() } else { format!(" (known: {})", known.join(", ")) })]
pub struct UnknownService {
    pub name: String,
    pub known: Vec<String>,
}

/// Everything `services` need (themselves included), as (stores, workloads) name sets.
fn closure(
    plan: &ComposePlan,
    services: &[String],
) -> Result<(BTreeSet<String>, BTreeSet<String>), UnknownService> {
    let mut stores = BTreeSet::new();
    let mut workloads = BTreeSet::new();
    let mut todo: Vec<String> = services.to_vec();
    while let Some(name) = todo.pop() {
        let Some(w) = plan.workload(&name) else {
            return Err(UnknownService {
                name,
                known: plan
                    .workloads
                    .iter()
                    .map(|w| w.name().to_string())
                    .collect(),
            });
        };
        if !workloads.insert(name.clone()) {
            continue;
        }
        stores.extend(w.stores.iter().cloned());
        todo.extend(w.after.iter().cloned());
    }
    Ok((stores, workloads))
}

/// The selection for `only` and an optional subset of services (empty = all).
pub fn select(
    plan: &ComposePlan,
    only: Option<Only>,
    services: &[String],
) -> Result<Selection, UnknownService> {
    let wanted = if services.is_empty() {
        None
    } else {
        Some(closure(plan, services)?)
    };
    let stores: Vec<String> = plan
        .stores
        .iter()
        .map(|s| s.name.clone())
        .filter(|s| wanted.as_ref().is_none_or(|(stores, _)| stores.contains(s)))
        .collect();
    let workloads: Vec<String> = plan
        .workloads
        .iter()
        .map(|w| w.name().to_string())
        .filter(|w| wanted.as_ref().is_none_or(|(_, ws)| ws.contains(w)))
        .collect();
    Ok(match only {
        None => Selection {
            stores,
            workloads,
            required_stores: Vec::new(),
        },
        Some(Only::Stores) => Selection {
            stores,
            workloads: Vec::new(),
            required_stores: Vec::new(),
        },
        Some(Only::Services) => Selection {
            stores: Vec::new(),
            workloads,
            required_stores: stores,
        },
    })
}

/// Start levels of the selected workloads: a workload comes after the services and jobs it
/// needs, so each level can start once the previous one is healthy (or completed).
pub fn levels(plan: &ComposePlan, workloads: &[String]) -> Vec<Vec<String>> {
    let mut level: Vec<(String, usize)> = Vec::new();
    // Plan workloads are in dependency order: every dependency's level is known first.
    for w in plan
        .workloads
        .iter()
        .filter(|w| workloads.iter().any(|n| n == w.name()))
    {
        let l = w
            .after
            .iter()
            .filter_map(|d| level.iter().find(|(n, _)| n == d).map(|(_, l)| l + 1))
            .max()
            .unwrap_or(0);
        level.push((w.name().to_string(), l));
    }
    let max = level.iter().map(|(_, l)| *l).max();
    let mut out = vec![Vec::new(); max.map_or(0, |m| m + 1)];
    for (n, l) in level {
        out[l].push(n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
name: s
services:
  migrate: { kind: job, image: x/m:1, uses: [db], before: [api] }
  api: { image: x/api:1, uses: [db, cache] }
  web: { image: x/web:1, uses: [api] }
  worker: { image: x/w:1, uses: [queue] }
stores:
  db: { type: postgres, version: "16" }
  cache: { type: redis, version: "7" }
  queue: { type: rabbitmq, version: "3" }
environments:
  local: { platform: compose }
"#;

    fn model() -> ComposePlan {
        let source = berth_spec::Source::new("berth.yaml", SPEC.to_string());
        let loaded = berth_spec::validate(&source);
        assert!(
            !loaded.diagnostics.iter().any(|d| d.is_error()),
            "{:?}",
            loaded.diagnostics
        );
        berth_render::compose::plan(&berth_spec::resolve(&loaded.spec.unwrap(), "local").unwrap())
    }

    #[test]
    fn a_subset_brings_what_it_needs() {
        let m = model();
        let s = select(&m, None, &["web".into()]).unwrap();
        assert_eq!(s.stores, ["db", "cache"]);
        assert_eq!(s.workloads, ["migrate", "api", "web"]);
        assert_eq!(
            levels(&m, &s.workloads),
            vec![vec!["migrate"], vec!["api"], vec!["web"]]
        );
    }

    #[test]
    fn only_stores_and_only_services() {
        let m = model();
        let s = select(&m, Some(Only::Stores), &[]).unwrap();
        assert_eq!(s.stores, ["db", "cache", "queue"]);
        assert!(s.workloads.is_empty());
        let s = select(&m, Some(Only::Services), &["worker".into()]).unwrap();
        assert!(s.stores.is_empty());
        assert_eq!(s.workloads, ["worker"]);
        assert_eq!(s.required_stores, ["queue"]);
    }

    #[test]
    fn unknown_service_lists_the_known_ones() {
        let err = select(&model(), None, &["nope".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`nope`") && err.contains("api"), "{err}");
    }

    #[test]
    fn independent_workloads_share_a_level() {
        let m = model();
        let all = select(&m, None, &[]).unwrap();
        let lv = levels(&m, &all.workloads);
        assert_eq!(lv[0], ["migrate", "worker"]);
    }
}
