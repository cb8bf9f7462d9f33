"""Burndown and burnup on the worked sprint, checked day by day by hand."""

from __future__ import annotations

import pytest
from analytics_builders import at, day, worked_sprint

from mlboard.analytics.burndown import ADDED, RE_ESTIMATED, REMOVED, burndown, burnup, ideal_line
from mlboard.analytics.velocity import sprint_velocity
from mlboard.analytics.workdays import WorkCalendar

# Day by day (end of day), from the story list in analytics_builders.worked_sprint:
#            Mon4 Tue5 Wed6 Thu7 Fri8 Sat9 Sun10 Mon11 Tue12 Wed13 Thu14 Fri15
# scope       11   11   11   14   13   13   13    16    18    18    18    18
#   Thu7 B 5→8 (+3), Fri8 E removed (−1), Mon11 D added (+3), Tue12 G created in S1 (+2);
#   C leaves S1 only at the close itself, which the chart does not draw as a removal.
# completed    0    0    3    3    3    3    3     3    11    14    14    14
#   Wed6 A 3, Tue12 B 8, Wed13 D 3, Thu14 F 0.
# remaining = scope − completed:
#             11   11    8   11   10   10   10    13     7     4     4     4
# ideal = 11 × (1 − working days so far / 10), flat over Sat 9 and Sun 10:
#            9.9  8.8  7.7  6.6  5.5  5.5  5.5   4.4   3.3   2.2   1.1   0
SCOPE = [11, 11, 11, 14, 13, 13, 13, 16, 18, 18, 18, 18]
COMPLETED = [0, 0, 3, 3, 3, 3, 3, 3, 11, 14, 14, 14]
IDEAL = [9.9, 8.8, 7.7, 6.6, 5.5, 5.5, 5.5, 4.4, 3.3, 2.2, 1.1, 0]


def test_worked_sprint_day_by_day() -> None:
    board, s1 = worked_sprint()
    chart = burndown(s1, board.stories(), now=at(day(20)))
    assert chart.committed == pytest.approx(11)
    assert [row.day for row in chart.days] == [day(n) for n in range(12)]
    assert [row.scope for row in chart.days] == pytest.approx(SCOPE)
    assert [row.completed for row in chart.days] == pytest.approx(COMPLETED)
    assert [row.remaining for row in chart.days] == pytest.approx(
        [s - c for s, c in zip(SCOPE, COMPLETED, strict=True)]
    )
    assert [row.ideal for row in chart.days] == pytest.approx(IDEAL)
    assert [row.working for row in chart.days] == [True] * 5 + [False] * 2 + [True] * 5
    # the last day's completed is the sprint's velocity
    assert chart.days[-1].completed == sprint_velocity(s1, board.stories()).completed


def test_scope_changes_are_marked() -> None:
    board, s1 = worked_sprint()
    chart = burndown(s1, board.stories(), now=at(day(20)))
    marks = [(c.day, c.story, c.delta, c.reason) for c in chart.scope_changes]
    assert marks == [
        (day(3), "B", 3.0, RE_ESTIMATED),  # 5 → 8
        (day(4), "E", -1.0, REMOVED),
        (day(7), "D", 3.0, ADDED),
        (day(8), "G", 2.0, ADDED),  # created directly in the sprint
    ]


def test_days_after_now_have_no_actual_values() -> None:
    board, s1 = worked_sprint()
    chart = burndown(s1, board.stories(), now=at(day(9), 15))  # Wednesday 13th, 15:00
    assert [row.scope for row in chart.days[:10]] == pytest.approx(SCOPE[:10])
    assert all(row.scope is row.completed is row.remaining is None for row in chart.days[10:])
    assert [row.ideal for row in chart.days] == pytest.approx(IDEAL)  # the guide is all there


def test_weekend_keeps_the_ideal_line_flat_and_holidays_too() -> None:
    days = [day(n) for n in range(12)]
    calendar = WorkCalendar.of(holidays={day(9)})  # Wednesday 13th off: 9 working days
    line = ideal_line(9, days, calendar)
    # 9 × (1 − w/9) = 9 − w: Mon..Fri 8,7,6,5,4; weekend 4,4; Mon 3, Tue 2, Wed (holiday) 2,
    # Thu 1, Fri 0.
    assert line == pytest.approx([8, 7, 6, 5, 4, 4, 4, 3, 2, 2, 1, 0])


def test_burnup_lines_are_scope_and_completed() -> None:
    board, s1 = worked_sprint()
    up = burnup(burndown(s1, board.stories(), now=at(day(20))))
    assert up.scope == pytest.approx(SCOPE)
    assert up.completed == pytest.approx(COMPLETED)
    assert up.days[0] == day(0) and up.days[-1] == day(11)
