"""Self-test of the stand-in, run while the image is built (and runnable on a host with aiosmtpd):
`python3 selftest.py COMMAND...` starts COMMAND (the server) on free ports and checks what Berth
and applications rely on. Exits non-zero on the first failure."""
import atexit
import json
import os
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from email.message import EmailMessage

COMMAND = sys.argv[1:] or ["/mailpit"]
INSECURE_ANY = {"MP_SMTP_AUTH_ACCEPT_ANY": "1", "MP_SMTP_AUTH_ALLOW_INSECURE": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env: dict):
        self.smtp, self.http = free_port(), free_port()
        self.env = os.environ | env | {
            "MP_SMTP_BIND_ADDR": f"127.0.0.1:{self.smtp}",
            "MP_UI_BIND_ADDR": f"127.0.0.1:{self.http}",
        }
        self.root = "/" + env.get("MP_UI_WEB_ROOT", "").strip("/") + "/" if env.get("MP_UI_WEB_ROOT") else "/"
        self.proc = subprocess.Popen(COMMAND, env=self.env)
        atexit.register(self.proc.kill)  # no server outlives a failed check
        for _ in range(100):
            if self.readyz() == 0:
                return
            assert self.proc.poll() is None, f"server exited with {self.proc.returncode}"
            time.sleep(0.1)
        raise AssertionError("server not ready after 10s")

    def readyz(self) -> int:
        return subprocess.run(COMMAND + ["readyz"], env=self.env, stderr=subprocess.DEVNULL).returncode

    def get(self, path: str):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http}{self.root}{path}", timeout=5) as r:
            body = r.read()
            return json.loads(body) if r.headers.get_content_type() == "application/json" else body.decode()

    def delete(self, ids=None):
        body = json.dumps({"IDs": ids}).encode() if ids else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.http}{self.root}api/v1/messages", data=body, method="DELETE")
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.read() == b"ok"

    def send(self, subject: str, login=None, mechanism=None, to="user@example.com"):
        m = EmailMessage()
        m["From"], m["To"], m["Subject"] = "App <app@example.com>", to, subject
        m.set_content(f"text of {subject}")
        with smtplib.SMTP("127.0.0.1", self.smtp, timeout=5) as s:
            if login and mechanism:
                s.ehlo()
                s.user, s.password = login
                s.auth(mechanism, getattr(s, "auth_" + mechanism.lower()))
            elif login:
                s.login(*login)
            s.send_message(m)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(10)


def check(what: str, ok: bool, detail=""):
    if not ok:
        sys.exit(f"FAIL {what} {detail}")
    print(f"ok   {what}")


def accept_any(db: str):
    s = Server(INSECURE_ANY | {"MP_DATABASE": db})
    s.send("plain", login=("anyone", "anything"))
    s.send("login", login=("someone", "else"), mechanism="LOGIN")
    s.send("no-auth")
    listing = s.get("api/v1/messages")
    check("three messages, newest first", [m["Subject"] for m in listing["messages"]] == ["no-auth", "login", "plain"], listing)
    check("total and unread", (listing["total"], listing["unread"]) == (3, 3), listing)
    first = listing["messages"][2]
    check("From.Address and To[].Address", first["From"]["Address"] == "app@example.com" and first["To"][0]["Address"] == "user@example.com", first)
    check("Username is the login", first["Username"] == "anyone", first)
    msg = s.get(f"api/v1/message/{first['ID']}")
    check("message Text", msg["Text"].strip() == "text of plain", msg)
    check("reading marks read", s.get("api/v1/messages")["unread"] == 2)
    check("latest", s.get("api/v1/message/latest")["Subject"] == "no-auth")
    check("raw", "Subject: plain" in s.get(f"api/v1/message/{first['ID']}/raw"))
    check("HTML index lists subjects", all(x in s.get("") for x in ("plain", "login", "no-auth")))
    try:
        s.get("api/v1/message/nope")
        check("unknown id is 404", False)
    except urllib.error.HTTPError as e:
        check("unknown id is 404", e.code == 404)
    s.delete([first["ID"]])
    check("DELETE with IDs", s.get("api/v1/messages")["total"] == 2)
    check("SIGTERM stops with 0", s.stop() == 0)
    s = Server(INSECURE_ANY | {"MP_DATABASE": db})
    check("messages survive a restart (MP_DATABASE)", s.get("api/v1/messages")["total"] == 2)
    s.delete()
    check("DELETE without IDs empties the mailbox", s.get("api/v1/messages")["total"] == 0)
    s.stop()


def credentials_and_limits():
    s = Server({"MP_SMTP_AUTH": "app:s3cret", "MP_SMTP_AUTH_ALLOW_INSECURE": "1",
                "MP_MAX_MESSAGES": "2", "MP_UI_WEB_ROOT": "/mail"})
    try:
        s.send("wrong", login=("app", "wrong"))
        check("MP_SMTP_AUTH refuses a wrong password", False)
    except smtplib.SMTPAuthenticationError:
        check("MP_SMTP_AUTH refuses a wrong password", True)
    try:
        s.send("anonymous")
        check("MP_SMTP_AUTH requires AUTH", False)
    except smtplib.SMTPSenderRefused:
        check("MP_SMTP_AUTH requires AUTH", True)
    for n in range(3):
        s.send(f"m{n}", login=("app", "s3cret"))
    listing = s.get("api/v1/messages")
    check("MP_MAX_MESSAGES keeps the newest", [m["Subject"] for m in listing["messages"]] == ["m2", "m1"], listing)
    check("MP_UI_WEB_ROOT readyz", s.readyz() == 0)
    s.stop()


def refusals():
    for env, why in [({"MP_SMTP_AUTH_ACCEPT_ANY": "1"}, "auth without MP_SMTP_AUTH_ALLOW_INSECURE"),
                     (INSECURE_ANY | {"MP_UI_AUTH": "a:b"}, "MP_UI_AUTH (unsupported)")]:
        run = subprocess.run(COMMAND, env=os.environ | env, capture_output=True, timeout=20)
        check(f"refuses to start: {why}", run.returncode == 1, run.stderr)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        accept_any(os.path.join(tmp, "mailpit.db"))
    credentials_and_limits()
    refusals()
    print("selftest passed")
