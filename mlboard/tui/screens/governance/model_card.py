"""The model card preview: `mlboard model card` as a scrollable Markdown document.

The card is built in a worker (it reads the version, its run, the story, the checklist, the
datasets and the drift reports) and rendered by Textual's `Markdown` widget. Its gaps are the
point of a preview, so they are counted above the document and each stays in its section as
`TODO: …`, exactly as the exported file says it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from mlboard.errors import UserError
from mlboard.services.governance.card import ModelCard
from mlboard.services.governance.model_card import build_model_card
from mlboard.services.governance.model_card_markdown import card_markdown
from mlboard.services.workspace import Workspace
from mlboard.tui.host import host
from mlboard.tui.keys import bind
from mlboard.tui.widgets.key_footer import KeyFooter
from mlboard.wording import plural


@dataclass
class CardBuilt(Message):
    card: ModelCard | None
    error: str | None = None


def gaps_line(card: ModelCard) -> Content:
    gaps = [(section, message) for section, found in card.todo.items() for message in found]
    head = Content.assemble(
        ("Model card: ", "bold"), (card.name, "bold $accent"), (f" version {card.version}", "bold")
    )
    if not gaps:
        return Content("\n").join(
            [head, Content.styled("No gaps: every section has its record.", "$success")]
        )
    count = Content.assemble(
        (plural(len(gaps), "TODO"), "bold $warning"),
        (" — facts the board does not have, marked in their sections:", "$text-muted"),
    )
    sections = sorted({section.replace("_", " ") for section, _ in gaps})
    return Content("\n").join(
        [head, Content.assemble(count, " ", (", ".join(sections), "$warning"))]
    )


def marked(markdown: str) -> str:
    """The card as shown: each `TODO:` line flagged and in bold, so the gaps stand out while
    scrolling (what is copied stays the card as exported)."""
    return "\n".join(
        "- ⚠ **TODO**:" + line[len("- TODO:") :] if line.startswith("- TODO:") else line
        for line in markdown.split("\n")
    )


class ModelCardScreen(ModalScreen[None]):
    """The card of `name` (`version`, else the champion, else the latest)."""

    CSS_PATH = "governance.tcss"
    BINDINGS = [
        bind("close_model_card", "close", "Close"),
        bind("copy_model_card", "copy", "Copy", tooltip="Copy the card as Markdown"),
    ]

    def __init__(self, name: str, version: int | None = None) -> None:
        super().__init__()
        self.model_name = name
        self.version = version
        self.card: ModelCard | None = None
        self.markdown = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="model-card", classes="governance-dialog"):
            yield Static(Content.styled("building the card…", "$text-muted"), id="card-gaps")
            with VerticalScroll(id="card-scroll"):
                yield Markdown(id="card-markdown")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#card-scroll").focus()
        self._build()

    @property
    def workspace(self) -> Workspace:
        return host(self).workspace

    @work(thread=True, exclusive=True, group="model_card", exit_on_error=False)
    def _build(self) -> None:
        try:
            card = build_model_card(self.workspace, self.model_name, self.version)
        except UserError as error:
            self.post_message(CardBuilt(None, error.message))
            return
        self.post_message(CardBuilt(card))

    @on(CardBuilt)
    async def card_built(self, message: CardBuilt) -> None:
        gaps = self.query_one("#card-gaps", Static)
        if message.card is None:
            gaps.update(Content.styled(message.error or "", "$error"))
            return
        self.card, self.markdown = message.card, card_markdown(message.card)
        gaps.update(gaps_line(message.card))
        await self.query_one("#card-markdown", Markdown).update(marked(self.markdown))

    def action_copy(self) -> None:
        if not self.markdown:
            self.notify("The card is still being built.", markup=False)
            return
        self.app.copy_to_clipboard(self.markdown)
        self.notify("The model card is on the clipboard as Markdown.", title="Copied", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
