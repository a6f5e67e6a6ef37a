"""One chunk through intake's `ingest`: read from its file with an order's lines never cut in
two (`file_chunks`), cleaned exactly as a small file is (`clean_chunk`), its quirks' example
rows placed at their row and file in the input, and what every chunk adds to the report
merged in input order (`merge_stats`). Chat exports (one row per message) are staged in
DuckDB (`stage_messages`) and cleaned in partitions of whole conversations
(`conversation_chunks`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ecom_models.core import whole_store
from ecom_models.core.errors import InputError
from ecom_models.intake.big.stream import FileFormat, iter_chunks
from ecom_models.intake.big.store_wide import DateEvidence, force_dates, most_common_offset, offset_counts, tz_values
from ecom_models.intake.load import ingest
from ecom_models.intake.read import ReadInfo, drop_blank_rows, unique_headers
from ecom_models.intake.report import QualityReport, Quirk


@dataclass
class Chunk:
    """Rows as intake.ingest will see them, and where they sit in the input."""
    seq: int  # chunk number over the whole input (the `_chunk` of its stored lines)
    file_index: int
    name: str  # the file's name (partitions: the first file's)
    label: str | None  # the file's name in examples when several files are read
    raw: pd.DataFrame
    info: ReadInfo
    offset: int  # rows of the file before this chunk (example row numbers)
    global_row: int  # rows of the input before this chunk (generated ids)
    where: np.ndarray | None = None  # conversation partitions: each row's (file index, row number)


@dataclass
class ChunkStats:
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
    identities: pd.DataFrame | None = None  # pseudonym -> original id and contacts (pii.identity_frame)


def file_chunks(f: Path, file_index: int, fmt: FileFormat, chunk_rows: int, order_col: str | None,
                label: str | None, seq: int, global_row: int):
    """The chunks of one file, blank rows dropped, an order's lines never cut in two. The same
    file gives the same chunks every time (a chunk can be read again)."""
    carry: pd.DataFrame | None = None
    first_of_file = first_chunk = True
    row_in_file = 0  # data rows of this file before the current chunk
    chunks = iter_chunks(f, fmt, chunk_rows)
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
            raw.columns = unique_headers([str(c).strip() for c in raw.columns])
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
        info = ReadInfo(format=fmt.format if fmt.format != "whole" else "", bad_lines=bad)
        if fmt.format == "csv":
            info.encoding, info.delimiter = fmt.encoding, (fmt.delimiter if fmt.delimiter != "\x1f" else "none (one column)")
        if first_of_file and fmt.broken is not None:
            # lines with broken bytes, left out while reading: reported once, with the first chunk
            info.bad_lines += len(fmt.broken.lines)
            info.dropped = [dict(e) for e in fmt.broken.examples]
        first_of_file = False
        n_before_blank = len(raw)
        raw = drop_blank_rows(raw, info).reset_index(drop=True)
        if first_chunk and fmt.format == "whole":
            blank, bad_lines, dropped = fmt.whole_losses
            info.blank_rows += blank
            info.bad_lines += bad_lines
            info.dropped = info.dropped + [dict(d) for d in dropped]
        first_chunk = False
        yield Chunk(seq, file_index, f.name, label, raw, info, row_in_file, global_row)
        row_in_file += n_before_blank
        global_row += len(raw)
        seq += 1


def _read_loss_quirks(info: ReadInfo, label: str | None) -> list:
    """Blank and malformed lines of a chunk that intake.ingest did not report (nothing else was usable)."""
    out = []
    if info.blank_rows:
        out.append(Quirk("blank_rows", "Blank rows", info.blank_rows, "Left out. Nothing to do."))
    if info.bad_lines:
        out.append(Quirk(
            "malformed_lines", "Malformed lines (wrong number of fields, broken characters, damaged JSON)",
            info.bad_lines, "Left out. Check the export for stray separators, quotes or line breaks inside values.",
            [({"file": label, **d} if label else dict(d)) for d in info.dropped[:5]]))
    return out


def _placed(q: Quirk, ch: Chunk, names: list[str] | None) -> Quirk:
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
    return Quirk(q.key, q.label, q.count, q.advice, examples)


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


def clean_chunk(ch: Chunk, kind: str, forced: dict, mapping: dict, default_currency: str, salt: str | None,
                date_col: str | None, evidence: DateEvidence, bulk, names):
    """intake.ingest on one chunk: (canonical lines or None, what the chunk adds to the report)."""
    st = ChunkStats()
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
        st.tz_values = tz_values(raw, date_col)
        st.offset = most_common_offset(offset_counts(st.tz_values))
    try:
        with whole_store.pieces(bulk):
            if date_col:
                force_dates(raw, date_col, evidence)
            res = ingest(raw, kind=kind, name=ch.name, mapping_override=forced, default_currency=default_currency, read_info=info)
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
        st.identities = pii.identity_frame(df, salt, raw, res.mapping.get("customer_id"), rep.pii)
        df, st.privacy = pii.protect_frame(df, kind, salt, canonical)
    return df, st


def merge_stats(stats: dict[int, ChunkStats]):
    """The report's parts from every chunk's, in input order (examples: the input's first ones)."""
    quirks: dict[str, Quirk] = {}
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
                quirks[q.key] = Quirk(q.key, q.label, q.count, q.advice, [])
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


def merge_quirk(quirks: dict[str, Quirk], q: Quirk) -> None:
    """Add a quirk found over the whole input (cross-chunk duplicates) to the merged ones."""
    if q.key in quirks:
        old = quirks[q.key]
        old.count += q.count
        old.examples = (old.examples + q.examples)[:3]
    else:
        quirks[q.key] = Quirk(q.key, q.label, q.count, q.advice, list(q.examples[:3]))


def stage_messages(con, ch: Chunk, conv_col: str, date_col: str | None) -> ChunkStats:
    """Chat messages are put aside in DuckDB (raw, with their place in the input) to be grouped
    by conversation later. Messages without a conversation id become their own conversation
    `row-N`, as intake names them, and are counted here."""
    from ecom_models.intake.pii import detect_pii, scrub_report
    from ecom_models.intake.clean_support import text_col

    st = ChunkStats(rows_in=ch.info.blank_rows + ch.info.bad_lines, quirks=_read_loss_quirks(ch.info, ch.label))
    raw = ch.raw
    if raw.empty:
        return st
    if date_col:
        st.tz_values = tz_values(raw, date_col)
    rows = ch.offset + np.arange(len(raw), dtype=np.int64) + 2
    conv = text_col(raw, conv_col)
    missing = conv.isna().to_numpy()
    key = conv.fillna(pd.Series("row-" + pd.Series(np.arange(len(raw)) + ch.global_row + 2).astype("str").to_numpy(),
                                index=raw.index))
    if missing.any():
        report = QualityReport(file="", kind="support", rows_in=0, rows_usable=0, mapping={}, confidence={}, read={})
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


def conversation_chunks(con, seq: int, chunk_rows: int, fmt: FileFormat, name: str):
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
        info = ReadInfo(format=fmt.format if fmt.format != "whole" else "", encoding=fmt.encoding)
        yield Chunk(seq + k, int(where[0][0]), name, None, raw, info, 0, 0, where)
