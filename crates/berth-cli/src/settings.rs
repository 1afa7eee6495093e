//! Settings: the parsed command line and the process environment (the variables Berth reads,
//! which streams are terminals) resolved once into one struct per command. Commands take these
//! and never see clap types or read an environment variable themselves.

use crate::args::{
    Cli, ClusterAction, Command, Global, ImportCli, InfraAction, InfraArgs, Invocation,
};
use crate::error::CliError;
use crate::printer::{OutputFormat, Printer};
use berth_drive::terraform::Action;
use berth_drive::workspace::{LOCK_PID_VAR, TERRAFORM_VAR};
use berth_drive::Workspace;
use berth_import::{LocalCluster, Reader};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

/// How long `up`, `restart` and `deploy` wait for each start phase unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(crate::args::DEFAULT_TIMEOUT_SECS);

/// The environment variable a recipe's commands get: the environment whose lock they share.
const LOCK_ENV_VAR: &str = "BERTH_ENVIRONMENT";

/// The environment variables Berth reads (documented in the README).
pub const VARS: [&str; 8] = [
    "BERTH_FILE",
    "NO_COLOR",
    "TERM",
    "CI",
    TERRAFORM_VAR,
    "BERTH_AWS_ENDPOINT",
    LOCK_ENV_VAR,
    LOCK_PID_VAR,
];

/// The process environment as the settings see it: [`VARS`] and which streams are terminals.
#[derive(Debug, Default, Clone)]
pub struct Environment {
    vars: BTreeMap<String, OsString>,
    pub stdin_tty: bool,
    pub stdout_tty: bool,
    pub stderr_tty: bool,
}

impl Environment {
    /// This process's environment.
    pub fn capture() -> Self {
        let vars = VARS
            .iter()
            .filter_map(|k| std::env::var_os(k).map(|v| (k.to_string(), v)))
            .collect();
        Environment {
            vars,
            stdin_tty: std::io::stdin().is_terminal(),
            stdout_tty: std::io::stdout().is_terminal(),
            stderr_tty: std::io::stderr().is_terminal(),
        }
    }

    /// The same environment with one more variable (for tests).
    #[cfg(test)]
    pub fn with_var(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// A variable's value; an empty value counts as unset.
    fn value(&self, name: &str) -> Option<&OsString> {
        self.vars.get(name).filter(|v| !v.is_empty())
    }

    /// Whether a variable is present at all (`NO_COLOR=` and `CI=` count).
    fn present(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }
}

/// What every command shares: the spec file and how to print.
#[derive(Debug, Clone)]
pub struct GlobalSettings {
    /// `-f FILE`, else `BERTH_FILE`, else `berth.yaml`.
    pub file: PathBuf,
    pub output: OutputFormat,
    /// Colors: stderr is a terminal and neither `--no-color` nor `NO_COLOR` is given.
    pub color: bool,
    pub quiet: bool,
    /// stderr is a terminal (live progress instead of plain lines).
    pub terminal: bool,
    pub workspace: WorkspaceSettings,
    /// `--context`: the kube context a Kubernetes environment acts on.
    pub context: Option<String>,
}

/// What the project's `.berth/` workspace takes from the environment.
#[derive(Debug, Clone)]
pub struct WorkspaceSettings {
    /// The terraform executable: `BERTH_TERRAFORM`, else `terraform` on PATH.
    pub terraform: String,
    /// (environment, pid) from `BERTH_ENVIRONMENT` and `BERTH_LOCK_PID`: the lock the `berth`
    /// that runs a recipe's command shares with it.
    pub parent_lock: Option<(String, String)>,
}

impl WorkspaceSettings {
    fn resolve(env: &Environment) -> Self {
        let text = |k: &str| env.value(k).map(|v| v.to_string_lossy().into_owned());
        WorkspaceSettings {
            terraform: text(TERRAFORM_VAR).unwrap_or_else(|| "terraform".into()),
            parent_lock: text(LOCK_ENV_VAR).zip(text(LOCK_PID_VAR)),
        }
    }

    /// The workspace of the project at ROOT.
    pub fn workspace(&self, root: PathBuf) -> Workspace {
        let mut ws = Workspace::new(root);
        ws.terraform = self.terraform.clone();
        ws.parent_lock = self.parent_lock.clone();
        ws
    }
}

impl GlobalSettings {
    fn resolve(g: &Global, no_color: bool, quiet: bool, env: &Environment) -> Self {
        let file = g
            .file
            .clone()
            .or_else(|| env.value("BERTH_FILE").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("berth.yaml"));
        // A dumb terminal gets neither colours nor live redrawing, as if it were a file.
        let terminal = env.stderr_tty && env.value("TERM").is_none_or(|t| t != "dumb");
        GlobalSettings {
            file,
            output: g.output,
            color: !no_color && !env.present("NO_COLOR") && terminal,
            quiet,
            terminal,
            workspace: WorkspaceSettings::resolve(env),
            context: g.context.clone(),
        }
    }

    pub fn printer(&self) -> Printer {
        Printer {
            format: self.output,
            color: self.color,
            quiet: self.quiet,
            terminal: self.terminal,
        }
    }
}

/// Which environments a command covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environments {
    /// Every environment of the spec (no `-e`, or `--all`).
    All,
    Named(Vec<String>),
}

impl Environments {
    fn from_names(names: Vec<String>) -> Self {
        if names.is_empty() {
            Environments::All
        } else {
            Environments::Named(names)
        }
    }

    /// The names, as the renderer takes them (empty = all).
    pub fn names(&self) -> &[String] {
        match self {
            Environments::All => &[],
            Environments::Named(n) => n,
        }
    }
}

#[derive(Debug)]
pub struct RenderSettings {
    pub environments: Environments,
    /// Output directory; `None` = `deploy` next to berth.yaml.
    pub out: Option<PathBuf>,
    /// Report drift instead of writing.
    pub check: bool,
}

#[derive(Debug)]
pub struct BackupSettings {
    pub environment: String,
    pub store: String,
    /// Restore (else back up).
    pub restore: bool,
    /// Restore: the backup's ID (default: the newest).
    pub from: Option<String>,
    pub dry_run: bool,
    pub timeout: Duration,
}

#[derive(Debug)]
pub struct CiSettings {
    /// Show the workflows, write nothing.
    pub dry_run: bool,
    /// Report drift instead of writing.
    pub check: bool,
}

#[derive(Debug)]
pub struct DiffSettings {
    pub environments: Environments,
    pub out: Option<PathBuf>,
}

#[derive(Debug)]
pub struct UpSettings {
    /// `None` = the first compose environment.
    pub environment: Option<String>,
    pub services: Vec<String>,
    pub build: bool,
    pub timeout: Duration,
    /// Print the plan, change nothing (Kubernetes).
    pub dry_run: bool,
    /// Roll back to the last revision when a rollout or Job fails (Kubernetes).
    pub atomic: bool,
    /// Build nothing: the images were pushed under the commit tag by CI (Kubernetes).
    pub no_build: bool,
}

#[derive(Debug)]
pub struct RollbackSettings {
    pub environment: String,
    pub to: Option<u32>,
    pub dry_run: bool,
    pub timeout: Duration,
}

#[derive(Debug)]
pub struct DevSettings {
    /// `None` = the first native environment.
    pub environment: Option<String>,
    pub dry_run: bool,
    pub timeout: Duration,
}

#[derive(Debug)]
pub struct DownSettings {
    pub environment: Option<String>,
    pub volumes: bool,
}

#[derive(Debug)]
pub struct StatusSettings {
    pub environment: Option<String>,
}

#[derive(Debug)]
pub struct LogsSettings {
    pub environment: Option<String>,
    pub service: Option<String>,
    pub follow: bool,
    pub tail: Option<u32>,
}

#[derive(Debug)]
pub struct RestartSettings {
    pub environment: Option<String>,
    pub service: String,
    pub timeout: Duration,
}

#[derive(Debug)]
pub struct RunSettings {
    pub environment: Option<String>,
    pub job: String,
    /// stdin and stdout are terminals: the job gets a TTY.
    pub tty: bool,
}

#[derive(Debug)]
pub struct DeploySettings {
    /// `None` lists the recipes.
    pub name: Option<String>,
    pub timeout: Duration,
    /// Print the plan, change nothing (Kubernetes).
    pub dry_run: bool,
}

#[derive(Debug)]
pub struct InfraSettings {
    pub action: Action,
    pub environment: String,
    pub auto_approve: bool,
    /// stdin is a terminal, so apply/destroy can ask.
    pub interactive: bool,
    /// `--endpoint`, else `BERTH_AWS_ENDPOINT`: an http(s) URL.
    pub endpoint: Option<String>,
    pub out: Option<PathBuf>,
}

#[derive(Debug)]
pub struct ClusterSettings {
    pub action: berth_drive::cluster::Action,
    pub environment: String,
    pub dry_run: bool,
}

#[derive(Debug)]
pub struct ForwardSettings {
    pub environment: String,
    pub service: Option<String>,
    pub dry_run: bool,
}

#[derive(Debug)]
pub struct SecretsSettings {
    pub environment: String,
    pub out: Option<PathBuf>,
    pub dry_run: bool,
}

#[derive(Debug)]
pub struct InitSettings {
    pub name: Option<String>,
    pub force: bool,
}

/// Where `berth import` writes the berth.yaml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportTarget {
    File(PathBuf),
    Stdout,
}

#[derive(Debug)]
pub struct ImportSettings {
    pub files: Vec<PathBuf>,
    pub profiles: Vec<String>,
    pub target: ImportTarget,
    pub force: bool,
    pub project_dir: Option<PathBuf>,
    pub project_name: Option<String>,
    pub reader: Reader,
    pub kubernetes: Option<LocalCluster>,
}

/// What to run.
#[derive(Debug)]
pub enum CommandSettings {
    Validate,
    Resolve {
        environment: String,
    },
    Render(RenderSettings),
    Ci(CiSettings),
    Backup(BackupSettings),
    Diff(DiffSettings),
    Up(UpSettings),
    Dev(DevSettings),
    Down(DownSettings),
    Status(StatusSettings),
    History {
        environment: String,
    },
    Rollback(RollbackSettings),
    Logs(LogsSettings),
    Restart(RestartSettings),
    Run(RunSettings),
    Deploy(DeploySettings),
    Infra(InfraSettings),
    Cluster(ClusterSettings),
    Forward(ForwardSettings),
    Secrets(SecretsSettings),
    Schema,
    Init(InitSettings),
    Import(ImportSettings),
    Completions(clap_complete::Shell),
    /// No command, a person at a terminal and a spec: the interactive menu.
    Menu,
    /// No command otherwise: print the usage (exit 2).
    Help,
}

/// The resolved settings of one invocation. A usage error in the combination of flags and
/// environment comes back with the global settings, so it can be printed as they ask.
pub fn resolve(
    invocation: Invocation,
    env: &Environment,
) -> (GlobalSettings, Result<CommandSettings, CliError>) {
    match invocation {
        Invocation::Berth(cli) => {
            let global =
                GlobalSettings::resolve(&cli.global, cli.global.no_color, cli.global.quiet, env);
            let command = command(cli, &global, env);
            (global, command)
        }
        Invocation::Import(g, import) => {
            let global = GlobalSettings::resolve(
                &g,
                g.no_color || import.no_color,
                g.quiet || import.quiet,
                env,
            );
            let command = import_settings(import, global.output).map(CommandSettings::Import);
            (global, command)
        }
    }
}

fn command(
    cli: Cli,
    global: &GlobalSettings,
    env: &Environment,
) -> Result<CommandSettings, CliError> {
    let secs = Duration::from_secs;
    Ok(match cli.command {
        None if env.stdin_tty && env.stderr_tty && !env.present("CI") && global.file.exists() => {
            CommandSettings::Menu
        }
        None => CommandSettings::Help,
        Some(Command::Validate) => CommandSettings::Validate,
        Some(Command::Resolve { environment }) => CommandSettings::Resolve { environment },
        Some(Command::Render {
            environments,
            all: _, // clap rejects `--all` with `-e`; without `-e` all is the default.
            out,
            check,
        }) => CommandSettings::Render(RenderSettings {
            environments: Environments::from_names(environments),
            out,
            check,
        }),
        Some(Command::Backup {
            environment,
            store,
            dry_run,
            timeout,
        }) => CommandSettings::Backup(BackupSettings {
            environment,
            store,
            restore: false,
            from: None,
            dry_run,
            timeout: secs(timeout),
        }),
        Some(Command::Restore {
            environment,
            store,
            from,
            dry_run,
            timeout,
        }) => CommandSettings::Backup(BackupSettings {
            environment,
            store,
            restore: true,
            from,
            dry_run,
            timeout: secs(timeout),
        }),
        Some(Command::Ci { dry_run, check }) => CommandSettings::Ci(CiSettings { dry_run, check }),
        Some(Command::Diff { environment, out }) => CommandSettings::Diff(DiffSettings {
            environments: Environments::from_names(environment.into_iter().collect()),
            out,
        }),
        Some(Command::Up {
            environment,
            services,
            build,
            timeout,
            dry_run,
            atomic,
            no_build,
        }) => CommandSettings::Up(UpSettings {
            environment,
            services,
            build,
            timeout: secs(timeout),
            dry_run,
            atomic,
            no_build,
        }),
        Some(Command::History { environment }) => CommandSettings::History { environment },
        Some(Command::Rollback {
            environment,
            to,
            dry_run,
            timeout,
        }) => CommandSettings::Rollback(RollbackSettings {
            environment,
            to,
            dry_run,
            timeout: secs(timeout),
        }),
        Some(Command::Dev {
            environment,
            dry_run,
            timeout,
        }) => CommandSettings::Dev(DevSettings {
            environment,
            dry_run,
            timeout: secs(timeout),
        }),
        Some(Command::Down {
            environment,
            volumes,
        }) => CommandSettings::Down(DownSettings {
            environment,
            volumes,
        }),
        Some(Command::Status { environment }) => {
            CommandSettings::Status(StatusSettings { environment })
        }
        Some(Command::Logs {
            service,
            follow,
            tail,
            environment,
        }) => CommandSettings::Logs(LogsSettings {
            environment,
            service,
            follow,
            tail,
        }),
        Some(Command::Restart {
            service,
            environment,
            timeout,
        }) => CommandSettings::Restart(RestartSettings {
            environment,
            service,
            timeout: secs(timeout),
        }),
        Some(Command::Run { job, environment }) => CommandSettings::Run(RunSettings {
            environment,
            job,
            tty: env.stdin_tty && env.stdout_tty,
        }),
        Some(Command::Deploy {
            name,
            timeout,
            dry_run,
        }) => CommandSettings::Deploy(DeploySettings {
            name,
            timeout: secs(timeout),
            dry_run,
        }),
        Some(Command::Infra { action }) => CommandSettings::Infra(infra(action, env)?),
        Some(Command::Cluster { action }) => CommandSettings::Cluster(cluster(action)),
        Some(Command::Forward {
            environment,
            service,
            dry_run,
        }) => CommandSettings::Forward(ForwardSettings {
            environment,
            service,
            dry_run,
        }),
        Some(Command::Secrets {
            environment,
            out,
            dry_run,
        }) => CommandSettings::Secrets(SecretsSettings {
            environment,
            out,
            dry_run,
        }),
        Some(Command::Schema) => CommandSettings::Schema,
        Some(Command::Init { name, force }) => CommandSettings::Init(InitSettings { name, force }),
        Some(Command::Completions { shell }) => CommandSettings::Completions(shell),
        Some(Command::Import { .. }) => {
            unreachable!("args::parse hands `import` to ImportCli")
        }
    })
}

fn cluster(action: ClusterAction) -> ClusterSettings {
    use berth_drive::cluster::Action;
    let (action, args) = match action {
        ClusterAction::Create(a) => (Action::Create, a),
        ClusterAction::Delete(a) => (Action::Delete, a),
        ClusterAction::Status(a) => (Action::Status, a),
    };
    ClusterSettings {
        action,
        environment: args.environment,
        dry_run: args.dry_run,
    }
}

fn infra(action: InfraAction, env: &Environment) -> Result<InfraSettings, CliError> {
    let (action, args): (Action, InfraArgs) = match action {
        InfraAction::Plan(a) => (Action::Plan, a),
        InfraAction::Apply(a) => (Action::Apply, a),
        InfraAction::Destroy(a) => (Action::Destroy, a),
    };
    let endpoint = match args.endpoint {
        Some(url) => Some(endpoint("--endpoint", url)?),
        None => env
            .value("BERTH_AWS_ENDPOINT")
            .map(|v| endpoint("BERTH_AWS_ENDPOINT", v.to_string_lossy().into_owned()))
            .transpose()?,
    };
    Ok(InfraSettings {
        action,
        environment: args.environment,
        auto_approve: args.auto_approve,
        interactive: env.stdin_tty,
        endpoint,
        out: args.out,
    })
}

/// An emulator endpoint must be an http(s) URL.
fn endpoint(from: &str, url: String) -> Result<String, CliError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url)
    } else {
        Err(CliError::usage(format!(
            "{from} `{url}` is not a URL: give the emulator's address, e.g. http://127.0.0.1:5000"
        )))
    }
}

fn import_settings(cli: ImportCli, output: OutputFormat) -> Result<ImportSettings, CliError> {
    let target = if cli.out.as_os_str() == "-" {
        ImportTarget::Stdout
    } else {
        ImportTarget::File(cli.out)
    };
    if target == ImportTarget::Stdout && output != OutputFormat::Text {
        return Err(CliError::usage(
            "`-o -` prints the berth.yaml on stdout, where the report goes with `--output json|yaml`: \
             write the berth.yaml to a file (`-o berth.yaml`) or drop `--output`",
        ));
    }
    Ok(ImportSettings {
        files: cli.files,
        profiles: cli.profiles,
        target,
        force: cli.force,
        project_dir: cli.project_dir,
        project_name: cli.project_name,
        reader: cli.reader,
        kubernetes: cli.kubernetes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args;

    fn settings(
        words: &[&str],
        env: &Environment,
    ) -> (GlobalSettings, Result<CommandSettings, CliError>) {
        resolve(args::parse(words.iter().map(OsString::from).collect()), env)
    }

    #[test]
    fn the_spec_file_comes_from_the_flag_then_berth_file_then_the_default() {
        let env = Environment::default();
        assert_eq!(
            settings(&["berth", "validate"], &env).0.file,
            PathBuf::from("berth.yaml")
        );
        let env = env.with_var("BERTH_FILE", "env.yaml");
        assert_eq!(
            settings(&["berth", "validate"], &env).0.file,
            PathBuf::from("env.yaml")
        );
        let (g, _) = settings(&["berth", "-f", "flag.yaml", "validate"], &env);
        assert_eq!(g.file, PathBuf::from("flag.yaml"));
        let empty = Environment::default().with_var("BERTH_FILE", "");
        assert_eq!(
            settings(&["berth", "validate"], &empty).0.file,
            PathBuf::from("berth.yaml")
        );
    }

    #[test]
    fn colors_only_on_a_terminal_without_no_color() {
        let tty = Environment {
            stderr_tty: true,
            ..Environment::default()
        };
        assert!(settings(&["berth", "schema"], &tty).0.color);
        assert!(!settings(&["berth", "--no-color", "schema"], &tty).0.color);
        assert!(
            !settings(&["berth", "schema"], &tty.clone().with_var("NO_COLOR", ""))
                .0
                .color
        );
        assert!(
            !settings(&["berth", "schema"], &Environment::default())
                .0
                .color
        );
        let dumb = settings(&["berth", "schema"], &tty.clone().with_var("TERM", "dumb")).0;
        assert!(!dumb.color && !dumb.terminal);
        let xterm = settings(&["berth", "schema"], &tty.clone().with_var("TERM", "xterm")).0;
        assert!(xterm.color && xterm.terminal);
    }

    #[test]
    fn render_without_names_or_with_all_covers_every_environment() {
        for words in [&["berth", "render"][..], &["berth", "render", "--all"]] {
            let Ok(CommandSettings::Render(r)) = settings(words, &Environment::default()).1 else {
                panic!("not render")
            };
            assert_eq!(r.environments, Environments::All);
            assert!(r.environments.names().is_empty());
        }
        let Ok(CommandSettings::Render(r)) = settings(
            &["berth", "render", "-e", "a", "-e", "b"],
            &Environment::default(),
        )
        .1
        else {
            panic!("not render")
        };
        assert_eq!(r.environments.names(), ["a", "b"]);
    }

    #[test]
    fn infra_reads_terraform_and_endpoint_from_the_environment() {
        let env = Environment::default()
            .with_var("BERTH_TERRAFORM", "/opt/tf")
            .with_var("BERTH_AWS_ENDPOINT", "http://127.0.0.1:5000");
        let (g, s) = settings(&["berth", "infra", "plan", "dev"], &env);
        let Ok(CommandSettings::Infra(i)) = s else {
            panic!("not infra")
        };
        assert_eq!(g.workspace.terraform, "/opt/tf");
        assert_eq!(g.workspace.workspace("p".into()).terraform, "/opt/tf");
        assert_eq!(i.endpoint.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(i.action, Action::Plan);
        let bad = Environment::default().with_var("BERTH_AWS_ENDPOINT", "127.0.0.1:5000");
        let err = settings(&["berth", "infra", "plan", "dev"], &bad)
            .1
            .unwrap_err();
        assert_eq!(err.status(), crate::error::ExitStatus::Usage);
        assert!(err
            .to_string()
            .starts_with("BERTH_AWS_ENDPOINT `127.0.0.1:5000` is not a URL"));
    }

    #[test]
    fn a_recipe_command_shares_its_parents_lock() {
        let env = Environment::default();
        let ws = settings(&["berth", "up"], &env).0.workspace;
        assert_eq!((ws.terraform.as_str(), ws.parent_lock), ("terraform", None));
        let env = env.with_var("BERTH_ENVIRONMENT", "local");
        assert_eq!(
            settings(&["berth", "up"], &env).0.workspace.parent_lock,
            None
        );
        let env = env.with_var("BERTH_LOCK_PID", "42");
        let ws = settings(&["berth", "up"], &env)
            .0
            .workspace
            .workspace("p".into());
        assert_eq!(ws.parent_lock, Some(("local".into(), "42".into())));
    }

    #[test]
    fn import_to_stdout_with_a_machine_format_is_a_usage_error() {
        let env = Environment::default();
        let err = settings(&["berth", "-o", "json", "import", "-o", "-"], &env)
            .1
            .unwrap_err();
        assert_eq!(err.status(), crate::error::ExitStatus::Usage);
        let (g, s) = settings(&["berth", "--no-color", "import", "-q"], &env);
        assert!(g.quiet && !g.color);
        assert!(
            matches!(s, Ok(CommandSettings::Import(i)) if i.target == ImportTarget::File("berth.yaml".into()))
        );
    }

    #[test]
    fn no_command_is_the_menu_only_for_a_person_with_a_spec() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("berth.yaml");
        std::fs::write(&spec, "name: x\n").unwrap();
        let spec = spec.to_str().unwrap();
        let tty = Environment {
            stdin_tty: true,
            stderr_tty: true,
            ..Environment::default()
        };
        assert!(matches!(
            settings(&["berth", "-f", spec], &tty).1,
            Ok(CommandSettings::Menu)
        ));
        let ci = tty.clone().with_var("CI", "true");
        assert!(matches!(
            settings(&["berth", "-f", spec], &ci).1,
            Ok(CommandSettings::Help)
        ));
        let none = dir.path().join("nope.yaml");
        let none = none.to_str().unwrap();
        assert!(matches!(
            settings(&["berth", "-f", none], &tty).1,
            Ok(CommandSettings::Help)
        ));
    }
}
