"""What services hand back to the CLI: frozen dataclasses that turn into JSON-ready dicts."""

from __future__ import annotations

from typing import Any


class View:
    """Mixin for a service's result dataclass: ``as_dict()`` for ``--json`` and exports."""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)
