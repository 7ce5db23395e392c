"""MkDocs hook: show the "Example:" blocks of click help texts as code in the CLI reference.

Click keeps a paragraph that follows a ``\\b`` line unwrapped; mkdocs-click drops the ``\\b``
and leaves the indented example lines to be joined into one paragraph. This registers a
Markdown preprocessor that runs after mkdocs-click's (priority 141) and before fenced code
(25), turning each ``Example:`` line and the indented lines under it into a code block.
"""

from __future__ import annotations

import textwrap
from typing import Any

from markdown import Extension
from markdown.preprocessors import Preprocessor


class _ExampleBlocks(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            out.append(line)
            i += 1
            if line.strip() not in ("Example:", "Examples:"):
                continue
            block: list[str] = []
            while i < len(lines) and lines[i].startswith("  ") and lines[i].strip():
                block.append(lines[i])
                i += 1
            if block:
                out += ["", "```shell", *textwrap.dedent("\n".join(block)).splitlines(), "```"]
        return out


class _ExampleExtension(Extension):
    def extendMarkdown(self, md: Any) -> None:  # noqa: N802 - Markdown's API name
        md.preprocessors.register(_ExampleBlocks(md), "bvflow_click_examples", 140)


def on_config(config: Any) -> Any:
    """Add the extension; mkdocs passes extension instances through to Markdown."""
    config["markdown_extensions"].append(_ExampleExtension())
    return config
