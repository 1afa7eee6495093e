//! The environment root's `observability` module: log groups, store alarms, the alarm topic and
//! the managed Prometheus workspace (docs/observability.md, "AWS").
//!
//! Decisions:
//! - Log groups exist when logs are on: the collector's environment group
//!   (`observe::config::log_group`) and one per workload below it; retention is the spec's
//!   `retention` rounded up to a value CloudWatch accepts.
//! - Alarms and the Amazon Managed Service for Prometheus workspace exist when metrics are on:
//!   no extra spec knob, a cloud environment that collects metrics gets somewhere to keep them.
//! - Store identifiers are the names the store modules are given, so the alarms need no module
//!   outputs and their `for_each` keys are known at plan time; stores behind an emulator toggle
//!   get alarms only when the toggle is on.

use super::hclfmt::{expr, object, strings};
use super::{gib, limit, module, Plan};
use crate::observe::config::{cloudwatch_retention, log_group};
use berth_spec::model::StoreModel;
use berth_spec::StoreType;
use hcl::expr::{Conditional, Expression};

/// Memory of an RDS instance class in GiB, from its size (the general-purpose figure; memory
/// optimised classes have more, so the connection alarm fires early rather than late).
fn class_memory_gib(class: &str) -> u64 {
    let size = class.rsplit('.').next().unwrap_or("");
    match size {
        "micro" => 1,
        "small" => 2,
        "medium" => 4,
        "large" => 8,
        "xlarge" => 16,
        s => s
            .strip_suffix("xlarge")
            .and_then(|n| n.parse::<u64>().ok())
            .map_or(16, |n| 16 * n),
    }
}

/// The engine's default `max_connections` on a class: PostgreSQL
/// `DBInstanceClassMemory/9531392`, MySQL and MariaDB `DBInstanceClassMemory/12582880`, both at
/// most 5000 (PostgreSQL) or 16000 (MySQL).
pub(super) fn default_max_connections(kind: StoreType, class: &str) -> u64 {
    let bytes = class_memory_gib(class) << 30;
    match kind {
        StoreType::Postgres => (bytes / 9_531_392).min(5000),
        _ => (bytes / 12_582_880).min(16_000),
    }
}

/// The identifier a store module gives its primary resource.
pub(super) fn store_identifier(plan: &Plan, store: &StoreModel) -> String {
    let id = format!("{}-{}", plan.name, store.name);
    match store.kind {
        StoreType::Redis => limit(&id, 40),
        StoreType::Rabbitmq => limit(&id, 50),
        _ => limit(&id, 63),
    }
}

fn ids(plan: &Plan, kind: StoreType, each: impl Fn(&str) -> Vec<String>) -> Vec<String> {
    plan.stores
        .iter()
        .filter(|s| s.kind == kind)
        .flat_map(|s| each(&store_identifier(plan, s)))
        .collect()
}

/// The cache cluster (node) IDs of the redis stores' replication groups that get alarms: the
/// primary, and the replica in a second zone when Multi-AZ; in cluster mode those of every
/// shard (`ID-0001-001`).
fn cache_clusters(plan: &Plan) -> Vec<String> {
    let members = if plan.infra.multi_az { 2 } else { 1 };
    let mut ids = Vec::new();
    for store in plan.stores.iter().filter(|s| s.kind == StoreType::Redis) {
        let id = store_identifier(plan, store);
        for shard in 1..=store.shards {
            for m in 1..=members {
                ids.push(match store.shards {
                    1 => format!("{id}-{m:03}"),
                    _ => format!("{id}-{shard:04}-{m:03}"),
                });
            }
        }
    }
    ids
}

/// `var.toggle ? [ids] : []`.
fn toggled(toggle: &str, ids: Vec<String>) -> Expression {
    if ids.is_empty() {
        return strings(ids);
    }
    Expression::from(Conditional::new(
        expr(&format!("var.{toggle}")),
        strings(ids),
        strings(Vec::<String>::new()),
    ))
}

pub(super) fn used(plan: &Plan) -> bool {
    let o = &plan.model.observability;
    o.metrics || o.logs
}

pub(super) fn block(plan: &Plan) -> hcl::Block {
    let o = &plan.model.observability;
    let mut groups = Vec::new();
    if o.logs {
        let base = log_group(plan.model);
        groups.push(base.clone());
        groups.extend(
            plan.model
                .workloads
                .iter()
                .map(|w| format!("{base}/{}", w.name)),
        );
    }
    let mut b = module("observability", "observability")
        .add_attribute(("name", plan.name.as_str()))
        .add_attribute(("log_groups", strings(&groups)))
        .add_attribute(("retention_days", cloudwatch_retention(o.retention_days())));
    if o.metrics {
        b = b
            .add_attribute(("rds_instances", rds_instances(plan)))
            .add_attribute((
                "rds_replicas",
                toggled("enable_read_replicas", replicas(plan)),
            ))
            .add_attribute((
                "cache_clusters",
                toggled("enable_elasticache", cache_clusters(plan)),
            ))
            .add_attribute((
                "docdb_clusters",
                toggled(
                    "enable_documentdb",
                    ids(plan, StoreType::Mongodb, |id| vec![id.to_string()]),
                ),
            ))
            .add_attribute((
                "mq_brokers",
                strings(ids(plan, StoreType::Rabbitmq, |id| vec![id.to_string()])),
            ))
            .add_attribute(("managed_prometheus", true));
    }
    b.build()
}

fn rds(store: &StoreModel) -> bool {
    matches!(store.kind, StoreType::Postgres | StoreType::Mysql)
}

fn rds_instances(plan: &Plan) -> Expression {
    object(plan.stores.iter().filter(|s| rds(s)).map(|s| {
        let class = plan.infra.db_instance_class.as_str();
        (
            store_identifier(plan, s),
            object([
                ("storage_gib", Expression::from(gib(&s.storage, 20))),
                (
                    "max_connections",
                    Expression::from(default_max_connections(s.kind, class)),
                ),
            ]),
        )
    }))
}

fn replicas(plan: &Plan) -> Vec<String> {
    plan.stores
        .iter()
        .filter(|s| rds(s))
        .flat_map(|s| {
            let id = store_identifier(plan, s);
            (0..super::platform::read_replicas(s)).map(move |i| format!("{id}-read-{i}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_limits_follow_the_engine_formula() {
        assert_eq!(
            default_max_connections(StoreType::Postgres, "db.t3.micro"),
            112
        );
        assert_eq!(default_max_connections(StoreType::Mysql, "db.t3.micro"), 85);
        assert_eq!(
            default_max_connections(StoreType::Postgres, "db.r6g.4xlarge"),
            5000
        );
        assert!(
            default_max_connections(StoreType::Postgres, "db.m6g.large")
                > default_max_connections(StoreType::Postgres, "db.t3.medium")
        );
    }
}
