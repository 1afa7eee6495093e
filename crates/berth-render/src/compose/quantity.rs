//! Kubernetes quantities → compose resource values (`250m` → `0.25`, `256Mi` → `256M`).

/// CPU quantity (`250m`, `1`, `1.5`) → compose `cpus` (`0.25`, `1`, `1.5`). Unknown forms pass
/// through unchanged so that `docker compose config` reports them.
pub fn cpus(q: &str) -> String {
    let q = q.trim();
    if let Some(milli) = q.strip_suffix('m') {
        if let Ok(n) = milli.parse::<u64>() {
            let whole = n / 1000;
            let frac = n % 1000;
            if frac == 0 {
                return whole.to_string();
            }
            let frac = format!("{frac:03}");
            return format!("{whole}.{}", frac.trim_end_matches('0'));
        }
    }
    q.to_string()
}

/// Memory quantity → compose memory. Binary suffixes map to compose's (binary) units
/// (`256Mi` → `256M`); decimal ones (`500M`) are converted to bytes, because compose reads `M`
/// as MiB.
pub fn memory(q: &str) -> String {
    let q = q.trim();
    for (k8s, compose) in [("Ki", "K"), ("Mi", "M"), ("Gi", "G"), ("Ti", "T")] {
        if let Some(n) = q.strip_suffix(k8s) {
            if n.parse::<u64>().is_ok() {
                return format!("{n}{compose}");
            }
        }
    }
    for (suffix, factor) in [
        ("k", 1_000u64),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
        ("T", 1_000_000_000_000),
    ] {
        if let Some(n) = q.strip_suffix(suffix) {
            if let Some(bytes) = n.parse::<u64>().ok().and_then(|n| n.checked_mul(factor)) {
                return format!("{bytes}b");
            }
        }
    }
    if q.parse::<u64>().is_ok() {
        return format!("{q}b");
    }
    q.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_quantities() {
        assert_eq!(cpus("250m"), "0.25");
        assert_eq!(cpus("100m"), "0.1");
        assert_eq!(cpus("1500m"), "1.5");
        assert_eq!(cpus("2000m"), "2");
        assert_eq!(cpus("5m"), "0.005");
        assert_eq!(cpus("1"), "1");
        assert_eq!(cpus("0.5"), "0.5");
    }

    #[test]
    fn memory_quantities() {
        assert_eq!(memory("256Mi"), "256M");
        assert_eq!(memory("1Gi"), "1G");
        assert_eq!(memory("512Ki"), "512K");
        assert_eq!(memory("500M"), "500000000b");
        assert_eq!(memory("1G"), "1000000000b");
        assert_eq!(memory("1048576"), "1048576b");
    }
}
