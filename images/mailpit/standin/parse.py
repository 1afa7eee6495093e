"""A stored message as Mailpit's API shows it: the summary of `GET /api/v1/messages` and the
message of `GET /api/v1/message/{ID}`, with Mailpit's field names."""
import hashlib
import html
import re
from datetime import datetime, timezone
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from .store import Stored


def rfc3339(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def addresses(msg, header: str) -> list:
    """`[{"Name", "Address"}]` of every address in the header (empty when absent)."""
    values = [str(v) for v in msg.get_all(header, [])]
    return [{"Name": name, "Address": addr} for name, addr in getaddresses(values) if addr]


def html_to_text(source: str) -> str:
    """A rough text of an HTML body (Mailpit does the same for HTML-only messages)."""
    source = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", source)
    source = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</h\d>|</li>", "\n", source)
    text = html.unescape(re.sub(r"<[^>]+>", "", source))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def body(msg, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        content = part.get_payload(decode=True).decode("utf-8", "replace")
    return content.replace("\r\n", "\n")


def parts(msg, prefix=""):
    """(PartID, part) of every leaf part, numbered as Mailpit numbers them (`1`, `2.1`)."""
    if not msg.is_multipart():
        yield prefix or "1", msg
        return
    for i, sub in enumerate(msg.get_payload(), start=1):
        yield from parts(sub, f"{prefix}.{i}" if prefix else str(i))


def attachment(part_id: str, part) -> dict:
    data = part.get_payload(decode=True) or b""
    return {
        "PartID": part_id,
        "FileName": part.get_filename() or "",
        "ContentType": part.get_content_type(),
        "ContentID": (part.get("Content-ID") or "").strip("<>"),
        "Size": len(data),
        "Checksums": {
            "MD5": hashlib.md5(data).hexdigest(),
            "SHA1": hashlib.sha1(data).hexdigest(),
            "SHA256": hashlib.sha256(data).hexdigest(),
        },
    }


def files(msg) -> tuple:
    """(Inline, Attachments): parts with a Content-ID shown inline, and the attached files."""
    inline, attached = [], []
    bodies = {id(msg.get_body(preferencelist=(s,))) for s in ("plain", "html")}
    for part_id, part in parts(msg):
        if id(part) in bodies:
            continue
        disposition = part.get_content_disposition()
        if disposition == "inline" and part.get("Content-ID"):
            inline.append(attachment(part_id, part))
        elif disposition == "attachment" or part.get_filename():
            attached.append(attachment(part_id, part))
    return inline, attached


class Parsed:
    """A stored message and its parsed MIME tree."""

    def __init__(self, stored: Stored):
        self.stored = stored
        self.msg = BytesParser(policy=policy.default).parsebytes(stored.raw)

    def created(self) -> datetime:
        return datetime.fromtimestamp(self.stored.created, timezone.utc)

    def date(self) -> datetime:
        try:
            return parsedate_to_datetime(str(self.msg["Date"]))
        except (TypeError, ValueError):
            return self.created()

    def sender(self):
        found = addresses(self.msg, "From")
        return found[0] if found else None

    def bcc(self) -> list:
        """The Bcc header, plus envelope recipients neither To nor Cc name (as Mailpit lists them)."""
        listed = {a["Address"].lower() for h in ("To", "Cc", "Bcc") for a in addresses(self.msg, h)}
        extra = [{"Name": "", "Address": r} for r in self.stored.rcpts if r.lower() not in listed]
        return addresses(self.msg, "Bcc") + extra

    def text(self) -> str:
        return body(self.msg, "plain") or html_to_text(body(self.msg, "html"))

    def common(self) -> dict:
        return {
            "ID": self.stored.id,
            "MessageID": str(self.msg.get("Message-ID", "")).strip().strip("<>"),
            "From": self.sender(),
            "To": addresses(self.msg, "To"),
            "Cc": addresses(self.msg, "Cc"),
            "Bcc": self.bcc(),
            "ReplyTo": addresses(self.msg, "Reply-To"),
            "Subject": str(self.msg.get("Subject", "")),
            "Username": self.stored.username,
            "Tags": [],
            "Size": len(self.stored.raw),
        }

    def summary(self) -> dict:
        _, attached = files(self.msg)
        snippet = " ".join(self.text().split())[:250]
        return self.common() | {
            "Read": self.stored.read,
            "Created": rfc3339(self.created()),
            "Attachments": len(attached),
            "Snippet": snippet,
        }

    def message(self) -> dict:
        inline, attached = files(self.msg)
        unsubscribe = str(self.msg.get("List-Unsubscribe", ""))
        return self.common() | {
            "ReturnPath": self.stored.mail_from,
            "ListUnsubscribe": {
                "Header": unsubscribe,
                "Links": re.findall(r"<([^>]+)>", unsubscribe),
                "Errors": "",
                "HeaderPost": str(self.msg.get("List-Unsubscribe-Post", "")),
            },
            "Date": rfc3339(self.date()),
            "Text": self.text(),
            "HTML": body(self.msg, "html"),
            "Inline": inline,
            "Attachments": attached,
        }
