//! Port ranges. Compose expands `1-65535/udp` into one port per number (both readers do), but
//! Berth declares ports one by one, by name. A range of more than [`MAX_RANGE`] ports is left
//! out before classification with one warning for the whole range (naming 65,535 ports and
//! warning for each took seconds and printed megabytes); shorter ranges are imported port by
//! port.

use crate::classify::expose_ports;
use crate::model::{NormalizedCompose, Port};
use crate::notes::Warning;

/// The longest port range imported (as that many named ports).
pub const MAX_RANGE: usize = 100;

/// Removes the ranges longer than [`MAX_RANGE`] from `ports` and `expose`, one warning each.
pub fn drop_long_ranges(c: &mut NormalizedCompose) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for (name, s) in c.services.iter_mut() {
        let mut kept = Vec::with_capacity(s.ports.len());
        for run in runs(&s.ports) {
            let (first, last) = (&s.ports[run.start], &s.ports[run.end - 1]);
            if run.len() > MAX_RANGE {
                warnings.push(dropped(
                    format!("services.{name}.ports[{}]", run.start),
                    first.target,
                    last.target,
                    first.protocol.as_deref(),
                ));
            } else {
                kept.extend_from_slice(&s.ports[run]);
            }
        }
        s.ports = kept;
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

/// The runs of `ports`: entries one after another with consecutive container ports and the
/// same protocol and host IP (what compose made of one range), in order.
fn runs(ports: &[Port]) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        match out.last_mut() {
            Some(run) if continues(&ports[i - 1], p) => run.end = i + 1,
            _ => out.push(i..i + 1),
        }
    }
    out
}

fn continues(prev: &Port, p: &Port) -> bool {
    prev.target.checked_add(1) == Some(p.target)
        && prev.protocol == p.protocol
        && prev.host_ip == p.host_ip
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
        let mut ports: Vec<Port> = (1..=65535).map(|t| port(t, "udp")).collect();
        ports.extend([port(80, "tcp"), port(81, "tcp"), port(53, "udp")]);
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
