"""``party import``: a working party of twenty from the spreadsheet the coordinator already
keeps, all or nothing, every bad line named."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli, events, query, snapshot

GOOD = (
    "\ufeffname,email,organisation,category,role\r\n"
    "Sam Patel,sam@unison.example,UNISON City Branch,trade_union,member\r\n"
    "Siân Prosser-Évans,Sian@Tenants.example,\"Tenants' Federation, Eastside\",tenants,chair\r\n"
    "\r\n"
    "Raj Singh,raj@users.example,User Panel,users,\r\n"
)


def _file(tmp_path: Path, text: str | bytes, name: str = "members.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def test_a_spreadsheet_of_members_joins_at_once(initialised: Cli, new_review: Callable[..., str],
                                                tmp_path: Path) -> None:
    ref = new_review()
    initialised.ok("meeting", "schedule", ref, "--title", "Working party", "--at",
                   "2027-02-10 18:00", "--place", "Town Hall")
    before = len(events(initialised.db))
    done = initialised.ok("party", "import", ref, str(_file(tmp_path, GOOD)))
    assert done.stdout.splitlines() == [
        "Sam Patel (UNISON City Branch) joined the working party as member",
        "Siân Prosser-Évans (Tenants' Federation, Eastside) joined the working party as chair",
        "Raj Singh (User Panel) joined the working party as member",
        "3 members added",
    ]
    listed = json.loads(initialised.ok("party", "list", ref, "--json").stdout)
    assert [(m["email"], m["role"], m["category"]) for m in listed] == [
        ("sam@unison.example", "member", "trade_union"),
        ("sian@tenants.example", "chair", "tenants"),
        ("raj@users.example", "member", "users"),
    ]
    added = [json.loads(e[6])["payload"] for e in events(initialised.db)[before:]]
    assert [p["email"] for p in added] == [m["email"] for m in listed]
    assert all(p["sent"]["meetings"] == [1] for p in added)  # each sent the meeting to come
    notices = query(initialised.db, "SELECT recipient FROM outbox WHERE kind = 'meeting_notice' "
                                    "AND dedupe_key LIKE 'joined:%' ORDER BY id")
    assert [r for (r,) in notices] == [m["email"] for m in listed]
    assert initialised.ok("audit", "verify").stdout.startswith("intact:")


BAD_LINES = (
    "name,email,organisation,category\n"
    "Sam Patel,sam@unison.example,UNISON,trade_union\n"
    "Ann,not-an-address,Tenants,tenants\n"
    "Raj Singh,raj@users.example,User Panel,astrologers\n"
    "Sam again,SAM@unison.example,UNISON,trade_union\n"
    "Joan,joan@press.example,Gazette\n"
    "Bea,bea@x.example,X,users,member\n"
)


@pytest.mark.parametrize(("text", "words"), [
    (BAD_LINES, ["members.csv: 5 bad lines, nobody added:", "line 3: ", "not-an-address",
                 "line 4: unknown category 'astrologers'",
                 "line 5: sam@unison.example is also on line 2",
                 "line 6: 3 values for 4 columns", "line 7: 5 values for 4 columns"]),
    ("name,email,organisation,category\nA,a@x.example,X,users,chief\n",
     ["line 2: 5 values for 4 columns"]),
    ("name,email,organisation,category,role\nA,a@x.example,X,users,chief\n",
     ["line 2: unknown role 'chief'"]),
    ("name,email,organisation\nA,a@x.example,X\n", ["the header must name the columns"]),
    ("name,email,organisation,category,role,shoe size\n", ["(found: name, email, "]),
    ("name,email,email,organisation,category\n", ["once each"]),
    ("", ["members.csv is empty"]),
    ("name,email,organisation,category\n\n\n", ["members.csv lists no members"]),
    ("name,email,organisation,category\n" + "".join(
        f"P{n},p{n}@x.example,X,users\n" for n in range(501)), ["501 members; the limit is 500"]),
    (b"name,email,organisation,category\nJos\xe9,j@x.example,X,users\n", ["not UTF-8"]),
    ("name,email,organisation,category\nA\u202e,a@x.example,X,users\n", ["line 2: the name"]),
])
def test_a_bad_list_adds_nobody_and_names_each_bad_line(
        initialised: Cli, new_review: Callable[..., str], tmp_path: Path,
        text: str | bytes, words: list[str]) -> None:
    ref = new_review()
    before = snapshot(initialised.db)
    result = initialised("party", "import", ref, str(_file(tmp_path, text)))
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: ")
    for word in words:
        assert word in line, (word, line)
    assert "Traceback" not in result.output
    assert snapshot(initialised.db) == before


def test_someone_already_on_the_party_is_named(initialised: Cli, new_review: Callable[..., str],
                                               tmp_path: Path) -> None:
    ref = new_review()
    initialised.ok("party", "add", ref, "--name", "Sam", "--email", "sam@unison.example",
                   "--organisation", "UNISON", "--category", "trade_union")
    before = snapshot(initialised.db)
    result = initialised("party", "import", ref, str(_file(tmp_path, GOOD)))
    assert result.exit_code == 1
    assert "line 2: sam@unison.example is already in the working party" in result.stderr
    assert snapshot(initialised.db) == before


@pytest.mark.parametrize(("args", "code", "words"), [
    (["BV-2099-999", "{file}"], 1, "no review 'BV-2099-999'"),
    (["{ref}", "{dir}"], 1, "is a directory"),
    (["{ref}", "missing.csv"], 1, "missing.csv"),
])
def test_import_refuses_what_it_cannot_read(initialised: Cli, new_review: Callable[..., str],
                                            tmp_path: Path, args: list[str], code: int,
                                            words: str) -> None:
    ref = new_review()
    good = _file(tmp_path, GOOD)
    filled = [a.format(ref=ref, file=good, dir=tmp_path) for a in args]
    before = snapshot(initialised.db)
    result = initialised("party", "import", *filled)
    assert result.exit_code == code, result.output
    assert words in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(initialised.db) == before


def test_a_closed_review_takes_no_members(initialised: Cli, new_review: Callable[..., str],
                                          tmp_path: Path) -> None:
    ref = new_review()
    initialised.ok("review", "abandon", ref, "--reason", "Service outsourced")
    result = initialised("party", "import", ref, str(_file(tmp_path, GOOD)))
    assert result.exit_code == 4
    assert "it is abandoned" in result.stderr


def test_a_long_list_of_bad_lines_says_how_many_more(
        initialised: Cli, new_review: Callable[..., str], tmp_path: Path) -> None:
    ref = new_review()
    text = "name,email,organisation,category\n" + "".join(
        f"P{n},p{n}@x.example,X,astrologers\n" for n in range(300))
    result = initialised("party", "import", ref, str(_file(tmp_path, text)))
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: members.csv: 300 bad lines, nobody added: line 2: ")
    assert " more bad lines" in line
    assert "…" not in line  # it was not cut off mid-way
    shown = line.count("unknown category")
    assert line.rstrip().endswith(f"and {300 - shown} more bad lines")


@pytest.mark.parametrize(("text", "words"), [
    ("name,email,organisation,category\nJos\xe9,j@x.example,X,users\n".encode("cp1252"),
     "save it from the spreadsheet as 'CSV UTF-8'"),
    ("name;email;organisation;category\nA;a@x.example;X;users\n",
     "separated by semicolons: save it as CSV with commas"),
])
def test_a_spreadsheet_saved_the_wrong_way_gets_a_hint(
        initialised: Cli, new_review: Callable[..., str], tmp_path: Path,
        text: str | bytes, words: str) -> None:
    ref = new_review()
    result = initialised("party", "import", ref, str(_file(tmp_path, text)))
    assert result.exit_code == 1
    assert words in result.stderr


def test_excel_habits_are_accepted(initialised: Cli, new_review: Callable[..., str],
                                   tmp_path: Path) -> None:
    """Excel's 'sep=,' first line, and capitalised categories and roles."""
    ref = new_review()
    text = "sep=,\r\nName,Email,Organisation,Category,Role\r\nAnn,ann@t.example,T,Tenants,Chair\r\n"
    initialised.ok("party", "import", ref, str(_file(tmp_path, text)))
    listed = json.loads(initialised.ok("party", "list", ref, "--json").stdout)
    assert [(m["category"], m["role"]) for m in listed] == [("tenants", "chair")]
