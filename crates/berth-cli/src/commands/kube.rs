//! The driving commands on a Kubernetes environment (`up`, `deploy`, `down`, `status`, `logs`,
//! `restart`, `run`): the same settings, lock, progress, history and exit codes as compose,
//! executed by `berth_drive::kube`. `up --dry-run` prints the steps and contacts no cluster.

use super::drive::{self, Progress, Session};
use super::up::Plan;
use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use crate::settings::{GlobalSettings, RollbackSettings};
use berth_drive::compose::Observer;
use berth_drive::kube::revision::{self, Revision, RollbackStep};
use berth_drive::kube::{KubeDriver, KubeUpReport, Step, WorkloadStatus};
use berth_drive::DriveError;
use serde::Serialize;
use std::time::{Duration, Instant};

/// What `up --dry-run` prints: the environment, its context and tag, and every step.
#[derive(Serialize)]
struct DryRun<'a> {
    environment: &'a str,
    namespace: &'a str,
    context: String,
    tag: &'a str,
    steps: Vec<Step>,
}

impl Report for DryRun<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        let mut text = format!(
            "plan for {} (context {}, namespace {}{}):\n",
            self.environment,
            self.context,
            self.namespace,
            if self.tag.is_empty() {
                String::new()
            } else {
                format!(", image tag {}", self.tag)
            }
        );
        for (i, s) in self.steps.iter().enumerate() {
            text.push_str(&format!("{:3}. {}\n", i + 1, s.summary()));
        }
        printer.out(text);
        Ok(())
    }
}

/// The context an EKS environment's dry run shows when none is given (it needs none to plan).
const EKS_PLACEHOLDER: &str = "EKS-CONTEXT";

/// Print the steps; no cluster is contacted and nothing is written.
fn dry_run(
    printer: &Printer,
    session: &Session,
    driver: &KubeDriver,
    timeout: Duration,
    no_build: bool,
) -> Result<ExitStatus, CliError> {
    let context = match driver.context() {
        Ok(c) => c,
        Err(_) if session.model.cluster == Some(berth_spec::Cluster::Eks) => {
            printer.warn(format!(
                "no --context given: the plan shows {EKS_PLACEHOLDER} where the EKS context goes"
            ));
            EKS_PLACEHOLDER.to_string()
        }
        Err(e) => return Err(e.into()),
    };
    printer.report(&DryRun {
        environment: &session.model.environment,
        namespace: &session.model.namespace,
        steps: without_images(
            berth_drive::kube::steps::steps(&driver.plan, &context, timeout.as_secs()),
            no_build,
        ),
        context,
        tag: &driver.tag,
    })?;
    Ok(ExitStatus::Success)
}

/// The steps without building, loading or pushing images when `no_build` (CI pushed them).
fn without_images(mut steps: Vec<Step>, no_build: bool) -> Vec<Step> {
    if no_build {
        steps.retain(|s| {
            !matches!(
                s,
                Step::Build { .. } | Step::Load { .. } | Step::Push { .. }
            )
        });
    }
    steps
}

/// `up` / `deploy` of a Kubernetes environment.
pub fn up(printer: &Printer, session: &Session, plan: &Plan) -> Result<ExitStatus, CliError> {
    if plan.only.is_some() || !plan.services.is_empty() {
        return Err(CliError::usage(
            "a Kubernetes environment is applied whole: `only:` and service subsets are for compose environments",
        ));
    }
    let driver = session.kube_driver()?;
    if plan.dry_run {
        return dry_run(printer, session, &driver, plan.opts.timeout, plan.no_build);
    }
    let steps = without_images(driver.steps(plan.opts.timeout)?, plan.no_build);
    let started = Instant::now();
    let lock = driver.lock()?;
    let progress = Progress::new(printer);
    let result = (|| -> Result<KubeUpReport, DriveError> {
        for cmd in &plan.pre {
            progress.step(&format!("pre: {cmd}"));
            driver.hook("pre", cmd)?;
        }
        printer.info(format!(
            "{} {} ({}) on context {}",
            if plan.recipe.is_some() {
                "deploying"
            } else {
                "applying"
            },
            session.model.stack,
            session.model.environment,
            driver.context()?
        ));
        let report = match driver.up(&lock, &steps, &progress) {
            Ok(r) => r,
            Err(e) if plan.atomic => {
                match driver.recover(&e, plan.opts.timeout, &progress) {
                    Some(Ok(rev)) => printer.warn(format!(
                        "--atomic: rolled back to revision {} (recorded as revision {})",
                        rev.rollback_of.unwrap_or_default(),
                        rev.number
                    )),
                    Some(Err(re)) => printer.warn(format!("--atomic: the rollback failed too: {re}")),
                    None => printer.warn(
                        "--atomic: nothing rolled back (no recorded revision, or the failure was not a rollout or Job)",
                    ),
                }
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        for cmd in &plan.post {
            progress.step(&format!("post: {cmd}"));
            driver.hook("post", cmd)?;
        }
        Ok(report)
    })();
    drive::record_up(printer, session, plan.recipe, started, &result);
    printer.report(&Up {
        report: &result?,
        session,
        took: started.elapsed(),
    })?;
    Ok(ExitStatus::Success)
}

struct Up<'a> {
    report: &'a KubeUpReport,
    session: &'a Session,
    took: Duration,
}

impl Serialize for Up<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.report.serialize(s)
    }
}

impl Report for Up<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        let r = self.report;
        printer.success(format!(
            "{} ({}) is up on {} in {:.1}s — {} objects applied, ready: {}",
            self.session.model.stack,
            self.session.model.environment,
            r.context,
            self.took.as_secs_f64(),
            r.applied,
            if r.ready.is_empty() {
                "-".to_string()
            } else {
                r.ready.join(", ")
            }
        ));
        Ok(())
    }
}

/// `down` of a Kubernetes environment.
pub fn down(printer: &Printer, session: &Session, volumes: bool) -> Result<ExitStatus, CliError> {
    let started = Instant::now();
    let driver = session.kube_driver()?;
    let _lock = driver.lock()?;
    let result = driver.down(volumes);
    drive::record(
        printer,
        session,
        "down",
        None,
        started,
        result.as_ref().map(|_| ()),
    );
    let deleted = result?;
    printer.success(format!(
        "{} ({}) is down: {} objects deleted{}",
        session.model.stack,
        session.model.environment,
        deleted.len(),
        if volumes {
            "; the namespace and its volume claims are deleted"
        } else {
            "; namespace and volume claims kept (`berth down --volumes` deletes the data)"
        }
    ));
    Ok(ExitStatus::Success)
}

#[derive(Serialize)]
struct Status<'a> {
    stack: &'a str,
    environment: &'a str,
    context: String,
    workloads: Vec<WorkloadStatus>,
}

impl Report for Status<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        let w = self
            .workloads
            .iter()
            .map(|s| s.name.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let mut text = format!(
            "{} ({}) on {}\n  {:w$}  READY  RESTARTS  IMAGE\n",
            self.stack, self.environment, self.context, "NAME"
        );
        for s in &self.workloads {
            text.push_str(&format!(
                "  {:w$}  {:5}  {:8}  {}\n",
                s.name,
                format!("{}/{}", s.ready, s.total),
                s.restarts,
                s.images.join(", ")
            ));
            if let Some(r) = &s.rollout {
                text.push_str(&format!("  {:w$}  rollout: {}\n", "", r.summary()));
            }
        }
        printer.out(text);
        Ok(())
    }
}

/// `status` of a Kubernetes environment (read-only).
pub fn status(printer: &Printer, session: &Session) -> Result<ExitStatus, CliError> {
    let driver = session.kube_driver()?;
    let workloads = driver.status()?;
    printer.report(&Status {
        stack: &session.model.stack,
        environment: &session.model.environment,
        context: driver.context()?,
        workloads,
    })?;
    Ok(ExitStatus::Success)
}

/// `logs` of a Kubernetes environment.
pub fn logs(
    session: &Session,
    service: Option<&str>,
    follow: bool,
    tail: Option<u32>,
) -> Result<ExitStatus, CliError> {
    let code = session.kube_driver()?.logs(service, follow, tail)?;
    Ok(match code {
        Some(0) => ExitStatus::Success,
        _ => ExitStatus::Failure,
    })
}

/// `restart NAME` on a Kubernetes environment.
pub fn restart(
    printer: &Printer,
    session: &Session,
    name: &str,
    timeout: Duration,
) -> Result<ExitStatus, CliError> {
    let driver = session.kube_driver()?;
    let _lock = driver.lock()?;
    driver.restart(name, timeout, &Progress::new(printer))?;
    printer.success(format!("{name} restarted"));
    Ok(ExitStatus::Success)
}

/// `run JOB` on a Kubernetes environment.
pub fn run(
    printer: &Printer,
    session: &Session,
    job: &str,
    timeout: Duration,
) -> Result<ExitStatus, CliError> {
    let driver = session.kube_driver()?;
    let _lock = driver.lock()?;
    driver.run_job(job, timeout, &Progress::new(printer))?;
    printer.success(format!("{job} completed"));
    Ok(ExitStatus::Success)
}

/// The session of `env`, which must be a Kubernetes environment.
fn kube_session(
    g: &GlobalSettings,
    printer: &Printer,
    env: &str,
    command: &str,
) -> Result<Session, CliError> {
    let session = drive::session(g, printer, Some(env))?;
    if !session.is_kubernetes() {
        return Err(CliError::usage(format!(
            "`berth {command}` is for Kubernetes environments; `{env}` is not one"
        )));
    }
    Ok(session)
}

/// One line of `history`.
#[derive(Serialize)]
struct HistoryEntry<'a> {
    number: u32,
    time: u64,
    command: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rollback_of: Option<u32>,
    tag: &'a str,
    images: &'a [String],
    objects: usize,
}

#[derive(Serialize)]
struct History<'a> {
    environment: &'a str,
    revisions: Vec<HistoryEntry<'a>>,
}

impl Report for History<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        if self.revisions.is_empty() {
            printer.out(format!(
                "no revision of {} recorded yet (a successful `berth up {}` records one)\n",
                self.environment, self.environment
            ));
            return Ok(());
        }
        let mut text = format!(
            "{:>3}  {:20}  {:14}  {:7}  IMAGES\n",
            "REV", "TIME (UTC)", "WHAT", "OBJECTS"
        );
        for r in &self.revisions {
            let what = match r.rollback_of {
                Some(n) => format!("rollback to {n}"),
                None => r.command.to_string(),
            };
            let time = humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + Duration::from_secs(r.time),
            );
            text.push_str(&format!(
                "{:>3}  {:20}  {:14}  {:7}  {}\n",
                r.number,
                time.to_string(),
                what,
                r.objects,
                r.images.join(", ")
            ));
        }
        printer.out(text);
        Ok(())
    }
}

/// `history ENV`: the recorded revisions (`.berth/`, else the cluster's ConfigMaps); writes
/// nothing.
pub fn history(g: &GlobalSettings, printer: &Printer, env: &str) -> Result<ExitStatus, CliError> {
    let session = kube_session(g, printer, env, "history")?;
    let driver = session.kube_driver()?;
    let revs = driver.revisions()?;
    printer.report(&History {
        environment: &session.model.environment,
        revisions: revs.iter().map(entry).collect(),
    })?;
    Ok(ExitStatus::Success)
}

fn entry(r: &Revision) -> HistoryEntry<'_> {
    HistoryEntry {
        number: r.number,
        time: r.time,
        command: &r.command,
        rollback_of: r.rollback_of,
        tag: &r.tag,
        images: &r.images,
        objects: r.phases.iter().map(|p| p.objects.len()).sum(),
    }
}

/// What `rollback --dry-run` prints.
#[derive(Serialize)]
struct RollbackPlan<'a> {
    environment: &'a str,
    namespace: &'a str,
    context: String,
    revision: u32,
    tag: &'a str,
    images: &'a [String],
    steps: Vec<RollbackStep>,
}

impl Report for RollbackPlan<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        let mut text = format!(
            "rollback of {} to revision {} (context {}, namespace {}; images {}):\n",
            self.environment,
            self.revision,
            self.context,
            self.namespace,
            self.images.join(", ")
        );
        for (i, s) in self.steps.iter().enumerate() {
            text.push_str(&format!("{:3}. {}\n", i + 1, s.summary()));
        }
        printer.out(text);
        Ok(())
    }
}

/// `rollback ENV [--to N] [--dry-run]`.
pub fn rollback(
    g: &GlobalSettings,
    printer: &Printer,
    s: RollbackSettings,
) -> Result<ExitStatus, CliError> {
    let session = kube_session(g, printer, &s.environment, "rollback")?;
    let driver = session.kube_driver()?;
    let revs = driver.revisions()?;
    let target = revision::pick(&revs, s.to).map_err(DriveError::from)?;
    let context = driver.context()?;
    if s.dry_run {
        printer.report(&RollbackPlan {
            environment: &session.model.environment,
            namespace: &session.model.namespace,
            steps: revision::rollback_steps(
                target,
                &context,
                &session.model.namespace,
                s.timeout.as_secs(),
            ),
            context,
            revision: target.number,
            tag: &target.tag,
            images: &target.images,
        })?;
        return Ok(ExitStatus::Success);
    }
    let started = Instant::now();
    let lock = driver.lock()?;
    printer.info(format!(
        "rolling {} ({}) back to revision {} on context {context}",
        session.model.stack, session.model.environment, target.number
    ));
    let result = driver.rollback(&lock, target, s.timeout, &Progress::new(printer));
    drive::record(
        printer,
        &session,
        "rollback",
        None,
        started,
        result.as_ref().map(|_| ()),
    );
    let new = result?;
    printer.report(&RolledBack {
        environment: &session.model.environment,
        revision: new.number,
        rollback_of: target.number,
    })?;
    Ok(ExitStatus::Success)
}

#[derive(Serialize)]
struct RolledBack<'a> {
    environment: &'a str,
    revision: u32,
    rollback_of: u32,
}

impl Report for RolledBack<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        printer.success(format!(
            "{} is back at revision {} (recorded as revision {})",
            self.environment, self.rollback_of, self.revision
        ));
        Ok(())
    }
}
