//! berth-demo: a tiny HTTP service over redis, postgres and rabbitmq, wired only by environment.

mod check;
mod config;
mod deps;
mod metrics;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::config::Config;
use crate::deps::Deps;

const USAGE: &str = "usage: berth-demo [--check [URL]] [--help] [--version]

Serves GET /health, GET /notes, POST /notes and GET /metrics (Prometheus) on 0.0.0.0:$PORT (default 8080).
Reads REDIS_URL, POSTGRES_URL, RABBITMQ_URL (each optional) and PORT.

  --check [URL]  GET URL (default http://127.0.0.1:$PORT/health); exit 0 on a 2xx answer.
                 For container healthchecks in images without curl.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match Config::from_env(|k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("berth-demo: {e}");
            return ExitCode::from(2);
        }
    };
    match args.first().map(String::as_str) {
        None => serve(config),
        Some("--check") => {
            let url = args
                .get(1)
                .cloned()
                .unwrap_or_else(|| format!("http://127.0.0.1:{}/health", config.port));
            match check::http_get_status(&url, std::time::Duration::from_secs(3)) {
                Ok(status) if (200..300).contains(&status) => ExitCode::SUCCESS,
                Ok(status) => {
                    eprintln!("berth-demo: {url} answered {status}");
                    ExitCode::FAILURE
                }
                Err(e) => {
                    eprintln!("berth-demo: {url}: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("--help" | "-h") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("--version" | "-V") => {
            println!("berth-demo {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("berth-demo: unexpected argument {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn serve(config: Config) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("berth-demo: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let addr = SocketAddr::from(([0, 0, 0, 0], config.port));
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("berth-demo: cannot listen on {addr}: {e}");
                return ExitCode::FAILURE;
            }
        };
        eprintln!("berth-demo: listening on {addr} ({})", config.describe());
        let app = router(Arc::new(Deps::new(config)));
        match axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("berth-demo: server error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Resolves on SIGTERM or SIGINT: as PID 1 in a container nothing else would stop us.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    eprintln!("berth-demo: shutting down");
}

fn router(deps: Arc<Deps>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/notes", get(list_notes).post(add_note))
        .route("/metrics", get(metrics::metrics))
        .layer(axum::middleware::from_fn(metrics::record))
        .with_state(deps)
}

async fn health(State(deps): State<Arc<Deps>>) -> Response {
    let results = deps.health().await;
    let mut body = Map::new();
    let mut failing = Vec::new();
    for (name, result) in results {
        match result {
            Ok(()) => {
                body.insert(name.to_string(), json!("ok"));
            }
            Err(e) => {
                body.insert(name.to_string(), json!(format!("error: {e}")));
                failing.push(Value::from(name));
            }
        }
    }
    let status = if failing.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut out = Map::new();
    out.insert(
        "status".into(),
        json!(if failing.is_empty() { "ok" } else { "fail" }),
    );
    if !failing.is_empty() {
        out.insert("failing".into(), Value::Array(failing));
    }
    out.extend(body);
    (status, Json(Value::Object(out))).into_response()
}

async fn add_note(State(deps): State<Arc<Deps>>, body: String) -> Response {
    match deps.add_note(&body).await {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(e) => error_response(e),
    }
}

async fn list_notes(State(deps): State<Arc<Deps>>) -> Response {
    match deps.notes().await {
        Ok(v) => Json(v).into_response(),
        Err(e) => error_response(e),
    }
}

fn error_response(e: deps::Error) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "error": e.to_string(), "dependency": e.dependency })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::time::Duration;

    /// Serves `config` on an ephemeral loopback port and returns the base URL.
    async fn spawn(config: Config) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, router(Arc::new(Deps::new(config))))
                .await
                .unwrap();
        });
        format!("http://{addr}")
    }

    /// Blocking GET returning the whole response (head and body).
    async fn get(url: String) -> String {
        tokio::task::spawn_blocking(move || {
            let (host, port, path) = check::parse_http_url(&url).unwrap();
            let mut s = std::net::TcpStream::connect((host.as_str(), port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            write!(s, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            out
        })
        .await
        .unwrap()
    }

    fn config(redis: Option<&str>) -> Config {
        Config {
            redis_url: redis.map(str::to_string),
            postgres_url: None,
            rabbitmq_url: None,
            port: 0,
        }
    }

    #[tokio::test]
    async fn health_is_ok_with_no_dependencies() {
        let base = spawn(config(None)).await;
        let response = get(format!("{base}/health")).await;
        assert!(response.starts_with("HTTP/1.0 200"), "{response}");
        assert!(response.ends_with(r#"{"status":"ok"}"#), "{response}");
    }

    #[tokio::test]
    async fn health_names_an_unreachable_dependency() {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        let base = spawn(config(Some("redis://127.0.0.1:1"))).await;
        let response = get(format!("{base}/health")).await;
        assert!(response.starts_with("HTTP/1.0 503"), "{response}");
        assert!(response.contains(r#""status":"fail""#), "{response}");
        assert!(response.contains(r#""failing":["redis"]"#), "{response}");
        assert!(response.contains(r#""redis":"error: "#), "{response}");
        let check = tokio::task::spawn_blocking(move || {
            check::http_get_status(&format!("{base}/health"), Duration::from_secs(10))
        });
        assert_eq!(check.await.unwrap().unwrap(), 503);
    }

    #[tokio::test]
    async fn notes_fail_with_the_dependency_named() {
        let base = spawn(config(Some("redis://127.0.0.1:1"))).await;
        let response = get(format!("{base}/notes")).await;
        assert!(response.starts_with("HTTP/1.0 503"), "{response}");
        assert!(response.contains(r#""dependency":"redis""#), "{response}");
    }
}
