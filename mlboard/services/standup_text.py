"""The standup digest as lines: Markdown for chat and docs, and the same lines for the terminal.

Markdown must paste cleanly into Slack, Teams or Confluence: one line per item, every line made
inert by `markdown_inline` (no control codes, links, HTML or mentions from what people typed).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from mlboard.services.standup import Digest
from mlboard.text_safety import markdown_inline, single_line
from mlboard.wording import noun, percent, plural

Line = tuple[str, str]  # (kind: h1 | h2 | item | warn, text)


def _clean(text: object) -> str:
    """One line of user text: control characters and line breaks flattened."""
    return single_line(str(text))


def _value(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def _points(value: float | None) -> str:
    return f"{_value(value)} {noun(0 if value is None else value, 'point')}"


def _people(people: list[dict[str, Any]]) -> Iterator[Line]:
    for person in people:
        yield "h2", f"{_clean(person['name'])} (@{person['member']})"
        quiet = True
        for key in person["done"]:
            quiet = False
            yield "item", f"done: {key}"
        for item in person["doing"]:
            quiet = False
            yield (
                "item",
                (
                    f"{item['status'].replace('_', ' ')}: {item['story']} {_clean(item['title'])} "
                    f"({item['days_in_status']:g} d)"
                ),
            )
        for item in person["blocked"]:
            quiet = False
            yield "warn", f"blocked: {item['story']} — {_clean(item['reason'])}"
        for item in person["moved_back"]:
            quiet = False
            yield "warn", f"moved back: {item['story']} {item['from']} → {item['to']}"
        if note := person["note"]:
            quiet = False
            for label in ("yesterday", "today", "blockers"):
                if note[label]:
                    yield "item", f"{label}: {_clean(note[label])}"
        if quiet:
            yield "item", "nothing on the board since the last standup"


def _runs(title: str, runs: list[dict[str, Any]]) -> Iterator[Line]:
    for run in runs:
        stories = ", ".join(run["stories"]) or "no story"
        yield "item", f"{title}: {_clean(run['run_name'] or run['run_id'])} ({stories})"


def _ml(ml: dict[str, Any]) -> Iterator[Line]:
    yield "h2", "ML activity"
    yield from _runs("finished", ml["runs_finished"])
    for run in ml["runs_failed"]:
        stories = ", ".join(run["stories"]) or "no story"
        yield "warn", f"{run['status'].lower()}: {_clean(run['run_name'])} ({stories})"
    for best in ml["new_bests"]:
        verdict = "target met" if best["target_met"] else "target not met"
        yield (
            "item",
            (
                f"new best on {best['story']}: {best['metric']} {_value(best['previous'])} → "
                f"{_value(best['new'])} ({best['target']}, {verdict})"
            ),
        )
    for met in ml["targets_met"]:
        yield "item", f"target met: {met['story']} {met['target']} ({_value(met['value'])})"
    for run in ml["long_running"]:
        yield "warn", _clean(run["message"])
    for warning in ml["overfitting"]:
        yield "warn", f"{warning['story']}: {_clean(warning['message'])}"
    for model in ml["models"]:
        aliases = f" [{', '.join(model['aliases'])}]" if model["aliases"] else ""
        verb = "registered" if model["event"] == "registered" else "aliases now"
        stories = f" ({', '.join(model['stories'])})" if model["stories"] else ""
        yield "item", f"model {_clean(model['name'])} v{model['version']} {verb}{aliases}{stories}"
    for warning in ml["story_warnings"]:
        yield "warn", _clean(warning["message"])
    if not any(ml.values()):
        yield "item", "no runs finished or failed, no new bests, no model changes"


def _sprint(sprint: dict[str, Any] | None) -> Iterator[Line]:
    yield "h2", "Sprint"
    if sprint is None:
        yield "item", "no active sprint"
        return
    yield "item", f"{_clean(sprint['name'])}: {plural(sprint['days_left'], 'day')} left"
    yield (
        "item",
        (
            f"remaining {_points(sprint['remaining_points'])} "
            f"(ideal {_value(sprint['ideal_remaining_points'])})"
        ),
    )
    now, then = sprint["p_finish"], sprint["p_finish_at_last_standup"]
    if now is not None:
        change = "" if then is None else f" (was {percent(then)} at the last standup)"
        yield "item", f"chance to finish on time: {percent(now)}{change}"


def _data(data: dict[str, Any] | None) -> Iterator[Line]:
    if not data or not any(data.values()):
        return
    yield "h2", "Data"
    for run in data["pipelines_failed"]:
        error = f": {_clean(run['error'])[:120]}" if run["error"] else ""
        yield "warn", f"pipeline {_clean(run['pipeline'])} failed{error}"
    for item in data["pipelines_stale"]:
        yield "warn", f"pipeline {_clean(item['pipeline'])} went stale"
    for report in data["drift"]:
        columns = ", ".join(report["columns"])
        yield "warn", f"drift on {_clean(report['model'] or 'a dataset')}: {columns}"
    for alert in data["alerts_opened"]:
        yield "warn", f"alert #{alert['id']}: {_clean(alert['message'])}"
    for alert in data["alerts_resolved"]:
        yield "item", f"resolved: alert #{alert['id']} {_clean(alert['subject'])}"
    for item in data["blocked_by_data"]:
        yield "warn", f"{item['story']} blocked by data: {_clean('; '.join(item['reasons']))}"


def digest_lines(data: dict[str, Any]) -> list[Line]:
    since = datetime.fromisoformat(data["since"])
    lines: list[Line] = [("h1", f"Standup since {since:%a %b %d %H:%M} ({since:%Z})")]
    lines += list(_people(data["people"]))
    lines += list(_ml(data["ml"]))
    lines += list(_sprint(data["sprint"]))
    lines += list(_data(data.get("data")))
    return lines


_MARKDOWN = {"h1": "## {}", "h2": "\n**{}**", "item": "- {}", "warn": "- ⚠ {}"}


def digest_markdown(digest: Digest) -> str:
    return (
        "\n".join(
            _MARKDOWN[kind].format(markdown_inline(text))
            for kind, text in digest_lines(digest.as_json())
        )
        + "\n"
    )
