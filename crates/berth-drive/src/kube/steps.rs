//! The steps of `berth up` on a Kubernetes environment, as data: computed from render's
//! [`KubePlan`], the context and the image tag before anything runs, printed as they are by
//! `--dry-run` (`-o json`), then walked by the driver. Every step that runs a program carries
//! its exact argv; no step carries a secret value.

use berth_render::plan::{KubePlan, ObjectRef, PhaseName, WaitTarget};
use berth_spec::Cluster;
use serde::Serialize;

/// The field manager of every server-side apply.
pub const FIELD_MANAGER: &str = "berth";

/// One step of `up`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "lowercase")]
pub enum Step {
    /// Build a service image with BuildKit (in the project directory).
    Build {
        service: String,
        image: String,
        command: Vec<String>,
    },
    /// Load a built image into the local cluster.
    Load { image: String, command: Vec<String> },
    /// Push a built image to the environment's registry.
    Push { image: String, command: Vec<String> },
    /// Create or update the Secret of local values (the object goes on stdin; only the key
    /// names are here).
    Secret {
        name: String,
        keys: Vec<String>,
        command: Vec<String>,
    },
    /// Server-side apply of one phase's objects (in `.berth/`).
    Apply {
        phase: PhaseName,
        objects: Vec<ObjectRef>,
        command: Vec<String>,
    },
    /// Wait until the phase's rollouts are done and its Jobs complete.
    Wait {
        phase: PhaseName,
        targets: Vec<WaitTarget>,
        timeout_s: u64,
    },
    /// Apply every object once more as an ApplySet and prune the members that left the spec
    /// (only objects this ApplySet applied: never anything Berth did not create).
    Prune {
        applyset: String,
        command: Vec<String>,
    },
}

impl Step {
    /// The argv this step runs (None for a wait).
    pub fn command(&self) -> Option<&[String]> {
        match self {
            Step::Build { command, .. }
            | Step::Load { command, .. }
            | Step::Push { command, .. }
            | Step::Secret { command, .. }
            | Step::Apply { command, .. }
            | Step::Prune { command, .. } => Some(command),
            Step::Wait { .. } => None,
        }
    }

    /// One line for the progress display and the text plan.
    pub fn summary(&self) -> String {
        match self {
            Step::Build { service, image, .. } => format!("build {service} → {image}"),
            Step::Load { image, .. } => format!("load {image} into the cluster"),
            Step::Push { image, .. } => format!("push {image}"),
            Step::Secret { name, keys, .. } => format!("secret {name} ({})", keys.join(", ")),
            Step::Apply { phase, objects, .. } => format!(
                "apply {}: {}",
                phase.word(),
                objects
                    .iter()
                    .map(|o| format!("{}/{}", o.kind, o.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Step::Wait {
                phase,
                targets,
                timeout_s,
            } => format!(
                "wait {} (≤{timeout_s}s): {}",
                phase.word(),
                targets
                    .iter()
                    .map(WaitTarget::resource)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Step::Prune { applyset, .. } => {
                format!("prune what left the spec (ApplySet {applyset})")
            }
        }
    }
}

/// `kubectl --context CTX ARGS`.
pub fn kubectl(context: &str, args: &[&str]) -> Vec<String> {
    let mut v = vec!["kubectl".to_string(), "--context".into(), context.into()];
    v.extend(args.iter().map(|a| a.to_string()));
    v
}

/// The name of the ApplySet parent (a Secret in the namespace).
pub fn applyset(plan: &KubePlan) -> String {
    format!("{}-berth", plan.stack)
}

/// Every step of `up`, in order: images, the Secret, then each phase applied and waited for,
/// then the prune.
pub fn steps(plan: &KubePlan, context: &str, timeout_s: u64) -> Vec<Step> {
    let mut out = images(plan);
    let apply = ["apply", "--server-side", "--field-manager", FIELD_MANAGER];
    for phase in &plan.phases {
        if phase.phase == PhaseName::Config {
            out.extend(secret(plan, context));
        }
        let mut args = apply.to_vec();
        args.extend(["-f", phase.file.as_str()]);
        out.push(Step::Apply {
            phase: phase.phase,
            objects: phase.apply.clone(),
            command: kubectl(context, &args),
        });
        if phase.phase == PhaseName::Namespace
            && !plan.phases.iter().any(|p| p.phase == PhaseName::Config)
        {
            out.extend(secret(plan, context));
        }
        if !phase.wait.is_empty() {
            out.push(Step::Wait {
                phase: phase.phase,
                targets: phase.wait.clone(),
                timeout_s,
            });
        }
    }
    let set = applyset(plan);
    let mut args = apply.to_vec();
    let parent = format!("--applyset={set}");
    args.extend([
        "--prune",
        parent.as_str(),
        "-n",
        plan.namespace.as_str(),
        "-f",
        plan.manifest.as_str(),
    ]);
    out.push(Step::Prune {
        applyset: set,
        command: kubectl(context, &args),
    });
    out
}

fn secret(plan: &KubePlan, context: &str) -> Option<Step> {
    let s = plan.secret.as_ref()?;
    Some(Step::Secret {
        name: s.name.clone(),
        keys: s.keys.clone(),
        command: kubectl(
            context,
            &[
                "apply",
                "--server-side",
                "--field-manager",
                FIELD_MANAGER,
                "-f",
                "-",
            ],
        ),
    })
}

/// Build, then load (local clusters) or push (otherwise), per built image.
fn images(plan: &KubePlan) -> Vec<Step> {
    let cluster: Option<Cluster> = plan.cluster.as_deref().and_then(cluster_of);
    let mut out = Vec::new();
    for b in &plan.images {
        let mut cmd = vec![
            "docker".to_string(),
            "build".into(),
            "-t".into(),
            b.image.clone(),
        ];
        if let Some(f) = &b.dockerfile {
            cmd.extend(["-f".into(), format!("{}/{f}", b.context)]);
        }
        if let Some(t) = &b.target {
            cmd.extend(["--target".into(), t.clone()]);
        }
        for (k, v) in &b.args {
            cmd.extend(["--build-arg".into(), format!("{k}={v}")]);
        }
        cmd.push(b.context.clone());
        out.push(Step::Build {
            service: b.service.clone(),
            image: b.image.clone(),
            command: cmd,
        });
        let image = b.image.clone();
        out.push(match cluster {
            Some(Cluster::Minikube) => Step::Load {
                command: vec![
                    "minikube".into(),
                    "image".into(),
                    "load".into(),
                    image.clone(),
                ],
                image,
            },
            Some(Cluster::Kind) => Step::Load {
                command: vec![
                    "kind".into(),
                    "load".into(),
                    "docker-image".into(),
                    image.clone(),
                    "--name".into(),
                    plan.stack.clone(),
                ],
                image,
            },
            Some(Cluster::K3d) => Step::Load {
                command: vec![
                    "k3d".into(),
                    "image".into(),
                    "import".into(),
                    image.clone(),
                    "-c".into(),
                    plan.stack.clone(),
                ],
                image,
            },
            Some(Cluster::Eks) | None => Step::Push {
                command: vec!["docker".into(), "push".into(), image.clone()],
                image,
            },
        });
    }
    out
}

fn cluster_of(word: &str) -> Option<Cluster> {
    [Cluster::Minikube, Cluster::Kind, Cluster::K3d, Cluster::Eks]
        .into_iter()
        .find(|c| c.as_str() == word)
}
