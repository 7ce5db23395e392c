"""Checks on what users type: text, reasons, addresses, dates. Each failure is an InputError.

What an auditor reads must be what was typed: text refuses control characters and the
invisible ones that reorder or hide what is displayed (bidi overrides, zero-width characters,
byte-order marks, line and paragraph separators), and lone surrogates, which is how Python
carries bytes that are not UTF-8. Addresses refuse letters from more than one script, the
way a look-alike (Cyrillic "а" for Latin "a") is made.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date
from typing import Final

from bvflow.domain.text import REFUSED_CATEGORIES, refused_character
from bvflow.errors import InputError

__all__ = ["REFUSED_CATEGORIES", "refused_character"]

def text(value: str, field: str, *, max_length: int = 200, required: bool = True) -> str:
    """Trimmed single-line text without control, format or unassigned characters, in NFC
    (so that "Café" typed with a combining accent is the same text as with é)."""
    cleaned = value.strip()
    problem = refused_character(cleaned)
    if problem is None:  # NFC adds no refused character, so one scan is enough
        cleaned = unicodedata.normalize("NFC", cleaned)
    if required and not cleaned:
        raise InputError(f"{field} must not be empty")
    if len(cleaned) > max_length:
        raise InputError(f"{field} is {len(cleaned)} characters long; the limit is {max_length}")
    if problem is not None:
        raise InputError(f"{field} contains {problem}")
    return cleaned


def name_key(value: str) -> str:
    """What makes two names the same name: "Outsource", "outsource" and "ＯＵＴＳＯＵＲＣＥ" are
    one option, "Tenants  Federation " and "Tenants Federation" one organisation
    (compatibility-normalised, case-folded, runs of spaces as one)."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def reason(value: str | None, action: str) -> str:
    """A written reason, required for overrides and side transitions."""
    if value is None or not value.strip():
        raise InputError(f'{action} needs a written reason: add --reason "..."')
    return text(value, "the reason", max_length=2000)


def email(value: str) -> str:
    """A normalised email address (no deliverability check: councils use internal domains).

    Internationalised addresses are accepted (delivery IDNA-encodes the domain, and needs
    SMTPUTF8 only for a non-ASCII local part); an address mixing scripts is refused.
    """
    from email_validator import EmailNotValidError, validate_email

    shown = text(value, "the email address", max_length=320)
    try:
        result = validate_email(shown, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InputError(f"{shown!r} is not a valid email address: {exc}") from exc
    normalized = str(result.normalized)
    local = normalized.rpartition("@")[0]
    # RFC 5321 s4.5.3.1.1: a mail server may refuse a local part over 64 octets, and such an
    # address would fail at every delivery (email-validator checks the whole and the domain).
    if len(local.encode("utf-8")) > 64:
        raise InputError(f"{shown!r} is not a valid email address: the part before the @ is "
                         f"{len(local.encode('utf-8'))} characters long, and at most 64 are "
                         "delivered (RFC 5321)")
    scripts = _scripts(normalized)
    if len(scripts) > 1:
        raise InputError(
            f"{shown!r} mixes {' and '.join(sorted(s.title() for s in scripts))} letters, "
            "as look-alike addresses do; type the address again in one script"
        )
    return normalized


def _scripts(value: str) -> set[str]:
    """The scripts of the letters in ``value`` (punctuation and digits belong to none)."""
    if value.isascii():
        return {"LATIN"}
    from confusable_homoglyphs import categories

    return {
        categories.alias(ch)
        for ch in value
        if ch.isalpha() and categories.alias(ch) not in ("COMMON", "INHERITED")
    }


def address(value: str) -> str:
    """An email address as a recipient key: validated and lower-cased, so that
    Pat@union.example and pat@union.example are one person."""
    return email(value).lower()


# Larger than any figure a council reports (budgets in pounds, populations), small enough that
# quartiles and weighted means cannot overflow.
MAX_FIGURE: Final = 1e15


def number(value: float, field: str) -> float:
    """A finite figure no larger than MAX_FIGURE; -0 becomes 0."""
    if not math.isfinite(value) or abs(value) > MAX_FIGURE:
        raise InputError(f"{field} ({value!r}) is not a number between -1e15 and 1e15")
    return value + 0.0


# Dates a review can concern; anything outside is a typo (and 9999-12-31 has no next day).
FIRST_DAY: Final = date(1990, 1, 1)
LAST_DAY: Final = date(2100, 12, 31)
ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(value: str, field: str) -> date:
    """A date written as YYYY-MM-DD, between 1990 and 2100."""
    cleaned = value.strip()
    try:
        if not ISO_DATE.fullmatch(cleaned):
            raise ValueError(cleaned)
        day = date.fromisoformat(cleaned)
    except ValueError as exc:
        raise InputError(f"{field} {value[:40]!r} is not a date; write it as YYYY-MM-DD") from exc
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InputError(f"{field} {cleaned} is outside {FIRST_DAY.year}-{LAST_DAY.year}")
    return day
