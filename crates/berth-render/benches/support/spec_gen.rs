//! The generated stack the render bench measures: N services in a chain, each using PostgreSQL,
//! Redis and the previous service, every tenth exposed and autoscaled, with 4 environments
//! (compose, a local cluster and two cloud ones). Shared by benches/render.rs and
//! examples/bench_spec.rs (which writes it to a file for whole-process measurements).

/// The `berth.yaml` text of the generated stack with `n` services.
pub fn spec_text(n: usize) -> String {
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
