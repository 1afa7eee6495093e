//! The jobs of the workflow, each built from the models (see the module docs of `ci`).

use super::actions::uses;
use super::{deployable, Tier};
use berth_spec::model::{Check, StrategyModel, Workload};
use berth_spec::Model;
use serde_json::{json, Value};

const RUNNER: &str = "ubuntu-24.04";

/// What every job reads: the stack, its repository settings, its environments.
pub struct Ctx<'a> {
    first: &'a Model,
    models: &'a [Model],
    branch: String,
    deploy_tree: String,
    test: Option<String>,
}

impl<'a> Ctx<'a> {
    pub fn new(first: &'a Model, models: &'a [Model]) -> Self {
        let repo = first.repository.as_ref();
        Ctx {
            first,
            models,
            branch: repo.map_or_else(|| "main".to_string(), |r| r.branch.clone()),
            deploy_tree: repo.map_or_else(|| "deploy".to_string(), |r| r.path.clone()),
            test: repo.and_then(|r| r.test.clone()),
        }
    }

    fn deploy_envs(&self) -> impl Iterator<Item = &'a Model> {
        self.models.iter().filter(|m| deployable(m))
    }

    /// Pull requests, pushes to the default and release branches, release tags.
    pub fn triggers(&self) -> Value {
        json!({
            "pull_request": { "branches": [&self.branch] },
            "push": { "branches": [&self.branch, "release/**"], "tags": ["v*"] },
        })
    }

    /// `--out DIR` when the deploy tree is not the default `deploy`.
    fn out_flag(&self) -> String {
        if self.deploy_tree == "deploy" {
            String::new()
        } else {
            format!(" --out {}", self.deploy_tree)
        }
    }

    pub fn validate(&self) -> Value {
        let mut steps = vec![checkout(false)];
        steps.extend(install_berth());
        steps.push(json!({ "name": "Validate berth.yaml", "run": "berth validate" }));
        steps.push(json!({
            "name": "Rendered files are up to date",
            "run": format!("berth render --check{}", self.out_flag()),
        }));
        job(
            "validate and render --check",
            json!({ "contents": "read" }),
            steps,
        )
    }

    pub fn test(&self) -> Option<Value> {
        let test = self.test.as_ref()?;
        let steps = vec![
            checkout(false),
            json!({ "name": "Project tests", "run": test }),
        ];
        let mut j = job("tests", json!({ "contents": "read" }), steps);
        j["needs"] = json!(["validate"]);
        Some(j)
    }

    /// `berth infra plan` per cloud environment a pull request touches, with the environment's
    /// read-only plan role (STACK-ENV-ci-plan, trusted by pull-request tokens only).
    pub fn infra_plan(&self) -> Option<Value> {
        let include: Vec<Value> = self
            .models
            .iter()
            .filter(|m| m.cloud.is_some())
            .map(|m| json!({ "environment": &m.environment, "region": m.region.as_deref().unwrap_or("us-east-1") }))
            .collect();
        if include.is_empty() {
            return None;
        }
        let touched = "steps.changed.outputs.touched == 'true'";
        let detect = format!(
            "if git diff --name-only \"origin/$BASE...HEAD\" | grep -Eq \"^(berth\\.yaml|{}/terraform/(modules|$ENVIRONMENT)/)\"; then\n  echo touched=true >> \"$GITHUB_OUTPUT\"\nelse\n  echo touched=false >> \"$GITHUB_OUTPUT\"\nfi\n",
            regex_escape(&self.deploy_tree)
        );
        let mut steps = vec![checkout(true)];
        steps.push(json!({
            "id": "changed",
            "name": "Does the pull request change this environment?",
            "env": { "BASE": "${{ github.base_ref }}", "ENVIRONMENT": "${{ matrix.environment }}" },
            "run": detect,
        }));
        let mut aws = aws_credentials(
            &format!("{}-${{{{ matrix.environment }}}}-ci-plan", self.first.stack),
            "${{ matrix.region }}",
        );
        aws["if"] = json!(touched);
        steps.push(aws);
        steps.push(json!({
            "if": touched,
            "uses": uses("hashicorp/setup-terraform"),
            "with": { "terraform_wrapper": false },
        }));
        for mut s in install_berth() {
            s["if"] = json!(touched);
            steps.push(s);
        }
        steps.push(json!({
            "if": touched,
            "name": "berth infra plan",
            "env": { "ENVIRONMENT": "${{ matrix.environment }}" },
            "run": "berth infra plan \"$ENVIRONMENT\"",
        }));
        let mut j = job(
            "infra plan (${{ matrix.environment }})",
            json!({ "contents": "read", "id-token": "write" }),
            steps,
        );
        j["if"] = json!("github.event_name == 'pull_request'");
        j["needs"] = json!(["validate"]);
        j["strategy"] = json!({ "fail-fast": false, "matrix": { "include": include } });
        Some(j)
    }

    /// The images Berth builds, once each (by repository), with the workload that defines it.
    fn images(&self) -> Vec<&'a Workload> {
        let mut out: Vec<&Workload> = Vec::new();
        for w in self.models.iter().flat_map(|m| m.workloads.iter()) {
            if w.build.is_some() && !out.iter().any(|o| o.image.name() == w.image.name()) {
                out.push(w);
            }
        }
        out
    }

    fn needs_before_build(&self) -> Value {
        if self.test.is_some() {
            json!(["validate", "test"])
        } else {
            json!(["validate"])
        }
    }

    pub fn build(&self) -> Option<Value> {
        let images = self.images();
        if images.is_empty() {
            return None;
        }
        let registry = images[0].image.registry.clone().unwrap_or_default();
        let (login, mut permissions) = self.registry_login(&registry);
        permissions["contents"] = json!("read");
        let mut steps = vec![
            checkout(false),
            json!({
                "id": "tag",
                "name": "Commit tag (the 12-digit short SHA, as `berth up` tags)",
                "run": "echo \"tag=${GITHUB_SHA::12}\" >> \"$GITHUB_OUTPUT\"",
            }),
            json!({ "uses": uses("docker/setup-buildx-action") }),
        ];
        steps.extend(login);
        for w in images {
            steps.push(build_step(w));
        }
        let mut j = job("build and push images", permissions, steps);
        j["if"] = json!("github.event_name == 'push'");
        j["needs"] = self.needs_before_build();
        j["outputs"] = json!({ "tag": "${{ steps.tag.outputs.tag }}" });
        // The CI role of that environment trusts only jobs in its GitHub environment.
        if let Some(env) = self.ecr_role_env(&registry) {
            j["environment"] = json!(env);
        }
        Some(j)
    }

    /// The environment whose CI role pushes to an ECR `registry` (the first deployed one).
    fn ecr_role_env(&self, registry: &str) -> Option<&str> {
        if !registry.contains(".dkr.ecr.") {
            return None;
        }
        Some(
            self.deploy_envs()
                .next()
                .map_or("ci", |m| m.environment.as_str()),
        )
    }

    /// The login steps for `registry` and the permissions they need.
    fn registry_login(&self, registry: &str) -> (Vec<Value>, Value) {
        if registry.contains(".dkr.ecr.") {
            let region = registry
                .split(".dkr.ecr.")
                .nth(1)
                .and_then(|r| r.split('.').next())
                .unwrap_or("us-east-1");
            let env = self.ecr_role_env(registry).unwrap_or("ci");
            let role = format!("{}-{env}-ci", self.first.stack);
            let steps = vec![
                aws_credentials(&role, region),
                json!({ "name": "Log in to Amazon ECR", "uses": uses("aws-actions/amazon-ecr-login") }),
            ];
            return (steps, json!({ "id-token": "write" }));
        }
        if registry == "ghcr.io" {
            let step = json!({
                "name": "Log in to GitHub Container Registry",
                "uses": uses("docker/login-action"),
                "with": { "registry": "ghcr.io", "username": "${{ github.actor }}", "password": "${{ secrets.GITHUB_TOKEN }}" },
            });
            return (vec![step], json!({ "packages": "write" }));
        }
        let mut with = json!({
            "username": "${{ vars.REGISTRY_USERNAME }}",
            "password": "${{ secrets.REGISTRY_PASSWORD }}",
        });
        if !registry.is_empty() {
            with["registry"] = json!(registry);
        }
        let step = json!({ "name": "Log in to the registry", "uses": uses("docker/login-action"), "with": with });
        (vec![step], json!({}))
    }

    /// One deploy job per cloud environment, in spec order.
    pub fn deploys(&self) -> Vec<(String, Value)> {
        let has_build = !self.images().is_empty();
        let staging: Vec<String> = self
            .deploy_envs()
            .filter(|m| Tier::of(m) == Tier::Staging)
            .map(|m| format!("deploy-{}", m.environment))
            .collect();
        self.deploy_envs()
            .map(|m| {
                let mut needs = vec![if has_build {
                    "build".to_string()
                } else {
                    "validate".to_string()
                }];
                if Tier::of(m) == Tier::Production {
                    needs.extend(staging.iter().cloned());
                }
                (format!("deploy-{}", m.environment), self.deploy(m, needs))
            })
            .collect()
    }

    fn deploy(&self, m: &Model, needs: Vec<String>) -> Value {
        let when = match Tier::of(m) {
            Tier::Development => format!("github.event_name == 'push' && github.ref == 'refs/heads/{}'", self.branch),
            Tier::Staging => "github.event_name == 'push' && (startsWith(github.ref, 'refs/heads/release/') || startsWith(github.ref, 'refs/tags/v'))".to_string(),
            Tier::Production => "github.event_name == 'push' && startsWith(github.ref, 'refs/tags/v')".to_string(),
        };
        let cluster = format!("{}-{}", m.stack, m.environment);
        let region = m.region.as_deref().unwrap_or("us-east-1");
        let mut steps = vec![checkout(false)];
        steps.push(aws_credentials(&format!("{cluster}-ci"), region));
        steps.extend(install_berth());
        steps.push(json!({
            "name": "Kubernetes context",
            "run": format!("aws eks update-kubeconfig --name {cluster} --region {region} --alias {cluster}"),
        }));
        steps.push(json!({
            "id": "deploy",
            "name": format!("berth up {}", m.environment),
            "run": format!(
                "berth --context {cluster} up {} --no-build --timeout 600",
                m.environment
            ),
        }));
        steps.push(json!({ "name": "Smoke test", "run": smoke(m) }));
        steps.push(json!({
            "if": "failure()",
            "name": "Roll back",
            "run": rollback(m, &cluster),
        }));
        let mut j = job(
            &format!("deploy {}", m.environment),
            json!({ "contents": "read", "id-token": "write" }),
            steps,
        );
        j["if"] = json!(when);
        j["needs"] = json!(needs);
        let mut env = json!({ "name": &m.environment });
        if let Some(url) = first_url(m) {
            env["url"] = json!(url);
        }
        j["environment"] = env;
        j["concurrency"] = json!({ "group": format!("berth-deploy-{}", m.environment), "cancel-in-progress": false });
        j
    }
}

fn job(name: &str, permissions: Value, steps: Vec<Value>) -> Value {
    json!({
        "name": name,
        "runs-on": RUNNER,
        "permissions": permissions,
        "timeout-minutes": 45,
        "steps": steps,
    })
}

fn checkout(history: bool) -> Value {
    let mut with = json!({ "persist-credentials": false });
    if history {
        with["fetch-depth"] = json!(0);
    }
    json!({ "uses": uses("actions/checkout"), "with": with })
}

/// `berth` of the version that wrote the workflow, cached between runs.
fn install_berth() -> Vec<Value> {
    vec![
        json!({
            "name": "Cache berth",
            "uses": uses("actions/cache"),
            "with": { "path": "~/.cargo/bin/berth", "key": "berth-${{ runner.os }}-${{ env.BERTH_VERSION }}" },
        }),
        json!({
            "name": "Install berth",
            "run": "command -v berth >/dev/null || cargo install --locked berth-cli --version \"$BERTH_VERSION\"",
        }),
    ]
}

/// OIDC role assumption: the role Terraform creates for the environment's CI.
fn aws_credentials(role: &str, region: &str) -> Value {
    json!({
        "name": "AWS credentials (OIDC, no stored keys)",
        "uses": uses("aws-actions/configure-aws-credentials"),
        "with": {
            "role-to-assume": format!("arn:aws:iam::${{{{ vars.AWS_ACCOUNT_ID }}}}:role/{role}"),
            "aws-region": region,
        },
    })
}

fn build_step(w: &Workload) -> Value {
    let b = w.build.as_ref().expect("images() keeps built workloads");
    let mut with = json!({ "context": &b.context });
    if let Some(f) = &b.dockerfile {
        with["file"] = json!(format!("{}/{f}", b.context));
    }
    if let Some(t) = &b.target {
        with["target"] = json!(t);
    }
    if !b.args.is_empty() {
        let args: Vec<String> = b.args.iter().map(|(k, v)| format!("{k}={v}")).collect();
        with["build-args"] = json!(args.join("\n"));
    }
    with["push"] = json!(true);
    with["tags"] = json!(format!(
        "{}:${{{{ steps.tag.outputs.tag }}}}",
        w.image.name()
    ));
    with["cache-from"] = json!(format!("type=gha,scope={}", w.name));
    with["cache-to"] = json!(format!("type=gha,mode=max,scope={}", w.name));
    json!({ "name": format!("Build and push {}", w.name), "uses": uses("docker/build-push-action"), "with": with })
}

/// The public health URL of each exposed service whose HTTP check the ingress routes.
fn health_urls(m: &Model) -> Vec<String> {
    m.workloads
        .iter()
        .filter_map(|w| {
            let e = w.expose.as_ref()?;
            let host = e.host.as_ref()?;
            let Some(Check::Http {
                path, port_name, ..
            }) = w.health.as_ref().map(|h| &h.check)
            else {
                return None;
            };
            let routed =
                *port_name == e.port_name && path.starts_with(e.path.trim_end_matches('/'));
            let scheme = if e.tls { "https" } else { "http" };
            routed.then(|| format!("{scheme}://{host}{path}"))
        })
        .collect()
}

fn first_url(m: &Model) -> Option<String> {
    m.workloads.iter().find_map(|w| {
        let e = w.expose.as_ref()?;
        let scheme = if e.tls { "https" } else { "http" };
        Some(format!("{scheme}://{}{}", e.host.as_ref()?, e.path))
    })
}

/// Every workload ready (`berth status`), then each public health endpoint answers 2xx/3xx.
fn smoke(m: &Model) -> String {
    let mut s = format!(
        "berth --context {}-{} status {} -o json | tee status.json\n",
        m.stack, m.environment, m.environment
    );
    s.push_str("jq -e '[.workloads[].pods[] | select(.phase != \"Succeeded\")] | all(.ready)' status.json\n");
    for url in health_urls(m) {
        s.push_str(&format!(
            "curl -fsS --retry 12 --retry-delay 5 --retry-all-errors -o /dev/null {url}\n"
        ));
    }
    s
}

/// Back to the previous version of every service: Deployments by `rollout undo`, Argo
/// Rollouts by aborting (the stable version keeps serving).
fn rollback(m: &Model, context: &str) -> String {
    let ns = &m.namespace;
    let mut s = String::new();
    for w in m.workloads.iter().filter(|w| !w.is_job()) {
        match w.strategy {
            StrategyModel::Rolling => s.push_str(&format!(
                "kubectl --context {context} -n {ns} rollout undo deployment/{} || true\n",
                w.name
            )),
            _ => s.push_str(&format!(
                "kubectl --context {context} -n {ns} patch rollout {} --subresource=status --type=merge -p '{{\"status\":{{\"abort\":true}}}}' || true\n",
                w.name
            )),
        }
    }
    if s.is_empty() {
        s.push_str("echo nothing to roll back\n");
    }
    s
}

fn regex_escape(s: &str) -> String {
    s.replace('.', "\\\\.")
}
