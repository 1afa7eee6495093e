//! Which workloads run once (jobs) and which services wait for them (`before`).

use super::names::Names;
use super::stores::Found;
use crate::model::NormalizedCompose;
use crate::notes::Notes;
use berth_spec::Spanned;
use std::collections::{BTreeMap, BTreeSet};

/// Jobs: store helpers, `restart: "no"`, and services awaited with `service_completed_successfully`.
pub fn find(c: &NormalizedCompose, found: &Found, notes: &mut Notes) -> BTreeSet<String> {
    let mut jobs = found.helper_jobs.clone();
    for (n, s) in &c.services {
        if found.store_of.contains_key(n) || found.dropped.contains_key(n) {
            continue;
        }
        if s.restart.as_deref() == Some("no") {
            jobs.insert(n.clone());
            notes.infer(
                format!("services.{n}.restart"),
                "restart \"no\" → kind: job (one-shot)",
            );
        }
    }
    for (n, s) in &c.services {
        for (d, spec) in &s.depends_on {
            if spec.condition == "service_completed_successfully"
                && !found.store_of.contains_key(d)
                && jobs.insert(d.clone())
            {
                notes.infer(
                    format!("services.{n}.depends_on.{d}"),
                    format!("{d} must complete successfully first → kind: job"),
                );
            }
        }
    }
    jobs
}

/// `before` of each job: every workload that waits on it.
pub fn link_before(
    c: &NormalizedCompose,
    found: &Found,
    jobs: &BTreeSet<String>,
    names: &Names,
    services: &mut BTreeMap<String, berth_spec::Service>,
) {
    for (n, s) in &c.services {
        if found.dropped.contains_key(n) || found.store_of.contains_key(n) {
            continue;
        }
        for d in s.depends_on.keys().filter(|d| jobs.contains(*d)) {
            let waiter = names.of(n);
            if let Some(j) = services.get_mut(&names.of(d)) {
                if !j.before.iter().any(|b| b.value == waiter) {
                    j.before.push(Spanned::synthetic(waiter));
                }
            }
        }
    }
}
