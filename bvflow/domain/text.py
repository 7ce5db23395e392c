"""Which characters text may hold: what an auditor reads must be what was typed.

Refused: controls (Cc), format characters such as U+202E and U+200B (Cf), surrogates (Cs),
private use (Co), unassigned code points (Cn), and the line and paragraph separators
U+2028/U+2029 (Zl, Zp). Line breaks and tabs are allowed only where asked for (a
workflow's description).
"""

from __future__ import annotations

import unicodedata
from typing import Final

REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def refused_character(value: str, allow: str = "") -> str | None:
    """A description of the first character ``value`` may not hold, or None."""
    for ch in value:
        category = unicodedata.category(ch)
        if category in REFUSED_CATEGORIES and ch not in allow:
            if category == "Cs":
                return "bytes that are not UTF-8 text"
            name = unicodedata.name(ch, "unassigned").title()
            if category == "Cc":
                return f"control characters (U+{ord(ch):04X}: line breaks, tabs or escapes)"
            return f"an invisible or unassigned character (U+{ord(ch):04X} {name})"
    return None
