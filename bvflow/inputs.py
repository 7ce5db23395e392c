"""Checks on what users type: text, reasons, addresses, dates. Each failure is an InputError.

What an auditor reads must be what was typed: text refuses control characters and the
invisible ones that reorder or hide what is displayed (bidi overrides, zero-width characters,
byte-order marks, line and paragraph separators), and lone surrogates, which is how Python
carries bytes that are not UTF-8. Addresses refuse letters from more than one script, the
way a look-alike (Cyrillic "а" for Latin "a") is made.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Final

from bvflow.errors import InputError

# Unicode general categories never allowed in text: controls (Cc), format characters such as
# U+202E and U+200B (Cf), surrogates (Cs), private use (Co), unassigned (Cn), and the line and
# paragraph separators U+2028/U+2029 (Zl, Zp).
REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def refused_character(value: str) -> str | None:
    """A description of the first character text may not hold, or None."""
    for ch in value:
        category = unicodedata.category(ch)
        if category in REFUSED_CATEGORIES:
            if category == "Cs":
                return "bytes that are not UTF-8 text"
            name = unicodedata.name(ch, "unassigned").title()
            if category == "Cc":
                return f"control characters (U+{ord(ch):04X}: line breaks, tabs or escapes)"
            return f"an invisible or unassigned character (U+{ord(ch):04X} {name})"
    return None


def text(value: str, field: str, *, max_length: int = 200, required: bool = True) -> str:
    """Trimmed single-line text without control, format or unassigned characters."""
    cleaned = value.strip()
    if required and not cleaned:
        raise InputError(f"{field} must not be empty")
    if len(cleaned) > max_length:
        raise InputError(f"{field} is {len(cleaned)} characters long; the limit is {max_length}")
    problem = refused_character(cleaned)
    if problem is not None:
        raise InputError(f"{field} contains {problem}")
    return cleaned


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


def iso_date(value: str, field: str) -> date:
    """A date written as YYYY-MM-DD."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InputError(f"{field} {value!r} is not a date; write it as YYYY-MM-DD") from exc
