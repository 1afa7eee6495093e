//! A workload's environment: values that point at stores or services become references
//! (`${db.url}`, `${cache.host}:${cache.port}`, `${api.url}/v1`), and what they point at is added
//! to `uses`; credentials become secrets; compose secret-file paths are dropped.

use super::context::{Draft, Facts};
use super::secrets::{is_credential, Book};
use super::stores::{self, ImportedStore};
use super::url::{parse_url, Url};
use crate::model::Service;
use crate::notes::Notes;
use berth_spec::{Spanned, StoreType};

/// What becomes of one variable.
enum EnvOut {
    Value(String),
    Secret,
}

/// Imports every variable of compose service `s` into the draft.
pub fn import_env(d: &mut Draft, s: &Service, facts: &Facts, book: &mut Book, notes: &mut Notes) {
    for (k, v) in &s.environment {
        let Some(v) = v else {
            // Compose passes the host's value: Berth reads it from the host at `up`.
            book.from_host(d, k, notes);
            continue;
        };
        match env_value(k, v, d, facts, notes) {
            EnvOut::Value(x) => {
                d.svc
                    .env
                    .insert(Spanned::synthetic(k.clone()), Spanned::synthetic(x));
            }
            EnvOut::Secret => book.credential(d, k, v, notes),
        }
    }
}

/// One variable: a reference, a secret, dropped, or the value as it is.
fn env_value(k: &str, v: &str, d: &mut Draft, facts: &Facts, notes: &mut Notes) -> EnvOut {
    // `*_FILE` variables point at secret files, which Berth mounts at the same paths.
    if v.starts_with("/run/secrets/") {
        return EnvOut::Value(v.to_string());
    }
    if let Some(u) = parse_url(v) {
        if let Some(out) = url_reference(k, v, &u, d, facts, notes) {
            return out;
        }
        if u.password.is_some() {
            return EnvOut::Secret;
        }
    }
    if let Some(value) = host_port(k, v, d, facts, notes) {
        return EnvOut::Value(value);
    }
    if let Some(value) = repeated_store_field(k, v, d, facts, notes) {
        return EnvOut::Value(value);
    }
    if is_credential(k) && !v.is_empty() && !matches!(v, "true" | "false") {
        return EnvOut::Secret;
    }
    // Environment values are templates: a literal `${` is written `$${`.
    EnvOut::Value(berth_spec::template::dollar::to_template(v))
}

/// A one-host URL that reaches a store (with a matching scheme) or a service of the stack.
fn url_reference(
    k: &str,
    v: &str,
    u: &Url,
    d: &mut Draft,
    facts: &Facts,
    notes: &mut Notes,
) -> Option<EnvOut> {
    let (host, port) = u.single_host()?;
    let svc = facts.host(host)?;
    let dep = facts.bn(svc);
    let ep = format!("{}.environment.{k}", d.path);
    if let Some((t, st)) = facts.store(svc) {
        if !stores::schemes(t).contains(&u.scheme.as_str()) {
            return None;
        }
        d.add_use(
            facts,
            svc,
            notes,
            Some(format!("{k} points at store {dep} → uses {dep}")),
        );
        let value = store_url(&dep, t, st, u, port);
        notes.infer(&ep, format!("connection string → {value}"));
        if u.password.is_some() && st.password.is_some() && u.password != st.password {
            notes.warn(ep, "password in the connection string differed from the store's; Berth's generated password is used");
        }
        return Some(EnvOut::Value(value));
    }
    let ports = facts.ports.get(svc.as_str())?;
    if !matches!(u.scheme.as_str(), "http" | "https" | "ws" | "grpc") || u.user.is_some() {
        return None;
    }
    d.add_use(
        facts,
        svc,
        notes,
        Some(format!("{k} points at service {dep} → uses {dep}")),
    );
    let primary = ports.first().map(|(_, p)| p.number);
    if port.is_none() || port != primary || u.scheme != "http" {
        return Some(EnvOut::Value(v.to_string()));
    }
    let mut value = format!("${{{dep}.url}}");
    if u.path != "/" {
        value.push_str(&u.path);
    }
    if !u.query.is_empty() {
        value.push('?');
        value.push_str(&u.query);
    }
    notes.infer(ep, format!("service URL → {value}"));
    Some(EnvOut::Value(value))
}

/// `${dep.url}` when the URL says nothing Berth's own URL does not; otherwise the URL rebuilt
/// from the store's parts, keeping its path and query.
fn store_url(dep: &str, t: StoreType, st: &ImportedStore, u: &Url, port: Option<u16>) -> String {
    let db = u.path.trim_start_matches('/');
    let query_ok = u.query.is_empty()
        || u.query
            .split('&')
            .all(|q| q.starts_with("replicaSet=") || q.starts_with("authSource="));
    let db_ok = db.is_empty()
        || st.store.database.as_ref().map(|d| d.value.as_str()) == Some(db)
        || (t == StoreType::Rabbitmq && db == "%2F")
        || (t == StoreType::Redis && db == "0");
    let port_ok = port.is_none_or(|p| p == stores::port(t));
    if db_ok && query_ok && port_ok {
        return format!("${{{dep}.url}}");
    }
    let mut s = format!("{}://", u.scheme);
    if u.user.is_some() {
        s.push_str(&format!("${{{dep}.user}}:${{{dep}.password}}@"));
    }
    s.push_str(&format!("${{{dep}.host}}:${{{dep}.port}}{}", u.path));
    if !u.query.is_empty() {
        s.push('?');
        s.push_str(&u.query);
    }
    s
}

/// `host:port` of a store on its standard port → `${dep.host}:${dep.port}`.
fn host_port(k: &str, v: &str, d: &mut Draft, facts: &Facts, notes: &mut Notes) -> Option<String> {
    let (h, port) = v.split_once(':')?;
    let svc = facts.host(h)?;
    let t = *facts.store_of.get(svc)?;
    if port.parse::<u16>().ok()? != stores::port(t) {
        return None;
    }
    let dep = facts.bn(svc);
    d.add_use(
        facts,
        svc,
        notes,
        Some(format!("{k} points at store {dep} → uses {dep}")),
    );
    let value = format!("${{{dep}.host}}:${{{dep}.port}}");
    notes.infer(
        format!("{}.environment.{k}", d.path),
        format!("host:port → {value}"),
    );
    Some(value)
}

/// A value that repeats a store's password, host, port, user or database → `${dep.<field>}`.
fn repeated_store_field(
    k: &str,
    v: &str,
    d: &mut Draft,
    facts: &Facts,
    notes: &mut Notes,
) -> Option<String> {
    for (sname, t) in facts.store_of {
        let dep = facts.bn(sname);
        let Some(f) = repeated_field(k, v, sname, *t, d, facts) else {
            continue;
        };
        d.add_use(
            facts,
            sname,
            notes,
            Some(format!("{k} repeats store {dep}'s {f} → uses {dep}")),
        );
        let value = format!("${{{dep}.{f}}}");
        notes.infer(
            format!("{}.environment.{k}", d.path),
            format!("repeats the store's {f} → {value}"),
        );
        return Some(value);
    }
    None
}

/// Which field of store `sname` variable `k = v` repeats. Port, user and database only count
/// for a store the workload already uses, and a port only when one used store has it.
fn repeated_field(
    k: &str,
    v: &str,
    sname: &str,
    t: StoreType,
    d: &Draft,
    facts: &Facts,
) -> Option<&'static str> {
    let up = k.to_uppercase();
    let st = facts.stores.get(&facts.bn(sname))?;
    if st.password.as_deref() == Some(v) && is_credential(k) {
        return Some("password");
    }
    if (up.ends_with("HOST") || up.ends_with("HOSTNAME"))
        && facts.host(v).map(String::as_str) == Some(sname)
    {
        return Some("host");
    }
    if !d.uses(&facts.bn(sname)) {
        return None;
    }
    let used_with_port = facts
        .store_of
        .iter()
        .filter(|(o, ot)| stores::port(**ot) == stores::port(t) && d.uses(&facts.bn(o)))
        .count();
    if up.ends_with("PORT") && v.parse::<u16>().ok() == Some(stores::port(t)) && used_with_port == 1
    {
        Some("port")
    } else if (up.ends_with("USER") || up.ends_with("USERNAME")) && st.user.as_deref() == Some(v) {
        Some("user")
    } else if (up.ends_with("DB") || up.ends_with("DATABASE") || up.ends_with("DB_NAME"))
        && st.store.database.as_ref().map(|d| d.value.as_str()) == Some(v)
    {
        Some("db")
    } else {
        None
    }
}
