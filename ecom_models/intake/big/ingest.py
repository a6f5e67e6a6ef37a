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

Zip uploads are unpacked safely by files.extract_zip (`cli_document` and `ingested_orders`
unpack a zip path to a temporary folder and read that).
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from ecom_models.core import whole_store
from ecom_models.core.errors import InputError
from ecom_models.intake.big.chunks import (Chunk, ChunkStats, clean_chunk, conversation_chunks, file_chunks,
                                           merge_quirk, merge_stats, stage_messages)
from ecom_models.intake.currency import DEFAULT_CURRENCY, infer_currency
from ecom_models.intake.big.files import extract_zip, list_files, named_as_shown, shown_names
from ecom_models.intake.big.result import (BigIngestResult, connect, drop_cross_chunk_duplicates,
                                           mark_cross_chunk_duplicates)
from ecom_models.intake.big.store_wide import (DateEvidence, date_collector, date_style, decides_otherwise, store_bulk,
                                               store_facts, whole_store_offset, currency_notes)
from ecom_models.intake.big.stream import (MAX_QUOTE_REPAIRS, StrayQuote, check_same_columns, file_format, iter_chunks,
                                           leave_out, locate_line, read_sample)
from ecom_models.intake.mapping import detect_kind, kind_and_mapping
from ecom_models.intake.report import QualityReport, Quirk
from ecom_models.intake.schemas import KINDS, SYNONYM_INDEX


DEFAULT_CHUNK_ROWS = 250_000
_DATE_FIELD = {"orders": "order_date", "reviews": "date", "traffic": "date", "support": "created_at"}


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
    shown = shown_names(source)
    skips: dict[Path, list] = {}  # lines that opened a stray quote, left out on the next attempt
    try:
        for _ in range(MAX_QUOTE_REPAIRS + 1):
            try:
                return _ingest_big(source, kind, _skips=skips, **kwargs)
            except StrayQuote as sq:
                # As the one-file path does (lenient.read_csv_repairing): the line that opened
                # the quote is left out and the input read again, so only that line is lost.
                name = sq.path.name
                found = locate_line(sq, skips.get(sq.path, []))
                if found is None:
                    problem = "a quote opened on one line runs on over the following lines, and the line could not be found."
                    break
                skips.setdefault(sq.path, []).append(found)
        else:
            problem = f"a quote opened on one line runs on over the following lines, more than {MAX_QUOTE_REPAIRS} times."
        raise InputError(problem, file=name,
                         fix="open it in a spreadsheet and export it again as CSV (quotes around text with quotes inside).")
    except InputError as exc:
        renamed = named_as_shown(exc, shown)
        if renamed is exc:
            raise
        raise renamed from None


def _ingest_big(
    source: str | Path | list,
    kind: str | None = None,
    *,
    mapping_override: dict | None = None,
    default_currency: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    db_path: str | Path | None = None,
    memory_limit: str = "1GB",
    name: str | None = None,
    progress=None,
    salt: str | None = None,
    _skips: dict | None = None,
) -> BigIngestResult:
    shown = shown_names(source)
    if isinstance(source, (list, tuple)):
        files = [Path(item[1] if isinstance(item, tuple) else item) for item in source]
        label = name or (files[0].parent.name if len(files) > 1 else shown.get(files[0].name, files[0].name))
    else:
        files = list_files(source)
        label = name or Path(source).name
    if not files:
        raise InputError("no files to read.", file=label, fix="give a file or a folder of exports.")
    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown kind '{kind}'.", file=label, fix=f"use one of: {', '.join(KINDS)}.")
    many = len(files) > 1
    formats = {f: file_format(f) for f in files}
    show = {f: shown.get(f.name, f.name) for f in files}  # each file's name in the report
    for f, found in (_skips or {}).items():
        if f in formats and formats[f].format == "csv":
            leave_out(formats[f], found)

    # 1. kind and mapping from a sample of the first file
    first = files[0]
    sample = read_sample(first, formats[first])
    kind, mapping = kind_and_mapping(sample, first.name, kind, mapping_override)
    columns = list(sample.columns)
    # every field named, unmapped ones as "": each chunk gets exactly the sample's mapping
    forced = {f: mapping.mapping.get(f, "") for f in SYNONYM_INDEX[kind]}
    for f in files[1:]:
        check_same_columns(f, formats[f], columns)

    # 2. the date format from the whole column
    date_col = mapping.mapping.get(_DATE_FIELD.get(kind, ""), None)
    evidence = _date_evidence(files, formats, sample, date_col, chunk_rows)

    # 3. clean chunk by chunk into DuckDB
    owned = None
    if db_path is None:
        owned = Path(tempfile.mkdtemp(prefix="ecom-big-"))
        db = owned / "ingest.duckdb"
    else:
        db = Path(db_path)
        db.parent.mkdir(parents=True, exist_ok=True)
    con = connect(db, memory_limit)
    for table in ("lines", "_dates", "_tz", "_messages"):  # a kept db_path read again
        con.execute(f"DROP TABLE IF EXISTS {table}")
    order_col = mapping.mapping.get("order_id") if kind == "orders" else None
    conv_col = mapping.mapping.get("conversation_id") if kind == "support" else None
    judges_dates = kind in ("orders", "reviews", "traffic")  # the cleaners that call dates.implausible_dates
    names = [show[f] for f in files] if many else None
    stats: dict[int, ChunkStats] = {}
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
            for ch in file_chunks(f, i_file, formats[f], chunk_rows, order_col, show[f] if many else None,
                                  *starts[i_file]):
                if ch.seq in mine:
                    run(ch, bulk_of(ch.seq))
                if ch.seq >= max(mine):
                    break

    def run(ch: Chunk, bulk) -> None:
        df, st = clean_chunk(ch, kind, forced, mapping.mapping, default_currency, salt, date_col, evidence, bulk, names)
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
            for ch in file_chunks(f, i_file, formats[f], chunk_rows, order_col, show[f] if many else None, seq, global_row):
                seq, global_row = ch.seq + 1, ch.global_row + len(ch.raw)
                if conv_col:
                    stats[ch.seq] = stage_messages(con, ch, conv_col, date_col)
                    add_tz(stats[ch.seq])
                else:
                    run(ch, whole_store.Store(collect=date_collector(con, ch.seq) if judges_dates else None))
                del ch
            if progress:
                progress(i_file + 1, len(files), show[f])
        if conv_col:
            # A chat's messages may be anywhere in the export: the messages are grouped by
            # conversation into partitions of about `chunk_rows`, each cleaned whole.
            offset = whole_store_offset(con) if has_tz[0] else None
            for ch in conversation_chunks(con, seq, chunk_rows, formats[first], label):
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
            offset = whole_store_offset(con) if has_tz[0] else None
            facts = store_facts(stats)
            other = {c for c, st in stats.items()
                     if (offset is not None and st.offset is not None and st.offset != offset)
                     or decides_otherwise(st.seen, facts)}
            if other and judges_dates:
                con.execute(f"DELETE FROM _dates WHERE c IN ({', '.join(map(str, sorted(other)))})")
            redo(other, lambda c: whole_store.Store(collect=date_collector(con, c) if judges_dates else None,
                                                    offset_minutes=offset, forced=facts))
        if judges_dates:
            # "Far from the bulk" is judged over the whole store, as the one-file path does: the
            # chunks holding such dates are cleaned again with the whole store's bulk.
            bounds, affected = store_bulk(con)
            con.execute("DROP TABLE _dates")
            redo(set(affected), lambda c: whole_store.Store(bounds=bounds, offset_minutes=offset, forced=facts))
        rows_in = sum(st.rows_in for st in stats.values())
        if not created[0]:
            raise InputError(f"none of the {rows_in:,} rows could be used as {kind} data.", file=label,
                             fix="check the quirks listed: dates, numbers and ids must be readable.")
        quirks, notes, read, rows_usable, pii_found, privacy = merge_stats(stats)
        notes = currency_notes(notes, facts)
        if has_tz[0]:
            # intake counts distinct date texts with a time zone: distinct over the whole input
            n_tz = con.execute("SELECT count(DISTINCT v) FROM _tz").fetchone()[0]
            con.execute("DROP TABLE _tz")
            if kind == "orders":  # only the orders cleaner reports them
                quirks.setdefault("dates_with_timezone", Quirk(
                    "dates_with_timezone", "Dates with a time zone", 0, "Shown in the store's most common time zone."))
                quirks["dates_with_timezone"].count = int(n_tz)
        rows_usable -= _cross_chunk_duplicates(con, kind, mapping.mapping, quirks)
    except BaseException:
        con.close()
        if owned is not None:
            shutil.rmtree(owned, ignore_errors=True)
        raise
    read = _read_facts(read, quirks, notes, evidence, len(files) if many else None)
    report = QualityReport(file=label, kind=kind, rows_in=rows_in, rows_usable=rows_usable,
                           mapping=dict(mapping.mapping), confidence=dict(mapping.confidence), read=read,
                           quirks=list(quirks.values()), notes=notes)
    if hasattr(report, "pii"):
        report.pii = pii_found
    if kind == "orders" and "currency" not in mapping.mapping and "currency_symbols" not in quirks:
        # the one-file path's report.currency, from the whole store's country shares
        found = infer_currency(facts.get("country_currency") or {}) if not default_currency else None
        report.currency = {"code": default_currency or (found[0] if found else DEFAULT_CURRENCY),
                           "from": "given" if default_currency else "country" if found else "default"}
    return BigIngestResult(kind=kind, mapping=dict(mapping.mapping), report=report, raw_columns=columns,
                           files=[show[f] for f in files], db_path=db, _con=con, _owned_dir=owned,
                           protected=salt is not None, privacy=privacy, order_by=order_by,
                           identities=_identities(stats))


def _identities(stats: dict) -> pd.DataFrame | None:
    """The chunks' pseudonym -> original id frames, as one (a customer seen in many chunks once)."""
    parts = [st.identities for _, st in sorted(stats.items()) if getattr(st, "identities", None) is not None]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return None
    return pd.concat(parts, ignore_index=True).groupby("pseudonym", sort=False).first().reset_index()


def _date_evidence(files: list, formats: dict, sample: pd.DataFrame, date_col: str | None,
                   chunk_rows: int) -> DateEvidence:
    """Day-first or month-first from the whole date column: a first pass over the date column
    alone, only when the sample's dates are text of the d/m, m/d family."""
    evidence = DateEvidence()
    if date_col and not pd.api.types.is_datetime64_any_dtype(sample[date_col]):
        probe = DateEvidence()
        probe.add(sample[date_col])
        if probe.dmy_values > probe.values / 2:
            for f in files:
                for chunk, _ in iter_chunks(f, formats[f], chunk_rows * 4, columns=[date_col]):
                    evidence.add(chunk.iloc[:, 0])
    return evidence


def _cross_chunk_duplicates(con, kind: str, mapping: dict, quirks: dict) -> int:
    """Exact repeats across chunks or files: order lines are marked (as intake marks them),
    tickets and reviews dropped (as intake drops them). Returns the rows dropped."""
    if kind == "orders":
        extra = mark_cross_chunk_duplicates(con)
        if extra:
            merge_quirk(quirks, Quirk("duplicate_lines", "Exact duplicate lines", extra,
                                      "Counted once. If they are real repeat purchases, give each line its own id."))
        return 0
    if kind == "support":
        extra = drop_cross_chunk_duplicates(con, ["ticket_id", "text"], "ticket_id IS NOT NULL")
        if extra:
            merge_quirk(quirks, Quirk("duplicate_tickets", "Exact duplicate tickets", extra, "Counted once."))
        return extra
    if kind == "reviews":
        # With ids, on every field read; without, on the whole raw row as intake compares
        # them (the fields read can be too few to tell two reviews apart: the same short
        # text under two different unmapped labels)
        keys = (["review_id", "product_id", "date", "rating", "title", "text", "customer_id"]
                if "review_id" in mapping else ["_raw", "text"])
        extra = drop_cross_chunk_duplicates(con, keys)
        if extra:
            merge_quirk(quirks, Quirk("duplicate_reviews", "Exact duplicate reviews", extra, "Counted once."))
        return extra
    return 0


def _read_facts(read: dict, quirks: dict, notes: list, evidence: DateEvidence, n_files: int | None) -> dict:
    """The report's `read` section over the whole input (the date format the whole column
    settled; lines left out, from the merged quirks); `notes` gets the ambiguous-dates note."""
    if evidence.dayfirst is not None:
        read["date_format"] = date_style(evidence)
    elif evidence.dmy_values and "date_format" in read:
        note = (f"Every date fits both day-first and month-first; read as {read['date_format']}. "
                "If that is wrong, change the date format in the export to year-month-day.")
        if note not in notes:
            notes.append(note)
    read = {k: v for k, v in read.items() if k not in ("bad_lines", "blank_rows")}
    read["bad_lines"] = quirks["malformed_lines"].count if "malformed_lines" in quirks else 0
    read["blank_rows"] = quirks["blank_rows"].count if "blank_rows" in quirks else 0
    read = {k: v for k, v in read.items() if v not in ("", 0)}
    if n_files:
        read["files"] = n_files
    return read


def peek(files: list) -> tuple[pd.DataFrame, str | None]:
    """The first rows of the first file and the kind detected from them (None if unclear):
    what a page needs to pick the remembered mapping before the whole input is read. `files`
    as for ingest_big (paths, or (shown name, path) pairs)."""
    first = files[0]
    try:
        sample = read_sample(Path(first[1] if isinstance(first, tuple) else first))
    except InputError as exc:
        renamed = named_as_shown(exc, shown_names(files[:1]))
        if renamed is exc:
            raise
        raise renamed from None
    try:
        kind, _ = detect_kind(sample)
    except InputError:
        kind = None
    return sample, kind


def load_orders(path: str | Path, default_currency: str | None = None) -> pd.DataFrame:
    """The canonical order lines of a folder, zip or big file (intake.load_orders for big inputs)."""
    with ingested_orders(path, default_currency) as res:
        return res.to_frame()


@contextmanager
def ingested_orders(path: str | Path, default_currency: str | None = None):
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


def cli_document(path: str | Path, kind: str | None = None, default_currency: str | None = None,
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
