"""What makes text inert: no control character for a terminal, no formula for a spreadsheet, no
link, HTML, code span or mention in Markdown — and the text itself still readable."""

from __future__ import annotations

import csv
import io
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from mlboard.text_safety import csv_cell, markdown_inline, single_line, terminal_safe

HOSTILE = {
    "colour": "\x1b[31mred\x1b[0m",
    "OSC 8 hyperlink": "\x1b]8;;http://evil.example\x1b\\x\x1b]8;;\x1b\\",
    "OSC 0 window title": "\x1b]0;pwned\x07",
    "clear screen": "\x1b[2J",
    "carriage return": "over\rwrite",
    "bell": "ding\x07",
    "C1 CSI": "\x9b31mcsi",
    "DEL": "rub\x7fout",
    "NUL": "nul\x00l",
    "bidi override": "\u202eevil",
    "bidi isolate": "\u2066iso\u2069",
}


def controls(text: str, allowed: str = "") -> list[str]:
    """The characters of `text` a terminal may obey: C0, DEL, C1, bidi overrides and isolates."""
    return [
        ch
        for ch in text
        if ch not in allowed
        and (
            ord(ch) < 0x20
            or 0x7F <= ord(ch) <= 0x9F
            or "\u202a" <= ch <= "\u202e"
            or "\u2066" <= ch <= "\u2069"
        )
    ]


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_terminal_safe_text_has_no_control_and_keeps_what_is_visible(text):
    shown = terminal_safe(text)
    assert controls(shown) == []
    assert len(shown) == len(text)  # one space per character removed: nothing shifts
    visible = "".join(ch for ch in text if ch.isprintable())
    assert shown.replace(" ", "") == visible.replace(" ", "")


def test_a_description_keeps_its_lines_and_tabs_but_nothing_else():
    shown = terminal_safe("first\tline\x1b[2J\nsecond\r\nthird", keep_lines=True)
    assert shown == "first\tline [2J\nsecond \nthird"


@given(st.text())
def test_terminal_safe_never_lets_a_control_through(text):
    assert controls(terminal_safe(text)) == []
    assert controls(terminal_safe(text, keep_lines=True), allowed="\n\t") == []
    hidden = {"Cc", "Cf", "Zl", "Zp", "Cs"}
    assert not [
        ch
        for ch in terminal_safe(text)
        if unicodedata.category(ch) in hidden and ch not in "\u200c\u200d"
    ]


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\rdata", " data"),  # a carriage return is a space, as everywhere
        ("  =1+1", "'  =1+1"),  # importers that trim cells would see the formula
        ("\n@cmd", "'\n@cmd"),
        ("two\nlines\x1b[2J", "two\nlines [2J"),  # terminal-safe: `export` prints to stdout
        ("＝1+1", "'＝1+1"),  # the full-width sign
        ("-", "'-"),
        ("- a list item", "'- a list item"),
        ("-3", "-3"),  # text that is just a number stays a number
        ("+1.5e3", "+1.5e3"),
        (" -0.25 ", " -0.25 "),
        ("ML-12", "ML-12"),
        ("val_f1 >= 0.82", "val_f1 >= 0.82"),
        ("", ""),
        (None, ""),
        (3, 3),
        (-2.5, -2.5),
    ],
)
def test_csv_cells_that_would_be_formulas_are_text(value, written):
    assert csv_cell(value) == written


@given(st.text())
def test_no_csv_cell_starts_a_formula_unless_it_is_a_number(text):
    cell = csv_cell(text)
    assert isinstance(cell, str)
    assert controls(cell, allowed="\n\t") == []
    read = next(csv.reader(io.StringIO(_csv_line(cell))))[0]
    assert read == cell
    signs = ("=", "+", "-", "@")
    if read[:1] in (*signs, "\t") or read.lstrip()[:1] in signs:
        float(read)  # only a plain number may start with a sign


def _csv_line(cell: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([cell])
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------

COMMONMARK = MarkdownIt("commonmark").enable("table")
# Token types user text must never produce: links, images, HTML, code, emphasis, blocks.
ACTIVE = {
    "link_open", "image", "html_inline", "html_block", "code_inline", "code_block", "fence",
    "em_open", "strong_open", "heading_open", "bullet_list_open", "ordered_list_open",
    "blockquote_open", "hr", "table_open",
}  # fmt: skip
JOINER = "\u2060"


def inline_children(markdown: str) -> list:
    tokens = COMMONMARK.parse(markdown)
    return [child for token in tokens if token.type == "inline" for child in token.children or []]


def rendered_text(escaped: str, context: str) -> str:
    """What a CommonMark renderer shows of `escaped` placed in `context`, checked on the way to
    hold nothing but text: no link, HTML, code, emphasis, and no block of its own."""
    markdown = {
        "paragraph": escaped,
        "list item": f"- {escaped}",
        "table cell": f"| value |\n|---|\n| {escaped} |",
        "after a label": f"- **label**: {escaped}",
    }[context]
    tokens = COMMONMARK.parse(markdown)
    structure = [token.type for token in tokens if token.type != "inline"]
    expected = {
        "paragraph": ["paragraph_open", "paragraph_close"],
        "list item": ["bullet_list_open", "list_item_open", "paragraph_open", "paragraph_close",
                      "list_item_close", "bullet_list_close"],
        "after a label": ["bullet_list_open", "list_item_open", "paragraph_open",
                          "paragraph_close", "list_item_close", "bullet_list_close"],
    }  # fmt: skip
    if context in expected and escaped:
        assert structure == expected[context], (markdown, structure)
    children = [child for child in inline_children(markdown) if child.content or child.nesting]
    if context == "after a label":
        assert [c.type for c in children[:3]] == ["strong_open", "text", "strong_close"]
        children = children[3:]
    if context == "table cell":
        assert structure.count("tr_open") == 2 and structure.count("td_open") == 1, structure
        children = children[1:]  # the header cell's text
    assert not {token.type for token in tokens} & ACTIVE - {"bullet_list_open", "table_open"}
    assert [c.type for c in children if c.type != "text"] == [], (markdown, children)
    text = "".join(child.content for child in children)
    return text.removeprefix(":").removeprefix(" ") if context == "after a label" else text


CONTEXTS = ("paragraph", "list item", "table cell", "after a label")

ATTACKS = {
    "link": "[click me](http://evil.example)",
    "reference link": "[click me][1]\n[1]: http://evil.example",
    "image": "![x](http://evil.example/pixel.png)",
    "autolink": "<http://evil.example>",
    "HTML": '<img src=x onerror="alert(1)"><script>alert(1)</script>',
    "entity": "&lt;b&gt; &#x3C;i&#x3E;",
    "Slack link": "<http://evil.example|your invoice>",
    "Slack channel mention": "<!channel> and <!here> and <!everyone>",
    "Slack user mention": "<@U123ABC> <!subteam^S123>",
    "Teams mention": "<at>Everyone</at>",
    "plain mentions": "@channel @here @everyone @ana",
    "code span": "a `code` b and ```fence```",
    "emphasis": "*bold* **strong** _it_ __it__",
    "table break": "a | b || c",
    "heading": "# Heading",
    "list": "- item",
    "ordered list": "1. first",
    "fence": "~~~",
    "thematic break": "---",
    "thematic break after a list marker": "--",
    "setext": "===",
    "indented code": "    code",
    "trailing backslash": "line\\",
    "escape undone": "\\[not a link\\](http://evil.example)",
}


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_markdown_shows_attacks_as_text(attack, context):
    escaped = markdown_inline(attack)
    assert rendered_text(escaped, context).replace(JOINER, "") == single_line(attack)


def test_slack_control_sequences_and_broadcast_mentions_cannot_form():
    escaped = markdown_inline(ATTACKS["Slack channel mention"] + " " + ATTACKS["plain mentions"])
    assert "<" not in escaped and ">" not in escaped  # Slack's own escaping: &lt; &gt; &amp;
    for mention in ("@channel", "@here", "@everyone", "@ana"):
        assert mention not in escaped
        assert mention.replace("@", "@" + JOINER) in escaped  # reads the same
    assert markdown_inline("mail ana@example.com") == "mail ana@example.com"


def test_names_with_underscores_stay_readable():
    assert markdown_inline("val_f1 >= 0.82 on train_v2") == "val_f1 &gt;= 0.82 on train_v2"


@pytest.mark.parametrize("context", CONTEXTS)
@given(text=st.text())
def test_any_text_renders_as_itself_and_nothing_more(text, context):
    escaped = markdown_inline(text)
    assert "\n" not in escaped
    assert rendered_text(escaped, context).replace(JOINER, "") == single_line(text)


@given(st.text())
def test_markdown_has_no_terminal_control(text):
    assert controls(markdown_inline(text)) == []
