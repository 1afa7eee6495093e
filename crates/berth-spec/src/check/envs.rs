//! Environments (extends, platforms, realizations, host ports, secrets) and deployments.

use super::services::{self, sources};
use super::{at, standard_port, unknown, Cx};
use crate::diag::Diagnostic;
use crate::names;
use crate::source::{Span, Spanned};
use crate::spec::{
    Cloud, Cluster, Environment, Name, Platform, Realization, RealizationKind, Realizations, Spec,
    StoreType,
};
use std::collections::{HashMap, HashSet};

/// An environment followed by what it extends, nearest first; stops at unknown names and cycles.
pub fn chain<'a>(spec: &'a Spec, name: &str) -> Vec<(&'a Name, &'a Environment)> {
    let mut out: Vec<(&Name, &Environment)> = Vec::new();
    let mut next = Some(name);
    while let Some(n) = next {
        let Some((k, env)) = spec.environments.get_key_value(n) else {
            break;
        };
        if out.iter().any(|(seen, _)| seen.value == k.value) {
            break;
        }
        out.push((k, env));
        next = env.extends.as_ref().map(|e| e.value.as_str());
    }
    out
}

/// The first value set along the chain.
fn inherit<'a, T>(
    chain: &[(&'a Name, &'a Environment)],
    f: impl Fn(&'a Environment) -> Option<&'a T>,
) -> Option<&'a T> {
    chain.iter().find_map(|(_, e)| f(e))
}

/// Where a store runs in one environment, and where that was written (None: the default).
enum Effective {
    Kind(RealizationKind, Option<Span>),
    External,
}

fn realization<'a>(
    chain: &[(&'a Name, &'a Environment)],
    store: &str,
    default: RealizationKind,
) -> Effective {
    for (_, env) in chain {
        match &env.stores {
            Some(Realizations::All(k)) => return Effective::Kind(k.value, Some(k.span)),
            Some(Realizations::PerStore(m)) => match m.get(store) {
                Some(Realization::Kind(k)) => return Effective::Kind(k.value, Some(k.span)),
                Some(Realization::External(_)) => return Effective::External,
                None => {}
            },
            None => {}
        }
    }
    Effective::Kind(default, None)
}

pub fn check_environments(cx: &mut Cx) {
    let spec = cx.spec;
    for (name, env) in &spec.environments {
        cx.label(name, "environment name");
        if let Some(parent) = &env.extends {
            if !spec.environments.contains_key(parent.value.as_str()) {
                let help = unknown(parent, "environments", cx.env_names());
                cx.push(
                    Diagnostic::error(
                        "B1112",
                        parent.span,
                        format!("`{name}` extends unknown environment `{parent}`"),
                    )
                    .help(help),
                );
            }
        }
        check_environment(cx, name, env);
    }
    extends_cycles(cx);
}

fn check_environment(cx: &mut Cx, name: &Name, env: &Environment) {
    let spec = cx.spec;
    let chain = chain(spec, name);
    let platform = inherit(&chain, |e| e.platform.as_ref());
    let cloud = inherit(&chain, |e| e.cloud.as_ref());
    let cluster = inherit(&chain, |e| e.cluster.as_ref());
    let region = inherit(&chain, |e| e.region.as_ref());

    // Own fields that do not depend on the platform.
    if let Some(d) = &env.domain {
        if !names::is_dns_subdomain(d) {
            cx.push(
                Diagnostic::error(
                    "B3007",
                    d.span,
                    format!("`{}` is not a valid domain", d.value),
                )
                .help("use a lowercase DNS name like `staging.example.com`"),
            );
        }
    }
    if let Some(ns) = &env.namespace {
        cx.label(ns, "namespace");
    }
    for (sname, o) in &env.services {
        let Some(svc) = spec.services.get(sname.value.as_str()) else {
            let help = unknown(sname, "services", cx.service_names());
            cx.push(
                Diagnostic::error(
                    "B1110",
                    sname.span,
                    format!("environment `{name}` overrides unknown service `{sname}`"),
                )
                .help(help),
            );
            continue;
        };
        let job = svc.kind() == crate::spec::WorkloadKind::Job;
        let r = o.replicas.as_ref().map(|r| r.span);
        services::job_field(cx, sname, job, r, "replicas", "B2032");
        let a = o.autoscale.as_ref().map(|a| a.span);
        services::job_field(cx, sname, job, a, "autoscale", "B2031");
        let e = o.expose.as_ref().map(|e| e.span);
        services::job_field(cx, sname, job, e, "expose", "B2030");
        if let Some(a) = &o.autoscale {
            services::autoscale(cx, a);
        }
        if let Some(r) = &o.resources {
            services::resources(cx, r);
        }
        if let Some(e) = &o.expose {
            services::expose(cx, sname, svc, e);
        }
        if let Some(i) = &o.image {
            services::pinned(cx, i);
        }
        services::publish(cx, sname, svc, &o.publish);
        services::env(cx, sname, svc, &o.env);
    }
    if let Some(Realizations::PerStore(m)) = &env.stores {
        for (sname, r) in m {
            let Some(store) = spec.stores.get(sname.value.as_str()) else {
                let help = unknown(sname, "stores", cx.store_names());
                cx.push(
                    Diagnostic::error(
                        "B1111",
                        sname.span,
                        format!("environment `{name}` realizes unknown store `{sname}`"),
                    )
                    .help(help),
                );
                continue;
            };
            if let Realization::External(e) = r {
                external_url(cx, sname, store.r#type.value, &e.external);
            }
        }
    }
    for (sname, secret) in &env.secrets {
        if !spec.secrets.contains_key(sname.value.as_str()) {
            let help = unknown(sname, "secrets", cx.secret_names());
            cx.push(
                Diagnostic::error(
                    "B1109",
                    sname.span,
                    format!("environment `{name}` overrides unknown secret `{sname}`"),
                )
                .help(help),
            );
        }
        if services::secret_sources(cx, sname, secret) == 0 {
            cx.push(
                Diagnostic::error(
                    "B2023",
                    secret.span,
                    format!("the override of secret `{sname}` in `{name}` has no source"),
                )
                .help("give exactly one of `generate`, `env`, `file`, `aws`"),
            );
        }
    }

    // Platform rules, on the effective (inherited) values.
    let Some(platform) = platform else {
        // An unknown or cyclic `extends` is reported on its own; fixing it may bring a platform.
        let broken = chain.last().is_some_and(|(_, e)| e.extends.is_some());
        if broken {
            return;
        }
        cx.push(
            Diagnostic::error(
                "B3001",
                name.span,
                format!("environment `{name}` has no platform"),
            )
            .help("add `platform: compose`, `platform: kubernetes` or `platform: native`, or `extends:` an environment that has one"),
        );
        return;
    };
    let kube = platform.value == Platform::Kubernetes;
    if let (Some(c), false) = (cluster, kube) {
        cx.push(
            Diagnostic::error(
                "B3002",
                c.span,
                format!(
                    "`cluster` needs platform kubernetes, but `{name}` uses {}",
                    platform.value
                ),
            )
            .help("remove `cluster`, or set `platform: kubernetes`"),
        );
    }
    if let Some(c) = cloud {
        if !kube {
            cx.push(
                Diagnostic::error(
                    "B3003",
                    c.span,
                    format!(
                        "`cloud` needs platform kubernetes, but `{name}` uses {}",
                        platform.value
                    ),
                )
                .help("remove `cloud`, or set `platform: kubernetes`"),
            );
        }
        if region.is_none() {
            cx.push(
                Diagnostic::error(
                    "B3004",
                    c.span,
                    format!("cloud environment `{name}` has no region"),
                )
                .help("add a region, e.g. `region: us-west-2`"),
            );
        }
    }
    if let Some(r) = region {
        if !is_region(r) {
            cx.push(
                Diagnostic::error(
                    "B3005",
                    r.span,
                    format!("`{}` is not a valid region", r.value),
                )
                .help("write an AWS region like `us-west-2` or `eu-central-1`"),
            );
        }
    }
    if let Some(c) = cluster {
        if c.value == Cluster::Eks && cloud.map(|c| c.value) != Some(Cloud::Aws) {
            cx.push(
                Diagnostic::error("B3006", c.span, "`cluster: eks` needs `cloud: aws`")
                    .help("add `cloud: aws` and a `region`, or pick a local cluster (minikube, kind, k3d)"),
            );
        }
    }

    // Store realizations the platform can provide.
    let is_cloud = kube && cloud.is_some();
    let (default, allowed): (RealizationKind, &[RealizationKind]) = match (platform.value, is_cloud)
    {
        (Platform::Compose, _) => (
            RealizationKind::Container,
            &[RealizationKind::Container, RealizationKind::Host],
        ),
        (Platform::Native, _) => (RealizationKind::Host, &[RealizationKind::Host]),
        (Platform::Kubernetes, false) => (
            RealizationKind::InCluster,
            &[RealizationKind::InCluster, RealizationKind::Host],
        ),
        (Platform::Kubernetes, true) => (
            RealizationKind::Managed,
            &[RealizationKind::InCluster, RealizationKind::Managed],
        ),
    };
    let where_ = match (platform.value, is_cloud) {
        (Platform::Kubernetes, true) => "a cloud kubernetes environment".to_string(),
        (Platform::Kubernetes, false) => "a local kubernetes environment".to_string(),
        (p, _) => format!("platform {p}"),
    };
    let mut containers = Vec::new();
    for (sname, store) in &spec.stores {
        match realization(&chain, sname, default) {
            Effective::Kind(k, Some(span)) if !allowed.contains(&k) => {
                let mut ok: Vec<&str> = allowed.iter().map(|k| k.as_str()).collect();
                ok.push("{ external: URL }");
                cx.push(
                    Diagnostic::error(
                        "B3008",
                        span,
                        format!("store `{sname}` cannot be `{k}` in {where_}"),
                    )
                    .note(format!("in environment `{name}`"))
                    .help(format!("use one of: {}", ok.join(", "))),
                );
            }
            Effective::Kind(RealizationKind::Container, _) => containers.push((sname, store)),
            _ => {}
        }
    }

    // Host ports: services' published ports and container stores' ports must not collide.
    if matches!(platform.value, Platform::Compose | Platform::Native) {
        let mut taken: HashMap<u16, (String, Span)> = HashMap::new();
        let mut claim = |cx: &mut Cx, port: u16, who: String, span: Span| {
            if let Some((first, fspan)) = taken.get(&port) {
                cx.push(
                    Diagnostic::error(
                        "B3010",
                        span,
                        format!("host port {port} of {who} is already published by {first}"),
                    )
                    .note(format!("{first} publishes it at {} (environment `{name}`)", at(*fspan)))
                    .help("publish one of them on another host port (`publish:`), or set a store's `publish: 0`"),
                );
            } else {
                taken.insert(port, (who, span));
            }
        };
        for (sname, svc) in &spec.services {
            let mut ports: Vec<&Name> = svc.publish.keys().collect();
            for (_, e) in chain.iter().rev() {
                if let Some(o) = e.services.get(sname.value.as_str()) {
                    ports.extend(o.publish.keys());
                }
            }
            let mut done = HashSet::new();
            for p in ports {
                if !done.insert(p.value.as_str()) {
                    continue;
                }
                let host = chain
                    .iter()
                    .find_map(|(_, e)| {
                        e.services
                            .get(sname.value.as_str())?
                            .publish
                            .get(p.value.as_str())
                    })
                    .or_else(|| svc.publish.get(p.value.as_str()));
                if let Some(h) = host.filter(|h| h.value != 0) {
                    claim(cx, h.value, format!("service `{sname}`"), h.span);
                }
            }
        }
        for (sname, store) in containers {
            if store.r#type.span.is_none() {
                continue;
            }
            let main = match &store.publish {
                Some(p) if p.value == 0 => continue,
                Some(p) => (p.value, p.span),
                None => (standard_port(store.r#type.value), sname.span),
            };
            claim(cx, main.0, format!("store `{sname}`"), main.1);
            if store.r#type.value == StoreType::Rabbitmq {
                claim(cx, 15672, format!("store `{sname}` (management)"), main.1);
            }
        }
    }

    // Cloud environments read secrets through ExternalSecrets, which only knows AWS.
    if is_cloud {
        for (sname, secret) in &spec.secrets {
            let over = chain
                .iter()
                .find_map(|(_, e)| e.secrets.get(sname.value.as_str()));
            let src = over.map_or_else(|| sources(secret), sources);
            if let Some((kind @ ("env" | "file"), span)) = src.first() {
                cx.push(
                    Diagnostic::warning(
                        "B3011",
                        *span,
                        format!("secret `{sname}` comes from `{kind}`, which a cloud environment cannot read"),
                    )
                    .note(format!("in environment `{name}`"))
                    .help(format!("set `secrets: {{ {sname}: {{ aws: <name> }} }}` in `{name}` (ExternalSecrets reads AWS Secrets Manager)")),
                );
            }
        }
    }
}

/// An AWS-style region: `us-west-2`, `eu-central-1`, `us-gov-west-1`.
fn is_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[0].len() == 2
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

fn external_url(cx: &mut Cx, store: &str, t: StoreType, url: &Spanned<String>) {
    let schemes: &[&str] = match t {
        StoreType::Redis => &["redis", "rediss"],
        StoreType::Postgres => &["postgres", "postgresql"],
        StoreType::Mongodb => &["mongodb", "mongodb+srv"],
        StoreType::Rabbitmq => &["amqp", "amqps"],
    };
    let example = format!("{}://host:{}", schemes[0], standard_port(t));
    let problem = match url.split_once("://") {
        None => Some("it has no `scheme://`".to_string()),
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            let host = authority.rsplit('@').next().unwrap_or_default();
            if !schemes.contains(&scheme) {
                Some(format!("scheme `{scheme}` does not fit a {t} store"))
            } else if host.is_empty() || host.starts_with(':') {
                Some("it has no host".to_string())
            } else if host.chars().any(char::is_whitespace) {
                Some("the host contains spaces".to_string())
            } else {
                None
            }
        }
    };
    for r in super::refs::scan(url) {
        if let Some(("secrets", name)) = r.parts {
            if !cx.spec.secrets.contains_key(name) {
                let help = unknown(name, "secrets", cx.secret_names());
                cx.push(
                    Diagnostic::error(
                        "B1105",
                        super::refs::sub_span(url, r.start, r.len),
                        format!("unknown secret `{name}` in the external URL of `{store}`"),
                    )
                    .help(help),
                );
            }
        }
    }
    if let Some(why) = problem {
        cx.push(
            Diagnostic::error(
                "B3009",
                url.span,
                format!("external URL of store `{store}` is invalid: {why}"),
            )
            .help(format!(
                "write a URL like `{example}` (schemes: {}); put credentials in a secret with `${{secrets.NAME}}`",
                schemes.join(", ")
            )),
        );
    }
}

fn extends_cycles(cx: &mut Cx) {
    let spec = cx.spec;
    let envs = &spec.environments;
    let mut reported: HashSet<Vec<usize>> = HashSet::new();
    for start in 0..envs.len() {
        let mut path: Vec<usize> = Vec::new();
        let mut cur = Some(start);
        while let Some(i) = cur {
            if let Some(pos) = path.iter().position(|&p| p == i) {
                let mut cycle = path[pos..].to_vec();
                let mut key = cycle.clone();
                key.sort_unstable();
                if reported.insert(key) {
                    // Start at the environment declared first.
                    let min = cycle
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, v)| **v)
                        .map_or(0, |(i, _)| i);
                    cycle.rotate_left(min);
                    let name = |i: usize| envs.get_index(i).map_or("?", |(k, _)| k.value.as_str());
                    let mut names: Vec<&str> = cycle.iter().map(|&i| name(i)).collect();
                    names.push(name(cycle[0]));
                    let span = envs
                        .get_index(cycle[0])
                        .and_then(|(_, e)| e.extends.as_ref())
                        .map_or(Span::NONE, |e| e.span);
                    cx.push(
                        Diagnostic::error("B1202", span, format!("`extends` cycle: {}", names.join(" -> ")))
                            .help("remove one `extends` so the chain ends in an environment that extends nothing"),
                    );
                }
                break;
            }
            path.push(i);
            cur = envs
                .get_index(i)
                .and_then(|(_, e)| e.extends.as_ref())
                .and_then(|p| envs.get_index_of(p.value.as_str()));
        }
    }
}

/// Deployment names are typed at the command line and never become DNS or Kubernetes names, so
/// besides RFC 1123 labels they may use `_` (the seed deployment CLI names them `s_a_dbs`).
fn deployment_name(cx: &mut Cx, name: &Name) {
    let b = name.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'_')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric();
    if !ok {
        cx.push(
            Diagnostic::error(
                "B1001",
                name.span,
                format!("deployment name `{name}` is not a valid name"),
            )
            .help("use 1-63 lowercase letters, digits, `-` and `_`, starting and ending with a letter or digit"),
        );
    }
}

pub fn check_deployments(cx: &mut Cx) {
    let spec = cx.spec;
    for (name, d) in &spec.deployments {
        deployment_name(cx, name);
        let env = &d.environment;
        if !env.span.is_none() && !spec.environments.contains_key(env.value.as_str()) {
            let help = unknown(env, "environments", cx.env_names());
            cx.push(
                Diagnostic::error(
                    "B4001",
                    env.span,
                    format!("deployment `{name}` targets unknown environment `{env}`"),
                )
                .help(help),
            );
        }
        for s in &d.services {
            if cx.is_service(s) {
                continue;
            }
            let help = if cx.is_store(s) {
                format!("`{s}` is a store; stores come with the services that use them, or use `only: stores`")
            } else {
                unknown(s, "services", cx.service_names())
            };
            cx.push(
                Diagnostic::error(
                    "B4002",
                    s.span,
                    format!("deployment `{name}` names unknown service `{s}`"),
                )
                .help(help),
            );
        }
        if let (Some(only), false) = (&d.only, d.services.is_empty()) {
            cx.push(
                Diagnostic::error(
                    "B4003",
                    only.span,
                    format!("deployment `{name}` has both `only` and `services`"),
                )
                .help("keep `only: stores|services` for a half of the stack, or `services:` for a subset"),
            );
        }
    }
}
