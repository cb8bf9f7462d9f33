"""Models: every registered version, grouped by model, newest first, with its run and stories.

Registries are small (tens to hundreds of versions), so the whole list is one table. Aliases
(`champion`, `challenger`) replace MLflow's deprecated stages and are what a team promotes, so
they get the colour.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import DataTable, Header, Static

from mlboard.services.experiments.runs import ModelVersionView, list_model_versions
from mlboard.tui.keys import bind
from mlboard.tui.screens.screen_base import ScreenBase
from mlboard.tui.screens.stories.story_detail import StoryDetailScreen
from mlboard.tui.text import cell
from mlboard.tui.widgets.key_footer import KeyFooter
from mlboard.tui.widgets.steady_table import SteadyTable
from mlboard.wording import noun

COLUMNS = (
    ("model", "Model", 24),
    ("version", "Version", 7),
    ("aliases", "Aliases", 18),
    ("status", "Status", 20),
    ("run", "Run", 24),
    ("stories", "Stories", 14),
    ("created", "Created", 16),
)


class ModelsScreen(ScreenBase):
    """Enter on a version whose run is linked opens the story."""

    CSS_PATH = "models.tcss"
    TITLE = "mlboard · Models"
    BINDINGS = [bind("refresh", "reload", "Refresh")]

    def __init__(self) -> None:
        super().__init__()
        self.versions: list[ModelVersionView] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="models-summary")
        yield SteadyTable(id="models", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#models", DataTable)

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.table.add_column(Text(label), width=width, key=key)
        self.load()
        self.table.focus()

    def refresh_data(self) -> None:
        self.load()

    def load(self) -> None:
        self.mark_read()
        self.versions = list_model_versions(self.workspace)
        table = self.table
        keep = table.cursor_row
        table.clear()
        for row, version in zip(self.rows(self.versions), self.versions, strict=True):
            table.add_row(*row, key=f"{version.name}\x00{version.version}")
        if self.versions:
            table.move_cursor(row=min(keep, len(self.versions) - 1), animate=False)
        self.query_one("#models-summary", Static).update(self.summary())

    def summary(self) -> Content:
        if not self.versions:
            return Content.assemble(
                ("No registered models synced yet. ", "bold"),
                "Press s to sync from MLflow; registered versions and their aliases show here.",
            )
        models = len({v.name for v in self.versions})
        return Content.assemble(
            (f"{models}", "bold"),
            f" {noun(models, 'model')} · ",
            (f"{len(self.versions)}", "bold"),
            f" {noun(len(self.versions), 'version')} · newest first",
        )

    def rows(self, versions: Sequence[ModelVersionView]) -> list[list[Text]]:
        """One row per version; the model's name only on its newest, so groups stand out.

        Model and run names come from MLflow as anyone typed them: `cell` keeps them on one line.
        """
        colors = self.app.theme_variables
        rows, previous = [], None
        for version in versions:
            created = version.created_at
            rows.append(
                [
                    cell(version.name if version.name != previous else "", "bold"),
                    Text(f"v{version.version}", justify="right"),
                    Text(" ".join(version.aliases), style=f"bold {colors.get('accent', '')}"),
                    Text(version.status, style=colors.get("text-muted", "")),
                    cell(version.run_name or "—"),
                    Text(", ".join(version.stories) or "—", style=colors.get("text-primary", "")),
                    Text(created.astimezone().strftime("%Y-%m-%d %H:%M") if created else ""),
                ]
            )
            previous = version.name
        return rows

    @on(DataTable.RowSelected)
    def open_story(self, event: DataTable.RowSelected) -> None:
        version = self.versions[event.cursor_row]
        if version.stories:
            self.app.push_screen(StoryDetailScreen(version.stories[0]), self._after_story)

    def _after_story(self, edited: str | None) -> None:
        if edited is not None:
            self.host.data_changed()
