//! Checks of environments: `extends` (unknown names, cycles), their own fields and overrides,
//! then the platform rules on the effective (inherited) values — cluster, cloud and region,
//! store realizations, host ports, and the secret sources a cloud can read.

use super::cx::{at, unknown, Cx};
use super::{fields, refs, secrets};
use crate::diag::Diagnostic;
use crate::extends::{self, Chain, End, Placement};
use crate::names;
use crate::source::{Span, Spanned};
use crate::spec::{
    Cloud, Cluster, Name, Platform, Realization, RealizationKind, Realizations, Store, StoreType,
    WorkloadKind,
};
use crate::store;
use crate::template;
use std::collections::{HashMap, HashSet};

pub fn check_environments(cx: &mut Cx) {
    for i in 0..cx.chains.len() {
        let chain = cx.chains[i].clone();
        let name = chain.name();
        cx.label(name, "environment name");
        if let Some(parent) = &chain.env().extends {
            if !cx.spec.environments.contains_key(parent.value.as_str()) {
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
        check_environment(cx, &chain);
    }
    extends_cycles(cx);
}

fn check_environment<'a>(cx: &mut Cx<'a>, chain: &Chain<'a>) {
    own_fields(cx, chain);
    service_overrides(cx, chain);
    store_realizations(cx, chain);
    secret_overrides(cx, chain);
    let Some(platform) = chain.inherit(|e| e.platform.as_ref()) else {
        // An unknown or cyclic `extends` is reported on its own; fixing it may bring a platform.
        if chain.end() == End::Root {
            let name = chain.name();
            cx.push(
                Diagnostic::error(
                    "B3001",
                    name.span,
                    format!("environment `{name}` has no platform"),
                )
                .help("add `platform: compose`, `platform: kubernetes` or `platform: native`, or `extends:` an environment that has one"),
            );
        }
        return;
    };
    let target = Target::of(chain, platform.value);
    cluster_cloud_region(cx, chain, platform.value);
    let containers = allowed_realizations(cx, chain, &target);
    if matches!(platform.value, Platform::Compose | Platform::Native) {
        host_ports(cx, chain, &containers);
    }
    if target.cloud {
        cloud_secret_sources(cx, chain);
    }
}

/// The environment's own domain (B3007) and namespace (B1001).
fn own_fields(cx: &mut Cx, chain: &Chain) {
    let env = chain.env();
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
}

/// The environment's own service overrides: known services (B1110), and the same field checks
/// as on the service itself.
fn service_overrides(cx: &mut Cx, chain: &Chain) {
    let (spec, name) = (cx.spec, chain.name());
    for (sname, o) in &chain.env().services {
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
        let job = svc.kind() == WorkloadKind::Job;
        let r = o.replicas.as_ref().map(|r| r.span);
        fields::job_field(cx, sname, job, r, "replicas", "B2032");
        let a = o.autoscale.as_ref().map(|a| a.span);
        fields::job_field(cx, sname, job, a, "autoscale", "B2031");
        let e = o.expose.as_ref().map(|e| e.span);
        fields::job_field(cx, sname, job, e, "expose", "B2030");
        if let Some(a) = &o.autoscale {
            fields::autoscale(cx, a);
        }
        if let Some(r) = &o.resources {
            fields::resources(cx, r);
        }
        if let Some(e) = &o.expose {
            fields::expose(cx, sname, svc, e);
        }
        if let Some(i) = &o.image {
            let production = chain.production().then(|| chain.name().value.as_str());
            fields::pinned(cx, i, production);
        }
        fields::publish(cx, sname, svc, &o.publish);
        fields::env(cx, sname, svc, &o.env);
    }
}

/// The environment's own per-store realizations: known stores (B1111), valid external URLs.
fn store_realizations(cx: &mut Cx, chain: &Chain) {
    let Some(Realizations::PerStore(m)) = &chain.env().stores else {
        return;
    };
    let (spec, name) = (cx.spec, chain.name());
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

/// The environment's own secret overrides: known secrets (B1109), exactly one source.
fn secret_overrides(cx: &mut Cx, chain: &Chain) {
    let name = chain.name();
    for (sname, secret) in &chain.env().secrets {
        if !cx.spec.secrets.contains_key(sname.value.as_str()) {
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
        if secrets::secret_sources(cx, sname, secret) == 0 {
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
}

/// B3002–B3006 on the effective cluster, cloud and region.
fn cluster_cloud_region(cx: &mut Cx, chain: &Chain, platform: Platform) {
    let name = chain.name();
    let cloud = chain.inherit(|e| e.cloud.as_ref());
    let cluster = chain.inherit(|e| e.cluster.as_ref());
    let region = chain.inherit(|e| e.region.as_ref());
    let kube = platform == Platform::Kubernetes;
    let needs_kube = |what: &str, span: Span| {
        Diagnostic::error(
            if what == "cluster" { "B3002" } else { "B3003" },
            span,
            format!("`{what}` needs platform kubernetes, but `{name}` uses {platform}"),
        )
        .help(format!("remove `{what}`, or set `platform: kubernetes`"))
    };
    if let (Some(c), false) = (cluster, kube) {
        cx.push(needs_kube("cluster", c.span));
    }
    if let Some(c) = cloud {
        if !kube {
            cx.push(needs_kube("cloud", c.span));
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
    if let Some(r) = region.filter(|r| !is_region(r)) {
        cx.push(
            Diagnostic::error(
                "B3005",
                r.span,
                format!("`{}` is not a valid region", r.value),
            )
            .help("write an AWS region like `us-west-2` or `eu-central-1`"),
        );
    }
    if let Some(c) = cluster {
        if c.value == Cluster::Eks && cloud.map(|c| c.value) != Some(Cloud::Aws) {
            cx.push(
                Diagnostic::error("B3006", c.span, "`cluster: eks` needs `cloud: aws`")
                    .help("add `cloud: aws` and a `region`, or pick a local cluster (minikube, kind, k3d)"),
            );
        }
    }
}

/// Where an environment runs, as far as store realizations are concerned.
struct Target {
    platform: Platform,
    /// A kubernetes environment with a cloud.
    cloud: bool,
    /// The realization of stores the environment does not place.
    default: RealizationKind,
    /// The realizations the platform can provide.
    allowed: &'static [RealizationKind],
}

impl Target {
    fn of(chain: &Chain, platform: Platform) -> Self {
        use RealizationKind::{Container, Host, InCluster, Managed, Process};
        let cloud =
            platform == Platform::Kubernetes && chain.inherit(|e| e.cloud.as_ref()).is_some();
        let (default, allowed): (RealizationKind, &'static [RealizationKind]) =
            match (platform, cloud) {
                (Platform::Compose, _) => (Container, &[Container, Host]),
                (Platform::Native, _) => (Host, &[Host, Process]),
                (Platform::Kubernetes, false) => (InCluster, &[InCluster, Host]),
                (Platform::Kubernetes, true) => (Managed, &[InCluster, Managed]),
            };
        Target {
            platform,
            cloud,
            default,
            allowed,
        }
    }

    /// The environment in words, for messages.
    fn describe(&self) -> String {
        match (self.platform, self.cloud) {
            (Platform::Kubernetes, true) => "a cloud kubernetes environment".to_string(),
            (Platform::Kubernetes, false) => "a local kubernetes environment".to_string(),
            (p, _) => format!("platform {p}"),
        }
    }
}

/// B3008: every written realization is one the platform can provide. Returns the stores that
/// run as containers.
fn allowed_realizations<'a>(
    cx: &mut Cx<'a>,
    chain: &Chain<'a>,
    target: &Target,
) -> Vec<(&'a Name, &'a Store)> {
    let spec = cx.spec;
    let mut containers = Vec::new();
    for (sname, store) in &spec.stores {
        let kind = match chain.placement(sname) {
            Some(Placement::Kind(k)) => Spanned::new(k.value, k.span),
            Some(Placement::External(_)) => continue,
            None => Spanned::synthetic(target.default),
        };
        if !kind.span.is_none() && !target.allowed.contains(&kind.value) {
            let mut ok: Vec<&str> = target.allowed.iter().map(|k| k.as_str()).collect();
            ok.push("{ external: URL }");
            cx.push(
                Diagnostic::error(
                    "B3008",
                    kind.span,
                    format!(
                        "store `{sname}` cannot be `{}` in {}",
                        kind.value,
                        target.describe()
                    ),
                )
                .note(format!("in environment `{}`", chain.name()))
                .help(format!("use one of: {}", ok.join(", "))),
            );
        } else if kind.value == RealizationKind::Container {
            containers.push((sname, store));
        } else if kind.value == RealizationKind::Process
            && store::process_programs(store.r#type.value).is_empty()
        {
            cx.push(
                Diagnostic::error(
                    "B3012",
                    kind.span,
                    format!(
                        "store `{sname}` ({}) cannot run as a host process",
                        store.r#type.value
                    ),
                )
                .note(format!("in environment `{}`", chain.name()))
                .help("`process` runs redis and postgres stores; use `host` (a container on the host's port)"),
            );
        } else if kind.value == RealizationKind::Managed
            && store.version().is_none()
            && store::facts(store.r#type.value).default_image.is_none()
        {
            managed_version(cx, chain, sname, store);
        }
    }
    containers
}

/// B2025: a managed store needs an engine version, and its image does not say one.
fn managed_version(cx: &mut Cx, chain: &Chain, sname: &Name, store: &Store) {
    let Some(image) = &store.image else { return };
    cx.push(
        Diagnostic::error(
            "B2025",
            image.span,
            format!(
                "managed store `{sname}` needs a version, and image `{}` does not say one",
                image.value
            ),
        )
        .note(format!("in environment `{}`", chain.name()))
        .help("add `version:` (the managed engine version, e.g. `\"7.1\"`)"),
    );
}

/// B3010: services' published ports and container stores' ports do not collide on the host.
fn host_ports(cx: &mut Cx, chain: &Chain, containers: &[(&Name, &Store)]) {
    let mut taken = HostPorts {
        env: chain.name(),
        taken: HashMap::new(),
    };
    for (sname, svc) in &cx.spec.services {
        let mut ports: Vec<&Name> = svc.publish.keys().collect();
        for o in chain.service_overrides(sname).rev() {
            ports.extend(o.publish.keys());
        }
        let mut done = HashSet::new();
        for p in ports {
            if !done.insert(p.value.as_str()) {
                continue;
            }
            let key = p.value.as_str();
            let host = chain
                .service_overrides(sname)
                .find_map(|o| o.publish.get(key))
                .or_else(|| svc.publish.get(key));
            // A TCP and a UDP port may share a host port number.
            let proto = svc
                .ports
                .get(key)
                .map(|p| p.value.protocol)
                .unwrap_or_default();
            if let Some(h) = host.filter(|h| h.value != 0) {
                taken.claim_protocol(cx, (h.value, proto), format!("service `{sname}`"), h.span);
            }
        }
    }
    for (sname, store) in containers {
        if store.r#type.span.is_none() {
            continue;
        }
        let facts = store::facts(store.r#type.value);
        let (port, span) = match &store.publish {
            Some(p) if p.value == 0 => continue,
            Some(p) => (p.value, p.span),
            None if !facts.publish_by_default => continue,
            None => (facts.port, sname.span),
        };
        taken.claim(cx, port, format!("store `{sname}`"), span);
        let image = store.image.as_ref().map(|i| &i.value);
        let extra_ports = crate::emulator::for_store(facts.kind, image)
            .map_or(facts.extra_ports, |e| e.extra_ports);
        for (what, extra) in extra_ports {
            taken.claim(cx, *extra, format!("store `{sname}` ({what})"), span);
        }
    }
}

/// Host ports claimed so far in one environment, and by whom.
struct HostPorts<'a> {
    env: &'a Name,
    taken: HashMap<(u16, crate::Protocol), (String, Span)>,
}

impl HostPorts<'_> {
    fn claim(&mut self, cx: &mut Cx, port: u16, who: String, span: Span) {
        self.claim_protocol(cx, (port, crate::Protocol::Tcp), who, span);
    }

    fn claim_protocol(
        &mut self,
        cx: &mut Cx,
        (port, proto): (u16, crate::Protocol),
        who: String,
        span: Span,
    ) {
        let Some((first, fspan)) = self.taken.get(&(port, proto)) else {
            self.taken.insert((port, proto), (who, span));
            return;
        };
        cx.push(
            Diagnostic::error(
                "B3010",
                span,
                format!("host port {port} of {who} is already published by {first}"),
            )
            .note(format!(
                "{first} publishes it at {} (environment `{}`)",
                at(*fspan),
                self.env
            ))
            .help("publish one of them on another host port (`publish:`), or set a store's `publish: 0`"),
        );
    }
}

/// B3011: cloud environments read secrets through ExternalSecrets, which only knows AWS.
fn cloud_secret_sources(cx: &mut Cx, chain: &Chain) {
    let name = chain.name();
    for (sname, secret) in &cx.spec.secrets {
        let src = secrets::sources(chain.secret(sname).unwrap_or(secret));
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

/// B3009 (a URL of the store's type, with a host) and B1105 (the secrets it reads).
fn external_url(cx: &mut Cx, store: &str, t: StoreType, url: &Spanned<String>) {
    let facts = store::facts(t);
    for r in template::scan(url) {
        if let Some(("secrets", name)) = r.parts {
            if !cx.spec.secrets.contains_key(name) {
                let help = unknown(name, "secrets", cx.secret_names());
                cx.push(
                    Diagnostic::error(
                        "B1105",
                        refs::sub_span(url, r.start, r.len),
                        format!("unknown secret `{name}` in the external URL of `{store}`"),
                    )
                    .help(help),
                );
            }
        }
    }
    if let Some(why) = url_problem(url, t) {
        let example = format!("{}://host:{}", facts.schemes[0], facts.port);
        cx.push(
            Diagnostic::error(
                "B3009",
                url.span,
                format!("external URL of store `{store}` is invalid: {why}"),
            )
            .help(format!(
                "write a URL like `{example}` (schemes: {}); put credentials in a secret with `${{secrets.NAME}}`",
                facts.schemes.join(", ")
            )),
        );
    }
}

/// What is wrong with an external URL of a store of type `t`, if anything.
fn url_problem(url: &str, t: StoreType) -> Option<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some("it has no `scheme://`".to_string());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if !store::facts(t).schemes.contains(&scheme) {
        Some(format!("scheme `{scheme}` does not fit a {t} store"))
    } else if host.is_empty() || host.starts_with(':') {
        Some("it has no host".to_string())
    } else if host.chars().any(char::is_whitespace) {
        Some("the host contains spaces".to_string())
    } else {
        None
    }
}

/// B1202: each `extends` cycle once, at the `extends` of the environment declared first.
fn extends_cycles(cx: &mut Cx) {
    let envs = &cx.spec.environments;
    for cycle in extends::cycles(cx.spec) {
        let name = |i: usize| envs.get_index(i).map_or("?", |(k, _)| k.value.as_str());
        let mut names: Vec<&str> = cycle.iter().map(|&i| name(i)).collect();
        names.push(name(cycle[0]));
        let span = envs
            .get_index(cycle[0])
            .and_then(|(_, e)| e.extends.as_ref())
            .map_or(Span::NONE, |e| e.span);
        cx.push(
            Diagnostic::error(
                "B1202",
                span,
                format!("`extends` cycle: {}", names.join(" -> ")),
            )
            .help("remove one `extends` so the chain ends in an environment that extends nothing"),
        );
    }
}
