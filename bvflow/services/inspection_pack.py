"""What the inspection pack adds for the inspector: the files, the history, a README, hashes.

A Best Value inspector (Local Government Act 1999 s.10) has a right of access to the
authority's documents that appear necessary for the inspection (s.11; the Explanatory Notes,
para. 38, liken it to an auditor's access under the Audit Commission Act 1998 s.6), so the
pack holds every evidence file of the review whatever its disclosure level, and the
withdrawn ones (marked in the index). It holds too the earlier inspections of the review's
service: each report file, the findings, the recommendations with their actions' status, and
the authority's responses. ``MANIFEST.sha256`` lists the SHA-256 of every other file in the
pack in the format ``sha256sum -c`` checks.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Final

from bvflow.services.inspections import history_of
from bvflow.store import Session, repo
from bvflow.store.models import Inspection

MANIFEST: Final = "MANIFEST.sha256"
HISTORY: Final = "earlier-inspections.json"


def evidence_files(session: Session, review_id: int) -> dict[str, bytes]:
    """Every evidence file of the review (all disclosure levels, withdrawn ones too), named
    ``evidence/ID-FILENAME`` so two papers with one name do not collide."""
    rows = repo.evidence_for(session, review_id, include_withdrawn=True)
    return {f"evidence/{r.id}-{r.file_name}": r.content
            for r in rows if r.content is not None and r.file_name}


def history(session: Session, service: str, today: date) -> dict[str, bytes]:
    """The service's inspections as JSON, and each inspector's report file."""
    found = history_of(session, service, today)
    files = {HISTORY: (json.dumps([i.as_dict() for i in found], indent=2) + "\n").encode()}
    for view in found:
        row = session.get(Inspection, view.id)
        if row is not None and row.content is not None:
            files[f"inspections/{row.id}-{row.file_name}"] = row.content
    return files


def readme(ref: str, service: str, generated_at: str) -> bytes:
    """The inspector's guide to the pack: what each file is and how to check it."""
    return README.format(ref=ref, service=service, generated_at=generated_at).encode()


def manifest(files: dict[str, bytes]) -> bytes:
    """``sha256sum`` lines for every file (two spaces between the hash and the name)."""
    return "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())
    ).encode()


README: Final = """\
Inspection pack for review {ref} ({service})
Generated {generated_at} by bvflow.

What each file is
-----------------
report.html, report.md   The review's internal report: every stage, paper, meeting,
                         agreement and dissent, and every timetable override.
evidence-index.csv       Every paper of the review: id, stage, kind, title, disclosure,
                         file name, the SHA-256 of its file, when it was recorded.
evidence/ID-NAME         The papers' files themselves, all disclosure levels (public,
                         restricted, confidential) and withdrawn ones: an inspector has a
                         right of access to the authority's documents (Local Government
                         Act 1999 s.11). ID is the evidence-index.csv id.
audit-trail.csv          Every audit event of the review, with its hash.
verify.json              The verdict on the WHOLE audit chain when the pack was made.
earlier-inspections.json The Best Value inspections of {service} (LGA 1999 s.10, reported
                         under s.13): judgements, findings, recommendations with the
                         status of the action answering each, and the authority's
                         responses.
inspections/ID-NAME      The inspectors' report files of those inspections.
MANIFEST.sha256          The SHA-256 of every other file in this pack.

How to check it
---------------
1. The files are as bvflow wrote them: unzip the pack and, in its folder, run
       sha256sum -c MANIFEST.sha256
   Every line must say OK.
2. Each paper is the one recorded: its SHA-256 in MANIFEST.sha256 equals the sha256
   column of evidence-index.csv (and the file_sha256 of its evidence.added event).
3. The record is the one the chain proves: against the council's database, run
       bvflow audit verify
   It re-hashes the whole chain, rebuilds every table from the events, and checks every
   stored file against the SHA-256 its event recorded; "intact" and the head it prints
   should match verify.json here, or come later in the same chain
   (bvflow audit verify --checkpoint HEAD_SEQ:HEAD_HASH, with head_seq and head_hash
   from verify.json, shows that the chain still holds the events the pack was made from).
"""
