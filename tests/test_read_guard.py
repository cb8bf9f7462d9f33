"""The guard that keeps tests inside the checkout notices a read beside it or in the home folder."""

from __future__ import annotations

from pathlib import Path

import pytest

import read_guard


@pytest.mark.parametrize(
    "path",
    [read_guard.CHECKOUT.parent / "shared" / "no-such-file", Path.home() / ".no-such-mlboard-file"],
)
def test_a_read_beside_the_checkout_or_at_home_is_caught(path: Path) -> None:
    with pytest.raises(OSError):
        path.open().close()
    assert str(path) in read_guard.touched
    read_guard.touched.clear()  # this test's own read, on purpose


def test_reads_inside_the_checkout_and_temporary_folders_pass(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("x")
    (read_guard.CHECKOUT / "README.md").read_text()
    assert read_guard.touched == []
