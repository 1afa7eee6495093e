//! The Docker engine from end-to-end tests: run `docker`, and remove a compose project's
//! containers, volumes and network when a test ends, pass or fail.

use std::process::Command;

/// `docker ARGS`: its stdout (empty when it fails).
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Remove the compose project's containers (with their anonymous volumes), named volumes and
/// network.
pub fn remove_project(name: &str) {
    let label = format!("label=com.docker.compose.project={name}");
    for id in docker(&["ps", "-aq", "--filter", &label]).lines() {
        docker(&["rm", "-f", "-v", id]);
    }
    for v in docker(&["volume", "ls", "-q", "--filter", &label]).lines() {
        docker(&["volume", "rm", "-f", v]);
    }
    docker(&["network", "rm", &format!("{name}-net")]);
}

/// Removes the compose project named by it when dropped.
pub struct Cleanup(pub String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        remove_project(&self.0);
    }
}
