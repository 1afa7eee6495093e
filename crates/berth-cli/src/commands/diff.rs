//! `berth diff [ENV]`: unified diff between the files on disk and what the spec renders.

use super::render::{out_dir, render_set};
use crate::args::Global;
use crate::printer::Printer;
use crate::project::{self, exit};
use std::path::PathBuf;

pub fn run(g: &Global, printer: &Printer, env: Option<String>, out: Option<PathBuf>) -> u8 {
    let project = match project::load(&g.file, printer) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let envs: Vec<String> = env.into_iter().collect();
    let set = match render_set(&project, printer, &envs) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let dir = out_dir(&project, out);
    let diff = berth_drive::artifacts::diff(&set, &dir);
    if diff.is_empty() {
        printer.success("no differences");
        exit::OK
    } else {
        printer.out(diff);
        exit::FAILED
    }
}
