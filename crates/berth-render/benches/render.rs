//! Render speed: a generated stack of N services and 4 environments (compose, a local
//! cluster and two cloud ones), every artifact including the hydrated files.
//! 200 services is the target case (≤ 60 ms); 2,000 shows how it grows (≤ 0.6 s). Figures:
//! docs/render.md.

// The allocator of the `berth` binary (crates/berth-cli/src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/spec_gen.rs"]
mod spec_gen;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn spec(n: usize) -> berth_spec::Spec {
    let src = berth_spec::Source::new("bench.yaml", spec_gen::spec_text(n));
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
