//! `berth import`: an existing docker compose project → a commented berth.yaml.
//!
//! Its flags follow `docker compose` (`-f` compose files, `--profile`, `-p`) and `-o` names the
//! berth.yaml to write, so it cannot share clap's global `-f`/`-o`: `main` hands the words after
//! `import` to [`ImportCli`] (see [`split_import`]).

use crate::printer::Printer;
use crate::project::exit;
use berth_import::{ImportOptions, LocalCluster, Reader};
use clap::Parser;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(
    name = "berth import",
    about = "Turn a docker compose project into a berth.yaml (stores, services, jobs, secrets, wiring).",
    after_help = "Reads compose through `docker compose config` when the plugin is installed, else with \
                  a built-in reader that follows compose's rules. Every compose key that Berth drops or \
                  approximates is listed in the header of the written file and printed as a warning."
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

/// When the command line is `berth [GLOBAL FLAGS] import ARGS…`, the argv for [`ImportCli`]
/// (`berth import ARGS…` plus the global `--no-color`/`-q` given before `import`).
pub fn split_import(argv: &[OsString]) -> Option<Vec<OsString>> {
    let mut i = 1;
    let mut carried = Vec::new();
    while i < argv.len() {
        let a = argv[i].to_str()?;
        match a {
            "import" => {
                let mut out = vec![OsString::from("berth import")];
                out.extend(carried);
                out.extend(argv[i + 1..].iter().cloned());
                return Some(out);
            }
            "--no-color" | "-q" | "--quiet" => carried.push(argv[i].clone()),
            "-f" | "--file" | "-o" | "--output" => i += 1,
            _ if a.starts_with("--file=") || a.starts_with("--output=") => {}
            _ => return None,
        }
        i += 1;
    }
    None
}

pub fn run(cli: ImportCli) -> u8 {
    let printer = Printer::plain(cli.no_color, cli.quiet);
    let to_stdout = cli.out.as_os_str() == "-";
    if !to_stdout && cli.out.exists() && !cli.force {
        printer.error(format!(
            "{} already exists; pass --force to overwrite it, or -o OTHER.yaml",
            cli.out.display()
        ));
        return exit::USAGE;
    }
    let output_dir = if to_stdout {
        None
    } else {
        Some(match cli.out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        })
    };
    let opts = ImportOptions {
        files: cli.files.clone(),
        profiles: cli.profiles.clone(),
        project_dir: cli.project_dir.clone(),
        project_name: cli.project_name.clone(),
        reader: cli.reader,
        kubernetes: cli.kubernetes,
        output_dir,
        environment: None,
    };
    let outcome = match berth_import::import(&opts) {
        Ok(o) => o,
        Err(e) => {
            printer.error(e.to_string());
            return match e {
                berth_import::ImportError::NoComposeFile(_)
                | berth_import::ImportError::Io { .. } => exit::USAGE,
                _ => exit::FAILED,
            };
        }
    };
    // The emitted spec must pass Berth's own checks before anything is written.
    let target = if to_stdout {
        Path::new("berth.yaml")
    } else {
        cli.out.as_path()
    };
    let source = berth_spec::Source::new(target.display().to_string(), outcome.yaml.as_str());
    let loaded = berth_spec::validate(&source);
    if loaded.diagnostics.iter().any(|d| d.is_error()) {
        printer.diagnostics(&source, &loaded.diagnostics);
        printer.error(
            "the imported berth.yaml does not validate; nothing was written (this is a bug in berth import: please report it with the compose file)",
        );
        return exit::FAILED;
    }
    let reader = match outcome.reader {
        Reader::Docker => "docker compose config",
        _ => "the built-in compose reader",
    };
    for w in &outcome.warnings {
        printer.warn(format!("{}: {}", w.path, w.message));
    }
    if to_stdout {
        printer.out(&outcome.yaml);
    } else if let Err(e) = berth_drive::fsutil::write_atomic(
        &cli.out,
        outcome.yaml.as_bytes(),
        berth_drive::fsutil::Content::State,
    ) {
        printer.error(format!("cannot write {}: {e}", cli.out.display()));
        return exit::FAILED;
    }
    let stack = loaded
        .spec
        .as_ref()
        .map(|s| s.name.value.clone())
        .unwrap_or_default();
    let counts = loaded
        .spec
        .as_ref()
        .map(|s| (s.services.len(), s.stores.len(), s.secrets.len()))
        .unwrap_or_default();
    printer.success(format!(
        "imported `{stack}` with {reader}: {} service(s)/job(s), {} store(s), {} secret(s); {} inference(s), {} key(s) dropped or approximated (listed in the header){}",
        counts.0,
        counts.1,
        counts.2,
        outcome.inferred.len(),
        outcome.warnings.len(),
        if to_stdout { String::new() } else { format!(" → {}", cli.out.display()) }
    ));
    if !to_stdout {
        printer.info(format!(
            "next: berth -f {f} validate && berth -f {f} render",
            f = cli.out.display()
        ));
    }
    exit::OK
}
