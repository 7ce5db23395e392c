"""Hostile input found by an outside test, each defect reproduced through the CLI.

Each test names the defect of the issue it covers; each checks the exit code, the one-line
error, and the database (unchanged after a refusal, or holding exactly what was accepted).
"""

from __future__ import annotations

import json
import mailbox
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from conftest import (
    Cli,
    FaultySmtp,
    Target,
    events,
    execute,
    free_port,
    query,
    snapshot,
    sqlite_only,
    use_smtp,
)

COORDINATOR = "jo@exampleshire.gov.uk"


def refused(cli: Cli, *args: str, code: int = 1, words: tuple[str, ...] = ()) -> str:
    """Run a command that must be refused: one line, the code, no traceback, nothing changed."""
    before = snapshot(cli.db)
    result = cli(*args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    # One line; a workflow file's problems are listed first, one per line, then the error.
    assert lines, result.stderr
    assert lines[-1].startswith("Error: "), result.stderr
    assert all(not line.startswith("Error: ") for line in lines[:-1]), result.stderr
    assert len(lines) == 1 or " is not valid: " in lines[-1], result.stderr
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    assert snapshot(cli.db) == before
    return result.stderr


def strict_messages(folder: Path) -> list[EmailMessage]:
    """Every message in a Maildir, parsed by Python's email parser in strict mode."""
    box = mailbox.Maildir(folder, create=False)
    parser = BytesParser(policy=policy.strict)
    found = []
    for key in sorted(box.keys()):
        message = parser.parsebytes(box.get_bytes(key))
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def addr_spec(message: EmailMessage) -> str:
    """The To address; Python's parser keeps RFC 6532 UTF-8 header bytes as surrogates."""
    raw = message["To"].addresses[0].addr_spec
    return str(raw.encode("utf-8", "surrogateescape").decode("utf-8"))


def outbox(db: Target) -> dict[str, tuple[str, int, str | None]]:
    rows = query(db, "SELECT recipient, status, attempts, last_error FROM outbox ORDER BY id")
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


class SevenBitSmtp(FaultySmtp):
    """A server that does not offer SMTPUTF8, as many council relays do not."""

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        return [line for line in responses if "SMTPUTF8" not in line.upper()]


def _serve(handler: FaultySmtp) -> Iterator[tuple[FaultySmtp, int]]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def utf8_smtp() -> Iterator[tuple[FaultySmtp, int]]:
    """A loopback SMTP server that offers SMTPUTF8 (RFC 6531)."""
    yield from _serve(FaultySmtp())


@pytest.fixture
def seven_bit_smtp() -> Iterator[tuple[FaultySmtp, int]]:
    yield from _serve(SevenBitSmtp())


# --- 1. internationalised and unbuildable addresses ------------------------------------


def accented_review(cli: Cli) -> str:
    """A review coordinated from an accented address, watched from a plain one and from an
    internationalised domain, then suspended: four notices to send."""
    ref = cli.ok("review", "create", "Refuse collection", "--service", "Waste",
                 "--coordinator", "jösé@example.org").stdout.strip()
    cli.ok("review", "watch", ref, "rep@unison.example")
    cli.ok("review", "watch", ref, "chair@exämple.org")
    cli.ok("review", "suspend", ref, "--reason", "Purdah")
    return ref


def test_accented_address_is_delivered_to_maildir_and_does_not_stop_the_rest(
        initialised: Cli) -> None:
    accented_review(initialised)
    result = initialised.ok("sweep")
    assert result.stdout == "queued 0, sent 4, retrying 0, failed 0\n"
    messages = strict_messages(initialised.db.parent / "mail")
    recipients = sorted(addr_spec(m) for m in messages)
    # The domain goes IDNA-encoded; only the accented local part needs UTF-8 headers.
    assert recipients == ["chair@xn--exmple-cua.org", "jösé@example.org", "jösé@example.org",
                          "rep@unison.example"]
    assert all(status == "sent" for status, _, _ in outbox(initialised.db).values())


def test_smtp_without_smtputf8_fails_one_message_and_sends_the_others(
        initialised: Cli, seven_bit_smtp: tuple[FaultySmtp, int]) -> None:
    handler, port = seven_bit_smtp
    use_smtp(initialised.db, port)
    accented_review(initialised)
    result = initialised.ok("sweep")
    assert result.stdout == "queued 0, sent 2, retrying 0, failed 2\n"
    assert "Traceback" not in result.output
    state = outbox(initialised.db)
    assert state["jösé@example.org"][:2] == ("failed", 1)
    assert [s for s, _, _ in state.values()].count("failed") == 1  # one row per recipient key
    assert "SMTPUTF8" in (state["jösé@example.org"][2] or "")
    assert sorted(to for to, _ in handler.received) == [
        "chair@xn--exmple-cua.org", "rep@unison.example"]
    failed = [json.loads(e[6])["payload"] for e in events(initialised.db)
              if e[2] == "notification.failed"]
    assert [p["recipient"] for p in failed] == ["jösé@example.org"] * 2
    assert initialised.ok("sweep").stdout == "queued 0, sent 0, retrying 0, failed 0\n"


def test_smtp_with_smtputf8_delivers_an_accented_local_part(
        initialised: Cli, utf8_smtp: tuple[FaultySmtp, int]) -> None:
    handler, port = utf8_smtp
    use_smtp(initialised.db, port)
    initialised.ok("review", "create", "Refuse collection", "--service", "Waste",
                   "--coordinator", "jösé@example.org")
    assert initialised.ok("sweep").stdout == "queued 0, sent 1, retrying 0, failed 0\n"
    assert [to for to, _ in handler.received] == ["jösé@example.org"]
    assert addr_spec(handler.received[0][1]) == "jösé@example.org"


@pytest.mark.parametrize(
    ("column", "value"),
    [("recipient_name", "Jo\r\nBcc: evil@x.example"), ("recipient", "not an address"),
     ("recipient", "jo@exa mple.org"), ("context", "{not json")],
    ids=["header-injection-name", "no-at-sign", "space-in-domain", "broken-context"])
def test_a_message_that_cannot_be_built_fails_alone(
        initialised: Cli, new_review: Callable[..., str], column: str, value: str) -> None:
    """Rows written by an older version, or edited by hand: one bad row never stops the rest."""
    ref = new_review()
    initialised.ok("review", "watch", ref, "rep@unison.example")
    initialised.ok("review", "watch", ref, "bad@unison.example")
    initialised.ok("review", "suspend", ref, "--reason", "Purdah")
    execute(initialised.db, f"UPDATE outbox SET {column} = '{value}' "
                            "WHERE recipient = 'bad@unison.example'")
    result = initialised.ok("sweep")
    assert result.stdout == "queued 0, sent 3, retrying 0, failed 1\n"
    rows = query(initialised.db, "SELECT status, last_error FROM outbox ORDER BY id")
    assert [r[0] for r in rows].count("failed") == 1
    assert [r[1] for r in rows if r[0] == "failed"][0].startswith("cannot build the message")
    assert [r[0] for r in rows].count("sending") == 0


@pytest.mark.parametrize("address", [
    "wаtch@example.org",          # Cyrillic а among Latin letters
    "аpple@example.org",           # Cyrillic first letter
    "watch@exаmple.org",           # Cyrillic in the domain
    "ωatch@example.org",           # Greek omega
    "иван@example.org",            # a Cyrillic local part at a Latin domain
], ids=["cyrillic-a", "cyrillic-first", "cyrillic-domain", "greek", "cyrillic-local"])
def test_mixed_script_addresses_are_refused(initialised: Cli, new_review: Callable[..., str],
                                            address: str) -> None:
    ref = new_review()
    refused(initialised, "review", "watch", ref, address, words=("mixes", "letters"))
    refused(initialised, "party", "add", ref, "--name", "X", "--email", address,
            "--organisation", "UNISON", "--category", "trade_union", words=("mixes",))
    refused(initialised, "review", "create", "T", "--service", "S", "--coordinator", address,
            words=("mixes",))


# --- 2. papers reach outsiders only when made public ------------------------------------


def _party(cli: Cli, ref: str) -> None:
    for name, email, org, category, role in [
        ("Sam Patel", "sam@unison.example", "UNISON", "trade_union", "member"),
        ("Joan Hart", "joan@press.example", "Local Gazette", "business", "observer"),
    ]:
        cli.ok("party", "add", ref, "--name", name, "--email", email, "--organisation", org,
               "--category", category, "--role", role)
    cli.ok("review", "watch", ref, "nosy@public.example")


def _attachments(messages: list[EmailMessage], address: str) -> set[str]:
    return {part.get_filename() or "" for m in messages if address in str(m["To"])
            for part in m.iter_attachments() if part.get_content_type() != "text/calendar"}


@pytest.mark.parametrize("agreed", ["public", "restricted", None])
def test_papers_never_reach_outsiders_unless_made_public(
        initialised: Cli, new_review: Callable[..., str], tmp_path: Path,
        travel: time_machine.Coordinates, agreed: str | None) -> None:
    ref = new_review()
    _party(initialised, ref)
    if agreed:
        initialised.ok("agreement", "record", ref, "--item", "information_disclosure",
                       "--agreed-by", "UNISON", "--disclosure-default", agreed)
    for name in ("agenda.txt", "budget.txt", "open.txt", "proposal.txt", "public-proposal.txt"):
        (tmp_path / name).write_text(f"the {name} paper\n")
    when = "2027-02-10 18:00"
    initialised.ok("meeting", "schedule", ref, "--title", "Working party", "--at", when,
                   "--place", "Room 2", "--papers", str(tmp_path / "agenda.txt"),
                   "--papers", str(tmp_path / "budget.txt"))
    initialised.ok("meeting", "schedule", ref, "--title", "Open session", "--at", when,
                   "--place", "Hall", "--papers", str(tmp_path / "open.txt"),
                   "--papers-disclosure", "public")
    initialised.ok("proposal", "circulate", ref, "--title", "Options",
                   "--file", str(tmp_path / "proposal.txt"))
    initialised.ok("proposal", "circulate", ref, "--title", "Open options",
                   "--file", str(tmp_path / "public-proposal.txt"), "--disclosure", "public")
    stored = dict(query(initialised.db, "SELECT file_name, disclosure FROM evidence"))
    assert stored == {"agenda.txt": "restricted", "budget.txt": "restricted",
                      "open.txt": "public", "proposal.txt": "restricted",
                      "public-proposal.txt": "public"}
    initialised.ok("sweep")
    messages = strict_messages(initialised.db.parent / "mail")
    for outsider in ("joan@press.example", "nosy@public.example"):
        assert _attachments(messages, outsider) == {"open.txt", "public-proposal.txt"}
    assert _attachments(messages, "sam@unison.example") == {
        "agenda.txt", "budget.txt", "open.txt", "proposal.txt", "public-proposal.txt"}


def test_a_confidential_default_makes_papers_confidential(
        initialised: Cli, new_review: Callable[..., str], tmp_path: Path) -> None:
    ref = new_review()
    initialised.ok("agreement", "record", ref, "--item", "information_disclosure",
                   "--agreed-by", "UNISON", "--external", "UNISON",
                   "--disclosure-default", "confidential")
    (tmp_path / "prices.txt").write_text("contract prices\n")
    initialised.ok("proposal", "circulate", ref, "--title", "Prices",
                   "--file", str(tmp_path / "prices.txt"))
    assert query(initialised.db, "SELECT disclosure FROM evidence") == [("confidential",)]


# --- 3. outputs never overwrite the database, follow symlinks or clobber files ------------


@sqlite_only("the database is a file here")
@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_report_output_never_overwrites_the_database(
        initialised: Cli, new_review: Callable[..., str], suffix: str) -> None:
    ref = new_review()
    target = Path(f"{initialised.db}{suffix}")
    for command in (("report", "review", ref), ("report", "programme"),
                    ("report", "inspection", ref)):
        target.touch(exist_ok=True)  # SQLite removes -wal and -shm when it closes
        refused(initialised, *command, "-o", str(target), "--force", words=("database",))
        assert not target.exists() or target.read_bytes()[:9] not in (b"<!DOCTYPE", b"PK\x03\x04")
    initialised.ok("audit", "verify")


@sqlite_only("a hard link to the database file")
def test_report_output_refuses_a_link_to_the_database(
        initialised: Cli, new_review: Callable[..., str], tmp_path: Path) -> None:
    ref = new_review()
    hard = tmp_path / "innocent.html"
    os.link(initialised.db.path, hard)
    refused(initialised, "report", "review", ref, "-o", str(hard), "--force", words=("database",))
    soft = tmp_path / "also-innocent.html"
    soft.symlink_to(initialised.db.path)
    refused(initialised, "report", "review", ref, "-o", str(soft), "--force",
            words=("symbolic link",))


def test_report_output_refuses_symlinks_and_existing_files_unless_forced(
        initialised: Cli, new_review: Callable[..., str], tmp_path: Path) -> None:
    ref = new_review()
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("keep me\n")
    link = tmp_path / "report.html"
    link.symlink_to(elsewhere)
    refused(initialised, "report", "review", ref, "-o", str(link), words=("symbolic link",))
    refused(initialised, "report", "review", ref, "-o", str(link), "--force",
            words=("symbolic link",))
    assert elsewhere.read_text() == "keep me\n"
    existing = tmp_path / "old.html"
    existing.write_text("old\n")
    refused(initialised, "report", "review", ref, "-o", str(existing), words=("--force",))
    refused(initialised, "report", "inspection", ref, "-o", str(existing), words=("--force",))
    assert existing.read_text() == "old\n"
    initialised.ok("report", "review", ref, "-o", str(existing), "--force")
    assert existing.read_text().startswith("<!DOCTYPE html>")
    pack = tmp_path / "pack.zip"
    initialised.ok("report", "inspection", ref, "-o", str(pack))
    assert pack.read_bytes()[:2] == b"PK"


# --- 4. only regular files, read with a bound ---------------------------------------------


def test_evidence_from_devices_and_fifos_is_refused(
        initialised: Cli, new_review: Callable[..., str], tmp_path: Path) -> None:
    ref = new_review()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path in ("/dev/zero", "/dev/urandom", str(fifo)):
        refused(initialised, "evidence", "add", ref, "--kind", "scope_statement", "--title", "S",
                "--file", path, words=("not a regular file",))
        refused(initialised, "proposal", "circulate", ref, "--title", "P", "--file", path,
                words=("not a regular file",))
        refused(initialised, "meeting", "schedule", ref, "--title", "M", "--at",
                "2027-03-01 18:00", "--place", "Hall", "--papers", path,
                words=("not a regular file",))
        refused(initialised, "pi", "import", ref, path, words=("not a regular file",))
        refused(initialised, "workflow", "validate", path, words=("not a regular file",))


def test_a_file_over_the_limit_is_refused_without_reading_it_all(
        initialised: Cli, new_review: Callable[..., str], tmp_path: Path) -> None:
    ref = new_review()
    big = tmp_path / "big.pdf"
    with big.open("wb") as stream:
        stream.truncate(26 * 1024 * 1024)  # sparse: the size is there, the bytes are not
    refused(initialised, "evidence", "add", ref, "--kind", "scope_statement", "--title", "S",
            "--file", str(big), words=("larger than 25 MB",))


def test_a_file_name_with_invisible_characters_is_refused(
        initialised: Cli, new_review: Callable[..., str], tmp_path: Path) -> None:
    ref = new_review()
    sneaky = tmp_path / "invoice\u202etxt.exe"
    sneaky.write_text("x")
    refused(initialised, "evidence", "add", ref, "--kind", "scope_statement", "--title", "S",
            "--file", str(sneaky), words=("file name", "U+202E"))


# --- 5. bytes that are not UTF-8 ---------------------------------------------------------


@pytest.mark.parametrize("args", [
    ("review", "create", "T\udcffX", "--service", "Waste", "--coordinator", COORDINATOR),
    ("review", "show", "BV-2026-00\udcff"),
    ("calendar", "close", "2027-12-29", "--reason", "r\udcff"),
    ("audit", "log", "--actor", "\udcff"),
    ("review", "list", "--stage", "\ud800"),
], ids=["create-title", "show-ref", "calendar-reason", "audit-actor", "lone-high-surrogate"])
def test_non_utf8_arguments_are_refused(initialised: Cli, args: tuple[str, ...]) -> None:
    refused(initialised, *args, words=("not valid UTF-8",))


@sqlite_only("a subprocess given raw bytes on a file database")
def test_non_utf8_bytes_from_the_shell_are_refused(initialised: Cli) -> None:
    before = snapshot(initialised.db)
    run = subprocess.run(
        [sys.executable, "-m", "bvflow", "--db", os.fsencode(str(initialised.db)),
         "review", "create", b"T\xffX", "--service", "Waste", "--coordinator", COORDINATOR],
        capture_output=True, check=False, cwd=initialised.db.parent)
    assert run.returncode == 1, run.stderr
    assert run.stderr == b"Error: argument 5 (T\\xffX) is not valid UTF-8 text\n"
    assert snapshot(initialised.db) == before
    env = {**os.environ, "BVFLOW_ACTOR": "a"}
    env_bytes = {os.fsencode(k): os.fsencode(v) for k, v in env.items()}
    env_bytes[b"BVFLOW_ACTOR"] = b"Chief \xff"
    run = subprocess.run([sys.executable, "-m", "bvflow", "--db", str(initialised.db),
                          "review", "list"], capture_output=True, check=False, env=env_bytes)
    assert run.returncode == 1
    assert b"$BVFLOW_ACTOR" in run.stderr
    assert b"Traceback" not in run.stderr


def test_the_python_api_refuses_surrogates_too(initialised: Cli) -> None:
    from bvflow import App, InputError
    from bvflow.services.reviews import show_review
    from bvflow.store.database import Database

    app = App(Database(initialised.db.sqlalchemy_url), actor="api")
    with pytest.raises(InputError, match="not UTF-8"):
        show_review(app, "BV-2027-\udcff")
    app.db.dispose()


# --- 6. database URLs -----------------------------------------------------------------------


@pytest.mark.parametrize(("url", "words"), [
    ("garbage://x", ("SQLite or PostgreSQL", "'garbage'")),
    ("mysql://u@localhost/d", ("SQLite or PostgreSQL", "'mysql'")),
    ("oracle+cx_oracle://u@h/d", ("'oracle'",)),
    ("postgresql+pg8000://u@localhost/d", ("bvflow[postgres]", "pg8000")),
    ("postgresql+nosuchdriver://u@localhost/d", ("cannot use database URL",)),
    ("://", ("not a database URL",)),
], ids=["garbage", "mysql", "oracle", "pg8000", "unknown-driver", "empty-scheme"])
def test_unusable_database_urls_are_named(tmp_path: Path, url: str,
                                          words: tuple[str, ...]) -> None:
    for args in (("review", "list"), ("init", "--authority", "X", "--nation", "england")):
        result = Cli(Target(url, tmp_path, None))(*args)  # type: ignore[arg-type]
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("Error: ")
        assert result.stderr.count("\n") == 1
        for word in words:
            assert word in result.stderr


def test_a_missing_postgres_driver_names_the_extra(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if bvflow[postgres] were absent
    result = Cli(Target("postgresql://postgres@127.0.0.1/test", tmp_path, None))(  # type: ignore[arg-type]
        "review", "list")
    assert result.exit_code == 1
    assert "pip install 'bvflow[postgres]'" in result.stderr


# --- 7 and 10. workflow files: deep nesting, and validate says what loading says ----------


@pytest.mark.parametrize("body", [
    "stages: " + "[" * 1000, "stages: " + "{a: " * 1000, "stages:\n" + "".join(
        "  " * i + "- \n" for i in range(1, 600)),
], ids=["flow-sequences", "flow-mappings", "block-sequences"])
def test_deeply_nested_yaml_is_one_error(initialised: Cli, tmp_path: Path, body: str) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("name: deep\ntitle: Deep\n" + body + "\n")
    refused(initialised, "workflow", "validate", str(path), words=("nested more than", "deep"))
    refused(initialised, "review", "create", "T", "--service", "S", "--coordinator",
            COORDINATOR, "--workflow", str(path), words=("nested",))


def test_validate_reports_a_name_that_loading_would_refuse(
        initialised: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    source = (Path(__file__).parents[1] / "workflows" / "best-value.yaml").read_text()
    (folder / "our-review.yaml").write_text(source)
    validate = refused(initialised, "workflow", "validate", str(folder / "our-review.yaml"),
                       words=("'best-value' does not match the file name 'our-review'",))
    use = refused(initialised, "--workflows", str(folder), "review", "create", "T", "--service",
                  "S", "--coordinator", COORDINATOR, "--workflow", "our-review",
                  words=("does not match",))
    problem = "name 'best-value' does not match the file name 'our-review'; rename one of them"
    assert problem in validate
    assert problem in use
    (folder / "our-review.yaml").write_text(source.replace("name: best-value", "name: our-review"))
    initialised.ok("workflow", "validate", str(folder / "our-review.yaml"))


# --- 8. settings are checked before the outbox is touched ---------------------------------


@pytest.mark.parametrize("sender", [
    "a <a@x.example>\\r\\nBcc: evil@x.example", "two@x.example, three@x.example",
    "not an address", "Jo <wаtch@example.org>", "Jo <jo@>",
], ids=["header-injection", "two-addresses", "no-address", "mixed-script", "no-domain"])
def test_a_bad_from_setting_claims_nothing(initialised: Cli, new_review: Callable[..., str],
                                           sender: str) -> None:
    ref = new_review()
    initialised.ok("review", "watch", ref, "rep@unison.example")
    (initialised.db.parent / "bvflow.toml").write_text(f'[mail]\nfrom = "{sender}"\n')
    refused(initialised, "sweep", words=("from",))
    assert {s for s, _, _ in outbox(initialised.db).values()} == {"pending"}
    assert {a for _, a, _ in outbox(initialised.db).values()} == {0}


# --- 9. invisible characters and look-alikes ----------------------------------------------


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\ufeff", "\u2028", "\u2029", "\u2066",
                                  "\u00ad", "\U000e0041", "\ue000"],
                         ids=["rlo", "zwsp", "bom", "line-sep", "para-sep", "lri",
                              "soft-hyphen", "tag", "private-use"])
def test_format_characters_are_refused_in_names_and_the_actor(
        initialised: Cli, new_review: Callable[..., str], char: str) -> None:
    ref = new_review()
    spoof = f"Chief{char}Executive"
    refused(initialised, "review", "create", f"Refuse{char}collection", "--service", "Waste",
            "--coordinator", COORDINATOR, words=("invisible",))
    refused(initialised, "party", "add", ref, "--name", spoof, "--email", "x@unison.example",
            "--organisation", "UNISON", "--category", "trade_union", words=("invisible",))
    before = snapshot(initialised.db)
    result = initialised("calendar", "close", "2027-12-29", "--reason", "Closure", actor=spoof)
    assert result.exit_code == 1
    assert "--actor" in result.stderr
    assert snapshot(initialised.db) == before


# --- 11. London times that do not exist or happen twice ------------------------------------


def test_times_that_do_not_exist_or_happen_twice_are_refused(
        initialised: Cli, new_review: Callable[..., str],
        travel: time_machine.Coordinates) -> None:
    ref = new_review()
    schedule = ("meeting", "schedule", ref, "--title", "WP", "--place", "Hall", "--at")
    refused(initialised, *schedule, "2027-03-28 01:30", words=("does not exist in London",))
    refused(initialised, *schedule, "2027-10-31 01:30",
            words=("happens twice", "2027-10-31 01:30+01:00", "2027-10-31 01:30+00:00"))
    initialised.ok(*schedule, "2027-10-31 01:30+00:00")
    starts = query(initialised.db, "SELECT starts_at FROM meetings")
    assert [str(s[0])[:16] for s in starts] == ["2027-10-31 01:30"]
    initialised.ok(*schedule, "2027-03-28 02:30")
    refused(initialised, "meeting", "reschedule", ref, "1", "--at", "2028-03-26 01:15",
            words=("does not exist",))


# --- 12. a change stamped before the review's last event ----------------------------------


def test_a_resume_stamped_before_its_suspend_is_refused(
        initialised: Cli, new_review: Callable[..., str],
        travel: time_machine.Coordinates) -> None:
    ref = new_review()
    travel.shift(timedelta(days=2))
    initialised.ok("review", "suspend", ref, "--reason", "Purdah")
    travel.shift(timedelta(minutes=-2))  # two commands that waited on each other's lock
    initialised.ok("evidence", "add", ref, "--kind", "scope_statement", "--title", "Early")
    travel.shift(timedelta(hours=-3))  # the clock is set back
    refused(initialised, "review", "resume", ref, words=("before the last event", ref))
    refused(initialised, "evidence", "add", ref, "--kind", "scope_statement", "--title", "S",
            words=("check the system clock",))
    travel.shift(timedelta(hours=4))
    initialised.ok("review", "resume", ref)
    actions = [e[2] for e in events(initialised.db) if e[3] == ref]
    assert actions[-3:] == ["review.suspended", "evidence.added", "review.resumed"]


# --- classes found by a second probe -------------------------------------------------------


@pytest.fixture
def full(initialised: Cli, new_review: Callable[..., str]) -> str:
    """A review with an indicator, an option and a criterion."""
    ref = new_review()
    initialised.ok("pi", "add", ref, "BV82a", "--name", "Recycled", "--unit", "%",
                   "--baseline", "31.5", "--baseline-period", "2025-26")
    initialised.ok("option", "add", ref, "Outsource")
    initialised.ok("option", "criterion", ref, "Cost", "--weight", "60")
    return ref


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e309", "-1e309", "1e16"])
def test_figures_must_be_finite_and_of_a_sensible_size(initialised: Cli, full: str,
                                                       value: str) -> None:
    refused(initialised, "pi", "record", full, "BV82a", "--period", "2026-27", f"--value={value}",
            words=("not a number",))
    refused(initialised, "pi", "add", full, "X1", "--name", "x", f"--baseline={value}",
            "--baseline-period", "2025-26", words=("not a number",))
    refused(initialised, "pi", "add", full, "X2", "--name", "x", "--target", f"2027-28={value}",
            words=("not a number",))
    # A leading minus reads as an option to click: a usage error (exit 2) unless after "--".
    refused(initialised, "option", "score", full, "Outsource", "Cost", value,
            code=2 if value.startswith("-") else 1)


def test_minus_zero_is_zero(initialised: Cli, full: str) -> None:
    initialised.ok("pi", "record", full, "BV82a", "--period", "2026-27", "--value", "-0")
    listed = json.loads(initialised.ok("pi", "list", full, "--json").stdout)
    assert json.dumps(listed[0]["actuals"]) == '{"2026-27": 0.0}'


@pytest.mark.parametrize("args", [
    ("meeting", "cancel", "BV-2027-001", "99999999999999999999", "--reason", "x"),
    ("action", "update", "BV-2027-001", "99999999999999999999", "--status", "done"),
    ("review", "advance", "BV-2027-001", "--if-version", "9" * 30),
    ("audit", "log", "--until", "9999-12-31"),
    ("audit", "log", "--since", "20270105"),
    ("meeting", "schedule", "BV-2027-001", "--title", "Far", "--place", "p", "--at",
     "9999-12-31 23:59"),
    ("action", "add", "BV-2027-001", "--title", "t", "--owner", "jo@exampleshire.gov.uk",
     "--due", "0001-01-01"),
    ("pi", "record", "BV-2027-001", "BV82a", "--period", "2027-29", "--value", "1"),
    ("pi", "record", "BV-2027-001", "BV82a", "--period", "1066", "--value", "1"),
    ("pi", "add", "BV-2027-001", "C1", "--name", "n", "--baseline", "1", "--baseline-period", ""),
    ("pi", "add", "BV-2027-001", "X1", "--name", "n", "--target", "2027-28=40",
     "--target", "2027-28=50"),
    ("audit", "log", "--review", ""),
], ids=["huge-meeting-id", "huge-action-id", "huge-version", "last-date", "compact-date",
        "meeting-in-9999", "due-in-year-1", "period-not-consecutive", "period-1066",
        "empty-baseline-period", "target-twice", "empty-review-filter"])
def test_numbers_dates_and_periods_out_of_range_are_refused(
        initialised: Cli, full: str, args: tuple[str, ...]) -> None:
    refused(initialised, *args)


def test_imports_refuse_duplicate_rows_and_columns(initialised: Cli, full: str,
                                                   tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("authority,code,period,value\nA,BV82a,2025-26,35\nA,BV82a,2025-26,36\n")
    refused(initialised, "pi", "import", full, str(rows),
            words=("rows.csv:3", "the same authority, code and period as line 2"))
    columns = tmp_path / "columns.csv"
    columns.write_text("authority,code,period,value,authority\nA,BV82a,2025-26,35,B\n")
    refused(initialised, "pi", "import", full, str(columns),
            words=("columns.csv:1", "authority more than once"))


@pytest.mark.parametrize(("first", "second"), [
    ("Café", "Cafe\u0301"), ("Outsource", "outsource"), ("Outsource", "ＯＵＴＳＯＵＲＣＥ"),
], ids=["nfc-nfd", "case", "fullwidth"])
def test_names_that_look_the_same_are_the_same(initialised: Cli, full: str, first: str,
                                               second: str) -> None:
    if first != "Outsource":
        initialised.ok("option", "add", full, first)
    refused(initialised, "option", "add", full, second, words=("already exists",))
    initialised.ok("option", "score", full, second, "cost", "70")
    scored = [json.loads(e[6])["payload"] for e in events(initialised.db)
              if e[2] == "option.scored"]
    assert scored == [{"option": first, "criterion": "Cost", "score": 70.0}]
    refused(initialised, "option", "criterion", full, "COST", "--weight", "5",
            words=("already exists",))
    refused(initialised, "pi", "add", full, "bv82A", "--name", "x", words=("already has",))


def test_the_nation_cannot_change_under_running_reviews(initialised: Cli, full: str) -> None:
    refused(initialised, "init", "--nation", "scotland", code=4, words=("nation", "calendar"))
    initialised.ok("init", "--authority", "Exampleshire Council")  # renaming is fine


@pytest.mark.parametrize(("agreed", "dissent", "words"), [
    (["UNISON"], ["UNISON"], ("cannot both agree and dissent",)),
    (["UNISON", "unison"], [], ("twice",)),
    (["UNISON"], ["GMB", "GMB"], ("twice",)),
], ids=["agree-and-dissent", "agreed-twice", "dissent-twice"])
def test_agreements_name_each_organisation_once(initialised: Cli, full: str, agreed: list[str],
                                                dissent: list[str],
                                                words: tuple[str, ...]) -> None:
    args = [a for org in agreed for a in ("--agreed-by", org)]
    args += [a for org in dissent for a in ("--dissent", org)]
    refused(initialised, "agreement", "record", full, "--item", "scope", *args, words=words)


def test_workflow_titles_are_one_printable_line_and_diagrams_escape_them(
        initialised: Cli, tmp_path: Path) -> None:
    source = (Path(__file__).parents[1] / "workflows" / "best-value.yaml").read_text()
    source = source.replace("name: best-value", "name: mine", 1)
    injected = tmp_path / "mine.yaml"
    injected.write_text(source.replace(
        "title: Challenge\n",
        'title: "Challenge\\" as challenge\\n    click challenge href \\"https://evil\\""\n', 1))
    refused(initialised, "workflow", "validate", str(injected), words=("title", "U+000A"))
    quoted = tmp_path / "quoted" / "mine.yaml"
    quoted.parent.mkdir()
    quoted.write_text(source.replace("title: Challenge\n", "title: 'The \"big\" one; really'\n", 1))
    diagram = initialised.ok("workflow", "diagram", str(quoted)).stdout
    assert 'state "The #quot;big#quot; one#59; really" as challenge' in diagram
    assert "href" not in diagram


def test_one_bad_workflow_file_does_not_hide_the_others(initialised: Cli,
                                                        tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "empty.yaml").write_text("")
    (folder / "dir.yaml").mkdir()
    listed = initialised.ok("--workflows", str(folder), "workflow", "list", "--json").stdout
    found = {w["name"]: w["problem"] for w in json.loads(listed)}
    assert found["best-value"] is None
    assert "mapping" in (found["empty"] or "")
    assert "not a regular file" in (found["dir"] or "")
    table = initialised.ok("--workflows", str(folder), "workflow", "list").stdout
    assert "NOT VALID" in table


def test_an_empty_paper_is_refused(initialised: Cli, full: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    refused(initialised, "proposal", "circulate", full, "--title", "P", "--file", str(empty),
            words=("is empty",))


def test_an_error_quoting_a_huge_value_stays_short(initialised: Cli) -> None:
    error = refused(initialised, "review", "list", "--stage", "x" * 120_000)
    assert len(error) < 1200
    assert "more characters" in error


@sqlite_only("settings and mail folders beside a database file")
@pytest.mark.parametrize(("settings", "words"), [
    ("[mail]\nmaildir = \"a\\u0000b\"\n", ("maildir", "control")),
    ("a = " + "[" * 3000 + "]" * 3000 + "\n", ("nested too deeply",)),
    ("[templates]\ndir = 123\n", ("dir must be str",)),
    ("[mail.smtp]\nhost = \"\"\n", ("host must not be empty",)),
    ("[mail.smtp]\ntimeout = 1e-300\n", ("timeout",)),
], ids=["nul-in-maildir", "deep-toml", "template-dir-number", "empty-host", "tiny-timeout"])
def test_bad_settings_are_named(initialised: Cli, new_review: Callable[..., str],
                                settings: str, words: tuple[str, ...]) -> None:
    new_review()
    (initialised.db.parent / "bvflow.toml").write_text(settings)
    refused(initialised, "sweep", words=words)


@sqlite_only("a Maildir beside a database file")
def test_a_maildir_that_is_a_file_claims_nothing(initialised: Cli,
                                                 new_review: Callable[..., str]) -> None:
    new_review()
    (initialised.db.parent / "mail").write_text("not a folder\n")
    refused(initialised, "sweep", words=("not a folder",))
    assert {s for s, _, _ in outbox(initialised.db).values()} == {"pending"}


@sqlite_only("device files as the database")
def test_a_device_is_not_a_database(tmp_path: Path) -> None:
    for args in (("init", "--authority", "X", "--nation", "england"), ("review", "list")):
        result = Cli(Target("sqlite:////dev/null", tmp_path, Path("/dev/null")))(*args)
        assert result.exit_code == 1
        assert "not a regular file" in result.stderr


@sqlite_only("a subprocess writing to /dev/full")
def test_output_that_cannot_be_written_is_one_line_and_says_what_was_saved(
        initialised: Cli) -> None:
    with open("/dev/full", "w") as full_disk:
        run = subprocess.run(
            [sys.executable, "-m", "bvflow", "--db", str(initialised.db), "review", "create",
             "New", "--service", "S", "--coordinator", COORDINATOR],
            stdout=full_disk, stderr=subprocess.PIPE, text=True, check=False)
    assert run.returncode == 1
    assert run.stderr.startswith("Error: cannot write the output: No space left on device")
    assert run.stderr.count("\n") == 1
    assert "saved" in run.stderr
    listed = json.loads(initialised.ok("review", "list", "--json").stdout)
    assert [r["title"] for r in listed] == ["New"]
