//! `GET /metrics` in the Prometheus text format: the metrics contract Berth's observability
//! expects of a service (docs/observability.md) — `http_requests_total` by method and `code`,
//! `http_request_duration_seconds` (a histogram) and the process metrics.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{LazyLock, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Upper bounds (seconds) of the latency buckets.
const BUCKETS: [f64; 8] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

#[derive(Default)]
struct Recorded {
    /// (method, code) → requests.
    requests: BTreeMap<(String, u16), u64>,
    /// Cumulative counts per bucket, then +Inf.
    buckets: [u64; BUCKETS.len() + 1],
    sum: f64,
}

static RECORDED: LazyLock<Mutex<Recorded>> = LazyLock::new(Default::default);
static STARTED: LazyLock<f64> = LazyLock::new(|| {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
});

/// Middleware: counts every request and times it.
pub async fn record(req: Request, next: Next) -> Response {
    LazyLock::force(&STARTED);
    let method = req.method().to_string();
    let start = Instant::now();
    let response = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    let mut r = RECORDED.lock().unwrap_or_else(|e| e.into_inner());
    *r.requests
        .entry((method, response.status().as_u16()))
        .or_default() += 1;
    for (i, le) in BUCKETS.iter().enumerate() {
        if secs <= *le {
            r.buckets[i] += 1;
        }
    }
    r.buckets[BUCKETS.len()] += 1;
    r.sum += secs;
    response
}

/// `GET /metrics`.
pub async fn metrics() -> Response {
    let body = render();
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

fn render() -> String {
    let r = RECORDED.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = String::new();
    out.push_str(
        "# HELP http_requests_total HTTP requests served.\n# TYPE http_requests_total counter\n",
    );
    for ((method, code), n) in &r.requests {
        let _ = writeln!(
            out,
            "http_requests_total{{method=\"{method}\",code=\"{code}\"}} {n}"
        );
    }
    out.push_str("# HELP http_request_duration_seconds Time to serve a request.\n# TYPE http_request_duration_seconds histogram\n");
    for (i, le) in BUCKETS.iter().enumerate() {
        let _ = writeln!(
            out,
            "http_request_duration_seconds_bucket{{le=\"{le}\"}} {}",
            r.buckets[i]
        );
    }
    let count = r.buckets[BUCKETS.len()];
    let _ = writeln!(
        out,
        "http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
    );
    let _ = writeln!(out, "http_request_duration_seconds_sum {}", r.sum);
    let _ = writeln!(out, "http_request_duration_seconds_count {count}");
    let _ = writeln!(
        out,
        "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds {}",
        *STARTED
    );
    if let Some((cpu, rss)) = process() {
        let _ = writeln!(
            out,
            "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total {cpu}"
        );
        let _ = writeln!(
            out,
            "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {rss}"
        );
    }
    out
}

/// CPU seconds and resident bytes from /proc (Linux; None elsewhere).
fn process() -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // USER_HZ is 100 and pages are 4 KiB on the Linux targets the image runs on.
    Some((ticks as f64 / 100.0, pages * 4096))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposes_the_contract_in_the_text_format() {
        {
            let mut r = RECORDED.lock().unwrap();
            *r.requests.entry(("GET".into(), 200)).or_default() += 2;
            r.buckets = [1, 1, 1, 1, 2, 2, 2, 2, 2];
        }
        let text = render();
        assert!(
            text.contains("http_requests_total{method=\"GET\",code=\"200\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("http_request_duration_seconds_bucket{le=\"+Inf\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("process_start_time_seconds "), "{text}");
    }
}
