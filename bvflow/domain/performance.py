"""Performance indicators against comparators, and options appraisal. Pure arithmetic.

Quartiles are those of the comparator group including the authority itself, computed with
the inclusive method (``statistics.quantiles``). The "top quartile" is the best 25%: above
the upper quartile when higher is better, below the lower quartile when lower is better.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Benchmark:
    """Where a value stands among comparators for one indicator and period."""

    value: float
    rank: int  # 1 is best
    of: int
    quartile: int  # 1 is the best quarter
    lower_quartile: float
    median: float
    upper_quartile: float
    top_quartile_threshold: float

    @property
    def in_top_quartile(self) -> bool:
        return self.quartile == 1


def benchmark(value: float, comparators: Sequence[float], higher_is_better: bool) -> Benchmark:
    """Rank and quartile of ``value`` among ``comparators`` (the authority included)."""
    group = [*comparators, value]
    if len(group) < 2:
        raise ValueError("benchmarking needs at least one comparator figure")
    q1, median, q3 = statistics.quantiles(group, n=4, method="inclusive")
    better = sum(1 for v in group if (v > value if higher_is_better else v < value))
    rank = better + 1
    if higher_is_better:
        quartile = 1 if value >= q3 else 2 if value >= median else 3 if value >= q1 else 4
        threshold = q3
    else:
        quartile = 1 if value <= q1 else 2 if value <= median else 3 if value <= q3 else 4
        threshold = q1
    return Benchmark(value, rank, len(group), quartile, q1, median, q3, threshold)


@dataclass(frozen=True)
class Appraised:
    name: str
    total: float
    scored: int
    chosen: bool


def appraise(
    options: Sequence[str],
    weights: Mapping[str, float],
    scores: Mapping[tuple[str, str], float],
    chosen: str | None,
) -> list[Appraised]:
    """Weighted scores on the criteria's 0-100 scale (sum of weight x score / sum of weights),
    best first; a criterion not yet scored counts as 0."""
    found = []
    whole = sum(weights.values()) or 1.0
    for option in options:
        given = {c: scores[(option, c)] for c in weights if (option, c) in scores}
        total = sum(weights[c] * s for c, s in given.items()) / whole
        found.append(Appraised(option, round(total, 4), len(given), option == chosen))
    return sorted(found, key=lambda a: (-a.total, a.name))


def against_target(target: float, actual: float | None, higher_is_better: bool) -> str:
    """A period's actual against its target: ``met``, ``not met``, or ``no figure yet``."""
    if actual is None:
        return "no figure yet"
    met = actual >= target if higher_is_better else actual <= target
    return "met" if met else "not met"


# A figure's standing against its target, in words: the colour a page gives it is only ever
# a second cue (WCAG 2.2 SC 1.4.1, use of colour).
STATUSES: Final = ("on target", "within tolerance", "off target", "no figure yet", "no target")


def status(
    target: float | None, actual: float | None, higher_is_better: bool, tolerance: float | None
) -> str:
    """``on target`` when the target is met; ``within tolerance`` when short of it by no more
    than ``tolerance`` (in the indicator's unit); otherwise ``off target``."""
    if target is None:
        return "no target"
    if actual is None:
        return "no figure yet"
    # Rounded: 3.2 - 3.0 is 0.2000000000000002 in binary floating point, and a figure exactly
    # at the tolerance is within it.
    shortfall = round((target - actual) if higher_is_better else (actual - target), 9)
    if shortfall <= 0:
        return "on target"
    if tolerance is not None and shortfall <= tolerance:
        return "within tolerance"
    return "off target"


def trend(figures: Sequence[float], higher_is_better: bool) -> str:
    """The direction of the last two figures: ``improving``, ``worse``, ``no change``, or
    ``too few figures``."""
    if len(figures) < 2:
        return "too few figures"
    change = figures[-1] - figures[-2]
    if change == 0:
        return "no change"
    return "improving" if (change > 0) == higher_is_better else "worse"
