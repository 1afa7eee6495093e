use super::*;
use serde_json::json;
use std::path::PathBuf;

fn original(dir: &Path) -> NormalizedCompose {
    let v = json!({
        "name": "shop",
        "services": {
            "api": {
                "image": "acme/api:1.2.3",
                "entrypoint": ["/bin/sh", "-c"],
                "command": ["exec api"],
                "environment": {"discovery.type": "single-node"},
                "ports": [
                    {"target": 3000, "published": "8080", "protocol": "tcp"},
                    {"target": 53, "protocol": "udp"}
                ],
                "volumes": [
                    {"type": "volume", "source": "shared_data", "target": "/data/"},
                    {"type": "bind", "source": format!("{}/nginx.conf", dir.display()), "target": "/etc/nginx.conf"}
                ],
                "secrets": [{"source": "db_password"}],
                "depends_on": {"db": {"condition": "service_healthy", "required": true}}
            },
            "web": {
                "build": {"context": format!("{}/web", dir.display())},
                "depends_on": {"api": {"condition": "service_started", "required": true}}
            },
            "db": {"image": "postgres:16-alpine"}
        },
        "volumes": {"shared_data": {"name": "shop_shared_data"}},
        "secrets": {"db_password": {"file": format!("{}/pw.txt", dir.display())}}
    });
    NormalizedCompose::from_canonical(v, dir).unwrap()
}

/// A project directory with the bound file, and a rendered copy of it.
fn dirs() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("nginx.conf"), "server {}\n").unwrap();
    std::fs::create_dir(d.path().join("out")).unwrap();
    let copy = d.path().join("out/nginx.conf");
    std::fs::write(&copy, "server {}\n").unwrap();
    (d, copy)
}

fn faithful(copy: &Path) -> Value {
    json!({"name": "shop", "services": {
        "api": {
            "image": "acme/api:1.2.3",
            "entrypoint": ["/bin/sh", "-c"],
            "command": ["exec api"],
            "environment": {"discovery.type": "single-node", "BERTH_EXTRA": "x"},
            "ports": [
                {"target": 3000, "published": "8080", "protocol": "tcp"},
                {"target": 53, "protocol": "udp"}
            ],
            "volumes": [
                {"type": "volume", "source": "data", "target": "/data"},
                {"type": "bind", "source": copy, "target": "/etc/nginx.conf", "read_only": true}
            ],
            "secrets": [{"source": "db-password", "target": "/run/secrets/db_password"}],
            "depends_on": {"db": {"condition": "service_healthy"}}
        },
        "web": {"build": {"context": "./web"}, "image": "shop/web", "depends_on": {"api": {}}},
        "db": {"image": "postgres:16-alpine", "environment": {"POSTGRES_USER": "x"}}
    }, "volumes": {"data": {"name": "shop_shared_data"}}})
}

#[test]
fn equivalent_rendering_passes() {
    let (d, copy) = dirs();
    let diffs = compare(&original(d.path()), d.path(), &faithful(&copy));
    assert_eq!(diffs, Vec::<String>::new());
}

#[test]
fn every_property_is_compared() {
    let (d, copy) = dirs();
    let mut r = faithful(&copy);
    let api = &mut r["services"]["api"];
    api["image"] = json!("acme/api:latest");
    api["entrypoint"] = Value::Null;
    api["command"] = json!(["api"]);
    api["environment"] = json!({});
    api["ports"] = json!([{"target": 3000, "published": "8081"}, {"target": 53}]);
    api["secrets"] = json!([]);
    api["depends_on"] = json!({});
    r["volumes"]["data"]["name"] = json!("shop_shared-data");
    r["services"]["db"]["image"] = json!("postgres:16");
    r["services"]["db"]["ports"] = json!([{"target": 5432, "published": "5432"}]);
    r["services"].as_object_mut().unwrap().remove("web");
    std::fs::write(&copy, "server { listen 81; }\n").unwrap();
    let d = compare(&original(d.path()), d.path(), &r);
    let expect = [
        "service web: missing",
        "service api: image Some(\"acme/api:1.2.3\") became Some(\"acme/api:latest\")",
        "service api: entrypoint",
        "service api: command",
        "service api: environment variable discovery.type missing",
        "service api: container port 53/udp missing",
        "service api: host port 8080 → 3000/tcp not published",
        "service api: host port 8081 → 3000/tcp published, the original did not",
        "service api: volume shared_data at /data: real name shop_shared_data became",
        "service api: project file",
        "service api: secret db_password is not a file at /run/secrets/db_password",
        "service db: image Some(\"postgres:16-alpine\") became Some(\"postgres:16\")",
        "service db: host port 5432 → 5432/tcp published",
        "dependency api → db lost",
    ];
    for e in expect {
        assert!(d.iter().any(|x| x.starts_with(e)), "{e}: {d:#?}");
    }
}

#[test]
fn a_missing_bound_file_is_a_difference() {
    let (d, copy) = dirs();
    std::fs::remove_file(&copy).unwrap();
    let diffs = compare(&original(d.path()), d.path(), &faithful(&copy));
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(diffs[0].contains("other content"), "{diffs:?}");
}

#[test]
fn transitive_dependencies_count() {
    let (d, copy) = dirs();
    let mut r = faithful(&copy);
    r["services"]["api"]["depends_on"] = json!(["migrate"]);
    r["services"]["migrate"] = json!({"image": "acme/api:1.2.3", "depends_on": ["db"]});
    assert_eq!(
        compare(&original(d.path()), d.path(), &r),
        Vec::<String>::new()
    );
}
