"""`/mailpit` as Mailpit's binary answers it: no arguments serve; `readyz` exits 0 once the
server answers on its readiness endpoint (the check Berth writes); `version` prints the version.
Mailpit's command-line flags are not taken: the MP_* variables configure the stand-in."""
import sys
import urllib.request

from . import config as cfg

VERSION = "berth-local/mailpit:1 (a Mailpit API subset on aiosmtpd)"
USAGE = "usage: /mailpit [readyz | version]  (configured by MP_* variables; flags are not taken)"


def readyz() -> int:
    try:
        c = cfg.from_env()
    except cfg.ConfigError as e:
        print(f"mailpit: {e}", file=sys.stderr)
        return 1
    host = "127.0.0.1" if c.ui_host == "0.0.0.0" else c.ui_host
    url = f"http://{host}:{c.ui_port}{c.web_root}readyz"
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return 0 if answer.status == 200 else 1
    except OSError as e:
        print(f"mailpit: {url}: {e}", file=sys.stderr)
        return 1


def main(argv: list) -> int:
    if argv == ["readyz"]:
        return readyz()
    if argv == ["version"]:
        print(VERSION)
        return 0
    if argv:
        print(USAGE, file=sys.stderr)
        return 2
    from .server import run

    return run()
