//! `compose.services.yaml`: the workloads, layered over the stores file
//! (`-f compose.stores.yaml -f compose.services.yaml`).

use super::common::{
    env_file_entry, esc, mount_entries, network, networks_section, plain, resources,
    secret_file_path, secs, volume_decl, ComposeOptions,
};
use super::stores::{init_service, runs_in_compose};
use berth_spec::model::{BuildModel, Check, DepKind, Realized, Workload};
use berth_spec::{Model, Protocol, Restart};
use serde_json::{json, Map, Value};

/// The services document and the notes to print above it (compose-specific adjustments).
pub(crate) fn document(model: &Model, opts: &ComposeOptions) -> (Value, Vec<String>) {
    let mut notes = builder_notes(model, opts);
    let mut services = Map::new();
    let mut volumes = Map::new();
    let mut secrets = Map::new();
    for w in &model.workloads {
        services.insert(w.name.clone(), service(model, w, opts, &mut notes));
        for v in &w.volumes {
            volumes.insert(v.volume.clone(), volume_decl(v));
        }
        for f in &w.secret_files {
            secrets.insert(
                f.secret.clone(),
                json!({ "file": secret_file_path(&f.secret) }),
            );
        }
    }
    let mut doc = Map::new();
    doc.insert("name".into(), json!(model.stack));
    doc.insert("services".into(), Value::Object(services));
    // Declared again (identically) so the file reads on its own; compose merges the two.
    doc.insert("networks".into(), networks_section(model));
    if !volumes.is_empty() {
        doc.insert("volumes".into(), Value::Object(volumes));
    }
    if !secrets.is_empty() {
        doc.insert("secrets".into(), Value::Object(secrets));
    }
    (Value::Object(doc), notes)
}

/// Build context as seen from the compose directory.
pub(crate) fn context(build: &BuildModel, opts: &ComposeOptions) -> String {
    let c = build.context.trim();
    if c.starts_with('/') || c.contains("://") || c.starts_with("git@") {
        return c.to_string();
    }
    let rel = c.trim_start_matches("./").trim_end_matches('/');
    let root = opts.root_from_compose_dir.trim_end_matches('/');
    if rel.is_empty() || rel == "." {
        root.to_string()
    } else {
        format!("{root}/{rel}")
    }
}

/// Workloads built from the same context and Dockerfile share their common stages: BuildKit
/// builds each stage once and every target reuses it from the cache (the builder pattern,
/// without a separate builder image). Listed in the header so readers see it.
fn builder_notes(model: &Model, opts: &ComposeOptions) -> Vec<String> {
    let mut groups: Vec<((String, String), Vec<&str>)> = Vec::new();
    for w in &model.workloads {
        let Some(b) = &w.build else { continue };
        let key = (
            context(b, opts),
            b.dockerfile.clone().unwrap_or_else(|| "Dockerfile".into()),
        );
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, names)) => names.push(&w.name),
            None => groups.push((key, vec![&w.name])),
        }
    }
    groups
        .into_iter()
        .filter(|(_, names)| names.len() > 1)
        .map(|((ctx, df), names)| {
            format!(
                "{} build from {ctx} ({df}) and share its stages; BuildKit builds each shared stage once",
                names.join(", ")
            )
        })
        .collect()
}

fn service(model: &Model, w: &Workload, opts: &ComposeOptions, notes: &mut Vec<String>) -> Value {
    let mut s = Map::new();
    s.insert("image".into(), json!(w.image));
    if let Some(b) = &w.build {
        s.insert("build".into(), build(b, opts));
    }
    if !w.entrypoint.is_empty() {
        s.insert(
            "entrypoint".into(),
            json!(w.entrypoint.iter().map(|c| esc(c)).collect::<Vec<_>>()),
        );
    }
    if !w.command.is_empty() {
        s.insert(
            "command".into(),
            json!(w.command.iter().map(|c| esc(c)).collect::<Vec<_>>()),
        );
    }
    s.insert("restart".into(), json!(restart(w)));
    let deps = depends_on(model, w);
    if !deps.is_empty() {
        s.insert("depends_on".into(), Value::Object(deps));
    }
    environment(&mut s, w);
    let published = ports(&mut s, w);
    mounts(&mut s, w, opts);
    if let Some(h) = &w.health {
        s.insert(
            "healthcheck".into(),
            json!({
                "test": check_test(&h.check),
                "interval": secs(h.interval_s),
                "timeout": secs(h.timeout_s),
                "retries": h.retries,
                "start_period": secs(h.start_period_s),
            }),
        );
    }
    harden(&mut s, model, w);
    s.insert("networks".into(), json!([network(model)]));
    if uses_host_store(model, w) {
        // Docker on Linux does not define host.docker.internal by itself.
        s.insert(
            "extra_hosts".into(),
            json!(["host.docker.internal:host-gateway"]),
        );
    }
    let deploy = deploy(model, w, !published, notes);
    if deploy.as_object().is_some_and(|d| !d.is_empty()) {
        s.insert("deploy".into(), deploy);
    }
    Value::Object(s)
}

/// Volumes (by their exact names), project files (read-only bind mounts from the project) and
/// secret files (compose `secrets`, at their paths).
fn mounts(s: &mut Map<String, Value>, w: &Workload, opts: &ComposeOptions) {
    let mounts = mount_entries(&w.volumes, &w.files, &w.writable, opts);
    if !mounts.is_empty() {
        s.insert("volumes".into(), json!(mounts));
    }
    if !w.secret_files.is_empty() {
        let secrets: Vec<Value> = w
            .secret_files
            .iter()
            .map(|f| json!({ "source": f.secret, "target": f.path }))
            .collect();
        s.insert("secrets".into(), Value::Array(secrets));
    }
}

/// Hardening that fits the environment (docs/render.md#hardening): no privilege escalation
/// everywhere; a read-only root when the service declares its `writable` paths (they become
/// tmpfs) or the environment is production-grade (then `/tmp` too, and no capabilities).
fn harden(s: &mut Map<String, Value>, model: &Model, w: &Workload) {
    // A writable project folder is its bind mount, not scratch space.
    let scratch: Vec<&String> = w
        .writable
        .iter()
        .filter(|p| !w.files.iter().any(|f| &f.path == *p))
        .collect();
    if model.production || !scratch.is_empty() {
        let mut tmpfs: Vec<String> = scratch.iter().map(|p| esc(p)).collect();
        if model.production && !w.writable.iter().any(|p| p == "/tmp") {
            tmpfs.insert(0, "/tmp".into());
        }
        s.insert("read_only".into(), json!(true));
        s.insert("tmpfs".into(), json!(tmpfs));
    }
    s.insert("security_opt".into(), json!(["no-new-privileges:true"]));
    if model.production {
        s.insert("cap_drop".into(), json!(["ALL"]));
    }
}

fn build(b: &BuildModel, opts: &ComposeOptions) -> Value {
    let mut build = Map::new();
    build.insert("context".into(), json!(esc(&context(b, opts))));
    if let Some(df) = &b.dockerfile {
        build.insert("dockerfile".into(), json!(esc(df)));
    }
    if let Some(t) = &b.target {
        build.insert("target".into(), json!(esc(t)));
    }
    if !b.args.is_empty() {
        let args: Map<String, Value> = b
            .args
            .iter()
            .map(|(k, v)| (k.clone(), json!(esc(v))))
            .collect();
        build.insert("args".into(), Value::Object(args));
    }
    Value::Object(build)
}

/// Literal variables in `environment`; the ones with a secret part come from the env file.
fn environment(s: &mut Map<String, Value>, w: &Workload) {
    let mut env = Map::new();
    let mut secret_bearing = false;
    for var in &w.env {
        match plain(&var.value) {
            Some(v) => {
                env.insert(var.name.clone(), json!(v));
            }
            None => secret_bearing = true,
        }
    }
    if !env.is_empty() {
        s.insert("environment".into(), Value::Object(env));
    }
    if secret_bearing {
        s.insert("env_file".into(), env_file_entry(&w.name));
    }
}

/// `expose` and the published `ports` (127.0.0.1 only); true when any port is published.
fn ports(s: &mut Map<String, Value>, w: &Workload) -> bool {
    if !w.ports.is_empty() {
        s.insert(
            "expose".into(),
            json!(w
                .ports
                .iter()
                .map(|p| port_text(p.port, p.protocol))
                .collect::<Vec<_>>()),
        );
    }
    let published: Vec<String> = w
        .ports
        .iter()
        .filter_map(|p| {
            let target = port_text(p.port, p.protocol);
            p.publish.map(|h| format!("127.0.0.1:{h}:{target}"))
        })
        .collect();
    if published.is_empty() {
        return false;
    }
    s.insert("ports".into(), json!(published));
    true
}

/// `8080`, or `53/udp`.
fn port_text(port: u16, protocol: Protocol) -> String {
    match protocol {
        Protocol::Tcp => port.to_string(),
        Protocol::Udp => format!("{port}/udp"),
    }
}

/// `deploy`: replicas (when they can run side by side here) and resources: as written, or
/// Berth's defaults in production-grade environments only (small defaults break images such
/// as Elasticsearch or databases).
fn deploy(model: &Model, w: &Workload, unpublished: bool, notes: &mut Vec<String>) -> Value {
    let mut deploy = Map::new();
    // Compose does not autoscale: an autoscaled workload runs its minimum.
    let replicas = w.autoscale.as_ref().map_or(w.replicas, |a| a.min);
    if replicas > 1 && !w.is_job() {
        if unpublished {
            deploy.insert("replicas".into(), json!(replicas));
        } else {
            notes.push(format!(
                "{}: {replicas} replicas requested, 1 runs here because its ports are published on the host",
                w.name
            ));
        }
    }
    if model.production || w.resources.written {
        deploy.insert("resources".into(), resources(&w.resources));
    }
    Value::Object(deploy)
}

fn uses_host_store(model: &Model, w: &Workload) -> bool {
    w.uses.iter().any(|d| {
        d.kind == DepKind::Store
            && model.store(&d.name).is_some_and(|s| {
                matches!(&s.realization, Realized::Host { address } if address == "host.docker.internal")
            })
    })
}

/// Services restart unless stopped; jobs run once (restarted only on failure when asked).
fn restart(w: &Workload) -> &'static str {
    match (w.is_job(), w.restart) {
        (_, Restart::OnFailure) => "on-failure",
        (false, Restart::Always) => "unless-stopped",
        _ => "no",
    }
}

fn depends_on(model: &Model, w: &Workload) -> Map<String, Value> {
    let mut deps = Map::new();
    let cond = |c: &str| json!({ "condition": c });
    for dep in &w.uses {
        match dep.kind {
            DepKind::Store => {
                let Some(store) = model.store(&dep.name) else {
                    continue;
                };
                if !runs_in_compose(store) {
                    continue;
                }
                deps.insert(store.runner().to_string(), cond("service_healthy"));
                if let Some(init) = init_service(store) {
                    deps.insert(init, cond("service_completed_successfully"));
                }
            }
            DepKind::Service => {
                let healthy = model
                    .workload(&dep.name)
                    .is_some_and(|d| d.health.is_some());
                deps.insert(
                    dep.name.clone(),
                    cond(if healthy {
                        "service_healthy"
                    } else {
                        "service_started"
                    }),
                );
            }
        }
    }
    for job in &w.after_jobs {
        deps.insert(job.clone(), cond("service_completed_successfully"));
    }
    deps
}

/// The healthcheck `test`. The image's tooling is unknown, so HTTP checks try wget (busybox,
/// Alpine, Debian) then curl; TCP checks try nc then bash's /dev/tcp.
fn check_test(check: &Check) -> Value {
    match check {
        Check::Http { path, port, .. } => {
            let path = if path.starts_with('/') {
                path.clone()
            } else {
                format!("/{path}")
            };
            let url = esc(&format!("http://127.0.0.1:{port}{path}")).replace('\'', "'\\''");
            json!([
                "CMD-SHELL",
                format!("wget -q -O /dev/null '{url}' || curl -fsS -o /dev/null '{url}'")
            ])
        }
        Check::Tcp { port, .. } => json!([
            "CMD-SHELL",
            format!("nc -z 127.0.0.1 {port} || bash -c ': > /dev/tcp/127.0.0.1/{port}'")
        ]),
        Check::Exec { command } => {
            let mut test = vec![json!("CMD")];
            test.extend(command.iter().map(|c| json!(esc(c))));
            Value::Array(test)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(context: &str) -> BuildModel {
        BuildModel {
            context: context.into(),
            dockerfile: None,
            target: None,
            args: Vec::new(),
        }
    }

    #[test]
    fn contexts_are_relative_to_the_compose_dir() {
        let o = ComposeOptions::default();
        assert_eq!(context(&build("."), &o), "../../..");
        assert_eq!(context(&build("./"), &o), "../../..");
        assert_eq!(context(&build("./app/"), &o), "../../../app");
        assert_eq!(context(&build("services/api"), &o), "../../../services/api");
        assert_eq!(context(&build("/abs/dir"), &o), "/abs/dir");
        assert_eq!(
            context(&build("https://github.com/acme/x.git#main"), &o),
            "https://github.com/acme/x.git#main"
        );
        let o = ComposeOptions {
            root_from_compose_dir: "../../".into(),
        };
        assert_eq!(context(&build("app"), &o), "../../app");
    }

    #[test]
    fn http_checks_quote_their_url() {
        let t = check_test(&Check::Http {
            path: "health".into(),
            port: 8080,
            port_name: "http".into(),
        });
        assert_eq!(
            t[1],
            "wget -q -O /dev/null 'http://127.0.0.1:8080/health' || curl -fsS -o /dev/null 'http://127.0.0.1:8080/health'"
        );
        let t = check_test(&Check::Exec {
            command: vec!["sh".into(), "-c".into(), "test -n \"$HOME\"".into()],
        });
        assert_eq!(t[3], "test -n \"$$HOME\"");
    }
}
