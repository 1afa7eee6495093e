//! Driving Terraform for a cloud environment: `init`, then `plan`, `apply` or `destroy`, with
//! terraform's output streamed line by line and a summary parsed from it.
//!
//! Decisions:
//! - The world is reached through the drivers' one [`Runner`] (one process at a time, output
//!   streamed with [`Runner::stream`]), so tests can script terraform; [`SystemRunner`] is the
//!   real one.
//! - apply and destroy always go through a saved plan (`plan -out`), so what is confirmed is
//!   exactly what runs; confirmation is the caller's ([`Options::confirm`]).
//! - It executes the environment's [`TerraformPlan`] (render's: the root module to run in and
//!   the files it consists of), written into the output directory beforehand; the work dirs
//!   and the terraform executable are the [`Workspace`]'s.
//! - Emulator mode never touches the rendered files: the plan's files
//!   (`deploy/terraform/{modules/…,envs/ENV}`) are copied into a work dir
//!   (`.berth/terraform/emulator/ENV/`) with an override file that points the provider at the
//!   endpoint and swaps the S3 backend for a local one, and a tfvars file that turns off what
//!   the emulator cannot create. State stays in the work dir, so a later `destroy` finds it.

use crate::{fsutil, Workspace};
use berth_render::plan::TerraformPlan;
use std::io;
use std::path::{Path, PathBuf};

pub use crate::process::{Cmd, Runner, Stream, SystemRunner};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Plan,
    Apply,
    Destroy,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Plan => "plan",
            Action::Apply => "apply",
            Action::Destroy => "destroy",
        }
    }
}

/// Emulator mode: where the AWS-compatible endpoint is and the files the work dir gets.
#[derive(Debug, Clone)]
pub struct Emulator {
    pub endpoint: String,
    /// Override file content (provider endpoints, local backend).
    pub override_tf: String,
    /// tfvars content (toggles off, throwaway settings).
    pub tfvars: String,
}

pub struct Options<'a> {
    pub action: Action,
    /// The environment's Terraform, as render planned it.
    pub plan: TerraformPlan,
    /// The output directory the plan's files are written into (it holds `plan.root`).
    pub out: PathBuf,
    /// Where emulator work dirs live, and the terraform executable.
    pub workspace: Workspace,
    pub emulator: Option<Emulator>,
    /// Asked before apply/destroy with the plan's counts; false stops with [`Error::Declined`].
    pub confirm: &'a mut dyn FnMut(&Counts) -> bool,
}

/// Resource counts of a plan or an apply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub add: u32,
    pub change: u32,
    pub destroy: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    pub action: &'static str,
    pub environment: String,
    /// The directory terraform ran in.
    pub dir: PathBuf,
    /// What the plan said.
    pub planned: Counts,
    /// What apply/destroy reported (None for plan).
    pub applied: Option<Counts>,
    /// Resources in the state afterwards (apply/destroy).
    pub resources_in_state: Option<usize>,
    /// `terraform output -json` after apply (sensitive values masked).
    pub outputs: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no rendered Terraform for `{env}` at {dir}: run `berth render -e {env}`")]
    NotRendered { env: String, dir: PathBuf },
    #[error("cannot run `{program}`: {source} (install Terraform ≥ 1.10 and put it on PATH)")]
    Spawn {
        program: String,
        #[source]
        source: io::Error,
    },
    #[error("`terraform {step}` failed (exit {code}) in {dir}:\n{output}")]
    Failed {
        step: String,
        code: i32,
        dir: PathBuf,
        /// terraform's error lines.
        output: String,
    },
    #[error("{0}")]
    Io(String),
    #[error("{action} cancelled: nothing was changed")]
    Declined { action: &'static str },
    #[error(
        "interrupted: {0}; terraform's state lock may need `terraform force-unlock` if it says so"
    )]
    Interrupted(String),
}

/// Run the action; `progress` gets every line terraform prints.
pub fn run(
    runner: &dyn Runner,
    opts: Options<'_>,
    progress: &mut dyn FnMut(Stream, &str),
) -> Result<Summary, Error> {
    let (dir, vars) = work_dir(&opts)?;
    let tf = |args: &[&str]| Cmd {
        program: opts.workspace.terraform.clone(),
        args: args.iter().map(|s| s.to_string()).collect(),
        cwd: Some(dir.clone()),
        env: vars.clone(),
        ..Cmd::default()
    };
    step(runner, tf(&["init", "-input=false", "-no-color"]), progress)?;
    let mut plan_args = vec!["plan", "-input=false", "-no-color", "-out=berth.tfplan"];
    if opts.action == Action::Destroy {
        plan_args.push("-destroy");
    }
    let planned = parse_plan(&step(runner, tf(&plan_args), progress)?);
    let mut summary = Summary {
        action: opts.action.name(),
        environment: opts.plan.environment.clone(),
        dir: dir.clone(),
        planned,
        applied: None,
        resources_in_state: None,
        outputs: serde_json::Map::new(),
    };
    if opts.action == Action::Plan {
        let _ = std::fs::remove_file(dir.join("berth.tfplan"));
        return Ok(summary);
    }
    if planned != Counts::default() && !(opts.confirm)(&planned) {
        let _ = std::fs::remove_file(dir.join("berth.tfplan"));
        return Err(Error::Declined {
            action: opts.action.name(),
        });
    }
    let apply = tf(&["apply", "-input=false", "-no-color", "berth.tfplan"]);
    let apply_lines = step(runner, apply, progress)?;
    let _ = std::fs::remove_file(dir.join("berth.tfplan"));
    summary.applied = Some(parse_apply(&apply_lines));
    let state = step(runner, tf(&["state", "list"]), &mut |_, _| {})?;
    summary.resources_in_state = Some(state.iter().filter(|l| !l.trim().is_empty()).count());
    if opts.action == Action::Apply {
        let out = step(
            runner,
            tf(&["output", "-json", "-no-color"]),
            &mut |_, _| {},
        )?;
        summary.outputs = parse_outputs(&out.join("\n"));
    }
    Ok(summary)
}

/// Where terraform runs (the environment's root module, or its emulator copy) and the
/// variables it gets; fails when the plan's files are not all rendered.
fn work_dir(opts: &Options<'_>) -> Result<(PathBuf, Vec<(String, String)>), Error> {
    let root = opts.out.join(&opts.plan.root);
    let env_dir = root.join(&opts.plan.env_dir);
    if !opts.plan.files.iter().all(|f| root.join(f).is_file()) {
        return Err(Error::NotRendered {
            env: opts.plan.environment.clone(),
            dir: env_dir,
        });
    }
    let mut vars: Vec<(String, String)> = vec![
        ("TF_IN_AUTOMATION".into(), "1".into()),
        ("TF_INPUT".into(), "0".into()),
    ];
    let Some(emu) = &opts.emulator else {
        return Ok((env_dir, vars));
    };
    let dir = prepare_emulator_dir(opts, &root, emu)?;
    vars.extend([
        ("AWS_ENDPOINT_URL".to_string(), emu.endpoint.clone()),
        ("AWS_ACCESS_KEY_ID".to_string(), "test".to_string()),
        ("AWS_SECRET_ACCESS_KEY".to_string(), "test".to_string()),
    ]);
    Ok((dir, vars))
}

/// Run one terraform command, streaming its lines to `progress`; its output lines, or on
/// failure terraform's error lines (the last 20 lines when it printed none).
fn step(
    runner: &dyn Runner,
    cmd: Cmd,
    progress: &mut dyn FnMut(Stream, &str),
) -> Result<Vec<String>, Error> {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut in_error = false;
    let code = runner
        .stream(&cmd, &mut |s, l| {
            progress(s, l);
            // terraform's diagnostics start with "Error:" and run to the next blank line.
            if l.trim_start().starts_with("Error:") || l.starts_with("╷") {
                in_error = true;
            }
            if in_error || s == Stream::Stderr {
                errors.push(l.to_string());
            }
            if l.trim().is_empty() && in_error {
                in_error = false;
            }
            lines.push(l.to_string());
        })
        .map_err(|e| match e.kind() {
            io::ErrorKind::Interrupted => Error::Interrupted(e.to_string()),
            _ => Error::Spawn {
                program: cmd.program.clone(),
                source: e,
            },
        })?
        .unwrap_or(-1);
    if code != 0 {
        let output = if errors.is_empty() {
            lines[lines.len().saturating_sub(20)..].join("\n")
        } else {
            errors.join("\n")
        };
        return Err(Error::Failed {
            step: cmd.args.first().cloned().unwrap_or_default(),
            code,
            dir: cmd.cwd.clone().unwrap_or_default(),
            output,
        });
    }
    Ok(lines)
}

/// Copy the plan's files (the modules it uses and the environment root) from `root` into the
/// emulator work dir, keeping their layout (so `../../modules` stays valid), and add the
/// override and tfvars files. Terraform's own files there (`.terraform/`, state) are kept
/// between runs.
fn prepare_emulator_dir(opts: &Options<'_>, root: &Path, emu: &Emulator) -> Result<PathBuf, Error> {
    let plan = &opts.plan;
    let base = opts.workspace.emulator_dir(&plan.environment);
    let io = |what: &str, p: &Path, e: io::Error| Error::Io(format!("{what} {}: {e}", p.display()));
    let modules = base.join("modules");
    if modules.exists() {
        std::fs::remove_dir_all(&modules).map_err(|e| io("cannot clean", &modules, e))?;
    }
    let dir = base.join(&plan.env_dir);
    std::fs::create_dir_all(&dir).map_err(|e| io("cannot create", &dir, e))?;
    // Stale .tf files of an earlier render must not linger.
    for entry in std::fs::read_dir(&dir).map_err(|e| io("cannot read", &dir, e))? {
        let p = entry.map_err(|e| io("cannot read", &dir, e))?.path();
        if p.extension().is_some_and(|x| x == "tf" || x == "tfvars") {
            std::fs::remove_file(&p).map_err(|e| io("cannot remove", &p, e))?;
        }
    }
    for file in &plan.files {
        let (from, to) = (root.join(file), base.join(file));
        let bytes = std::fs::read(&from).map_err(|e| io("cannot read", &from, e))?;
        fsutil::write_atomic(&to, &bytes, fsutil::Content::Rendered)
            .map_err(|e| io("cannot write", &to, e))?;
    }
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        fsutil::write_atomic(&p, text.as_bytes(), fsutil::Content::Rendered)
            .map_err(|e| io("cannot write", &p, e))
    };
    write("berth_emulator_override.tf", &emu.override_tf)?;
    write("berth_emulator.auto.tfvars", &emu.tfvars)?;
    Ok(dir)
}

fn numbers(text: &str) -> Vec<u32> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// `N …, N …, N …` (add, change, destroy) after a summary prefix.
fn counts(rest: &str) -> Option<Counts> {
    match numbers(rest)[..] {
        [add, change, destroy, ..] => Some(Counts {
            add,
            change,
            destroy,
        }),
        _ => None,
    }
}

/// `Plan: 3 to add, 1 to change, 0 to destroy.`; `No changes.` gives zeros.
pub fn parse_plan(lines: &[String]) -> Counts {
    lines
        .iter()
        .find_map(|l| counts(l.trim().strip_prefix("Plan: ")?))
        .unwrap_or_default()
}

/// `Apply complete! Resources: 3 added, 0 changed, 0 destroyed.` or
/// `Destroy complete! Resources: 5 destroyed.`
pub fn parse_apply(lines: &[String]) -> Counts {
    for l in lines {
        let l = l.trim();
        if let Some(c) = l
            .strip_prefix("Apply complete! Resources: ")
            .and_then(counts)
        {
            return c;
        }
        if let Some(rest) = l.strip_prefix("Destroy complete! Resources: ") {
            return Counts {
                destroy: numbers(rest).first().copied().unwrap_or(0),
                ..Counts::default()
            };
        }
    }
    Counts::default()
}

/// `terraform output -json` → name → value, sensitive values replaced by `"(sensitive)"`.
pub fn parse_outputs(json: &str) -> serde_json::Map<String, serde_json::Value> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(json) else {
        return serde_json::Map::new();
    };
    map.into_iter()
        .map(|(k, v)| {
            let sensitive = v
                .get("sensitive")
                .and_then(|s| s.as_bool())
                .unwrap_or(false);
            let value = if sensitive {
                serde_json::Value::String("(sensitive)".into())
            } else {
                v.get("value").cloned().unwrap_or(serde_json::Value::Null)
            };
            (k, value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::Output;
    use std::sync::Mutex;

    /// Scripted terraform: answers by subcommand, records what ran.
    struct Script {
        ran: Mutex<Vec<Cmd>>,
        fail: Option<&'static str>,
    }

    impl Script {
        fn new(fail: Option<&'static str>) -> Self {
            Script {
                ran: Mutex::new(Vec::new()),
                fail,
            }
        }

        fn ran(&self) -> std::sync::MutexGuard<'_, Vec<Cmd>> {
            self.ran.lock().unwrap()
        }
    }

    impl Runner for Script {
        fn interactive(&self, _: &Cmd) -> io::Result<Option<i32>> {
            Err(io::Error::other("terraform is never run interactively"))
        }

        fn output(&self, cmd: &Cmd) -> io::Result<Output> {
            self.ran().push(cmd.clone());
            let sub = cmd.args[0].as_str();
            if self.fail == Some(sub) {
                return Ok(Output {
                    code: Some(1),
                    stdout: String::new(),
                    stderr: "\nError: creating EKS Add-On: 404\n\n".into(),
                });
            }
            let out: &[&str] = match sub {
                "plan" if cmd.args.iter().any(|a| a == "-destroy") => {
                    &["Plan: 0 to add, 0 to change, 7 to destroy."]
                }
                "plan" => &["Plan: 7 to add, 0 to change, 0 to destroy."],
                "apply"
                    if self
                        .ran()
                        .iter()
                        .any(|c| c.args.iter().any(|a| a == "-destroy")) =>
                {
                    &["Destroy complete! Resources: 7 destroyed."]
                }
                "apply" => &["Apply complete! Resources: 7 added, 0 changed, 0 destroyed."],
                "state" => &["module.a.x", "module.b.y"],
                "output" => &[
                    r#"{"vpc_id":{"sensitive":false,"type":"string","value":"vpc-1"},"pw":{"sensitive":true,"value":"s"}}"#,
                ],
                _ => &[],
            };
            Ok(Output {
                code: Some(0),
                stdout: out.iter().map(|l| format!("{l}\n")).collect(),
                stderr: String::new(),
            })
        }
    }

    fn rendered() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("terraform/envs/dev")).unwrap();
        std::fs::create_dir_all(t.path().join("terraform/modules/kms")).unwrap();
        std::fs::write(t.path().join("terraform/envs/dev/main.tf"), "# main\n").unwrap();
        std::fs::write(t.path().join("terraform/modules/kms/main.tf"), "# kms\n").unwrap();
        t
    }

    /// The plan of what `rendered` wrote.
    fn plan() -> TerraformPlan {
        TerraformPlan {
            environment: "dev".into(),
            root: "terraform".into(),
            env_dir: "envs/dev".into(),
            files: vec!["envs/dev/main.tf".into(), "modules/kms/main.tf".into()],
        }
    }

    fn opts<'a>(
        t: &Path,
        action: Action,
        emulator: Option<Emulator>,
        confirm: &'a mut dyn FnMut(&Counts) -> bool,
    ) -> Options<'a> {
        Options {
            action,
            plan: plan(),
            out: t.to_path_buf(),
            workspace: Workspace::new(t),
            emulator,
            confirm,
        }
    }

    #[test]
    fn apply_inits_plans_confirms_applies_and_reads_outputs() {
        let t = rendered();
        let script = Script::new(None);
        let mut asked = None;
        let mut confirm = |c: &Counts| {
            asked = Some(*c);
            true
        };
        let s = run(
            &script,
            opts(t.path(), Action::Apply, None, &mut confirm),
            &mut |_, _| {},
        )
        .unwrap();
        let subs: Vec<String> = script.ran().iter().map(|c| c.args[0].clone()).collect();
        assert_eq!(subs, ["init", "plan", "apply", "state", "output"]);
        assert_eq!(
            asked,
            Some(Counts {
                add: 7,
                change: 0,
                destroy: 0
            })
        );
        assert_eq!(
            s.applied,
            Some(Counts {
                add: 7,
                change: 0,
                destroy: 0
            })
        );
        assert_eq!(s.resources_in_state, Some(2));
        assert_eq!(s.outputs["vpc_id"], "vpc-1");
        assert_eq!(s.outputs["pw"], "(sensitive)");
        assert!(script.ran()[0]
            .cwd
            .as_deref()
            .is_some_and(|d| d.ends_with("terraform/envs/dev")));
    }

    #[test]
    fn declining_stops_before_apply() {
        let t = rendered();
        let script = Script::new(None);
        let mut no = |_: &Counts| false;
        let e = run(
            &script,
            opts(t.path(), Action::Destroy, None, &mut no),
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(matches!(e, Error::Declined { action: "destroy" }), "{e}");
        assert!(!script.ran().iter().any(|c| c.args[0] == "apply"));
    }

    #[test]
    fn a_failing_step_reports_terraforms_error() {
        let t = rendered();
        let script = Script::new(Some("apply"));
        let mut yes = |_: &Counts| true;
        let e = run(
            &script,
            opts(t.path(), Action::Apply, None, &mut yes),
            &mut |_, _| {},
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(text.contains("`terraform apply` failed (exit 1)"), "{text}");
        assert!(text.contains("Error: creating EKS Add-On: 404"), "{text}");
    }

    #[test]
    fn emulator_mode_works_on_a_copy_and_leaves_the_rendered_files_alone() {
        let t = rendered();
        let script = Script::new(None);
        let emu = Emulator {
            endpoint: "http://127.0.0.1:1".into(),
            override_tf: "# override\n".into(),
            tfvars: "enable_x = false\n".into(),
        };
        let mut yes = |_: &Counts| true;
        run(
            &script,
            opts(t.path(), Action::Plan, Some(emu), &mut yes),
            &mut |_, _| {},
        )
        .unwrap();
        let work = t.path().join(".berth/terraform/emulator/dev");
        assert!(work.join("modules/kms/main.tf").is_file());
        assert!(work.join("envs/dev/main.tf").is_file());
        assert!(work.join("envs/dev/berth_emulator_override.tf").is_file());
        assert!(work.join("envs/dev/berth_emulator.auto.tfvars").is_file());
        let entries: Vec<_> = std::fs::read_dir(t.path().join("terraform/envs/dev"))
            .unwrap()
            .collect();
        assert_eq!(entries.len(), 1, "rendered dir changed");
        let ran = script.ran();
        assert_eq!(ran[0].cwd.as_deref(), Some(work.join("envs/dev").as_path()));
        assert!(ran[0]
            .env
            .contains(&("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:1".into())));
        assert_eq!(ran.len(), 2, "plan runs init and plan only");
    }

    #[test]
    fn missing_render_is_a_clear_error() {
        let t = tempfile::tempdir().unwrap();
        let script = Script::new(None);
        let mut yes = |_: &Counts| true;
        let e = run(
            &script,
            opts(t.path(), Action::Plan, None, &mut yes),
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(e.to_string().contains("berth render -e dev"), "{e}");
    }

    #[test]
    fn parses_terraform_summaries() {
        let l = |s: &str| vec![s.to_string()];
        assert_eq!(
            parse_plan(&l("Plan: 3 to add, 1 to change, 2 to destroy.")),
            Counts {
                add: 3,
                change: 1,
                destroy: 2
            }
        );
        assert_eq!(
            parse_plan(&l(
                "No changes. Your infrastructure matches the configuration."
            )),
            Counts::default()
        );
        assert_eq!(
            parse_apply(&l("Destroy complete! Resources: 5 destroyed.")),
            Counts {
                add: 0,
                change: 0,
                destroy: 5
            }
        );
    }
}
