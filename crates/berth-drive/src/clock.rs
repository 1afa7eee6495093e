//! Time behind a trait: the driver asks the clock for "now" (history timestamps, deadlines)
//! and to sleep between polls, so tests can run the wait loop on a fake clock instantly.

use std::time::{Duration, Instant, SystemTime};

pub trait Clock: Send + Sync {
    /// Wall-clock time (for records).
    fn now(&self) -> SystemTime;
    /// Monotonic time (for deadlines).
    fn instant(&self) -> Instant;
    fn sleep(&self, d: Duration);
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
    fn instant(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d)
    }
}

/// RFC 3339 UTC timestamp with seconds (`2026-12-01T20:19:14Z`).
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_seconds() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_156_354);
        assert_eq!(rfc3339(t), "2026-12-01T20:19:14Z");
    }
}
