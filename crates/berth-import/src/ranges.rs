//! Port ranges. Compose expands `1-65535/udp` into one port per number (both readers do), but
//! Berth declares ports one by one, by name. A range of more than [`MAX_RANGE`] ports is left
//! out before classification with one warning for the whole range (naming 65,535 ports and
//! warning for each took seconds and printed megabytes); shorter ranges are imported port by
//! port.

use crate::classify::expose_ports;
use crate::model::{NormalizedCompose, Port};
use crate::notes::Warning;
use std::collections::BTreeMap;

/// The longest port range imported (as that many named ports).
pub const MAX_RANGE: usize = 100;

/// Removes the ranges longer than [`MAX_RANGE`] from `ports` and `expose`, one warning each.
pub fn drop_long_ranges(c: &mut NormalizedCompose) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for (name, s) in c.services.iter_mut() {
        let mut dropped_ports = vec![false; s.ports.len()];
        for run in long_runs(&s.ports) {
            let (first, last) = (&s.ports[run[0]], &s.ports[run[run.len() - 1]]);
            let at = run.iter().min().copied().unwrap_or(0);
            warnings.push(dropped(
                format!("services.{name}.ports[{at}]"),
                first.target,
                last.target,
                first.protocol.as_deref(),
            ));
            run.iter().for_each(|&i| dropped_ports[i] = true);
        }
        let mut i = 0;
        s.ports.retain(|_| {
            i += 1;
            !dropped_ports[i - 1]
        });
        let mut i = 0;
        s.expose.retain(|e| {
            i += 1;
            let ports = expose_ports(e);
            let (Some(a), Some(b)) = (ports.first(), ports.last()) else {
                return true;
            };
            if ports.len() <= MAX_RANGE {
                return true;
            }
            let proto = e.split_once('/').map(|(_, p)| p);
            warnings.push(dropped(
                format!("services.{name}.expose[{}]", i - 1),
                *a,
                *b,
                proto,
            ));
            false
        });
    }
    warnings
}

/// The warning for a range left out.
fn dropped(path: String, first: u16, last: u16, proto: Option<&str>) -> Warning {
    let proto = proto.unwrap_or("tcp");
    let count = usize::from(last - first) + 1;
    Warning {
        path,
        message: format!(
            "port range {first}-{last}/{proto} ({count} ports) not imported: Berth declares each \
             port by name (ranges of at most {MAX_RANGE}); declare the ports the service listens on"
        ),
    }
}

/// The runs of more than [`MAX_RANGE`] consecutive container ports with the same protocol and
/// host IP (what compose made of one range), as entry indices in port order. `docker compose
/// config` lists the ports sorted as text (1, 10, 100, …), so runs are found on the sorted
/// numbers, not in list order.
fn long_runs(ports: &[Port]) -> Vec<Vec<usize>> {
    let mut groups: BTreeMap<(Option<&str>, Option<&str>), Vec<usize>> = BTreeMap::new();
    for (i, p) in ports.iter().enumerate() {
        let key = (p.protocol.as_deref(), p.host_ip.as_deref());
        groups.entry(key).or_default().push(i);
    }
    let mut out = Vec::new();
    for mut group in groups.into_values() {
        group.sort_by_key(|&i| (ports[i].target, i));
        let mut run: Vec<usize> = Vec::new();
        for i in group {
            let continues = run.last().is_some_and(|&l| {
                let (a, b) = (ports[l].target, ports[i].target);
                b == a || a.checked_add(1) == Some(b)
            });
            if !continues {
                keep_if_long(&mut out, std::mem::take(&mut run), ports);
            }
            run.push(i);
        }
        keep_if_long(&mut out, run, ports);
    }
    out.sort();
    out
}

fn keep_if_long(out: &mut Vec<Vec<usize>>, run: Vec<usize>, ports: &[Port]) {
    let span = |r: &[usize]| usize::from(ports[r[r.len() - 1]].target - ports[r[0]].target) + 1;
    if !run.is_empty() && span(&run) > MAX_RANGE {
        out.push(run);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(target: u16, proto: &str) -> Port {
        Port {
            target,
            protocol: Some(proto.into()),
            ..Port::default()
        }
    }

    #[test]
    fn a_long_range_is_one_warning_and_short_ones_stay() {
        let mut c = NormalizedCompose::default();
        // Sorted as text, as `docker compose config` lists them.
        let mut ports: Vec<Port> = (1..=65535).map(|t| port(t, "udp")).collect();
        ports.sort_by_key(|p| p.target.to_string());
        ports.extend([port(80, "tcp"), port(81, "tcp"), port(53, "tcp")]);
        let s = crate::model::Service {
            ports,
            expose: vec!["9000-9002".into(), "1000-5000/udp".into()],
            ..Default::default()
        };
        c.services.insert("dns".into(), s);
        let w = drop_long_ranges(&mut c);
        assert_eq!(w.len(), 2, "{w:?}");
        assert_eq!(w[0].path, "services.dns.ports[0]");
        assert!(
            w[0].message.contains("1-65535/udp (65535 ports)"),
            "{}",
            w[0].message
        );
        assert_eq!(w[1].path, "services.dns.expose[1]");
        let s = &c.services["dns"];
        let kept: Vec<u16> = s.ports.iter().map(|p| p.target).collect();
        assert_eq!(kept, [80, 81, 53]);
        assert_eq!(s.expose, ["9000-9002"]);
    }
}
