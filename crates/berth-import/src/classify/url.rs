//! Connection strings as compose files write them (`scheme://user:pass@host:port/path?query`,
//! several hosts allowed), split into their parts.

/// A parsed connection string.
pub(crate) struct Url {
    pub scheme: String,
    pub user: Option<String>,
    pub password: Option<String>,
    pub hosts: Vec<(String, Option<u16>)>,
    pub path: String,
    pub query: String,
}

impl Url {
    /// The only host and its port, when there is exactly one.
    pub fn single_host(&self) -> Option<(&str, Option<u16>)> {
        match self.hosts.as_slice() {
            [(h, p)] => Some((h.as_str(), *p)),
            _ => None,
        }
    }
}

/// Parses a connection string; None when `s` is not one.
pub(crate) fn parse_url(s: &str) -> Option<Url> {
    let (scheme, rest) = s.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+')
    {
        return None;
    }
    let (auth_host, tail) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (userinfo, hostpart) = match auth_host.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, auth_host),
    };
    let (user, password) = match userinfo.map(|u| u.split_once(':').ok_or(u)) {
        Some(Ok((a, b))) => (Some(a.to_string()), Some(b.to_string())),
        Some(Err(u)) => (Some(u.to_string()), None),
        None => (None, None),
    };
    let hosts = hostpart
        .split(',')
        .map(host_port)
        .collect::<Option<Vec<_>>>()?;
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    Some(Url {
        scheme: scheme.to_lowercase(),
        user,
        password,
        hosts,
        path: path.to_string(),
        query: query.to_string(),
    })
}

/// `host[:port]`; None for an empty host or a port that is not a number.
fn host_port(h: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = match h.rsplit_once(':') {
        Some((a, b)) => (a, Some(b.parse().ok()?)),
        None => (h, None),
    };
    (!host.is_empty()).then(|| (host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_a_connection_string() {
        let u = parse_url("mongodb://app:pw@m1:27017,m2/shop?replicaSet=rs0").unwrap();
        assert_eq!(u.scheme, "mongodb");
        assert_eq!(u.user.as_deref(), Some("app"));
        assert_eq!(u.password.as_deref(), Some("pw"));
        assert_eq!(
            u.hosts,
            [("m1".to_string(), Some(27017)), ("m2".to_string(), None)]
        );
        assert_eq!(
            (u.path.as_str(), u.query.as_str()),
            ("/shop", "replicaSet=rs0")
        );
        assert!(u.single_host().is_none());
        let u = parse_url("redis://cache").unwrap();
        assert_eq!(u.single_host(), Some(("cache", None)));
        assert_eq!((u.path.as_str(), u.query.as_str()), ("", ""));
    }

    #[test]
    fn not_connection_strings() {
        for s in ["plain", "://x", "a b://x", "http://:80", "http://x:port"] {
            assert!(parse_url(s).is_none(), "{s}");
        }
    }
}
