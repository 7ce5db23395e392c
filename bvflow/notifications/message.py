"""Building one email for one recipient: text with an HTML alternative, CRLF on the wire."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, parseaddr

from bvflow.errors import InputError
from bvflow.notifications.render import Rendered


def sender_domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "localhost"


def wire_address(address: str) -> str:
    """The address as it goes on the wire: an internationalised domain IDNA-encoded, so only
    a non-ASCII local part still needs a server that offers SMTPUTF8 (RFC 6531). Checked
    again here: a row written by an older version or edited by hand fails on its own."""
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InputError(f"{address!r} is not a deliverable address: {exc}") from exc
    return str(result.ascii_email or result.normalized)


def build_email(
    sender: str,
    recipient: str,
    name: str,
    rendered: Rendered,
    outbox_id: int,
    now: datetime,
    files: Sequence[tuple[str, bytes]] = (),
    invite: tuple[str, str] | None = None,
    reply_to: str | None = None,
    unique: str = "",
) -> EmailMessage:
    """An RFC 5322 message whose Message-ID is stable per outbox row (retries are recognisable).

    ``unique`` tells this row from the row with the same id in another database (a training
    copy, a rebuilt one): without it two councils' databases, or one council's two, would
    reuse Message-IDs, and mail clients and archives drop or thread messages by them.

    ``recipient`` (and ``reply_to``, the coordinator whom replies should reach rather than
    the mailer's address) is the address as ``wire_address`` gives it. Every text part says
    its charset: a part without one is read as ASCII, and a curly quote becomes garbage.
    """
    if any(ch in sender + recipient + name + (reply_to or "") for ch in "\r\n"):
        raise InputError("line breaks are not allowed in addresses or names")
    # Only a non-ASCII local part needs UTF-8 headers; everything else stays 7-bit.
    message = EmailMessage(policy=SMTP if recipient.isascii() else SMTPUTF8)
    message["From"] = sender
    local, _, domain = recipient.rpartition("@")
    message["To"] = Address(display_name=name, username=local, domain=domain)
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(now)
    # A Reply-To whose local part is not ASCII would need UTF-8 headers (RFC 6532) that the
    # member's server may not take; it is left out then, and replies go to the sender.
    if reply_to and reply_to.lower() != recipient.lower() and (
            reply_to.isascii() or not recipient.isascii()):
        reply_local, _, reply_domain = reply_to.rpartition("@")
        message["Reply-To"] = Address(username=reply_local, domain=reply_domain)
    token = f".{unique}" if unique else ""
    message["Message-ID"] = f"<bvflow-outbox-{outbox_id}{token}@{sender_domain(sender)}>"
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
            params={"method": method, "charset": "utf-8"},
        )
    for name, content in files:
        kind, _ = mimetypes.guess_type(name)
        maintype, subtype = (kind or "application/octet-stream").split("/", 1)
        params = {}
        if maintype == "text":
            if _is_utf8(content):
                params["charset"] = "utf-8"
            else:  # not text a client could show as such: offered as a file to save
                maintype, subtype = "application", "octet-stream"
        message.add_attachment(
            content, maintype=maintype, subtype=subtype, filename=name, params=params
        )
    return message


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
