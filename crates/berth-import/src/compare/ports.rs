//! Ports: every container port with its protocol, the same host ports, and nothing published
//! that the original did not publish.

use super::rendered::{list, text};
use crate::classify::expose_ports;
use crate::model::Service;
use serde_json::Value;
use std::collections::BTreeSet;

/// A container port and its protocol.
type Target = (u16, String);
/// A published port: host port, container port, protocol.
type Published = (u16, u16, String);

pub(super) fn compare(s: &Service, r: &Value, out: &mut impl FnMut(String)) {
    let (o_targets, o_published) = original(s);
    let (r_targets, r_published) = rendered(r);
    for (t, proto) in o_targets.difference(&r_targets) {
        out(format!("container port {t}/{proto} missing"));
    }
    for (h, t, proto) in o_published.difference(&r_published) {
        out(format!("host port {h} → {t}/{proto} not published"));
    }
    for (h, t, proto) in r_published.difference(&o_published) {
        out(format!(
            "host port {h} → {t}/{proto} published, the original did not publish it"
        ));
    }
}

fn original(s: &Service) -> (BTreeSet<Target>, BTreeSet<Published>) {
    let mut targets = BTreeSet::new();
    let mut published = BTreeSet::new();
    for p in &s.ports {
        let proto = p.protocol.clone().unwrap_or_else(|| "tcp".into());
        targets.insert((p.target, proto.clone()));
        if let Some(h) = p.published.as_deref().and_then(|h| h.parse().ok()) {
            published.insert((h, p.target, proto));
        }
    }
    targets.extend(s.expose.iter().flat_map(|e| exposed(e)));
    (targets, published)
}

fn rendered(r: &Value) -> (BTreeSet<Target>, BTreeSet<Published>) {
    let mut targets = BTreeSet::new();
    let mut published = BTreeSet::new();
    for p in list(r, "ports") {
        let t = p.get("target").and_then(Value::as_u64).unwrap_or(0) as u16;
        let proto = text(p, "protocol").unwrap_or("tcp").to_string();
        targets.insert((t, proto.clone()));
        let h = match p.get("published") {
            Some(Value::String(h)) => h.parse().ok(),
            Some(Value::Number(h)) => h.as_u64().map(|h| h as u16),
            _ => None,
        };
        if let Some(h) = h {
            published.insert((h, t, proto));
        }
    }
    for e in list(r, "expose") {
        let e = e
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| e.to_string());
        targets.extend(exposed(&e));
    }
    (targets, published)
}

/// The ports of an `expose` entry with their protocol (`5000/udp`, `9000-9001`).
fn exposed(e: &str) -> Vec<Target> {
    let proto = e.split_once('/').map_or("tcp", |(_, p)| p).to_string();
    expose_ports(e)
        .into_iter()
        .map(|t| (t, proto.clone()))
        .collect()
}
