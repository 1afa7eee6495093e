//! How long `validate` (load + check) takes on a large generated stack: 2,000 services, 50 stores,
//! references, secrets and five environments. Run: `cargo bench -p berth-spec --bench validate`.

use berth_spec::{validate, Source};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::fmt::Write;

/// A valid spec with `n` services.
fn generate(n: usize) -> String {
    let stores = 50;
    let mut s =
        String::from("name: big\nregistry: ghcr.io/acme/big\nversion: \"1.0.0\"\nservices:\n");
    for i in 0..n {
        let db = i % stores;
        let _ = write!(
            s,
            "  svc-{i}:\n    image: ghcr.io/acme/svc-{i}:1.0.{i}\n    ports: {{ http: 8080, metrics: 9100 }}\n    publish: {{ http: {} }}\n    health: {{ http: {{ path: /health, port: http }}, interval: 10s }}\n",
            20000 + i
        );
        let _ = write!(s, "    uses: [store-{db}");
        if i > 0 {
            let _ = write!(s, ", svc-{}", i - 1);
        }
        s.push_str("]\n");
        let _ = write!(
            s,
            "    env:\n      LOG_LEVEL: info\n      DB_URL: \"${{store-{db}.url}}\"\n      DB_HOST: ${{store-{db}.host}}\n      TOKEN: \"${{secrets.secret-{}}}\"\n",
            i % 20
        );
        if i > 0 {
            let _ = writeln!(s, "      UPSTREAM: \"${{svc-{}.url}}\"", i - 1);
        }
        let _ = write!(
            s,
            "    secrets: [secret-{}]\n    resources: {{ cpu: 250m, memory: 256Mi, limits: {{ cpu: \"1\", memory: 512Mi }} }}\n    autoscale: {{ min: 2, max: 10, cpu: 70 }}\n    expose: {{ host: svc-{i}.example.com, path: / }}\n",
            i % 20
        );
    }
    s.push_str("stores:\n");
    // One rabbitmq: its management port 15672 is fixed, so two would collide in compose.
    let types = ["postgres", "redis", "mongodb"];
    for j in 0..stores {
        let t = if j == 3 { "rabbitmq" } else { types[j % 3] };
        let _ = writeln!(
            s,
            "  store-{j}: {{ type: {t}, version: \"7.0\", storage: 10Gi, publish: {} }}",
            30000 + j * 2
        );
    }
    s.push_str("secrets:\n");
    for k in 0..20 {
        let _ = writeln!(s, "  secret-{k}: {{ generate: {{ length: 32 }} }}");
    }
    s.push_str(
        "environments:\n  local: { platform: compose, stores: { store-3: { external: \"amqp://mq.internal:5672\" } } }\n  native: { platform: native }\n  minikube: { platform: kubernetes, cluster: minikube }\n  staging: { platform: kubernetes, cloud: aws, region: us-west-2, domain: staging.example.com }\n  prod:\n    extends: staging\n    domain: example.com\n    services:\n",
    );
    for i in (0..n).step_by(10) {
        let _ = writeln!(
            s,
            "      svc-{i}: {{ replicas: 3, autoscale: {{ min: 3, max: 20 }}, env: {{ EXTRA: \"${{store-{}.port}}\" }} }}",
            i % stores
        );
    }
    s.push_str("deployments:\n  all: { environment: local }\n  api: { environment: prod, services: [svc-0, svc-1] }\n");
    s
}

fn bench(c: &mut Criterion) {
    let text = generate(2000);
    let src = Source::new("big.yaml", text.clone());
    let loaded = validate(&src);
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .take(5)
        .map(|d| d.render(&src))
        .collect();
    assert!(
        errors.is_empty(),
        "generated spec is invalid:\n{}",
        errors.join("\n")
    );
    assert!(loaded.diagnostics.is_empty(), "unexpected warnings");

    let mut g = c.benchmark_group("validate");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(20);
    g.bench_function("2000 services", |b| b.iter(|| validate(&src)));
    let spec = loaded.spec.expect("spec decodes");
    g.bench_function("2000 services, checks only", |b| {
        b.iter(|| berth_spec::check::check(&spec))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
