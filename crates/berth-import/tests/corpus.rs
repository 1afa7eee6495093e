//! Every project in tests/import-corpus imports with both readers to the same model and the same
//! berth.yaml, which is snapshotted; crates/berth-cli/tests/import_roundtrip.rs checks each one
//! semantically against the original compose.

use berth_import::corpus::{corpus_dir, options, projects};
use berth_import::{import, ImportOutcome, Reader};
use serde_json::Value;
use std::path::Path;

fn run(dir: &Path, reader: Reader) -> ImportOutcome {
    import(&options(dir, reader).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

#[test]
fn corpus_is_large_enough() {
    assert!(
        projects().len() >= 60,
        "corpus has {} projects",
        projects().len()
    );
}

#[test]
fn both_readers_agree() {
    berth_testkit::require!(berth_testkit::DOCKER_COMPOSE);
    let mut failures = Vec::new();
    for dir in projects() {
        let a = run(&dir, Reader::Docker);
        let b = run(&dir, Reader::Builtin);
        if a.compose != b.compose {
            failures.push(format!(
                "{}: models differ\n docker:  {}\n builtin: {}",
                dir.display(),
                serde_json::to_string(&a.compose).unwrap(),
                serde_json::to_string(&b.compose).unwrap()
            ));
        } else if a.yaml != b.yaml {
            failures.push(format!("{}: berth.yaml differs", dir.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn snapshots() {
    for dir in projects() {
        let out = run(&dir, Reader::Builtin);
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(name.clone(), out.yaml);
        for w in &out.warnings {
            assert!(!w.path.is_empty(), "{name}: warning without path");
        }
    }
}

/// Removes `${...}` references so that only literal text remains.
fn literal_text(v: &str) -> String {
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        match rest[i..].find('}') {
            Some(j) => rest = &rest[i + j + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn no_literal_credentials_in_output() {
    for dir in projects() {
        let out = run(&dir, Reader::Builtin);
        let berth: Value = serde_saphyr::from_str(&out.yaml).unwrap();
        let mut literals = Vec::new();
        for s in berth["services"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            for v in s["env"].as_object().into_iter().flat_map(|m| m.values()) {
                literals.push(literal_text(v.as_str().unwrap_or_default()));
            }
        }
        let all_env: Vec<(&String, &Option<String>)> = out
            .compose
            .services
            .values()
            .flat_map(|s| s.environment.iter())
            .collect();
        // A password that equals a user or database name cannot be told apart from them.
        let public: Vec<&str> = all_env
            .iter()
            .filter(|(k, _)| !berth_import::classify::is_credential(k))
            .filter_map(|(_, v)| v.as_deref())
            .collect();
        for (k, v) in all_env.iter().copied() {
            let Some(v) = v else { continue };
            if public.contains(&v.as_str()) {
                continue;
            }
            if berth_import::classify::is_credential(k)
                && v.len() >= 6
                && !v.starts_with("/run/secrets/")
                && !matches!(v.as_str(), "true" | "false")
            {
                assert!(
                    !literals.iter().any(|l| l.contains(v.as_str())),
                    "{}: credential value of {k} leaked into berth.yaml",
                    dir.display()
                );
            }
        }
    }
}

/// Every compose key Berth does not model shows up in the header with its path.
#[test]
fn nothing_dropped_silently() {
    for dir in projects() {
        let out = run(&dir, Reader::Builtin);
        let all: Vec<&berth_import::Warning> =
            out.warnings.iter().chain(out.inferred.iter()).collect();
        let mentioned = |path: &str| all.iter().any(|w| w.path.starts_with(path));
        for (name, s) in &out.compose.services {
            if out
                .warnings
                .iter()
                .any(|w| w.path == format!("services.{name}"))
            {
                continue; // the whole service is dropped, with its reason
            }
            for key in s.extra.keys() {
                let p = format!("services.{name}.{key}");
                assert!(mentioned(&p), "{}: {p} dropped silently", dir.display());
            }
            // A mount the spec keeps (a named volume, a project file) needs no note.
            let kept = |target: &str| {
                let volumes = (out.spec.services.values().map(|w| (&w.volumes, &w.files)))
                    .chain(out.spec.stores.values().map(|st| (&st.volumes, &st.files)));
                volumes.into_iter().any(|(volumes, files)| {
                    volumes.values().any(|v| v.path.value == target)
                        || files.keys().any(|f| f.value == target)
                })
            };
            for (i, m) in s.volumes.iter().enumerate() {
                let p = format!("services.{name}.volumes[{i}]");
                assert!(
                    mentioned(&p) || kept(&m.target),
                    "{}: {p} ({}) not reported",
                    dir.display(),
                    m.target
                );
            }
            if !s.networks.is_empty() {
                let p = format!("services.{name}.networks");
                assert!(mentioned(&p), "{}: {p} dropped silently", dir.display());
            }
        }
        for key in out.compose.extra.keys() {
            assert!(mentioned(key), "{}: {key} dropped silently", dir.display());
        }
        for (kind, map) in [
            ("networks", &out.compose.networks),
            ("configs", &out.compose.configs),
        ] {
            for k in map.keys() {
                let p = format!("{kind}.{k}");
                assert!(mentioned(&p), "{}: {p} dropped silently", dir.display());
            }
        }
        // Every note is in the header, with its path.
        for w in &all {
            assert!(
                out.yaml.contains(&format!("#   - {}: ", w.path)),
                "{}: note for {} missing from the header",
                dir.display(),
                w.path
            );
        }
    }
}

#[test]
fn specific_unsupported_keys_are_named() {
    let cases = [
        ("09-volumes", "services.media.volumes[4]"),
        ("09-volumes", "volumes.thumbnails.driver_opts"),
        ("13-yaml-anchors", "services.clickhouse.ulimits"),
        (
            "20-deploy-resources",
            "services.scheduler.deploy.restart_policy",
        ),
        (
            "20-deploy-resources",
            "services.renderer.deploy.resources.limits.pids",
        ),
        ("08-build-targets-args", "services.api.build.cache_from"),
        ("15-bind-mounts-dev", "services.api.working_dir"),
        ("26-ports-and-protocols", "services.signaling.ports[1]"),
        ("02-srvthreds", "services.mongo-setup"),
        ("10-networks", "networks.backend"),
    ];
    for (project, path) in cases {
        let out = run(&corpus_dir().join(project), Reader::Builtin);
        assert!(
            out.warnings.iter().any(|w| w.path == path),
            "{project}: no warning for {path}: {:#?}",
            out.warnings
        );
    }
}

#[test]
fn output_is_deterministic() {
    for dir in projects() {
        assert_eq!(
            run(&dir, Reader::Builtin).yaml,
            run(&dir, Reader::Builtin).yaml
        );
    }
}

#[test]
fn kubernetes_flag_adds_local_cluster_environment() {
    let out = run(&corpus_dir().join("27-k3d-single"), Reader::Builtin);
    assert!(out
        .yaml
        .contains("  k3d: { platform: kubernetes, cluster: k3d }"));
    assert!(out.yaml.contains("  local: { platform: compose }"));
}

/// The written berth.yaml is the imported spec: it validates without errors and decodes back to
/// the same spec the importer built.
#[test]
fn yaml_reads_back_as_the_imported_spec() {
    for dir in projects() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let out = run(&dir, Reader::Builtin);
        let source = berth_spec::Source::new("berth.yaml", out.yaml.as_str());
        let loaded = berth_spec::validate(&source);
        let errors: Vec<String> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.render(&source))
            .collect();
        assert!(errors.is_empty(), "{name}: {}", errors.join("\n"));
        let read = serde_json::to_value(loaded.spec.unwrap()).unwrap();
        assert_eq!(
            read,
            serde_json::to_value(&out.spec).unwrap(),
            "{}",
            dir.display()
        );
    }
}
