"""A repository's config file says where data goes and who acts only once the user trusts it.

The user here works in a folder holding someone else's `mlboard.toml`; their own MLflow token is
in the environment, and a tiny HTTP server on 127.0.0.1 stands in for a tracking server the file
points at, so a test can see whether anything was sent to it.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from mlboard.cli import app
from mlboard.config import load_settings
from mlboard.errors import UserError

from processes import child_env

TOKEN = "s3cret-token"


class Listener(ThreadingHTTPServer):
    """Answers every request 404 (as a server without MLflow would) and remembers it."""

    def __init__(self) -> None:
        self.accepted = 0
        self.requests: list[tuple[str, str | None]] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                listener.requests.append((self.path, self.headers.get("Authorization")))
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"error_code": "ENDPOINT_NOT_FOUND", "message": "no"}')

            do_GET = do_POST

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def get_request(self):  # socketserver's own signature
        self.accepted += 1
        return super().get_request()

    def connections(self) -> int:
        """Every connection made so far, including one still waiting to be accepted."""
        waiting, _, _ = select.select([self.socket], [], [], 0)
        return self.accepted + len(waiting)


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cloned repository the user works in, with only their own token in the environment."""
    folder = tmp_path.resolve() / "repo"
    (folder / "src").mkdir(parents=True)
    for name in ("MLBOARD_DB", "MLBOARD_USER", "MLFLOW_TRACKING_URI", "MLBOARD_KEY_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.chdir(folder / "src")
    return folder


def mlboard(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def ok(*args: str) -> str:
    result = mlboard(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def refused(*args: str) -> str:
    result = mlboard(*args)
    assert isinstance(result.exception, UserError), (result.output, result.exception)
    assert result.exception.exit_code == 2
    return result.exception.message


# Each setting that needs trust, with a command that would obey it: what the file says, the
# command, the user's own environment, and how the refusal says to override the setting.
LISTENS = {"MLFLOW_TRACKING_URI": "LISTENER"}
CASES = {
    "database": ('database = "board.db"', ["sync"], LISTENS, "--db or MLBOARD_DB"),
    "tracking_uri": ('tracking_uri = "LISTENER"', ["--db", "../board.db", "sync"], {},
                     "MLFLOW_TRACKING_URI"),
    "user": ('user = "eve"', ["--db", "../board.db", "sync"], LISTENS, "MLBOARD_USER"),
}  # fmt: skip


@pytest.mark.parametrize("key", CASES)
def test_an_untrusted_setting_is_refused_before_anything_is_opened_or_sent(
    repo: Path, listener: Listener, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    line, args, environ, override = CASES[key]
    config = repo / "mlboard.toml"
    config.write_text(line.replace("LISTENER", listener.uri) + '\nkey_prefix = "CV"\n')
    for name, value in environ.items():
        monkeypatch.setenv(name, value.replace("LISTENER", listener.uri))

    message = refused(*args)

    assert message == (
        f"{config} sets {key}; run `mlboard config trust {config}` to use it "
        f"(or override: {override})"
    )
    assert not (repo / "board.db").exists()
    assert listener.connections() == 0

    ok("config", "trust")
    result = mlboard(*args)  # the listener is no MLflow server: sync now fails on its answer
    assert "cannot list experiments" in str(result.exception)
    assert (repo / "board.db").exists()
    assert listener.requests[0] == ("/api/2.0/mlflow/experiments/search", f"Bearer {TOKEN}")


def test_the_trusted_user_becomes_the_actor(repo: Path) -> None:
    (repo / "mlboard.toml").write_text('user = "eve"\n')
    assert "sets user" in refused("--db", "../b.db", "story", "add", "Try CatBoost")
    ok("config", "trust", "../mlboard.toml")
    ok("--db", "../b.db", "story", "add", "Try CatBoost")
    entries = json.loads(ok("--db", "../b.db", "audit", "--format", "json"))
    assert [(e["entity"], e["actor"]) for e in entries] == [("story", "eve"), ("storyevent", "eve")]


def test_an_edited_file_must_be_trusted_again(repo: Path) -> None:
    config = repo / "pyproject.toml"
    config.write_text('[project]\nname = "vision"\n\n[tool.mlboard]\ndatabase = "board.db"\n')
    ok("config", "trust")
    ok("init")
    config.write_text(config.read_text().replace("board.db", "elsewhere.db"))

    message = refused("init")

    assert message.startswith(f"{config} changed since you trusted it and sets database; ")
    assert not (repo / "elsewhere.db").exists()
    ok("config", "trust")
    assert "elsewhere.db" in ok("where")


def test_settings_that_say_nothing_about_where_data_goes_need_no_trust(repo: Path) -> None:
    (repo / "mlboard.toml").write_text('key_prefix = "CV"\nstandup_time = "10:00"\n[done]\n')
    ok("--db", "../b.db", "story", "add", "Label the new images")
    assert "CV-1" in ok("--db", "../b.db", "story", "list")


def test_a_file_with_a_mistake_anywhere_is_not_trusted(repo: Path) -> None:
    """The whole file is checked as it is read, `[done]` too: trusting a broken file would only
    move the refusal to the next command."""
    config = repo / "mlboard.toml"
    config.write_text('database = "../b.db"\n[done]\nsensitive_kinds = ["paperwork"]\n')
    mistake = f"{config}: 'done.sensitive_kinds' has 'paperwork', which is not a story kind"
    assert refused("config", "trust").startswith(mistake)
    config.write_text('database = "../b.db"\n[done]\nsensitive_kinds = ["model"]\n')
    assert "sets database;" in refused("story", "list")  # nothing was trusted


def test_flags_and_variables_override_an_untrusted_file_without_trust(
    repo: Path, listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "mlboard.toml").write_text(
        f'database = "../theirs.db"\nuser = "eve"\ntracking_uri = "{listener.uri}"\n'
    )
    assert "sets database, tracking_uri, user;" in refused("story", "list")
    monkeypatch.setenv("MLBOARD_USER", "ana")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{repo / 'mine.db'}")
    ok("--db", "../mine.db", "story", "add", "Mine")
    monkeypatch.setenv("MLBOARD_DB", str(repo / "env.db"))
    ok("story", "add", "Also mine")
    assert not (repo / "theirs.db").exists()

    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    assert "sets tracking_uri;" in refused("sync")
    result = mlboard("sync", "--tracking-uri", f"sqlite:///{repo / 'missing.db'}")
    assert "missing.db" in str(result.exception)  # the flag's store, not the file's server
    assert listener.connections() == 0


def test_where_says_whether_the_config_is_trusted(repo: Path) -> None:
    config = repo / "mlboard.toml"
    config.write_text('key_prefix = "CV"\n')
    assert "trust:    not trusted; not needed: it sets none of database, tracking_uri, user" in ok(
        "where"
    )
    config.write_text('database = "board.db"\n')
    shown = ok("where")
    assert f"config:   {config}\n" in shown
    assert (
        "trust:    not trusted: it sets database, so commands here refuse it until "
        f"`mlboard config trust {config}`"
    ) in shown
    assert "trust:    not trusted; not needed here: database overridden" in ok(
        "--db", "x.db", "where"
    )
    store = ok("config", "trust").splitlines()[-1].removeprefix("recorded in ")
    assert f"trust:    trusted (recorded in {store})" in ok("where")
    config.write_text('database = "other.db"\n')
    assert "trust:    changed since trusted: it sets database" in ok("where")
    assert not (repo / "board.db").exists() and not (repo / "other.db").exists()


def test_config_trust_names_the_file_and_what_it_sets(repo: Path, user_config_folder: Path) -> None:
    config = repo / "mlboard.toml"
    config.write_text('database = "board.db"\ntracking_uri = ["sqlite:///m.db", "http://x"]\n')
    assert ok("config", "trust").splitlines() == [
        f"trusted {config}",
        '  database = "board.db"',
        '  tracking_uri = ["sqlite:///m.db", "http://x"]',
        f"recorded in {user_config_folder / 'mlboard' / 'trusted.json'}",
    ]
    records = json.loads((user_config_folder / "mlboard" / "trusted.json").read_text())
    assert list(records["trusted"]) == [str(config)]

    assert ok("config", "untrust").strip() == f"no longer trusted: {config}"
    assert "sets database, tracking_uri;" in refused("init")


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "mlboard.toml", "no such file"),
        ('[project]\nname = "x"\n', "pyproject.toml", "has no [tool.mlboard] table"),
        ('database = "b.db"\n', "board.toml", "mlboard reads only mlboard.toml or pyproject.toml"),
        ('databse = "b.db"\n', "mlboard.toml", "unknown setting 'databse'"),
    ],
)
def test_config_trust_refuses_what_is_not_a_config_file(
    repo: Path, user_config_folder: Path, content: str | None, name: str, message: str
) -> None:
    if content is not None:
        (repo / name).write_text(content)
    assert message in refused("config", "trust", str(repo / name))
    assert not (user_config_folder / "mlboard").exists()


def test_config_trust_without_a_config_file_says_so(repo: Path) -> None:
    assert "nothing to trust" in refused("config", "trust")


def test_a_symlinked_folder_is_the_same_file_and_a_linked_file_is_another(
    repo: Path, tmp_path: Path
) -> None:
    (repo / "mlboard.toml").write_text('database = "board.db"\n')
    alias = tmp_path / "alias"
    alias.symlink_to(repo)
    ok("config", "trust", str(alias / "mlboard.toml"))
    assert ok("init").startswith(f"database ready: {repo / 'board.db'}")

    # A link to the trusted file from another folder would put the board in that folder.
    other = tmp_path / "other"
    other.mkdir()
    (other / "mlboard.toml").symlink_to(repo / "mlboard.toml")
    with pytest.raises(UserError, match="sets database"):
        load_settings(cwd=other, environ={})


def test_an_unreadable_trust_store_is_one_line_naming_it(
    repo: Path, user_config_folder: Path
) -> None:
    (repo / "mlboard.toml").write_text('database = "board.db"\n')
    store = user_config_folder / "mlboard" / "trusted.json"
    store.parent.mkdir()
    store.write_text("{not json")
    message = refused("init")
    assert message.startswith(f"{store}: not a trust record file") and "\n" not in message


def test_the_bare_command_and_a_subcommand_refuse_in_one_line(tmp_path: Path) -> None:
    """The executable as users run it: the fast path to the board, and the full CLI."""
    (tmp_path / "mlboard.toml").write_text('database = "board.db"\n')
    for args in ([], ["story", "list"]):
        result = subprocess.run(
            [sys.executable, "-m", "mlboard", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=child_env(tmp_path, MLBOARD_USER="ana"),
            input="\x11",  # ctrl+q: a board opened by mistake closes again instead of waiting
            check=False,
        )
        config = tmp_path.resolve() / "mlboard.toml"
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr == (
            f"error: {config} sets database; run `mlboard config trust {config}` to use it "
            "(or override: --db or MLBOARD_DB)\n"
        )
    assert not (tmp_path / "board.db").exists()
