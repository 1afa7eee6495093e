//! Which values are credentials, and the Berth secrets they become: generated when the stack owns
//! them (JWT, session, pepper…), read from the host environment otherwise; compose `secrets:` are
//! read from the host environment too.

use super::context::{Draft, Facts};
use super::names::rfc1123;
use crate::model::{NormalizedCompose, Service};
use crate::notes::Notes;
use berth_spec::{Generate, Secret, Spanned};
use serde_json::Value;
use std::collections::BTreeMap;

const CRED_WORDS: [&str; 12] = [
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "SECRET",
    "TOKEN",
    "KEY",
    "APIKEY",
    "CREDENTIALS",
    "PRIVATE",
    "AUTH",
    "SALT",
];

/// Last words that make a variable a setting *about* a credential (its header name, lifetime,
/// file path…), not the credential.
const ABOUT: [&str; 20] = [
    "URL",
    "URI",
    "HOST",
    "PORT",
    "PREFIX",
    "NAME",
    "ID",
    "FILE",
    "PATH",
    "TTL",
    "ENABLED",
    "HEADER",
    "LENGTH",
    "ALGORITHM",
    "EXPIRY",
    "EXPIRES",
    "TIMEOUT",
    "ISSUER",
    "AUDIENCE",
    "IN",
];

/// Words of secrets the stack itself owns, which Berth can generate.
const OWNED: [&str; 11] = [
    "JWT",
    "SESSION",
    "COOKIE",
    "PEPPER",
    "SALT",
    "SIGNING",
    "ENCRYPTION",
    "NEXTAUTH",
    "APP_SECRET",
    "MASTER_KEY",
    "CSRF",
];

/// Whether an environment variable name looks like it holds a credential.
pub fn is_credential(key: &str) -> bool {
    let up = key.to_uppercase();
    let words: Vec<&str> = up.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    if words.len() > 1 && words.last().is_some_and(|w| ABOUT.contains(w)) {
        return false;
    }
    words.iter().any(|w| {
        CRED_WORDS.contains(w)
            || w.ends_with("PASSWORD")
            || w.ends_with("SECRET")
            || w.ends_with("TOKEN")
    })
}

/// A secret Berth generates.
pub fn generated(length: u32) -> Secret {
    Secret {
        generate: Some(Generate {
            length: Some(Spanned::synthetic(length)),
            ..Generate::default()
        }),
        ..Secret::default()
    }
}

/// A secret read from host variable `var` when deploying.
pub fn from_env(var: impl Into<String>) -> Secret {
    Secret {
        env: Some(Spanned::synthetic(var.into())),
        ..Secret::default()
    }
}

/// A secret read from `path` (relative to berth.yaml) when deploying.
pub fn from_file(path: impl Into<String>) -> Secret {
    Secret {
        file: Some(Spanned::synthetic(path.into())),
        ..Secret::default()
    }
}

/// Secrets the stack owns can be generated; third-party credentials and connection strings
/// must come from the operator.
fn source(key: &str, value: &str) -> Secret {
    let up = key.to_uppercase();
    if value.contains("://") || !OWNED.iter().any(|w| up.contains(w)) {
        from_env(up)
    } else {
        generated(48)
    }
}

/// The variable a secret is delivered as (`api-key` → `API_KEY`).
fn variable(secret: &str) -> String {
    secret.to_uppercase().replace('-', "_")
}

/// Secret `sname` reaches the workload as variable `k`: through `secrets:` when that gives the
/// same name, else as `k: ${secrets.NAME}` (a name such as `GITEA__database__PASSWD` stays
/// exactly as compose wrote it).
fn deliver(d: &mut Draft, sname: &str, k: &str) {
    if variable(sname) == k {
        d.add_secret(sname);
    } else {
        d.svc.env.insert(
            Spanned::synthetic(k.to_string()),
            Spanned::synthetic(format!("${{secrets.{sname}}}")),
        );
    }
}

/// The stack's secrets as workloads declare them, and who first gave each its value.
#[derive(Debug, Default)]
pub struct Book {
    pub secrets: BTreeMap<String, Secret>,
    /// Secret → (compose service, value) of the first workload that had it.
    owner: BTreeMap<String, (String, String)>,
}

impl Book {
    /// A credential variable without a value (passed through from the host): read from the host.
    /// A variable compose passes through from the host (`environment: [NAME]`, no value): a
    /// secret read from host env `NAME` when deploying, credential or not.
    pub fn from_host(&mut self, d: &mut Draft, k: &str, notes: &mut Notes) {
        let sname = rfc1123(k);
        self.secrets.insert(sname.clone(), from_env(k));
        deliver(d, &sname, k);
        notes.infer(
            format!("{}.environment.{k}", d.path),
            format!(
                "passed through from the host → secret {sname}, read from host env {k} at `up`"
            ),
        );
    }

    /// A credential variable with a value: the value is never copied, the secret is shared by
    /// every workload that has the variable.
    pub fn credential(&mut self, d: &mut Draft, k: &str, v: &str, notes: &mut Notes) {
        let ep = format!("{}.environment.{k}", d.path);
        let sname = rfc1123(k);
        match self.owner.get(&sname) {
            Some((owner, val)) if val != v => notes.warn(
                ep.clone(),
                format!("{owner} and {} had different values for {k}; they now share the generated secret {sname}", d.name),
            ),
            Some(_) => {}
            None => {
                self.owner
                    .insert(sname.clone(), (d.name.to_string(), v.to_string()));
            }
        }
        let source = source(k, v);
        let how = match &source.env {
            None => "generated by Berth".to_string(),
            Some(var) => format!(
                "an external credential, read from host env {} at `up`",
                var.value
            ),
        };
        self.secrets.entry(sname.clone()).or_insert(source);
        deliver(d, &sname, k);
        notes.infer(
            ep,
            format!("credential → secret {sname}, {how}; the compose value is not copied"),
        );
    }

    /// Compose `secrets:` of a workload: files at the same paths (`secret_files`), read from the
    /// file compose reads, or the host variable it names.
    pub fn compose_refs(&mut self, d: &mut Draft, s: &Service, facts: &Facts) {
        for r in &s.secrets {
            let sname = self.compose_secret(facts.c, &r.source);
            let target = r.target.as_deref().unwrap_or(&r.source);
            let file = target
                .strip_prefix("/run/secrets/")
                .unwrap_or(target)
                .to_string();
            d.svc
                .secret_files
                .insert(Spanned::synthetic(file), Spanned::synthetic(sname));
        }
    }

    /// Compose secret `source` as a declared secret, read from the file compose reads or the
    /// host variable it names; its Berth name.
    pub fn compose_secret(&mut self, c: &NormalizedCompose, source: &str) -> String {
        let sname = rfc1123(source);
        let def = c.secrets.get(source);
        let field = |k: &str| def.and_then(|d| d.fields.get(k)).and_then(Value::as_str);
        let src = match (field("environment"), field("file")) {
            (Some(e), _) => from_env(e),
            (None, Some(f)) => from_file(f),
            (None, None) => from_env(variable(&sname)),
        };
        self.secrets.entry(sname.clone()).or_insert(src);
        sname
    }

    /// External compose secrets that a workload uses are read from the host instead.
    pub fn warn_external(&self, c: &NormalizedCompose, notes: &mut Notes) {
        for (k, def) in &c.secrets {
            let sname = rfc1123(k);
            if self.secrets.contains_key(&sname) && def.fields.contains_key("external") {
                notes.warn(
                    format!("secrets.{k}.external"),
                    format!(
                        "external secret approximated: Berth reads it from host env {} at `up`",
                        variable(&sname)
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials() {
        assert!(is_credential("JWT_SECRET"));
        assert!(is_credential("STRIPE_API_KEY"));
        assert!(!is_credential("LOG_LEVEL"));
        assert!(!is_credential("CACHE_KEY_PREFIX"));
        assert!(!is_credential("JWT_EXPIRES_IN"));
        assert!(!is_credential("JWT_SIGNING_KEY_FILE"));
        assert!(is_credential("DB_PASSWORD"));
        assert!(is_credential("AWS_SECRET_ACCESS_KEY"));
    }

    #[test]
    fn owned_secrets_are_generated() {
        assert_eq!(source("JWT_SECRET", "x"), generated(48));
        assert_eq!(source("stripe_key", "x"), from_env("STRIPE_KEY"));
        assert_eq!(
            source("SESSION_SECRET", "redis://x"),
            from_env("SESSION_SECRET")
        );
    }
}
