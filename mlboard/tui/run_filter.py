"""The Experiments screen's filter line: `exp:churn status:failed unlinked lr-0.1`.

Experiment, status and "unlinked" become arguments of `list_runs`; the remaining words match
run names, ids, users and story keys in the rows already loaded. It belongs next to the board's
`parse_filter` in the services once `list_runs` can search text; until then the screen owns it.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from textual.suggester import Suggester

from mlboard.services.experiments.runs import RunView

STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
KEYWORDS = ("exp:", "status:", "unlinked")


@dataclass(frozen=True)
class RunFilter:
    """`exp:churn status:failed unlinked lr-0.1`: the first three go to the query."""

    experiment: str | None = None
    status: str | None = None
    unlinked: bool = False
    words: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.experiment or self.status or self.unlinked or self.words)

    def matches(self, run: RunView) -> bool:
        if not self.words:
            return True
        haystack = " ".join(
            (run.label, run.run_id, run.experiment_name, run.user, *run.stories)
        ).casefold()
        return all(word in haystack for word in self.words)


def parse_run_filter(text: str, experiments: Sequence[str]) -> RunFilter:
    """Read a filter line; an unknown status or experiment is a ValueError saying which."""
    try:
        terms = shlex.split(text)
    except ValueError:  # an unbalanced quote: take the text as plain words
        terms = text.split()
    experiment, status, unlinked, words = None, None, False, []
    known = {name.casefold(): name for name in experiments}
    for term in terms:
        lowered = term.casefold()
        if lowered.startswith(("exp:", "experiment:")):
            name = term.split(":", 1)[1]
            if name.casefold() not in known:
                raise ValueError(f"no synced experiment {name!r} (known: {', '.join(experiments)})")
            experiment = known[name.casefold()]
        elif lowered.startswith("status:"):
            status = term.split(":", 1)[1].upper()
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r} (choose from {', '.join(STATUSES)})")
        elif lowered in ("unlinked", "is:unlinked"):
            unlinked = True
        else:
            words.append(lowered)
    return RunFilter(experiment, status, unlinked, tuple(words))


class RunFilterSuggester(Suggester):
    """Completes the term being typed: `exp:` with experiment names, `status:` with statuses."""

    def __init__(self, experiments: Callable[[], Sequence[str]]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.experiments = experiments

    async def get_suggestion(self, value: str) -> str | None:
        last = value.rsplit(" ", 1)[-1]
        head, lowered = value[: len(value) - len(last)], last.casefold()
        for prefix, options in (
            ("exp:", self.experiments()),
            ("status:", [status.lower() for status in STATUSES]),
        ):
            if lowered.startswith(prefix):
                typed = lowered[len(prefix) :].lstrip('"')
                for option in options:
                    if option.casefold().startswith(typed) and len(option) > len(typed):
                        shown = f'"{option}"' if " " in option else option
                        return f"{head}{last[: len(prefix)]}{shown}"
                return None
        for keyword in KEYWORDS:
            if len(lowered) >= 2 and keyword.startswith(lowered) and keyword != lowered:
                return value + keyword[len(last) :]
        return None
