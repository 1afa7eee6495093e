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
