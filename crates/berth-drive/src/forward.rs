//! `berth forward ENV [SERVICE]`: `kubectl port-forward` of the ports an environment's services
//! and in-cluster stores publish (`publish:`; a store's own port unless `publish: 0`), all in
//! one foreground session. [`plan`] computes the forwards as data; [`run`] starts one
//! `kubectl port-forward` per port, and when one of them ends or the caller stops (Ctrl-C),
//! kills and reaps every other one, so no process is left behind.

use crate::clock::Clock;
use crate::process::{Cmd, Runner, Running, Stream};
use berth_spec::model::Realized;
use berth_spec::Model;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One forwarded port: `127.0.0.1:local` → port `remote` of Service `name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forward {
    /// The service or store (its Kubernetes Service has the same name).
    pub name: String,
    /// `service` or `store`.
    pub what: &'static str,
    pub port_name: String,
    pub local: u16,
    pub remote: u16,
}

/// Every forward of a session and the kubectl commands that make them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForwardPlan {
    pub environment: String,
    pub context: String,
    pub namespace: String,
    pub forwards: Vec<Forward>,
}

impl ForwardPlan {
    /// `kubectl port-forward --context C --namespace NS svc/NAME LOCAL:REMOTE`.
    pub fn command(&self, f: &Forward) -> Cmd {
        Cmd::new("kubectl").args([
            "port-forward".to_string(),
            "--context".into(),
            self.context.clone(),
            "--namespace".into(),
            self.namespace.clone(),
            format!("svc/{}", f.name),
            format!("{}:{}", f.local, f.remote),
        ])
    }
}

/// Why there is nothing to forward, or forwarding stopped.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error("environment `{env}` has no service or store `{name}` that publishes a port; it publishes: {}", if known.is_empty() { "nothing".to_string() } else { known.join(", ") })]
    Unknown {
        env: String,
        name: String,
        known: Vec<String>,
    },
    #[error("environment `{env}` publishes no port: give a service `publish: {{ PORT: LOCAL }}`, or run a store in the cluster (`stores: {{ NAME: in-cluster }}`)")]
    Nothing { env: String },
    #[error(
        "`kubectl` is not installed: install kubectl: https://kubernetes.io/docs/tasks/tools/"
    )]
    Missing,
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("`{command}` ended{}; every other forward was stopped:\n{detail}", code.map(|c| format!(" (exit {c})")).unwrap_or_default())]
    Ended {
        command: String,
        code: Option<i32>,
        detail: String,
    },
}

impl ForwardError {
    /// A name that is not in the environment: a usage error.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ForwardError::Unknown { .. } | ForwardError::Nothing { .. }
        )
    }
}

/// The forwards of ENV (only those of `only` when given), through kube context `context`.
pub fn plan(model: &Model, context: &str, only: Option<&str>) -> Result<ForwardPlan, ForwardError> {
    let mut all = Vec::new();
    for w in model.workloads.iter().filter(|w| !w.is_job()) {
        for p in &w.ports {
            if let Some(local) = p.publish {
                all.push(forward(&w.name, "service", &p.name, local, p.port));
            }
        }
    }
    for s in &model.stores {
        if s.realization != Realized::InCluster {
            continue;
        }
        if let Some(local) = s.publish {
            let main = berth_render::kube::store_port_name(s.kind);
            all.push(forward(&s.name, "store", main, local, s.port));
            for p in &s.extra_ports {
                all.push(forward(&s.name, "store", &p.name, p.port, p.port));
            }
        }
    }
    let env = model.environment.clone();
    if all.is_empty() {
        return Err(ForwardError::Nothing { env });
    }
    let forwards = match only {
        None => all,
        Some(name) => {
            let chosen: Vec<Forward> = all.iter().filter(|f| f.name == name).cloned().collect();
            if chosen.is_empty() {
                let mut known: Vec<String> = all.iter().map(|f| f.name.clone()).collect();
                known.dedup();
                return Err(ForwardError::Unknown {
                    env,
                    name: name.to_string(),
                    known,
                });
            }
            chosen
        }
    };
    Ok(ForwardPlan {
        environment: env,
        context: context.to_string(),
        namespace: model.namespace.clone(),
        forwards,
    })
}

fn forward(name: &str, what: &'static str, port_name: &str, local: u16, remote: u16) -> Forward {
    Forward {
        name: name.to_string(),
        what,
        port_name: port_name.to_string(),
        local,
        remote,
    }
}

/// How often the session checks its children and the stop flag.
const POLL: Duration = Duration::from_millis(100);

/// Lines of a forward's output its error repeats.
const TAIL: usize = 10;

/// Where each output line of a forward goes.
pub type LineFn = Arc<dyn Fn(&Forward, &str) + Send + Sync>;

/// The last lines of a forward's output.
type Tail = Arc<Mutex<VecDeque<String>>>;

/// A started forward.
struct Child {
    cmd: Cmd,
    running: Box<dyn Running>,
    tail: Tail,
}

/// A forward that ended: its command line, exit code and last lines.
struct Ended {
    command: String,
    code: Option<i32>,
    tail: Tail,
}

/// Forward every port until `stop` is set (Ok) or one forward ends (Err): either way every
/// child is killed and reaped first. Each output line goes to `line` with its forward.
pub fn run(
    runner: &dyn Runner,
    clock: &dyn Clock,
    plan: &ForwardPlan,
    stop: &AtomicBool,
    line: LineFn,
) -> Result<(), ForwardError> {
    let mut children = Vec::new();
    for f in &plan.forwards {
        match start(runner, plan, f, line.clone()) {
            Ok(child) => children.push(child),
            Err(e) => {
                stop_all(&mut children);
                return Err(e);
            }
        }
    }
    let ended = wait_for_first_end(clock, &mut children, stop);
    stop_all(&mut children);
    let Some(ended) = ended else {
        return Ok(());
    };
    // The reader thread may still hand over the last lines; give it a moment.
    clock.sleep(POLL);
    let detail = Vec::from(lock(&ended.tail).clone()).join("\n");
    Err(ForwardError::Ended {
        command: ended.command,
        code: ended.code,
        detail,
    })
}

fn lock(tail: &Tail) -> std::sync::MutexGuard<'_, VecDeque<String>> {
    tail.lock().unwrap_or_else(|e| e.into_inner())
}

/// Spawn one forward, its lines kept in its tail and handed to `line`.
fn start(
    runner: &dyn Runner,
    plan: &ForwardPlan,
    f: &Forward,
    line: LineFn,
) -> Result<Child, ForwardError> {
    let cmd = plan.command(f);
    let tail: Tail = Arc::new(Mutex::new(VecDeque::new()));
    let sink = {
        let (tail, f) = (tail.clone(), f.clone());
        Box::new(move |_: Stream, l: &str| {
            let mut t = lock(&tail);
            if t.len() == TAIL {
                t.pop_front();
            }
            t.push_back(l.to_string());
            line(&f, l);
        })
    };
    match runner.spawn(&cmd, sink) {
        Ok(running) => Ok(Child { cmd, running, tail }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ForwardError::Missing),
        Err(source) => Err(ForwardError::Spawn {
            command: cmd.display(),
            source,
        }),
    }
}

/// Poll until `stop` (None) or a child ends.
fn wait_for_first_end(
    clock: &dyn Clock,
    children: &mut [Child],
    stop: &AtomicBool,
) -> Option<Ended> {
    loop {
        if stop.load(Ordering::SeqCst) {
            return None;
        }
        for c in children.iter_mut() {
            let (code, tail) = match c.running.try_wait() {
                Ok(None) => continue,
                Ok(Some(code)) => (code, c.tail.clone()),
                Err(e) => (None, Arc::new(Mutex::new([e.to_string()].into()))),
            };
            return Some(Ended {
                command: c.cmd.display(),
                code,
                tail,
            });
        }
        clock.sleep(POLL);
    }
}

fn stop_all(children: &mut [Child]) {
    for c in children.iter_mut() {
        let _ = c.running.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::process::{LineSink, Output};
    use std::sync::atomic::AtomicUsize;

    const SPEC: &str = r#"
name: shop
services:
  api: { image: x/api:1, uses: [db, cache], ports: { http: 3000, debug: 9229 }, publish: { http: 18000 } }
  web: { image: x/web:1, ports: { http: 8080 }, publish: { http: 8080 } }
  migrate: { kind: job, image: x/m:1, uses: [db], before: [api], ports: { http: 1 }, publish: { http: 1111 } }
stores:
  db: { type: postgres, version: "16", publish: 15432 }
  cache: { type: redis, version: "7" }
  mq: { type: rabbitmq, version: "3" }
environments:
  kube:
    platform: kubernetes
    cluster: k3d
    namespace: shop-dev
    stores: { cache: host, mq: in-cluster }
  quiet: { platform: kubernetes, cluster: kind, stores: host }
"#;

    fn model(env: &str, spec: &str) -> Model {
        let source = berth_spec::Source::new("berth.yaml", spec.to_string());
        let loaded = berth_spec::validate(&source);
        assert!(
            !loaded.diagnostics.iter().any(|d| d.is_error()),
            "{:?}",
            loaded.diagnostics
        );
        berth_spec::resolve(&loaded.spec.unwrap(), env).unwrap()
    }

    fn lines(p: &ForwardPlan) -> Vec<String> {
        p.forwards.iter().map(|f| p.command(f).display()).collect()
    }

    #[test]
    fn forwards_published_service_ports_and_in_cluster_stores_but_not_jobs_or_host_stores() {
        let p = plan(&model("kube", SPEC), "k3d-shop", None).unwrap();
        assert_eq!(
            lines(&p),
            [
                "kubectl port-forward --context k3d-shop --namespace shop-dev svc/web 8080:8080",
                "kubectl port-forward --context k3d-shop --namespace shop-dev svc/api 18000:3000",
                "kubectl port-forward --context k3d-shop --namespace shop-dev svc/db 15432:5432",
                "kubectl port-forward --context k3d-shop --namespace shop-dev svc/mq 5672:5672",
                "kubectl port-forward --context k3d-shop --namespace shop-dev svc/mq 15672:15672",
            ]
        );
        let one = plan(&model("kube", SPEC), "k3d-shop", Some("db")).unwrap();
        assert_eq!(one.forwards.len(), 1);
        let err = plan(&model("kube", SPEC), "k3d-shop", Some("cache")).unwrap_err();
        assert!(err.is_usage());
        assert!(
            err.to_string().contains("publishes: web, api, db, mq"),
            "{err}"
        );
    }

    #[test]
    fn an_environment_that_publishes_nothing_says_how_to_publish() {
        let spec = SPEC
            .replace(", publish: { http: 18000 }", "")
            .replace("publish: { http: 8080 }", "publish: {}");
        let err = plan(&model("quiet", &spec), "kind-shop", None).unwrap_err();
        assert!(err.is_usage());
        assert!(err.to_string().contains("publishes no port"), "{err}");
    }

    /// Children that run until killed, except the one given, which ends after `polls` polls.
    struct Fake {
        spawned: Mutex<Vec<String>>,
        killed: Arc<AtomicUsize>,
        ends: Option<(usize, usize)>,
        missing: bool,
    }

    struct FakeChild {
        polls_left: Option<usize>,
        killed: Arc<AtomicUsize>,
        dead: bool,
    }

    impl Running for FakeChild {
        fn try_wait(&mut self) -> std::io::Result<Option<Option<i32>>> {
            match &mut self.polls_left {
                Some(0) => Ok(Some(Some(1))),
                Some(n) => {
                    *n -= 1;
                    Ok(None)
                }
                None => Ok(None),
            }
        }
        fn kill(&mut self) -> std::io::Result<()> {
            if !self.dead && self.polls_left != Some(0) {
                self.dead = true;
                self.killed.fetch_add(1, Ordering::SeqCst);
            }
            Ok(())
        }
    }

    impl Runner for Fake {
        fn output(&self, _: &Cmd) -> std::io::Result<Output> {
            unreachable!("forward only spawns")
        }
        fn interactive(&self, _: &Cmd) -> std::io::Result<Option<i32>> {
            unreachable!("forward only spawns")
        }
        fn spawn(&self, cmd: &Cmd, mut line: LineSink) -> std::io::Result<Box<dyn Running>> {
            if self.missing {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no kubectl",
                ));
            }
            let mut spawned = self.spawned.lock().unwrap();
            let i = spawned.len();
            spawned.push(cmd.display());
            let polls_left = match self.ends {
                Some((which, polls)) if which == i => {
                    line(
                        Stream::Stderr,
                        "error: unable to listen on port 8080: address already in use",
                    );
                    Some(polls)
                }
                _ => None,
            };
            Ok(Box::new(FakeChild {
                polls_left,
                killed: self.killed.clone(),
                dead: false,
            }))
        }
    }

    fn fake(ends: Option<(usize, usize)>, missing: bool) -> Fake {
        Fake {
            spawned: Mutex::new(Vec::new()),
            killed: Arc::new(AtomicUsize::new(0)),
            ends,
            missing,
        }
    }

    /// A clock whose sleeps are instant; after `stop_after` sleeps it sets the stop flag.
    struct StopAfter<'a>(AtomicUsize, usize, &'a AtomicBool);
    impl Clock for StopAfter<'_> {
        fn now(&self) -> std::time::SystemTime {
            SystemClock.now()
        }
        fn instant(&self) -> std::time::Instant {
            SystemClock.instant()
        }
        fn sleep(&self, _: Duration) {
            if self.0.fetch_add(1, Ordering::SeqCst) + 1 >= self.1 {
                self.2.store(true, Ordering::SeqCst);
            }
        }
    }

    #[test]
    fn stopping_kills_every_forward() {
        let p = plan(&model("kube", SPEC), "k3d-shop", None).unwrap();
        let runner = fake(None, false);
        let stop = AtomicBool::new(false);
        let clock = StopAfter(AtomicUsize::new(0), 3, &stop);
        run(&runner, &clock, &p, &stop, Arc::new(|_, _| {})).unwrap();
        assert_eq!(*runner.spawned.lock().unwrap(), lines(&p));
        assert_eq!(runner.killed.load(Ordering::SeqCst), 5);
    }

    #[test]
    fn one_forward_ending_stops_the_others_and_reports_its_output() {
        let p = plan(&model("kube", SPEC), "k3d-shop", None).unwrap();
        let runner = fake(Some((0, 2)), false);
        let stop = AtomicBool::new(false);
        let clock = StopAfter(AtomicUsize::new(0), 1000, &stop);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let err = run(
            &runner,
            &clock,
            &p,
            &stop,
            Arc::new(move |f, l| s.lock().unwrap().push(format!("{}: {l}", f.name))),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("`kubectl port-forward --context k3d-shop --namespace shop-dev svc/web 8080:8080` ended (exit 1)"), "{msg}");
        assert!(msg.contains("address already in use"), "{msg}");
        assert_eq!(
            runner.killed.load(Ordering::SeqCst),
            4,
            "the ended one needs no kill"
        );
        assert_eq!(
            *seen.lock().unwrap(),
            ["web: error: unable to listen on port 8080: address already in use"]
        );
    }

    #[test]
    fn missing_kubectl_is_named() {
        let p = plan(&model("kube", SPEC), "k3d-shop", None).unwrap();
        let stop = AtomicBool::new(false);
        let err = run(
            &fake(None, true),
            &SystemClock,
            &p,
            &stop,
            Arc::new(|_, _| {}),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("`kubectl` is not installed"),
            "{err}"
        );
    }
}
