"""Reading drift inputs: every format pandas infers, one line per failure, and a size cap on
each file after decompression that stops a small archive from filling memory."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlboard.analytics.drift import DriftInputError
from mlboard.analytics.drift_files import DEFAULT_MAX_BYTES, format_size, parse_size, read_table

FRAME = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
CSV = FRAME.to_csv(index=False).encode()


def write(path, data: bytes):
    path.write_bytes(data)
    return path


def zipped(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_read_table_csv_tsv_and_compressed(tmp_path):
    FRAME.to_csv(tmp_path / "t.TSV", index=False, sep="\t")
    files = [
        write(tmp_path / "t.csv", CSV),
        tmp_path / "t.TSV",
        write(tmp_path / "t.csv.gz", gzip.compress(CSV)),
        write(tmp_path / "t.csv.bz2", bz2.compress(CSV)),
        write(tmp_path / "t.csv.xz", lzma.compress(CSV)),
        zipped(tmp_path / "t.csv.zip", {"t.csv": CSV}),
    ]
    for path in files:
        pd.testing.assert_frame_equal(read_table(path), FRAME, check_dtype=False)


def test_read_table_parquet_round_trip(tmp_path):
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]})
    frame.to_parquet(tmp_path / "t.pq")
    pd.testing.assert_frame_equal(read_table(tmp_path / "t.pq"), frame, check_dtype=False)


def test_read_table_errors_name_the_file(tmp_path):
    with pytest.raises(DriftInputError, match=r"missing\.csv: no such file"):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "t.xlsx").write_text("x")
    with pytest.raises(DriftInputError, match=r"unsupported file type '\.xlsx'"):
        read_table(tmp_path / "t.xlsx")
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(DriftInputError, match=r"bad\.csv.*line 3"):
        read_table(tmp_path / "bad.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DriftInputError, match=r"empty\.csv: the file is empty"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "latin.csv").write_bytes(b"name\ncaf\xe9\n")
    with pytest.raises(DriftInputError, match=r"latin\.csv: not UTF-8"):
        read_table(tmp_path / "latin.csv")
    (tmp_path / "junk.parquet").write_text("not parquet")
    with pytest.raises(DriftInputError, match=r"junk\.parquet"):
        read_table(tmp_path / "junk.parquet")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(DriftInputError, match="directory"):
        read_table(tmp_path / "folder.csv")


CUT_GZIP = gzip.compress(CSV * 100, mtime=0)[:40]  # no timestamp: the same bytes in every worker


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("cut.csv.gz", CUT_GZIP, "cut.csv.gz: cannot read the table: "),
        ("bad.csv.xz", b"not xz at all", "bad.csv.xz: cannot read the table: "),
        ("bad.csv.bz2", b"not bz2 at all", "bad.csv.bz2: cannot read the table: "),
        ("bad.csv.zip", b"not a zip", "bad.csv.zip: cannot read the table: "),
    ],
)
def test_a_damaged_archive_is_one_line_naming_the_file(tmp_path, name, data, message):
    with pytest.raises(DriftInputError) as refused:
        read_table(write(tmp_path / name, data))
    assert str(refused.value).startswith(f"{tmp_path / name}: cannot read the table: ")
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_a_zip_must_hold_exactly_one_table(tmp_path):
    two = zipped(tmp_path / "two.csv.zip", {"a.csv": CSV, "b.csv": CSV})
    with pytest.raises(DriftInputError, match=r"two\.csv\.zip: the zip archive holds 2 files"):
        read_table(two)
    empty = zipped(tmp_path / "none.csv.zip", {})
    with pytest.raises(DriftInputError, match=r"none\.csv\.zip: the zip archive holds no file"):
        read_table(empty)


# --- the size cap ------------------------------------------------------------------------------


def test_the_default_cap_is_two_gigabytes():
    assert DEFAULT_MAX_BYTES == 2_000_000_000 == parse_size("2GB")
    assert format_size(DEFAULT_MAX_BYTES) == "2 GB"


def expanding(rows: int) -> bytes:
    """A CSV of `rows` rows, `a,b\\n1,2\\n...`: 4 bytes a row once decompressed."""
    return b"a,b\n" + b"1,2\n" * rows


@pytest.mark.parametrize(
    ("name", "pack"),
    [
        ("big.csv", lambda data: data),
        ("big.csv.gz", gzip.compress),
        ("big.csv.bz2", bz2.compress),
        ("big.csv.xz", lzma.compress),
        ("big.csv.zip", None),
    ],
)
def test_each_format_stops_at_the_cap_after_decompression(tmp_path, name, pack):
    data = expanding(250_000)  # 1,000,004 bytes
    path = tmp_path / name
    if pack is None:
        zipped(path, {"big.csv": data})
    else:
        write(path, pack(data))
    with pytest.raises(DriftInputError) as refused:
        read_table(path, max_bytes=1_000_000)
    assert str(refused.value) == (
        f"{path}: larger than 1 MB once decompressed; --max-bytes raises the limit"
    )
    assert len(read_table(path, max_bytes=len(data)).index) == 250_000


def test_parquet_is_refused_by_its_declared_size(tmp_path):
    pytest.importorskip("pyarrow")
    pd.DataFrame({"a": range(100_000)}).to_parquet(tmp_path / "t.parquet")
    with pytest.raises(DriftInputError, match=r"t\.parquet: larger than 100 kB once decompressed"):
        read_table(tmp_path / "t.parquet", max_bytes=100_000)
    assert len(read_table(tmp_path / "t.parquet", max_bytes=10_000_000).index) == 100_000


def test_parquet_is_refused_by_its_decoded_size_when_its_metadata_understates_it(tmp_path):
    """One repeated string is stored once (dictionary encoding): the file and the size its
    metadata declares are tiny, the column pandas would build is not."""
    pq = pytest.importorskip("pyarrow.parquet")
    pd.DataFrame({"s": ["x" * 100] * 1_000_000}).to_parquet(tmp_path / "t.parquet")
    metadata = pq.ParquetFile(tmp_path / "t.parquet").metadata
    declared = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    assert declared < 100_000 and (tmp_path / "t.parquet").stat().st_size < 100_000
    with pytest.raises(DriftInputError, match=r"t\.parquet: larger than 10 MB once decompressed"):
        read_table(tmp_path / "t.parquet", max_bytes=10_000_000)
    assert len(read_table(tmp_path / "t.parquet", max_bytes=200_000_000).index) == 1_000_000


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("2000000", 2_000_000),
        ("2GB", 2_000_000_000),
        ("500MB", 500_000_000),
        ("500 mb", 500_000_000),
        ("1.5GiB", 1_610_612_736),
        ("10kb", 10_000),
        ("64KiB", 65_536),
        ("1TB", 10**12),
        ("12B", 12),
        (".5MB", 500_000),
    ],
)
def test_sizes_are_plain_bytes_or_units(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "2 GBs", "-1", "0", "0.1", "1e9", "2 G", "GB"])
def test_a_bad_size_is_refused_in_one_line(text):
    with pytest.raises(DriftInputError, match="--max-bytes"):
        parse_size(text)


@given(st.integers(min_value=1, max_value=10**13))
def test_a_formatted_size_reads_back_as_itself(size):
    """What an error says about the cap can be pasted back as --max-bytes."""
    assert parse_size(format_size(size).replace(",", "").replace(" bytes", "")) == size
    assert format_size(1_610_612_736) == "1.5 GiB" and format_size(2_310_000) == "2.31 MB"
