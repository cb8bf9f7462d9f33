"""Bad input never ends in a traceback: a clear UserError, and nothing half-written."""

from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlboard.config import load_settings
from mlboard.errors import UserError
from mlboard.services.jira_import import import_jira
from mlboard.services.stories import list_stories

TOML_VALUES = st.recursive(
    st.one_of(
        st.booleans(),
        st.integers(-10, 10),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
    ),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
KEYS = st.sampled_from(
    ["database", "key_prefix", "user", "tracking_uri", "standup_time", "link_writes_tag",
     "timezone", "alerts_open_stories", "keymap", "done", "unknown", "Database"]
)  # fmt: skip


def toml_text(table: dict) -> str:
    """TOML for a table of simple values (enough of the grammar for these tests)."""

    def value(item: object) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, (int, float)):
            return repr(item)
        if isinstance(item, str):
            return '"' + item.encode("unicode_escape").decode().replace('"', '\\"') + '"'
        if isinstance(item, list):
            return "[" + ", ".join(value(v) for v in item) + "]"
        return "{" + ", ".join(f'"{k}" = {value(v)}' for k, v in item.items()) + "}"

    return "\n".join(f"{key} = {value(item)}" for key, item in table.items()) + "\n"


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.dictionaries(KEYS, TOML_VALUES, max_size=5))
def test_any_config_table_loads_or_is_refused_clearly(tmp_path: Path, table: dict) -> None:
    text = toml_text(table)
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return  # our tiny writer made invalid TOML: covered by the next test
    (tmp_path / "mlboard.toml").write_text(text, encoding="utf-8")
    try:
        load_settings(cwd=tmp_path, environ={"MLBOARD_DB": str(tmp_path / "b.db")})
    except UserError as error:
        assert "mlboard.toml" in error.message
        assert "\n" not in error.message


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_any_config_text_loads_or_is_refused_clearly(tmp_path: Path, text: str) -> None:
    (tmp_path / "mlboard.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_settings(cwd=tmp_path, environ={"MLBOARD_DB": str(tmp_path / "b.db")})
    except UserError as error:
        assert "mlboard.toml" in error.message


CELLS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture],
          deadline=None)  # fmt: skip
@given(rows=st.lists(st.lists(CELLS, min_size=1, max_size=6), max_size=6), header=st.booleans())
def test_a_damaged_jira_file_imports_nothing(workspace, tmp_path: Path, rows, header) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(["Summary", "Issue key", "Status Category", "Custom field (Story Points)"])
    writer.writerows(rows)
    path = tmp_path / "export.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    before = len(list_stories(workspace))
    try:
        import_jira(workspace, path)
    except UserError as error:
        assert "\n" not in error.message.strip()
        assert len(list_stories(workspace)) == before
