//! NetworkPolicies: deny everything in the namespace, then per workload and store allow ingress
//! from its dependents (and the ingress controller when exposed) and egress to its dependencies
//! and to DNS. Egress to a managed store goes to the database subnets of the VPC (the subnet
//! plan shared with Terraform); to a store on the developer's host or at an external URL, to
//! its port on any address (its address is not known inside the cluster).

use super::object::{Kind, Meta, Obj};
use super::parts::{ingress_controller, labels, mongo_rs, waits};
use super::stores::ports as store_ports;
use crate::tree::node;
use crate::tree::Node;
use berth_spec::model::{DepKind, Realized, StoreModel, SubnetTier, Workload};
use berth_spec::Model;
use berth_spec::StoreType;
use std::collections::BTreeMap;

/// `default-deny`: no traffic in or out of any pod of the namespace unless a policy allows it.
pub fn default_deny(model: &Model) -> Obj<'_> {
    let deny = Meta::new(
        "default-deny",
        node!({ "app.kubernetes.io/part-of": &model.stack, "app.kubernetes.io/managed-by": "berth" }),
    );
    Obj::new(
        model.stack.as_str(),
        Kind::NetworkPolicy,
        deny,
        [(
            "spec",
            node!({ "podSelector": {}, "policyTypes": ["Ingress", "Egress"] }),
        )],
    )
}

/// The policies of a store in the cluster: its own, and its init Job's when it has one.
pub fn store<'a>(model: &'a Model, store: &'a StoreModel) -> Vec<Obj<'a>> {
    // A store another store's pod serves is covered by that pod's policy.
    if store.realization != Realized::InCluster || store.served_by.is_some() {
        return Vec::new();
    }
    let mut objs = vec![store_policy(model, store)];
    if mongo_rs(store) {
        let init = format!("{}-init", store.name);
        let egress = vec![dns(), to_pods(store.name.as_str(), tcp(&[store.port]))];
        objs.push(policy(
            model,
            &store.name,
            init,
            "store-init",
            Vec::new(),
            egress,
        ));
    }
    objs
}

/// The policy of a store's backup pods: out to the store and DNS only, nothing in.
pub fn backup<'a>(model: &'a Model, store: &'a StoreModel, name: String) -> Obj<'a> {
    let mut egress = vec![dns(), store_egress(model, store)];
    if let crate::backup::Target::Object { store: s3 } = crate::backup::target(model, store) {
        egress.push(store_egress(model, s3));
    }
    policy(model, &store.name, name, "backup", Vec::new(), egress)
}

/// Indexes of an environment's workloads, so large stacks stay linear.
pub struct Graph<'a> {
    by_name: BTreeMap<&'a str, &'a Workload>,
    dependents_of: BTreeMap<&'a str, Vec<&'a str>>,
}

impl<'a> Graph<'a> {
    pub fn new(model: &'a Model) -> Self {
        let by_name = model
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
        Graph {
            by_name,
            dependents_of,
        }
    }
}

/// The policy of a workload's pods.
pub fn workload<'a>(model: &'a Model, graph: &Graph<'a>, w: &'a Workload) -> Obj<'a> {
    let mut ingress = Vec::new();
    let dependents: &[&str] = graph
        .dependents_of
        .get(w.name.as_str())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let ports: Vec<u16> = w.ports.iter().map(|p| p.port).collect();
    if !dependents.is_empty() && !ports.is_empty() {
        ingress.push(node!({ "from": [pods_in(dependents)], "ports": tcp(&ports) }));
    }
    if let Some(e) = &w.expose {
        let (_, ns, pod_labels) = ingress_controller(model);
        ingress.push(node!({
            "from": [{
                "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": ns } },
                "podSelector": { "matchLabels": pod_labels },
            }],
            "ports": tcp(&[e.port]),
        }));
    }
    ingress.extend(super::observe::scrape_ingress(model, &w.name));
    let mut egress = vec![dns()];
    egress.extend(super::observe::otlp_egress(model));
    for d in &w.uses {
        match d.kind {
            DepKind::Service => {
                if let Some(o) = graph.by_name.get(d.name.as_str()) {
                    let p: Vec<u16> = o.ports.iter().map(|p| p.port).collect();
                    if !p.is_empty() {
                        egress.push(to_pods(o.name.as_str(), tcp(&p)));
                    }
                }
            }
            DepKind::Store => {
                // Stores one pod serves share a rule.
                let rule = model.store(&d.name).map(|s| store_egress(model, s));
                if let Some(rule) = rule.filter(|r| !egress.contains(r)) {
                    egress.push(rule);
                }
            }
        }
    }
    if !waits(model, w).is_empty() {
        // The wait-for-job init containers ask the API server (its endpoint addresses
        // are the control plane's, unknown here).
        egress.push(node!({ "ports": tcp(&[443, 6443]) }));
    }
    let component = if w.is_job() { "job" } else { "service" };
    policy(model, &w.name, w.name.as_str(), component, ingress, egress)
}

/// The NetworkPolicy of the pods named `name`, owned by `owner`.
fn policy<'a>(
    model: &'a Model,
    owner: &'a str,
    name: impl Into<crate::tree::Text<'a>>,
    component: &'static str,
    ingress: Vec<Node<'a>>,
    egress: Vec<Node<'a>>,
) -> Obj<'a> {
    let name = name.into();
    let spec = node!({
        "podSelector": { "matchLabels": { "app.kubernetes.io/name": name.clone() } },
        "policyTypes": ["Ingress", "Egress"],
        "ingress": ingress,
        "egress": egress,
    });
    let meta = Meta::new(name.clone(), labels(model, name, component));
    Obj::new(owner, Kind::NetworkPolicy, meta, [("spec", spec)])
}

/// The policy of a store's pod: in from the clients of every store the pod serves.
fn store_policy<'a>(model: &'a Model, store: &'a StoreModel) -> Obj<'a> {
    let served: Vec<&str> = model
        .served_by(store)
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let mut clients: Vec<&str> = model
        .workloads
        .iter()
        .filter(|w| w.uses.iter().any(|d| served.contains(&d.name.as_str())))
        .map(|w| w.name.as_str())
        .collect();
    let init = format!("{}-init", store.name);
    if mongo_rs(store) {
        clients.push(&init);
    }
    // Backup pods reach their store, and the object store their backups go to.
    let target =
        crate::backup::object_store(model).is_some_and(|s3| served.contains(&s3.name.as_str()));
    let backups: Vec<String> = model
        .stores
        .iter()
        .filter(|s| super::backups::scheduled(s).is_some() && (s.name == store.name || target))
        .map(super::backups::cronjob_name)
        .collect();
    clients.extend(backups.iter().map(String::as_str));
    let ports: Vec<u16> = store_ports(model, store).iter().map(|(_, p)| *p).collect();
    let mut ingress = Vec::new();
    if !clients.is_empty() {
        ingress.push(node!({ "from": [pods_in(&clients)], "ports": tcp(&ports) }));
    }
    ingress.extend(super::observe::scrape_ingress(model, &store.name));
    let mut egress = vec![dns()];
    if mongo_rs(store) {
        let me = store.name.as_str();
        ingress.push(node!({ "from": [pods_in(&[me])], "ports": tcp(&[store.port]) }));
        egress.push(to_pods(me, tcp(&[store.port])));
    }
    policy(
        model,
        &store.name,
        store.name.as_str(),
        "store",
        ingress,
        egress,
    )
}

/// Egress from a client to a store, by realization.
fn store_egress<'a>(model: &Model, s: &'a StoreModel) -> Node<'a> {
    match &s.realization {
        Realized::InCluster => to_pods(s.runner(), tcp(&[s.port])),
        Realized::Managed => {
            // Amazon MQ for RabbitMQ speaks AMQPS on 5671.
            let ports: Vec<u16> = if s.kind == StoreType::Rabbitmq {
                vec![5671, s.port]
            } else {
                vec![s.port]
            };
            // AWS APIs (S3, SQS, SNS) and SES are outside the VPC: any address, their port.
            if berth_spec::store::facts(s.kind).managed_outside_vpc() {
                return node!({ "ports": tcp(&ports) });
            }
            let blocks: Vec<Node> = model
                .infra
                .as_ref()
                .map(|i| i.subnets(SubnetTier::Database))
                .unwrap_or_default()
                .into_iter()
                .map(|cidr| node!({ "ipBlock": { "cidr": cidr } }))
                .collect();
            if blocks.is_empty() {
                node!({ "ports": tcp(&ports) })
            } else {
                node!({ "to": blocks, "ports": tcp(&ports) })
            }
        }
        Realized::Host { .. }
        | Realized::External { .. }
        | Realized::Container
        | Realized::Process => {
            let port = s
                .wiring
                .port
                .as_plain()
                .and_then(|p| p.parse::<u16>().ok())
                .unwrap_or(s.port);
            node!({ "ports": tcp(&[port]) })
        }
    }
}

fn tcp<'a>(ports: &[u16]) -> Node<'a> {
    let mut v: Vec<u16> = ports.to_vec();
    v.dedup();
    v.iter()
        .map(|p| node!({ "protocol": "TCP", "port": *p }))
        .collect()
}

fn pods_in<'a>(names: &[&str]) -> Node<'a> {
    if let [one] = names {
        return node!({ "podSelector": { "matchLabels": { "app.kubernetes.io/name": one.to_string() } } });
    }
    let values: Node = names.iter().map(|n| n.to_string()).collect();
    node!({ "podSelector": { "matchExpressions": [{
        "key": "app.kubernetes.io/name", "operator": "In", "values": values,
    }] } })
}

fn to_pods<'a>(name: &'a str, ports: Node<'a>) -> Node<'a> {
    node!({
        "to": [{ "podSelector": { "matchLabels": { "app.kubernetes.io/name": name } } }],
        "ports": ports,
    })
}

/// Cluster DNS (CoreDNS / kube-dns in kube-system).
fn dns<'a>() -> Node<'a> {
    static V: std::sync::LazyLock<Node<'static>> = std::sync::LazyLock::new(|| {
        node!({
            "to": [{
                "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "kube-system" } },
                "podSelector": { "matchLabels": { "k8s-app": "kube-dns" } },
            }],
            "ports": [{ "protocol": "UDP", "port": 53 }, { "protocol": "TCP", "port": 53 }],
        })
    });
    Node::Ref(&V)
}
