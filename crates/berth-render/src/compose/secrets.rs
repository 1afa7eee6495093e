//! Secret env files (`.secrets/<name>.env`, written by the driver at `berth up`, never
//! committed) and `.env.example`, which names every variable they hold without a value.

use super::common::{dir, env_file_path, secret_file_path, HEADER};
use super::stores::{password_vars, runs_in_compose};
use crate::artifact::ArtifactSet;
use berth_spec::model::EnvValue;
use berth_spec::Model;

/// A secret value the environment needs but the lookup does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("secret `{secret}` has no value for key `{key}` (needed by `{needed_by}`)")]
pub struct MissingSecret {
    pub secret: String,
    pub key: String,
    /// The store or workload whose env file needs it.
    pub needed_by: String,
}

/// One env file: its owner and (variable, value, secrets it reads) entries.
pub(super) struct EnvFile<'a> {
    pub(super) owner: &'a str,
    pub(super) vars: Vec<(String, EnvValue)>,
}

/// Every secret-bearing env file of the environment, in file order (stores, then workloads).
pub(super) fn env_files(model: &Model) -> Vec<EnvFile<'_>> {
    let mut files = Vec::new();
    for store in model.stores.iter().filter(|s| runs_in_compose(s)) {
        let vars: Vec<(String, EnvValue)> = password_vars(store)
            .iter()
            .map(|var| {
                let value = EnvValue::secret(&store.password_secret, "value");
                (var.to_string(), value)
            })
            .collect();
        if !vars.is_empty() {
            files.push(EnvFile {
                owner: &store.name,
                vars,
            });
        }
    }
    for w in &model.workloads {
        let vars: Vec<(String, EnvValue)> = w
            .env
            .iter()
            .filter(|v| v.value.has_secret())
            .map(|v| (v.name.clone(), v.value.clone()))
            .collect();
        if !vars.is_empty() {
            files.push(EnvFile {
                owner: &w.name,
                vars,
            });
        }
    }
    files
}

/// A file under the compose directory that holds secret values (written by `berth up` into
/// `.berth/`, by `berth secrets ENV` into the rendered directory): its path relative to the
/// output directory and what it holds, by name only.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecretTarget {
    pub path: String,
    /// `env`: a compose env file of `variables`; `file`: one secret's value, as a compose secret.
    pub kind: &'static str,
    /// The variables of an env file (empty for a secret file).
    pub variables: Vec<String>,
    /// The secrets its values come from.
    pub secrets: Vec<String>,
}

/// Every file [`secret_files`] writes for `model`, without values.
pub fn secret_targets(model: &Model) -> Vec<SecretTarget> {
    let mut out: Vec<SecretTarget> = env_files(model)
        .into_iter()
        .map(|f| {
            let mut secrets: Vec<String> = Vec::new();
            for (_, v) in &f.vars {
                for (s, _) in v.secret_refs() {
                    if !secrets.iter().any(|x| x == s) {
                        secrets.push(s.to_string());
                    }
                }
            }
            SecretTarget {
                path: format!("{}/{}", dir(model), env_file_path(f.owner)),
                kind: "env",
                variables: f.vars.iter().map(|(n, _)| n.clone()).collect(),
                secrets,
            }
        })
        .collect();
    for w in &model.workloads {
        for f in &w.secret_files {
            let path = format!("{}/{}", dir(model), secret_file_path(&f.secret));
            if !out.iter().any(|t| t.path == path) {
                out.push(SecretTarget {
                    path,
                    kind: "file",
                    variables: Vec::new(),
                    secrets: vec![f.secret.clone()],
                });
            }
        }
    }
    out
}

/// The env files `compose/<env>/.secrets/<name>.env` with the values `lookup(secret, key)`
/// gives. Pure; the driver writes the result (mode 0600) before `docker compose up`.
pub fn secret_files(
    model: &Model,
    lookup: &dyn Fn(&str, &str) -> Option<String>,
) -> Result<ArtifactSet, MissingSecret> {
    let mut set = ArtifactSet::default();
    for file in env_files(model) {
        let mut text = String::from(
            "# Written by berth at `berth up` from .berth/ state — never commit this file.\n",
        );
        for (name, value) in &file.vars {
            let mut missing = None;
            let rendered = value.render(|secret, key| match lookup(secret, key) {
                Some(v) => v,
                None => {
                    missing.get_or_insert_with(|| MissingSecret {
                        secret: secret.to_string(),
                        key: key.to_string(),
                        needed_by: file.owner.to_string(),
                    });
                    String::new()
                }
            });
            if let Some(m) = missing {
                return Err(m);
            }
            text.push_str(&env_file_line(name, &rendered));
        }
        set.insert(
            format!("{}/{}", dir(model), env_file_path(file.owner)),
            text,
        );
    }
    for w in &model.workloads {
        for f in &w.secret_files {
            let value = lookup(&f.secret, "value").ok_or_else(|| MissingSecret {
                secret: f.secret.clone(),
                key: "value".into(),
                needed_by: w.name.clone(),
            })?;
            let path = format!("{}/{}", dir(model), secret_file_path(&f.secret));
            set.insert(path, value);
        }
    }
    Ok(set)
}

/// `KEY="value"\n` for a compose env file. Double quotes with `\\`, `\"`, `\$`, `\n` and `\r`
/// escaped, so every value (including `$`, `#`, quotes, newlines) reads back verbatim and is
/// never interpolated.
pub fn env_file_line(name: &str, value: &str) -> String {
    let mut out = String::with_capacity(name.len() + value.len() + 4);
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push_str("\"\n");
    out
}

/// `.env.example`: every variable that lives in `.secrets/`, with the secrets it comes from.
pub(crate) fn env_example(model: &Model) -> String {
    let mut out = format!(
        "{HEADER}# Variables kept out of the compose files. `berth up` writes them, with values from\n\
         # .berth/ state, to .secrets/<name>.env (git-ignored). Values are never written here.\n"
    );
    for file in env_files(model) {
        out.push_str(&format!("\n# {}\n", env_file_path(file.owner)));
        for (name, value) in &file.vars {
            let mut from: Vec<String> = Vec::new();
            for (secret, key) in value.secret_refs() {
                let s = if key == "value" {
                    secret.to_string()
                } else {
                    format!("{secret}.{key}")
                };
                if !from.contains(&s) {
                    from.push(s);
                }
            }
            out.push_str(&format!("# from secret {}\n{name}=\n", from.join(", ")));
        }
    }
    out
}
