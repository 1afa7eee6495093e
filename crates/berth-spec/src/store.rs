//! What Berth knows about each store type: its client port and extra ports, its image, login user,
//! URL schemes, whether it has databases, its default memory, and the shape of the connection
//! URL it is wired with. Checks, resolution and import ask this one table.

use crate::image::ImageRef;
use crate::model::EnvValue;
use crate::spec::StoreType;
use crate::version::Version;

/// The facts of one store type.
#[derive(Debug, PartialEq, Eq)]
pub struct StoreFacts {
    pub kind: StoreType,
    /// The standard client port (also the default host port in compose environments).
    pub port: u16,
    /// Further named ports a container of this type serves (and publishes next to the main one).
    pub extra_ports: &'static [(&'static str, u16)],
    /// Repository of the official image; the tag is the store version plus `image_suffix`.
    pub image: &'static str,
    pub image_suffix: &'static str,
    /// Repositories of images that run this store type (what import recognizes).
    pub known_images: &'static [&'static str],
    /// The user workloads log in as.
    pub user: &'static str,
    /// The scheme of the URLs Berth writes.
    pub scheme: &'static str,
    /// The schemes an external URL of this type may use.
    pub schemes: &'static [&'static str],
    /// Whether the store holds named databases (`database:` applies, wiring has `DB`).
    pub has_db: bool,
    /// Default memory request of a container or in-cluster realization, in MiB.
    pub memory_mib: u64,
    /// How clients talk to it: what the wiring holds beyond URL, HOST and PORT.
    pub api: Api,
    /// The image a container runs when the spec gives neither `version` nor `image` (types
    /// whose local realization is an emulator with no version of its own).
    pub default_image: Option<&'static str>,
    /// Whether the host port defaults to `port` (compose, native); else only a written
    /// `publish:` publishes it (emulators of which a stack often runs several: s3, sqs, sns).
    pub publish_by_default: bool,
    /// Whether the managed realization's connection has a user (`<NAME>_USER`).
    pub managed_user: bool,
}

/// How clients of a store type connect, which decides its wiring (docs/wiring.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// A URL with user and password (redis, postgres, mysql, mongodb, rabbitmq, smtp).
    Login,
    /// An AWS API (s3, sqs, sns): endpoint, region, and keys where the realization has them
    /// (none on AWS: the workload's IAM role grants access).
    Aws(&'static [&'static str]),
    /// Plain HTTP(S) (opensearch): URL, HOST, PORT.
    Http,
}

impl Api {
    /// The wiring variables beyond URL, HOST, PORT, USER, PASSWORD and DB (suffixes).
    pub fn extra_vars(self) -> &'static [&'static str] {
        match self {
            Api::Aws(vars) => vars,
            Api::Login | Api::Http => &[],
        }
    }
}

const REDIS: StoreFacts = StoreFacts {
    kind: StoreType::Redis,
    port: 6379,
    extra_ports: &[],
    image: "redis",
    image_suffix: "",
    known_images: &["redis", "valkey", "redis-stack-server"],
    user: "default",
    scheme: "redis",
    schemes: &["redis", "rediss"],
    has_db: false,
    memory_mib: 256,
    api: Api::Login,
    default_image: None,
    publish_by_default: true,
    managed_user: false,
};

const POSTGRES: StoreFacts = StoreFacts {
    kind: StoreType::Postgres,
    port: 5432,
    extra_ports: &[],
    image: "postgres",
    image_suffix: "",
    known_images: &["postgres", "postgresql", "postgis"],
    user: "app",
    scheme: "postgres",
    schemes: &["postgres", "postgresql"],
    has_db: true,
    memory_mib: 256,
    api: Api::Login,
    default_image: None,
    publish_by_default: true,
    managed_user: true,
};

const MONGODB: StoreFacts = StoreFacts {
    kind: StoreType::Mongodb,
    port: 27017,
    extra_ports: &[],
    image: "mongo",
    image_suffix: "",
    known_images: &["mongo", "mongodb", "mongodb-community-server"],
    user: "app",
    scheme: "mongodb",
    schemes: &["mongodb", "mongodb+srv"],
    has_db: true,
    memory_mib: 512,
    api: Api::Login,
    default_image: None,
    publish_by_default: true,
    managed_user: true,
};

const RABBITMQ: StoreFacts = StoreFacts {
    kind: StoreType::Rabbitmq,
    port: 5672,
    extra_ports: &[("management", 15672)],
    image: "rabbitmq",
    image_suffix: "-management",
    known_images: &["rabbitmq"],
    user: "app",
    scheme: "amqp",
    schemes: &["amqp", "amqps"],
    has_db: false,
    memory_mib: 512,
    api: Api::Login,
    default_image: None,
    publish_by_default: true,
    managed_user: false,
};

const MYSQL: StoreFacts = StoreFacts {
    kind: StoreType::Mysql,
    port: 3306,
    extra_ports: &[],
    image: "mysql",
    image_suffix: "",
    known_images: &["mysql", "mariadb", "percona-server"],
    user: "app",
    scheme: "mysql",
    schemes: &["mysql", "mariadb"],
    has_db: true,
    memory_mib: 512,
    api: Api::Login,
    default_image: None,
    publish_by_default: true,
    managed_user: true,
};

const S3: StoreFacts = StoreFacts {
    kind: StoreType::S3,
    port: 9000,
    extra_ports: &[("console", 9001)],
    image: "minio/minio",
    image_suffix: "",
    known_images: &["minio"],
    user: "app",
    scheme: "http",
    schemes: &["http", "https", "s3"],
    has_db: false,
    memory_mib: 256,
    api: Api::Aws(&[
        "BUCKET",
        "ENDPOINT",
        "REGION",
        "ACCESS_KEY_ID",
        "SECRET_ACCESS_KEY",
    ]),
    default_image: Some("minio/minio:RELEASE.2025-04-22T22-12-26Z"),
    publish_by_default: false,
    managed_user: false,
};

const SQS: StoreFacts = StoreFacts {
    kind: StoreType::Sqs,
    port: 4566,
    extra_ports: &[],
    image: "localstack/localstack",
    image_suffix: "",
    known_images: &["elasticmq-native", "elasticmq"],
    user: "app",
    scheme: "http",
    schemes: &["http", "https"],
    has_db: false,
    memory_mib: 512,
    api: Api::Aws(&[
        "QUEUE_URL",
        "DLQ_URL",
        "ENDPOINT",
        "REGION",
        "ACCESS_KEY_ID",
        "SECRET_ACCESS_KEY",
    ]),
    default_image: Some("localstack/localstack:4.0.3"),
    publish_by_default: false,
    managed_user: false,
};

const SNS: StoreFacts = StoreFacts {
    kind: StoreType::Sns,
    port: 4566,
    extra_ports: &[],
    image: "localstack/localstack",
    image_suffix: "",
    known_images: &[],
    user: "app",
    scheme: "http",
    schemes: &["http", "https"],
    has_db: false,
    memory_mib: 512,
    api: Api::Aws(&[
        "TOPIC_ARN",
        "ENDPOINT",
        "REGION",
        "ACCESS_KEY_ID",
        "SECRET_ACCESS_KEY",
    ]),
    default_image: Some("localstack/localstack:4.0.3"),
    publish_by_default: false,
    managed_user: false,
};

const OPENSEARCH: StoreFacts = StoreFacts {
    kind: StoreType::Opensearch,
    port: 9200,
    extra_ports: &[],
    image: "opensearchproject/opensearch",
    image_suffix: "",
    known_images: &["opensearch"],
    user: "admin",
    scheme: "http",
    schemes: &["http", "https"],
    has_db: false,
    memory_mib: 1024,
    api: Api::Http,
    default_image: None,
    publish_by_default: true,
    managed_user: false,
};

const SMTP: StoreFacts = StoreFacts {
    kind: StoreType::Smtp,
    port: 1025,
    extra_ports: &[("web", 8025)],
    image: "axllent/mailpit",
    image_suffix: "",
    known_images: &["mailpit", "mailhog"],
    user: "app",
    scheme: "smtp",
    schemes: &["smtp", "smtps"],
    has_db: false,
    memory_mib: 128,
    api: Api::Login,
    default_image: Some("axllent/mailpit:v1.21.8"),
    publish_by_default: true,
    managed_user: true,
};

/// Every store type's facts.
pub const ALL: [&StoreFacts; 10] = [
    &REDIS,
    &POSTGRES,
    &MONGODB,
    &RABBITMQ,
    &MYSQL,
    &S3,
    &SQS,
    &SNS,
    &OPENSEARCH,
    &SMTP,
];

/// The facts of a store type.
pub fn facts(kind: StoreType) -> &'static StoreFacts {
    ALL.into_iter()
        .find(|f| f.kind == kind)
        .expect("every store type has facts")
}

/// The store type an image runs, recognized by the last component of its repository.
pub fn recognize(image: &ImageRef) -> Option<StoreType> {
    let last = image.repository.rsplit('/').next().unwrap_or_default();
    ALL.into_iter()
        .find(|f| f.known_images.contains(&last))
        .map(|f| f.kind)
}

impl StoreFacts {
    /// Whether the store's credentials are a user and password (else keys, or none).
    pub fn login(&self) -> bool {
        self.api == Api::Login
    }

    /// The `${store.field}` fields a store of this type with `replicas` members and `shards`
    /// shards, served through a CDN or not (`cdn`, s3), is wired with.
    pub fn fields(&self, replicas: u32, shards: u32, cdn: bool) -> Vec<&'static str> {
        let mut f = vec!["url", "host", "port"];
        if self.login() {
            f.extend(["user", "password"]);
        }
        if self.has_db {
            f.push("db");
        }
        if self.read_replicas() && replicas > 1 {
            f.push("read_url");
        }
        if self.kind == StoreType::Redis && shards > 1 {
            f.push("cluster");
        }
        let extra = self.api.extra_vars().iter();
        f.extend(extra.filter_map(|v| {
            crate::template::FIELDS
                .iter()
                .copied()
                .find(|f| f.eq_ignore_ascii_case(v))
        }));
        if self.kind == StoreType::S3 && cdn {
            f.push("cdn_url");
        }
        f
    }

    /// The port of the managed (AWS) realization: the engine's, HTTPS for APIs, 587 for SES.
    pub fn managed_port(&self) -> u16 {
        match (self.api, self.kind) {
            (Api::Aws(_) | Api::Http, _) => 443,
            (_, StoreType::Smtp) => 587,
            _ => self.port,
        }
    }

    /// Whether the managed realization lives outside the VPC (reached over the internet or a
    /// VPC endpoint), so egress to it is not limited to the database subnets.
    pub fn managed_outside_vpc(&self) -> bool {
        matches!(self.api, Api::Aws(_)) || self.kind == StoreType::Smtp
    }

    /// Whether `replicas` on a managed store means read replicas (`<NAME>_READ_URL`).
    pub fn read_replicas(&self) -> bool {
        matches!(self.kind, StoreType::Postgres | StoreType::Mysql)
    }

    /// The official image of `version` (`rabbitmq:3.13-management`).
    pub fn image_for(&self, version: &Version) -> ImageRef {
        ImageRef::parse(&format!("{}:{version}{}", self.image, self.image_suffix))
    }

    /// The URL a workload is wired with for a store Berth runs:
    /// `scheme://user:<password>@hosts` and the type's path (`/0` for redis, the database for
    /// postgres and mongodb — with `authSource=admin` and the replica set — and the default
    /// vhost `/%2f` for rabbitmq).
    pub fn url(
        &self,
        password: &EnvValue,
        hosts: &str,
        db: Option<&str>,
        replica_set: Option<&str>,
    ) -> EnvValue {
        let head = EnvValue::lit(format!("{}://{}:", self.scheme, self.user));
        let db = db.unwrap_or_default();
        let tail = match self.kind {
            StoreType::Redis => format!("@{hosts}/0"),
            StoreType::Postgres => format!("@{hosts}/{db}"),
            StoreType::Mongodb => match replica_set {
                Some(rs) => format!("@{hosts}/{db}?authSource=admin&replicaSet={rs}"),
                None => format!("@{hosts}/{db}?authSource=admin"),
            },
            StoreType::Rabbitmq => format!("@{hosts}/%2f"),
            StoreType::Mysql => format!("@{hosts}/{db}"),
            _ => format!("@{hosts}"),
        };
        EnvValue::concat([head, password.clone(), EnvValue::lit(tail)])
    }
}

/// Whether Berth backs up a store of this type (`backup:`; B2186 on the others).
pub fn has_backups(kind: StoreType) -> bool {
    matches!(
        kind,
        StoreType::Postgres
            | StoreType::Mongodb
            | StoreType::Redis
            | StoreType::Rabbitmq
            | StoreType::Mysql
    )
}

/// The programs a store realized `process` needs on the host's PATH (native `berth dev`); empty
/// for the types Berth does not run as host processes.
pub fn process_programs(kind: StoreType) -> &'static [&'static str] {
    match kind {
        StoreType::Redis => &["redis-server"],
        StoreType::Postgres => &["initdb", "postgres"],
        _ => &[],
    }
}

/// The server program a store image's command starts (`args` follow it), for the types whose
/// command Berth can extend.
pub fn server_program(kind: StoreType) -> Option<&'static str> {
    match kind {
        StoreType::Postgres => Some("postgres"),
        StoreType::Mongodb => Some("mongod"),
        StoreType::Redis => Some("redis-server"),
        StoreType::Mysql => Some("mysqld"),
        StoreType::Rabbitmq
        | StoreType::S3
        | StoreType::Sqs
        | StoreType::Sns
        | StoreType::Opensearch
        | StoreType::Smtp => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_its_facts() {
        assert_eq!(ALL.len(), StoreType::ALL.len());
        for f in ALL {
            let t = f.kind;
            assert_eq!(facts(t).kind, t);
            assert!(facts(t).schemes.contains(&facts(t).scheme));
        }
        assert_eq!(facts(StoreType::Postgres).port, 5432);
    }

    #[test]
    fn images() {
        let v = Version::parse("3.13").unwrap();
        let image = facts(StoreType::Rabbitmq).image_for(&v);
        assert_eq!(image.to_string(), "rabbitmq:3.13-management");
        assert_eq!(recognize(&image), Some(StoreType::Rabbitmq));
        let valkey = ImageRef::parse("docker.io/valkey/valkey:8");
        assert_eq!(recognize(&valkey), Some(StoreType::Redis));
        assert_eq!(recognize(&ImageRef::parse("nginx:1.27")), None);
    }

    #[test]
    fn only_a_sharded_redis_has_the_cluster_field() {
        let redis = facts(StoreType::Redis);
        assert!(redis.fields(2, 3, false).contains(&"cluster"));
        assert!(!redis.fields(2, 1, false).contains(&"cluster"));
        assert!(!facts(StoreType::Postgres)
            .fields(2, 3, false)
            .contains(&"cluster"));
        assert!(crate::template::FIELDS.contains(&"cluster"));
    }

    #[test]
    fn only_an_s3_store_with_a_cdn_has_the_cdn_url_field() {
        let s3 = facts(StoreType::S3);
        assert!(s3.fields(1, 1, true).contains(&"cdn_url"));
        assert!(!s3.fields(1, 1, false).contains(&"cdn_url"));
        assert!(!facts(StoreType::Sqs)
            .fields(1, 1, true)
            .contains(&"cdn_url"));
        assert!(crate::template::FIELDS.contains(&"cdn_url"));
    }

    #[test]
    fn urls() {
        let pw = EnvValue::secret("db-password", "value");
        let url = facts(StoreType::Mongodb).url(&pw, "m:27017", Some("app"), Some("rs0"));
        let text = url.render(|s, _| format!("<{s}>"));
        assert_eq!(
            text,
            "mongodb://app:<db-password>@m:27017/app?authSource=admin&replicaSet=rs0"
        );
    }
}
