"""Meta-tests of the executed documentation (tests/console_docs.py, run through Sybil).

The runner must really compare: a wrong expected line, a wrong exit code or a missing
``# exit`` fails; ``<...>`` is the only wildcard. And no bvflow transcript may hide in a block
that is not executed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.console_docs import SYBIL, Session, commands, matches

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
UNEXECUTED = re.compile(r"^[ \t]*```(?:text|sh|bash|shell)\n(.*?)^[ \t]*```",
                        re.S | re.M)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_no_bvflow_transcript_hides_outside_a_console_block(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for block in UNEXECUTED.findall(text):
        prompts = [line for line in block.splitlines() if line.lstrip().startswith("$ bvflow")]
        assert not prompts, f"{page.name}: a '$ bvflow' transcript outside ```console: {prompts}"


def test_a_block_is_split_into_commands_with_their_output_and_exit_codes() -> None:
    block = (
        "$ bvflow review advance BV-2027-001  # exit 4\n"
        "Error: cannot advance\n"
        "$ cat > a.csv <<'EOF'\n"
        "x,y\n"
        "EOF\n"
        "$ printf 'a' \\\n"
        "  > b.txt\n"
    )
    found = commands(block)
    assert [(c.exit_code, c.expected) for c in found] == [(4, "Error: cannot advance"),
                                                          (0, ""), (0, "")]
    assert found[1].line == "cat > a.csv <<'EOF'\nx,y\nEOF"
    assert found[2].line == "printf 'a' \\\n  > b.txt"


def test_a_block_that_does_not_start_with_a_prompt_is_refused() -> None:
    with pytest.raises(ValueError, match="must start with a '\\$ ' command"):
        commands("# a comment\n$ bvflow today\n")


def test_only_the_marked_wildcard_matches_any_text() -> None:
    assert matches("head 9:<...> (chain)", "head 9:7c25ab (chain)")
    assert matches("a  \nb", "a\nb   ")
    # bvflow's own messages say "--title ...": three dots are text, not a wildcard.
    assert not matches("--title ...)", "--title ...); and more")
    assert not matches("sent 6", "sent 7")


def test_a_session_keeps_variables_and_folder_and_runs_bvflow_at_its_clock(
        tmp_path: Path) -> None:
    shell = Session(tmp_path / "home")
    shell.home.mkdir()
    shell.start()
    assert shell.run("mkdir tour && cd tour && REF=BV-2027-001") == (0, "")
    code, output = shell.run('echo "$REF in $PWD"')
    assert (code, output.strip()) == (0, "BV-2027-001 in /home/jo/tour")
    code, output = shell.run("bvflow init --authority 'Exampleshire County Council' "
                             "--nation england && bvflow today")
    assert code == 0, output
    assert "Monday 4 January 2027" in output
    assert shell.run("bvflow review show BV-2027-999")[0] == 1


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_page_is_collected(page: Path) -> None:
    assert SYBIL.should_parse(page)
