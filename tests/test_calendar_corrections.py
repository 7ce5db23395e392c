"""Correcting the calendar through the CLI: a bank holiday the council works, a closure
taken back, a year listed with each day's source; bad input changes nothing."""

from __future__ import annotations

import json
from importlib.metadata import version

import pytest
import time_machine
from conftest import Cli, query, snapshot

# The stored bank holidays name the package version they came from.
STORED = f"holidays {version('holidays')}"


@pytest.fixture
def scottish(cli: Cli, travel: time_machine.Coordinates) -> Cli:
    cli.ok("init", "--authority", "Glasgow City Council", "--nation", "scotland")
    return cli


def _earliest(cli: Cli, ref: str) -> str:
    return str(json.loads(cli.ok("review", "show", ref, "--json").stdout)["earliest_advance"])


def test_a_worked_holiday_counts_and_a_closure_taken_back_counts_again(
    scottish: Cli, travel: time_machine.Coordinates
) -> None:
    travel.move_to("2027-07-26 10:00+01:00")  # Mon 26 Jul; Mon 2 Aug is Scotland's holiday
    ref = scottish.ok("review", "create", "Parks", "--service", "Leisure",
                      "--coordinator", "ann@glasgow.gov.uk").stdout.strip()
    # 10 clear working days: Tue 27 Jul to Fri 30, then 3 to 6 Aug and 9, 10 Aug, skipping
    # the holiday; the day after the tenth.
    assert _earliest(scottish, ref) == "2027-08-11"
    out = scottish.ok("calendar", "open", "2027-08-02", "--reason",
                      "We work it; Glasgow Fair Monday is our holiday").stdout
    assert "2027-08-02 is a working day for this council" in out
    assert _earliest(scottish, ref) == "2027-08-10"
    scottish.ok("calendar", "close", "2027-08-04", "--reason", "Day of mourning")
    assert _earliest(scottish, ref) == "2027-08-11"
    scottish.ok("calendar", "reopen", "2027-08-04", "--reason", "Added in error")
    assert _earliest(scottish, ref) == "2027-08-10"
    year = json.loads(scottish.ok("calendar", "list", "--year", "2027", "--json").stdout)
    august = [d for d in year if d["day"] == "2027-08-02"]
    assert august == [{"day": "2027-08-02", "working": True,
                       "what": "Summer Bank Holiday (worked: We work it; Glasgow Fair Monday "
                               "is our holiday)",
                       "source": "opened by coordinator"}]
    assert {"day": "2027-11-30", "working": False, "what": "Saint Andrew's Day",
            "source": f"bank holiday (scotland; {STORED})"} in year
    listed = json.loads(scottish.ok("calendar", "list", "--json").stdout)
    assert [(d["day"], d["working"]) for d in listed] == [("2027-08-02", True)]
    actions = [r[0] for r in query(scottish.db, "SELECT action FROM audit_events ORDER BY seq")]
    assert actions[-3:] == ["calendar.day_opened", "calendar.closure_added",
                            "calendar.closure_removed"]
    assert query(scottish.db, "SELECT count(*) FROM closures") == [(0,)]
    assert scottish.ok("audit", "verify").stdout.startswith("intact:")


@pytest.mark.parametrize(("args", "words"), [
    (["calendar", "open", "2027-08-03", "--reason", "x"], "is not a bank holiday"),
    (["calendar", "open", "2027-07-31", "--reason", "x"], "is a weekend"),
    (["calendar", "open", "2027-01-01", "--reason", "x"], "is in the past"),
    (["calendar", "open", "2027-08-02", "--reason", " "], "the reason"),
    (["calendar", "open", "2027-08-02"], "Missing option '--reason'"),
    (["calendar", "open", "2027-02-30", "--reason", "x"], "not a date"),
    (["calendar", "reopen", "2027-08-05", "--reason", "x"], "is not a closure day"),
    (["calendar", "reopen", "2027-01-04", "--reason", "x"], "is in the past"),
    (["calendar", "reopen", "2027-08-05", "--reason", ""], "reason"),
    (["calendar", "list", "--year", "1800"], "1800 is not in the range 1990<=x<=2100"),
    (["calendar", "list", "--year", "twenty"], "is not a valid integer"),
], ids=lambda v: "-".join(v[:3]) if isinstance(v, list) else None)
def test_bad_calendar_corrections_change_nothing(
    scottish: Cli, travel: time_machine.Coordinates, args: list[str], words: str
) -> None:
    travel.move_to("2027-07-26 10:00+01:00")
    before = snapshot(scottish.db)
    result = scottish(*args)
    assert result.exit_code in (1, 2), result.stdout
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(scottish.db) == before


def test_a_worked_holiday_cannot_be_opened_twice(
    scottish: Cli, travel: time_machine.Coordinates
) -> None:
    travel.move_to("2027-07-26 10:00+01:00")
    scottish.ok("calendar", "open", "2027-08-02", "--reason", "Worked")
    again = scottish("calendar", "open", "2027-08-02", "--reason", "Worked")
    assert again.exit_code == 1
    assert "2027-08-02 (Summer Bank Holiday) is already a working day" in again.stderr


def test_an_opened_holiday_is_closed_again_by_closing_it(
    scottish: Cli, travel: time_machine.Coordinates
) -> None:
    travel.move_to("2027-07-26 10:00+01:00")
    scottish.ok("calendar", "open", "2027-08-02", "--reason", "Opened by mistake")
    out = scottish.ok("calendar", "close", "2027-08-02", "--reason", "We do close").stdout
    assert "2027-08-02 is a bank holiday again (no longer worked)" in out
    assert json.loads(scottish.ok("calendar", "list", "--json").stdout) == []
    year = json.loads(scottish.ok("calendar", "list", "--year", "2027", "--json").stdout)
    assert {"day": "2027-08-02", "working": False, "what": "Summer Bank Holiday",
            "source": f"bank holiday (scotland; {STORED})"} in year
    actions = [r[0] for r in query(scottish.db, "SELECT action FROM audit_events ORDER BY seq")]
    assert actions[-2:] == ["calendar.day_opened", "calendar.opening_removed"]
    again = scottish("calendar", "close", "2027-08-02", "--reason", "x")
    assert again.exit_code == 1
    assert "2027-08-02 is already not a working day (Summer Bank Holiday)" in again.stderr
    assert scottish.ok("audit", "verify").stdout.startswith("intact:")
