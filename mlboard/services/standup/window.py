"""The standup's window: from the previous working day's standup time to now, in the team's zone.

Everything is stored in UTC; the window is where the team's local days and standup time meet it.
`--since` moves its start (a date, a date-time, `yesterday` or an age like `36h`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from mlboard.errors import UserError


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime
    zone: tzinfo

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.since < moment <= self.until

    @property
    def today(self) -> date:
        return self.until.astimezone(self.zone).date()


def previous_working_day(day: date) -> date:
    """The working day before `day`: Friday for a Monday (or a weekend day)."""
    day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def standup_clock(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise UserError(f"standup_time {text!r} is not a time like 09:30") from None


_RELATIVE = re.compile(r"(\d+)\s*([hd])")


def parse_since(text: str, now: datetime, zone: tzinfo, standup_at: time) -> datetime:
    """`--since`: an ISO date or date-time (local), `yesterday`, or an age like `36h` / `3d`."""
    text = text.strip().lower()
    local_now = now.astimezone(zone)
    if text == "yesterday":
        day = local_now.date() - timedelta(days=1)
        return datetime.combine(day, standup_at, zone)
    if match := _RELATIVE.fullmatch(text):
        amount, unit = int(match[1]), match[2]
        return now - (timedelta(hours=amount) if unit == "h" else timedelta(days=amount))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"--since {text!r}: use a date (2026-11-24), a date-time (2026-11-24T09:30), "
            "'yesterday', or an age like 36h or 3d"
        ) from None
    if moment.tzinfo is None:
        if len(text) <= 10:  # a bare date: that day's standup
            moment = datetime.combine(moment.date(), standup_at)
        moment = moment.replace(tzinfo=zone)
    return moment


def default_window(now: datetime, zone: tzinfo, standup_at: time) -> Window:
    """Since the previous working day's standup (Friday's, on a Monday), until now.

    On a weekend day the window starts at Friday's standup: nothing since then was discussed.
    """
    today = now.astimezone(zone).date()
    working = today.weekday() < 5
    day = previous_working_day(today) if working else previous_working_day(today + timedelta(1))
    return Window(datetime.combine(day, standup_at, zone), now, zone)
