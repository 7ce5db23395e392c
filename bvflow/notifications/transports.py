"""Transports: Maildir (the default), SMTP, and GOV.UK Notify (an optional extra).

Each sends one message to one recipient and raises ``DeliveryError`` saying whether a retry
could help: SMTP 4xx, connection failures and timeouts are transient; 5xx are permanent.
smtplib reports a refused recipient as a return value, not an exception: it is checked.
"""

from __future__ import annotations

import mailbox
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol

from bvflow.settings import NotifySettings, Settings, SmtpSettings


class DeliveryError(Exception):
    """A message was not delivered; ``permanent`` when retrying cannot help."""

    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    outbox_id: int
    kind: str
    recipient: str
    message: EmailMessage
    personalisation: dict[str, str]


class Transport(Protocol):
    def send(self, outgoing: Outgoing) -> None: ...

    def close(self) -> None: ...


class MaildirTransport:
    """Delivers into a Maildir folder that any mail client can open."""

    def __init__(self, path: os.PathLike[str]) -> None:
        if os.path.lexists(path) and not os.path.isdir(path):
            raise DeliveryError(f"the Maildir {os.fspath(path)} is not a folder", True)
        try:
            self.box = mailbox.Maildir(path, create=True)
        except OSError as exc:
            reason = f"cannot use the Maildir {os.fspath(path)}: {exc.strerror}"
            raise DeliveryError(reason, False) from exc

    def send(self, outgoing: Outgoing) -> None:
        try:
            self.box.add(outgoing.message)
        except OSError as exc:
            raise DeliveryError(f"cannot write to the Maildir: {exc.strerror}", False) from exc

    def close(self) -> None:
        self.box.close()


def _smtp_failure(code: int, text: bytes | str) -> DeliveryError:
    detail = text.decode(errors="replace") if isinstance(text, bytes) else text
    return DeliveryError(f"SMTP {code} {detail}".strip(), permanent=500 <= code < 600)


class SmtpTransport:
    """One connection reused for a batch; one envelope recipient per message."""

    def __init__(self, settings: SmtpSettings, password: str | None) -> None:
        self.settings = settings
        self.password = password
        self.client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        if s.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=context
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.security == "starttls":
                client.starttls(context=context)
            if s.username:
                client.login(s.username, self.password or "")
        except BaseException:
            client.close()
            raise
        return client

    def send(self, outgoing: Outgoing) -> None:
        try:
            if self.client is None:
                self.client = self._connect()
            client = self.client
        except smtplib.SMTPResponseException as exc:
            raise _smtp_failure(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPException, OSError) as exc:  # includes AUTH not offered
            raise DeliveryError(f"SMTP connection failed: {exc}", permanent=False) from exc
        try:
            refused = client.send_message(outgoing.message, to_addrs=[outgoing.recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _smtp_failure(code, text) from exc
        except smtplib.SMTPNotSupportedError as exc:
            # A non-ASCII local part needs SMTPUTF8 (RFC 6531); this server does not offer it.
            raise DeliveryError(f"the SMTP server cannot take this address: {exc}", True) from exc
        except smtplib.SMTPResponseException as exc:
            self._drop()
            raise _smtp_failure(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise DeliveryError(f"SMTP connection failed: {exc}", permanent=False) from exc
        if refused:
            code, text = next(iter(refused.values()))
            raise _smtp_failure(code, text)

    def _drop(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                client.close()
            except OSError:
                pass

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()


class NotifyTransport:
    """GOV.UK Notify: template ids per kind; ``reference`` is the outbox id.

    Notify has no idempotency key, so a message is never retried after a response that may
    mean it was accepted; 429 and 5xx are retried, 400 and 403 are not.
    """

    def __init__(self, settings: NotifySettings, api_key: str) -> None:
        try:
            from notifications_python_client.notifications import NotificationsAPIClient
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise DeliveryError("GOV.UK Notify needs: pip install 'bvflow[notify]'", True) from exc
        self.settings = settings
        self.client: Any = NotificationsAPIClient(  # type: ignore[no-untyped-call,unused-ignore]
            api_key, base_url=settings.base_url
        )

    def send(self, outgoing: Outgoing) -> None:
        template = self.settings.templates.get(outgoing.kind)
        if not template:
            raise DeliveryError(f"no GOV.UK Notify template id for {outgoing.kind}", True)
        try:
            self.client.send_email_notification(
                email_address=outgoing.recipient,
                template_id=template,
                personalisation=outgoing.personalisation,
                reference=str(outgoing.outbox_id),
            )
        except Exception as exc:  # the client raises HTTPError or requests' errors
            status = getattr(exc, "status_code", None)
            transient = status is None or status == 429 or status >= 500
            raise DeliveryError(
                f"GOV.UK Notify: {status or ''} {exc}".strip(), permanent=not transient
            ) from exc

    def close(self) -> None:
        session = getattr(self.client, "request_session", None)
        if session is not None:
            session.close()


def open_transport(settings: Settings) -> Transport:
    """The transport the settings choose; secrets come from the environment only."""
    if settings.transport == "smtp":
        password = os.environ.get(settings.smtp.password_env) if settings.smtp.username else None
        return SmtpTransport(settings.smtp, password)
    if settings.transport == "notify":
        key = os.environ.get(settings.notify.api_key_env)
        if not key:
            raise DeliveryError(
                f"set the GOV.UK Notify API key in ${settings.notify.api_key_env}", False
            )
        return NotifyTransport(settings.notify, key)
    return MaildirTransport(settings.maildir)
