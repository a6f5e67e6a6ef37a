"""The DuckDB table behind a big input: `BigIngestResult` (the stored lines and their quality
report; `to_frame`, `to_parquet`, `save` into the workspace, `summary`), the KPIs as SQL
(`summarise_table`: intake.orders.summarise_orders' definitions, with Kahan summation for the
money), and the exact duplicates found across chunks or files.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ecom_models.intake.report import QualityReport
from ecom_models.intake.schemas import ORDERS_FIELDS


@dataclass
class BigIngestResult:
    kind: str
    mapping: dict[str, str]
    report: QualityReport
    raw_columns: list[str]
    files: list[str]
    db_path: Path
    table: str = "lines"
    order_by: str = "_chunk, _seq"  # the input's order (chats: intake's, tickets by conversation)
    protected: bool = False  # personal data protected chunk by chunk (ingest_big's salt)
    privacy: list = field(default_factory=list)  # what was done to it, for the report
    identities: pd.DataFrame | None = None  # pseudonym -> the file's own ids, for the workspace's key
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
        df = self._con.execute(f"SELECT {', '.join(sql_name(c) for c in cols)} FROM {self.table} ORDER BY {self.order_by}").df()
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
        self._con.execute(f"COPY (SELECT {', '.join(sql_name(c) for c in cols)} FROM {self.table} ORDER BY {self.order_by}) "
                          f"TO '{path.as_posix()}' (FORMAT parquet)")
        return path

    def save(self, ws, dataset_name: str | None = None, source_file: str | None = None):
        """Store the lines in the workspace as the active dataset of their kind, without loading
        them into memory (DuckDB to Parquet to the workspace file)."""
        if not self.protected:
            raise ValueError("ingest_big(..., salt=workspace_salt(ws)) before save(): personal data must be protected")
        from ecom_models.intake import pii
        from ecom_models.workspace.identities import save_identities

        if self.identities is not None:
            save_identities(ws, self.identities)
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


def sql_name(name: str) -> str:
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


def connect(db_path: Path, memory_limit: str):
    import duckdb

    con = duckdb.connect(str(db_path))
    spill = db_path.parent / (db_path.stem + ".spill")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{spill.as_posix()}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # a CLI prints JSON; a page shows its own progress
    return con


def mark_cross_chunk_duplicates(con) -> int:
    """Lines repeated in another chunk or file (equal on every canonical field and the line
    type) are duplicates after their first appearance. Only (order, product) pairs seen in two
    chunks are compared, so the usual case costs one aggregation."""
    keys = ", ".join(sql_name(c) for c in ORDERS_FIELDS + ["line_type"])
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


def drop_cross_chunk_duplicates(con, keys: list[str], where: str = "TRUE") -> int:
    """Rows equal on `keys` to a row of an earlier chunk are dropped, as intake drops repeats
    within one file: tickets on id and text, reviews on every field read (the same review
    exported twice, overlapping exports)."""
    part = ", ".join(sql_name(k) for k in keys)
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
