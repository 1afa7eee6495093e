//! One compose service that is neither a store nor dropped → a Berth service or job: image or
//! build, restart policy, ports, health, dependencies, environment, secrets, replicas,
//! resources and volumes, noting everything that is dropped or approximated.

use super::context::{Draft, Facts};
use super::drops::common_drops;
use super::env::import_env;
use super::health::import_health;
use super::ports;
use super::resources::import_resources;
use super::secrets::{is_credential, Book};
use super::stores::split_image;
use crate::model::{Build, Mount, Service};
use crate::notes::Notes;
use berth_spec::{Restart, Spanned, WorkloadKind};

/// Imports compose service `n`.
pub fn import_workload(
    n: &str,
    s: &Service,
    kind: WorkloadKind,
    facts: &Facts,
    book: &mut Book,
    notes: &mut Notes,
) -> berth_spec::Service {
    let mut d = Draft::new(n, kind, facts);
    d.svc.command = s.command.clone().map(Spanned::synthetic);
    match &s.build {
        Some(b) => build(&mut d, b, s.image.as_deref(), facts, notes),
        None => image(&mut d, s.image.as_deref(), notes),
    }
    d.svc.entrypoint = s.entrypoint.clone().map(Spanned::synthetic);
    if let Some(r) = &s.restart {
        restart(&mut d, r, kind, notes);
    }
    ports::publish(&d.path, s, &mut d.svc, notes);
    if let Some(h) = &s.healthcheck {
        d.svc.health = import_health(&d.path, h, &mut d.svc.ports, notes);
    }
    dependencies(&mut d, s, facts, notes);
    import_env(&mut d, s, facts, book, notes);
    book.compose_refs(&mut d, s, facts);
    d.svc.secrets.sort();
    let replicas = s.deploy.as_ref().and_then(|x| x.replicas).or(s.scale);
    d.svc.replicas = replicas.filter(|r| *r != 1).map(Spanned::synthetic);
    if let Some(x) = &s.deploy {
        d.svc.resources = import_resources(&d.path, x, notes);
    }
    for (i, m) in s.volumes.iter().enumerate() {
        let vp = format!("{}.volumes[{i}]", d.path);
        volume(&mut d, m, &vp, facts, notes);
    }
    for (target, file) in super::volumes::config_files(facts.c, &d.path, s, notes) {
        d.svc
            .files
            .insert(Spanned::synthetic(target), Spanned::synthetic(file));
    }
    common_drops(&d.path, s, notes);
    d.svc
}

/// A pinned image is kept; an unpinned one is kept with a warning.
fn image(d: &mut Draft, image: Option<&str>, notes: &mut Notes) {
    let Some(img) = image else {
        return;
    };
    d.svc.image = Some(Spanned::synthetic(berth_spec::ImageRef::parse(img)));
    let (_, tag) = split_image(img);
    if tag.is_none() || tag == Some("latest") {
        notes.warn(
            format!("{}.image", d.path),
            format!("{img} is not pinned to a version; pin it before deploying"),
        );
    }
}

/// Build context, Dockerfile, target and arguments; a built service's image name is dropped.
fn build(d: &mut Draft, b: &Build, image: Option<&str>, facts: &Facts, notes: &mut Notes) {
    let mut args = berth_spec::Map::new();
    for (k, v) in &b.args {
        let ap = format!("{}.build.args.{k}", d.path);
        match v {
            _ if is_credential(k) => notes.warn(ap, "credential-looking build argument dropped: pass it as a build secret, never as an argument"),
            Some(v) => {
                args.insert(Spanned::synthetic(k.clone()), Spanned::synthetic(v.clone()));
            }
            None => notes.warn(ap, "build argument without value (taken from the host at build time) dropped"),
        }
    }
    d.svc.build = Some(berth_spec::Build {
        context: Some(Spanned::synthetic(b.context.clone())),
        dockerfile: b.dockerfile.clone().map(Spanned::synthetic),
        target: b.target.clone().map(Spanned::synthetic),
        args,
        ..berth_spec::Build::default()
    });
    for k in b.extra.keys() {
        notes.warn(
            format!("{}.build.{k}", d.path),
            "build option not supported by Berth; dropped",
        );
    }
    if let Some(img) = image {
        built_image_name(d, img, facts, notes);
    }
}

/// Berth names built images itself; an image other services build from is the builder pattern.
fn built_image_name(d: &Draft, img: &str, facts: &Facts, notes: &mut Notes) {
    let consumers: Vec<&str> = facts
        .c
        .services
        .iter()
        .filter(|(o, os)| {
            o.as_str() != d.name
                && os
                    .build
                    .as_ref()
                    .is_some_and(|b| b.args.values().flatten().any(|v| v == img))
        })
        .map(|(o, _)| o.as_str())
        .collect();
    let message = if consumers.is_empty() {
        format!("image name {img} of a built service dropped: Berth tags built images from the stack's registry")
    } else {
        format!(
            "builder pattern: {img} is the base image of {} (via build args); Berth names built images itself, so build {} first and keep that tag local",
            consumers.join(", "),
            d.name
        )
    };
    notes.warn(format!("{}.image", d.path), message);
}

/// Compose's restart policy → Berth's; jobs run once whatever compose says.
fn restart(d: &mut Draft, r: &str, kind: WorkloadKind, notes: &mut Notes) {
    let rp = format!("{}.restart", d.path);
    if kind == WorkloadKind::Job {
        if r != "no" {
            notes.warn(rp, format!("restart {r:?} dropped: jobs run once"));
        }
        return;
    }
    let (policy, note) = match r {
        "always" => (Restart::Always, None),
        // Berth's `always` is compose's `unless-stopped`.
        "unless-stopped" => (Restart::Always, None),
        "no" => (Restart::Never, None),
        x if x.starts_with("on-failure") => (
            Restart::OnFailure,
            x.contains(':').then_some("maximum retry count dropped"),
        ),
        _ => (
            Restart::Always,
            Some("unknown restart policy approximated as always"),
        ),
    };
    d.svc.restart = Some(Spanned::synthetic(policy));
    if let Some(note) = note {
        notes.warn(rp, note);
    }
}

/// `depends_on` and `links` → `uses` (a dropped helper's own dependencies are kept).
fn dependencies(d: &mut Draft, s: &Service, facts: &Facts, notes: &mut Notes) {
    for (dep, spec) in &s.depends_on {
        if facts.dropped.contains_key(dep) {
            let inherited = facts.c.services.get(dep).map(|h| h.depends_on.keys());
            for dd in inherited.into_iter().flatten() {
                let why = format!("{dep} was dropped; its dependency {dd} is kept");
                d.add_use(facts, dd, notes, Some(why));
            }
        }
        d.add_use(facts, dep, notes, None);
        let unhealthy = spec.condition == "service_healthy"
            && !facts.store_of.contains_key(dep)
            && facts
                .c
                .services
                .get(dep)
                .is_none_or(|x| x.healthcheck.is_none());
        if unhealthy {
            notes.warn(
                format!("{}.depends_on.{dep}", d.path),
                "waits for health of a service without healthcheck",
            );
        }
    }
    for l in &s.links {
        let (t, alias) = l
            .split_once(':')
            .map_or((l.as_str(), None), |(a, b)| (a, Some(b)));
        let why = format!("link {l} → uses {}", facts.bn(t));
        d.add_use(facts, t, notes, Some(why));
        if let Some(a) = alias.filter(|a| *a != t) {
            notes.warn(
                format!("{}.links", d.path),
                format!("alias {a} for {t} dropped; references to host {a} are rewritten"),
            );
        }
    }
}

/// A named volume keeps its real name (so data is found and services share it); a project file
/// or folder becomes `files`; anonymous volumes and host paths are dropped.
fn volume(d: &mut Draft, m: &Mount, vp: &str, facts: &Facts, notes: &mut Notes) {
    match (m.kind.as_str(), &m.source) {
        ("volume", Some(src)) => {
            let (key, v) = super::volumes::named(facts.c, m, src);
            d.svc.volumes.entry(Spanned::synthetic(key)).or_insert(v);
            if m.read_only {
                notes.warn(vp, "read-only flag dropped");
            }
        }
        ("volume", None) => notes.warn(
            vp,
            format!(
                "anonymous volume at {} dropped: it only shadows image content locally",
                m.target
            ),
        ),
        ("bind", Some(src)) => super::volumes::project_file(d, m, src, vp, notes),
        (k, _) => notes.warn(vp, format!("{k} mount at {} dropped", m.target)),
    }
    for k in m.extra.keys() {
        notes.warn(format!("{vp}.{k}"), "mount option dropped");
    }
}
