//! kind specifics: the cluster configuration Berth writes, the node container's name, and the
//! host alias kind lacks (a `hosts` block in CoreDNS's Corefile mapping it to the gateway of
//! the `kind` Docker network, which is the developer's machine on a Linux Docker engine).

use super::topology::INGRESS_PORTS;
use std::net::Ipv4Addr;

/// The marker of the `hosts` block Berth adds to the Corefile (found again to replace it).
const MARKER: &str = "# berth: host alias";

/// kind's cluster configuration: one control-plane node that the ingress-nginx kind manifest
/// schedules on (`ingress-ready=true`), its ports 80/443 on host 8080/8443 (127.0.0.1).
pub fn config(name: &str) -> String {
    let mut mappings = String::new();
    for (host, container) in INGRESS_PORTS {
        mappings.push_str(&format!(
            "      - containerPort: {container}\n        hostPort: {host}\n        listenAddress: \"127.0.0.1\"\n        protocol: TCP\n"
        ));
    }
    format!(
        "# Written by `berth cluster create`: kind reads it; edit berth.yaml, not this file.\n\
         kind: Cluster\n\
         apiVersion: kind.x-k8s.io/v1alpha4\n\
         name: {name}\n\
         nodes:\n  \
           - role: control-plane\n    \
             kubeadmConfigPatches:\n      \
               - |\n        \
                 kind: InitConfiguration\n        \
                 nodeRegistration:\n          \
                   kubeletExtraArgs:\n            \
                     node-labels: \"ingress-ready=true\"\n    \
             extraPortMappings:\n{mappings}"
    )
}

/// The Docker container of the cluster's control-plane node.
pub fn node(cluster: &str) -> String {
    format!("{cluster}-control-plane")
}

/// The IPv4 gateway in `docker network inspect NET --format '{{json .IPAM.Config}}'`.
pub fn gateway(ipam_json: &str) -> Result<Ipv4Addr, String> {
    let configs: Vec<serde_json::Value> =
        serde_json::from_str(ipam_json.trim()).map_err(|e| format!("not a JSON list: {e}"))?;
    configs
        .iter()
        .filter_map(|c| c.get("Gateway")?.as_str()?.parse::<Ipv4Addr>().ok())
        .next()
        .ok_or_else(|| "the network has no IPv4 gateway".to_string())
}

/// The Corefile with one `hosts` block (inside the `.:53` server block) mapping `alias` to
/// `ip`; a block Berth added before is replaced, so running it twice changes nothing.
pub fn corefile_with_alias(corefile: &str, alias: &str, ip: Ipv4Addr) -> Result<String, String> {
    let kept = without_alias(corefile);
    let mut out = String::new();
    let mut inserted = false;
    for line in kept.lines() {
        out.push_str(line);
        out.push('\n');
        if !inserted && line.trim_start().starts_with(".:53") && line.trim_end().ends_with('{') {
            out.push_str(&format!(
                "    hosts {{ {MARKER}\n       {ip} {alias}\n       fallthrough\n    }}\n"
            ));
            inserted = true;
        }
    }
    if inserted {
        Ok(out)
    } else {
        Err("the Corefile has no `.:53 {` server block".into())
    }
}

/// The Corefile without the block Berth added.
fn without_alias(corefile: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in corefile.lines() {
        if line.contains(MARKER) {
            skipping = true;
            continue;
        }
        if skipping {
            skipping = line.trim() != "}";
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The ConfigMap `coredns` (as `kubectl get -o json` prints it) with `corefile` as its
/// Corefile, without the fields the server sets.
pub fn configmap_with(configmap_json: &str, corefile: &str) -> Result<String, String> {
    let mut cm: serde_json::Value =
        serde_json::from_str(configmap_json).map_err(|e| format!("not JSON: {e}"))?;
    let data = cm
        .get_mut("data")
        .and_then(|d| d.as_object_mut())
        .filter(|d| d.contains_key("Corefile"))
        .ok_or("the ConfigMap has no data.Corefile")?;
    data.insert("Corefile".into(), corefile.into());
    if let Some(meta) = cm.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        for k in [
            "managedFields",
            "resourceVersion",
            "uid",
            "creationTimestamp",
        ] {
            meta.remove(k);
        }
    }
    serde_json::to_string_pretty(&cm).map_err(|e| e.to_string())
}
