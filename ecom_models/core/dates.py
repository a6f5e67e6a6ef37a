"""Plausible dates and bounded daily series.

Merchants' exports carry impossible dates: a flipped digit (5010), placeholders
(0001-01-01), Excel's 1900 epoch, a clock reset to 1970. One such date stretches a daily
series over thousands of years and a model fitted on it never finishes. So:

- `implausible_dates(s)` marks dates before 1995 (before online shops), after today plus a
  small margin, or far from the bulk of the file's dates (more than a year, or the file's
  own span, beyond its 1st-99th percentile range). Intake leaves these rows out of time
  series and counts them as the quirk "implausible dates".
- `guard_daily(dates)` is what every time-index builder (forecast, daily alerts, A/B lift
  over time, overview trend) calls before `pd.date_range`: it drops implausible dates and
  caps the series at `MAX_DAILY_DAYS` recent days, returning a note the page can show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_models.core import whole_store

EARLIEST = pd.Timestamp("1995-01-01")
FUTURE_MARGIN_DAYS = 31
# Ten years of days: enough for any seasonal model, small enough to fit in seconds.
MAX_DAILY_DAYS = 3660
MIN_FOR_BULK = 20
MAX_DATE_CHARS = 64


def latest_plausible(today: pd.Timestamp | None = None) -> pd.Timestamp:
    today = pd.Timestamp.today().normalize() if today is None else pd.Timestamp(today).normalize()
    return today + pd.Timedelta(days=FUTURE_MARGIN_DAYS)


def store_offset() -> float | None:
    """The whole store's time-zone offset when it is read in pieces (whole_store), else None."""
    store = whole_store.current()
    return store.offset_minutes if store is not None else None


def bulk_bounds(ok: pd.Series) -> tuple | None:
    """The 1st and 99th percentiles of plausible dates, None when too few to speak of a bulk."""
    if len(ok) < MIN_FOR_BULK:
        return None
    return ok.quantile(0.01), ok.quantile(0.99)


def bulk_limits(bounds: tuple) -> tuple:
    """The earliest and latest dates not far from the bulk (a year's margin at least)."""
    lo, hi = bounds
    margin = max(hi - lo, pd.Timedelta(days=365))
    return lo - margin, hi + margin


def far_from_bulk(d: pd.Series, bounds: tuple | None) -> pd.Series:
    if bounds is None:
        return pd.Series(False, index=d.index)
    earliest, latest = bulk_limits(bounds)
    return d.notna() & ((d < earliest) | (d > latest))


def implausible_dates(dates: pd.Series, today: pd.Timestamp | None = None) -> pd.Series:
    """Boolean mask (same index) of dates that cannot be real order, review or visit dates.

    Missing dates are not implausible (they are unreadable, a different quirk).
    """
    d = _as_datetime(dates)
    present = d.notna()
    bad = present & ((d < EARLIEST) | (d > latest_plausible(today)))
    ok = d[present & ~bad]
    store = whole_store.current()  # a store read in pieces: judged against the whole store's bulk
    if store is not None and store.collect is not None:
        store.collect(ok)  # judged later, over the whole store
        return bad.astype(bool)
    bounds = store.bounds if store is not None else bulk_bounds(ok)
    bad |= far_from_bulk(d, bounds)
    return bad.astype(bool)


def examples(dates: pd.Series, mask: pd.Series, raw: pd.Series | None = None, n: int = 3) -> list[str]:
    """A few of the offending values as the merchant wrote them (or as read)."""
    source = raw if raw is not None else dates
    picked = source[np.asarray(mask, dtype=bool)].head(n)
    return [str(v) for v in picked]


def guard_daily(dates: pd.Series, what: str = "the series", max_days: int = MAX_DAILY_DAYS,
                today: pd.Timestamp | None = None) -> tuple[pd.Series, list[str]]:
    """Mask of dates a daily index may use, and notes saying what was left out and why.

    Implausible dates are dropped; of the rest, only the last `max_days` days are kept.
    """
    d = _as_datetime(dates)
    notes: list[str] = []
    bad = implausible_dates(d, today)
    keep = d.notna() & ~bad
    if bad.any():
        shown = ", ".join(str(x.date()) if hasattr(x, "date") else str(x) for x in d[bad].drop_duplicates().head(3))
        notes.append(f"{int(bad.sum()):,} row(s) with implausible dates ({shown}) were left out of {what}.")
    if keep.any():
        day = d.where(keep).dt.normalize()
        last = day.max()
        start = last - pd.Timedelta(days=max_days - 1)
        too_old = keep & (day < start)
        if too_old.any():
            keep &= ~too_old
            notes.append(f"The data spans more than {max_days // 366} years; {what} uses the last {max_days:,} days "
                         f"(from {start.date()}); {int(too_old.sum()):,} older row(s) were left out.")
    return keep.astype(bool), notes


def _as_datetime(dates) -> pd.Series:
    s = dates if isinstance(dates, pd.Series) else pd.Series(dates)
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        # microseconds hold years 1 to 9999; nanoseconds stop at 2262
        return s.astype("datetime64[us]")
    return parse_loose(s)


def parse_loose(values) -> pd.Series:
    """Dates from text in any mix of formats, unreadable ones NaT, never an exception.

    `pd.to_datetime(errors="coerce")` still raises on a column mixing time zones (a damaged
    byte turns "+01:00" into "+01:0@") or on out-of-range years; those fall back to UTC, then
    to one value at a time. Time zones are dropped after conversion to UTC.
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(s):
        return _as_datetime(s)
    if not pd.api.types.is_numeric_dtype(s):
        # No date is longer than this; dateutil's tokenizer is quadratic in a value's length,
        # so a damaged line holding megabytes in a date column would take minutes.
        s = s.where(s.astype("str").str.len() <= MAX_DATE_CHARS)
    for kwargs in ({}, {"utc": True}):
        try:
            out = pd.to_datetime(s, errors="coerce", format="mixed", **kwargs)
            break
        except (ValueError, TypeError, OverflowError):
            continue
    else:
        out = pd.Series([_one_date(v) for v in s], index=s.index, dtype="datetime64[us]")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out.astype("datetime64[us]")


def _one_date(value):
    try:
        stamp = pd.to_datetime(value, errors="coerce")
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    if stamp is pd.NaT or pd.isna(stamp):
        return pd.NaT
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp
