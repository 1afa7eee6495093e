//! The command line as clap declares it: `berth [GLOBAL] COMMAND …` ([`Cli`]) and the
//! compose-style flags of `berth import` ([`ImportCli`]). Nothing here reads the environment or
//! decides anything; `settings` turns these into what the commands take.

use crate::printer::OutputFormat;
use berth_import::{LocalCluster, Reader};
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

/// Seconds `up`, `restart` and `deploy` wait for each start phase by default.
pub const DEFAULT_TIMEOUT_SECS: u64 = 300;

#[derive(Debug, Parser)]
#[command(
    name = "berth",
    version,
    about = "One berth.yaml for a microservice stack: checked, rendered for every environment, driven.",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone)]
pub struct Global {
    /// The spec file [env: BERTH_FILE] [default: berth.yaml].
    #[arg(short = 'f', long = "file", global = true, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Output format of results: text, or json/yaml for machines (the result alone on stdout).
    #[arg(long = "output", short = 'o', global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Disable colors (also honoured: NO_COLOR).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Print less.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Kubernetes environments: the kube context to act on (default: the one the environment's
    /// cluster names: minikube, kind-STACK, k3d-STACK); it must belong to the environment.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the spec and report every problem (exit 1 when invalid).
    Validate,
    /// Print the fully resolved model of one environment.
    Resolve {
        /// Environment name.
        environment: String,
    },
    /// Render artifacts (compose, Kubernetes, Terraform, GitOps) into the output directory.
    Render {
        /// Environments to render (repeatable; default: all).
        #[arg(short = 'e', long = "env")]
        environments: Vec<String>,
        /// Render every environment: the default, spelled out (not together with -e).
        #[arg(long, conflicts_with = "environments")]
        all: bool,
        /// Output directory (default: `deploy` next to berth.yaml).
        #[arg(long = "out", short = 'O')]
        out: Option<PathBuf>,
        /// Write nothing; exit 1 when the files on disk differ from what the spec renders.
        #[arg(long)]
        check: bool,
    },
    /// Back up a store now: a dump in `.berth/backups/ENV/STORE/` (compose) or a Job from the
    /// store's backup CronJob (Kubernetes).
    Backup {
        /// Environment.
        environment: String,
        /// The store.
        store: String,
        /// Print the plan (every command); change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Seconds to wait for the backup.
        #[arg(long, default_value_t = DEFAULT_TIMEOUT_SECS)]
        timeout: u64,
    },
    /// Restore a store from a backup (the newest unless --from): its data is replaced.
    Restore {
        /// Environment.
        environment: String,
        /// The store.
        store: String,
        /// The backup's ID (`berth backup` prints it; default: the newest).
        #[arg(long)]
        from: Option<String>,
        /// Print the plan (every command); change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Seconds to wait for the restore (and the store to be healthy again).
        #[arg(long, default_value_t = DEFAULT_TIMEOUT_SECS)]
        timeout: u64,
    },
    /// Write the CI workflows the spec implies (GitHub Actions, `.github/workflows/berth.yml`):
    /// validate, tests, build and push once, deploy per environment, smoke test, rollback.
    Ci {
        /// Print the workflows; write nothing.
        #[arg(long, conflicts_with = "check")]
        dry_run: bool,
        /// Write nothing; exit 1 when the workflows on disk differ from what the spec implies.
        #[arg(long)]
        check: bool,
    },
    /// Show a unified diff between the files on disk and what the spec renders for ENV.
    Diff {
        /// Environment (default: all).
        environment: Option<String>,
        /// Output directory (default: `deploy` next to berth.yaml).
        #[arg(long = "out", short = 'O')]
        out: Option<PathBuf>,
    },
    /// Start an environment: compose (stores, jobs, services, health) or Kubernetes (images,
    /// secrets, phased apply, rollouts).
    Up {
        /// Environment (default: the first compose environment).
        environment: Option<String>,
        /// Start only these services (and what they need); repeatable.
        #[arg(short = 's', long = "service")]
        services: Vec<String>,
        /// Rebuild images that have a `build:` section.
        #[arg(long)]
        build: bool,
        /// Seconds to wait for each start phase to become healthy.
        #[arg(long, default_value_t = DEFAULT_TIMEOUT_SECS)]
        timeout: u64,
        /// Kubernetes: print the plan (every build, load, apply and wait) and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Kubernetes: when a rollout or Job fails, roll back to the last recorded revision
        /// (then exit 1 with the failure).
        #[arg(long)]
        atomic: bool,
        /// Kubernetes: build, load and push no image; deploy the ones CI pushed under the
        /// commit tag (`berth ci` workflows).
        #[arg(long, conflicts_with = "build")]
        no_build: bool,
    },
    /// Kubernetes: list the recorded revisions of an environment (read-only).
    History {
        /// Environment.
        environment: String,
    },
    /// Kubernetes: re-apply a recorded revision and wait for its rollouts.
    Rollback {
        /// Environment.
        environment: String,
        /// The revision to restore (default: the one before the latest).
        #[arg(long)]
        to: Option<u32>,
        /// Print the plan (which revision, every apply and wait) and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Seconds to wait for each phase's rollouts.
        #[arg(long, default_value_t = DEFAULT_TIMEOUT_SECS)]
        timeout: u64,
    },
    /// Run the development loop in the foreground, one log stream: native environments run
    /// services with `dev.run` as host processes restarted on change (stores in containers);
    /// compose environments start the stack and keep it current (`docker compose watch`).
    Dev {
        /// Environment (default: the first native environment, else the first compose one).
        environment: Option<String>,
        /// Print the plan (what runs where, with which command and environment) and stop.
        #[arg(long)]
        dry_run: bool,
        /// Seconds to wait for the containers of each start phase to become healthy.
        #[arg(long, default_value_t = DEFAULT_TIMEOUT_SECS)]
        timeout: u64,
    },
    /// Stop and remove an environment's containers (named volumes are kept unless --volumes).
    Down {
        /// Environment (default: the first compose environment).
        environment: Option<String>,
        /// Also remove the named volumes: deletes the stores' data.
        #[arg(long, short = 'v')]
        volumes: bool,
    },
    /// Per service: state, health, restarts, published ports (`--output json` for machines).
    Status {
        /// Environment (default: the first compose environment).
        environment: Option<String>,
    },
    /// Show a service's logs (all services without SERVICE).
    Logs {
        /// Service, job or store.
        service: Option<String>,
        /// Keep following new output (`-f` after `logs` means this, as in `docker logs -f`;
        /// give the spec file before the subcommand: `berth -f FILE logs -f`).
        #[arg(long)]
        follow: bool,
        /// Only the last N lines.
        #[arg(long)]
        tail: Option<u32>,
        /// Environment (default: the first compose environment).
        #[arg(short = 'e', long = "env")]
        environment: Option<String>,
    },
    /// Restart one service or store and wait until it is healthy again.
    Restart {
        /// Service or store.
        service: String,
        /// Environment (default: the first compose environment).
        #[arg(short = 'e', long = "env")]
        environment: Option<String>,
        /// Seconds to wait for it to become healthy.
        #[arg(long, default_value_t = DEFAULT_TIMEOUT_SECS)]
        timeout: u64,
    },
    /// Run a job once in a new container, its output on the terminal; exits with its code.
    Run {
        /// The job (a service with `kind: job`, or any service).
        job: String,
        /// Environment (default: the first compose environment).
        #[arg(short = 'e', long = "env")]
        environment: Option<String>,
    },
    /// Run a named recipe from `deployments:` (pre commands, up of its subset, post commands).
    Deploy {
        /// Recipe name (without it: list the recipes).
        name: Option<String>,
        /// Seconds to wait for each start phase to become healthy.
        #[arg(long, default_value_t = DEFAULT_TIMEOUT_SECS)]
        timeout: u64,
        /// Kubernetes: print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Provision a cloud environment with Terraform (renders deploy/terraform first).
    Infra {
        #[command(subcommand)]
        action: InfraAction,
    },
    /// Create, delete or show the local Kubernetes cluster of an environment (minikube, kind, k3d).
    Cluster {
        #[command(subcommand)]
        action: ClusterAction,
    },
    /// Port-forward the published ports of an environment's services and in-cluster stores
    /// (kubectl port-forward, all in one session; Ctrl-C ends them all).
    Forward {
        /// Kubernetes environment.
        environment: String,
        /// Only this service or store.
        service: Option<String>,
        /// Print the forwards and the kubectl commands; run nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Materialize an environment's secret values for plain `docker compose` or `kubectl`:
    /// compose writes the rendered directory's git-ignored `.secrets/` files; Kubernetes
    /// prints the Secret for `kubectl apply -f -`.
    Secrets {
        /// Environment.
        environment: String,
        /// Output directory of `berth render` (default: `deploy` next to berth.yaml).
        #[arg(long = "out", short = 'O')]
        out: Option<PathBuf>,
        /// Print what would be written and where each value comes from; read and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the JSON Schema of berth.yaml.
    Schema,
    /// Write a commented starter berth.yaml.
    Init {
        /// Stack name (default: the current directory's name).
        #[arg(long)]
        name: Option<String>,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Turn a docker compose project into a berth.yaml (`berth import --help` for its flags:
    /// -f COMPOSE_FILE…, --profile P…, -o berth.yaml, --kubernetes minikube|kind|k3d).
    #[command(disable_help_flag = true)]
    Import {
        /// Flags of `berth import`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum InfraAction {
    /// Render, `terraform init` and `terraform plan` ENV; changes nothing.
    Plan(InfraArgs),
    /// Render, plan and apply ENV (asks first on a terminal; --auto-approve otherwise).
    Apply(InfraArgs),
    /// Plan and apply the destruction of everything ENV's Terraform created.
    Destroy(InfraArgs),
}

#[derive(Debug, Subcommand)]
pub enum ClusterAction {
    /// Create ENV's cluster with its topology (an existing one is left as it is; a stopped one
    /// is started).
    Create(ClusterArgs),
    /// Delete ENV's cluster (nothing to do when it does not exist).
    Delete(ClusterArgs),
    /// Whether ENV's cluster exists and runs, as its tool reports it.
    Status(ClusterArgs),
}

#[derive(Debug, Args, Clone)]
pub struct ClusterArgs {
    /// Environment with `platform: kubernetes` and `cluster: minikube|kind|k3d`.
    pub environment: String,
    /// Print the plan (the commands, the files) and run nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args, Clone)]
pub struct InfraArgs {
    /// Cloud environment (one with `cloud: aws`).
    pub environment: String,
    /// Apply without asking (required when stdin is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Point the AWS provider at an AWS-compatible emulator (e.g. moto or LocalStack) instead
    /// of AWS; runs in a work dir under .berth/ with a local state and without the parts the
    /// emulator cannot create (docs/terraform.md) [env: BERTH_AWS_ENDPOINT].
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Output directory of the rendered files (default: `deploy` next to berth.yaml).
    #[arg(long = "out", short = 'O')]
    pub out: Option<PathBuf>,
}

/// The compose-style flags of `berth import`: `-f` names compose files and `-o` the berth.yaml to
/// write, so they cannot share clap's global `-f`/`-o` (see [`parse`]).
#[derive(Debug, Parser)]
#[command(
    name = "berth import",
    about = "Turn a docker compose project into a berth.yaml (stores, services, jobs, secrets, wiring).",
    after_help = "Reads compose through `docker compose config` when the plugin is installed, else with \
                  a built-in reader that follows compose's rules. Every compose key that Berth drops or \
                  approximates is listed in the header of the written file and printed as a warning. \
                  `berth -o json import …` prints what was written and the warnings as JSON."
)]
pub struct ImportCli {
    /// Compose file (repeatable, merged in order like `docker compose -f`). Default: compose.yaml,
    /// compose.yml, docker-compose.yaml or docker-compose.yml in the project directory.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Compose profile to activate (repeatable).
    #[arg(long = "profile", value_name = "PROFILE")]
    pub profiles: Vec<String>,
    /// Where to write the berth.yaml (`-` for standard output).
    #[arg(
        short = 'o',
        long = "out",
        default_value = "berth.yaml",
        value_name = "FILE"
    )]
    pub out: PathBuf,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Compose project directory (default: the directory of the first file).
    #[arg(long = "project-directory", value_name = "DIR")]
    pub project_dir: Option<PathBuf>,
    /// Stack name (default: compose's project name).
    #[arg(short = 'p', long = "project-name", value_name = "NAME")]
    pub project_name: Option<String>,
    /// Compose reader: auto (docker compose when present), docker, builtin.
    #[arg(long, default_value = "auto", value_parser = parse_reader)]
    pub reader: Reader,
    /// Also declare a local Kubernetes environment: minikube, kind or k3d.
    #[arg(long, value_name = "CLUSTER", value_parser = parse_cluster)]
    pub kubernetes: Option<LocalCluster>,
    /// Disable colors (also honoured: NO_COLOR).
    #[arg(long)]
    pub no_color: bool,
    /// Print less.
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_reader(s: &str) -> Result<Reader, String> {
    s.parse()
}

fn parse_cluster(s: &str) -> Result<LocalCluster, String> {
    s.parse()
}

/// A parsed command line.
#[derive(Debug)]
pub enum Invocation {
    /// `berth [GLOBAL] COMMAND …` (or no command).
    Berth(Cli),
    /// `berth [GLOBAL] import …`: the global flags before `import`, then import's own.
    Import(Global, ImportCli),
}

/// Parse argv; clap prints usage errors and help itself and exits (2 for errors, 0 for help).
pub fn parse(argv: Vec<OsString>) -> Invocation {
    if let Some((global, import)) = split_import(&argv) {
        return Invocation::Import(
            Cli::parse_from(global).global,
            ImportCli::parse_from(import),
        );
    }
    let cli = Cli::parse_from(normalize(argv));
    match cli.command {
        Some(Command::Import { args }) => {
            let argv = std::iter::once("berth import".to_string()).chain(args);
            Invocation::Import(cli.global, ImportCli::parse_from(argv))
        }
        _ => Invocation::Berth(cli),
    }
}

/// When the command line is `berth [GLOBAL FLAGS] import ARGS…`: the argv of the global flags
/// (`berth GLOBAL…`) and the argv for [`ImportCli`] (`berth import ARGS…`).
fn split_import(argv: &[OsString]) -> Option<(Vec<OsString>, Vec<OsString>)> {
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i].to_str()?;
        match a {
            "import" => {
                let mut import = vec![OsString::from("berth import")];
                import.extend(argv[i + 1..].iter().cloned());
                return Some((argv[..i].to_vec(), import));
            }
            "--no-color" | "-q" | "--quiet" => {}
            "-f" | "--file" | "-o" | "--output" => i += 1,
            _ if a.starts_with("--file=") || a.starts_with("--output=") => {}
            _ => return None,
        }
        i += 1;
    }
    None
}

/// `berth logs api -f` follows, as with docker and kubectl: after the `logs` subcommand, `-f`
/// means `--follow` (the global `-f FILE` still works before the subcommand, and `--file` anywhere).
pub fn normalize(args: impl IntoIterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut out = Vec::new();
    let mut in_logs = false;
    let mut expect_value = false;
    for (i, a) in args.into_iter().enumerate() {
        if i == 0 {
            out.push(a);
            continue;
        }
        if in_logs && a == "-f" {
            out.push("--follow".into());
            continue;
        }
        if !in_logs && !expect_value {
            if a == "logs" {
                in_logs = true;
            }
            // Global options that take a value: their value is not a subcommand.
            expect_value = a == "-f" || a == "--file" || a == "-o" || a == "--output";
        } else {
            expect_value = false;
        }
        out.push(a);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(args: &[&str]) -> Vec<String> {
        normalize(args.iter().map(std::ffi::OsString::from))
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn dash_f_after_logs_follows() {
        assert_eq!(
            n(&["berth", "logs", "api", "-f"]),
            ["berth", "logs", "api", "--follow"]
        );
        assert_eq!(
            n(&["berth", "-f", "x.yaml", "logs", "-f"]),
            ["berth", "-f", "x.yaml", "logs", "--follow"]
        );
        // A spec file named `logs` is still a file.
        assert_eq!(
            n(&["berth", "-f", "logs", "up"]),
            ["berth", "-f", "logs", "up"]
        );
        assert_eq!(n(&["berth", "up", "-f", "a"]), ["berth", "up", "-f", "a"]);
    }

    fn parse_words(args: &[&str]) -> Invocation {
        parse(args.iter().map(OsString::from).collect())
    }

    #[test]
    fn import_takes_its_own_flags_and_the_global_ones_before_it() {
        let Invocation::Import(global, import) = parse_words(&[
            "berth", "-o", "json", "-q", "import", "-f", "a.yml", "-o", "out.yaml",
        ]) else {
            panic!("not an import")
        };
        assert_eq!(global.output, OutputFormat::Json);
        assert!(global.quiet);
        assert_eq!(import.files, [PathBuf::from("a.yml")]);
        assert_eq!(import.out, PathBuf::from("out.yaml"));
        assert!(matches!(
            parse_words(&["berth", "-f", "import", "validate"]),
            Invocation::Berth(Cli {
                command: Some(Command::Validate),
                ..
            })
        ));
    }
}
