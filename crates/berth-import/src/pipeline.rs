//! The import pipeline: read the compose project (docker or the built-in reader), classify it
//! into a Berth stack, add what only the whole project shows (profile-disabled services,
//! obsolete keys, build contexts relative to the output), and write the berth.yaml.

use crate::classify::{classify, Stack};
use crate::error::ImportError;
use crate::model::NormalizedCompose;
use crate::notes::Warning;
use crate::options::{resolve_inputs, ImportOptions, Inputs, Reader};
use crate::paths::{normalize_path, relative_to};
use crate::{builtin, docker, emit, ranges};
use berth_drive::process::{Runner, SystemRunner};

/// The result of an import.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    /// The imported stack.
    pub spec: berth_spec::Spec,
    /// The commented berth.yaml: the header notes, then `spec` serialized.
    pub yaml: String,
    /// Keys that were dropped or approximated.
    pub warnings: Vec<Warning>,
    /// What was inferred (classification, references); also listed in the YAML header.
    pub inferred: Vec<Warning>,
    /// The model the YAML was built from.
    pub compose: NormalizedCompose,
    /// The reader that was actually used.
    pub reader: Reader,
}

/// Reads the compose project with the chosen reader, running docker through `runner`.
pub fn load(
    opts: &ImportOptions,
    runner: &dyn Runner,
) -> Result<(NormalizedCompose, Reader), ImportError> {
    let inputs = resolve_inputs(opts)?;
    let reader = match opts.reader {
        Reader::Auto if docker::available(runner) => Reader::Docker,
        Reader::Auto => Reader::Builtin,
        r => r,
    };
    let raw = match reader {
        Reader::Docker => docker::config(runner, &inputs, opts)?,
        _ => builtin::config(&inputs, opts)?,
    };
    let model = NormalizedCompose::from_canonical(raw, &inputs.project_dir)
        .map_err(|e| ImportError::Model(e.to_string()))?;
    Ok((model, reader))
}

/// Imports a compose project into berth.yaml text, running docker directly.
pub fn import(opts: &ImportOptions) -> Result<ImportOutcome, ImportError> {
    import_with(opts, &SystemRunner)
}

/// Imports a compose project into berth.yaml text, running docker through `runner`.
pub fn import_with(
    opts: &ImportOptions,
    runner: &dyn Runner,
) -> Result<ImportOutcome, ImportError> {
    let (mut compose, reader) = load(opts, runner)?;
    let inputs = resolve_inputs(opts)?;
    let sources = inputs.sources();
    let long_ranges = ranges::drop_long_ranges(&mut compose);
    let mut stack = classify(&compose, opts.kubernetes);
    stack.notes.warnings.extend(long_ranges);
    warn_profile_disabled(&mut stack, &compose, opts, reader, runner);
    warn_obsolete_version(&mut stack, &inputs, &sources);
    drop_missing_files(&mut stack, &compose, &inputs.project_dir);
    if let Some(out_dir) = &opts.output_dir {
        rebase_build_contexts(&mut stack, &inputs, out_dir);
    }
    let yaml = emit::emit(&stack.spec, &stack.notes, &sources, &opts.profiles);
    Ok(ImportOutcome {
        spec: stack.spec,
        yaml,
        warnings: stack.notes.warnings,
        inferred: stack.notes.inferred,
        compose,
        reader,
    })
}

/// Services left out by the active profiles are reported, not silently missing.
fn warn_profile_disabled(
    stack: &mut Stack,
    compose: &NormalizedCompose,
    opts: &ImportOptions,
    reader: Reader,
    runner: &dyn Runner,
) {
    let all = ImportOptions {
        profiles: vec!["*".into()],
        reader,
        ..opts.clone()
    };
    let Ok((everything, _)) = load(&all, runner) else {
        return;
    };
    for (name, s) in &everything.services {
        if !compose.services.contains_key(name) {
            stack.notes.warn(
                format!("services.{name}"),
                format!(
                    "not imported: only enabled by profile {}; re-run with --profile to include it",
                    s.profiles.join(", ")
                ),
            );
        }
    }
}

/// compose drops the obsolete `version` key before either reader sees the model; say so.
fn warn_obsolete_version(stack: &mut Stack, inputs: &Inputs, sources: &[String]) {
    for (f, name) in inputs.files.iter().zip(sources) {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let Ok(serde_json::Value::Object(top)) = serde_saphyr::from_str::<serde_json::Value>(&text)
        else {
            continue;
        };
        if let Some(v) = top.get("version") {
            let shown = v
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| v.to_string());
            stack.notes.warnings.insert(
                0,
                Warning {
                    path: "version".into(),
                    message: format!(
                        "{name}: `version: {shown}` is obsolete and ignored by compose"
                    ),
                },
            );
        }
    }
}

/// A bind-mounted project path that does not exist (compose would create an empty folder) cannot
/// be a `files` entry; it is dropped with a warning.
fn drop_missing_files(
    stack: &mut Stack,
    compose: &NormalizedCompose,
    project_dir: &std::path::Path,
) {
    let names = stack.names.0.clone();
    for (compose_name, name) in names {
        let mounts = compose
            .services
            .get(&compose_name)
            .map(|s| &s.volumes[..])
            .unwrap_or_default();
        let files = match stack.spec.services.get_mut(name.as_str()) {
            Some(w) => &mut w.files,
            None => match stack.spec.stores.get_mut(name.as_str()) {
                Some(st) => &mut st.files,
                None => continue,
            },
        };
        files.retain(|target, source| {
            let exists = project_dir.join(&source.value).exists();
            if !exists {
                let i = mounts.iter().position(|m| m.target == target.value).unwrap_or(0);
                stack.notes.warn(
                    format!("services.{compose_name}.volumes[{i}]"),
                    format!(
                        "bind mount {} → {} dropped: not in the project (compose would create an empty folder)",
                        source.value, target.value
                    ),
                );
            }
            exists
        });
    }
}

/// Build contexts, project files and secret files are written relative to the directory the
/// berth.yaml goes to.
fn rebase_build_contexts(stack: &mut Stack, inputs: &Inputs, out_dir: &std::path::Path) {
    let cwd = std::env::current_dir().unwrap_or_default();
    let out_dir = normalize_path(&cwd.join(out_dir));
    let rebase = |path: &mut String| {
        let abs = normalize_path(&inputs.project_dir.join(&*path));
        *path = relative_to(&abs, &out_dir);
    };
    for w in stack.spec.services.values_mut() {
        if let Some(context) = w.build.as_mut().and_then(|b| b.context.as_mut()) {
            rebase(&mut context.value);
        }
        for source in w.files.values_mut() {
            rebase(&mut source.value);
        }
    }
    for st in stack.spec.stores.values_mut() {
        for source in st.files.values_mut() {
            rebase(&mut source.value);
        }
    }
    for s in stack.spec.secrets.values_mut() {
        if let Some(file) = s.file.as_mut() {
            rebase(&mut file.value);
        }
    }
}
