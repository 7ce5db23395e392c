"""Notice kinds are declared once (bvflow/notifications/kinds.py), and everything reads that.

Every registered kind has its two templates, a sample and a disclosure rule, and every
template file belongs to a kind (or is an include). A kind registered here, in one place,
with its templates in a folder of its own, is previewed, redacted by its own rule and passes
every template check, with nothing else written for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli
from test_templates import TEMPLATES, _loaded, check_kind, sample

from bvflow.domain.actions import ACTIONS
from bvflow.domain.calendar import LONDON
from bvflow.domain.reminders import REMINDER_KINDS
from bvflow.errors import InputError
from bvflow.notifications import kinds
from bvflow.notifications.kinds import NO_PAPERS, Basis, Disclosure, NoticeKind
from bvflow.notifications.render import render
from bvflow.services.notices import Recipient, context_for, outbox_rows


def _gift(basis: Basis) -> dict[str, Any]:
    """A kind no service sends: a gift to the review, with a paper about it."""
    return {"gift": {"title": basis.typed("the gift"), "on": basis.timing.today.isoformat()},
            "at": basis.at}


GIFT = NoticeKind("gift_received", _gift, Disclosure(papers=True, withheld=(("gift", "title"),)))
GIFT_TEXT = """\
{% set subject %}{{ review.ref }}: {{ gift.title or "a gift" }} on {{ gift.on | longdate }}
{% endset %}
Dear {{ recipient.name or "colleague" }},

The review {{ review.title }} received {{ gift.title or "a gift" }} on {{ gift.on | longdate }}.
{% include "_papers.txt.j2" %}
{% include "_footer.txt.j2" %}
"""
GIFT_HTML = """\
{% extends "_layout.html.j2" %}{% block title %}{{ review.ref }} gift{% endblock %}{% block body %}
<h1>{{ gift.title or "A gift" }}</h1>
<p>{{ review.title }} received it on {{ gift.on | longdate }}.</p>
{% include "_papers.html.j2" %}
{% endblock %}
"""


def check_declared(kind: NoticeKind, folder: Path) -> None:
    """Its templates are in ``folder``, its sample renders, and its rule fits its sample."""
    for name in kind.templates:
        assert (folder / name).is_file(), name
    assert isinstance(kind.disclosure, Disclosure)
    context = sample(kind.name)
    assert context["kind"] == kind.name
    assert bool(context["papers"]) == kind.disclosure.papers, kind.name
    for section, key in kind.disclosure.withheld:
        assert context[section][key], f"{kind.name} withholds {section}.{key}, which it lacks"
    assert render(kind.name, context, folder).subject


def _kind_of(template: str) -> str | None:
    """The kind whose template this is: None for an include (``_name``) or a stray file."""
    return next((k for k in kinds.names() if template in kinds.get(k).templates), None)


@pytest.mark.parametrize("name", kinds.names(), ids=kinds.names())
def test_every_kind_has_templates_a_sample_and_a_disclosure_rule(name: str) -> None:
    kind = kinds.get(name)
    assert kind.name == name
    check_declared(kind, TEMPLATES)


def test_every_template_file_belongs_to_a_kind() -> None:
    for path in TEMPLATES.glob("*.j2"):
        assert path.name.startswith("_") or _kind_of(path.name), f"{path.name} has no kind"


def test_every_reminder_and_notice_the_domain_can_cause_is_a_kind() -> None:
    for due in REMINDER_KINDS:
        kinds.get(kinds.REMINDER_PREFIX + due)
    for due in ("due_soon", "overdue"):  # the improvement plan's fixed plan
        kinds.get(f"action_{due}")
    causes = [kinds.get(k).caused_by for k in kinds.names() if kinds.get(k).caused_by]
    assert len(causes) == len(set(causes)), "two kinds for one action"
    assert set(causes) <= set(ACTIONS)
    assert kinds.for_action("review.advanced") == "stage_changed"
    assert kinds.for_action("review.watcher_added") is None


@pytest.mark.parametrize("name", ["Gift", "gift-received", "2gift", "stage_changed"])
def test_a_kind_is_named_once_by_an_identifier(name: str) -> None:
    with pytest.raises(ValueError, match="lower-case identifier|registered already"):
        kinds.register(NoticeKind(name, _gift, NO_PAPERS))
    assert name == "stage_changed" or name not in kinds.names()


# --- a kind declared in one place ----------------------------------------------------------


@pytest.fixture
def gift(tmp_path: Path) -> Iterator[Path]:
    """The gift kind registered, with its two templates in a folder of their own."""
    folder = tmp_path / "templates"
    folder.mkdir()
    text_name, html_name = GIFT.templates
    (folder / text_name).write_text(GIFT_TEXT, encoding="utf-8")
    (folder / html_name).write_text(GIFT_HTML, encoding="utf-8")
    with pytest.raises(InputError, match="unknown notice kind 'gift_received'"):
        render(GIFT.name, {}, folder)
    kinds.register(GIFT)
    try:
        yield folder
    finally:
        del kinds.REGISTRY[GIFT.name]


def test_a_new_kind_passes_every_template_check(gift: Path) -> None:
    assert kinds.names()[-1] == GIFT.name
    check_declared(GIFT, gift)
    check_kind(GIFT.name, gift)
    for path in gift.glob("*.j2"):
        assert _kind_of(path.name) == GIFT.name


def test_a_new_kind_is_previewed(gift: Path, initialised: Cli,
                                 new_review: Callable[..., str]) -> None:
    ref = new_review()
    (initialised.db.parent / "bvflow.toml").write_text(f'[templates]\ndir = "{gift}"\n')
    text = initialised.ok("notify", "preview", GIFT.name, "--review", ref).stdout
    assert text.startswith(f"Subject: {ref}: (the gift) on Monday 4 January 2027\n")
    # The coordinator sees the restricted paper.
    assert "  - (a paper) (options.pdf)\n" in text
    html = initialised.ok("notify", "preview", GIFT.name, "--review", ref, "--html").stdout
    assert "<h1>(the gift)</h1>" in html


def test_a_new_kind_is_redacted_by_its_own_rule(gift: Path) -> None:
    loaded = _loaded("Refuse collection")
    review = loaded.review
    review.id = 1
    paper = {"id": 3, "title": "Staffing options", "file_name": "options.pdf",
             "disclosure": "restricted"}
    people = [Recipient("sam@unison.example", "Sam", "member"),
              Recipient("alex@audit.example", "Alex", "observer")]
    context = context_for(loaded, "Exampleshire County Council", None,
                          gift={"title": "A staffing review", "on": "2027-01-12"})
    now = datetime(2027, 1, 12, 9, tzinfo=LONDON)
    rows = outbox_rows(review, GIFT.name, "gift:1", people, context, now, [paper])
    member, observer = (json.loads(r.context) for r in rows)
    assert (member["papers"], member["attachments"]) == ([paper], [3])
    assert member["gift"]["title"] == "A staffing review"
    assert (observer["papers"], observer["attachments"]) == ([], [])
    assert observer["gift"] == {"title": None, "on": "2027-01-12"}
    told = render(GIFT.name, observer, gift)
    assert told.subject == "BV-2027-001: a gift on Tuesday 12 January 2027"
    assert "Staffing options" not in told.text + told.html


def test_a_kind_without_papers_is_given_none() -> None:
    review = _loaded("Refuse collection").review
    with pytest.raises(ValueError, match="carries none"):
        outbox_rows(review, "stage_changed", "event:1", [Recipient("sam@unison.example")], {},
                    datetime(2027, 1, 12, 9, tzinfo=LONDON),
                    [{"id": 3, "title": "x", "file_name": "x.txt", "disclosure": "public"}])
