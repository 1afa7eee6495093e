//! Render speed: a generated stack of N services and 4 environments (compose, two local
//! clusters' worth of Kubernetes and a cloud one), every artifact including the hydrated files.
//! 200 services is the target case (< 100 ms); 2,000 shows how it grows.

// The allocator of the `berth` binary (crates/berth-cli/src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn spec_text(n: usize) -> String {
    let mut s =
        String::from("name: bench\nregistry: ghcr.io/acme/bench\nversion: \"1.0.0\"\nservices:\n");
    for i in 0..n {
        let uses = if i == 0 {
            "[postgres, redis]".to_string()
        } else {
            format!("[postgres, redis, svc-{}]", i - 1)
        };
        s.push_str(&format!(
            "  svc-{i}:\n    build: {{ context: ., target: svc-{i} }}\n    ports: {{ http: {} }}\n    \
             health: {{ http: {{ path: /health }} }}\n    uses: {uses}\n    env: {{ LOG_LEVEL: info, DB: \"${{postgres.url}}\" }}\n    \
             secrets: [token]\n    replicas: 2\n    resources: {{ cpu: 100m, memory: 128Mi }}\n",
            3000 + (i % 1000)
        ));
        if i % 10 == 0 {
            s.push_str(&format!(
                "    expose: {{ host: svc-{i} }}\n    autoscale: {{ min: 2, max: 6 }}\n"
            ));
        }
    }
    s.push_str(
        "stores:\n  postgres: { type: postgres, version: \"16\" }\n  redis: { type: redis, version: \"7.2\" }\n\
         secrets:\n  token: { generate: { length: 32 } }\n\
         environments:\n  local: { platform: compose }\n  kind: { platform: kubernetes, cluster: kind }\n  \
         staging: { platform: kubernetes, cluster: eks, cloud: aws, region: us-east-1, domain: staging.example.com }\n  \
         prod: { extends: staging, domain: example.com, tag: \"1.0.1\" }\n",
    );
    s
}

fn spec(n: usize) -> berth_spec::Spec {
    let src = berth_spec::Source::new("bench.yaml", spec_text(n));
    berth_spec::validate_strict(&src).unwrap_or_else(|e| panic!("{e}"))
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("render_all");
    g.sample_size(10);
    // `cargo test --all-targets` runs benches once without `--bench` (and unoptimised): a
    // small stack there proves the bench works without spending minutes on it.
    let sizes: &[usize] = if std::env::args().any(|a| a == "--bench") {
        &[200, 2000]
    } else {
        &[20]
    };
    for &n in sizes {
        let s = spec(n);
        let files = berth_render::render(&s, &[]).unwrap().len();
        assert!(files > n, "{files}");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &s, |b, s| {
            b.iter(|| berth_render::render(s, &[]).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
