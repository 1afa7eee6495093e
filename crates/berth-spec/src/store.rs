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
};

/// The facts of a store type.
pub fn facts(kind: StoreType) -> &'static StoreFacts {
    match kind {
        StoreType::Redis => &REDIS,
        StoreType::Postgres => &POSTGRES,
        StoreType::Mongodb => &MONGODB,
        StoreType::Rabbitmq => &RABBITMQ,
    }
}

/// The store type an image runs, recognized by the last component of its repository.
pub fn recognize(image: &ImageRef) -> Option<StoreType> {
    let last = image.repository.rsplit('/').next().unwrap_or_default();
    [REDIS, POSTGRES, MONGODB, RABBITMQ]
        .into_iter()
        .find(|f| f.known_images.contains(&last))
        .map(|f| f.kind)
}

impl StoreFacts {
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
        };
        EnvValue::concat([head, password.clone(), EnvValue::lit(tail)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_its_facts() {
        for t in [
            StoreType::Redis,
            StoreType::Postgres,
            StoreType::Mongodb,
            StoreType::Rabbitmq,
        ] {
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
