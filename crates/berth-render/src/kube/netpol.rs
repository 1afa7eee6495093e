//! NetworkPolicies: deny everything in the namespace, then per workload and store allow ingress
//! from its dependents (and the ingress controller when exposed) and egress to its dependencies
//! and to DNS. Egress to a managed store goes to the database subnets of the VPC (the subnet
//! plan shared with Terraform); to a store on the developer's host or at an external URL, to
//! its port on any address (its address is not known inside the cluster).

use super::objects::{ingress_controller, labels, map, meta, mongo_rs, object, Obj};
use super::stores::ports as store_ports;
use super::workloads::waits;
use berth_spec::model::{DepKind, Realized, StoreModel, SubnetTier};
use berth_spec::Model;
use berth_spec::StoreType;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub fn objects(model: &Model) -> Vec<Obj> {
    let mut objs = vec![Obj::new(
        &model.stack,
        json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": meta("default-deny", &json!({ "app.kubernetes.io/part-of": model.stack, "app.kubernetes.io/managed-by": "berth" }), Map::new()),
            "spec": { "podSelector": {}, "policyTypes": ["Ingress", "Egress"] },
        }),
    )];
    for store in model
        .stores
        .iter()
        .filter(|s| s.realization == Realized::InCluster)
    {
        objs.push(Obj::new(&store.name, store_policy(model, store)));
        if mongo_rs(store) {
            let init = format!("{}-init", store.name);
            let egress = vec![dns(), to_pods(&store.name, &tcp(&[store.port]))];
            objs.push(Obj::new(
                &store.name,
                policy(model, &init, "store-init", Vec::new(), egress),
            ));
        }
    }
    // Indexes, so large stacks stay linear.
    let by_name: BTreeMap<&str, &berth_spec::model::Workload> = model
        .workloads
        .iter()
        .map(|w| (w.name.as_str(), w))
        .collect();
    let mut dependents_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for o in &model.workloads {
        for d in o.uses.iter().filter(|d| d.kind == DepKind::Service) {
            let list = dependents_of.entry(d.name.as_str()).or_default();
            if !list.contains(&o.name.as_str()) {
                list.push(&o.name);
            }
        }
    }
    for w in &model.workloads {
        let mut ingress = Vec::new();
        let dependents: Vec<&str> = dependents_of
            .get(w.name.as_str())
            .cloned()
            .unwrap_or_default();
        let ports: Vec<u16> = w.ports.iter().map(|p| p.port).collect();
        if !dependents.is_empty() && !ports.is_empty() {
            ingress.push(json!({ "from": [pods_in(&dependents)], "ports": tcp(&ports) }));
        }
        if let Some(e) = &w.expose {
            let (_, ns, pod_labels) = ingress_controller(model);
            ingress.push(json!({
                "from": [{
                    "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": ns } },
                    "podSelector": { "matchLabels": pod_labels },
                }],
                "ports": tcp(&[e.port]),
            }));
        }
        let mut egress = vec![dns()];
        for d in &w.uses {
            match d.kind {
                DepKind::Service => {
                    if let Some(o) = by_name.get(d.name.as_str()) {
                        let p: Vec<u16> = o.ports.iter().map(|p| p.port).collect();
                        if !p.is_empty() {
                            egress.push(to_pods(&o.name, &tcp(&p)));
                        }
                    }
                }
                DepKind::Store => {
                    if let Some(s) = model.store(&d.name) {
                        egress.push(store_egress(model, s));
                    }
                }
            }
        }
        if !waits(model, w).is_empty() {
            // The wait-for-job init containers ask the API server (its endpoint addresses
            // are the control plane's, unknown here).
            egress.push(json!({ "ports": tcp(&[443, 6443]) }));
        }
        let component = if w.is_job() { "job" } else { "service" };
        objs.push(Obj::new(
            &w.name,
            policy(model, &w.name, component, ingress, egress),
        ));
    }
    objs
}

fn policy(
    model: &Model,
    name: &str,
    component: &str,
    ingress: Vec<Value>,
    egress: Vec<Value>,
) -> Value {
    object(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        meta(name, &labels(model, name, component), Map::new()),
        [(
            "spec",
            map([
                (
                    "podSelector",
                    json!({ "matchLabels": { "app.kubernetes.io/name": name } }),
                ),
                ("policyTypes", json!(["Ingress", "Egress"])),
                ("ingress", Value::Array(ingress)),
                ("egress", Value::Array(egress)),
            ]),
        )],
    )
}

fn store_policy(model: &Model, store: &StoreModel) -> Value {
    let mut clients: Vec<&str> = model
        .workloads
        .iter()
        .filter(|w| w.uses.iter().any(|d| d.name == store.name))
        .map(|w| w.name.as_str())
        .collect();
    let init = format!("{}-init", store.name);
    if mongo_rs(store) {
        clients.push(&init);
    }
    let ports: Vec<u16> = store_ports(store).iter().map(|(_, p)| *p).collect();
    let mut ingress = Vec::new();
    if !clients.is_empty() {
        ingress.push(json!({ "from": [pods_in(&clients)], "ports": tcp(&ports) }));
    }
    let mut egress = vec![dns()];
    if mongo_rs(store) {
        ingress.push(json!({ "from": [pods_in(&[&store.name])], "ports": tcp(&[store.port]) }));
        egress.push(to_pods(&store.name, &tcp(&[store.port])));
    }
    policy(model, &store.name, "store", ingress, egress)
}

/// Egress from a client to a store, by realization.
fn store_egress(model: &Model, s: &StoreModel) -> Value {
    match &s.realization {
        Realized::InCluster => to_pods(&s.name, &tcp(&[s.port])),
        Realized::Managed => {
            // Amazon MQ for RabbitMQ speaks AMQPS on 5671.
            let ports: Vec<u16> = if s.kind == StoreType::Rabbitmq {
                vec![5671, s.port]
            } else {
                vec![s.port]
            };
            let blocks: Vec<Value> = model
                .infra
                .as_ref()
                .map(|i| i.subnets(SubnetTier::Database))
                .unwrap_or_default()
                .into_iter()
                .map(|cidr| json!({ "ipBlock": { "cidr": cidr } }))
                .collect();
            if blocks.is_empty() {
                json!({ "ports": tcp(&ports) })
            } else {
                json!({ "to": blocks, "ports": tcp(&ports) })
            }
        }
        Realized::Host { .. } | Realized::External { .. } | Realized::Container => {
            let port = s
                .wiring
                .port
                .as_plain()
                .and_then(|p| p.parse::<u16>().ok())
                .unwrap_or(s.port);
            json!({ "ports": tcp(&[port]) })
        }
    }
}

fn tcp(ports: &[u16]) -> Value {
    let mut v: Vec<u16> = ports.to_vec();
    v.dedup();
    Value::Array(
        v.iter()
            .map(|p| json!({ "protocol": "TCP", "port": p }))
            .collect(),
    )
}

fn pods_in(names: &[&str]) -> Value {
    if let [one] = names {
        return json!({ "podSelector": { "matchLabels": { "app.kubernetes.io/name": one } } });
    }
    json!({ "podSelector": { "matchExpressions": [{
        "key": "app.kubernetes.io/name", "operator": "In", "values": names,
    }] } })
}

fn to_pods(name: &str, ports: &Value) -> Value {
    json!({
        "to": [{ "podSelector": { "matchLabels": { "app.kubernetes.io/name": name } } }],
        "ports": ports,
    })
}

/// Cluster DNS (CoreDNS / kube-dns in kube-system).
fn dns() -> Value {
    json!({
        "to": [{
            "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "kube-system" } },
            "podSelector": { "matchLabels": { "k8s-app": "kube-dns" } },
        }],
        "ports": [{ "protocol": "UDP", "port": 53 }, { "protocol": "TCP", "port": 53 }],
    })
}
