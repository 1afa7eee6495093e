//! Broken specs under tests/fixtures: each starts with `# expect: CODE line:col, ...` listing
//! every error it must produce (and the warnings whose codes it names). The rendered messages of
//! all fixtures are snapshotted so wording changes get reviewed.

use berth_spec::{validate, Diagnostic, Source};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn fixtures() -> Vec<(String, Source)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<(String, Source)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).unwrap();
            (name.clone(), Source::new(format!("fixtures/{name}"), text))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// `# expect: B1101 5:13, B2040 3:3` → {(B1101, 5, 13), (B2040, 3, 3)}.
fn expected(text: &str) -> BTreeSet<(String, usize, usize)> {
    let line = text.lines().next().unwrap_or_default();
    let list = line
        .strip_prefix("# expect:")
        .unwrap_or_else(|| panic!("first line must be `# expect: ...`, found {line:?}"));
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (code, pos) = item.split_once(' ').expect("`CODE line:col`");
            let (l, c) = pos.trim().split_once(':').expect("`line:col`");
            (code.to_string(), l.parse().unwrap(), c.parse().unwrap())
        })
        .collect()
}

fn actual(
    diags: &[Diagnostic],
    expected: &BTreeSet<(String, usize, usize)>,
) -> BTreeSet<(String, usize, usize)> {
    diags
        .iter()
        .filter(|d| d.is_error() || expected.iter().any(|(c, _, _)| c == d.code))
        .map(|d| (d.code.to_string(), d.span.line, d.span.col))
        .collect()
}

fn fmt(set: &BTreeSet<(String, usize, usize)>) -> String {
    set.iter()
        .map(|(c, l, col)| format!("{c} {l}:{col}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn fixtures_report_expected_diagnostics() {
    let all = fixtures();
    assert!(all.len() >= 45, "only {} fixtures", all.len());
    let mut failures = Vec::new();
    for (name, src) in &all {
        let want = expected(&src.text);
        assert!(!want.is_empty(), "{name}: expects nothing");
        let loaded = validate(src);
        let got = actual(&loaded.diagnostics, &want);
        if got != want {
            let rendered: String = loaded.diagnostics.iter().map(|d| d.render(src)).collect();
            failures.push(format!(
                "{name}\n  expected: {}\n  actual:   {}\n{rendered}",
                fmt(&want),
                fmt(&got)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fixture_diagnostic_has_help_and_a_place() {
    for (name, src) in fixtures() {
        for d in validate(&src).diagnostics {
            assert!(d.help.is_some(), "{name}: {} has no help", d.code);
            assert!(d.span.line >= 1, "{name}: {} has no place", d.code);
        }
    }
}

#[test]
fn rendered_messages() {
    let mut out = String::new();
    for (name, src) in fixtures() {
        out.push_str(&format!("==> {name}\n"));
        for d in validate(&src).diagnostics {
            out.push_str(&d.render(&src));
        }
        out.push('\n');
    }
    insta::assert_snapshot!("rendered", out);
}
