"""The MP_* variables the stand-in honours, read once at start. Variables for features it does
not have (TLS, web UI authentication, POP3, relaying) stop it with a message rather than being
ignored, so nobody believes a mailbox is protected or encrypted when it is not."""
import os
from dataclasses import dataclass, field

UNSUPPORTED = (
    "MP_SMTP_TLS_CERT",
    "MP_SMTP_TLS_KEY",
    "MP_SMTP_REQUIRE_STARTTLS",
    "MP_SMTP_REQUIRE_TLS",
    "MP_SMTP_AUTH_FILE",
    "MP_UI_TLS_CERT",
    "MP_UI_TLS_KEY",
    "MP_UI_AUTH",
    "MP_UI_AUTH_FILE",
    "MP_POP3_AUTH",
    "MP_POP3_AUTH_FILE",
    "MP_SMTP_RELAY_CONFIG",
    "MP_SMTP_RELAY_ALL",
)


class ConfigError(Exception):
    """A setting the stand-in cannot honour."""


@dataclass
class Config:
    smtp_host: str = "0.0.0.0"
    smtp_port: int = 1025
    ui_host: str = "0.0.0.0"
    ui_port: int = 8025
    web_root: str = "/"
    database: str = ""
    max_messages: int = 500
    accept_any: bool = False
    credentials: dict = field(default_factory=dict)
    allow_insecure: bool = False

    @property
    def auth_enabled(self) -> bool:
        return self.accept_any or bool(self.credentials)


def truthy(value: str) -> bool:
    """Go's strconv.ParseBool, which Mailpit's flags use."""
    return value.strip() in ("1", "t", "T", "true", "TRUE", "True")


def bind_addr(value: str, default_port: int) -> tuple:
    """`HOST:PORT`, `[::]:PORT` or `:PORT`; an empty or IPv6-any host binds every IPv4 address."""
    host, _, port = value.rpartition(":")
    host = host.strip("[]")
    if host in ("", "::"):
        host = "0.0.0.0"
    try:
        return host, int(port) if port else default_port
    except ValueError:
        raise ConfigError(f"invalid bind address {value!r} (want HOST:PORT)") from None


def web_root(value: str) -> str:
    """MP_UI_WEB_ROOT as a path prefix with a slash on both ends."""
    return "/" + value.strip("/") + "/" if value.strip("/") else "/"


def credentials(value: str) -> dict:
    """MP_SMTP_AUTH: space-separated `user:password` pairs (plain text only)."""
    pairs = {}
    for item in value.split():
        user, sep, password = item.partition(":")
        if not sep or not user:
            raise ConfigError(f"MP_SMTP_AUTH: {item!r} is not user:password")
        pairs[user] = password
    return pairs


def from_env(env=os.environ) -> Config:
    present = [name for name in UNSUPPORTED if env.get(name)]
    if present:
        raise ConfigError(
            f"{', '.join(present)}: not supported by the berth-local stand-in "
            "(no TLS, no web UI authentication, no POP3, no relay); use axllent/mailpit"
        )
    c = Config()
    c.smtp_host, c.smtp_port = bind_addr(env.get("MP_SMTP_BIND_ADDR", ""), 1025)
    c.ui_host, c.ui_port = bind_addr(env.get("MP_UI_BIND_ADDR", ""), 8025)
    c.web_root = web_root(env.get("MP_UI_WEB_ROOT", ""))
    c.database = env.get("MP_DATABASE", "")
    try:
        c.max_messages = int(env.get("MP_MAX_MESSAGES", "500") or 0)
    except ValueError:
        raise ConfigError("MP_MAX_MESSAGES must be a number") from None
    c.accept_any = truthy(env.get("MP_SMTP_AUTH_ACCEPT_ANY", ""))
    c.credentials = credentials(env.get("MP_SMTP_AUTH", ""))
    c.allow_insecure = truthy(env.get("MP_SMTP_AUTH_ALLOW_INSECURE", ""))
    if c.auth_enabled and not c.allow_insecure:
        # Mailpit's own rule: authentication without TLS must be allowed explicitly.
        raise ConfigError(
            "SMTP authentication requires TLS encryption, which this stand-in does not have: "
            "set MP_SMTP_AUTH_ALLOW_INSECURE=1"
        )
    return c
