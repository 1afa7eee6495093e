//! `berth secrets ENV [--out DIR] [--dry-run]`: an environment's secret values for people who
//! run the rendered artifacts with plain `docker compose` or `kubectl`. The plan comes first
//! (`--dry-run`, `-o json`: files, the Secret's keys and every value's source, no values); then
//! compose environments get the rendered directory's git-ignored `.secrets/` files and
//! Kubernetes environments the Secret of local values on stdout (`| kubectl apply -f -`).

use super::drive::SOURCES;
use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use crate::project;
use crate::settings::{GlobalSettings, SecretsSettings};
use berth_drive::materialize::{self, Materialized, SecretsPlan};
use serde::Serialize;

pub fn run(
    g: &GlobalSettings,
    printer: &Printer,
    s: SecretsSettings,
) -> Result<ExitStatus, CliError> {
    let project = project::load(&g.file)?;
    printer.diagnostics(&project.source, &project.warnings);
    let model = berth_spec::resolve(&project.spec, &s.environment)?;
    let ws = g.workspace.workspace(project.root());
    let out = project.out_dir(s.out.as_deref());
    let plan = materialize::plan(&model, &out, &ws)?;
    if s.dry_run {
        printer.report(&PlanReport(&plan))?;
        return Ok(ExitStatus::Success);
    }
    let done = materialize::run(&plan, &model, &ws, &SOURCES)?;
    for m in &done.missing {
        let what = match m.kind {
            "env" => format!("host variable {} is not set", m.name),
            _ => format!("file {} cannot be read", m.name),
        };
        printer.warn(format!(
            "{what}: its secret is written empty; set it and run `berth secrets {}` again",
            plan.environment
        ));
    }
    match &done.manifest {
        Some(secret) => printer.report(&Manifest(secret))?,
        None if plan.platform == "kubernetes" => printer.info(format!(
            "environment `{}` has no local secret values",
            plan.environment
        )),
        None => printer.report(&Written(&plan, &done))?,
    }
    Ok(ExitStatus::Success)
}

struct PlanReport<'a>(&'a SecretsPlan);

impl Serialize for PlanReport<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl Report for PlanReport<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        let p = self.0;
        let mut out = format!("secrets of `{}` ({}):\n", p.environment, p.platform);
        if let Some(dir) = &p.out {
            for f in &p.files {
                let holds = match f.kind {
                    "env" => f.variables.join(", "),
                    _ => format!("the value of {}", f.secrets.join(", ")),
                };
                out.push_str(&format!(
                    "  write {}: {holds}\n",
                    dir.join(&f.path).display()
                ));
            }
        }
        if let Some(k) = &p.secret {
            out.push_str(&format!(
                "  print Secret {}/{} (keys {}) for `kubectl apply -f -`\n",
                k.namespace,
                k.name,
                k.keys.join(", ")
            ));
        }
        for src in &p.sources {
            let from = match (&src.read, src.from) {
                (None, _) => format!("generated once, kept in {}", p.state.display()),
                (Some(r), "env") => format!("host variable {r}"),
                (Some(r), from) => format!("{from} {r}"),
            };
            out.push_str(&format!("  {}: {from}\n", src.secret));
        }
        printer.out(out.trim_end());
        Ok(())
    }
}

/// The compose files written.
struct Written<'a>(&'a SecretsPlan, &'a Materialized);

impl Serialize for Written<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            environment: &'a str,
            #[serde(flatten)]
            done: &'a Materialized,
        }
        Out {
            environment: &self.0.environment,
            done: self.1,
        }
        .serialize(s)
    }
}

impl Report for Written<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        let dir = self.0.out.clone().unwrap_or_default();
        printer.success(format!(
            "wrote {} secret file(s) under {} ({} changed); never commit them",
            self.1.files.len(),
            dir.display(),
            self.1.changed.len()
        ));
        Ok(())
    }
}

/// The Kubernetes Secret, values included: YAML on stdout (JSON with `-o json`).
struct Manifest<'a>(&'a serde_json::Value);

impl Serialize for Manifest<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl Report for Manifest<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        printer.out(berth_render::yaml::to_yaml(self.0));
        Ok(())
    }
}
