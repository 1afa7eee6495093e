//! Resolution: one environment of a checked spec → a fully resolved [`Model`]. Pure: defaults,
//! `extends` (read through [`crate::extends`]), store realizations, secret sources and the
//! wiring contract (docs/wiring.md).

mod context;
pub mod delivery;
mod infra;
pub(crate) mod observe;
mod resources;
mod stores;
mod workloads;

use crate::extends::{Chain, End};
use crate::model::Model;
use crate::spec::Spec;
use context::Resolver;

pub use stores::{share_emulators, url_host_port};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("unknown environment `{name}`; {help}")]
    UnknownEnvironment { name: String, help: String },
    #[error("environment `{0}` has no platform (set `platform:` or `extends:`)")]
    NoPlatform(String),
}

fn unknown_environment(spec: &Spec, name: &str) -> ResolveError {
    ResolveError::UnknownEnvironment {
        name: name.to_string(),
        help: crate::diag::unknown_help(
            name,
            "environments",
            spec.environments.keys().map(|k| k.value.as_str()),
        ),
    }
}

/// Resolve environment `env_name` of a spec that passed its checks.
pub fn resolve(spec: &Spec, env_name: &str) -> Result<Model, ResolveError> {
    let chain = Chain::of(spec, env_name).ok_or_else(|| unknown_environment(spec, env_name))?;
    if let End::Unknown(parent) = chain.end() {
        return Err(unknown_environment(spec, parent));
    }
    let platform = chain
        .inherit(|e| e.platform.as_ref())
        .ok_or_else(|| ResolveError::NoPlatform(env_name.to_string()))?
        .value;
    let setting = |f: fn(&crate::spec::Environment) -> Option<&crate::source::Spanned<String>>| {
        chain.inherit(f).map(|v| v.value.clone())
    };
    let stack = spec.name.value.clone();
    let tag = setting(|e| e.tag.as_ref())
        .or_else(|| spec.version.as_ref().map(|v| v.value.clone()))
        .unwrap_or_else(|| "dev".to_string());
    let mut r = Resolver::new(spec, &chain, platform);
    let mut stores: Vec<_> = spec
        .stores
        .iter()
        .map(|(name, store)| stores::store(&mut r, name, store))
        .collect();
    stores::share_emulators(&mut stores);
    let workloads = workloads::workloads(&mut r, &stores, &tag);
    Ok(Model {
        environment: env_name.to_string(),
        platform,
        cluster: r.cluster,
        cloud: r.cloud,
        region: setting(|e| e.region.as_ref()),
        domain: r.domain.map(str::to_string),
        namespace: setting(|e| e.namespace.as_ref()).unwrap_or_else(|| stack.clone()),
        registry: spec.registry.as_ref().map(|r| r.value.clone()),
        tag,
        production: chain.production(),
        stores,
        workloads,
        secrets: r.secrets.into_values().collect(),
        infra: r.cloud.map(|_| infra::infra_model(&stack, &chain)),
        repository: spec.repository.as_ref().map(delivery::repository),
        observability: r.observability,
        stack,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn spec(text: &str) -> Spec {
        let src = crate::Source::new("t.yaml", text.to_string());
        let loaded = crate::validate(&src);
        assert!(!loaded.diagnostics.iter().any(|d| d.is_error()));
        loaded.spec.unwrap()
    }

    #[test]
    fn host_stores_in_a_cluster_are_reached_by_name_and_cloud_passwords_live_in_aws() {
        let s = spec(
            "name: t\nservices:\n  api: { image: \"a/b:1\", uses: [redis, pg] }\n\
             stores:\n  redis: { type: redis, version: \"7\" }\n  pg: { type: postgres, version: \"16\" }\n\
             environments:\n  local: { platform: compose, stores: { redis: host } }\n\
             \x20 mk: { platform: kubernetes, cluster: minikube, stores: { redis: host } }\n\
             \x20 cloud: { platform: kubernetes, cloud: aws, region: us-east-1, stores: { redis: in-cluster } }\n",
        );
        let mk = resolve(&s, "mk").unwrap();
        let redis = mk.store("redis").unwrap();
        assert_eq!(
            redis.realization,
            Realized::Host {
                address: "host.minikube.internal".into()
            }
        );
        assert_eq!(redis.wiring.host, EnvValue::lit("redis"));
        let local = resolve(&s, "local").unwrap();
        assert_eq!(
            local.store("redis").unwrap().wiring.host,
            EnvValue::lit("host.docker.internal")
        );
        assert_eq!(
            mk.secret("redis-password").unwrap().source,
            SecretSource::Generate { length: 32 }
        );
        let cloud = resolve(&s, "cloud").unwrap();
        assert_eq!(
            cloud.secret("redis-password").unwrap().source,
            SecretSource::Aws {
                name: "t/cloud/redis-password".into(),
                generate: Some(32)
            }
        );
        assert!(matches!(
            cloud.secret("pg-connection").unwrap().source,
            SecretSource::Aws { generate: None, .. }
        ));
    }

    #[test]
    fn sharded_redis_is_a_cluster_where_it_is_managed_or_external_and_one_node_elsewhere() {
        let s = spec(
            "name: t\nservices:\n  api: { image: \"a/b:1\", uses: [cache, pg], env: { MODE: \"${cache.cluster}\" } }\n\
             stores:\n  cache: { type: redis, version: \"7.2\", shards: 3, replicas: 2 }\n  pg: { type: postgres, version: \"16\" }\n\
             environments:\n  local: { platform: compose }\n\
             \x20 kind: { platform: kubernetes, cluster: kind }\n\
             \x20 cloud: { platform: kubernetes, cloud: aws, region: us-east-1 }\n\
             \x20 shared: { platform: compose, stores: { cache: { external: \"rediss://cache.example.com:6379\" } } }\n",
        );
        let cluster = |env: &str| {
            let m = resolve(&s, env).unwrap();
            let cache = m.store("cache").unwrap().clone();
            assert_eq!((cache.shards, cache.replicas), (3, 2), "{env}");
            assert!(!m.store("pg").unwrap().wiring.extra.contains_key("CLUSTER"));
            let api = m.workload("api").unwrap();
            let var = |n: &str| {
                api.env
                    .iter()
                    .find(|v| v.name == n)
                    .map(|v| v.value.clone())
            };
            assert_eq!(var("MODE"), var("CACHE_CLUSTER"), "{env}");
            (cache, var("CACHE_CLUSTER"))
        };
        let (cloud, var) = cluster("cloud");
        assert_eq!(cloud.realization, Realized::Managed);
        assert_eq!(var, Some(EnvValue::lit("true")));
        // The host is the connection secret's: Terraform writes the configuration endpoint.
        assert_eq!(
            cloud.wiring.host,
            EnvValue::secret("cache-connection", "host")
        );
        assert_eq!(cluster("shared").1, Some(EnvValue::lit("true")));
        for env in ["local", "kind"] {
            assert_eq!(cluster(env).1, Some(EnvValue::lit("false")), "{env}");
        }
        // One shard: no cluster mode, no variable, and the model stays as it was.
        let single = spec(
            "name: t\nservices:\n  api: { image: \"a/b:1\", uses: [cache] }\n\
             stores:\n  cache: { type: redis, version: \"7.2\", shards: 1 }\n\
             environments:\n  cloud: { platform: kubernetes, cloud: aws, region: us-east-1 }\n",
        );
        let m = resolve(&single, "cloud").unwrap();
        let cache = m.store("cache").unwrap();
        assert!(cache.wiring.extra.is_empty());
        assert!(serde_json::to_value(cache).unwrap().get("shards").is_none());
    }

    #[test]
    fn a_bucket_with_a_cdn_is_wired_with_its_cdn_url_in_every_environment() {
        let s = spec(
            "name: t\nservices:\n  api: { image: \"a/b:1\", uses: [media, files], env: { MEDIA: \"${media.cdn_url}/img\" } }\n\
             stores:\n  media: { type: s3, cdn: true }\n  files: { type: s3 }\n\
             environments:\n  local: { platform: compose }\n\
             \x20 kind: { platform: kubernetes, cluster: kind }\n\
             \x20 cloud: { platform: kubernetes, cloud: aws, region: us-east-1 }\n\
             \x20 shared: { platform: compose, stores: { media: { external: \"https://s3.example.com\" } } }\n",
        );
        let wired = |env: &str| {
            let m = resolve(&s, env).unwrap();
            assert!(m.store("media").unwrap().cdn, "{env}");
            assert!(!m.store("files").unwrap().cdn, "{env}");
            let api = m.workload("api").unwrap();
            let var = |n: &str| {
                api.env
                    .iter()
                    .find(|v| v.name == n)
                    .map(|v| v.value.clone())
            };
            assert_eq!(var("FILES_CDN_URL"), None, "{env}");
            (m.clone(), var("MEDIA_CDN_URL"), var("MEDIA"))
        };
        // On AWS: the distribution's URL, which Terraform writes into the connection secret.
        let (cloud, url, media) = wired("cloud");
        let key = EnvValue::secret("media-connection", "cdn_url");
        assert_eq!(url, Some(key.clone()));
        assert_eq!(media, Some(EnvValue::concat([key, EnvValue::lit("/img")])));
        let secret = cloud.secret("media-connection").unwrap();
        assert!(secret.keys.iter().any(|k| k == "cdn_url"));
        let files = cloud.secret("files-connection").unwrap();
        assert!(!files.keys.iter().any(|k| k == "cdn_url"));
        // Where an emulator runs the bucket: its own path-style URL.
        for env in ["local", "kind"] {
            let (_, url, media) = wired(env);
            let local = "http://media:9000/media"; // MinIO: ENDPOINT/BUCKET
            assert_eq!(url, Some(EnvValue::lit(local)), "{env}");
            assert_eq!(media, Some(EnvValue::lit(format!("{local}/img"))), "{env}");
        }
        // An external bucket's CDN is not Berth's to know.
        assert_eq!(wired("shared").1, None);
    }

    #[test]
    fn one_localstack_serves_the_aws_stores_of_an_environment() {
        let s = spec(
            "name: t\nservices:\n  api: { image: \"a/b:1\", uses: [files, events, jobs, other] }\n\
             stores:\n  files: { type: s3 }\n  events: { type: sns, subscribers: [jobs] }\n\
             \x20 jobs: { type: sqs }\n  other: { type: sqs, image: \"localstack/localstack:3\" }\n\
             environments:\n  local: { platform: compose }\n\
             \x20 aws: { platform: kubernetes, cloud: aws, region: us-east-1 }\n",
        );
        let local = resolve(&s, "local").unwrap();
        let served = |m: &Model, n: &str| m.store(n).unwrap().served_by.clone();
        // MinIO runs the bucket on its own; the first LocalStack store runs the others.
        assert_eq!(served(&local, "files"), None);
        assert_eq!(served(&local, "events"), None);
        assert_eq!(served(&local, "jobs"), Some("events".into()));
        // Another image is another container.
        assert_eq!(served(&local, "other"), None);
        let names: Vec<&str> = local
            .served_by(local.store("events").unwrap())
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["events", "jobs"]);
        // Workloads still reach the queue by its own name.
        assert_eq!(
            local.store("jobs").unwrap().wiring.extra["QUEUE_URL"],
            EnvValue::lit("http://jobs:4566/000000000000/jobs")
        );
        // Managed stores share nothing.
        let aws = resolve(&s, "aws").unwrap();
        assert!(aws.stores.iter().all(|st| st.served_by.is_none()));
    }

    #[test]
    fn url_parts() {
        assert_eq!(
            url_host_port("mongodb://u:p@db.example.com:27017/app?x=1"),
            Some(("db.example.com".into(), 27017))
        );
    }
}
