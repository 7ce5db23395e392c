"""Finding the data that ships with bvflow: workflow definitions, competency frameworks and
notification templates.

In an installed wheel they live in ``bvflow/_data/`` (hatchling's force-include puts them
there); in a checkout or an editable install they are the top-level ``workflows/``,
``competencies/`` and ``notifications/`` folders beside the package. This is the one place
that knows both.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The bundled ``workflows``, ``competencies`` or ``notifications`` folder, wherever
    bvflow was installed."""
    for candidate in (PACKAGE / "_data" / name, PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bvflow's bundled {name}/ folder is missing from {PACKAGE}")


def workflow_dirs(extra: Path | None = None) -> list[Path]:
    """Folders searched for workflow files: a council's own first, then the bundled ones."""
    dirs = [extra] if extra is not None else []
    return [*dirs, data_dir("workflows")]


def framework_dirs(extra: Path | None = None) -> list[Path]:
    """Folders searched for competency frameworks: a council's own first, then the bundled."""
    dirs = [extra] if extra is not None else []
    return [*dirs, data_dir("competencies")]
