//! The resolved model lists workloads after the services they use and the jobs they wait for,
//! in spec order otherwise.

fn names(text: &str, env: &str) -> Vec<String> {
    let src = berth_spec::Source::new("t.yaml", text.to_string());
    let spec = berth_spec::validate_strict(&src).unwrap_or_else(|e| panic!("{e}"));
    let model = berth_spec::resolve(&spec, env).unwrap();
    model.workloads.iter().map(|w| w.name.clone()).collect()
}

#[test]
fn workloads_come_after_what_they_use_and_keep_spec_order_otherwise() {
    let text = "name: t\nservices:\n  c: { image: \"a/c:1\", uses: [b] }\n  b: { image: \"a/b:1\", uses: [a] }\n  \
                a: { image: \"a/a:1\" }\n  d: { image: \"a/d:1\" }\n  e: { image: \"a/e:1\", uses: [a] }\n\
                environments:\n  local: { platform: compose }\n";
    assert_eq!(names(text, "local"), ["a", "b", "c", "d", "e"]);
}

#[test]
fn a_long_chain_resolves_in_order() {
    let mut text = String::from("name: t\nservices:\n");
    for i in (0..3000).rev() {
        let uses = if i > 0 {
            format!(", uses: [s{}]", i - 1)
        } else {
            String::new()
        };
        text.push_str(&format!("  s{i}: {{ image: \"a/s:1\"{uses} }}\n"));
    }
    text.push_str("environments:\n  local: { platform: compose }\n");
    let started = std::time::Instant::now();
    let order = names(&text, "local");
    let expect: Vec<String> = (0..3000).map(|i| format!("s{i}")).collect();
    assert_eq!(order, expect);
    // Quadratic ordering took seconds here; linear takes milliseconds.
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
}
