//! Terraform renderer: structure, the Kubernetes contract, snapshots, and the oracles
//! (`terraform fmt -check`, `terraform init -backend=false` + `validate` from the local provider
//! mirror, one batched `checkov` run over every cloud environment of every example, and the redis
//! module planned against moto).

use berth_render::terraform;
use berth_render::ArtifactSet;
use berth_spec::model::{SecretSource, SubnetTier};
use berth_spec::{Model, Source, Spec};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn spec(example: &str) -> Spec {
    let path = repo().join(format!("examples/{example}/berth.yaml"));
    let text = std::fs::read_to_string(&path).unwrap();
    let src = Source::new(path.display().to_string(), text);
    berth_spec::validate_strict(&src).unwrap_or_else(|e| panic!("{e}"))
}

/// Every cloud environment of an example, resolved.
fn cloud_models(example: &str) -> Vec<Model> {
    let spec = spec(example);
    spec.environments
        .keys()
        .map(|k| berth_spec::resolve(&spec, &k.value).unwrap())
        .filter(|m| m.cloud.is_some())
        .collect()
}

const CLOUD_EXAMPLES: &[&str] = &["srvthreds", "mindflow", "comind-ops", "automation-center"];

fn write(set: &ArtifactSet, dir: &Path) {
    for (path, bytes) in set.iter() {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The text with runs of spaces inside lines collapsed (indentation kept), so assertions do not
/// depend on `=` alignment.
fn squash(text: &str) -> String {
    text.lines()
        .map(|l| {
            let indent = l.len() - l.trim_start().len();
            let words: Vec<&str> = l.split(' ').filter(|p| !p.is_empty()).collect();
            format!("{}{}", &l[..indent], words.join(" "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn hcl_of(set: &ArtifactSet, path: &str) -> String {
    set.get_str(path)
        .unwrap_or_else(|| panic!("no {path} in {:?}", set.paths().collect::<Vec<_>>()))
        .to_string()
}

#[test]
fn every_example_has_the_expected_cloud_environments() {
    let envs: Vec<(String, String)> = CLOUD_EXAMPLES
        .iter()
        .flat_map(|e| {
            cloud_models(e)
                .into_iter()
                .map(move |m| (e.to_string(), m.environment))
        })
        .collect();
    assert!(envs.len() >= 7, "{envs:?}");
    assert!(envs.contains(&("srvthreds".into(), "prod".into())));
}

#[test]
fn files_of_an_environment_and_only_the_modules_it_uses() {
    let models = cloud_models("comind-ops");
    let staging = models.iter().find(|m| m.environment == "staging").unwrap();
    let set = terraform::render(staging);
    let paths: Vec<&str> = set.paths().collect();
    for f in [
        "versions.tf",
        "providers.tf",
        "variables.tf",
        "main.tf",
        "outputs.tf",
    ] {
        assert!(
            paths.contains(&format!("terraform/envs/staging/{f}").as_str()),
            "{paths:?}"
        );
    }
    // comind-ops staging: postgres managed, redis in the cluster.
    assert!(paths.contains(&"terraform/modules/postgres/main.tf"));
    assert!(!paths
        .iter()
        .any(|p| p.starts_with("terraform/modules/redis/")));
    assert!(!paths
        .iter()
        .any(|p| p.starts_with("terraform/modules/mongodb/")));
    let main = hcl_of(&set, "terraform/envs/staging/main.tf");
    assert!(main.contains("module \"store_postgres\""), "{main}");
    assert!(!main.contains("store_redis"), "{main}");
}

#[test]
fn managed_store_secrets_follow_the_kubernetes_contract() {
    for example in CLOUD_EXAMPLES {
        for model in cloud_models(example) {
            let set = terraform::render(&model);
            let main = squash(&hcl_of(
                &set,
                &format!("terraform/envs/{}/main.tf", model.environment),
            ));
            for store in model
                .stores
                .iter()
                .filter(|s| s.realization == berth_spec::model::Realized::Managed)
            {
                let secret = model.secret(&format!("{}-connection", store.name)).unwrap();
                let SecretSource::Aws { name, .. } = &secret.source else {
                    panic!("{}: connection secret not in AWS", store.name)
                };
                assert_eq!(
                    name,
                    &format!("{}/{}/{}", model.stack, model.environment, store.name)
                );
                assert!(
                    main.contains(&format!("secret_name = \"{name}\"")),
                    "{example}/{}: {name} not written\n{main}",
                    model.environment
                );
                let module = match store.kind {
                    berth_spec::StoreType::Postgres => "postgres",
                    berth_spec::StoreType::Redis => "redis",
                    berth_spec::StoreType::Mongodb => "mongodb",
                    berth_spec::StoreType::Rabbitmq => "rabbitmq",
                    berth_spec::StoreType::Mysql => "mysql",
                    // Buckets, queues, topics, domains, SES: their own secret (tests/platform.rs).
                    _ => continue,
                };
                // read_url follows when the store has read replicas.
                assert_eq!(
                    secret.keys[..5],
                    ["url", "host", "port", "user", "password"]
                );
                // The store module hands its endpoint to modules/store-access, which writes
                // the connection secret with the contract's keys.
                let text = hcl_of(&set, &format!("terraform/modules/{module}/main.tf"));
                assert!(
                    text.contains("source                = \"../store-access\"")
                        && text.contains("  host                  = "),
                    "{module} does not use store-access"
                );
                let access = hcl_of(&set, "terraform/modules/store-access/main.tf");
                let conn = &access[access
                    .find("\"aws_secretsmanager_secret_version\" \"connection\"")
                    .unwrap()..];
                for key in &secret.keys {
                    assert!(
                        conn.contains(&format!("\n    {key} ")),
                        "store-access: key {key} missing"
                    );
                }
            }
        }
    }
}

#[test]
fn subnets_are_the_model_plan_and_stores_admit_the_private_tier() {
    let models = cloud_models("srvthreds");
    let dev = models.iter().find(|m| m.environment == "dev").unwrap();
    let infra = dev.infra.as_ref().unwrap();
    let set = terraform::render(dev);
    let main = squash(&hcl_of(&set, "terraform/envs/dev/main.tf"));
    let list = |v: Vec<String>| {
        format!(
            "[{}]",
            v.iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let private = list(infra.subnets(SubnetTier::Private));
    assert!(
        main.contains(&format!("private_subnets = {private}")),
        "{main}"
    );
    assert!(main.contains(&format!(
        "database_subnets = {}",
        list(infra.subnets(SubnetTier::Database))
    )));
    assert!(
        main.contains(&format!("allowed_cidrs = {private}")),
        "{main}"
    );
}

#[test]
fn generated_declared_secrets_are_created_with_their_length_and_external_ones_only_named() {
    let models = cloud_models("srvthreds");
    let prod = models.iter().find(|m| m.environment == "prod").unwrap();
    let set = terraform::render(prod);
    let main = hcl_of(&set, "terraform/envs/prod/main.tf");
    assert!(
        main.contains("\"srvthreds/prod/jwt-secret\" = 64"),
        "{main}"
    );
    // cloudamqp-password exists already (aws: srvthreds/prod/cloudamqp): read, not created.
    assert!(!main.contains("\"srvthreds/prod/cloudamqp\" ="), "{main}");
    assert!(
        main.contains("\"srvthreds/prod/cloudamqp\""),
        "IRSA must be allowed to read it"
    );
    let outputs = hcl_of(&set, "terraform/envs/prod/outputs.tf");
    assert!(outputs.contains("cloudamqp-password"), "{outputs}");
}

#[test]
fn sizes_come_from_the_model() {
    let models = cloud_models("comind-ops");
    let prod = models.iter().find(|m| m.environment == "prod").unwrap();
    let main = squash(&hcl_of(
        &terraform::render(prod),
        "terraform/envs/prod/main.tf",
    ));
    assert!(
        main.contains("node_instance_type = \"m6i.large\""),
        "{main}"
    );
    assert!(main.contains("node_desired = 4"), "{main}");
    assert!(main.contains("multi_az = true"), "{main}");
    let versions = squash(&hcl_of(
        &terraform::render(prod),
        "terraform/envs/prod/versions.tf",
    ));
    assert!(versions.contains("use_lockfile = true"), "{versions}");
    assert!(
        versions.contains("bucket = \"comind-ops-prod-tfstate\""),
        "{versions}"
    );
}

#[test]
fn render_is_deterministic() {
    for model in cloud_models("mindflow") {
        assert_eq!(terraform::render(&model), terraform::render(&model));
    }
}

#[test]
fn emulator_tfvars_turn_off_only_declared_toggles() {
    let models = cloud_models("comind-ops");
    let staging = models.iter().find(|m| m.environment == "staging").unwrap();
    let tfvars = squash(&terraform::emulator_tfvars(staging));
    assert!(tfvars.contains("enable_eks_addons = false"), "{tfvars}");
    // no redis/mongodb managed in comind-ops staging: those toggles are not declared.
    assert!(!tfvars.contains("enable_elasticache"), "{tfvars}");
    assert!(!tfvars.contains("enable_documentdb"), "{tfvars}");
    let vars = hcl_of(
        &terraform::render(staging),
        "terraform/envs/staging/variables.tf",
    );
    for line in tfvars.lines().filter(|l| !l.starts_with('#')) {
        let name = line.split('=').next().unwrap().trim();
        assert!(
            vars.contains(&format!("variable \"{name}\"")),
            "{name} undeclared"
        );
    }
}

/// The `module "NAME"` block of a root's main.tf (squashed).
fn module_block<'a>(main: &'a str, name: &str) -> Option<&'a str> {
    let start = main.find(&format!("module \"{name}\" {{"))?;
    let end = main[start..].find("\n}").map_or(main.len(), |e| start + e);
    Some(&main[start..end])
}

/// The `name = "..."` a store module is given.
fn store_name(main: &str, store: &str) -> String {
    let block = module_block(main, &format!("store_{}", store.replace('-', "_"))).unwrap();
    let line = block.lines().find(|l| l.starts_with("  name = ")).unwrap();
    line.split('"').nth(1).unwrap().to_string()
}

#[test]
fn observability_module_has_log_groups_per_workload_and_alarms_for_every_managed_store() {
    use berth_spec::StoreType;
    let mut alarmed = 0;
    for example in CLOUD_EXAMPLES {
        for model in cloud_models(example) {
            let env = &model.environment;
            let set = terraform::render(&model);
            let main = squash(&hcl_of(&set, &format!("terraform/envs/{env}/main.tf")));
            let o = &model.observability;
            let block = module_block(&main, "observability");
            assert_eq!(block.is_some(), o.metrics || o.logs, "{example}/{env}");
            let Some(block) = block else { continue };
            assert!(set
                .get_str("terraform/modules/observability/main.tf")
                .is_some());
            let base = format!("/berth/{}/{env}", model.stack);
            for w in &model.workloads {
                assert_eq!(
                    block.contains(&format!("\"{base}/{}\"", w.name)),
                    o.logs,
                    "{example}/{env}: log group of {}\n{block}",
                    w.name
                );
            }
            let days: u32 = block
                .lines()
                .find_map(|l| l.strip_prefix("  retention_days = "))
                .unwrap()
                .parse()
                .unwrap();
            assert!(days >= o.retention_days(), "{example}/{env}: {days}");
            for store in model
                .stores
                .iter()
                .filter(|s| s.realization == berth_spec::model::Realized::Managed)
            {
                let id = store_name(&main, &store.name);
                let (list, key) = match store.kind {
                    // An identifier key is written bare.
                    StoreType::Postgres | StoreType::Mysql => {
                        ("rds_instances", format!(" {id} = {{"))
                    }
                    // Cluster mode: the nodes of every shard (`ID-0003-001`).
                    StoreType::Redis if store.shards > 1 => (
                        "cache_clusters",
                        format!("\"{id}-{:04}-001\"", store.shards),
                    ),
                    StoreType::Redis => ("cache_clusters", format!("\"{id}-001\"")),
                    StoreType::Mongodb => ("docdb_clusters", format!("\"{id}\"")),
                    StoreType::Rabbitmq => ("mq_brokers", format!("\"{id}\"")),
                    _ => continue,
                };
                assert_eq!(
                    block.contains(&key) && block.contains(list),
                    o.metrics,
                    "{example}/{env}: no alarm input for {} ({key})\n{block}",
                    store.name
                );
                alarmed += usize::from(o.metrics);
                if store.replicas > 1
                    && matches!(store.kind, StoreType::Postgres | StoreType::Mysql)
                {
                    assert!(
                        block.contains(&format!("\"{id}-read-0\"")),
                        "{example}/{env}: replica lag of {}\n{block}",
                        store.name
                    );
                }
            }
        }
    }
    assert!(alarmed >= 4, "only {alarmed} managed stores alarmed");
}

/// mindflow's redis has `shards: 3` (seed 004: ElastiCache in cluster mode): its module gets
/// the shards, the module runs the replication group in cluster mode and writes the
/// configuration endpoint into the connection secret; a store without shards stays as it was.
#[test]
fn a_sharded_redis_runs_in_cluster_mode() {
    for model in cloud_models("mindflow") {
        let env = &model.environment;
        let set = terraform::render(&model);
        let main = squash(&hcl_of(&set, &format!("terraform/envs/{env}/main.tf")));
        let block = module_block(&main, "store_redis").unwrap();
        assert!(block.contains("\n  shards = 3\n"), "{env}: {block}");
        assert!(block.contains("\n  members = 1\n"), "{env}: {block}");
        let module = squash(&hcl_of(&set, "terraform/modules/redis/main.tf"));
        for line in [
            "num_cache_clusters = local.sharded ? null : local.members",
            "num_node_groups = local.sharded ? var.shards : null",
            "replicas_per_node_group = local.sharded ? local.members - 1 : null",
            "cluster_mode = local.sharded ? \"enabled\" : null",
            "parameter_group_name = local.sharded ? local.cluster_parameter_group : null",
            "automatic_failover_enabled = local.sharded || local.members > 1",
            "host = local.endpoint",
        ] {
            assert!(module.contains(line), "{line}\n{module}");
        }
        assert!(
            module.contains("local.sharded ? aws_elasticache_replication_group.this.configuration_endpoint_address"),
            "{module}"
        );
        // Multi-AZ: a replica in a second zone in every shard, and alarms on it.
        let observed = module_block(&main, "observability").unwrap();
        let id = store_name(&main, "redis");
        let last = if model.infra.as_ref().unwrap().multi_az {
            "002"
        } else {
            "001"
        };
        assert!(
            observed.contains(&format!("\"{id}-0003-{last}\"")),
            "{env}: {observed}"
        );
        assert!(
            !observed.contains(&format!("\"{id}-001\"")),
            "{env}: {observed}"
        );
    }
    for model in cloud_models("srvthreds") {
        let env = &model.environment;
        let main = squash(&hcl_of(
            &terraform::render(&model),
            &format!("terraform/envs/{env}/main.tf"),
        ));
        if let Some(block) = module_block(&main, "store_redis") {
            assert!(!block.contains("shards"), "{env}: {block}");
        }
    }
}

/// mindflow's `uploads` has `cdn: true` (seed 004: CloudFront for media delivery): its module
/// gets `cdn`, the environment key lets the distribution decrypt, and the s3 module puts a
/// CloudFront distribution with origin access control in front of the private bucket; a bucket
/// without `cdn` stays as it was.
#[test]
fn a_bucket_with_a_cdn_is_served_by_cloudfront() {
    for model in cloud_models("mindflow") {
        let env = &model.environment;
        let set = terraform::render(&model);
        let main = squash(&hcl_of(&set, &format!("terraform/envs/{env}/main.tf")));
        let uploads = module_block(&main, "store_uploads").unwrap();
        assert!(uploads.contains("\n  cdn = true\n"), "{env}: {uploads}");
        let kms = module_block(&main, "kms").unwrap();
        assert!(
            kms.contains(
                "cloudfront_distribution_arns = [module.store_uploads.cdn_distribution_arn]"
            ),
            "{env}: {kms}"
        );
        let outputs = hcl_of(&set, &format!("terraform/envs/{env}/outputs.tf"));
        assert!(
            outputs.contains("output \"uploads_cdn_domain_name\""),
            "{env}: {outputs}"
        );
    }
    let model = cloud_models("mindflow").remove(0);
    let set = terraform::render(&model);
    let s3 = squash(&hcl_of(&set, "terraform/modules/s3/main.tf"));
    for line in [
        // Origin access control signs every request to the bucket.
        "origin_access_control_origin_type = \"s3\"",
        "signing_behavior = \"always\"",
        "signing_protocol = \"sigv4\"",
        "origin_access_control_id = aws_cloudfront_origin_access_control.this[0].id",
        "domain_name = aws_s3_bucket.this.bucket_regional_domain_name",
        // HTTPS only, read-only methods, security headers.
        "viewer_protocol_policy = \"redirect-to-https\"",
        "allowed_methods = [\"GET\", \"HEAD\", \"OPTIONS\"]",
        "response_headers_policy_id = local.security_headers_policy_id",
        "cloudfront_default_certificate = true",
        // Access logs in the log bucket, whose ACLs CloudFront's log delivery needs.
        "bucket = aws_s3_bucket.logs.bucket_domain_name",
        "prefix = \"cdn/\"",
        "object_ownership = each.key == \"logs\" && var.cdn ? \"BucketOwnerPreferred\" : \"BucketOwnerEnforced\"",
        // Only this distribution may read the objects; workloads get its URL.
        "Principal = { Service = \"cloudfront.amazonaws.com\" }",
        "Condition = { StringEquals = { \"AWS:SourceArn\" = aws_cloudfront_distribution.this[0].arn } }",
        "cdn_url = \"https://${aws_cloudfront_distribution.this[0].domain_name}\"",
    ] {
        assert!(s3.contains(line), "{line}\n{s3}");
    }
    let kms = squash(&hcl_of(&set, "terraform/modules/kms/main.tf"));
    for line in [
        "Sid = \"CloudFrontDecryptsObjects\"",
        "Action = \"kms:Decrypt\"",
        "Condition = { StringEquals = { \"AWS:SourceArn\" = var.cloudfront_distribution_arns } }",
    ] {
        assert!(kms.contains(line), "{line}\n{kms}");
    }
    // Buckets without a CDN: no `cdn`, and the key grants CloudFront nothing.
    for example in CLOUD_EXAMPLES.iter().filter(|e| **e != "mindflow") {
        for model in cloud_models(example) {
            let env = &model.environment;
            let main = squash(&hcl_of(
                &terraform::render(&model),
                &format!("terraform/envs/{env}/main.tf"),
            ));
            assert!(!main.contains("cdn"), "{example}/{env}: {main}");
        }
    }
}

/// moto_server on a free port of 127.0.0.1; killed on drop.
struct Moto(std::process::Child, u16);

impl Moto {
    fn start() -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto_server runs");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "moto_server did not listen"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        Moto(child, port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A root that calls the rendered redis module once per case `(shards, members, multi_az,
/// engine_version)`, with the provider pointed at moto.
fn redis_cases_root(port: u16, cases: &[(u32, u32, bool, &str)]) -> String {
    let url = format!("http://127.0.0.1:{port}");
    let mut root = format!(
        "provider \"aws\" {{\n  region = \"us-east-1\"\n  access_key = \"test\"\n  secret_key = \"test\"\n\
         \x20 skip_credentials_validation = true\n  skip_requesting_account_id = true\n\
         \x20 skip_metadata_api_check = true\n  endpoints {{\n    ec2 = \"{url}\"\n\
         \x20   elasticache = \"{url}\"\n    secretsmanager = \"{url}\"\n    sts = \"{url}\"\n  }}\n}}\n"
    );
    for (i, (shards, members, multi_az, version)) in cases.iter().enumerate() {
        root.push_str(&format!(
            "module \"case{i}\" {{\n  source = \"../terraform/modules/redis\"\n  name = \"t-case{i}\"\n\
             \x20 engine_version = \"{version}\"\n  node_type = \"cache.t3.micro\"\n\
             \x20 multi_az = {multi_az}\n  members = {members}\n  shards = {shards}\n\
             \x20 vpc_id = \"vpc-12345678\"\n  subnet_ids = [\"subnet-1\", \"subnet-2\"]\n\
             \x20 allowed_cidrs = [\"10.0.0.0/16\"]\n\
             \x20 kms_key_arn = \"arn:aws:kms:us-east-1:123456789012:key/k\"\n\
             \x20 secret_name = \"t/case{i}/redis-connection\"\n}}\n"
        ));
    }
    root
}

/// The redis module planned by the AWS provider itself (its argument conflicts and plan-time
/// checks), against moto: cluster mode with `shards` node groups of `members` nodes, the
/// family's `cluster.on` parameter group, and without shards the replication group as before.
#[test]
fn oracle_redis_module_plans_cluster_mode() {
    berth_testkit::require!(berth_testkit::TERRAFORM);
    berth_testkit::require!(berth_testkit::MOTO_SERVER);
    let model = cloud_models("mindflow").into_iter().next().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    write(&terraform::render(&model), tmp.path());
    let moto = Moto::start();
    let cases = [
        (3, 1, false, "7.1"),
        (3, 1, true, "7.1"),
        (2, 3, true, "6.2"),
        (1, 2, false, "7.1"),
    ];
    let root = tmp.path().join("cases");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("main.tf"), redis_cases_root(moto.1, &cases)).unwrap();
    // Its own plugin cache: terraform init is not safe beside the other oracles' inits.
    let cache = std::env::temp_dir().join("berth-tf-plugin-cache/redis-cases");
    std::fs::create_dir_all(&cache).unwrap();
    let tf = |args: &[&str]| {
        let (ok, out) = run(Command::new("terraform")
            .current_dir(&root)
            .env("TF_PLUGIN_CACHE_DIR", &cache)
            .args(args));
        assert!(ok, "terraform {args:?}:\n{out}");
        out
    };
    tf(&["init", "-backend=false", "-input=false", "-no-color"]);
    tf(&["plan", "-input=false", "-no-color", "-out=plan.bin"]);
    let plan: serde_json::Value =
        serde_json::from_str(&tf(&["show", "-json", "plan.bin"])).unwrap();
    let group = |i: usize| {
        let address = format!("module.case{i}.aws_elasticache_replication_group.this");
        let changes = plan["resource_changes"].as_array().unwrap();
        let change = changes.iter().find(|c| c["address"] == address.as_str());
        change.unwrap_or_else(|| panic!("no {address}"))["change"]["after"].clone()
    };
    let keys = [
        "num_node_groups",
        "replicas_per_node_group",
        "num_cache_clusters",
        "cluster_mode",
        "parameter_group_name",
        "automatic_failover_enabled",
        "multi_az_enabled",
    ];
    let want = [
        serde_json::json!([
            3,
            0,
            null,
            "enabled",
            "default.redis7.cluster.on",
            true,
            false
        ]),
        serde_json::json!([
            3,
            1,
            null,
            "enabled",
            "default.redis7.cluster.on",
            true,
            true
        ]),
        serde_json::json!([
            2,
            2,
            null,
            "enabled",
            "default.redis6.x.cluster.on",
            true,
            true
        ]),
        serde_json::json!([null, null, 2, null, null, true, true]),
    ];
    for (i, want) in want.iter().enumerate() {
        let after = group(i);
        let got: Vec<serde_json::Value> = keys.iter().map(|k| after[k].clone()).collect();
        assert_eq!(&serde_json::Value::from(got), want, "case {:?}", cases[i]);
    }
}

#[test]
fn no_observability_module_when_nothing_is_observed() {
    let mut model = cloud_models("srvthreds").remove(0);
    model.observability.metrics = false;
    model.observability.traces = false;
    model.observability.logs = false;
    let set = terraform::render(&model);
    assert!(set
        .get_str("terraform/modules/observability/main.tf")
        .is_none());
    let main = hcl_of(
        &set,
        &format!("terraform/envs/{}/main.tf", model.environment),
    );
    assert!(!main.contains("module \"observability\""), "{main}");
}

#[test]
fn snapshot_srvthreds_dev() {
    let models = cloud_models("srvthreds");
    let dev = models.iter().find(|m| m.environment == "dev").unwrap();
    let set = terraform::render(dev);
    for (path, _) in set.iter().filter(|(p, _)| p.starts_with("terraform/envs/")) {
        insta::assert_snapshot!(path.replace('/', "__"), hcl_of(&set, path));
    }
}

/// All cloud environments of all examples in one tree (modules are shared and identical).
fn render_all(dir: &Path) -> Vec<String> {
    let mut envs = Vec::new();
    for example in CLOUD_EXAMPLES {
        for model in cloud_models(example) {
            let set = terraform::render(&model);
            let root = dir.join(example);
            write(&set, &root);
            envs.push(format!("{example}/terraform/envs/{}", model.environment));
        }
    }
    envs
}

#[test]
fn oracle_terraform_fmt_init_validate() {
    berth_testkit::require!(berth_testkit::TERRAFORM);
    let tmp = tempfile::tempdir().unwrap();
    let envs = render_all(tmp.path());
    let (ok, out) = run(Command::new("terraform")
        .args(["fmt", "-check", "-recursive", "-diff"])
        .arg(tmp.path()));
    assert!(ok, "terraform fmt -check:\n{out}");
    let cache = std::env::var("TF_PLUGIN_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("berth-tf-plugin-cache"));
    std::fs::create_dir_all(&cache).unwrap();
    for env in &envs {
        let dir = tmp.path().join(env);
        let (ok, out) = run(Command::new("terraform")
            .current_dir(&dir)
            .env("TF_PLUGIN_CACHE_DIR", &cache)
            .args(["init", "-backend=false", "-input=false", "-no-color"]));
        assert!(ok, "{env}: terraform init:\n{out}");
        let (ok, out) = run(Command::new("terraform")
            .current_dir(&dir)
            .args(["validate", "-no-color"]));
        assert!(ok, "{env}: terraform validate:\n{out}");
        assert!(
            !out.contains("Warning"),
            "{env}: terraform validate warns:\n{out}"
        );
    }
}

#[test]
fn oracle_checkov_reports_no_failed_check() {
    berth_testkit::require!(berth_testkit::CHECKOV);
    let tmp = tempfile::tempdir().unwrap();
    render_all(tmp.path());
    let (ok, out) = run(Command::new("checkov")
        .args([
            "--framework",
            "terraform",
            "--skip-download",
            "--compact",
            "--quiet",
            "-d",
        ])
        .arg(tmp.path()));
    assert!(ok, "checkov:\n{out}");
    assert!(!out.contains("FAILED for resource"), "{out}");
    // Every skip carries a reason.
    for entry in walk(tmp.path()) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        for line in text.lines().filter(|l| l.contains("checkov:skip=")) {
            let after = line.split("checkov:skip=").nth(1).unwrap();
            let (_, reason) = after.split_once(':').unwrap_or((after, ""));
            assert!(reason.trim().len() > 10, "skip without reason: {line}");
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "tf") {
            out.push(p);
        }
    }
    out
}
