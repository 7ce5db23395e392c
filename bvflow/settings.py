"""The settings file (``bvflow.toml`` beside the database, or ``--config``): mail and templates.

The keys are a user interface::

    [mail]
    transport = "maildir"            # maildir | smtp | notify
    from = "Best Value Team <bestvalue@exampleshire.gov.uk>"   # overrides bvflow init --sender
    maildir = "mail"                 # relative to the settings file
    lease_seconds = 600              # a sender that dies mid-batch: its messages are retaken
    late_after_minutes = 60          # a notice waiting longer is reported as late
    [mail.smtp]
    host = "localhost"
    port = 25
    security = "none"                # none | starttls | tls
    username = ""
    password_env = "BVFLOW_SMTP_PASSWORD"
    timeout = 30
    max_attempts = 12               # with backoff from 1 minute to 6 hours: about 3 days
    [mail.notify]
    api_key_env = "BVFLOW_NOTIFY_API_KEY"
    [mail.notify.templates]
    review_opened = "template-id"
    [templates]
    dir = "my-templates"             # the council's own templates, searched first
    [programme]
    cycle_years = 5                  # every service reviewed within this many years
    [performance]
    plan_due = "06-30"               # the performance plan's yearly deadline (month-day)
    officer = "performance@exampleshire.gov.uk"   # reminded before it

Secrets are never stored here: only the names of the environment variables holding them.
There is deliberately no clock setting.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from bvflow.errors import InputError
from bvflow.files import read_text_input

TRANSPORTS: Final = ("maildir", "smtp", "notify")
SECURITY: Final = ("none", "starttls", "tls")
# The From of a notice with neither [mail] from nor `bvflow init --sender` set: an address
# that reaches nobody, so bounces and replies to it are lost.
SENDER_NAME: Final = "Best Value Team"
DEFAULT_FROM: Final = f"{SENDER_NAME} <bestvalue@localhost>"
MAX_SETTINGS_BYTES: Final = 100_000


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    security: str = "none"
    username: str = ""
    password_env: str = "BVFLOW_SMTP_PASSWORD"
    timeout: float = 30.0


@dataclass(frozen=True)
class NotifySettings:
    api_key_env: str = "BVFLOW_NOTIFY_API_KEY"
    templates: Mapping[str, str] = field(default_factory=dict)
    base_url: str = "https://api.notifications.service.gov.uk"


@dataclass(frozen=True)
class Settings:
    """Everything read from the settings file, with defaults that need no configuring."""

    source: Path | None = None
    transport: str = "maildir"
    # [mail] from, when set: it overrides the authority's sender (bvflow init --sender).
    sender: str | None = None
    maildir: Path = Path("mail")
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    max_attempts: int = 12
    templates_dir: Path | None = None
    lease_seconds: int = 600
    # [mail] late_after_minutes: a notice queued longer than this has waited too long (the
    # scheduler is down, or mail is failing): sweep and review show say so.
    late_after_minutes: int = 60
    # [audit] allow_acting_for: may --actor name someone other than the login?
    allow_acting_for: bool = True
    # [programme] cycle_years: every service is to be reviewed within this many years (the
    # 1999 regime's five: Local Government Act 1999 s.5(2), SI 1999/3251 art. 5).
    cycle_years: int = 5
    # [performance] plan_due: the day (month, day) by which each year's performance plan is
    # published. 30 June in England from 2002 (SI 1999/3251 as amended by SI 2002/305, before
    # which it was 31 March); the duty has since been repealed or replaced in each nation, so
    # a council keeping the plan sets its own date. officer: whom the sweep reminds before it.
    plan_due: tuple[int, int] = (6, 30)
    performance_officer: str | None = None

    def from_header(self, authority_sender: str | None) -> str:
        """The From of every notice: [mail] from, else the authority's sender (``bvflow init
        --sender``, IDNA-encoded as it goes on the wire), else ``DEFAULT_FROM``."""
        from email.utils import formataddr

        if self.sender is not None:
            return self.sender
        if authority_sender is None:
            return DEFAULT_FROM
        from email_validator import EmailNotValidError, validate_email

        try:
            found = validate_email(authority_sender, check_deliverability=False)
        except EmailNotValidError as exc:  # checked at init: the row was edited by hand
            raise InputError(
                f"the authority's sender {authority_sender!r} is not an address ({exc}); "
                "set it again with 'bvflow init --sender EMAIL'"
            ) from exc
        return formataddr((SENDER_NAME, str(found.ascii_email or found.normalized)))

    def unanswerable(self, authority_sender: str | None) -> str | None:
        """A warning when notices would come from ``DEFAULT_FROM``, which reaches nobody."""
        if self.sender is not None or authority_sender is not None:
            return None
        return (
            "notices come from bestvalue@localhost, so bounces and replies to it go nowhere; "
            "give the council's address with 'bvflow init --sender EMAIL'"
        )


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise InputError(f"{where}: [{key}] must be a table")
    return value


def _get(table: Mapping[str, Any], key: str, kind: type, default: Any, where: str) -> Any:
    value = table.get(key, default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InputError(f"{where}: {key} must be {kind.__name__}, not {value!r}")
    return value


def _unknown(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise InputError(
            f"{where}: unknown key {extra[0]!r} (allowed: {', '.join(sorted(allowed))})"
        )


def _smtp(mail: Mapping[str, Any], where: str) -> tuple[SmtpSettings, int]:
    table = _table(mail, "smtp", where)
    where = f"{where} [mail.smtp]"
    _unknown(
        table,
        {"host", "port", "security", "username", "password_env", "timeout", "max_attempts"},
        where,
    )
    smtp = SmtpSettings(
        host=_text(table, "host", "localhost", where),
        port=_get(table, "port", int, 25, where),
        security=_get(table, "security", str, "none", where),
        username=_get(table, "username", str, "", where),
        password_env=_text(table, "password_env", "BVFLOW_SMTP_PASSWORD", where),
        timeout=_get(table, "timeout", float, 30.0, where),
    )
    if smtp.security not in SECURITY:
        raise InputError(f"{where}: security must be one of {', '.join(SECURITY)}")
    if not 0 < smtp.port < 65536 or not 1 <= smtp.timeout <= 600:
        raise InputError(f"{where}: port must be 1-65535 and timeout 1-600 seconds")
    attempts = _get(table, "max_attempts", int, 12, where)
    if not 1 <= attempts <= 50:
        raise InputError(f"{where}: max_attempts must be between 1 and 50")
    return smtp, attempts


def _notify(mail: Mapping[str, Any], where: str) -> NotifySettings:
    table = _table(mail, "notify", where)
    where = f"{where} [mail.notify]"
    _unknown(table, {"api_key_env", "templates", "base_url"}, where)
    templates = _table(table, "templates", where)
    if not all(isinstance(v, str) for v in templates.values()):
        raise InputError(f"{where}: templates maps notice kinds to GOV.UK Notify template ids")
    return NotifySettings(
        api_key_env=_get(table, "api_key_env", str, "BVFLOW_NOTIFY_API_KEY", where),
        templates=dict(templates),
        base_url=_get(table, "base_url", str, NotifySettings.base_url, where),
    )


def _sender(mail: Mapping[str, Any], where: str) -> str:
    """The From address, checked here so that a bad one stops a sweep before it claims mail."""
    from email.headerregistry import Address
    from email.policy import SMTP

    from bvflow import inputs

    value: str = _get(mail, "from", str, DEFAULT_FROM, where)
    try:
        inputs.text(value, "from", max_length=320)
    except InputError as exc:
        raise InputError(f"{where} [mail]: {exc.message}") from exc
    header = SMTP.header_factory("From", value)
    found: tuple[Address, ...] = getattr(header, "addresses", ())
    if len(found) != 1 or header.defects or not found[0].domain:
        raise InputError(
            f"{where} [mail]: from must be one address, such as "
            f'"Best Value Team <bestvalue@exampleshire.gov.uk>", not {value!r}'
        )
    addr = found[0].addr_spec
    if found[0].domain != "localhost":  # the default sender; email-validator wants a dot
        try:
            inputs.email(addr)
        except InputError as exc:
            raise InputError(f"{where} [mail]: from: {exc.message}") from exc
    return value


def _text(table: Mapping[str, Any], key: str, default: str, where: str) -> str:
    """A non-empty single-line string setting (a host, a folder, a variable's name)."""
    from bvflow import inputs

    value: str = _get(table, key, str, default, where)
    try:
        return inputs.text(value, key, max_length=500)
    except InputError as exc:
        raise InputError(f"{where}: {exc.message}") from exc


def _lease(mail: Mapping[str, Any], where: str) -> int:
    """How long a sender may hold a claimed message before another takes it over."""
    lease = _get(mail, "lease_seconds", int, 600, where)
    if not 1 <= lease <= 86_400:
        raise InputError(f"{where}: lease_seconds must be between 1 and 86400")
    return int(lease)


def _late(mail: Mapping[str, Any], where: str) -> int:
    """How long a notice may wait for delivery before sweep and review show warn."""
    minutes = _get(mail, "late_after_minutes", int, 60, where)
    if not 1 <= minutes <= 10_080:
        raise InputError(f"{where}: late_after_minutes must be between 1 and 10080 (a week)")
    return int(minutes)


def parse_settings(data: Mapping[str, Any], source: Path | None) -> Settings:
    """Settings from parsed TOML; paths are relative to the settings file's folder."""
    where = str(source) if source else "settings"
    _unknown(data, {"mail", "templates", "audit", "programme", "performance"}, where)
    performance = _table(data, "performance", where)
    _unknown(performance, {"plan_due", "officer"}, f"{where} [performance]")
    programme = _table(data, "programme", where)
    _unknown(programme, {"cycle_years"}, f"{where} [programme]")
    audit = _table(data, "audit", where)
    _unknown(audit, {"allow_acting_for"}, f"{where} [audit]")
    mail = _table(data, "mail", where)
    _unknown(
        mail,
        {"transport", "from", "maildir", "smtp", "notify", "lease_seconds", "late_after_minutes"},
        f"{where} [mail]",
    )
    transport = _get(mail, "transport", str, "maildir", where)
    if transport not in TRANSPORTS:
        raise InputError(
            f"{where}: transport must be one of {', '.join(TRANSPORTS)}, not {transport!r}"
        )
    base = source.parent if source else Path.cwd()
    smtp, attempts = _smtp(mail, where)
    templates = _table(data, "templates", where)
    _unknown(templates, {"dir"}, f"{where} [templates]")
    template_dir = _text(templates, "dir", "", where) if "dir" in templates else None
    return Settings(
        source=source,
        transport=transport,
        sender=_sender(mail, where) if "from" in mail else None,
        maildir=base / _text(mail, "maildir", "mail", where),
        smtp=smtp,
        notify=_notify(mail, where),
        max_attempts=attempts,
        templates_dir=base / str(template_dir) if template_dir else None,
        lease_seconds=_lease(mail, where),
        late_after_minutes=_late(mail, where),
        allow_acting_for=_get(audit, "allow_acting_for", bool, True, f"{where} [audit]"),
        cycle_years=_cycle(programme, where),
        plan_due=_plan_due(performance, where),
        performance_officer=_officer(performance, where),
    )


def _plan_due(performance: Mapping[str, Any], where: str) -> tuple[int, int]:
    """``"MM-DD"``: a day every year has (29 February is refused)."""
    import datetime

    text = _get(performance, "plan_due", str, "06-30", f"{where} [performance]")
    try:
        month, day = (int(part) for part in text.split("-"))
        datetime.date(2027, month, day)
    except ValueError:
        raise InputError(
            f"{where}: [performance] plan_due must be a month and day every year has, "
            f"like \"06-30\", not {text[:20]!r}"
        ) from None
    return month, day


def _officer(performance: Mapping[str, Any], where: str) -> str | None:
    if "officer" not in performance:
        return None
    from bvflow.inputs import email

    try:
        return email(_get(performance, "officer", str, "", f"{where} [performance]"))
    except InputError as exc:
        raise InputError(f"{where}: [performance] officer: {exc.message}") from None


def _cycle(programme: Mapping[str, Any], where: str) -> int:
    """The review cycle in years: 1 to 10."""
    years = _get(programme, "cycle_years", int, 5, f"{where} [programme]")
    if isinstance(years, bool) or not 1 <= years <= 10:
        raise InputError(f"{where}: [programme] cycle_years must be a whole number from 1 to 10")
    return int(years)


def load_settings(path: Path | None, default_dir: Path) -> Settings:
    """Read ``path`` (which must exist), or ``bvflow.toml`` in ``default_dir`` if present."""
    if path is None:
        candidate = default_dir / "bvflow.toml"
        if not candidate.is_file():
            return parse_settings({}, candidate)
        path = candidate
    text = read_text_input(path, "settings file", MAX_SETTINGS_BYTES)
    try:
        data = tomllib.loads(text)
    except RecursionError as exc:  # tomllib recurses once per level of nested arrays
        raise InputError(f"settings file {path} is nested too deeply to be settings") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"settings file {path} is not valid TOML: {exc}") from exc
    return parse_settings(data, path)
