//! Compose healthchecks → Berth health checks: `curl`/`wget` of a local HTTP URL becomes an http
//! probe, `nc -z` a tcp probe (their ports named on the workload), anything else an exec probe.

use super::ports::{self, Ports};
use super::url::parse_url;
use crate::builtin::shell_split;
use crate::model::Healthcheck;
use crate::notes::Notes;
use berth_spec::{Health, HttpCheck, Spanned};

/// The health check of a workload at compose path `p`; None when compose disabled it.
pub fn import_health(
    p: &str,
    h: &Healthcheck,
    ports: &mut Ports,
    notes: &mut Notes,
) -> Option<Health> {
    let hp = format!("{p}.healthcheck");
    if h.disable || h.test.first().map(String::as_str) == Some("NONE") {
        notes.warn(
            hp,
            "disabled healthcheck dropped: Berth probes need a check; add health later",
        );
        return None;
    }
    for k in h.extra.keys() {
        notes.warn(format!("{hp}.{k}"), "healthcheck option dropped");
    }
    let (first, rest) = h.test.split_first()?;
    let mut health = Health {
        interval: duration(&hp, "interval", h.interval.as_deref(), notes),
        timeout: duration(&hp, "timeout", h.timeout.as_deref(), notes),
        retries: h.retries.map(Spanned::synthetic),
        start_period: duration(&hp, "start_period", h.start_period.as_deref(), notes),
        ..Health::default()
    };
    let words = words(first, rest, &h.test);
    if probe(&words, &mut health, &mut |port| {
        port_ref(&hp, port, ports, notes)
    }) {
        notes.infer(
            format!("{hp}.test"),
            format!("{} → {}", h.test.join(" "), describe(&health)),
        );
    } else {
        health.exec = Some(Spanned::synthetic(match first.as_str() {
            "CMD" => rest.to_vec(),
            "CMD-SHELL" => vec!["sh".into(), "-c".into(), rest.join(" ")],
            _ => h.test.clone(),
        }));
    }
    Some(health)
}

/// The words of the check's command; of a shell check, its first command only.
fn words(first: &str, rest: &[String], test: &[String]) -> Vec<String> {
    match first {
        "CMD" => rest.to_vec(),
        "CMD-SHELL" => {
            let s = rest.join(" ");
            let head = s
                .split("||")
                .next()
                .unwrap_or(&s)
                .split("&&")
                .next()
                .unwrap_or(&s);
            shell_split(head.trim()).unwrap_or_default()
        }
        _ => test.to_vec(),
    }
}

/// Sets an http or tcp probe when the command is one; `port_ref` names a probed port.
fn probe(words: &[String], health: &mut Health, port_ref: &mut dyn FnMut(u16) -> String) -> bool {
    let Some(cmd) = words.first().and_then(|w| w.rsplit('/').next()) else {
        return false;
    };
    match cmd {
        "curl" | "wget" => {
            let Some((path, port)) = local_http(&words[1..]) else {
                return false;
            };
            health.http = Some(HttpCheck {
                path: Spanned::synthetic(path),
                port: Some(Spanned::synthetic(port_ref(port))),
                ..HttpCheck::default()
            });
            true
        }
        "nc" if words.iter().any(|a| a == "-z") => {
            let Some(port) = words.last().and_then(|w| w.parse().ok()) else {
                return false;
            };
            health.tcp = Some(Spanned::synthetic(port_ref(port)));
            true
        }
        _ => false,
    }
}

/// Path and port of the first URL among `args` when it is plain HTTP on this host.
fn local_http(args: &[String]) -> Option<(String, u16)> {
    let url = args.iter().find_map(|a| parse_url(a))?;
    let (host, port) = url.hosts.first()?;
    if !matches!(host.as_str(), "localhost" | "127.0.0.1" | "0.0.0.0") || url.scheme != "http" {
        return None;
    }
    let path = if url.path.is_empty() {
        "/".to_string()
    } else {
        url.path.clone()
    };
    Some((path, port.unwrap_or(80)))
}

/// The name of a probed port, adding it to the workload when compose never declared it.
fn port_ref(hp: &str, port: u16, ports: &mut Ports, notes: &mut Notes) -> String {
    if let Some(n) = ports::name_of(port, ports) {
        return n;
    }
    let n = ports::add(port, ports);
    notes.infer(
        format!("{hp}.test"),
        format!("port {port} probed by the healthcheck → ports.{n}"),
    );
    n
}

fn describe(h: &Health) -> String {
    match (&h.http, &h.tcp) {
        (Some(http), _) => format!(
            "http probe {} on port {}",
            http.path.value,
            http.port.as_ref().map(|p| p.value.as_str()).unwrap_or("")
        ),
        (None, Some(port)) => format!("tcp probe on port {}", port.value),
        (None, None) => "exec probe".into(),
    }
}

/// A compose duration as a Berth duration; one Berth cannot write (a fraction such as `1.5s`)
/// is dropped with a warning, so the default applies.
fn duration(
    hp: &str,
    key: &str,
    text: Option<&str>,
    notes: &mut Notes,
) -> Option<Spanned<berth_spec::Duration>> {
    let text = text?;
    match berth_spec::Duration::parse(text) {
        Ok(d) => Some(Spanned::synthetic(d)),
        Err(e) => {
            notes.warn(
                format!("{hp}.{key}"),
                format!("{e}; dropped, the default applies"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(test: &[&str]) -> Healthcheck {
        Healthcheck {
            test: test.iter().map(|s| s.to_string()).collect(),
            ..Healthcheck::default()
        }
    }

    #[test]
    fn probes_by_command() {
        let mut ports = Ports::new();
        let mut notes = Notes::default();
        let shell = check(&[
            "CMD-SHELL",
            "curl -f http://localhost:3000/health || exit 1",
        ]);
        let h = import_health("services.api", &shell, &mut ports, &mut notes).unwrap();
        let http = h.http.unwrap();
        assert_eq!(
            (http.path.value.as_str(), http.port.unwrap().value.as_str()),
            ("/health", "http")
        );
        assert_eq!(ports.get("http").map(|p| p.number), Some(3000));
        let nc = check(&["CMD", "nc", "-z", "localhost", "5000"]);
        let h = import_health("services.api", &nc, &mut ports, &mut notes).unwrap();
        assert_eq!(h.tcp.unwrap().value, "p5000");
        let remote = check(&["CMD", "curl", "http://example.com/"]);
        let h = import_health("services.api", &remote, &mut ports, &mut notes).unwrap();
        assert_eq!(h.exec.unwrap().value, ["curl", "http://example.com/"]);
        assert!(import_health("services.api", &check(&["NONE"]), &mut ports, &mut notes).is_none());
    }
}
