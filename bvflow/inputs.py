"""Checks on what users type: text, reasons, addresses, dates. Each failure is an InputError."""

from __future__ import annotations

import unicodedata
from datetime import date

from email_validator import EmailNotValidError, validate_email

from bvflow.errors import InputError


def text(value: str, field: str, *, max_length: int = 200, required: bool = True) -> str:
    """Trimmed single-line text without control characters."""
    cleaned = value.strip()
    if required and not cleaned:
        raise InputError(f"{field} must not be empty")
    if len(cleaned) > max_length:
        raise InputError(f"{field} is {len(cleaned)} characters long; the limit is {max_length}")
    if any(unicodedata.category(ch) == "Cc" for ch in cleaned):
        raise InputError(f"{field} contains control characters (line breaks, tabs or escapes)")
    return cleaned


def reason(value: str | None, action: str) -> str:
    """A written reason, required for overrides and side transitions."""
    if value is None or not value.strip():
        raise InputError(f'{action} needs a written reason: add --reason "..."')
    return text(value, "the reason", max_length=2000)


def email(value: str) -> str:
    """A normalised email address (no deliverability check: councils use internal domains)."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InputError(f"{value!r} is not a valid email address: {exc}") from exc
    return str(result.normalized)


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
