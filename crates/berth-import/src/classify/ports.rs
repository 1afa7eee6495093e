//! Container ports of workloads: named by convention (`http`, `grpc`, `metrics`…), gathered from
//! `ports`, `expose` and the addresses other services reach, and the host ports compose publishes.

use super::url::parse_url;
use crate::model::{self, NormalizedCompose, Service};
use crate::notes::Notes;
use berth_spec::{Port, Protocol, Spanned};
use std::collections::BTreeMap;

/// Named container ports of one workload, primary first.
pub type Ports = berth_spec::Map<Spanned<berth_spec::Port>>;

/// Conventional name for a container port.
fn port_name(port: u16) -> Option<&'static str> {
    match port {
        80 | 3000 | 3001 | 4000 | 5000 | 8000 | 8080 | 8081 | 8888 | 9000 => Some("http"),
        443 | 8443 => Some("https"),
        50051 => Some("grpc"),
        9229 => Some("debug"),
        9090 | 9464 | 9100 => Some("metrics"),
        _ => None,
    }
}

/// The name a new port gets: its conventional name unless taken, else `p<port>`.
pub fn name_for(port: u16, ports: &Ports) -> String {
    match port_name(port) {
        Some(n) if !ports.contains_key(n) => n.to_string(),
        _ => format!("p{port}"),
    }
}

/// The name of TCP `port` when the workload already has it.
pub fn name_of(port: u16, ports: &Ports) -> Option<String> {
    name_of_port(Port::tcp(port), ports)
}

/// The name of `port` (number and protocol) when the workload already has it.
fn name_of_port(port: Port, ports: &Ports) -> Option<String> {
    ports
        .iter()
        .find(|(_, p)| p.value == port)
        .map(|(n, _)| n.value.clone())
}

/// Adds TCP `port` under its new name unless present; the name it has either way.
pub fn add(port: u16, ports: &mut Ports) -> String {
    add_port(Port::tcp(port), ports)
}

/// Adds `port` unless present: a TCP port under its conventional name, a UDP one as
/// `p<port>-udp`; the name it has either way.
fn add_port(port: Port, ports: &mut Ports) -> String {
    if let Some(n) = name_of_port(port, ports) {
        return n;
    }
    let n = match port.protocol {
        Protocol::Tcp => name_for(port.number, ports),
        Protocol::Udp => format!("p{}-udp", port.number),
    };
    ports.insert(Spanned::synthetic(n.clone()), Spanned::synthetic(port));
    n
}

/// A compose port's number and protocol.
fn port_of(target: u16, protocol: Option<&str>) -> Port {
    match protocol {
        Some("udp") => Port {
            number: target,
            protocol: Protocol::Udp,
        },
        _ => Port::tcp(target),
    }
}

/// Container ports of an `expose` entry (`3000`, `9000-9001`, `5000/udp`).
pub fn expose_ports(e: &str) -> Vec<u16> {
    let spec = e.split('/').next().unwrap_or(e);
    let (a, b) = spec.split_once('-').unwrap_or((spec, spec));
    match (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
        (Ok(a), Ok(b)) if a <= b => (a..=b).collect(),
        _ => Vec::new(),
    }
}

/// The ports a service declares through `ports` and `expose`.
fn declared(s: &Service) -> Ports {
    let mut out = Ports::new();
    let published = s
        .ports
        .iter()
        .map(|p| port_of(p.target, p.protocol.as_deref()));
    let exposed = s.expose.iter().flat_map(|e| {
        let proto = e.split_once('/').map(|(_, p)| p);
        expose_ports(e).into_iter().map(move |t| port_of(t, proto))
    });
    for port in published.chain(exposed) {
        add_port(port, &mut out);
    }
    out
}

/// Ports of every workload (compose name → ports): the declared ones, then ports that other
/// services' connection strings reach but compose never declared.
pub fn workload_ports(
    c: &NormalizedCompose,
    is_workload: impl Fn(&str) -> bool,
    aliases: &BTreeMap<String, String>,
    notes: &mut Notes,
) -> BTreeMap<String, Ports> {
    let mut all: BTreeMap<String, Ports> = c
        .services
        .iter()
        .filter(|(n, _)| is_workload(n))
        .map(|(n, s)| (n.clone(), declared(s)))
        .collect();
    for (n, s) in &c.services {
        for v in s.environment.values().flatten() {
            let Some((svc, port)) = reached(v, aliases) else {
                continue;
            };
            let Some(ports) = all.get_mut(svc) else {
                continue;
            };
            if svc == n || name_of(port, ports).is_some() {
                continue;
            }
            let name = add(port, ports);
            notes.infer(
                format!("services.{svc}.ports"),
                format!("port {port} → ports.{name}, reached by services.{n} at {v}"),
            );
        }
    }
    all
}

/// The compose service and port a value (`host:port` or a one-host URL) reaches.
fn reached<'a>(v: &str, aliases: &'a BTreeMap<String, String>) -> Option<(&'a String, u16)> {
    let target = match parse_url(v) {
        Some(u) => {
            let (h, p) = u.single_host()?;
            format!("{h}:{}", p.map(|p| p.to_string()).unwrap_or_default())
        }
        None => v.to_string(),
    };
    let (h, port) = target.split_once(':')?;
    Some((aliases.get(h)?, port.parse().ok()?))
}

/// Host ports compose publishes become `publish`; what Berth cannot publish is noted.
pub fn publish(p: &str, s: &Service, svc: &mut berth_spec::Service, notes: &mut Notes) {
    for (i, port) in s.ports.iter().enumerate() {
        let pp = format!("{p}.ports[{i}]");
        let Some(pname) = name_of_port(port_of(port.target, port.protocol.as_deref()), &svc.ports)
        else {
            continue;
        };
        if let Some(pb) = &port.published {
            match pb.parse::<u16>() {
                Ok(h) if svc.publish.contains_key(pname.as_str()) => notes.warn(
                    pp.clone(),
                    format!(
                        "second host port {h} for container port {} dropped",
                        port.target
                    ),
                ),
                Ok(h) => {
                    svc.publish
                        .insert(Spanned::synthetic(pname), Spanned::synthetic(h));
                }
                Err(_) => notes.warn(
                    pp.clone(),
                    format!("host port range {pb} dropped; only single host ports are published"),
                ),
            }
        }
        port_options(&pp, port, notes);
    }
}

/// Host IP, protocol, mode and other options of a published port are not carried over.
fn port_options(pp: &str, port: &model::Port, notes: &mut Notes) {
    // Berth publishes on 127.0.0.1: what a loopback host IP asks for.
    if let Some(ip) = port.host_ip.as_deref().filter(|ip| !is_loopback(ip)) {
        notes.warn(
            pp,
            format!(
                "host IP {ip} for port {} not kept: Berth publishes on 127.0.0.1 only",
                port.target
            ),
        );
    }
    if let Some(proto) = port
        .protocol
        .as_deref()
        .filter(|x| !matches!(*x, "tcp" | "udp"))
    {
        notes.warn(
            pp,
            format!(
                "protocol {proto} for port {} approximated as tcp",
                port.target
            ),
        );
    }
    if port.mode.as_deref().is_some_and(|m| m != "ingress") {
        notes.warn(pp, "port mode dropped");
    }
    for k in port.extra.keys() {
        notes.warn(format!("{pp}.{k}"), "port option dropped");
    }
}

fn is_loopback(ip: &str) -> bool {
    ip.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_convention_then_number() {
        let mut ports = Ports::new();
        assert_eq!(add(3000, &mut ports), "http");
        assert_eq!(add(8080, &mut ports), "p8080");
        assert_eq!(add(3000, &mut ports), "http");
        assert_eq!(add(9229, &mut ports), "debug");
        assert_eq!(name_of(8080, &ports).as_deref(), Some("p8080"));
        assert_eq!(expose_ports("9000-9002/tcp"), [9000, 9001, 9002]);
        assert!(expose_ports("x").is_empty());
    }
}
