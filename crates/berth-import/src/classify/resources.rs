//! Compose `deploy.resources` → Berth resources: reservations are the requests, limits the limits
//! (requests equal the limits when compose reserves nothing), as Kubernetes quantities.

use crate::model::{Deploy, ResourceSet};
use crate::notes::Notes;
use berth_spec::{Limits, Resources, Spanned};

/// Cores → Kubernetes CPU quantity.
#[allow(clippy::manual_is_multiple_of)] // keeps the declared MSRV
pub fn cpu_quantity(cores: f64) -> String {
    let milli = (cores * 1000.0).round() as u64;
    if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
}

/// Bytes → Kubernetes memory quantity (Gi when exact, else Mi rounded up).
#[allow(clippy::manual_is_multiple_of)] // keeps the declared MSRV
pub fn mem_quantity(bytes: u64) -> String {
    const MI: u64 = 1 << 20;
    const GI: u64 = 1 << 30;
    if bytes >= GI && bytes % GI == 0 {
        format!("{}Gi", bytes / GI)
    } else {
        format!("{}Mi", bytes.div_ceil(MI))
    }
}

/// The resources of a workload at compose path `p`; other `deploy` options are noted as dropped.
pub fn import_resources(p: &str, d: &Deploy, notes: &mut Notes) -> Option<Resources> {
    for k in d.extra.keys() {
        notes.warn(
            format!("{p}.deploy.{k}"),
            "deploy option not supported by Berth; dropped",
        );
    }
    let r = d.resources.as_ref()?;
    let path = |kind: &str| format!("{p}.deploy.resources.{kind}");
    let limits = r
        .limits
        .as_ref()
        .map(|l| quantities(l, &path("limits"), notes));
    let requests = r
        .reservations
        .as_ref()
        .map(|l| quantities(l, &path("reservations"), notes));
    let requests = match (requests, &limits) {
        (Some(rq), _) => rq,
        (None, Some(l)) => {
            notes.infer(
                path("limits"),
                "no reservations: requests set equal to the limits",
            );
            l.clone()
        }
        (None, None) => return None,
    };
    Some(Resources {
        cpu: requests.cpu,
        memory: requests.memory,
        limits,
        ..Resources::default()
    })
}

/// CPU and memory of one resource set; other kinds are noted as dropped.
fn quantities(set: &ResourceSet, path: &str, notes: &mut Notes) -> Limits {
    for k in set.extra.keys() {
        notes.warn(
            format!("{path}.{k}"),
            "resource kind not supported; dropped",
        );
    }
    Limits {
        cpu: set
            .cpus
            .and_then(|c| berth_spec::Cpu::parse(&cpu_quantity(c)).ok())
            .map(Spanned::synthetic),
        memory: set
            .memory
            .and_then(|m| berth_spec::Memory::parse(&mem_quantity(m)).ok())
            .map(Spanned::synthetic),
        ..Limits::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_kubernetes_style() {
        assert_eq!(cpu_quantity(0.25), "250m");
        assert_eq!(cpu_quantity(2.0), "2");
        assert_eq!(mem_quantity(512 << 20), "512Mi");
        assert_eq!(mem_quantity(2 << 30), "2Gi");
        assert_eq!(mem_quantity(1000), "1Mi");
    }
}
