"""The HTTP side on MP_UI_BIND_ADDR under MP_UI_WEB_ROOT: Mailpit's API subset
(`GET /api/v1/messages`, `DELETE /api/v1/messages`, `GET /api/v1/message/{ID}` and its `/raw`),
`/readyz` and `/livez`, and a plain HTML page listing the messages (`/`, `/view/{ID}`)."""
import html
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .config import Config
from .parse import Parsed
from .store import Store

log = logging.getLogger("mailpit.http")


def number(query: dict, name: str, default: int) -> int:
    try:
        return max(0, int(query.get(name, [default])[0]))
    except ValueError:
        return default


def escape(value) -> str:
    return html.escape(str(value or ""))


def index_page(store: Store) -> str:
    rows = []
    for stored in store.page(0, 500):
        s = Parsed(stored).summary()
        to = ", ".join(a["Address"] for a in s["To"])
        sender = s["From"]["Address"] if s["From"] else ""
        rows.append(
            f'<tr><td>{escape(s["Created"])}</td><td>{escape(sender)}</td><td>{escape(to)}</td>'
            f'<td><a href="view/{escape(s["ID"])}">{escape(s["Subject"]) or "(no subject)"}</a></td></tr>'
        )
    total, unread = store.counts()
    return (
        "<!doctype html><html><head><meta charset=utf-8><title>Mailpit (berth-local)</title></head>"
        f"<body><h1>Mailpit (berth-local stand-in)</h1><p>{total} messages, {unread} unread</p>"
        "<table border=1 cellpadding=4><tr><th>Received</th><th>From</th><th>To</th><th>Subject</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )


def view_page(parsed: Parsed) -> str:
    m = parsed.message()
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{escape(m['Subject'])}</title></head>"
        f"<body><p><a href=\"../\">All messages</a> · <a href=\"../api/v1/message/{escape(m['ID'])}/raw\">raw</a></p>"
        f"<h1>{escape(m['Subject'])}</h1><pre>{escape(m['Text'])}</pre></body></html>"
    )


class Api(BaseHTTPRequestHandler):
    store: Store
    config: Config
    ready: threading.Event
    server_version = "Mailpit-berth-local"

    def log_message(self, fmt, *args):
        log.debug("%s " + fmt, self.address_string(), *args)

    def send(self, status: int, body, content_type="text/plain; charset=utf-8"):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def json(self, value):
        self.send(200, json.dumps(value), "application/json")

    def route(self) -> tuple:
        """(path below the web root, query), or (None, {}) outside the web root."""
        url = urlsplit(self.path)
        root = self.config.web_root
        if not (url.path + "/").startswith(root):
            return None, {}
        return "/" + url.path[len(root):], parse_qs(url.query)

    def do_GET(self):
        path, query = self.route()
        if path in ("/readyz", "/livez"):
            return self.send(200, "ok") if self.ready.is_set() else self.send(503, "not ready")
        if path == "/api/v1/messages":
            return self.list_messages(query)
        if path is not None and path.startswith("/api/v1/message/"):
            return self.one_message(path[len("/api/v1/message/"):])
        if path is not None and path.startswith("/view/"):
            found = self.store.get(path[len("/view/"):])
            return self.send(200, view_page(Parsed(found)), "text/html; charset=utf-8") if found else self.not_found()
        if path == "/":
            return self.send(200, index_page(self.store), "text/html; charset=utf-8")
        self.not_found()

    do_HEAD = do_GET

    def do_DELETE(self):
        path, _ = self.route()
        if path != "/api/v1/messages":
            return self.not_found()
        length = int(self.headers.get("Content-Length") or 0)
        try:
            ids = json.loads(self.rfile.read(length) or b"{}").get("IDs") or []
        except (ValueError, AttributeError):
            ids = []  # Mailpit deletes everything when the body is not a list of IDs
        self.store.delete(ids)
        self.send(200, "ok")

    def not_found(self):
        self.send(404, "404 page not found")

    def list_messages(self, query: dict):
        start, limit = number(query, "start", 0), number(query, "limit", 50)
        page = [Parsed(s).summary() for s in self.store.page(start, limit)]
        total, unread = self.store.counts()
        self.json({
            "total": total,
            "unread": unread,
            "count": len(page),
            "messages_count": total,
            "messages_unread": unread,
            "start": start,
            "tags": [],
            "messages": page,
        })

    def one_message(self, rest: str):
        mid, _, sub = rest.partition("/")
        found = self.store.get(mid)
        if found is None or sub not in ("", "raw"):
            return self.not_found()
        if sub == "raw":
            return self.send(200, found.raw)
        self.store.mark_read(found.id)
        found.read = True
        self.json(Parsed(found).message())


def serve(config: Config, store: Store, ready: threading.Event) -> ThreadingHTTPServer:
    """Starts the HTTP server in a daemon thread."""
    handler = type("BoundApi", (Api,), {"store": store, "config": config, "ready": ready})
    server = ThreadingHTTPServer((config.ui_host, config.ui_port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    log.info("HTTP on %s:%d%s", config.ui_host, config.ui_port, config.web_root)
    return server
