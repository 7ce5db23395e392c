"""The schema revisions this bvflow ships (its Alembic scripts), without opening a database."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).with_name("migrations")


def known_revisions() -> list[str]:
    """Every revision, newest first."""
    script = ScriptDirectory(str(MIGRATIONS))
    return [rev.revision for rev in script.walk_revisions()]


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head
