"""Building one email for one recipient: text with an HTML alternative, CRLF on the wire."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, parseaddr

from bvflow.errors import InputError
from bvflow.notifications.render import Rendered


def sender_domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "localhost"


def build_email(
    sender: str,
    recipient: str,
    name: str,
    rendered: Rendered,
    outbox_id: int,
    now: datetime,
    files: Sequence[tuple[str, bytes]] = (),
    invite: tuple[str, str] | None = None,
) -> EmailMessage:
    """An RFC 5322 message whose Message-ID is stable per outbox row (retries are recognisable)."""
    if any(ch in sender + recipient + name for ch in "\r\n"):
        raise InputError("line breaks are not allowed in addresses or names")
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = formataddr((name, recipient)) if name else str(Address(addr_spec=recipient))
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<bvflow-outbox-{outbox_id}@{sender_domain(sender)}>"
    message["X-BVFlow-Outbox"] = str(outbox_id)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    if invite is not None:
        method, text = invite
        message.add_attachment(
            text.encode("utf-8"),
            maintype="text",
            subtype="calendar",
            filename="invite.ics",
            params={"method": method},
        )
    for name, content in files:
        kind, _ = mimetypes.guess_type(name)
        maintype, subtype = (kind or "application/octet-stream").split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message
