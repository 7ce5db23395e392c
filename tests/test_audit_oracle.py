"""The audit chain against values worked out by hand, not by the product's own functions.

The records below are written out as literal text, and their hashes were computed once with
``hashlib.sha256(prev_hash + record)`` and pinned: a chain that stopped hashing the previous
link, changed its canonical form or its text encoding, or a verify that stopped checking the
links, fails here even if it still agrees with itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bvflow.domain.audit import (
    GENESIS,
    NewEvent,
    SealedEvent,
    Verdict,
    canonical,
    format_instant,
    parse_instant,
    seal,
    verify_chain,
)

RECORD_1 = (
    '{"action":"authority.initialised","actor":"jo","at":"2027-01-04T09:30:00.000000Z",'
    '"from_stage":null,"payload":{"authority":"Exampleshire County Council",'
    '"nation":"england"},"review":null,"seq":1,"to_stage":null}'
)
HASH_1 = "5f36cbadb10ee6bfda0051c411eeb13aa5192ca6f2c8cfcac20e31f68251623d"
RECORD_2 = (
    '{"action":"agreement.recorded","actor":"jo","at":"2027-01-05T14:00:00.250000Z",'
    '"from_stage":"challenge","payload":{"agreed_by":["Tenants’ Federation"],'
    '"dissent":["UNISON"]},"review":"BV-2027-001","seq":2,"to_stage":"challenge"}'
)
HASH_2 = "47ee3e8ae6b8c645a5d4df7184a2055d5d457b6f52013663d241cebd7944ced7"

# An event that carries its row changes and the authenticated login (schema 0007 on).
RECORD_3 = (
    '{"action":"review.suspended","actor":"Chief Executive","at":"2027-01-06T10:00:00.000000Z",'
    '"changes":[{"key":{"id":1},"op":"update","table":"reviews","values":{"__expect__":'
    '{"version":3},"status":"suspended","version":4}}],"from_stage":"challenge","login":"jo",'
    '"payload":{"reason":"Purdah"},"review":"BV-2027-001","seq":3,"to_stage":"challenge"}'
)
HASH_3 = "c2e8a5e27be558619ffe4f9bab3da8f1ebd818000529bac8e1d7e06519ccccdc"
THIRD_CHANGE = {"op": "update", "table": "reviews", "key": {"id": 1},
                "values": {"status": "suspended", "version": 4, "__expect__": {"version": 3}}}
THIRD = NewEvent(datetime(2027, 1, 6, 10, 0, tzinfo=UTC), "Chief Executive",
                 "review.suspended", "BV-2027-001", "challenge", "challenge",
                 {"reason": "Purdah"}, changes=(THIRD_CHANGE,), login="jo")

FIRST = NewEvent(datetime(2027, 1, 4, 9, 30, tzinfo=UTC), "jo", "authority.initialised",
                 payload={"nation": "england", "authority": "Exampleshire County Council"})
SECOND = NewEvent(datetime(2027, 1, 5, 14, 0, 0, 250000, tzinfo=UTC), "jo",
                  "agreement.recorded", "BV-2027-001", "challenge", "challenge",
                  {"dissent": ["UNISON"], "agreed_by": ["Tenants’ Federation"]})


def chain() -> list[SealedEvent]:
    one = seal(FIRST, 1, GENESIS)
    return [one, seal(SECOND, 2, one.hash)]


def test_the_pinned_hashes_are_sha256_of_the_previous_hash_and_the_record() -> None:
    # The oracle checks itself with hashlib alone, so the pins cannot drift.
    assert hashlib.sha256(b"0" * 64 + RECORD_1.encode()).hexdigest() == HASH_1
    assert hashlib.sha256(HASH_1.encode() + RECORD_2.encode("utf-8")).hexdigest() == HASH_2
    assert hashlib.sha256(HASH_2.encode() + RECORD_3.encode("utf-8")).hexdigest() == HASH_3


def test_an_event_with_changes_and_a_login_seals_them_into_its_record() -> None:
    third = seal(THIRD, 3, HASH_2)
    assert (third.record, third.prev_hash, third.hash, third.login) == (
        RECORD_3, HASH_2, HASH_3, "jo")
    assert (third.seq, third.at, third.actor, third.action) == (
        3, datetime(2027, 1, 6, 10, 0, tzinfo=UTC), "Chief Executive", "review.suspended")
    assert third.data["changes"] == [THIRD_CHANGE]
    assert third.payload == {"reason": "Purdah"}
    three = [*chain(), third]
    assert verify_chain(three, recorded_head=(3, HASH_3)) == Verdict(True, 3, 3, HASH_3)


def test_the_login_column_must_match_the_record_unless_it_was_never_filled() -> None:
    one, two = chain()
    third = seal(THIRD, 3, HASH_2)
    # A column lost in a downgrade (None) still verifies: the record holds the login.
    unfilled = replace(third, login=None)
    assert verify_chain([one, two, unfilled]) == Verdict(True, 3, 3, HASH_3)
    forged = replace(third, login="mallory")
    assert verify_chain([one, two, forged]) == Verdict(
        False, 2, 2, HASH_2, 3, "its login column does not match its hashed record")
    # An event sealed without a login has none in its record, and none may be claimed.
    claimed = replace(two, login="jo")
    assert verify_chain([one, claimed]) == Verdict(
        False, 1, 1, HASH_1, 2, "its login column does not match its hashed record")


def test_a_record_that_is_not_an_object_is_found() -> None:
    one = seal(FIRST, 1, GENESIS)
    text = "[1, 2]"
    digest = hashlib.sha256(GENESIS.encode() + text.encode()).hexdigest()
    odd = replace(one, record=text, hash=digest)
    assert verify_chain([odd]).problem == "its stored record is not valid JSON"


def test_instants_parse_back_exactly() -> None:
    moment = datetime(2027, 1, 5, 14, 0, 0, 250000, tzinfo=UTC)
    assert parse_instant("2027-01-05T14:00:00.250000Z") == moment
    assert parse_instant(format_instant(moment)) == moment
    assert parse_instant("2027-01-05T14:00:00.250000Z").tzinfo is UTC
    with pytest.raises(ValueError, match="does not match format"):
        parse_instant("2027-01-05 14:00:00")


def test_sealing_gives_the_records_and_hashes_worked_out_by_hand() -> None:
    one, two = chain()
    assert (one.record, one.prev_hash, one.hash) == (RECORD_1, GENESIS, HASH_1)
    assert (two.record, two.prev_hash, two.hash) == (RECORD_2, HASH_1, HASH_2)


def test_the_same_record_after_another_link_hashes_differently() -> None:
    """The previous hash is part of what is hashed: a record cannot be moved elsewhere."""
    moved = seal(SECOND, 2, "f" * 64)
    assert moved.record == RECORD_2
    assert moved.hash == hashlib.sha256(b"f" * 64 + RECORD_2.encode()).hexdigest()
    assert moved.hash != HASH_2


def test_verify_accepts_the_hand_made_chain_and_its_head() -> None:
    verdict = verify_chain(chain(), recorded_head=(2, HASH_2), checkpoint=(1, HASH_1))
    assert (verdict.intact, verdict.checked, verdict.head_seq, verdict.head_hash) == \
        (True, 2, 2, HASH_2)


def test_verify_finds_a_link_that_does_not_follow_even_when_its_hash_is_consistent() -> None:
    """An event re-sealed onto a wrong link is self-consistent: only the link check sees it."""
    one, two = chain()
    forged = seal(SECOND, 2, "e" * 64)
    verdict = verify_chain([one, forged])
    assert (verdict.intact, verdict.bad_seq) == (False, 2)
    assert verdict.problem == "it does not follow the event before it (inserted, removed or moved)"
    assert verify_chain([one, two]).intact


def test_verify_finds_a_record_whose_hash_was_not_recomputed() -> None:
    one, two = chain()
    altered = replace(two, record=RECORD_2.replace("UNISON", "UNIS0N"))
    verdict = verify_chain([one, altered])
    assert (verdict.intact, verdict.bad_seq) == (False, 2)
    assert verdict.problem == "its record does not match its hash (altered)"


def test_verify_finds_a_column_that_disagrees_with_its_record() -> None:
    one, two = chain()
    verdict = verify_chain([one, replace(two, actor="Chief Executive")])
    assert verdict.problem == "its actor column does not match its hashed record"
    verdict = verify_chain([one, replace(two, at=datetime(2027, 1, 5, tzinfo=UTC))])
    assert verdict.problem == "its at column does not match its hashed record"


def test_verify_finds_a_missing_first_event_and_a_duplicate() -> None:
    one, two = chain()
    assert verify_chain([two]).problem == "event 1 is missing (removed)"
    assert verify_chain([one, one]).problem == \
        "event 1 appears out of order or twice (inserted or moved)"
    assert verify_chain([one], recorded_head=(2, HASH_2)).bad_seq == 2


def test_every_verdict_in_full() -> None:
    """Each finding is checked whole: how far verification got, the head it reached, the
    event it names and the words it uses."""
    one, two = chain()
    assert verify_chain([]) == Verdict(True, 0, 0, GENESIS)
    assert verify_chain([one, seal(SECOND, 2, "e" * 64)]) == Verdict(
        False, 1, 1, HASH_1, 2,
        "it does not follow the event before it (inserted, removed or moved)")
    assert verify_chain([one, two], checkpoint=(2, "d" * 64)) == Verdict(
        False, 1, 2, HASH_2, 2, "its hash differs from the checkpoint (the chain was rewritten)")
    assert verify_chain([one], checkpoint=(2, HASH_2)) == Verdict(
        False, 1, 1, HASH_1, 2, "checkpoint event 2 is no longer in the chain (removed)")
    assert verify_chain([one], recorded_head=(2, HASH_2)) == Verdict(
        False, 1, 1, HASH_1, 2, "the chain ends at event 1 but the head records event 2 "
        "(events removed from the end)")
    assert verify_chain([one, two], recorded_head=(1, HASH_1)) == Verdict(
        False, 2, 2, HASH_2, None, "the head was moved back from event 2 to event 1 "
        "(the events themselves are intact up to 2)")
    assert verify_chain([one, two], recorded_head=(2, "c" * 64)) == Verdict(
        False, 2, 2, HASH_2, None, "the head's hash is not event 2's (the head was edited)")
    assert verify_chain([one, two], checkpoint=(1, HASH_1)) == Verdict(True, 2, 2, HASH_2)
    assert verify_chain([one, two]).as_dict() == {
        "intact": True, "checked": 2, "head_seq": 2, "head_hash": HASH_2, "bad_seq": None,
        "problem": None}


def test_a_record_that_is_not_json_or_lacks_a_column_is_found() -> None:
    one, two = chain()
    broken = replace(two, record="{not json", hash=hashlib.sha256(
        HASH_1.encode() + b"{not json").hexdigest())
    assert verify_chain([one, broken]).problem == "its stored record is not valid JSON"
    for column, value in (("review", None), ("from_stage", "compare"), ("to_stage", None),
                          ("action", "review.advanced"), ("seq", 2)):
        altered = replace(two, **{column: value})
        found = verify_chain([one, altered]).problem
        if column == "seq":
            assert found is None  # the same value: nothing to find
        else:
            assert found == f"its {column} column does not match its hashed record", column


def test_canonical_form_and_instants() -> None:
    assert canonical({"b": 1, "a": [1, "é"], "c": None}) == '{"a":[1,"é"],"b":1,"c":null}'
    assert format_instant(datetime(2027, 3, 28, 2, 30, 0, 5, tzinfo=UTC)) == \
        "2027-03-28T02:30:00.000005Z"
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical({"x": float("nan")})
    assert seal(FIRST, 1, GENESIS).at.tzinfo is UTC
