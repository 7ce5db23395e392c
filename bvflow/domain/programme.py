"""The authority's programme of reviews: which service is reviewed when, ranked by need.

The 1999 regime had every function reviewed within a period the Secretary of State set by
order (Local Government Act 1999 s.5(2)): five years, set for England by the Local Government
(Best Value) Performance Plans and Reviews Order 1999 (SI 1999/3251) art. 5, and for Wales by
the Local Government (Best Value) (Reviews and Performance Plans) (Wales) Order 2000
(SI 2000/1271 (W.97)) arts. 2 and 3, revoked by SI 2002/886 when Wales replaced the
cycle by a whole-authority analysis. The cycle is a setting (``[programme] cycle_years``, 5 by
default).

Need is counted in plain signals, each shown with its reason: the priority the authority
gave, indicators in the bottom quartile of their comparators, actions left overdue by
earlier reviews of the service, recommendations of a Best Value inspection of the service
(Local Government Act 1999 s.10, reported under s.13) whose actions are still open, and a
service not reviewed within the cycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

PRIORITIES: Final = ("high", "medium", "low")
_POINTS: Final = {"high": 3, "medium": 2, "low": 1}
DEFAULT_CYCLE_YEARS: Final = 5
STATUSES: Final = ("planned", "started", "dropped")


def service_key(service: str) -> str:
    """Services are matched whatever their case and spacing: "Housing  repairs" is one."""
    return " ".join(service.split()).casefold()


@dataclass(frozen=True)
class Need:
    """What the record says about a service's need for review, for one planned year."""

    priority: str
    bottom_quartile: tuple[str, ...] = ()  # indicator codes, from its latest review
    overdue_actions: tuple[str, ...] = ()  # "REF: title" of earlier reviews' overdue actions
    last_reviewed: int | None = None  # the year its latest review opened
    open_recommendations: tuple[str, ...] = ()  # inspection recommendations not yet done

    def score(self, year: int, cycle_years: int) -> int:
        """Priority points, and one for each other signal."""
        return (
            _POINTS[self.priority]
            + len(self.bottom_quartile)
            + len(self.overdue_actions)
            + len(self.open_recommendations)
            + (1 if self.out_of_cycle(year, cycle_years) else 0)
        )

    def out_of_cycle(self, year: int, cycle_years: int) -> bool:
        """Never reviewed, or a review in ``year`` comes later than the cycle allows: the
        next review is due by ``cycle_years`` after the year the last one opened (one
        opened in 2027 is due again by 2032, in a five-year cycle)."""
        return self.last_reviewed is None or year > self.last_reviewed + cycle_years

    def reasons(self, year: int, cycle_years: int) -> list[str]:
        """Each signal in words, as the programme shows it."""
        said = [f"{self.priority} priority"]
        if self.bottom_quartile:
            codes = ", ".join(self.bottom_quartile)
            said.append(f"{_count(len(self.bottom_quartile), 'indicator')} in the bottom "
                        f"quartile ({codes})")
        if self.overdue_actions:
            said.append(f"{_count(len(self.overdue_actions), 'overdue action')} from earlier "
                        f"reviews ({'; '.join(self.overdue_actions)})")
        if self.open_recommendations:
            counted = _count(len(self.open_recommendations), "open inspection recommendation")
            said.append(f"{counted} ({'; '.join(self.open_recommendations)})")
        if self.last_reviewed is None:
            said.append("never reviewed")
        elif self.out_of_cycle(year, cycle_years):
            said.append(f"last reviewed in {self.last_reviewed}, outside the "
                        f"{cycle_years}-year cycle")
        return said


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def out_of_cycle_services(
    last_reviewed: dict[str, tuple[str, int | None]],
    planned: Mapping[str, Sequence[int]],
    this_year: int,
    cycle_years: int,
) -> list[tuple[str, int | None]]:
    """Services the cycle has left behind, with none planned in time.

    A service never reviewed needs a review planned within the cycle (by ``this_year +
    cycle_years``); one last reviewed in year Y is due by Y + ``cycle_years`` and is listed
    once that year has come with no review planned for this year. ``last_reviewed`` maps a
    service key to its name and the year its latest review opened (None: never);
    ``planned`` maps a key to the years of its planned, unstarted items.
    """
    due = []
    for key, (name, year) in sorted(last_reviewed.items()):
        if year is not None and year + cycle_years > this_year:
            continue
        by = this_year + cycle_years if year is None else this_year
        if any(this_year <= y <= by for y in planned.get(key, ())):
            continue
        due.append((name, year))
    return due


def against_plan(planned: int, started: int | None, this_year: int) -> str:
    """A planned item against what happened, in words: on time, early, late, not yet due."""
    if started is not None:
        if started == planned:
            return "started as planned"
        gap = abs(started - planned)
        return f"started {_count(gap, 'year')} {'early' if started < planned else 'late'}"
    if planned < this_year:
        return f"not started: {_count(this_year - planned, 'year')} late"
    return "not started yet" if planned == this_year else "not due yet"
