"""Files to chunks of raw rows with bounded memory: each file's format, encoding, separator and
header, then Arrow's streaming CSV reader (Parquet row group by row group; other formats read
whole) yielding about `chunk_rows` rows at a time (`iter_chunks`). CSV values stay strings, as
in read.py.

- The encoding is decided over the whole file by the one-file path's rule (read.py): UTF-8
  with or without BOM; UTF-8 with a few broken lines, which are skipped while streaming
  (`WithoutBrokenLines`) and reported with their line numbers; else Windows-1252 or Latin-1.
- The separator and the header come from the file's first 64 KB (read.sniff_delimiter).
- A quote opened on one line that swallows the lines after it raises `StrayQuote`; the line
  that opened it is found (`locate_line`) and left out (`leave_out`) and the input is read
  again (ingest.ingest_big), as lenient.read_csv_repairing does for one file.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.intake.big.files import STREAMED
from ecom_models.intake.read import ReadInfo, count_outside_quotes, read_table, sniff_delimiter, unique_headers


SAMPLE_ROWS = 20_000


@dataclass
class FileFormat:
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
    """The encoding as the one-file path (read._decode) decides it, over the whole file:
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


def leave_out(fmt: FileFormat, found: list) -> None:
    """Lines that opened a stray quote join the lines left out while reading (and reported)."""
    broken = fmt.broken or _Broken()
    broken.ranges = sorted(broken.ranges + [(a, b) for a, b, _, _ in found])
    broken.lines = sorted(broken.lines + [n for _, _, n, _ in found])
    broken.examples = sorted(broken.examples + [e for _, _, _, e in found], key=lambda e: e["line"])[:5]
    fmt.broken = broken


class WithoutBrokenLines(io.RawIOBase):
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


def _csv_format(path: Path, name: str) -> FileFormat:
    import csv

    encoding, broken = _detect_encoding(path, name)
    with path.open("rb") as fh:
        head = fh.read(65536)
    text = head.decode(encoding if encoding != "utf-16" else "utf-16", errors="replace").lstrip("\ufeff")
    if not text.strip():
        raise InputError("the file is empty.", file=name, fix="export the data again; the file has no rows.")
    delimiter = sniff_delimiter(text)
    header_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    if count_outside_quotes(header_line, delimiter) == 0:
        delimiter = "\x1f"  # one column: commas inside values stay (as intake does)
    header = next(csv.reader([header_line], delimiter=delimiter), [])
    if not header or not header[0].strip():
        raise InputError("could not find column names in the first line.", file=name,
                         fix="make sure the first row holds the column names, separated by commas, semicolons or tabs.")
    if broken is not None and broken.lines and broken.lines[0] == 1:
        # the header line is read with its broken bytes replaced (the column names come from it), not dropped
        broken.lines, broken.examples = broken.lines[1:], [e for e in broken.examples if e["line"] != 1]
    return FileFormat("csv", encoding, delimiter, header, broken)


def file_format(path: Path) -> FileFormat:
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic == b"PAR1" or suffix == ".parquet":
        return FileFormat("parquet", "", "")
    if suffix in STREAMED:
        return _csv_format(path, path.name)
    return FileFormat("whole")


MAX_QUOTE_REPAIRS = 20


class StrayQuote(Exception):
    """A line opened a quote that swallowed the lines after it (found while streaming)."""

    def __init__(self, path: Path, fmt: FileFormat, text: str, inside: bool = False):
        super().__init__(str(path))
        self.path, self.fmt, self.text, self.inside = path, fmt, text, inside  # inside: text starts mid-line


def _has_newline(batch) -> bool:
    """Whether any text value of the batch holds a line break (a look at the raw buffers: ~1 ms)."""
    for column in batch.columns:
        buffers = column.buffers()
        if len(buffers) > 2 and buffers[2] is not None and memoryview(buffers[2]).tobytes().find(b"\n") >= 0:
            return True
    return False


def locate_line(sq: StrayQuote, taken: list) -> tuple | None:
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


def iter_chunks(path: Path, fmt: FileFormat, chunk_rows: int, columns: list[str] | None = None):
    """Yield (frame, malformed lines skipped in it). CSV values stay strings, as in read.py."""
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
        info = ReadInfo(format="")
        df = read_table(str(path), name=path.name, info=info)
        # what read_table left out (damaged JSON lines, blank rows), reported with the first chunk
        fmt.whole_losses = (info.blank_rows, info.bad_lines, list(info.dropped))
        if columns is not None:
            df = df[[c for c in columns if c in df.columns]]
        for start in range(0, len(df), chunk_rows):
            yield df.iloc[start:start + chunk_rows].reset_index(drop=True), 0
        return
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = unique_headers([h.strip() for h in fmt.header])
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
            WithoutBrokenLines(path, fmt.broken) if fmt.broken is not None else str(path),
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
                raise StrayQuote(path, fmt, stray[0])
            if _has_newline(batch):
                # a quote that swallowed whole lines into one value of a valid-looking row
                from ecom_models.intake.lenient import swallowed

                value = swallowed(pa.Table.from_batches([batch]), fmt.delimiter)
                if value is not None:
                    raise StrayQuote(path, fmt, value, inside=True)
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
            raise StrayQuote(path, fmt, stray[0])
        if n_pending or bad[0]:
            yield pa.Table.from_batches(pending, schema=reader.schema).to_pandas(), bad[0]
    except pa.ArrowInvalid as exc:
        if "straddl" in str(exc):
            # a quote that ran on for more than a block (8 MB): find the line that opened it
            line = _runaway_quote(path, fmt, rows_done[0])
            if line is not None:
                raise StrayQuote(path, fmt, line) from None
        raise InputError(f"the CSV could not be read ({str(exc).splitlines()[0]}).", file=path.name,
                         fix="open it in a spreadsheet and export it again as CSV.") from None


def _runaway_quote(path: Path, fmt: FileFormat, rows_done: int, limit: int = 1 << 23) -> str | None:
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


def read_sample(path: Path, fmt: FileFormat | None = None) -> pd.DataFrame:
    fmt = fmt or file_format(path)
    sample = None
    for _ in range(MAX_QUOTE_REPAIRS + 1):
        try:
            sample, _ = next(iter_chunks(path, fmt, SAMPLE_ROWS), (pd.DataFrame(), 0))
            break
        except StrayQuote as sq:  # the line that opened it is left out (and reported) from now on
            found = locate_line(sq, fmt.broken.ranges if fmt.broken is not None else [])
            if found is None:
                break
            leave_out(fmt, [found])
    if sample is None:
        raise InputError("a quote opened on one line runs on over the following lines.", file=path.name,
                         fix="open it in a spreadsheet and export it again as CSV.")
    sample.columns = unique_headers([str(c).strip() for c in sample.columns])
    if sample.empty:
        raise InputError("the file has a header but no data rows.", file=path.name,
                         fix="export the data again with its rows.")
    return sample.head(SAMPLE_ROWS)


def check_same_columns(path: Path, fmt: FileFormat, columns: list[str]) -> None:
    if fmt.format == "csv":
        cols = unique_headers([h.strip() for h in fmt.header])
    elif fmt.format == "parquet":
        import pyarrow.parquet as pq

        cols = unique_headers([str(c).strip() for c in pq.ParquetFile(str(path)).schema_arrow.names])
    else:
        return  # read whole later; a mismatch shows up as unmapped columns
    missing = [c for c in columns if c not in cols]
    extra = [c for c in cols if c not in columns]
    if missing:
        raise InputError(
            f"its columns differ from the first file's: missing {', '.join(missing[:8])}"
            + (f"; extra {', '.join(extra[:8])}" if extra else "") + ".",
            file=path.name, fix="export every day with the same columns, or load this file on its own.")
