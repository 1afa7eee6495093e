//! Compose keys Berth does not carry over, and why: per service (stores and workloads alike) and
//! at the top level of the project.

use crate::model::{NormalizedCompose, Service};
use crate::notes::Notes;
use serde_json::Value;

/// Why a compose key that Berth does not model is dropped.
pub fn unsupported_reason(key: &str) -> &'static str {
    match key {
        "container_name" => "Berth names containers after the stack and workload",
        "hostname" | "domainname" => "workloads are reached by their Berth name",
        "labels" => "labels are not carried over; Berth sets its own",
        "logging" => "logging drivers are an environment concern, not part of the stack",
        "working_dir" => "set WORKDIR in the Dockerfile instead",
        "user" => {
            "Berth runs containers as non-root UID 65532 by default; set USER in the Dockerfile"
        }
        "stdin_open" | "tty" => "interactive terminals are not part of a deployed stack",
        "stop_grace_period" | "stop_signal" => "shutdown timing uses Berth's defaults",
        "extra_hosts" | "dns" | "dns_search" => {
            "host-name overrides are not portable to Kubernetes"
        }
        "cap_add" | "cap_drop" | "privileged" | "security_opt" => {
            "Berth applies its own hardened security context"
        }
        "network_mode" | "pid" | "ipc" => "host namespaces are not portable",
        "ulimits" | "sysctls" | "shm_size" | "mem_limit" | "cpus" | "mem_reservation" => {
            "legacy per-container limits; use deploy.resources"
        }
        "platform" => "image platform is chosen by the build",
        "pull_policy" => "Berth decides pulls per environment",
        "init" => "Berth uses the image's entrypoint as PID 1",
        "volumes_from" => "shared container volumes are not portable",
        "configs" => "only configs read from a project file are kept (as `files`); bake others into the image or use env",
        "devices" => "host devices are not portable",
        "develop" => "use the service's dev.watch in berth.yaml",
        "tmpfs" => "Berth mounts an emptyDir on /tmp for read-only root filesystems",
        "read_only" => "Berth enables read-only root filesystems by default",
        _ => "not supported by Berth",
    }
}

/// Reports the keys of service `s` (at path `p`) that Berth does not carry over.
pub fn common_drops(p: &str, s: &Service, notes: &mut Notes) {
    // `configs` are project files (`files`), or warned one by one (volumes::config_files).
    for k in s.extra.keys().filter(|k| *k != "configs") {
        if k.starts_with("x-") {
            notes.infer(format!("{p}.{k}"), "extension field ignored");
        } else {
            notes.warn(
                format!("{p}.{k}"),
                format!("dropped: {}", unsupported_reason(k)),
            );
        }
    }
    if !s.networks.is_empty() {
        let nets: Vec<&str> = s.networks.keys().map(String::as_str).collect();
        notes.warn(
            format!("{p}.networks"),
            format!(
                "network membership ({}) dropped: Berth derives network policy from `uses`",
                nets.join(", ")
            ),
        );
    }
    if !s.profiles.is_empty() {
        notes.infer(
            format!("{p}.profiles"),
            format!(
                "enabled by profile {}; Berth has no profiles, so the service is part of the stack",
                s.profiles.join(", ")
            ),
        );
    }
    dependency_drops(p, s, notes);
}

/// What `depends_on` says beyond the order: restarts and optional dependencies.
fn dependency_drops(p: &str, s: &Service, notes: &mut Notes) {
    for (d, spec) in &s.depends_on {
        let linked = s
            .links
            .iter()
            .any(|l| l.split(':').next() == Some(d.as_str()));
        if spec.restart && !linked {
            notes.warn(
                format!("{p}.depends_on.{d}.restart"),
                "restart-on-dependency-restart is not modelled",
            );
        }
        if !spec.required {
            notes.warn(
                format!("{p}.depends_on.{d}.required"),
                "optional dependency approximated as a required one",
            );
        }
    }
}

/// Reports top-level volumes, networks, configs and unknown keys of the project.
pub fn top_level(c: &NormalizedCompose, notes: &mut Notes) {
    for (k, v) in &c.volumes {
        for f in v.fields.keys() {
            notes.warn(
                format!("volumes.{k}.{f}"),
                "volume driver options dropped: Berth provisions storage per environment",
            );
        }
    }
    for (k, v) in &c.networks {
        let detail = if v.fields.is_empty() {
            String::new()
        } else {
            format!(
                " (with {})",
                v.fields.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        };
        notes.warn(
            format!("networks.{k}"),
            format!("dropped{detail}: Berth gives each stack one network and derives network policy from `uses`"),
        );
    }
    for (k, v) in &c.configs {
        match v.fields.get("file").and_then(Value::as_str) {
            Some(f) if f.starts_with("./") => notes.infer(
                format!("configs.{k}"),
                format!("{f} → the `files` of the services that use it"),
            ),
            _ => notes.warn(format!("configs.{k}"), unsupported_reason("configs")),
        }
    }
    for k in c.extra.keys() {
        if k.starts_with("x-") {
            notes.infer(k.clone(), "extension field (YAML anchor material); its effect is already merged into the services");
        } else {
            notes.warn(k.clone(), "top-level key not supported by Berth; dropped");
        }
    }
}
