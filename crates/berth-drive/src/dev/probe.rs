//! Readiness probes of host processes, against 127.0.0.1: an HTTP GET answered 2xx/3xx, a TCP
//! connection accepted, or a command that exits 0.

use berth_render::plan::dev::Probe;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

/// One attempt; true when the probe passes within `timeout`.
pub fn check(probe: &Probe, timeout: Duration) -> bool {
    match probe {
        Probe::Http { url } => http(url, timeout).unwrap_or(false),
        Probe::Tcp { port } => connect(*port, timeout).is_ok(),
        Probe::Exec { command } => exec(command),
    }
}

fn connect(port: u16, timeout: Duration) -> std::io::Result<TcpStream> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    Ok(s)
}

/// `http://127.0.0.1:PORT/PATH` → GET, status 200..=399.
fn http(url: &str, timeout: Duration) -> std::io::Result<bool> {
    let rest = url.strip_prefix("http://127.0.0.1:").unwrap_or(url);
    let (port, path) = rest.split_once('/').unwrap_or((rest, ""));
    let port: u16 = port.parse().map_err(std::io::Error::other)?;
    let mut s = connect(port, timeout)?;
    write!(
        s,
        "GET /{path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: berth-dev\r\n\r\n"
    )?;
    // Read the whole answer (HTTP/1.0: the server closes), so the server never writes into a
    // closed connection; at most 64 KiB.
    let mut head = Vec::new();
    let _ = (&mut s).take(64 * 1024).read_to_end(&mut head);
    let n = head.len();
    let status = std::str::from_utf8(&head[..n.min(12)])
        .ok()
        .and_then(|h| h.split_whitespace().nth(1))
        .and_then(|c| c.parse::<u16>().ok());
    Ok(matches!(status, Some(200..=399)))
}

fn exec(command: &[String]) -> bool {
    let Some((program, args)) = command.split_first() else {
        return false;
    };
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn tcp_passes_only_while_something_listens() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        assert!(check(&Probe::Tcp { port }, Duration::from_secs(1)));
        drop(l);
        assert!(!check(&Probe::Tcp { port }, Duration::from_secs(1)));
    }

    #[test]
    fn http_reads_the_status_code() {
        for (reply, ok) in [
            ("HTTP/1.0 204 No Content\r\n\r\n", true),
            ("HTTP/1.1 503 Busy\r\n\r\n", false),
        ] {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = l.local_addr().unwrap().port();
            let server = std::thread::spawn(move || {
                let (mut c, _) = l.accept().unwrap();
                let mut buf = [0u8; 256];
                let _ = c.read(&mut buf);
                c.write_all(reply.as_bytes()).unwrap();
            });
            let url = format!("http://127.0.0.1:{port}/health");
            assert_eq!(
                check(&Probe::Http { url }, Duration::from_secs(2)),
                ok,
                "{reply}"
            );
            server.join().unwrap();
        }
    }

    #[test]
    fn exec_passes_on_exit_zero() {
        let cmd = |c: &str| Probe::Exec {
            command: vec!["sh".into(), "-c".into(), c.into()],
        };
        assert!(check(&cmd("exit 0"), Duration::from_secs(1)));
        assert!(!check(&cmd("exit 1"), Duration::from_secs(1)));
    }
}
