"""What the Standup screen shows, as literal styled text: pulse, people, cards, ML news."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from textual.content import Content

from mlboard.domain import STATUS_LABELS
from mlboard.services.stories.view import StoryView
from mlboard.tui.text import one_line
from mlboard.wording import percent, plural

MEETING_MINUTES = 10  # the timer turns $warning past this
MAX_ITEMS = 12  # lines of one kind in an ML panel before "… and N more"
CARD_ORDER = ("in_progress", "review", "todo", "backlog", "done")
STATUS_STYLES = {"in_progress": "$text-primary", "review": "$text-accent", "done": "$success"}
SEP = ("  ·  ", "$text-muted")


# ---------------------------------------------------------------- what the panels say


def _points(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _status(status: str) -> str:
    return STATUS_LABELS.get(status, status)  # type: ignore[call-overload]


def _key_order(key: str) -> tuple[bool, str, int]:
    prefix, _, number = key.rpartition("-")
    return (key == "no story", prefix, int(number) if number.isdigit() else 0)


def window_line(since: datetime) -> Content:
    return Content.assemble(("Standup", "bold"), f" since {since:%a %b %d %H:%M} → now")


def sprint_pulse(sprint: dict[str, Any] | None) -> Content:
    """`Sprint 24: 3 days left · 19 pts remaining (ideal 6.6) · chance to finish 40% (was 55%)`"""
    if sprint is None:
        return Content.styled("no active sprint", "$text-muted")
    left = sprint["days_left"]
    remaining, ideal = sprint["remaining_points"], sprint["ideal_remaining_points"]
    behind = remaining is not None and ideal is not None and remaining > ideal
    parts: list[str | tuple[str, str]] = [
        (one_line(sprint["name"]), "bold"),
        f": {plural(left, 'day')} left",
        SEP,
        (f"{_points(remaining)} pts remaining", "$warning" if behind else ""),
        f" (ideal {_points(ideal)})",
    ]
    now, then = sprint["p_finish"], sprint["p_finish_at_last_standup"]
    if now is not None:
        parts += [SEP, "chance to finish ", (percent(now), "bold")]
        if then is not None:
            trend = ("", "") if percent(now) == percent(then) else (
                (" ↑", "$success") if now > then else (" ↓", "$warning")
            )  # fmt: skip
            parts += [trend, (f" (was {percent(then)} at the last standup)", "$text-muted")]
    return Content.assemble(*parts)


def timer_text(seconds: float, running: bool) -> Content:
    minutes, rest = divmod(int(seconds), 60)
    style = "bold" if running else "$text-muted"
    if seconds >= MEETING_MINUTES * 60:
        style = "bold $warning"
    state = "" if running else (" paused" if seconds else " t to start")
    return Content.assemble(("◷ ", style), (f"{minutes:02d}:{rest:02d}", style), (state, "dim"))


def heading(text: str, count: int | None = None) -> Content:
    return Content.styled(text if count is None else f"{text} ({count})", "bold $text-secondary")


def person_lines(person: dict[str, Any], titles: dict[str, str]) -> Content:
    """Done, doing (days in status), blocked (reason), moved back and their note, literally."""
    lines: list[Content] = []

    def section(title: str, items: list[Content]) -> None:
        if items:
            lines.extend([heading(title), *items, Content("")])

    section(
        "Done since the last standup",
        [
            Content.assemble(("✓ ", "$success"), (key, "bold"), " ", one_line(titles.get(key)))
            for key in person["done"]
        ],
    )
    section(
        "Doing",
        [
            Content.assemble(
                ("● ", STATUS_STYLES.get(item["status"], "")),
                (item["story"], "bold"),
                (f" {_status(item['status'])} · {item['days_in_status']:g} d  ", "$text-muted"),
                one_line(item["title"]),
            )
            for item in person["doing"]
        ],
    )
    section(
        "Blocked",
        [
            Content.assemble(
                ("⊘ ", "$error"), (item["story"], "bold"), " ", one_line(item["reason"])
            )
            for item in person["blocked"]
        ],
    )
    section(
        "Moved back",
        [
            Content.assemble(
                ("↩ ", "$warning"),
                (item["story"], "bold"),
                f" {_status(item['from'])} → {_status(item['to'])}",
            )
            for item in person["moved_back"]
        ],
    )
    if not lines:
        lines += [Content.styled("Nothing on the board since the last standup.", "$text-muted")]
        lines.append(Content(""))
    note = person["note"]
    lines.append(heading("Note"))
    if note is None:
        lines.append(Content.styled("none yet — w to write one", "$text-muted"))
    for label in ("yesterday", "today", "blockers") if note else ():
        lines.append(
            Content.assemble((f"{label:<10}", "$text-muted"), one_line(note[label]) or "—")
        )
    return Content("\n").join(lines)


def card_lines(cards: list[StoryView], sprint: str | None) -> Content:
    """The person's cards in the active sprint, the ones in motion first; one line each."""
    title = heading(f"Their cards in {one_line(sprint)}" if sprint else "Their cards", len(cards))
    order = {status: index for index, status in enumerate(CARD_ORDER)}
    lines = [
        Content.assemble(
            (f"{story.key:<8}", "bold"),
            (f"{_status(story.status):<12}", STATUS_STYLES.get(story.status, "$text-muted")),
            ("⊘ " if story.blocked else "", "$error"),
            one_line(story.title),
        )
        for story in sorted(cards, key=lambda s: order.get(s.status, len(order)))
    ]
    if not cards:
        lines = [Content.styled("no cards in the active sprint", "$text-muted")]
    return Content("\n").join([title, *lines])


def ml_for(ml: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    """The part of the digest's ML news that concerns the stories `keys`."""

    def mine(item: dict[str, Any]) -> bool:
        return item.get("story") in keys or bool(keys.intersection(item.get("stories", ())))

    return {section: [item for item in items if mine(item)] for section, items in ml.items()}


def _capped(lines: list[Content]) -> list[Content]:
    if len(lines) <= MAX_ITEMS:
        return lines
    more = Content.styled(f"… and {len(lines) - MAX_ITEMS + 1} more", "$text-muted")
    return [*lines[: MAX_ITEMS - 1], more]


def run_lines(ml: dict[str, Any]) -> list[Content]:
    """Runs finished and failed, a line per story, failures first.

    `ML-5     ✓ 1 finished  ✗ 1 failed: nan-loss`
    """
    finished: dict[str, int] = defaultdict(int)
    failed: dict[str, list[str]] = defaultdict(list)
    for run in ml["runs_finished"]:
        for key in run["stories"] or ["no story"]:
            finished[key] += 1
    for run in ml["runs_failed"]:
        name = one_line(run["run_name"] or run["run_id"], 24)
        for key in run["stories"] or ["no story"]:
            failed[key].append(
                name if run["status"] == "FAILED" else f"{name} ({run['status'].lower()})"
            )
    lines = []
    for key in sorted(
        finished.keys() | failed.keys(), key=lambda k: (not failed[k], _key_order(k))
    ):
        parts: list[str | tuple[str, str]] = [(f"{key:<8} ", "bold")]
        if finished[key]:
            parts += [("✓ ", "$success"), f"{finished[key]} finished  "]
        if failed[key]:
            names = ", ".join(failed[key][:3]) + (" …" if len(failed[key]) > 3 else "")
            parts += [("✗ ", "$error"), (f"{len(failed[key])} failed: ", "$error"), names]
        lines.append(Content.assemble(*parts))
    return lines


def _for_stories(keys: list[str]) -> list[str | tuple[str, str]]:
    """`  · ML-12, ML-14`: the stories a model's runs count for, after its line."""
    return [("  · ", "$text-muted"), (", ".join(keys), "bold")] if keys else []


def model_lines(models: list[dict[str, Any]]) -> list[Content]:
    """Plain registrations grouped by model (`fraud  registered v3, v4`); aliases one a line;
    each naming the stories whose runs made them."""
    registered: dict[str, list[str]] = defaultdict(list)
    stories: dict[str, dict[str, None]] = defaultdict(dict)
    lines = []
    for model in models:
        if model["event"] == "registered" and not model["aliases"]:
            name = one_line(model["name"])
            registered[name].append(f"v{model['version']}")
            stories[name].update(dict.fromkeys(model["stories"]))
            continue
        verb = " registered" if model["event"] == "registered" else " aliases now"
        lines.append(
            Content.assemble(
                ("◆ ", "$text-accent"),
                (f"{one_line(model['name'])} v{model['version']}", "bold"),
                verb,
                (" " + one_line("@" + ", @".join(model["aliases"])), "$text-accent"),
                *_for_stories(model["stories"]),
            )
        )
    for name, versions in registered.items():
        shown = ", ".join(versions[:4]) + (f" … ({len(versions)})" if len(versions) > 4 else "")
        lines.append(
            Content.assemble(
                ("◆ ", "$text-accent"),
                (name, "bold"),
                f" registered {shown}",
                *_for_stories(list(stories[name])),
            )
        )
    return lines


def ml_lines(ml: dict[str, Any], *, quiet: str) -> Content:
    """Every kind of ML news in short literal lines, under a heading per kind."""
    sections: list[tuple[str, list[Content]]] = [
        (
            f"Runs ({len(ml['runs_finished'])} finished, {len(ml['runs_failed'])} failed)",
            run_lines(ml),
        ),
        (
            "New bests",
            [
                Content.assemble(
                    ("★ ", "$success"),
                    (best["story"], "bold"),
                    f" {one_line(best['metric'])} {_points(best['previous'])} → ",
                    (_points(best["new"]), "bold"),
                    ("  target met ✓", "$success")
                    if best["target_met"]
                    else (f"  not met ({one_line(best['target'])})", "$warning"),
                )
                for best in ml["new_bests"]
            ],
        ),
        (
            "Targets met",
            [
                Content.assemble(
                    ("◎ ", "$success"),
                    (met["story"], "bold"),
                    f" {one_line(met['target'])} ({_points(met['value'])})",
                )
                for met in ml["targets_met"]
            ],
        ),
        (
            "Long-running",
            [
                Content.assemble(
                    ("◷ ", "$warning"),
                    (" ".join([*run["stories"], ""]), "bold"),
                    one_line(run["message"]),
                )
                for run in ml["long_running"]
            ],
        ),
        (
            "Overfitting",
            [
                Content.assemble(
                    ("⚠ ", "$warning"), (w["story"], "bold"), " ", one_line(w["message"])
                )
                for w in ml["overfitting"]
            ],
        ),
        (
            "GPU budget and plateaus",
            [
                Content.assemble(("⚠ ", "$warning"), one_line(w["message"]))
                for w in ml["story_warnings"]
            ],
        ),
        (f"Models ({plural(len(ml['models']), 'version')})", model_lines(ml["models"])),
    ]
    lines: list[Content] = []
    for title, items in sections:
        if items:
            count = None if title.startswith(("Runs", "Models")) else len(items)
            lines += [heading(title, count), *_capped(items), Content("")]
    return Content("\n").join(lines[:-1]) if lines else Content.styled(quiet, "$text-muted")


# ---------------------------------------------------------------- the screen
