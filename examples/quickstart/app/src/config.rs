//! Wiring variables (Berth's contract): REDIS_URL, POSTGRES_URL, RABBITMQ_URL, PORT.

/// What the environment told us; a dependency whose variable is unset is neither used nor checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub redis_url: Option<String>,
    pub postgres_url: Option<String>,
    pub rabbitmq_url: Option<String>,
    pub port: u16,
}

impl Config {
    /// Reads the wiring variables through `get` (so tests need not touch the process environment).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let non_empty = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let port = match non_empty("PORT") {
            None => 8080,
            Some(p) => p
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("PORT must be a port number (1-65535), got {p:?}"))?,
        };
        Ok(Self {
            redis_url: non_empty("REDIS_URL"),
            postgres_url: non_empty("POSTGRES_URL"),
            rabbitmq_url: non_empty("RABBITMQ_URL"),
            port,
        })
    }

    /// One line for the start-up log, naming the configured dependencies but no credentials.
    pub fn describe(&self) -> String {
        let names: Vec<&str> = [
            ("redis", &self.redis_url),
            ("postgres", &self.postgres_url),
            ("rabbitmq", &self.rabbitmq_url),
        ]
        .into_iter()
        .filter_map(|(n, v)| v.as_ref().map(|_| n))
        .collect();
        if names.is_empty() {
            "no dependencies configured".into()
        } else {
            format!("dependencies: {}", names.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(vars: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_env(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_to_port_8080_and_no_dependencies() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.port, 8080);
        assert_eq!(c.redis_url, None);
        assert_eq!(c.describe(), "no dependencies configured");
    }

    #[test]
    fn reads_wiring_variables_and_ignores_empty_ones() {
        let c = cfg(&[
            ("PORT", "9000"),
            ("REDIS_URL", "redis://redis:6379"),
            ("POSTGRES_URL", ""),
            ("RABBITMQ_URL", "amqp://u:p@rabbitmq:5672/%2f"),
        ])
        .unwrap();
        assert_eq!(c.port, 9000);
        assert_eq!(c.redis_url.as_deref(), Some("redis://redis:6379"));
        assert_eq!(c.postgres_url, None);
        assert_eq!(c.describe(), "dependencies: redis, rabbitmq");
    }

    #[test]
    fn rejects_bad_ports() {
        assert!(cfg(&[("PORT", "http")]).is_err());
        assert!(cfg(&[("PORT", "0")]).is_err());
        assert!(cfg(&[("PORT", "70000")]).is_err());
    }
}
