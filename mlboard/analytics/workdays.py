"""Working-day calendars: which dates count as work (weekdays minus holidays)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

# date.weekday(): Monday is 0, Sunday is 6.
MON_FRI: frozenset[int] = frozenset(range(5))


def date_range(start: date, end: date) -> Iterator[date]:
    """Every calendar date from `start` to `end`, both inclusive (nothing if end < start)."""
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Working weekdays (0 = Monday) and holiday dates; a working day is one of the weekdays
    that is not a holiday."""

    weekdays: frozenset[int] = MON_FRI
    holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def of(
        cls, weekdays: Collection[int] = MON_FRI, holidays: Collection[date] = ()
    ) -> WorkCalendar:
        bad = [day for day in weekdays if not 0 <= day <= 6]
        if bad:
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), got {bad}")
        return cls(frozenset(weekdays), frozenset(holidays))

    def is_working(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def working_days(self, start: date, end: date) -> list[date]:
        """The working days from `start` to `end`, both inclusive."""
        return [day for day in date_range(start, end) if self.is_working(day)]

    def count(self, start: date, end: date) -> int:
        return len(self.working_days(start, end))


def days_left(end: date, today: date) -> int:
    """Calendar days from `today` to a sprint's `end`, the end day included; never negative.

    How the board header, the Planning screen and the standup all say "3 days left".
    """
    return max((end - today).days + 1, 0)
