"""Reading damaged exports so that one bad line costs one line, not the file.

Used by `intake.read_table`:
- `decode_utf8_lenient`: a UTF-8 file with a few lines of broken bytes (a bad copy, a
  truncated upload) keeps every other line in UTF-8, instead of the whole file being
  re-read as Windows-1252 (which turns every accented or Chinese character into mojibake).
- `BadRows`: the CSV reader's bad-row callback; it never raises (an exception inside the
  callback would be printed as "Exception ignored ... Traceback" and lose the row count)
  and keeps the first few dropped lines, with their line numbers, for the report.
- `read_jsonl_lenient`: JSON Lines parsed line by line; a damaged line is dropped and counted.

A dropped line is reported as {"line": n, "reason": ..., "text": first 120 characters}, line
numbers counted in the file as a text editor shows them (header = line 1).
"""

from __future__ import annotations

import json

import pandas as pd

KEEP_EXAMPLES = 5
PREVIEW_CHARS = 120
# More broken lines than this share and the file is taken to be in another encoding.
MAX_BROKEN_SHARE = 0.01
MIN_BROKEN_ALLOWED = 20


def _preview(text: str) -> str:
    text = text.replace("\r", "").replace("\n", "⏎")
    return text[:PREVIEW_CHARS] + ("…" if len(text) > PREVIEW_CHARS else "")


def dropped(line: int | None, reason: str, text: str) -> dict:
    return {"line": line, "reason": reason, "text": _preview(text)}


def decode_utf8_lenient(data: bytes, proven: bool = False) -> tuple[str, list[dict], list[int]] | None:
    """UTF-8 text with the lines holding invalid bytes removed: (text, first examples, their line numbers).

    None when the file is not UTF-8 with a few broken lines: when nothing outside the broken
    lines proves UTF-8 (no multi-byte character), or when too many lines are broken.
    """
    total_lines = data.count(b"\n") + 1
    allowed = max(MIN_BROKEN_ALLOWED, int(total_lines * MAX_BROKEN_SHARE))
    parts: list[str] = []
    examples: list[dict] = []
    removed: list[int] = []
    count = 0
    pos = 0
    line_no = 1
    proves_utf8 = proven
    while True:
        try:
            rest = data[pos:].decode("utf-8")
        except UnicodeDecodeError as exc:
            bad_at = pos + exc.start
            newline = data.rfind(b"\n", pos, bad_at)
            start = newline + 1 if newline >= 0 else pos
            end = data.find(b"\n", bad_at)
            end = len(data) if end < 0 else end + 1
            good = data[pos:start]
            proves_utf8 = proves_utf8 or not good.isascii()
            parts.append(good.decode("utf-8"))
            line_no += good.count(b"\n")
            if start == 0:
                # The first line (a CSV's column names) keeps its place, broken bytes replaced:
                # without it the next line would be taken for the header.
                parts.append(data[start:end].decode("utf-8", errors="replace"))
                line_no += data[start:end].count(b"\n")
                pos = end
                continue
            count += 1
            removed.append(line_no)
            if count > allowed:
                return None
            if len(examples) < KEEP_EXAMPLES:
                examples.append(dropped(line_no, "broken characters (not valid UTF-8)",
                                        data[start:end].decode("utf-8", errors="replace")))
            line_no += data[start:end].count(b"\n")
            pos = end
            continue
        proves_utf8 = proves_utf8 or not rest.isascii()
        parts.append(rest)
        break
    if not proves_utf8:
        return None
    return "".join(parts), examples, removed


def restore_line_numbers(examples: list[dict], removed: list[int]) -> list[dict]:
    """Line numbers counted in a text without the `removed` lines, turned back into the file's."""
    for example in examples:
        n = example.get("line")
        if n:
            for r in sorted(removed):
                if r <= n:
                    n += 1
            example["line"] = n
    return examples


class BadRows:
    """`invalid_row_handler` for pyarrow's CSV reader: skip the row, remember it, never raise."""

    def __init__(self):
        self.count = 0
        self.lines_lost = 0
        self.rows: list[tuple[int | None, str, str]] = []
        self.first_multiline: str | None = None  # a bad row spanning lines: a stray quote swallowed them

    def __call__(self, row) -> str:
        try:
            self.count += 1
            text = row.text or ""
            spans = text.count("\n")
            self.lines_lost += spans + 1
            if spans and self.first_multiline is None:
                self.first_multiline = text[:4096]
            if len(self.rows) < KEEP_EXAMPLES:
                reason = f"{row.actual_columns} fields instead of {row.expected_columns}"
                self.rows.append((row.number if row.number and row.number > 0 else None, reason, text))
        except Exception:  # noqa: BLE001 - a callback that raises would lose the row count and print a traceback
            pass
        return "skip"

    def examples(self, data: bytes, line_offset: int = 0) -> list[dict]:
        """The kept rows with line numbers; found in the file when the reader did not know them."""
        out, search_from = [], 0
        for number, reason, text in self.rows:
            if number is None:
                at = find_line(data, text, search_from)
                if at >= 0:
                    number = data.count(b"\n", 0, at) + 1
                    search_from = at + 1
            out.append(dropped(number + line_offset if number else None, reason, text))
        return out


def find_line(data: bytes, text: str, start: int = 0) -> int:
    """Byte offset of the line beginning with `text` (a whole line or more), or -1."""
    needle = text.encode("utf-8", errors="replace")[:4096]
    if not needle:
        return -1
    at = start
    while True:
        at = data.find(needle, at)
        if at < 0:
            return -1
        end = at + len(needle)
        starts_line = at == 0 or data[at - 1:at] == b"\n"
        ends_line = len(needle) == 4096 or end >= len(data) or data[end:end + 1] in (b"\n", b"\r")
        if starts_line and ends_line:
            return at
        at += 1


def swallowed(table, delimiter: str) -> str | None:
    """A value that swallowed whole lines of the file (an unclosed quote running on until a
    later quote or the end of the file): its start, to find the line that opened it."""
    import pyarrow.compute as pc

    n_fields = table.num_columns
    # Two-column files (label, text) are left alone: a comma inside real multi-line text
    # would look like a row there.
    if n_fields < 3 or table.num_rows == 0:
        return None
    for column in table.columns:
        try:
            breaks = pc.count_substring(column, "\n")
        except Exception:  # noqa: BLE001 - not a text column
            continue
        most = pc.max(breaks).as_py()
        if not most or most < 2:
            continue
        value = column[pc.index(breaks, most).as_py()].as_py()
        lines = value.split("\n")[1:]
        looks_like_rows = sum(line.count(delimiter) == n_fields - 1 for line in lines)
        if looks_like_rows >= max(3, len(lines) // 2):
            return value[:2000]
    return None


def read_csv_repairing(read, payload: bytes, max_repairs: int = 20, delimiter: str = ","):
    """`read(payload) -> (table, BadRows)`, repeated without each line holding a stray quote.

    A stray quote makes the reader swallow every following line into one bad row. The line
    that opens the quote is removed and the file read again, so only that line is lost.
    Returns (table, bad row count, examples of dropped lines).
    """
    table, bad = read(payload)
    removed: list[dict] = []
    for _ in range(max_repairs):
        if bad.first_multiline is not None:
            at = find_line(payload, bad.first_multiline)
        else:
            value = swallowed(table, delimiter)
            if value is None:
                break
            inside = payload.find(value.encode("utf-8", errors="replace"))
            at = payload.rfind(b"\n", 0, inside) + 1 if inside >= 0 else -1
        if at < 0:
            break
        end = payload.find(b"\n", at)
        end = len(payload) if end < 0 else end + 1
        candidate = payload[:at] + payload[end:]
        table2, bad2 = read(candidate)
        if table2.num_rows <= table.num_rows:
            break
        line_no = payload.count(b"\n", 0, at) + 1 + sum(1 for r in removed if r["line"] <= payload.count(b"\n", 0, at) + 1)
        removed.append(dropped(line_no, "unbalanced quote", payload[at:end].decode("utf-8", errors="replace")))
        payload, table, bad = candidate, table2, bad2
    examples = sorted(removed + bad.examples(payload), key=lambda d: d["line"] or 0)[:KEEP_EXAMPLES]
    return table, bad.count + len(removed), examples


def read_jsonl_lenient(text: str) -> tuple[pd.DataFrame, list[dict], int]:
    """JSON Lines, one object per line; lines that are not a JSON object are dropped and counted."""
    records, examples, count = [], [], 0
    for i, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):
            value = None
        if isinstance(value, dict):
            records.append(value)
            continue
        count += 1
        if len(examples) < KEEP_EXAMPLES:
            examples.append(dropped(i, "not a JSON object", line))
    # Values come back as text, like CSV values: parsing is the cleaner's job.
    df = pd.DataFrame.from_records(records).astype("str") if records else pd.DataFrame()
    return df, examples, count
