"""Two (or six) coordinators acting on the same review at once: exactly one wins."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli, events, prepare


@pytest.mark.slow
def test_concurrent_advances_exactly_one_wins(cli: Cli) -> None:
    # The subprocesses run on the real clock (the product has no clock override), so the
    # review is made on the real clock too: created seconds before the advance, its stage
    # needs the override on any date, and no event is stamped before the one it follows.
    initialised = cli
    initialised.ok("init", "--authority", "Exampleshire County Council", "--nation", "england")
    ref = initialised.ok("review", "create", "Refuse collection", "--service", "Waste",
                         "--coordinator", "jo@exampleshire.gov.uk").stdout.strip()
    for kind in ("scope_statement", "baseline_profile"):
        initialised.ok("evidence", "add", ref, "--kind", kind, "--title", kind)
    for item in ("scope", "baseline_profile", "information_disclosure"):
        initialised.ok("agreement", "record", ref, "--item", item, "--agreed-by", "UNISON",
                       "--external", "UNISON")
    version = json.loads(initialised.ok("review", "show", ref, "--json").stdout)["version"]
    command = [sys.executable, "-m", "bvflow", "--db", str(initialised.db), "review",
               "advance", ref, "--override-timetable", "--reason", "race",
               "--if-version", str(version)]
    procs = [subprocess.Popen([*command[:5], "--actor", f"coordinator-{i}", *command[5:]],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(6)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 3, 3, 3, 3, 3], results
    for code, out, err in results:
        if code == 3:
            assert out == ""
            assert err.startswith(f"Error: review {ref} changed since you read it")
            assert "Traceback" not in err
    actions = [e[2] for e in events(initialised.db)]
    assert actions.count("review.advanced") == 1
    assert actions.count("review.timetable_overridden") == 1
    assert json.loads(initialised.ok("review", "show", ref, "--json").stdout)["stage"] == \
        "compare"
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


def test_a_change_committed_between_read_and_write_loses_nothing(
        initialised: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Deterministic: another coordinator's suspend commits after this advance has read the
    review and before it writes. Only the version check in the UPDATE itself can see it."""
    import bvflow.services.reviews as reviews

    ref = initialised.ok("review", "create", "Refuse collection", "--service", "Waste",
                         "--coordinator", "jo@exampleshire.gov.uk").stdout.strip()
    prepare(initialised, ref, "challenge", tmp_path)
    read = json.loads(initialised.ok("review", "show", ref, "--json").stdout)["version"]
    real_fire = reviews.fire
    raced: list[int] = []

    def fire_after_a_rival_commits(*args: object, **kwargs: object) -> str:
        if not raced:  # the rival's own suspend passes through here too
            raced.append(-1)
            raced[0] = initialised("review", "suspend", ref, "--reason", "Purdah",
                                   actor="rival").exit_code
        return real_fire(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(reviews, "fire", fire_after_a_rival_commits)
    result = initialised("review", "advance", ref, "--override-timetable", "--reason", "race")
    assert raced == [0]
    assert result.exit_code == 3, result.stderr
    assert result.stderr.startswith(f"Error: review {ref} changed since you read it")
    shown = json.loads(initialised.ok("review", "show", ref, "--json").stdout)
    assert (shown["stage"], shown["status"], shown["version"]) == \
        ("challenge", "suspended", read + 1)
    actions = [e[2] for e in events(initialised.db)]
    assert "review.advanced" not in actions
    assert "review.timetable_overridden" not in actions
    assert actions.count("review.suspended") == 1
