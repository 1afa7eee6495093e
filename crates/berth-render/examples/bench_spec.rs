//! Writes the render bench's generated stack as a `berth.yaml`, for whole-process measurements:
//!
//! ```sh
//! cargo run -p berth-render --example bench_spec -- 200 /tmp/b200/berth.yaml
//! /usr/bin/time -v target/release/berth -f /tmp/b200/berth.yaml render --out /tmp/b200/deploy
//! ```

#[path = "../benches/support/spec_gen.rs"]
mod spec_gen;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(n), Some(path)) = (args.first().and_then(|n| n.parse().ok()), args.get(1)) else {
        eprintln!("usage: bench_spec SERVICES PATH (e.g. bench_spec 200 /tmp/b200/berth.yaml)");
        return std::process::ExitCode::from(2);
    };
    let path = std::path::Path::new(path);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("cannot create {}: {e}", dir.display());
            return std::process::ExitCode::FAILURE;
        }
    }
    match std::fs::write(path, spec_gen::spec_text(n)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot write {}: {e}", path.display());
            std::process::ExitCode::FAILURE
        }
    }
}
