"""The SMTP side: aiosmtpd on MP_SMTP_BIND_ADDR, AUTH PLAIN and LOGIN over plain TCP when
MP_SMTP_AUTH_ACCEPT_ANY (any user and password, AUTH optional) or MP_SMTP_AUTH (those users,
AUTH required) is set; every accepted message is stored."""
import asyncio
import logging
import socket

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from .config import Config
from .store import Store

log = logging.getLogger("mailpit.smtp")


class Handler:
    def __init__(self, store: Store):
        self.store = store

    async def handle_DATA(self, server, session, envelope):
        login = getattr(session.auth_data, "login", b"") or b""
        username = login.decode("utf-8", "replace")
        raw = envelope.original_content or envelope.content
        mid = self.store.add(raw, envelope.mail_from or "", list(envelope.rcpt_tos), username)
        log.info("stored %s from %s to %s", mid, envelope.mail_from, ", ".join(envelope.rcpt_tos))
        return "250 2.0.0 Ok: queued as " + mid


def authenticator(config: Config):
    """Accepts any login (accept-any), else the MP_SMTP_AUTH users' own passwords."""

    def check(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        if config.accept_any:
            return AuthResult(success=True, auth_data=auth_data)
        user = auth_data.login.decode("utf-8", "replace")
        ok = config.credentials.get(user) == auth_data.password.decode("utf-8", "replace")
        if not ok:  # handled=False: aiosmtpd answers 535 itself
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=auth_data)

    return check


def factory(config: Config, store: Store):
    options = {
        "hostname": socket.gethostname(),
        "ident": "Mailpit ESMTP Service ready (berth-local stand-in)",
        "enable_SMTPUTF8": True,
    }
    if config.auth_enabled:
        options |= {
            "authenticator": authenticator(config),
            "auth_require_tls": False,
            "auth_required": not config.accept_any,
        }
    return lambda: SMTP(Handler(store), **options)


async def serve(config: Config, store: Store) -> asyncio.AbstractServer:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory(config, store), config.smtp_host, config.smtp_port)
    log.info("SMTP on %s:%d", config.smtp_host, config.smtp_port)
    return server
