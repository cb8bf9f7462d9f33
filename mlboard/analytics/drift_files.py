"""Reading the tables a drift check compares, without letting one file exhaust the machine.

A 1.5 MB `.csv.gz` can expand to gigabytes, and pandas keeps everything it parsed, so each input
has a size cap (`max_bytes`, default 2 GB) on its bytes *after decompression*:
* CSV/TSV, plain or .gz/.bz2/.xz/.zip/.zst (the codecs pandas infers from the name): the bytes
  are counted as pandas reads them, through a small reader, and the read stops the moment the
  count passes the cap. A plain file larger than the cap is refused before it is opened.
* Parquet: the uncompressed size its metadata declares, then the size of its values once
  decoded (counted a batch at a time), are checked before pandas reads it.

Every failure is a DriftInputError naming the file, and the line when the parser reports one.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from mlboard.analytics.drift import DriftInputError
from mlboard.errors import quoted

__all__ = ["DEFAULT_MAX_BYTES", "format_size", "parse_size", "read_table"]

DEFAULT_MAX_BYTES = 2_000_000_000  # 2 GB
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_UNITS_SHOWN = [
    (u, _UNITS[u.lower()]) for u in ("TB", "GB", "MB", "kB", "TiB", "GiB", "MiB", "KiB")
]
_SIZE = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+) *([a-z]*)")
_COMPRESSIONS = {".gz", ".bz2", ".zip", ".xz", ".zst"}
_READ_BUFFER = 1 << 20


def parse_size(text: str) -> int:
    """Bytes from `2000000`, `500MB`, `2GB`, `1.5GiB` (KB/MB/GB/TB are powers of 1000,
    KiB/MiB/GiB/TiB powers of 1024; case and a space before the unit do not matter)."""
    match = _SIZE.fullmatch(text.strip().lower())
    unit = _UNITS.get(match.group(2)) if match else None
    if match is None or unit is None:
        raise DriftInputError(
            f"--max-bytes {quoted(text)}: expected a size like 2GB, 500MB, 1.5GiB or 2000000"
        )
    size = round(float(match.group(1)) * unit)
    if size < 1:
        raise DriftInputError(f"--max-bytes {quoted(text)}: the size must be at least 1 byte")
    return size


def format_size(size: int) -> str:
    """`2 GB`, `10 MB`, `1.5 GiB`, `1,234 bytes`: the cap as people write it, and exactly."""
    for unit, factor in _UNITS_SHOWN:
        step = factor // (100 if factor % 1000 == 0 else 4)  # 2 decimals, or quarters
        if size >= factor and size % step == 0:
            whole, part = divmod(size, factor)
            decimals = f"{part * 100 // factor:02d}".rstrip("0")
            return f"{whole}.{decimals} {unit}" if decimals else f"{whole} {unit}"
    return f"{size:,} bytes"


def read_table(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> pd.DataFrame:
    """Read a CSV (.csv), TSV (.tsv) or Parquet (.parquet, .pq) file of at most `max_bytes`
    once decompressed; .gz/.bz2/.zip/.xz/.zst compressed CSV/TSV work too."""
    file = Path(path)
    suffixes = [suffix.lower() for suffix in file.suffixes]
    codec = suffixes.pop() if suffixes and suffixes[-1] in _COMPRESSIONS else None
    kind = suffixes[-1] if suffixes else ""
    if kind not in {".csv", ".tsv", ".parquet", ".pq"}:
        raise DriftInputError(
            f"{file}: unsupported file type {quoted(kind or '(no extension)')}; "
            "use .csv, .tsv, .parquet or .pq"
        )
    if not file.exists():
        raise DriftInputError(f"{file}: no such file")
    if file.is_dir():
        raise DriftInputError(f"{file}: is a directory, not a table")
    if kind in {".parquet", ".pq"}:
        return _read_parquet(file, max_bytes)
    if codec is None and file.stat().st_size > max_bytes:
        raise _too_big(file, max_bytes)
    try:
        with (
            _decompressed(file, codec) as stream,
            io.BufferedReader(_Capped(stream, max_bytes, file), _READ_BUFFER) as reader,
        ):
            frame = pd.read_csv(reader, sep="\t" if kind == ".tsv" else ",", low_memory=False)
    except DriftInputError:
        raise
    except pd.errors.EmptyDataError:
        raise DriftInputError(f"{file}: the file is empty (no header row)") from None
    except UnicodeDecodeError as error:
        raise DriftInputError(
            f"{file}: not UTF-8 text (bad byte at offset {error.start})"
        ) from None
    except (
        OSError,
        EOFError,
        ValueError,
        lzma.LZMAError,
        zipfile.BadZipFile,
        pd.errors.ParserError,
    ) as error:
        raise DriftInputError(f"{file}: cannot read the table: {_reason(error)}") from None
    if not isinstance(frame, pd.DataFrame):  # pragma: no cover - defensive
        raise DriftInputError(f"{file}: did not hold a table")
    return frame


class _Capped(io.RawIOBase):
    """The decompressed bytes of `file`, refused past `limit`: counted as pandas reads them, so
    an archive that expands without end stops at the cap instead of filling memory."""

    def __init__(self, stream: BinaryIO, limit: int, file: Path) -> None:
        super().__init__()
        self._stream = stream
        self._limit = limit
        self._file = file
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = self._stream.readinto(buffer)  # type: ignore[attr-defined]
        self._count += count
        if self._count > self._limit:
            raise _too_big(self._file, self._limit)
        return count


@contextmanager
def _decompressed(file: Path, codec: str | None) -> Iterator[BinaryIO]:
    """The file's bytes as pandas would decompress them, chosen by the same suffixes."""
    if codec == ".zip":
        with zipfile.ZipFile(file) as archive:
            names = [info.filename for info in archive.infolist() if not info.is_dir()]
            if len(names) != 1:  # pandas reads only archives that hold exactly one file
                found = f"{len(names)} files" if names else "no file"
                raise DriftInputError(f"{file}: the zip archive holds {found}, not one table")
            with archive.open(names[0]) as member:
                yield member  # type: ignore[misc]
        return
    if codec == ".zst":
        try:
            import zstandard  # pandas' own codec for .zst
        except ImportError:
            raise DriftInputError(
                f"{file}: reading .zst needs the 'zstandard' package (pip install zstandard)"
            ) from None
        opener = zstandard.open
    else:
        opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(codec or "", open)
    with opener(file, "rb") as stream:
        yield stream


def _read_parquet(file: Path, max_bytes: int) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DriftInputError(
            f"{file}: reading Parquet needs pyarrow, which the parquet extra installs "
            "(pip install 'mlboard[parquet]')"
        ) from None
    try:
        with pq.ParquetFile(file) as parquet:
            _check_parquet_size(file, parquet, max_bytes)
        return pd.read_parquet(file)
    except DriftInputError:
        raise
    except Exception as error:  # pyarrow raises its own types (ArrowInvalid, ...)
        raise DriftInputError(f"{file}: cannot read the Parquet file: {_reason(error)}") from None


def _check_parquet_size(file: Path, parquet: Any, max_bytes: int) -> None:
    """Refuse a file whose columns exceed `max_bytes` once decoded.

    The metadata's uncompressed size (the row groups' `total_byte_size`) is checked first, but
    it counts values after dictionary and run-length encoding: 500 KB of one repeated string
    declares 500 KB and decodes to gigabytes. So the values are then decoded one batch at a
    time, kept only long enough to be counted, before pandas reads the file.
    """
    metadata = parquet.metadata
    groups = range(metadata.num_row_groups)
    if sum(metadata.row_group(i).total_byte_size for i in groups) > max_bytes:
        raise _too_big(file, max_bytes)
    size = 0
    for batch in parquet.iter_batches():
        size += batch.nbytes
        if size > max_bytes:
            raise _too_big(file, max_bytes)


def _too_big(file: Path, limit: int) -> DriftInputError:
    return DriftInputError(
        f"{file}: larger than {format_size(limit)} once decompressed; --max-bytes raises the limit"
    )


def _reason(error: BaseException) -> str:
    """A library's message on one line, cut: some quote what they could not read."""
    message = " ".join(str(error).split()) or type(error).__name__
    return message if len(message) <= 200 else message[:199] + "…"
