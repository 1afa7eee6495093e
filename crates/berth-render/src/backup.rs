//! Backups of a store, as shell the store's own image runs (pure): what writes one backup to
//! stdout and what restores one from stdin, given where the store answers. The compose driver
//! runs them in the store's container (`docker compose exec`, the file kept on the host); the
//! Kubernetes CronJob runs them in a pod of the store's image next to a [`Target`].
//!
//! The password is read from the variable the store's own container has it in
//! (`POSTGRES_PASSWORD`, …), so the same pod spec and container environment serve both.

use berth_spec::model::StoreModel;
use berth_spec::StoreType;

/// Where scheduled backups are kept. A volume today (a PersistentVolumeClaim on Kubernetes);
/// an object store (`s3` store type) plugs in as another variant with its own upload step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A volume claim mounted at [`BACKUP_DIR`].
    Volume { claim: String },
}

/// Where the backup volume is mounted in a backup pod.
pub const BACKUP_DIR: &str = "/backups";

/// The target of a store's scheduled backups.
pub fn target(store: &StoreModel) -> Target {
    Target::Volume {
        claim: format!("{}-backups", store.name),
    }
}

/// The variable the store's container keeps its password in.
pub fn password_var(kind: StoreType) -> &'static str {
    match kind {
        StoreType::Redis => "REDIS_PASSWORD",
        StoreType::Postgres => "POSTGRES_PASSWORD",
        StoreType::Mongodb => "MONGO_INITDB_ROOT_PASSWORD",
        StoreType::Rabbitmq => "RABBITMQ_DEFAULT_PASS",
        StoreType::Mysql => "MYSQL_PASSWORD",
        // No backups of these (B2186); their containers keep no password variable.
        StoreType::S3
        | StoreType::Sqs
        | StoreType::Sns
        | StoreType::Opensearch
        | StoreType::Smtp => "BERTH_NO_PASSWORD",
    }
}

/// File extension of a backup: what kind of file it is.
pub fn extension(kind: StoreType) -> &'static str {
    match kind {
        StoreType::Postgres => "pgdump",
        StoreType::Mongodb => "archive.gz",
        StoreType::Redis => "rdb",
        StoreType::Rabbitmq => "definitions.json",
        StoreType::Mysql => "sql",
        _ => "none",
    }
}

/// Shell that writes one backup of `store`, reached at `host`, to stdout.
pub fn dump(store: &StoreModel, host: &str) -> String {
    let (user, port, pw) = (&store.user, store.port, password_var(store.kind));
    let db = store.database.as_deref().unwrap_or("postgres");
    match store.kind {
        StoreType::Postgres => format!(
            "PGPASSWORD=\"${pw}\" pg_dump -h {host} -p {port} -U {user} -d {db} --format=custom"
        ),
        StoreType::Mongodb => format!(
            "mongodump --host {host} --port {port} -u {user} -p \"${pw}\" \
             --authenticationDatabase admin --archive --gzip --quiet"
        ),
        // A point-in-time RDB snapshot over the replication protocol.
        StoreType::Redis => format!(
            "f=$(mktemp /tmp/berth-rdb.XXXXXX) && redis-cli -h {host} -p {port} -a \"${pw}\" \
             --no-auth-warning --rdb \"$f\" >/dev/null && cat \"$f\" && rm -f \"$f\""
        ),
        StoreType::Rabbitmq => format!(
            "f=$(mktemp /tmp/berth-defs.XXXXXX) && rabbitmqadmin -H {host} -u {user} -p \"${pw}\" \
             export \"$f\" >/dev/null && cat \"$f\" && rm -f \"$f\""
        ),
        StoreType::Mysql => format!(
            "mysqldump -h {host} -P {port} -u {user} -p\"${pw}\" --single-transaction --routines {db}"
        ),
        _ => unsupported(store),
    }
}

/// Shell that restores a backup of `store`, read from stdin, into the store at `host`.
pub fn restore(store: &StoreModel, host: &str) -> String {
    let (user, port, pw) = (&store.user, store.port, password_var(store.kind));
    let db = store.database.as_deref().unwrap_or("postgres");
    match store.kind {
        StoreType::Postgres => format!(
            "PGPASSWORD=\"${pw}\" pg_restore -h {host} -p {port} -U {user} -d {db} \
             --clean --if-exists --no-owner --single-transaction"
        ),
        StoreType::Mongodb => format!(
            "mongorestore --host {host} --port {port} -u {user} -p \"${pw}\" \
             --authenticationDatabase admin --archive --gzip --drop --quiet"
        ),
        StoreType::Redis => redis_restore(store, host),
        StoreType::Rabbitmq => format!(
            "f=$(mktemp /tmp/berth-defs.XXXXXX) && cat > \"$f\" && rabbitmqadmin -H {host} -u {user} \
             -p \"${pw}\" import \"$f\" && rm -f \"$f\""
        ),
        StoreType::Mysql => format!("mysql -h {host} -P {port} -u {user} -p\"${pw}\" {db}"),
        _ => unsupported(store),
    }
}

/// Shell that fails, for a store type without backups (never reached after the checks: B2186).
fn unsupported(store: &StoreModel) -> String {
    format!(
        "echo 'berth: {} stores have no backups' >&2; exit 1",
        store.kind.as_str()
    )
}

/// Redis has no network load of a snapshot: a private `redis-server` loads it next to the
/// tools, and every key is copied into the store with `MIGRATE … COPY REPLACE` after a
/// `FLUSHALL` (database 0, the one the wiring contract uses). The store keeps running and its
/// append-only log records what arrives.
fn redis_restore(store: &StoreModel, host: &str) -> String {
    let (port, pw) = (store.port, password_var(store.kind));
    format!(
        "set -e; d=$(mktemp -d /tmp/berth-restore.XXXXXX); cat > \"$d/dump.rdb\"; \
         redis-server --port {LOADER_PORT} --bind 127.0.0.1 --dir \"$d\" --dbfilename dump.rdb \
         --appendonly no --save '' --daemonize yes --logfile \"$d/log\"; i=0; \
         until redis-cli -p {LOADER_PORT} ping 2>/dev/null | grep -q PONG; do i=$((i+1)); \
         [ \"$i\" -lt 600 ] || {{ cat \"$d/log\"; exit 1; }}; sleep 0.2; done; \
         redis-cli -h {host} -p {port} -a \"${pw}\" --no-auth-warning FLUSHALL >/dev/null; \
         redis-cli -p {LOADER_PORT} --scan | while IFS= read -r k; do \
         redis-cli -p {LOADER_PORT} MIGRATE {host} {port} \"$k\" 0 10000 COPY REPLACE AUTH \"${pw}\" >/dev/null; done; \
         redis-cli -p {LOADER_PORT} SHUTDOWN NOSAVE >/dev/null 2>&1 || true; rm -rf \"$d\""
    )
}

/// The port of the private Redis a restore loads the snapshot into.
const LOADER_PORT: u16 = 6390;

/// The CronJob's script: one backup into the volume under a timestamped name, then the
/// backups older than `retain_days` removed.
pub fn scheduled(store: &StoreModel, host: &str, retain_days: u32) -> String {
    let name = &store.name;
    let ext = extension(store.kind);
    format!(
        "set -eu; f={BACKUP_DIR}/{name}-$(date -u +%Y%m%dT%H%M%SZ).{ext}; \
         ( {} ) > \"$f.part\"; mv \"$f.part\" \"$f\"; echo \"backup $f\"; \
         find {BACKUP_DIR} -name '{name}-*.{ext}' -mtime +{retain_days} -print -delete",
        dump(store, host)
    )
}
