"""Big exports with bounded memory: one big file, a folder or a zip of daily exports.

    res = ingest_big("exports/")          # folder of CSV/Parquet files with the same columns
    res.report.to_dict()                  # the quality report of intake.ingest, over every file
    res.summary()                         # intake.summarise_orders' KPIs, computed in DuckDB
    res.to_frame()                        # the canonical lines, when they fit in memory
    res.close()                           # removes the temporary DuckDB file

How memory stays bounded as the input grows:
- The kind and the column mapping are decided once, on a sample (the first rows of the first
  file), by intake.detect_kind / intake.map_columns, then forced on every chunk (a remembered
  or hand-made mapping can be passed as `mapping_override`, as for one file).
- CSVs go through Arrow's streaming reader, Parquet row group by row group, in chunks of
  about `chunk_rows` lines. Each chunk is cleaned by intake.ingest exactly as a small file
  is, then appended to a table in a DuckDB file on disk. Peak memory is one chunk's worth
  plus DuckDB's `memory_limit`, whatever the number of lines; DuckDB spills to disk.
- KPIs are SQL over the stored lines (`summary()`): the definitions of
  intake.summarise_orders (README), with Kahan summation for the money.

Where chunking could change an answer, it is made not to:
- An order never straddles two chunks: the lines of a chunk's last order are carried into
  the next chunk, so order-level fields filled from an order's first line (Shopify) and
  duplicate lines within an order are found as in one file (orders must be contiguous, as
  every export we know writes them).
- The date format is decided from the whole column, not per chunk: a first pass reads the
  date column alone and looks for a day above 12 in either position; a chunk (or a daily
  file) whose own dates all fit both day-first and month-first is read the way the whole
  column settles it.
- Exact duplicate lines across chunks or files (the same daily export twice, overlapping
  exports) are marked in DuckDB: lines equal on every mapped field and on the line type.
  Within a chunk the duplicate test is intake's (the whole raw row).
- Implausible dates (dates.implausible_dates) are judged against the whole store's bulk: the
  chunks are first cleaned with the fixed bounds only while their dates are collected in
  DuckDB; the chunks holding a date far from the store's bulk are then cleaned again with it.
  Times are likewise converted to the whole column's most common time-zone offset.
- Chat exports (one row per message) are grouped by conversation whole: messages are staged in
  DuckDB and cleaned in partitions by a hash of the conversation id.
- A UTF-8 file with a few broken lines loses those lines only (skipped while streaming, and
  reported with their line numbers), as in the one-file path; the encoding is decided over
  the whole file by the one-file path's rule.

Zip uploads (`extract_zip`) are unpacked member by member into a private folder under
generated names: a member's path is never used as a path (no traversal), links and
encrypted members are skipped, and sizes are checked against ECOM_MAX_UNZIPPED_MB while
the bytes are read (a zip bomb stops at the limit, whatever its headers claim).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from ecom_models.core import dates
from ecom_models.intake import intake as intake
from ecom_models.core import whole_store
from ecom_models.core.errors import InputError
from ecom_models.intake.schemas import ORDERS_FIELDS, SYNONYM_INDEX

SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".jsonl", ".ndjson", ".json", ".xlsx")
STREAMED = (".csv", ".tsv", ".txt", ".parquet")  # read in chunks; the others are read whole, file by file
DEFAULT_CHUNK_ROWS = 250_000
SAMPLE_ROWS = 20_000
DEFAULT_BIG_MB = 100  # single files above this go through the chunked path in the CLI
DEFAULT_MAX_UNZIPPED_MB = 5000
MAX_ZIP_MEMBERS = 5000
_DATE_FIELD = {"orders": "order_date", "reviews": "date", "traffic": "date", "support": "created_at"}


def big_file_bytes() -> int:
    return int(float(os.environ.get("ECOM_BIG_FILE_MB", DEFAULT_BIG_MB)) * 1024 * 1024)


def max_unzipped_bytes() -> int:
    return int(float(os.environ.get("ECOM_MAX_UNZIPPED_MB", DEFAULT_MAX_UNZIPPED_MB)) * 1024 * 1024)


def wants_big(path: str | Path) -> bool:
    """A folder, a zip, or a file too big to read whole: the chunked path."""
    p = Path(path)
    if p.is_dir() or p.suffix.lower() == ".zip":
        return True
    return p.is_file() and p.suffix.lower() in STREAMED and p.stat().st_size > big_file_bytes()


# ---------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------
def list_files(path: str | Path) -> list[Path]:
    """The exports in a folder (not recursing; hidden files skipped), sorted by name, or the one file."""
    p = Path(path)
    if not p.exists():
        raise InputError("the file or folder does not exist.", file=str(path), fix="check the path.")
    if p.is_file():
        return [p]
    files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith(".")
                   and f.suffix.lower() in SUFFIXES)
    if not files:
        raise InputError("the folder holds no CSV, Parquet, Excel or JSON Lines export.", file=p.name,
                         fix="put the daily exports (same columns in every file) in the folder.")
    return files


@dataclass
class _FileFormat:
    format: str
    encoding: str = "utf-8"
    delimiter: str = ","
    header: list[str] = field(default_factory=list)
    broken: "_Broken | None" = None  # UTF-8 lines with invalid bytes, left out while reading
    whole_losses: tuple = (0, 0, [])  # files read whole: (blank rows, bad lines, their examples)


@dataclass
class _Broken:
    """Lines of a UTF-8 file holding invalid bytes: byte ranges (the whole line, its newline
    included), their line numbers (header = line 1) and the first few for the report."""
    ranges: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    examples: list = field(default_factory=list)


_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def _scan_utf8(fh, total_bytes: int) -> tuple[_Broken | None, bool]:
    """Read the whole file once in blocks cut at line ends. Returns (broken lines, or None when
    there are too many to be a UTF-8 file with a few damaged lines; whether anything outside
    the broken lines proves UTF-8 (a multi-byte character)).

    The decision is lenient.decode_utf8_lenient's on the whole file (the one-file path's): more
    than max(20, 1% of the lines) broken lines, or nothing but ASCII outside them, and the file
    is taken to be in another encoding."""
    from ecom_models.intake import lenient

    broken = _Broken()
    proves = False
    lines_before = 0  # newlines before the current block
    base = fh.tell()
    carry = b""
    while True:
        block = fh.read(1 << 24)
        data = carry + block
        if not data:
            break
        if block:
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            data, carry = data[:cut], data[cut:]
        else:
            carry = b""
        try:
            data.decode("utf-8")
            proves = proves or not data.isascii()
        except UnicodeDecodeError:
            pos, line_no = 0, lines_before + 1
            while True:
                try:
                    rest = data[pos:].decode("utf-8")
                except UnicodeDecodeError as exc:
                    bad_at = pos + exc.start
                    start = data.rfind(b"\n", pos, bad_at) + 1 or pos
                    start = max(start, pos)
                    end = data.find(b"\n", bad_at)
                    end = len(data) if end < 0 else end + 1
                    good = data[pos:start]
                    proves = proves or not good.isascii()
                    line_no += good.count(b"\n")
                    broken.ranges.append((base + start, base + end))
                    broken.lines.append(line_no)
                    if len(broken.examples) < lenient.KEEP_EXAMPLES:
                        broken.examples.append(lenient.dropped(line_no, "broken characters (not valid UTF-8)",
                                                               data[start:end].decode("utf-8", errors="replace")))
                    line_no += data[start:end].count(b"\n")
                    pos = end
                    continue
                proves = proves or not rest.isascii()
                break
            # Far more broken lines than a damaged UTF-8 file has: another encoding, stop early.
            seen = base + len(data)
            expected_lines = (lines_before + data.count(b"\n") + 1) * max(total_bytes / max(seen, 1), 1)
            if len(broken.lines) > 2 * max(lenient.MIN_BROKEN_ALLOWED, expected_lines * lenient.MAX_BROKEN_SHARE):
                return None, proves
        lines_before += data.count(b"\n")
        base += len(data)
        if not block:
            break
    allowed = max(lenient.MIN_BROKEN_ALLOWED, int((lines_before + 1) * lenient.MAX_BROKEN_SHARE))
    if len(broken.lines) > allowed:
        return None, proves
    return broken, proves


def _detect_encoding(path: Path, name: str) -> tuple[str, _Broken | None]:
    """The encoding as the one-file path (intake._decode) decides it, over the whole file:
    UTF-8 (with or without BOM); UTF-8 with a few damaged lines (those lines are dropped and
    reported: one bad line costs one line); else Windows-1252, or Latin-1 when a byte is
    undefined in Windows-1252."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(65536)
        if b"\x00" in head:
            if head.startswith((b"\xff\xfe", b"\xfe\xff")):
                return "utf-16", None
            raise InputError("this looks like a binary file, not a table.", file=name,
                             fix="upload a CSV, Excel (.xlsx), Parquet or JSON Lines export.")
        bom = head.startswith(b"\xef\xbb\xbf")
        fh.seek(0)
        broken, proves = _scan_utf8(fh, size)
        if bom and broken is None:
            raise InputError("the file is marked as UTF-8 but many of its lines are not valid UTF-8.", file=name,
                             fix="open it in a spreadsheet and save it again as CSV UTF-8.")
        if broken is not None and (not broken.lines or bom or proves):
            if not broken.lines:
                broken = None
            return ("utf-8-sig" if bom else "utf-8"), broken
        fh.seek(0)
        while block := fh.read(1 << 24):
            if _CP1252_UNDEFINED.search(block):
                return "latin-1", None
    return "cp1252", None


def _leave_out(fmt: "_FileFormat", found: list) -> None:
    """Lines that opened a stray quote join the lines left out while reading (and reported)."""
    broken = fmt.broken or _Broken()
    broken.ranges = sorted(broken.ranges + [(a, b) for a, b, _, _ in found])
    broken.lines = sorted(broken.lines + [n for _, _, n, _ in found])
    broken.examples = sorted(broken.examples + [e for _, _, _, e in found], key=lambda e: e["line"])[:5]
    fmt.broken = broken


class _WithoutBrokenLines(io.RawIOBase):
    """A binary file read without the byte ranges of its broken lines (the header line's broken
    bytes are replaced instead), for Arrow's streaming CSV reader. Costs a seek per broken
    line, nothing per good byte."""

    def __init__(self, path: Path, broken: _Broken):
        self._fh = path.open("rb")
        self._ranges = broken.ranges
        self._i = 0  # next range
        self._pending = b""  # replacement bytes not yet returned

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = len(buffer)
        out = bytearray()
        while len(out) < n:
            if self._pending:
                take = self._pending[:n - len(out)]
                self._pending = self._pending[len(take):]
                out += take
                continue
            pos = self._fh.tell()
            nxt = self._ranges[self._i] if self._i < len(self._ranges) else None
            if nxt is not None and pos >= nxt[0]:
                start, end = nxt
                self._i += 1
                if start == 0:
                    # the header line is never dropped: the column names come from it
                    self._pending = self._fh.read(end - start).decode("utf-8", errors="replace").encode("utf-8")
                else:
                    self._fh.seek(end)
                continue
            want = n - len(out) if nxt is None else min(n - len(out), nxt[0] - pos)
            data = self._fh.read(want)
            if not data:
                break
            out += data
        buffer[:len(out)] = out
        return len(out)

    def close(self) -> None:
        self._fh.close()
        super().close()


def _csv_format(path: Path, name: str) -> _FileFormat:
    import csv

    encoding, broken = _detect_encoding(path, name)
    with path.open("rb") as fh:
        head = fh.read(65536)
    text = head.decode(encoding if encoding != "utf-16" else "utf-16", errors="replace").lstrip("\ufeff")
    if not text.strip():
        raise InputError("the file is empty.", file=name, fix="export the data again; the file has no rows.")
    delimiter = intake._sniff_delimiter(text)
    header_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    if intake._count_outside_quotes(header_line, delimiter) == 0:
        delimiter = "\x1f"  # one column: commas inside values stay (as intake does)
    header = next(csv.reader([header_line], delimiter=delimiter), [])
    if not header or not header[0].strip():
        raise InputError("could not find column names in the first line.", file=name,
                         fix="make sure the first row holds the column names, separated by commas, semicolons or tabs.")
    if broken is not None and broken.lines and broken.lines[0] == 1:
        # the header line is read with its broken bytes replaced (the column names come from it), not dropped
        broken.lines, broken.examples = broken.lines[1:], [e for e in broken.examples if e["line"] != 1]
    return _FileFormat("csv", encoding, delimiter, header, broken)


def _file_format(path: Path) -> _FileFormat:
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic == b"PAR1" or suffix == ".parquet":
        return _FileFormat("parquet", "", "")
    if suffix in STREAMED:
        return _csv_format(path, path.name)
    return _FileFormat("whole")


MAX_QUOTE_REPAIRS = 20


class _StrayQuote(Exception):
    """A line opened a quote that swallowed the lines after it (found while streaming)."""

    def __init__(self, path: Path, fmt: "_FileFormat", text: str, inside: bool = False):
        super().__init__(str(path))
        self.path, self.fmt, self.text, self.inside = path, fmt, text, inside  # inside: text starts mid-line


def _has_newline(batch) -> bool:
    """Whether any text value of the batch holds a line break (a look at the raw buffers: ~1 ms)."""
    for column in batch.columns:
        buffers = column.buffers()
        if len(buffers) > 2 and buffers[2] is not None and memoryview(buffers[2]).tobytes().find(b"\n") >= 0:
            return True
    return False


def _locate_line(sq: _StrayQuote, taken: list) -> tuple | None:
    """(start, end, line number, text) of the line that opened the quote: the first line of the
    file beginning with the swallowing row's text that is not already left out."""
    from ecom_models.intake import lenient

    first = sq.text.split("\n")[0].rstrip("\r")
    needle = first.encode(sq.fmt.encoding.replace("-sig", "") or "utf-8", errors="replace")
    if not needle:
        return None
    with sq.path.open("rb") as fh:
        carry, base = b"", len(fh.readline())  # the header line is never the one
        lines_before = 1
        while True:
            block = fh.read(1 << 24)
            data = carry + block
            if not data:
                return None
            cut = data.rfind(b"\n") + 1 if block else len(data)
            if cut == 0:
                carry = data
                continue
            part, carry = data[:cut], data[cut:]
            at = 0
            while (at := part.find(needle, at)) >= 0:
                if sq.inside:  # the swallowing value begins after the stray quote, inside its line
                    if part[at - 1:at] != b'"':
                        at += 1
                        continue
                    at = part.rfind(b"\n", 0, at) + 1
                starts_line = at == 0 or part[at - 1:at] == b"\n"
                start = base + at
                if starts_line and not any(a <= start < b for a, b, *_ in taken):
                    end = part.find(b"\n", at)
                    end = len(part) if end < 0 else end + 1
                    line_no = lines_before + part.count(b"\n", 0, at) + 1
                    text = part[at:end].decode(sq.fmt.encoding.replace("-sig", "") or "utf-8", errors="replace")
                    return start, base + end, line_no, lenient.dropped(line_no, "unbalanced quote", text)
                at = (part.find(b"\n", at) + 1 or len(part)) if sq.inside else at + 1
            lines_before += part.count(b"\n")
            base += len(part)
            if not block:
                return None


def _iter_chunks(path: Path, fmt: _FileFormat, chunk_rows: int, columns: list[str] | None = None):
    """Yield (frame, malformed lines skipped in it). CSV values stay strings, as in intake."""
    if fmt.format == "parquet":
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(str(path))
            for batch in pf.iter_batches(batch_size=chunk_rows, columns=columns):
                yield batch.to_pandas(), 0
        except OSError as exc:
            raise InputError(f"the Parquet file could not be read ({str(exc)[:100]}).", file=path.name,
                             fix="write it again, or export as CSV.") from None
        return
    if fmt.format == "whole":
        info = intake.ReadInfo(format="")
        df = intake.read_table(str(path), name=path.name, info=info)
        # what read_table left out (damaged JSON lines, blank rows), reported with the first chunk
        fmt.whole_losses = (info.blank_rows, info.bad_lines, list(info.dropped))
        if columns is not None:
            df = df[[c for c in columns if c in df.columns]]
        for start in range(0, len(df), chunk_rows):
            yield df.iloc[start:start + chunk_rows].reset_index(drop=True), 0
        return
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = intake._unique_headers([h.strip() for h in fmt.header])
    bad = [0]
    stray: list = [None]
    rows_done = [0]

    def on_bad_line(row):
        # never raises: an exception in Arrow's callback is printed and the row count lost
        try:
            bad[0] += 1
            text = row.text or ""
            if stray[0] is None and "\n" in text:
                stray[0] = text[:4096]  # a quote opened on one line swallowed the following ones
        except Exception:  # noqa: BLE001
            pass
        return "skip"

    try:
        reader = pacsv.open_csv(
            _WithoutBrokenLines(path, fmt.broken) if fmt.broken is not None else str(path),
            read_options=pacsv.ReadOptions(block_size=1 << 23, encoding=fmt.encoding.replace("-sig", ""),
                                           column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=fmt.delimiter, newlines_in_values=True,
                                             invalid_row_handler=on_bad_line),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False, include_columns=columns),
        )
        # Arrow reads blocks of 8 MB. A chunk is the blocks read until `chunk_rows` lines are
        # reached; when a block alone holds several chunks' worth (small chunk sizes), it is cut.
        pending, n_pending = [], 0
        for batch in reader:
            rows_done[0] += batch.num_rows
            if stray[0] is not None:
                raise _StrayQuote(path, fmt, stray[0])
            if _has_newline(batch):
                # a quote that swallowed whole lines into one value of a valid-looking row
                from ecom_models.intake.lenient import _swallowed

                value = _swallowed(pa.Table.from_batches([batch]), fmt.delimiter)
                if value is not None:
                    raise _StrayQuote(path, fmt, value, inside=True)
            pending.append(batch)
            n_pending += batch.num_rows
            while n_pending >= chunk_rows:
                table = pa.Table.from_batches(pending)
                take = n_pending if n_pending < 2 * chunk_rows else chunk_rows
                yield table.slice(0, take).to_pandas(), bad[0]
                bad[0] = 0
                rest = table.slice(take)
                pending, n_pending = rest.to_batches(), rest.num_rows
        if stray[0] is not None:
            raise _StrayQuote(path, fmt, stray[0])
        if n_pending or bad[0]:
            yield pa.Table.from_batches(pending, schema=reader.schema).to_pandas(), bad[0]
    except pa.ArrowInvalid as exc:
        if "straddl" in str(exc):
            # a quote that ran on for more than a block (8 MB): find the line that opened it
            line = _runaway_quote(path, fmt, rows_done[0])
            if line is not None:
                raise _StrayQuote(path, fmt, line) from None
        raise InputError(f"the CSV could not be read ({str(exc).splitlines()[0]}).", file=path.name,
                         fix="open it in a spreadsheet and export it again as CSV.") from None


def _runaway_quote(path: Path, fmt: "_FileFormat", rows_done: int, limit: int = 1 << 23) -> str | None:
    """The line whose quote is still open `limit` bytes later (or at the end of the file),
    looking from the rows Arrow had read (every row is at least one line)."""
    taken = fmt.broken.ranges if fmt.broken is not None else []
    encoding = fmt.encoding.replace("-sig", "") or "utf-8"
    with path.open("rb") as fh:
        fh.readline()  # the header
        for _ in range(rows_done):
            if not fh.readline():
                return None
        opened = None
        while True:
            pos = fh.tell()
            line = fh.readline()
            if not line:
                return opened[1].decode(encoding, errors="replace").rstrip("\r\n") if opened else None
            if any(a <= pos < b for a, b in taken):
                continue
            if line.count(b'"') % 2:
                opened = (pos, line) if opened is None else None
            if opened is not None and pos + len(line) - opened[0] > limit:
                return opened[1].decode(encoding, errors="replace").rstrip("\r\n")


# ---------------------------------------------------------------------------------------
# The date format, from the whole column
# ---------------------------------------------------------------------------------------
@dataclass
class _DateEvidence:
    dmy_values: int = 0
    values: int = 0
    first_over_12: bool = False
    second_over_12: bool = False
    separators: dict = field(default_factory=dict)
    two_digit_years: int = 0

    def add(self, values: pd.Series) -> None:
        u = pd.Series(pd.unique(values.dropna().astype("str").str.strip()), dtype="str")
        u = u[u != ""]
        if u.empty:
            return
        dmy = intake._extract(u, intake._DMY_RE)
        hit = dmy["a"].notna()
        self.values += len(u)
        self.dmy_values += int(hit.sum())
        if hit.any():
            self.first_over_12 |= bool((pd.to_numeric(dmy.loc[hit, "a"]) > 12).any())
            self.second_over_12 |= bool((pd.to_numeric(dmy.loc[hit, "b"]) > 12).any())
            for sep, n in dmy.loc[hit, "sep"].value_counts().items():
                self.separators[sep] = self.separators.get(sep, 0) + int(n)
            self.two_digit_years += int((dmy.loc[hit, "year"].str.len() == 2).sum())

    @property
    def dayfirst(self) -> bool | None:
        """True/False when the whole column settles it, None when every value fits both."""
        if self.first_over_12 and not self.second_over_12:
            return True
        if self.second_over_12 and not self.first_over_12:
            return False
        return None

    def witness(self) -> str | None:
        """A date that settles the order the way the whole column does ('13/01/2000')."""
        if self.dayfirst is None or not self.separators:
            return None
        sep = max(self.separators, key=self.separators.get)
        year = "00" if self.two_digit_years > self.dmy_values / 2 else "2000"
        return f"13{sep}01{sep}{year}" if self.dayfirst else f"01{sep}13{sep}{year}"


def _tz_values(raw: pd.DataFrame, col: str) -> list:
    """The distinct date texts with a time zone, as intake.parse_dates counts them."""
    if col not in raw.columns or not pd.api.types.is_string_dtype(raw[col]) and raw[col].dtype != object:
        return []
    u = pd.Series(pd.unique(intake._date_texts(raw[col]).dropna()), dtype="str")
    return u[intake._has_timezone(u)].tolist()


def _offset_counts(values) -> dict:
    """{offset in minutes: distinct date texts}, as intake._to_datetime_tz reads the offsets."""
    u = pd.Series(values, dtype="str")
    if u.empty:
        return {}
    offsets = u.str.extract(intake._TZ_RE, expand=False).map(intake._offset_minutes).dropna()
    return {float(k): int(v) for k, v in offsets.value_counts().items()}


def _most_common_offset(counts: dict) -> float | None:
    if not counts:
        return None
    top = max(counts.values())
    return min(k for k, v in counts.items() if v == top)  # pandas' mode: the smallest of a tie


def _store_offset(con) -> float | None:
    """The most common offset over the whole input's distinct date texts."""
    counts: dict = {}
    for batch in con.sql("SELECT DISTINCT v FROM _tz").to_arrow_reader(200_000):
        for k, v in _offset_counts(batch.column(0).to_pylist()).items():
            counts[k] = counts.get(k, 0) + v
    return _most_common_offset(counts)


def _force_dates(raw: pd.DataFrame, col: str, evidence: _DateEvidence) -> int:
    """When a chunk's own dates fit both orders but the whole column settles it, parse the
    chunk's dates the column's way (one settling value added, then dropped)."""
    if col not in raw.columns or pd.api.types.is_datetime64_any_dtype(raw[col]) or evidence.dayfirst is None:
        return 0
    mine = _DateEvidence()
    mine.add(raw[col])
    if mine.dmy_values == 0 or mine.dmy_values <= mine.values / 2 or mine.dayfirst is not None:
        return 0
    default_dayfirst = max(mine.separators, key=mine.separators.get) in ".-"
    if default_dayfirst == evidence.dayfirst:
        return 0
    values = raw[col].astype("str")
    parsed, stats = intake.parse_dates(pd.concat([values, pd.Series([evidence.witness()], dtype="str")],
                                                 ignore_index=True))
    raw[col] = parsed.iloc[:-1].to_numpy()
    return stats.with_timezone


# ---------------------------------------------------------------------------------------
# Ingest
# ---------------------------------------------------------------------------------------
@dataclass
class BigIngestResult:
    kind: str
    mapping: dict[str, str]
    report: intake.QualityReport
    raw_columns: list[str]
    files: list[str]
    db_path: Path
    table: str = "lines"
    order_by: str = "_chunk, _seq"  # the input's order (chats: intake's, tickets by conversation)
    protected: bool = False  # personal data protected chunk by chunk (ingest_big's salt)
    privacy: list = field(default_factory=list)  # what was done to it, for the report
    _con: object = None
    _owned_dir: Path | None = None

    @property
    def con(self):
        return self._con

    def summary(self) -> dict:
        """intake.summarise_orders' figures, computed in DuckDB from the stored lines."""
        if self.kind != "orders":
            raise ValueError("summary() is for orders")
        return summarise_table(self._con, self.table)

    def to_frame(self) -> pd.DataFrame:
        """The canonical frame intake.ingest would return (loaded into memory)."""
        cols = [c for c in self._columns() if not c.startswith("_")]
        df = self._con.execute(f"SELECT {', '.join(_q(c) for c in cols)} FROM {self.table} ORDER BY {self.order_by}").df()
        if self.kind == "orders":
            for f in ("order_id", "customer_id", "product_id", "product_name", "category", "currency", "country",
                      "channel", "status", "line_type"):
                df[f] = df[f].astype("str")
            df["order_date"] = df["order_date"].astype("datetime64[us]")
            df["is_duplicate"] = df["is_duplicate"].astype(bool)
        if self.kind == "support":  # the dtypes of intake.clean_support.clean_support
            for f in ("ticket_id", "channel", "customer_id", "order_id", "text"):
                df[f] = df[f].astype("str")
            df["created_at"] = df["created_at"].astype("datetime64[us]")
            df["messages"] = df["messages"].astype("int64")
        return df

    def to_parquet(self, path: str | Path) -> Path:
        """Write the canonical lines (intake.ingest's columns, in input order) to a Parquet file,
        streaming from DuckDB."""
        cols = [c for c in self._columns() if not c.startswith("_")]
        path = Path(path)
        self._con.execute(f"COPY (SELECT {', '.join(_q(c) for c in cols)} FROM {self.table} ORDER BY {self.order_by}) "
                          f"TO '{path.as_posix()}' (FORMAT parquet)")
        return path

    def save(self, ws, dataset_name: str | None = None, source_file: str | None = None):
        """Store the lines in the workspace as the active dataset of their kind, without loading
        them into memory (DuckDB to Parquet to the workspace file)."""
        if not self.protected:
            raise ValueError("ingest_big(..., salt=workspace_salt(ws)) before save(): personal data must be protected")
        from ecom_models.intake import pii

        folder = self._owned_dir or self.db_path.parent
        parquet = self.to_parquet(folder / "lines.parquet")
        try:
            source_file = source_file or self.report.file
            report = pii.scrub_report(self.report.to_dict(), getattr(self.report, "pii", {}) or {})
            report["privacy"] = list(self.privacy)
            return ws.save_dataset_parquet(dataset_name or source_file, self.kind, parquet, source_file=source_file,
                                           mapping=self.mapping, report=report)
        finally:
            parquet.unlink(missing_ok=True)

    def _columns(self) -> list[str]:
        return [r[0] for r in self._con.execute(f"DESCRIBE {self.table}").fetchall()]

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)
            self._owned_dir = None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def summarise_table(con, table: str = "lines") -> dict:
    """The figures of intake.summarise_orders over a DuckDB table of canonical order lines."""
    row = con.execute(f"""
        SELECT
          count(DISTINCT order_id) FILTER (WHERE line_type = 'sale'),
          count(DISTINCT customer_id) FILTER (WHERE line_type = 'sale'),
          count(DISTINCT product_id) FILTER (WHERE line_type = 'sale'),
          coalesce(fsum(revenue) FILTER (WHERE line_type = 'sale'), 0),
          coalesce(fsum(revenue) FILTER (WHERE line_type IN ('cancellation', 'return')), 0),
          coalesce(fsum(revenue) FILTER (WHERE line_type = 'cancellation'), 0),
          coalesce(fsum(revenue) FILTER (WHERE line_type = 'return'), 0),
          coalesce(fsum(revenue) FILTER (WHERE line_type = 'non_product'), 0),
          coalesce(fsum(quantity) FILTER (WHERE line_type = 'sale'), 0)
        FROM {table} WHERE NOT is_duplicate""").fetchone()
    currency = con.execute(f"""SELECT currency FROM {table} WHERE currency IS NOT NULL
                               GROUP BY currency ORDER BY count(*) DESC, currency LIMIT 1""").fetchone()
    dmin, dmax = con.execute(f"SELECT min(order_date), max(order_date) FROM {table}").fetchone()
    gross = float(row[3])
    return {
        "orders": int(row[0]),
        "customers": int(row[1]),
        "products": int(row[2]),
        "gross_revenue": round(gross, 2),
        "net_revenue": round(gross + float(row[4]), 2),
        "cancelled_revenue": round(float(row[5]), 2),
        "returned_revenue": round(float(row[6]), 2),
        "non_product_revenue": round(float(row[7]), 2),
        "units": float(row[8]),
        "currency": currency[0] if currency else None,
        "date_min": pd.Timestamp(dmin).isoformat() if dmin is not None else None,
        "date_max": pd.Timestamp(dmax).isoformat() if dmax is not None else None,
    }


def _connect(db_path: Path, memory_limit: str):
    import duckdb

    con = duckdb.connect(str(db_path))
    spill = db_path.parent / (db_path.stem + ".spill")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{spill.as_posix()}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # a CLI prints JSON; a page shows its own progress
    return con


def _merge_quirk(quirks: dict[str, intake.Quirk], q: intake.Quirk) -> None:
    """Add a quirk found over the whole input (cross-chunk duplicates) to the merged ones."""
    if q.key in quirks:
        old = quirks[q.key]
        old.count += q.count
        old.examples = (old.examples + q.examples)[:3]
    else:
        quirks[q.key] = intake.Quirk(q.key, q.label, q.count, q.advice, list(q.examples[:3]))


@dataclass
class _Chunk:
    """Rows as intake.ingest will see them, and where they sit in the input."""
    seq: int  # chunk number over the whole input (the `_chunk` of its stored lines)
    file_index: int
    name: str  # the file's name (partitions: the first file's)
    label: str | None  # the file's name in examples when several files are read
    raw: pd.DataFrame
    info: intake.ReadInfo
    offset: int  # rows of the file before this chunk (example row numbers)
    global_row: int  # rows of the input before this chunk (generated ids)
    where: np.ndarray | None = None  # conversation partitions: each row's (file index, row number)


@dataclass
class _ChunkStats:
    """What one chunk adds to the report; kept per chunk so that a chunk cleaned again replaces it."""
    rows_in: int = 0
    rows_usable: int = 0
    quirks: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    read: dict | None = None
    pii: dict = field(default_factory=dict)
    privacy: list = field(default_factory=list)
    tz_values: list = field(default_factory=list)  # distinct date texts with a time zone
    offset: float | None = None  # their most common offset (minutes), the one intake converted to
    seen: dict = field(default_factory=dict)  # the chunk's own whole-column decisions (whole_store)


def _file_chunks(f: Path, file_index: int, fmt: _FileFormat, chunk_rows: int, order_col: str | None,
                 label: str | None, seq: int, global_row: int):
    """The chunks of one file, blank rows dropped, an order's lines never cut in two. The same
    file gives the same chunks every time (a chunk can be read again)."""
    carry: pd.DataFrame | None = None
    first_of_file = first_chunk = True
    row_in_file = 0  # data rows of this file before the current chunk
    chunks = _iter_chunks(f, fmt, chunk_rows)
    done = False
    while not done:
        try:
            raw, bad = next(chunks)
        except StopIteration:
            raw, bad, done = None, 0, True
        if raw is None:
            if carry is None or carry.empty:
                break
            raw, carry = carry, None
        else:
            raw.columns = intake._unique_headers([str(c).strip() for c in raw.columns])
            if carry is not None and not carry.empty:
                raw = pd.concat([carry, raw], ignore_index=True)
                carry = None
            if order_col and not done and len(raw):
                # keep the last order whole: its lines may continue in the next chunk
                ids = raw[order_col].astype("str")
                tail = ids.iloc[-1]
                cut = len(raw)
                while cut > 0 and ids.iloc[cut - 1] == tail:
                    cut -= 1
                if 0 < cut < len(raw):
                    raw, carry = raw.iloc[:cut].reset_index(drop=True), raw.iloc[cut:].reset_index(drop=True)
        info = intake.ReadInfo(format=fmt.format if fmt.format != "whole" else "", bad_lines=bad)
        if fmt.format == "csv":
            info.encoding, info.delimiter = fmt.encoding, (fmt.delimiter if fmt.delimiter != "\x1f" else "none (one column)")
        if first_of_file and fmt.broken is not None:
            # lines with broken bytes, left out while reading: reported once, with the first chunk
            info.bad_lines += len(fmt.broken.lines)
            info.dropped = [dict(e) for e in fmt.broken.examples]
        first_of_file = False
        n_before_blank = len(raw)
        raw = intake._drop_blank_rows(raw, info).reset_index(drop=True)
        if first_chunk and fmt.format == "whole":
            blank, bad_lines, dropped = fmt.whole_losses
            info.blank_rows += blank
            info.bad_lines += bad_lines
            info.dropped = info.dropped + [dict(d) for d in dropped]
        first_chunk = False
        yield _Chunk(seq, file_index, f.name, label, raw, info, row_in_file, global_row)
        row_in_file += n_before_blank
        global_row += len(raw)
        seq += 1


def _read_loss_quirks(info: intake.ReadInfo, label: str | None) -> list:
    """Blank and malformed lines of a chunk that intake.ingest did not report (nothing else was usable)."""
    out = []
    if info.blank_rows:
        out.append(intake.Quirk("blank_rows", "Blank rows", info.blank_rows, "Left out. Nothing to do."))
    if info.bad_lines:
        out.append(intake.Quirk(
            "malformed_lines", "Malformed lines (wrong number of fields, broken characters, damaged JSON)",
            info.bad_lines, "Left out. Check the export for stray separators, quotes or line breaks inside values.",
            [({"file": label, **d} if label else dict(d)) for d in info.dropped[:5]]))
    return out


def _placed(q: intake.Quirk, ch: _Chunk, names: list[str] | None) -> intake.Quirk:
    """A chunk's quirk with its examples' row numbers (and file) as in the input."""
    examples = []
    for ex in q.examples:
        ex = dict(ex)
        label = ch.label
        if "row" in ex:
            if ch.where is not None:
                file_index, row = ch.where[int(ex["row"]) - 2]
                ex["row"] = int(row)
                label = names[file_index] if names else None
            else:
                ex["row"] = int(ex["row"]) + ch.offset
        examples.append({"file": label, **ex} if label else ex)
    return intake.Quirk(q.key, q.label, q.count, q.advice, examples)


def _clean_chunk(ch: _Chunk, kind: str, forced: dict, mapping: dict, default_currency: str, salt: str | None,
                 date_col: str | None, evidence: "_DateEvidence", bulk, names):
    """intake.ingest on one chunk: (canonical lines or None, what the chunk adds to the report)."""
    st = _ChunkStats()
    raw, info = ch.raw, ch.info
    if raw.empty:
        st.rows_in = info.blank_rows + info.bad_lines
        st.quirks = _read_loss_quirks(info, ch.label)
        return None, st
    raw_hash = None
    if kind == "reviews" and "review_id" not in mapping:
        # intake compares reviews as whole raw rows; kept to compare them across chunks too
        raw_hash = pd.util.hash_pandas_object(raw, index=False).to_numpy()
    if date_col:
        st.tz_values = _tz_values(raw, date_col)
        st.offset = _most_common_offset(_offset_counts(st.tz_values))
    try:
        with whole_store.pieces(bulk):
            if date_col:
                _force_dates(raw, date_col, evidence)
            res = intake.ingest(raw, kind=kind, name=ch.name, mapping_override=forced, default_currency=default_currency, read_info=info)
    except InputError:
        # nothing usable in this chunk (say, a day of cancellations only): its rows still count
        st.rows_in = len(raw) + info.blank_rows + info.bad_lines
        st.quirks = _read_loss_quirks(info, ch.label)
        return None, st
    rep = res.report
    st.read, st.notes = dict(rep.read), list(rep.notes)
    st.rows_in, st.rows_usable = rep.rows_in, rep.rows_usable
    st.quirks = [_placed(q, ch, names) for q in rep.quirks]
    st.pii = dict(getattr(rep, "pii", {}) or {})
    df = res.df
    if raw_hash is not None:  # generated ids are row-N, N the row in the chunk (header = 1)
        df["_raw"] = raw_hash[pd.to_numeric(df["review_id"].str.slice(4)).to_numpy(dtype=np.int64) - 2]
    df = _global_ids(df, kind, mapping, ch.global_row)
    if salt is not None:
        from ecom_models.intake import pii

        canonical = {c: rep.pii[col] for c, col in res.mapping.items() if col in rep.pii}
        canonical.update({c: k for c, k in rep.pii.items() if c in df.columns})
        df, st.privacy = pii.protect_frame(df, kind, salt, canonical)
    return df, st


def _merge_stats(stats: dict[int, _ChunkStats]):
    """The report's parts from every chunk's, in input order (examples: the input's first ones)."""
    quirks: dict[str, intake.Quirk] = {}
    found: dict[str, list] = {}
    notes: list[str] = []
    read: dict = {}
    pii_found: dict[str, str] = {}
    privacy: list[str] = []
    rows_usable = 0
    for seq in sorted(stats):
        st = stats[seq]
        for q in st.quirks:
            if q.key in quirks:
                quirks[q.key].count += q.count
            else:
                quirks[q.key] = intake.Quirk(q.key, q.label, q.count, q.advice, [])
            found.setdefault(q.key, []).extend((seq, i, ex) for i, ex in enumerate(q.examples[:3]))
        notes.extend(n for n in st.notes if n not in notes)
        if st.read:
            if not read:
                read = dict(st.read)
            elif st.read.get("format") and st.read["format"] not in str(read.get("format", "")).split(", "):
                read["format"] = f"{read.get('format')}, {st.read['format']}"
            for k, v in st.read.items():
                read.setdefault(k, v)
        pii_found.update(st.pii)
        privacy.extend(a for a in st.privacy if a not in privacy)
        rows_usable += st.rows_usable
    for key, items in found.items():
        # conversation partitions are not in input order: the first examples of the input are
        # among every partition's first three
        items.sort(key=lambda t: (t[2].get("file") or "", t[2].get("row", t[2].get("line")) or 0, t[0], t[1]))
        quirks[key].examples = [ex for _, _, ex in items[:3]]
    return quirks, notes, read, rows_usable, pii_found, privacy


def _nanmax(a, b):
    if a is None or a != a:
        return b
    if b is None or b != b:
        return a
    return max(a, b)


# intake's whole-column decisions (whole_store.whole_column): how chunks' own values combine into
# the whole store's, and what is decided from a value (chunks deciding alike need no second pass)
_FACTS = {
    "discount": (lambda a, b: (_nanmax(a[0], b[0]), a[1] or b[1]),  # (largest discount, any above 0)
                 lambda v: bool(v[0] <= 1.0 and v[1])),  # given as rates
    "rating_top": (_nanmax, lambda v: None if v is None or v != v or v <= 5 else ("halved" if v <= 10 else float(v))),
    "numeric_ids": (lambda a, b: a, lambda v: v),  # the first 10,000 order ids: the file's first chunk
}


def _store_facts(stats: dict) -> dict:
    facts: dict = {}
    for seq in sorted(stats):
        for name, value in stats[seq].seen.items():
            if name in _FACTS:
                facts[name] = _FACTS[name][0](facts[name], value) if name in facts else value
    return facts


def _decides_otherwise(seen: dict, facts: dict) -> bool:
    return any(name in facts and _FACTS[name][1](value) != _FACTS[name][1](facts[name])
               for name, value in seen.items() if name in _FACTS)


def _date_collector(con, seq: int):
    """Hands a chunk's plausible dates to DuckDB as (chunk, date, how many): a store's lines
    share far fewer distinct timestamps than lines."""
    def collect(ok: pd.Series) -> None:
        if len(ok):
            counts = ok.value_counts(sort=False)
            con.register("date_frame", pd.DataFrame({"c": np.full(len(counts), seq, dtype=np.int32),
                                                     "d": counts.index.to_numpy(dtype="datetime64[us]"),
                                                     "n": counts.to_numpy(dtype=np.int64)}))
            con.execute("INSERT INTO _dates SELECT c, d, n FROM date_frame")
            con.unregister("date_frame")
    return collect


def _store_bulk(con) -> tuple[tuple | None, list[int]]:
    """The whole store's bulk of plausible dates (dates.bulk_bounds over every chunk's, exactly:
    pandas' interpolated percentiles from the two order statistics around each), and the
    chunks holding dates far from it."""
    import math

    n = int(con.execute("SELECT coalesce(sum(n), 0) FROM _dates").fetchone()[0])
    if n < dates._MIN_FOR_BULK:
        return None, []
    con.execute("""CREATE OR REPLACE TEMP TABLE _cum AS
                   SELECT d, sum(sum(n)) OVER (ORDER BY d) AS cum FROM _dates GROUP BY d""")

    def kth(k: int):  # the k-th smallest date (0-based), counting repeats
        return con.execute("SELECT min(d) FROM _cum WHERE cum > ?", [k]).fetchone()[0]

    bounds = []
    for q in (0.01, 0.99):
        h = (n - 1) * q
        i = math.floor(h)
        a, b = kth(i), kth(min(i + 1, n - 1))
        bounds.append(pd.Series([a, b], dtype="datetime64[us]").quantile(h - i))
    con.execute("DROP TABLE _cum")
    earliest, latest = dates.bulk_limits(bounds)
    affected = [r[0] for r in con.execute("SELECT DISTINCT c FROM _dates WHERE d < ? OR d > ? ORDER BY c",
                                          [earliest.to_pydatetime(), latest.to_pydatetime()]).fetchall()]
    return tuple(bounds), affected


def _stage_messages(con, ch: _Chunk, conv_col: str, date_col: str | None) -> _ChunkStats:
    """Chat messages are put aside in DuckDB (raw, with their place in the input) to be grouped
    by conversation later. Messages without a conversation id become their own conversation
    `row-N`, as intake names them, and are counted here."""
    from ecom_models.intake.pii import detect_pii, scrub_report
    from ecom_models.intake.clean_support import text_col as _text_col

    st = _ChunkStats(rows_in=ch.info.blank_rows + ch.info.bad_lines, quirks=_read_loss_quirks(ch.info, ch.label))
    raw = ch.raw
    if raw.empty:
        return st
    if date_col:
        st.tz_values = _tz_values(raw, date_col)
    rows = ch.offset + np.arange(len(raw), dtype=np.int64) + 2
    conv = _text_col(raw, conv_col)
    missing = conv.isna().to_numpy()
    key = conv.fillna(pd.Series("row-" + pd.Series(np.arange(len(raw)) + ch.global_row + 2).astype("str").to_numpy(),
                                index=raw.index))
    if missing.any():
        report = intake.QualityReport(file="", kind="support", rows_in=0, rows_usable=0, mapping={}, confidence={}, read={})
        report.add("messages_without_conversation", "Messages without a conversation id", missing,
                   "Each kept as a ticket of its own.", raw, pd.Series(rows - ch.offset, index=raw.index))
        q = report.quirks[0]
        q.examples = scrub_report(q.examples, detect_pii(raw))
        st.quirks.append(_placed(q, ch, None))
    frame = raw.astype("str")  # Parquet columns too: the partitions are cleaned from text, as CSVs are
    frame[conv_col] = key.to_numpy()
    frame["_file"] = np.int32(ch.file_index)
    frame["_frow"] = rows
    frame["_key"] = key.to_numpy()
    con.register("message_frame", frame)
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = '_messages'").fetchone()[0]
    con.execute("INSERT INTO _messages BY NAME SELECT * FROM message_frame" if exists
                else "CREATE TABLE _messages AS SELECT * FROM message_frame")
    con.unregister("message_frame")
    st.read = {k: v for k, v in (("format", ch.info.format), ("encoding", ch.info.encoding),
                                 ("delimiter", ch.info.delimiter)) if v}
    return st


def _conversation_chunks(con, seq: int, chunk_rows: int, fmt: _FileFormat, name: str):
    """Partitions of the staged messages, each holding whole conversations (by a hash of the
    conversation id), rows in input order."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = '_messages'").fetchone()[0]
    if not exists:
        return
    n = con.execute("SELECT count(*) FROM _messages").fetchone()[0]
    parts = max(1, -(-n // chunk_rows))
    # Stored once in partition order, so each partition's query reads only its own row groups
    # (DuckDB's min/max zone maps) instead of hashing every message once per partition.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _message_parts AS
        SELECT *, hash(_key) % {parts} AS _part FROM _messages ORDER BY _part, _file, _frow""")
    for k in range(parts):
        frame = con.execute(f"SELECT * FROM _message_parts WHERE _part = {k} ORDER BY _file, _frow").df()
        if frame.empty:
            continue
        where = frame[["_file", "_frow"]].to_numpy()
        raw = frame.drop(columns=["_file", "_frow", "_key", "_part"])
        info = intake.ReadInfo(format=fmt.format if fmt.format != "whole" else "", encoding=fmt.encoding)
        yield _Chunk(seq + k, int(where[0][0]), name, None, raw, info, 0, 0, where)


def _drop_cross_chunk_duplicates(con, keys: list[str], where: str = "TRUE") -> int:
    """Rows equal on `keys` to a row of an earlier chunk are dropped, as intake drops repeats
    within one file: tickets on id and text, reviews on every field read (the same review
    exported twice, overlapping exports)."""
    part = ", ".join(_q(k) for k in keys)
    # Within a chunk intake has judged already (on the whole raw row): only a repeat of a row
    # from an earlier chunk is dropped here.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE dup AS
        SELECT _chunk, _seq FROM (
          SELECT _chunk, _seq, min(_chunk) OVER (PARTITION BY {part}) AS first_chunk
          FROM lines WHERE {where})
        WHERE _chunk > first_chunk""")
    n = con.execute("SELECT count(*) FROM dup").fetchone()[0]
    if n:
        con.execute("DELETE FROM lines WHERE (_chunk, _seq) IN (SELECT (_chunk, _seq) FROM dup)")
    return int(n)


def _shown_names(source) -> dict[str, str]:
    """{unpacked file name: the name shown to the merchant} for (name, path) pairs."""
    if not isinstance(source, (list, tuple)):
        return {}
    return {Path(item[1]).name: str(item[0]) for item in source if isinstance(item, tuple)}


def _named_as_shown(exc: InputError, shown: dict[str, str]) -> InputError:
    """The error naming the file as the merchant knows it (its name in the zip)."""
    if exc.file in shown:
        return InputError(exc.problem, file=shown[exc.file], column=exc.column, row=exc.row, fix=exc.fix)
    return exc


def ingest_big(source: str | Path | list, kind: str | None = None, **kwargs) -> BigIngestResult:
    """Read a big file, a folder of exports with the same columns, or a list of files, in
    chunks into a DuckDB table. See the module docstring. Keywords: `mapping_override`,
    `default_currency`, `chunk_rows`, `db_path` (where to keep the DuckDB file; default: a
    temporary folder removed by `close()`), `memory_limit`, `name`, `progress(done_files, total,
    name)`, `salt` (the workspace's, intake_save.workspace_salt: personal data is protected chunk
    by chunk as intake_save.save_result does for one file, so `save()` may store the lines).
    A list may hold (name shown to the merchant, path) pairs, as extract_zip returns them: the
    report and messages then name each file as it was in the zip, not by its unpacked name.
    """
    shown = _shown_names(source)
    skips: dict[Path, list] = {}  # lines that opened a stray quote, left out on the next attempt
    try:
        for _ in range(MAX_QUOTE_REPAIRS + 1):
            try:
                return _ingest_big(source, kind, _skips=skips, **kwargs)
            except _StrayQuote as sq:
                # As the one-file path does (lenient.read_csv_repairing): the line that opened
                # the quote is left out and the input read again, so only that line is lost.
                name = sq.path.name
                found = _locate_line(sq, skips.get(sq.path, []))
                if found is None:
                    problem = "a quote opened on one line runs on over the following lines, and the line could not be found."
                    break
                skips.setdefault(sq.path, []).append(found)
        else:
            problem = f"a quote opened on one line runs on over the following lines, more than {MAX_QUOTE_REPAIRS} times."
        raise InputError(problem, file=name,
                         fix="open it in a spreadsheet and export it again as CSV (quotes around text with quotes inside).")
    except InputError as exc:
        renamed = _named_as_shown(exc, shown)
        if renamed is exc:
            raise
        raise renamed from None


def _ingest_big(
    source: str | Path | list,
    kind: str | None = None,
    *,
    mapping_override: dict | None = None,
    default_currency: str = "USD",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    db_path: str | Path | None = None,
    memory_limit: str = "1GB",
    name: str | None = None,
    progress=None,
    salt: str | None = None,
    _skips: dict | None = None,
) -> BigIngestResult:
    shown = _shown_names(source)
    if isinstance(source, (list, tuple)):
        files = [Path(item[1] if isinstance(item, tuple) else item) for item in source]
        label = name or (files[0].parent.name if len(files) > 1 else shown.get(files[0].name, files[0].name))
    else:
        files = list_files(source)
        label = name or Path(source).name
    if not files:
        raise InputError("no files to read.", file=label, fix="give a file or a folder of exports.")
    if kind is not None and kind not in intake.KINDS:
        raise InputError(f"unknown kind '{kind}'.", file=label, fix=f"use one of: {', '.join(intake.KINDS)}.")
    many = len(files) > 1
    formats = {f: _file_format(f) for f in files}
    show = {f: shown.get(f.name, f.name) for f in files}  # each file's name in the report
    for f, found in (_skips or {}).items():
        if f in formats and formats[f].format == "csv":
            _leave_out(formats[f], found)

    # 1. kind and mapping from a sample of the first file
    first = files[0]
    sample = _sample(first, formats[first])
    if kind is None:
        try:
            kind, mapping = intake.detect_kind(sample)
        except InputError as exc:
            raise InputError(exc.problem, file=first.name, fix=exc.fix) from None
        if mapping_override:
            mapping = intake.map_columns(sample, kind, mapping_override)
    else:
        mapping = intake.map_columns(sample, kind, mapping_override)
    missing = [f for f in intake.REQUIRED[kind] if f not in mapping.mapping]
    missing += ["/".join(g) for g in intake.REQUIRED_ANY[kind] if not any(f in mapping.mapping for f in g)]
    if missing:
        raise InputError(
            f"this {kind} file has no column for: {', '.join(missing)}. Columns seen: {', '.join(map(str, sample.columns[:15]))}.",
            file=first.name, fix="rename the column in the file, or map it by hand on the Data page.")
    columns = list(sample.columns)
    # every field named, unmapped ones as "": each chunk gets exactly the sample's mapping
    forced = {f: mapping.mapping.get(f, "") for f in SYNONYM_INDEX[kind]}
    for f in files[1:]:
        _check_same_columns(f, formats[f], columns)

    # 2. the date format from the whole column (only text dates of the d/m, m/d family)
    evidence = _DateEvidence()
    date_col = mapping.mapping.get(_DATE_FIELD.get(kind, ""), None)
    if date_col and not pd.api.types.is_datetime64_any_dtype(sample[date_col]):
        probe = _DateEvidence()
        probe.add(sample[date_col])
        if probe.dmy_values > probe.values / 2:
            for f in files:
                for chunk, _ in _iter_chunks(f, formats[f], chunk_rows * 4, columns=[date_col]):
                    evidence.add(chunk.iloc[:, 0])

    # 3. clean chunk by chunk into DuckDB
    owned = None
    if db_path is None:
        owned = Path(tempfile.mkdtemp(prefix="ecom-big-"))
        db = owned / "ingest.duckdb"
    else:
        db = Path(db_path)
        db.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(db, memory_limit)
    for table in ("lines", "_dates", "_tz", "_messages"):  # a kept db_path read again
        con.execute(f"DROP TABLE IF EXISTS {table}")
    order_col = mapping.mapping.get("order_id") if kind == "orders" else None
    conv_col = mapping.mapping.get("conversation_id") if kind == "support" else None
    judges_dates = kind in ("orders", "reviews", "traffic")  # the cleaners that call dates.implausible_dates
    names = [show[f] for f in files] if many else None
    stats: dict[int, _ChunkStats] = {}
    created = [False]
    has_tz = [False]
    order_by = "_chunk, _seq"

    def add_tz(st) -> None:
        if st.tz_values:
            con.register("tz_frame", pd.DataFrame({"v": pd.Series(st.tz_values, dtype="str")}))
            con.execute("INSERT INTO _tz SELECT v FROM tz_frame" if has_tz[0] else "CREATE TABLE _tz AS SELECT v FROM tz_frame")
            con.unregister("tz_frame")
            has_tz[0] = True
            st.tz_values = []

    def redo(chunks: set, bulk_of) -> None:
        """Clean these chunks again (read again from their files), with `bulk_of(seq)`."""
        for i_file, f in enumerate(files):
            end = starts[i_file + 1][0] if i_file + 1 < len(files) else seq
            mine = {c for c in chunks if starts[i_file][0] <= c < end}
            if not mine:
                continue
            for ch in _file_chunks(f, i_file, formats[f], chunk_rows, order_col, show[f] if many else None,
                                   *starts[i_file]):
                if ch.seq in mine:
                    run(ch, bulk_of(ch.seq))
                if ch.seq >= max(mine):
                    break

    def run(ch: _Chunk, bulk) -> None:
        df, st = _clean_chunk(ch, kind, forced, mapping.mapping, default_currency, salt, date_col, evidence, bulk, names)
        st.seen = dict(bulk.seen)
        stats[ch.seq] = st
        add_tz(st)
        if df is None:
            if created[0]:  # cleaned again and nothing left
                con.execute(f"DELETE FROM lines WHERE _chunk = {ch.seq}")
            return
        df["_chunk"] = np.int32(ch.seq)
        df["_seq"] = np.arange(len(df), dtype=np.int64)
        con.register("chunk_frame", df)
        if not created[0]:
            con.execute("CREATE TABLE lines AS SELECT * FROM chunk_frame")
            created[0] = True
        else:
            con.execute(f"DELETE FROM lines WHERE _chunk = {ch.seq}")
            con.execute("INSERT INTO lines BY NAME SELECT * FROM chunk_frame")
        con.unregister("chunk_frame")

    try:
        if judges_dates:
            con.execute("CREATE OR REPLACE TABLE _dates (c INTEGER, d TIMESTAMP, n BIGINT)")
        starts = []  # per file: (its first chunk, rows of the files before it)
        seq = global_row = 0
        for i_file, f in enumerate(files):
            starts.append((seq, global_row))
            for ch in _file_chunks(f, i_file, formats[f], chunk_rows, order_col, show[f] if many else None, seq, global_row):
                seq, global_row = ch.seq + 1, ch.global_row + len(ch.raw)
                if conv_col:
                    stats[ch.seq] = _stage_messages(con, ch, conv_col, date_col)
                    add_tz(stats[ch.seq])
                else:
                    run(ch, whole_store.Store(collect=_date_collector(con, ch.seq) if judges_dates else None))
                del ch
            if progress:
                progress(i_file + 1, len(files), show[f])
        if conv_col:
            # A chat's messages may be anywhere in the export: the messages are grouped by
            # conversation into partitions of about `chunk_rows`, each cleaned whole.
            offset = _store_offset(con) if has_tz[0] else None
            for ch in _conversation_chunks(con, seq, chunk_rows, formats[first], label):
                run(ch, whole_store.Store(offset_minutes=offset))
            con.execute("DROP TABLE IF EXISTS _message_parts")
            con.execute("DROP TABLE IF EXISTS _messages")
            order_by = "ticket_id, _chunk, _seq"  # intake's order: tickets sorted by conversation
        offset = None
        facts: dict = {}
        if not conv_col:
            # Whole-column decisions, as the one-file path takes them: times are converted to the
            # most common offset of the whole column (a store's summer and winter offsets); a
            # discount column holds rates or money, ratings their scale, order ids are numbers or
            # not, for the whole store. Chunks that decided otherwise on their own rows are
            # cleaned again with the store's (their dates collected again).
            offset = _store_offset(con) if has_tz[0] else None
            facts = _store_facts(stats)
            other = {c for c, st in stats.items()
                     if (offset is not None and st.offset is not None and st.offset != offset)
                     or _decides_otherwise(st.seen, facts)}
            if other and judges_dates:
                con.execute(f"DELETE FROM _dates WHERE c IN ({', '.join(map(str, sorted(other)))})")
            redo(other, lambda c: whole_store.Store(collect=_date_collector(con, c) if judges_dates else None,
                                                    offset_minutes=offset, forced=facts))
        if judges_dates:
            # "Far from the bulk" is judged over the whole store, as the one-file path does: the
            # chunks holding such dates are cleaned again with the whole store's bulk.
            bounds, affected = _store_bulk(con)
            con.execute("DROP TABLE _dates")
            redo(set(affected), lambda c: whole_store.Store(bounds=bounds, offset_minutes=offset, forced=facts))
        rows_in = sum(st.rows_in for st in stats.values())
        if not created[0]:
            raise InputError(f"none of the {rows_in:,} rows could be used as {kind} data.", file=label,
                             fix="check the quirks listed: dates, numbers and ids must be readable.")
        quirks, notes, read, rows_usable, pii_found, privacy = _merge_stats(stats)
        if has_tz[0]:
            # intake counts distinct date texts with a time zone: distinct over the whole input
            n_tz = con.execute("SELECT count(DISTINCT v) FROM _tz").fetchone()[0]
            con.execute("DROP TABLE _tz")
            if kind == "orders":  # only the orders cleaner reports them
                quirks.setdefault("dates_with_timezone", intake.Quirk(
                    "dates_with_timezone", "Dates with a time zone", 0, "Shown in the store's most common time zone."))
                quirks["dates_with_timezone"].count = int(n_tz)
        if kind == "orders":
            extra = _mark_cross_chunk_duplicates(con)
            if extra:
                _merge_quirk(quirks, intake.Quirk(
                    "duplicate_lines", "Exact duplicate lines", extra,
                    "Counted once. If they are real repeat purchases, give each line its own id."))
        if kind == "support":
            extra = _drop_cross_chunk_duplicates(con, ["ticket_id", "text"], "ticket_id IS NOT NULL")
            if extra:
                rows_usable -= extra
                _merge_quirk(quirks, intake.Quirk("duplicate_tickets", "Exact duplicate tickets", extra,
                                                  "Counted once."))
        if kind == "reviews":
            # With ids, on every field read; without, on the whole raw row as intake compares
            # them (the fields read can be too few to tell two reviews apart: the same short
            # text under two different unmapped labels)
            keys = (["review_id", "product_id", "date", "rating", "title", "text", "customer_id"]
                    if "review_id" in mapping.mapping else ["_raw", "text"])
            extra = _drop_cross_chunk_duplicates(con, keys)
            if extra:
                rows_usable -= extra
                _merge_quirk(quirks, intake.Quirk("duplicate_reviews", "Exact duplicate reviews", extra,
                                                  "Counted once."))
    except BaseException:
        con.close()
        if owned is not None:
            shutil.rmtree(owned, ignore_errors=True)
        raise
    if evidence.dayfirst is not None:
        read["date_format"] = _style(evidence)
    elif evidence.dmy_values and "date_format" in read:
        note = (f"Every date fits both day-first and month-first; read as {read['date_format']}. "
                "If that is wrong, change the date format in the export to year-month-day.")
        if note not in notes:
            notes.append(note)
    read = {k: v for k, v in read.items() if k not in ("bad_lines", "blank_rows")}
    read["bad_lines"] = quirks["malformed_lines"].count if "malformed_lines" in quirks else 0
    read["blank_rows"] = quirks["blank_rows"].count if "blank_rows" in quirks else 0
    read = {k: v for k, v in read.items() if v not in ("", 0)}
    if many:
        read["files"] = len(files)
    report = intake.QualityReport(file=label, kind=kind, rows_in=rows_in, rows_usable=rows_usable,
                                  mapping=dict(mapping.mapping), confidence=dict(mapping.confidence), read=read,
                                  quirks=list(quirks.values()), notes=notes)
    if hasattr(report, "pii"):
        report.pii = pii_found
    return BigIngestResult(kind=kind, mapping=dict(mapping.mapping), report=report, raw_columns=columns,
                           files=[show[f] for f in files], db_path=db, _con=con, _owned_dir=owned,
                           protected=salt is not None, privacy=privacy, order_by=order_by)


def _sample(path: Path, fmt: _FileFormat | None = None) -> pd.DataFrame:
    fmt = fmt or _file_format(path)
    sample = None
    for _ in range(MAX_QUOTE_REPAIRS + 1):
        try:
            sample, _ = next(_iter_chunks(path, fmt, SAMPLE_ROWS), (pd.DataFrame(), 0))
            break
        except _StrayQuote as sq:  # the line that opened it is left out (and reported) from now on
            found = _locate_line(sq, fmt.broken.ranges if fmt.broken is not None else [])
            if found is None:
                break
            _leave_out(fmt, [found])
    if sample is None:
        raise InputError("a quote opened on one line runs on over the following lines.", file=path.name,
                         fix="open it in a spreadsheet and export it again as CSV.")
    sample.columns = intake._unique_headers([str(c).strip() for c in sample.columns])
    if sample.empty:
        raise InputError("the file has a header but no data rows.", file=path.name,
                         fix="export the data again with its rows.")
    return sample.head(SAMPLE_ROWS)


def peek(files: list) -> tuple[pd.DataFrame, str | None]:
    """The first rows of the first file and the kind detected from them (None if unclear):
    what a page needs to pick the remembered mapping before the whole input is read. `files`
    as for ingest_big (paths, or (shown name, path) pairs)."""
    first = files[0]
    try:
        sample = _sample(Path(first[1] if isinstance(first, tuple) else first))
    except InputError as exc:
        renamed = _named_as_shown(exc, _shown_names(files[:1]))
        if renamed is exc:
            raise
        raise renamed from None
    try:
        kind, _ = intake.detect_kind(sample)
    except InputError:
        kind = None
    return sample, kind


def _style(evidence: _DateEvidence) -> str:
    sep = max(evidence.separators, key=evidence.separators.get)
    two = evidence.two_digit_years > evidence.dmy_values / 2
    return (("day/month/year" if evidence.dayfirst else "month/day/year").replace("/", sep)
            + (" (2-digit year)" if two else ""))


def _check_same_columns(path: Path, fmt: _FileFormat, columns: list[str]) -> None:
    if fmt.format == "csv":
        cols = intake._unique_headers([h.strip() for h in fmt.header])
    elif fmt.format == "parquet":
        import pyarrow.parquet as pq

        cols = intake._unique_headers([str(c).strip() for c in pq.ParquetFile(str(path)).schema_arrow.names])
    else:
        return  # read whole later; a mismatch shows up as unmapped columns
    missing = [c for c in columns if c not in cols]
    extra = [c for c in cols if c not in columns]
    if missing:
        raise InputError(
            f"its columns differ from the first file's: missing {', '.join(missing[:8])}"
            + (f"; extra {', '.join(extra[:8])}" if extra else "") + ".",
            file=path.name, fix="export every day with the same columns, or load this file on its own.")


def _global_ids(df: pd.DataFrame, kind: str, mapping: dict, offset: int) -> pd.DataFrame:
    """Ids intake generates from row numbers restart in every chunk; make them unique over the whole input."""
    if offset == 0:
        return df
    if kind == "orders" and "order_id" not in mapping:
        df["order_id"] = (pd.to_numeric(df["order_id"]) + offset).astype("int64").astype("str")
    if kind == "reviews" and "review_id" not in mapping:
        n = pd.to_numeric(df["review_id"].str.slice(4), errors="coerce")
        df["review_id"] = ("row-" + (n + offset).astype("int64").astype("str")).astype("str")
    if kind == "support" and "ticket_id" not in mapping and "conversation_id" not in mapping:
        n = pd.to_numeric(df["ticket_id"].str.slice(4), errors="coerce")
        df["ticket_id"] = ("row-" + (n + offset).astype("int64").astype("str")).astype("str")
    return df


def _mark_cross_chunk_duplicates(con) -> int:
    """Lines repeated in another chunk or file (equal on every canonical field and the line
    type) are duplicates after their first appearance. Only (order, product) pairs seen in two
    chunks are compared, so the usual case costs one aggregation."""
    keys = ", ".join(_q(c) for c in ORDERS_FIELDS + ["line_type"])
    con.execute("""CREATE OR REPLACE TEMP TABLE multi AS SELECT order_id, product_id FROM lines
                   GROUP BY order_id, product_id HAVING count(DISTINCT _chunk) > 1""")
    if con.execute("SELECT count(*) FROM multi").fetchone()[0] == 0:
        return 0
    con.execute(f"""CREATE OR REPLACE TEMP TABLE dup AS
        SELECT _chunk, _seq FROM (
          SELECT _chunk, _seq, row_number() OVER (PARTITION BY {keys} ORDER BY _chunk, _seq) AS rn
          FROM lines SEMI JOIN multi USING (order_id, product_id) WHERE NOT is_duplicate)
        WHERE rn > 1""")
    n = con.execute("SELECT count(*) FROM dup").fetchone()[0]
    if n:
        con.execute("UPDATE lines SET is_duplicate = TRUE FROM dup WHERE lines._chunk = dup._chunk AND lines._seq = dup._seq")
    return int(n)


def load_orders(path: str | Path, default_currency: str = "USD") -> pd.DataFrame:
    """The canonical order lines of a folder, zip or big file (intake.load_orders for big inputs)."""
    with ingested_orders(path, default_currency) as res:
        return res.to_frame()


@contextmanager
def ingested_orders(path: str | Path, default_currency: str = "USD"):
    """ingest_big of the order lines of a folder, zip (unpacked to a temporary folder) or big
    file; closed, and the unpacked files removed, when the block ends."""
    p = Path(path)
    tmp = None
    try:
        source = p
        if p.is_file() and p.suffix.lower() == ".zip":
            tmp = Path(tempfile.mkdtemp(prefix="ecom-zip-"))
            source = extract_zip(p, tmp)
        res = ingest_big(source, kind="orders", default_currency=default_currency, name=p.name)
        try:
            yield res
        finally:
            res.close()
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# The CLI document and zip uploads
# ---------------------------------------------------------------------------------------
def cli_document(path: str | Path, kind: str | None = None, default_currency: str = "USD",
                 save_to=None, dataset_name: str | None = None) -> dict:
    """The `ingest --json` document (the same keys as for one file) for a folder, zip or big file.
    With `save_to` (a Workspace), the lines are saved as its active dataset and `saved` is added."""
    p = Path(path)
    tmp = None
    try:
        if p.is_file() and p.suffix.lower() == ".zip":
            tmp = Path(tempfile.mkdtemp(prefix="ecom-zip-"))
            source = extract_zip(p, tmp)
        else:
            source = p
        salt = None
        if save_to is not None:
            from ecom_models.intake.save import workspace_salt

            salt = workspace_salt(save_to)
        res = ingest_big(source, kind=kind, default_currency=default_currency, name=p.name, salt=salt)
        try:
            report = res.report
            document = {
                "file": report.file, "kind": res.kind, "rows_in": report.rows_in, "rows_usable": report.rows_usable,
                "mapping": res.mapping, "confidence": report.confidence, "quirks": report.quirk_counts,
                "notes": report.notes, "read": report.read,
                "dropped_lines": next((q.examples for q in report.quirks if q.key == "malformed_lines"), []),
                "pii": getattr(report, "pii", {}),
            }
            if res.kind == "orders":
                document.update(res.summary())
            if save_to is not None:
                info = res.save(save_to, dataset_name or p.name, source_file=p.name)
                document["saved"] = {"workspace": save_to.name, "name": info.name, "rows": info.rows}
            return document
        finally:
            res.close()
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


def extract_zip(source, dest: str | Path, max_bytes: int | None = None,
                max_members: int = MAX_ZIP_MEMBERS) -> list[tuple[str, Path]]:
    """Unpack the exports of a zip into `dest`, safely. Returns (name in the zip, file on disk)
    in name order. Members are written under generated names (never their own paths), links,
    folders, hidden files and other formats are skipped, and the bytes actually read are
    counted against `max_bytes` (a zip bomb's headers may lie)."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    limit = max_unzipped_bytes() if max_bytes is None else max_bytes
    label = Path(source).name if isinstance(source, (str, Path)) else getattr(source, "name", "upload.zip")
    opened = source if isinstance(source, (str, Path)) else io.BytesIO(
        source if isinstance(source, (bytes, bytearray)) else source.getvalue())
    try:
        zf = zipfile.ZipFile(opened)
    except (zipfile.BadZipFile, OSError):
        raise InputError("this is not a readable zip file.", file=label,
                         fix="zip the exports again (a plain .zip, no password).") from None
    out: list[tuple[str, Path]] = []
    total = 0
    with zf:
        members = zf.infolist()
        if len(members) > max_members:
            raise InputError(f"the zip holds {len(members):,} entries, more than {max_members:,}.", file=label,
                             fix="zip fewer files at a time, e.g. one month of daily exports.")
        declared = sum(m.file_size for m in members)
        if declared > limit:
            raise InputError(f"the zip unpacks to {declared / 1e6:,.0f} MB, above the {limit / 1e6:,.0f} MB limit.",
                             file=label, fix="zip fewer files at a time, or raise ECOM_MAX_UNZIPPED_MB.")
        picked = []
        for m in members:
            inner = PurePosixPath(m.filename.replace("\\", "/"))
            is_link = (m.external_attr >> 16) & 0o170000 == 0o120000
            if (m.is_dir() or is_link or inner.name.startswith(".") or "__MACOSX" in inner.parts
                    or inner.suffix.lower() not in SUFFIXES):
                continue
            if m.flag_bits & 0x1:
                raise InputError(f"'{inner.name}' in the zip is password-protected.", file=label,
                                 fix="zip the exports again without a password.")
            picked.append((str(inner), m))
        if not picked:
            raise InputError("the zip holds no CSV, Parquet, Excel or JSON Lines export.", file=label,
                             fix="zip the export files themselves (not a folder of shortcuts).")
        picked.sort(key=lambda t: t[0])
        for i, (inner_name, m) in enumerate(picked):
            safe = _SAFE_NAME_RE.sub("_", PurePosixPath(inner_name).name)[-80:].lstrip(".") or "export"
            target = dest / f"{i:05d}_{safe}"
            written = 0
            try:
                with zf.open(m) as src, target.open("wb") as dst:
                    while block := src.read(1 << 20):
                        written += len(block)
                        total += len(block)
                        if written > m.file_size or total > limit:
                            raise InputError(
                                f"the zip unpacks to more than its entries declare or above the "
                                f"{limit / 1e6:,.0f} MB limit (a zip bomb?).", file=label,
                                fix="zip the exports again, or raise ECOM_MAX_UNZIPPED_MB for a real large archive.")
                        dst.write(block)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError) as exc:
                raise InputError(f"'{inner_name}' in the zip could not be unpacked ({type(exc).__name__}).",
                                 file=label, fix="zip the exports again.") from None
            out.append((inner_name, target))
    return out
