//! How a container runs the store types added after the first four (mysql, s3, sqs, sns,
//! opensearch, smtp), locally in compose and in a local cluster: one table of images Berth knows
//! (MySQL/MariaDB, MinIO, LocalStack, OpenSearch, Mailpit, Mailhog), each with its ports, the
//! variables that carry the user, password and database, its data directory, the script that
//! creates the bucket, queue or topic at start, and its readiness check. The compose and
//! Kubernetes renderers both read it; the image of a store picks the row (`image:
//! localstack/localstack:4` makes an s3 store a LocalStack bucket), else the type's default.

use crate::model::StoreModel;
use crate::spec::StoreType;
use crate::ImageRef;

/// The region local AWS emulators answer for (wiring `<NAME>_REGION`).
pub const LOCAL_REGION: &str = "us-east-1";
/// The account id local AWS emulators use in queue URLs and ARNs.
pub const LOCAL_ACCOUNT: &str = "000000000000";

/// One image Berth knows how to run a store with.
#[derive(Debug)]
pub struct Emulator {
    pub name: &'static str,
    /// Last components of the repositories it recognizes (`mariadb`, `localstack`).
    pub images: &'static [&'static str],
    /// The store types it can realize.
    pub types: &'static [StoreType],
    pub port: u16,
    /// Further named ports (web UIs), published next to the main one.
    pub extra_ports: &'static [(&'static str, u16)],
    /// The variable that names the login user, when the image takes one.
    pub user_var: Option<&'static str>,
    /// The variables that carry the store's password (all get the same value).
    pub password_vars: &'static [&'static str],
    /// The variable that names the database, when the image creates one.
    pub db_var: Option<&'static str>,
    /// Fixed variables.
    pub env: &'static [(&'static str, &'static str)],
    pub data_dir: &'static str,
    /// Other directories the image writes (emptyDirs under a read-only root in Kubernetes).
    pub writable: &'static [(&'static str, &'static str)],
    /// The shell script the container runs instead of the image's command (it creates the
    /// bucket, queue or topic of each store the container serves, and the subscriptions between
    /// them), when one is needed.
    pub script: Option<fn(&[&StoreModel]) -> String>,
    /// A shell command that succeeds once the store serves (and what it creates exists).
    pub ready: fn(&StoreModel) -> String,
    /// Whether the AWS keys are the store's user and password (MinIO) or any value (`test`).
    pub keys_are_login: bool,
    /// Whether one container serves every store of an environment it can (one AWS account:
    /// topics deliver to queues), rather than one container per store.
    pub shared: bool,
}

const MYSQL: Emulator = Emulator {
    name: "mysql",
    images: &["mysql", "mariadb", "percona-server"],
    types: &[StoreType::Mysql],
    port: 3306,
    extra_ports: &[],
    user_var: Some("MYSQL_USER"),
    password_vars: &["MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD"],
    db_var: Some("MYSQL_DATABASE"),
    env: &[],
    data_dir: "/var/lib/mysql",
    writable: &[("run", "/var/run/mysqld")],
    script: None,
    ready: |_| {
        // mysqladmin in MySQL images, mariadb-admin in MariaDB 11.
        "mysqladmin ping -h 127.0.0.1 -uroot -p\"$MYSQL_ROOT_PASSWORD\" --silent \
         || mariadb-admin ping -h 127.0.0.1 -uroot -p\"$MYSQL_ROOT_PASSWORD\" --silent"
            .to_string()
    },
    keys_are_login: false,
    shared: false,
};

const MINIO: Emulator = Emulator {
    name: "minio",
    images: &["minio"],
    types: &[StoreType::S3],
    port: 9000,
    extra_ports: &[("console", 9001)],
    user_var: Some("MINIO_ROOT_USER"),
    password_vars: &["MINIO_ROOT_PASSWORD"],
    db_var: None,
    env: &[("MC_CONFIG_DIR", "/tmp/.mc")],
    data_dir: "/data",
    writable: &[],
    script: Some(|group| {
        let buckets: String = group
            .iter()
            .map(|s| format!("mc mb --ignore-existing local/{}; ", s.name))
            .collect();
        format!(
            "minio server /data --address :9000 --console-address :9001 & pid=$!; \
             until mc alias set local http://127.0.0.1:9000 \"$MINIO_ROOT_USER\" \"$MINIO_ROOT_PASSWORD\" >/dev/null 2>&1; \
             do sleep 1; done; {buckets}wait $pid"
        )
    }),
    ready: |s| format!("mc stat local/{} >/dev/null", s.name),
    keys_are_login: true,
    shared: false,
};

const LOCALSTACK: Emulator = Emulator {
    name: "localstack",
    images: &["localstack"],
    types: &[StoreType::S3, StoreType::Sqs, StoreType::Sns],
    port: 4566,
    extra_ports: &[],
    user_var: None,
    password_vars: &[],
    db_var: None,
    env: &[
        ("SERVICES", "s3,sqs,sns"),
        ("AWS_DEFAULT_REGION", LOCAL_REGION),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ],
    data_dir: "/var/lib/localstack",
    writable: &[],
    script: Some(|group| {
        format!(
            "rm -f {m}; docker-entrypoint.sh & pid=$!; \
             until awslocal sts get-caller-identity >/dev/null 2>&1; do sleep 1; done; \
             {} && touch {m}; wait $pid",
            create_all(group),
            m = CREATED,
        )
    }),
    ready: |s| match s.kind {
        StoreType::S3 => format!("awslocal s3api head-bucket --bucket {}", s.name),
        StoreType::Sqs => format!("awslocal sqs get-queue-url --queue-name {}", s.name),
        _ => format!(
            "awslocal sns get-topic-attributes --topic-arn {} >/dev/null",
            topic_arn(&s.name)
        ),
    },
    keys_are_login: false,
    shared: true,
};

const OPENSEARCH: Emulator = Emulator {
    name: "opensearch",
    images: &["opensearch"],
    types: &[StoreType::Opensearch],
    port: 9200,
    extra_ports: &[],
    user_var: None,
    password_vars: &[],
    db_var: None,
    env: &[
        ("discovery.type", "single-node"),
        ("DISABLE_SECURITY_PLUGIN", "true"),
        ("DISABLE_INSTALL_DEMO_CONFIG", "true"),
        ("OPENSEARCH_JAVA_OPTS", "-Xms512m -Xmx512m"),
    ],
    data_dir: "/usr/share/opensearch/data",
    writable: &[("logs", "/usr/share/opensearch/logs")],
    script: None,
    ready: |_| "curl -fsS http://127.0.0.1:9200/_cluster/health >/dev/null".to_string(),
    keys_are_login: false,
    shared: false,
};

const MAILPIT: Emulator = Emulator {
    name: "mailpit",
    images: &["mailpit"],
    types: &[StoreType::Smtp],
    port: 1025,
    extra_ports: &[("web", 8025)],
    user_var: None,
    password_vars: &[],
    db_var: None,
    // Any user and password log in, so workloads are wired as they are on SES.
    env: &[
        ("MP_SMTP_AUTH_ACCEPT_ANY", "1"),
        ("MP_SMTP_AUTH_ALLOW_INSECURE", "1"),
        ("MP_DATABASE", "/data/mailpit.db"),
    ],
    data_dir: "/data",
    writable: &[],
    script: None,
    ready: |_| "/mailpit readyz".to_string(),
    keys_are_login: false,
    shared: false,
};

const MAILHOG: Emulator = Emulator {
    name: "mailhog",
    images: &["mailhog"],
    types: &[StoreType::Smtp],
    port: 1025,
    extra_ports: &[("web", 8025)],
    user_var: None,
    password_vars: &[],
    db_var: None,
    env: &[],
    data_dir: "/data",
    writable: &[],
    script: None,
    ready: |_| "wget -q -O /dev/null http://127.0.0.1:8025/api/v2/messages".to_string(),
    keys_are_login: false,
    shared: false,
};

const ALL: [&Emulator; 6] = [&MYSQL, &MINIO, &LOCALSTACK, &OPENSEARCH, &MAILPIT, &MAILHOG];

/// The emulator that runs a store of type `kind` with `image` (its repository's last component
/// picks the row; another image runs as the type's default row).
pub fn for_store(kind: StoreType, image: Option<&ImageRef>) -> Option<&'static Emulator> {
    let last = image.map(|i| i.repository.rsplit('/').next().unwrap_or_default());
    let rows = || ALL.into_iter().filter(move |e| e.types.contains(&kind));
    rows()
        .find(|e| last.is_some_and(|l| e.images.contains(&l)))
        .or_else(|| rows().next())
}

/// The ARN of a local topic.
pub fn topic_arn(name: &str) -> String {
    format!("arn:aws:sns:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{name}")
}

/// The ARN of a local queue.
pub fn queue_arn(name: &str) -> String {
    format!("arn:aws:sqs:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{name}")
}

/// The dead-letter queue of queue `name`.
pub fn dlq_name(name: &str) -> String {
    format!("{name}-dlq")
}

/// How many receives move a message to the dead-letter queue.
pub const MAX_RECEIVES: u32 = 5;

/// The awslocal commands that create what the stores of one emulator are: queues first, then
/// buckets and topics, then each topic's subscriptions to the queues among them (raw delivery, as
/// on AWS). Idempotent.
fn create_all(group: &[&StoreModel]) -> String {
    let mut ordered: Vec<&&StoreModel> = group.iter().collect();
    ordered.sort_by_key(|s| s.kind != StoreType::Sqs);
    let mut steps: Vec<String> = ordered.iter().map(|s| create(s)).collect();
    for (topic, queue) in subscriptions(group) {
        steps.push(format!(
            "awslocal sns subscribe --topic-arn {} --protocol sqs --notification-endpoint {} \
             --attributes '{{\"RawMessageDelivery\":\"true\"}}' >/dev/null",
            topic_arn(topic),
            queue_arn(queue)
        ));
    }
    steps.join(" && ")
}

/// (topic, queue) for each subscription between stores one emulator serves.
fn subscriptions<'a>(group: &[&'a StoreModel]) -> Vec<(&'a str, &'a str)> {
    let queue = |q: &str| {
        group
            .iter()
            .any(|s| s.name == q && s.kind == StoreType::Sqs)
    };
    group
        .iter()
        .filter(|s| s.kind == StoreType::Sns)
        .flat_map(|t| {
            t.subscribers
                .iter()
                .map(move |q| (t.name.as_str(), q.as_str()))
        })
        .filter(|(_, q)| queue(q))
        .collect()
}

/// The file LocalStack's script writes once everything it creates exists (in its data
/// directory: writable under a read-only root; removed at each start).
const CREATED: &str = "/var/lib/localstack/.berth-created";

impl Emulator {
    /// A shell command that succeeds once every store of `group` (one container's) serves. A
    /// shared emulator's script marks that it created them all (and their subscriptions), so
    /// the check is the mark and one call to the server, not one per store: each `awslocal`
    /// costs a second of CPU, every 5 s.
    pub fn ready_all(&self, group: &[&StoreModel]) -> String {
        match (self.shared, group.first()) {
            (true, Some(first)) => format!("test -f {CREATED} && {}", (self.ready)(first)),
            _ => group
                .iter()
                .map(|s| (self.ready)(s))
                .collect::<Vec<_>>()
                .join(" && "),
        }
    }
}

/// The awslocal commands that create what an AWS-API store is (idempotent).
fn create(s: &StoreModel) -> String {
    let n = &s.name;
    match s.kind {
        StoreType::S3 => format!(
            "awslocal s3api head-bucket --bucket {n} 2>/dev/null || awslocal s3api create-bucket --bucket {n}"
        ),
        StoreType::Sqs => {
            let dlq = dlq_name(n);
            let policy = format!(
                "{{\"RedrivePolicy\":\"{{\\\"deadLetterTargetArn\\\":\\\"{}\\\",\\\"maxReceiveCount\\\":\\\"{MAX_RECEIVES}\\\"}}\"}}",
                queue_arn(&dlq)
            );
            format!(
                "awslocal sqs create-queue --queue-name {dlq} >/dev/null && \
                 awslocal sqs create-queue --queue-name {n} --attributes '{policy}' >/dev/null"
            )
        }
        _ => format!("awslocal sns create-topic --name {n} >/dev/null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_new_type_has_a_default_row() {
        use StoreType::*;
        for t in [Mysql, S3, Sqs, Sns, Opensearch, Smtp] {
            assert!(for_store(t, None).is_some(), "{t}");
        }
        assert!(for_store(Redis, None).is_none());
    }

    #[test]
    fn one_localstack_creates_queues_first_then_subscribes_topics_to_its_own_queues() {
        let spec = "name: t\nstores:\n  events: { type: sns, subscribers: [jobs, far] }\n\
                    \x20 jobs: { type: sqs }\n  far: { type: sqs }\n\
                    environments:\n  local: { platform: compose, stores: { far: host } }\n";
        let src = crate::Source::new("t.yaml", spec.to_string());
        let model = crate::resolve::resolve(&crate::validate(&src).spec.unwrap(), "local").unwrap();
        let group = model.served_by(model.store("events").unwrap());
        let script = (LOCALSTACK.script.unwrap())(&group);
        let queue = script.find("create-queue --queue-name jobs ").unwrap();
        let topic = script.find("create-topic --name events").unwrap();
        let sub = script.find("sns subscribe").unwrap();
        assert!(queue < topic && topic < sub, "{script}");
        assert!(script.contains(&format!("--notification-endpoint {}", queue_arn("jobs"))));
        // `far` runs on the host: no subscription to it here.
        assert!(!script.contains(&queue_arn("far")), "{script}");
        // Marked created only when every step succeeded.
        assert!(
            script.contains(&format!(">/dev/null && touch {CREATED}; wait")),
            "{script}"
        );
        assert!(script.starts_with(&format!("rm -f {CREATED};")), "{script}");
        let ready = LOCALSTACK.ready_all(&group);
        assert!(
            ready.starts_with(&format!("test -f {CREATED} && awslocal sns")),
            "{ready}"
        );
    }

    #[test]
    fn the_image_picks_the_row() {
        let ls = ImageRef::parse("berth-local/localstack:4");
        assert_eq!(
            for_store(StoreType::S3, Some(&ls)).unwrap().name,
            "localstack"
        );
        let maria = ImageRef::parse("mariadb:11.4");
        assert_eq!(
            for_store(StoreType::Mysql, Some(&maria)).unwrap().name,
            "mysql"
        );
        let other = ImageRef::parse("example/s3-proxy:1");
        assert_eq!(
            for_store(StoreType::S3, Some(&other)).unwrap().name,
            "minio"
        );
    }
}
