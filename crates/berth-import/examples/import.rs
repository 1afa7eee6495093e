//! Debug helper: `cargo run -p berth-import --example import -- DIR [docker|builtin] [-f F]... [--profile P]...`.

use berth_import::{import, ImportOptions, Reader};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("project directory");
    let mut o = ImportOptions {
        project_dir: Some(dir.clone().into()),
        ..Default::default()
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "docker" => o.reader = Reader::Docker,
            "builtin" => o.reader = Reader::Builtin,
            "-f" => o
                .files
                .push(std::path::Path::new(&dir).join(args.next().unwrap())),
            "--profile" => o.profiles.push(args.next().unwrap()),
            "--json" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    match import(&o) {
        Ok(out) => {
            if std::env::var("JSON").is_ok() {
                println!("{}", serde_json::to_string_pretty(&out.compose).unwrap());
            } else {
                print!("{}", out.yaml);
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
