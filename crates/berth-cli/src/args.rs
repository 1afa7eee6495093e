//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

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
    /// The spec file.
    #[arg(
        short = 'f',
        long = "file",
        global = true,
        env = "BERTH_FILE",
        default_value = "berth.yaml"
    )]
    pub file: PathBuf,
    /// Output format for machine-readable results.
    #[arg(long = "output", short = 'o', global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Disable colors (also honoured: NO_COLOR).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Print less.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Yaml,
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
        /// Render every environment (the default when no -e is given).
        #[arg(long, conflicts_with = "environments")]
        all: bool,
        /// Output directory (default: `deploy` next to berth.yaml).
        #[arg(long = "out", short = 'O')]
        out: Option<PathBuf>,
        /// Write nothing; exit 1 when the files on disk differ from what the spec renders.
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
    /// Start a compose environment: render into .berth/, secrets, stores, jobs, services, health.
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
        #[arg(long, default_value_t = 300)]
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
        #[arg(long, default_value_t = 300)]
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
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
    /// Provision a cloud environment with Terraform (renders deploy/terraform first).
    Infra {
        #[command(subcommand)]
        action: InfraAction,
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

#[derive(Debug, Args, Clone)]
pub struct InfraArgs {
    /// Cloud environment (one with `cloud: aws`).
    pub environment: String,
    /// Apply without asking (required when stdin is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Point the AWS provider at an AWS-compatible emulator (e.g. moto or LocalStack) instead
    /// of AWS; runs in a work dir under .berth/ with a local state and without the parts the
    /// emulator cannot create (docs/terraform.md).
    #[arg(long, env = "BERTH_AWS_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,
    /// Output directory of the rendered files (default: `deploy` next to berth.yaml).
    #[arg(long = "out", short = 'O')]
    pub out: Option<PathBuf>,
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
}
