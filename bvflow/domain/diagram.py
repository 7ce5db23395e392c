"""A workflow as Mermaid ``stateDiagram-v2`` text."""

from __future__ import annotations

from bvflow.domain.definition import Definition
from bvflow.domain.machine import ABANDONED


def label(text: str) -> str:
    """Text safe inside a Mermaid label: mermaid-cli reads ``;`` as a statement break even
    in a note, and ``"`` would end a quoted state name; both become entity codes."""
    return text.replace("#", "#35;").replace(";", "#59;").replace('"', "#quot;")


def mermaid(definition: Definition) -> str:
    """The stages, advances, returns and abandonment of a workflow as a Mermaid diagram."""
    live = [stage for stage in definition.stages if not stage.final]
    title = label(definition.title)
    lines = ["stateDiagram-v2", f"    %% {title} (version {definition.version})"]
    for stage in definition.stages:
        lines.append(f'    state "{label(stage.title)}" as {stage.name}')
    lines.append(f"    [*] --> {definition.first.name}")
    for stage in live:
        advance = (
            f"advance ({stage.min_working_days} clear working days)"
            if stage.min_working_days
            else "advance"
        )
        lines.append(f"    {stage.name} --> {stage.next}: {advance}")
    for i, stage in enumerate(live):
        for later in live[i + 1 :]:
            lines.append(f"    {later.name} --> {stage.name}: return")
    for stage in live:
        lines.append(f"    {stage.name} --> {ABANDONED}: abandon")
    for stage in definition.stages:
        if stage.final:
            lines.append(f"    {stage.name} --> [*]")
    lines.append(f"    {ABANDONED} --> [*]")
    lines.append(
        "    note right of " + definition.first.name + ": "
        + label("any open stage may be suspended and resumed; suspended days do not count")
    )
    return "\n".join(lines) + "\n"
