//! Name validators shared by checks and renderers: RFC 1123 labels and subdomains, IANA port
//! names, environment variable names.

/// An RFC 1123 label: 1-63 chars of `a-z`, `0-9`, `-`, starting and ending alphanumeric.
pub fn is_rfc1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// An RFC 1123 subdomain (a DNS name): dot-separated labels, at most 253 chars in all.
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_rfc1123_label)
}

/// A DNS name for an ingress host: a subdomain, optionally with a leading `*.` wildcard.
pub fn is_host_name(s: &str) -> bool {
    is_dns_subdomain(s.strip_prefix("*.").unwrap_or(s))
}

/// An IANA service name (Kubernetes port name): 1-15 chars of `a-z`, `0-9`, `-`, at least one
/// letter, no leading, trailing or doubled `-`.
pub fn is_port_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 15
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.iter().any(|c| c.is_ascii_lowercase())
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !s.contains("--")
}

/// An environment variable name compose and Kubernetes both accept: letters, digits, `_`, `.`
/// and `-`, not starting with a digit (`discovery.type` is valid; Kubernetes' rule).
pub fn is_env_name(s: &str) -> bool {
    let word = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-');
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(c) if word(c) && !c.is_ascii_digit()) && bytes.all(word)
}

/// A docker volume name: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
pub fn is_volume_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(c) if c.is_ascii_alphanumeric())
        && bytes.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert!(is_rfc1123_label("api-gateway"));
        assert!(is_rfc1123_label("0x"));
        assert!(!is_rfc1123_label("Api"));
        assert!(!is_rfc1123_label("-api"));
        assert!(!is_rfc1123_label("api-"));
        assert!(!is_rfc1123_label("api_gw"));
        assert!(!is_rfc1123_label(""));
        assert!(is_rfc1123_label(&"a".repeat(63)));
        assert!(!is_rfc1123_label(&"a".repeat(64)));
    }

    #[test]
    fn hosts() {
        assert!(is_dns_subdomain("api.example.com"));
        assert!(!is_dns_subdomain("api..example.com"));
        assert!(!is_dns_subdomain("api.example.com."));
        assert!(is_host_name("*.example.com"));
        assert!(!is_host_name("*example.com"));
        assert!(!is_dns_subdomain("*.example.com"));
    }

    #[test]
    fn ports_and_env() {
        assert!(is_port_name("http"));
        assert!(is_port_name("grpc-web"));
        assert!(!is_port_name("8080"));
        assert!(!is_port_name("a--b"));
        assert!(!is_port_name("metrics-exporter1"));
        assert!(is_env_name("LOG_LEVEL"));
        assert!(is_env_name("_x1"));
        assert!(is_env_name("discovery.type"));
        assert!(is_env_name("LOG-LEVEL"));
        assert!(!is_env_name("1X"));
        assert!(!is_env_name("A B"));
        assert!(!is_env_name("A=B"));
        assert!(!is_env_name(""));
        assert!(!is_env_name("$X"));
    }
}
