"""Property-based tests (hypothesis) of the working-day calendar and the definition loader."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bvflow.domain.calendar import NATIONS, WorkingCalendar
from bvflow.domain.definition import Definition, parse_definition
from bvflow.errors import DefinitionError
from bvflow.workflow_files import parse_source

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
nations = st.sampled_from(sorted(NATIONS))


@given(nations, days, st.integers(min_value=1, max_value=250))
@settings(max_examples=150, deadline=None)
def test_nth_counting_day_has_exactly_n_working_days_before_it(nation: str, start: date,
                                                                n: int) -> None:
    calendar = WorkingCalendar(nation)
    end = calendar.nth_counting_day(start, n)
    assert calendar.is_working_day(end)
    assert calendar.clear_days_between(start, end + timedelta(days=1)) == n
    assert calendar.clear_days_between(start, end) == n - 1


@given(nations, days, days)
@settings(max_examples=150, deadline=None)
def test_clear_days_count_working_days_strictly_between(nation: str, a: date, b: date) -> None:
    calendar = WorkingCalendar(nation)
    start, end = min(a, b), max(a, b)
    if (end - start).days > 800:
        end = start + timedelta(days=800)
    expected = sum(1 for i in range(1, (end - start).days)
                   if calendar.is_working_day(start + timedelta(days=i)))
    assert calendar.clear_days_between(start, end) == expected


@given(nations, days, st.integers(min_value=0, max_value=100))
@settings(max_examples=100, deadline=None)
def test_excluding_days_never_brings_a_date_forward(nation: str, start: date, n: int) -> None:
    calendar = WorkingCalendar(nation)
    excluded = frozenset(start + timedelta(days=i) for i in range(1, 15, 3))
    assert calendar.nth_counting_day(start, n, excluded) >= calendar.nth_counting_day(start, n)


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=True), st.text(max_size=30))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=20)
stage = st.fixed_dictionaries({"name": st.one_of(st.sampled_from(["a", "b", "c", "closed"]),
                                                 scalars)},
                              optional={"min_working_days": values, "target_working_days": values,
                                        "final": values, "next": values, "requires": values,
                                        "reminders": values, "title": values})
definitions = st.fixed_dictionaries(
    {"name": st.one_of(st.just("wf"), scalars), "stages": st.one_of(st.lists(stage,
                                                                            max_size=5), values)},
    optional={"title": values, "version": values, "involvement": values, "reminders": values,
              "evidence_kinds": values, "extra": values})


def attempt(load: Callable[[], Definition]) -> Definition | DefinitionError:
    """The definition, or the DefinitionError (any other exception fails the test)."""
    try:
        return load()
    except DefinitionError as exc:
        return exc


@given(definitions)
@settings(max_examples=300, deadline=None)
def test_any_data_either_validates_or_lists_its_problems(data: dict[str, object]) -> None:
    result = attempt(lambda: parse_definition(data, "generated"))
    if isinstance(result, DefinitionError):
        assert result.problems
        assert all(p.message for p in result.problems)
    else:
        assert result.stages[-1].final


@given(st.text(max_size=400))
@settings(max_examples=300, deadline=None)
def test_any_text_either_validates_or_is_a_definition_error(text: str) -> None:
    result = attempt(lambda: parse_source(text, "generated.yaml"))
    if isinstance(result, DefinitionError):
        assert result.problems
