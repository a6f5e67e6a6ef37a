"""Decisions taken over the whole store, not chunk by chunk, so that reading in chunks never
changes an answer:

- the date format: day-first or month-first from the whole date column (`DateEvidence`),
  forced on a chunk whose own dates fit both (`force_dates`);
- the time zone: times are shown in the most common offset of the whole input
  (`whole_store_offset`, from every chunk's `tz_values`);
- implausible dates: judged against the bulk of the whole store's dates (`store_bulk`, over
  the dates each chunk hands to DuckDB through `date_collector`);
- the cleaners' other whole-column decisions (core.whole_store.whole_column: a discount column
  of rates or of money, the rating scale, numeric order ids), combined over the chunks
  (`store_facts`) to find the chunks that decided otherwise on their own rows
  (`decides_otherwise`), which are then cleaned again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecom_models.core import dates
from ecom_models.intake.currency import infer_currency, inferred_note, merge_counts
from ecom_models.intake.parse import DMY_RE, TZ_RE, date_texts, extract, has_timezone, offset_minutes, parse_dates


@dataclass
class DateEvidence:
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
        dmy = extract(u, DMY_RE)
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


def tz_values(raw: pd.DataFrame, col: str) -> list:
    """The distinct date texts with a time zone, as intake.parse_dates counts them."""
    if col not in raw.columns or not pd.api.types.is_string_dtype(raw[col]) and raw[col].dtype != object:
        return []
    u = pd.Series(pd.unique(date_texts(raw[col]).dropna()), dtype="str")
    return u[has_timezone(u)].tolist()


def offset_counts(values) -> dict:
    """{offset in minutes: distinct date texts}, as parse._to_datetime_tz reads the offsets."""
    u = pd.Series(values, dtype="str")
    if u.empty:
        return {}
    offsets = u.str.extract(TZ_RE, expand=False).map(offset_minutes).dropna()
    return {float(k): int(v) for k, v in offsets.value_counts().items()}


def most_common_offset(counts: dict) -> float | None:
    if not counts:
        return None
    top = max(counts.values())
    return min(k for k, v in counts.items() if v == top)  # pandas' mode: the smallest of a tie


def whole_store_offset(con) -> float | None:
    """The most common offset over the whole input's distinct date texts."""
    counts: dict = {}
    for batch in con.sql("SELECT DISTINCT v FROM _tz").to_arrow_reader(200_000):
        for k, v in offset_counts(batch.column(0).to_pylist()).items():
            counts[k] = counts.get(k, 0) + v
    return most_common_offset(counts)


def force_dates(raw: pd.DataFrame, col: str, evidence: DateEvidence) -> int:
    """When a chunk's own dates fit both orders but the whole column settles it, parse the
    chunk's dates the column's way (one settling value added, then dropped)."""
    if col not in raw.columns or pd.api.types.is_datetime64_any_dtype(raw[col]) or evidence.dayfirst is None:
        return 0
    mine = DateEvidence()
    mine.add(raw[col])
    if mine.dmy_values == 0 or mine.dmy_values <= mine.values / 2 or mine.dayfirst is not None:
        return 0
    default_dayfirst = max(mine.separators, key=mine.separators.get) in ".-"
    if default_dayfirst == evidence.dayfirst:
        return 0
    values = raw[col].astype("str")
    parsed, stats = parse_dates(pd.concat([values, pd.Series([evidence.witness()], dtype="str")],
                                          ignore_index=True))
    raw[col] = parsed.iloc[:-1].to_numpy()
    return stats.with_timezone


def date_style(evidence: DateEvidence) -> str:
    sep = max(evidence.separators, key=evidence.separators.get)
    two = evidence.two_digit_years > evidence.dmy_values / 2
    return (("day/month/year" if evidence.dayfirst else "month/day/year").replace("/", sep)
            + (" (2-digit year)" if two else ""))


def date_collector(con, seq: int):
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


def store_bulk(con) -> tuple[tuple | None, list[int]]:
    """The whole store's bulk of plausible dates (dates.bulk_bounds over every chunk's, exactly:
    pandas' interpolated percentiles from the two order statistics around each), and the
    chunks holding dates far from it."""
    import math

    n = int(con.execute("SELECT coalesce(sum(n), 0) FROM _dates").fetchone()[0])
    if n < dates.MIN_FOR_BULK:
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
    # sale lines per country, when the file names no currency: the dominant country's currency
    "country_currency": (merge_counts, lambda v: (infer_currency(v) or (None,))[0]),
}


def currency_notes(notes: list[str], facts: dict) -> list[str]:
    """The chunks' notes with one currency note, the whole store's: a chunk not cleaned again
    states its own share of lines ("93% of sale lines") where the store's is 91%."""
    if "country_currency" not in facts or not any(n.startswith("No currency column:") for n in notes):
        return notes
    found = infer_currency(facts["country_currency"])
    at = next(i for i, n in enumerate(notes) if n.startswith("No currency column:"))
    kept = [n for n in notes if not n.startswith("No currency column:")]
    if found:
        kept.insert(at, inferred_note(found))
    return kept


def store_facts(stats: dict) -> dict:
    facts: dict = {}
    for seq in sorted(stats):
        for name, value in stats[seq].seen.items():
            if name in _FACTS:
                facts[name] = _FACTS[name][0](facts[name], value) if name in facts else value
    return facts


def decides_otherwise(seen: dict, facts: dict) -> bool:
    return any(name in facts and _FACTS[name][1](value) != _FACTS[name][1](facts[name])
               for name, value in seen.items() if name in _FACTS)
