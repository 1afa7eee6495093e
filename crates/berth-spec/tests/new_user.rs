//! The three mistakes a new user makes first, each answered with what, where and how to fix.

use berth_spec::{validate, Source};

const SPEC: &str = "name: shop
services:
  api:
    image: acme/api:1.0
    ports: { http: 8080 }
    health: { http: { path: /health } }
    uses: [postgress, worker]
    replcas: 2
  worker:
    image: acme/worker:1.0
    health: { exec: [true] }
    uses: [api]
stores:
  postgres: { type: postgres, version: \"16\" }
";

#[test]
fn misspelled_key_missing_store_and_cycle() {
    let src = Source::new("berth.yaml", SPEC);
    let loaded = validate(&src);
    let rendered: Vec<String> = loaded.diagnostics.iter().map(|d| d.render(&src)).collect();
    let out = rendered.concat();
    let expected = [
        // What, where (file:line:col, then the line and a caret), how.
        (
            "error[B1101]: `api` uses unknown `postgress`",
            "berth.yaml:7:12",
            "did you mean `postgres`?",
        ),
        (
            "error[B1201]: dependency cycle: api -> worker -> api",
            "berth.yaml:7:23",
            "break the cycle",
        ),
        (
            "error[B0101]: unknown key `replcas` in `services.api`",
            "berth.yaml:8:5",
            "did you mean `replicas`?",
        ),
    ];
    for (what, place, help) in expected {
        let block = rendered
            .iter()
            .find(|b| b.starts_with(what))
            .unwrap_or_else(|| panic!("no `{what}` in:\n{out}"));
        assert!(block.contains(place), "{block}");
        assert!(block.contains('^'), "{block}");
        assert!(block.contains(&format!("= help: {help}")), "{block}");
    }
    assert_eq!(
        loaded.diagnostics.iter().filter(|d| d.is_error()).count(),
        3,
        "{out}"
    );
}
