//! Writes the classified stack as a commented, deterministic berth.yaml.

use crate::classify::{Kind, Probe, Res, SecretSource, Stack};
use crate::yaml::{flow_list, flow_map, scalar};
use std::fmt::Write;

/// Renders berth.yaml. `sources` are the compose files (project-relative), `profiles` the active ones.
pub fn emit(stack: &Stack, sources: &[String], profiles: &[String]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# yaml-language-server: $schema=./berth.schema.json");
    let _ = writeln!(
        o,
        "# Imported by `berth import` from {}{}.",
        sources.join(" + "),
        if profiles.is_empty() {
            String::new()
        } else {
            format!(" with profiles {}", profiles.join(", "))
        }
    );
    let _ = writeln!(
        o,
        "# Review the notes below, then run `berth validate` and `berth render`."
    );
    section(&mut o, "Inferred", &stack.inferred);
    section(
        &mut o,
        "Dropped or approximated (compose key path: why)",
        &stack.warnings,
    );
    o.push('\n');
    let _ = writeln!(o, "name: {}", scalar(&stack.name));
    if stack.services.is_empty() {
        o.push_str("services: {}\n");
    } else {
        o.push_str("services:\n");
    }
    for (name, w) in &stack.services {
        let _ = writeln!(o, "  {}:", scalar(name));
        let kind = match w.kind {
            Kind::Service => "service",
            Kind::Job => "job",
        };
        let _ = writeln!(o, "    kind: {kind}");
        if let Some(b) = &w.build {
            let mut items = vec![("context".to_string(), scalar(&b.context))];
            if let Some(d) = &b.dockerfile {
                items.push(("dockerfile".into(), scalar(d)));
            }
            if let Some(t) = &b.target {
                items.push(("target".into(), scalar(t)));
            }
            if !b.args.is_empty() {
                let args: Vec<(String, String)> =
                    b.args.iter().map(|(k, v)| (k.clone(), scalar(v))).collect();
                items.push(("args".into(), flow_map(&args)));
            }
            let _ = writeln!(o, "    build: {}", flow_map(&items));
        }
        if let Some(i) = &w.image {
            let _ = writeln!(o, "    image: {}", scalar(i));
        }
        if let Some(c) = &w.command {
            let _ = writeln!(o, "    command: {}", flow_list(c));
        }
        if !w.ports.is_empty() {
            let items: Vec<(String, String)> = w
                .ports
                .iter()
                .map(|(n, p)| (n.clone(), p.to_string()))
                .collect();
            let _ = writeln!(o, "    ports: {}", flow_map(&items));
        }
        if !w.publish.is_empty() {
            let items: Vec<(String, String)> = w
                .publish
                .iter()
                .map(|(n, p)| (n.clone(), p.to_string()))
                .collect();
            let _ = writeln!(o, "    publish: {}", flow_map(&items));
        }
        if let Some(h) = &w.health {
            let mut items = vec![match &h.probe {
                Probe::Http { path, port } => (
                    "http".to_string(),
                    flow_map(&[("path".into(), scalar(path)), ("port".into(), scalar(port))]),
                ),
                Probe::Tcp(p) => ("tcp".to_string(), scalar(p)),
                Probe::Exec(c) => ("exec".to_string(), flow_list(c)),
            }];
            for (k, v) in [
                ("interval", &h.interval),
                ("timeout", &h.timeout),
                ("start_period", &h.start_period),
            ] {
                if let Some(v) = v {
                    items.push((k.into(), scalar(v)));
                }
            }
            if let Some(r) = h.retries {
                items.push(("retries".into(), r.to_string()));
            }
            let _ = writeln!(o, "    health: {}", flow_map(&items));
        }
        if !w.uses.is_empty() {
            let _ = writeln!(o, "    uses: {}", flow_list(&w.uses));
        }
        if !w.before.is_empty() {
            let _ = writeln!(o, "    before: {}", flow_list(&w.before));
        }
        if !w.env.is_empty() {
            o.push_str("    env:\n");
            for (k, v) in &w.env {
                let _ = writeln!(o, "      {}: {}", scalar(k), scalar(v));
            }
        }
        if !w.secrets.is_empty() {
            let _ = writeln!(o, "    secrets: {}", flow_list(&w.secrets));
        }
        if let Some(r) = w.replicas {
            let _ = writeln!(o, "    replicas: {r}");
        }
        if let Some(req) = &w.requests {
            let mut items = res_items(req);
            if let Some(l) = &w.limits {
                items.push(("limits".into(), flow_map(&res_items(l))));
            }
            let _ = writeln!(o, "    resources: {}", flow_map(&items));
        }
        if let Some(r) = &w.restart {
            let _ = writeln!(o, "    restart: {}", scalar(r));
        }
        if !w.volumes.is_empty() {
            o.push_str("    volumes:\n");
            for (n, path, size) in &w.volumes {
                let _ = writeln!(
                    o,
                    "      {}: {}",
                    scalar(n),
                    flow_map(&[("path".into(), scalar(path)), ("size".into(), scalar(size))])
                );
            }
        }
    }
    if !stack.stores.is_empty() {
        o.push_str("stores:\n");
        for (n, s) in &stack.stores {
            let mut items = vec![("type".to_string(), s.kind.as_str().to_string())];
            if let Some(v) = &s.version {
                items.push(("version".into(), scalar(v)));
            }
            if let Some(v) = &s.storage {
                items.push(("storage".into(), scalar(v)));
            }
            if let Some(v) = &s.database {
                items.push(("database".into(), scalar(v)));
            }
            let _ = writeln!(o, "  {}: {}", scalar(n), flow_map(&items));
        }
    }
    if !stack.secrets.is_empty() {
        o.push_str("secrets:\n");
        for (n, s) in &stack.secrets {
            let v = match s {
                SecretSource::Generate(len) => flow_map(&[(
                    "generate".into(),
                    flow_map(&[("length".into(), len.to_string())]),
                )]),
                SecretSource::Env(var) => flow_map(&[("env".into(), scalar(var))]),
            };
            let _ = writeln!(o, "  {}: {v}", scalar(n));
        }
    }
    o.push_str("environments:\n");
    o.push_str("  local: { platform: compose }\n");
    if let Some(k) = stack.kubernetes {
        let _ = writeln!(
            o,
            "  {}: {{ platform: kubernetes, cluster: {} }}",
            k.name(),
            k.name()
        );
    }
    o
}

fn res_items(r: &Res) -> Vec<(String, String)> {
    let mut items = Vec::new();
    if let Some(c) = &r.cpu {
        items.push(("cpu".to_string(), scalar(c)));
    }
    if let Some(m) = &r.memory {
        items.push(("memory".to_string(), scalar(m)));
    }
    items
}

fn section(o: &mut String, title: &str, notes: &[crate::notes::Warning]) {
    if notes.is_empty() {
        return;
    }
    let _ = writeln!(o, "#\n# {title}:");
    for n in notes {
        let msg = n.message.replace('\n', " ");
        let _ = writeln!(o, "#   - {}: {msg}", n.path);
    }
}
