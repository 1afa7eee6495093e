"""Where messages are kept: an SQLite file at MP_DATABASE (it survives a restart, as Mailpit's
database does), or memory when MP_DATABASE is unset (Mailpit then uses a temporary database that
is gone at exit). The schema is the stand-in's own, not Mailpit's: the two files do not mix."""
import json
import secrets
import sqlite3
import string
import threading
import time
from dataclasses import dataclass

SCHEMA = """
create table if not exists messages (
  id text primary key,
  created real not null,
  username text not null default '',
  mail_from text not null default '',
  rcpts text not null default '[]',
  raw blob not null,
  read integer not null default 0
)
"""
ID_ALPHABET = string.ascii_letters + string.digits


@dataclass
class Stored:
    id: str
    created: float
    username: str
    mail_from: str
    rcpts: list
    raw: bytes
    read: bool


def new_id() -> str:
    """A 22-character id, shaped like Mailpit's."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(22))


def _row(r) -> Stored:
    return Stored(r[0], r[1], r[2], r[3], json.loads(r[4]), bytes(r[5]), bool(r[6]))


COLUMNS = "id, created, username, mail_from, rcpts, raw, read"


class Store:
    def __init__(self, path: str, max_messages: int):
        self.max_messages = max_messages
        self.lock = threading.Lock()
        self.db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        self.db.execute(SCHEMA)

    def add(self, raw: bytes, mail_from: str, rcpts: list, username: str) -> str:
        mid = new_id()
        with self.lock:
            self.db.execute(
                "insert into messages (id, created, username, mail_from, rcpts, raw) values (?,?,?,?,?,?)",
                (mid, time.time(), username, mail_from, json.dumps(rcpts), raw),
            )
            self._prune()
        return mid

    def _prune(self):
        """Keep the newest MP_MAX_MESSAGES (0: all), as Mailpit does."""
        if self.max_messages > 0:
            self.db.execute(
                "delete from messages where id not in "
                "(select id from messages order by created desc, rowid desc limit ?)",
                (self.max_messages,),
            )

    def page(self, start: int, limit: int) -> list:
        """Newest first."""
        with self.lock:
            rows = self.db.execute(
                f"select {COLUMNS} from messages order by created desc, rowid desc limit ? offset ?",
                (limit, start),
            ).fetchall()
        return [_row(r) for r in rows]

    def counts(self) -> tuple:
        """(total, unread)."""
        with self.lock:
            total, unread = self.db.execute(
                "select count(*), coalesce(sum(read = 0), 0) from messages"
            ).fetchone()
        return total, unread

    def get(self, mid: str):
        """One message by id, or the newest for `latest`; None when there is none."""
        query = f"select {COLUMNS} from messages "
        if mid == "latest":
            query, args = query + "order by created desc, rowid desc limit 1", ()
        else:
            query, args = query + "where id = ?", (mid,)
        with self.lock:
            r = self.db.execute(query, args).fetchone()
        return _row(r) if r else None

    def mark_read(self, mid: str):
        with self.lock:
            self.db.execute("update messages set read = 1 where id = ?", (mid,))

    def delete(self, ids=None):
        """The given ids, or every message."""
        with self.lock:
            if ids:
                self.db.executemany("delete from messages where id = ?", [(i,) for i in ids])
            else:
                self.db.execute("delete from messages")
