"""Starts the store, the SMTP server and the HTTP server, and stops on SIGTERM or SIGINT (the
process is PID 1 in its container, where default signal handling does nothing)."""
import asyncio
import logging
import signal
import sqlite3
import sys
import threading
import warnings

from . import config as cfg
from . import smtp, web
from .store import Store

log = logging.getLogger("mailpit")


async def serve(c: cfg.Config, store: Store):
    ready = threading.Event()
    http = web.serve(c, store, ready)
    server = await smtp.serve(c, store)
    ready.set()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping")
    server.close()
    await server.wait_closed()
    http.shutdown()


def run() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    # aiosmtpd's per-command log, and its warnings about AUTH without TLS, which is the point here.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    try:
        c = cfg.from_env()
        store = Store(c.database, c.max_messages)
    except cfg.ConfigError as e:
        log.error("%s", e)
        return 1
    except sqlite3.Error as e:
        log.error("cannot open MP_DATABASE %s: %s", c.database, e)
        return 1
    log.info("messages kept in %s", c.database or "memory (MP_DATABASE unset)")
    try:
        asyncio.run(serve(c, store))
    except OSError as e:
        log.error("%s", e)
        return 1
    return 0
