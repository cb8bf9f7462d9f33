"""What the Standup screen shows, read in one go: the digest, as JSON and Markdown, and each
person's cards of the active sprint.

Everything shown, copied or saved comes from this one read, so the Markdown says exactly what
the screen said. It is plain data, defined apart from the queries: `mlboard --screen standup`
reads it in a helper process while the app starts, and the app takes it without loading the
database layer (`tui.first_read`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from mlboard.services.stories.view import StoryView

if TYPE_CHECKING:
    from mlboard.services.workspace import Workspace


@dataclass(frozen=True)
class Standup:
    """What the screen shows: the digest's window, the digest (as JSON and Markdown) and each
    person's cards."""

    since: datetime
    today: date
    data: dict[str, Any]
    markdown: str
    sprint: str | None
    cards: dict[str, list[StoryView]]


def load_standup(ws: Workspace) -> Standup:
    from mlboard.services.planning.sprints import active_sprint_name
    from mlboard.services.standup.digest import standup_digest
    from mlboard.services.standup.text import digest_markdown
    from mlboard.services.stories.records import list_stories

    digest = standup_digest(ws)
    sprint = active_sprint_name(ws)
    cards: dict[str, list[StoryView]] = defaultdict(list)
    for story in list_stories(ws, sprint=sprint) if sprint else []:
        if story.assignee:
            cards[story.assignee].append(story)
    return Standup(
        since=digest.window.since,
        today=digest.window.today,
        data=digest.as_json(),
        markdown=digest_markdown(digest),
        sprint=sprint,
        cards=dict(cards),
    )
