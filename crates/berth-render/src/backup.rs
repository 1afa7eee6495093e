//! Backups of a store, as shell the store's own image runs (pure): what writes one backup to
//! stdout and what restores one from stdin, given where the store answers. The compose driver
//! runs them in the store's container (`docker compose exec`, the file kept on the host); the
//! Kubernetes CronJob runs them in a pod of the store's image next to a [`Target`].
//!
//! The password is read from the variable the store's own container has it in
//! (`POSTGRES_PASSWORD`, …), so the same pod spec and container environment serve both.

use berth_spec::model::{Realized, StoreModel};
use berth_spec::{Model, StoreType};

/// Where scheduled backups are kept: the stack's object store (an `s3` store Berth runs or
/// manages in this environment) when it has one, else a volume (a PersistentVolumeClaim on
/// Kubernetes).
#[derive(Debug, Clone, PartialEq)]
pub enum Target<'a> {
    /// A volume claim mounted at [`BACKUP_DIR`].
    Volume { claim: String },
    /// Objects `backups/STORE/STORE-ID.EXT` in the bucket of the `s3` store `store`.
    Object { store: &'a StoreModel },
}

/// Where the backup volume is mounted in a backup pod (an emptyDir between the dump and the
/// upload when the target is an object store).
pub const BACKUP_DIR: &str = "/backups";

/// The object store backups go to: the first `s3` store (by name) that Berth runs or manages
/// in this environment.
pub fn object_store(model: &Model) -> Option<&StoreModel> {
    model
        .stores
        .iter()
        .filter(|s| s.kind == StoreType::S3)
        .filter(|s| s.realization.runs_here() || s.realization == Realized::Managed)
        .min_by(|a, b| a.name.cmp(&b.name))
}

/// The target of a store's scheduled backups.
pub fn target<'a>(model: &'a Model, store: &StoreModel) -> Target<'a> {
    match object_store(model) {
        Some(s3) => Target::Object { store: s3 },
        None => Target::Volume {
            claim: format!("{}-backups", store.name),
        },
    }
}

/// The key prefix of a store's backups in the object store (`backups/db/`).
pub fn prefix(store: &StoreModel) -> String {
    format!("backups/{}/", store.name)
}

/// The file name of backup `id` of `store` (`db-20261202T210455Z.pgdump`), in a volume and
/// under [`prefix`] in a bucket.
pub fn file_name(store: &StoreModel, id: &str) -> String {
    format!("{}-{id}.{}", store.name, extension(store.kind))
}

/// The command line client that reaches a bucket, from where it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// MinIO's `mc` under the alias `local`; `login` sets the alias from `AWS_ENDPOINT_URL`
    /// and the keys first (a separate pod; the MinIO container itself has it already).
    Mc { login: bool },
    /// The AWS CLI (`aws` on AWS; `awslocal` in LocalStack, which finds the emulator itself).
    Aws { program: &'static str },
}

impl Client {
    /// The client of an `s3` store: its emulator's tool when Berth runs it, the AWS CLI when
    /// it is managed. `own_container`: the commands run in the store's own container.
    pub fn of(s3: &StoreModel, own_container: bool) -> Client {
        if s3.realization == Realized::Managed {
            return Client::Aws { program: "aws" };
        }
        match berth_spec::emulator::for_store(s3.kind, s3.image.as_ref()).map(|e| e.name) {
            Some("localstack") => Client::Aws {
                program: "awslocal",
            },
            _ => Client::Mc {
                login: !own_container,
            },
        }
    }

    fn login(self) -> &'static str {
        match self {
            Client::Mc { login: true } => {
                "mc alias set local \"$AWS_ENDPOINT_URL\" \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" >/dev/null; "
            }
            _ => "",
        }
    }

    /// Shell that copies `file` to `key` in `bucket` (a shell word: a name or `"$S3_BUCKET"`).
    fn put(self, file: &str, bucket: &str, key: &str) -> String {
        match self {
            Client::Mc { .. } => format!("mc cp -q {file} local/{bucket}/{key} >/dev/null"),
            Client::Aws { program } => {
                format!("{program} s3 cp {file} s3://{bucket}/{key} >/dev/null")
            }
        }
    }

    fn get(self, bucket: &str, key: &str, file: &str) -> String {
        match self {
            Client::Mc { .. } => format!("mc cp -q local/{bucket}/{key} {file} >/dev/null"),
            Client::Aws { program } => {
                format!("{program} s3 cp s3://{bucket}/{key} {file} >/dev/null")
            }
        }
    }

    /// Shell that prints the names of the objects under `prefix`, one a line.
    fn list(self, bucket: &str, prefix: &str) -> String {
        match self {
            Client::Mc { .. } => format!("mc ls local/{bucket}/{prefix} | awk '{{print $NF}}'"),
            Client::Aws { program } => {
                format!("{program} s3 ls s3://{bucket}/{prefix} | awk '{{print $NF}}'")
            }
        }
    }

    fn delete(self, bucket: &str, key: &str) -> String {
        match self {
            Client::Mc { .. } => format!("mc rm -q local/{bucket}/{key} >/dev/null"),
            Client::Aws { program } => format!("{program} s3 rm s3://{bucket}/{key} >/dev/null"),
        }
    }
}

/// Shell that uploads every backup of `store` in `dir` to the bucket, then (with
/// `retain_days`) deletes the store's objects older than that: a backup's ID is its UTC time,
/// so age is read from the name and no listing of dates is needed.
pub fn upload(
    client: Client,
    bucket: &str,
    store: &StoreModel,
    dir: &str,
    retain_days: Option<u32>,
) -> String {
    let (name, ext, prefix) = (&store.name, extension(store.kind), prefix(store));
    let put = client.put("\"$f\"", bucket, &format!("{prefix}$(basename \"$f\")"));
    let mut script = format!(
        "set -eu; {}for f in {dir}/{name}-*.{ext}; do {put}; echo \"uploaded s3://{bucket}/{prefix}$(basename \"$f\")\"; done",
        client.login()
    );
    if let Some(days) = retain_days {
        script.push_str(&format!(
            "; cut=$(date -u -d \"@$(( $(date +%s) - {days} * 86400 ))\" +%Y%m%dT%H%M%SZ); \
             {} | while IFS= read -r k; do id=${{k#{name}-}}; id=${{id%%.*}}; \
             if [ \"$id\" \\< \"$cut\" ]; then {}; echo \"removed $k\"; fi; done",
            client.list(bucket, &prefix),
            client.delete(bucket, &format!("{prefix}$k")),
        ));
    }
    script
}

/// Shell that prints the object names of `store`'s backups in the bucket, one a line.
pub fn list(client: Client, bucket: &str, store: &StoreModel) -> String {
    format!("{}{}", client.login(), client.list(bucket, &prefix(store)))
}

/// Shell that downloads backup `id` of `store` (the newest without one) into `dir`.
pub fn fetch(
    client: Client,
    bucket: &str,
    store: &StoreModel,
    id: Option<&str>,
    dir: &str,
) -> String {
    let (name, ext, prefix) = (&store.name, extension(store.kind), prefix(store));
    let pick = match id {
        Some(id) => format!("k={}", file_name(store, id)),
        None => format!(
            "k=$({} | grep -E '^{name}-[0-9TZ]+\\.{ext}$' | sort | tail -n 1)",
            client.list(bucket, &prefix)
        ),
    };
    format!(
        "set -eu; {}{pick}; [ -n \"$k\" ] || {{ echo 'no backup of {name} in s3://{bucket}/{prefix}' >&2; exit 1; }}; \
         {}; echo \"fetched s3://{bucket}/{prefix}$k\"",
        client.login(),
        client.get(bucket, &format!("{prefix}$k"), &format!("{dir}/$k")),
    )
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

/// The CronJob's script: one backup into [`BACKUP_DIR`] under a timestamped name, then (with
/// `retain_days`, a volume target) the backups older than that removed.
pub fn scheduled(store: &StoreModel, host: &str, retain_days: Option<u32>) -> String {
    let name = &store.name;
    let ext = extension(store.kind);
    let mut script = format!(
        "set -eu; f={BACKUP_DIR}/{name}-$(date -u +%Y%m%dT%H%M%SZ).{ext}; \
         ( {} ) > \"$f.part\"; mv \"$f.part\" \"$f\"; echo \"backup $f\"",
        dump(store, host)
    );
    if let Some(days) = retain_days {
        script.push_str(&format!(
            "; find {BACKUP_DIR} -name '{name}-*.{ext}' -mtime +{days} -print -delete"
        ));
    }
    script
}
