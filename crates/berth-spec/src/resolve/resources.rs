//! Compute resources of a workload or store: requests as written or the defaults, limits as
//! written or equal to the requests.

use crate::model::ResourcesModel;
use crate::quantity::{Cpu, Memory};
use crate::spec::Resources;

/// Requests default to `cpu_millis` millicores and `memory_mib` MiB; limits to the requests.
pub(super) fn resources_model(
    r: Option<&Resources>,
    cpu_millis: u64,
    memory_mib: u64,
) -> ResourcesModel {
    let cpu_request = r
        .and_then(|r| r.cpu.as_ref())
        .map(|c| c.value.clone())
        .unwrap_or_else(|| Cpu::from_millis(cpu_millis));
    let memory_request = r
        .and_then(|r| r.memory.as_ref())
        .map(|m| m.value.clone())
        .unwrap_or_else(|| Memory::mebibytes(memory_mib));
    let limits = r.and_then(|r| r.limits.as_ref());
    ResourcesModel {
        cpu_limit: limits
            .and_then(|l| l.cpu.as_ref())
            .map_or_else(|| cpu_request.clone(), |c| c.value.clone()),
        memory_limit: limits
            .and_then(|l| l.memory.as_ref())
            .map_or_else(|| memory_request.clone(), |m| m.value.clone()),
        cpu_request,
        memory_request,
        written: r.is_some(),
    }
}
