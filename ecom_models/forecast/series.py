"""Daily (or weekly) series built from order lines: the first step of every forecast.

`build_series(orders, metric, by)` turns canonical order lines into series of revenue, orders or
units, net of same-period cancellations, with the drivers a merchant controls: a list-price index
(`log_price`), a promotion flag (`promo`) and, when a traffic table is given, marketing spend
(`ad_spend`). It handles what real stores have: a weekday on which the shop never sells, closure
days, gaps, a partial last day, outliers and negative days from cancellations (see
`SeriesData.notes`). The holiday calendars the models use are named here too (`country_code`,
`main_country`, `holiday_countries`), as are the columns a forecast can be split by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError

METRICS = ("revenue", "orders", "units")
BY_COLUMNS = ("product_id", "product_name", "category", "country", "channel")
# Splits worth forecasting all at once ("every category"): product names duplicate product ids.
MANY_BY_COLUMNS = ("category", "product_id", "country", "channel")
TOTAL_KEY = "All"
# Offered on the Forecast page even when the holidays package lists no calendar for them.
COMMON_COUNTRIES = ("US", "GB", "DE", "FR", "NL", "ES", "IT", "CA", "AU", "IE", "BE", "AT", "CH", "SE", "DK", "NO",
                    "PL", "JP")


@dataclass
class SeriesData:
    """Daily (freq "D") or weekly ("W") series built from orders.

    frame columns: key (str; "All" for the whole store), ds (date), y (cleaned value used for
    training, NaN on days a model should not learn from), y_raw (the value as sold, >= 0),
    open (bool: the store sells that day), outlier (bool), log_price (log list-price index,
    0 = the product's usual price), promo (0/1: a promotion ran), and ad_spend when traffic
    was given. y is NaN on closed days and outliers.
    """

    frame: pd.DataFrame
    metric: str
    by: str | None
    freq: str
    closed_weekdays: list[int] = field(default_factory=list)
    closure_dates: list[pd.Timestamp] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    currency: str = "USD"
    unit_value: float = float("nan")  # average net revenue per unit of the metric (for value)
    price_per_unit: float = float("nan")  # average net revenue per unit sold (for what-if revenue)
    promo_discount: float = 0.0  # average discount share on promotion days

    @property
    def keys(self) -> list[str]:
        return list(dict.fromkeys(self.frame["key"].tolist()))

    def one(self, key: str | None = None) -> pd.DataFrame:
        key = TOTAL_KEY if key is None and self.by is None else key
        if key is None:
            key = self.keys[0]
        part = self.frame[self.frame["key"] == key]
        if part.empty:
            raise InputError(f"there is no series called '{key}'.", fix="pick one of the listed series.")
        return part.reset_index(drop=True)

    def last_date(self) -> pd.Timestamp:
        return pd.Timestamp(self.frame["ds"].max())

    def value_per_unit(self) -> float:
        """Money per unit of the metric (what a forecast error costs): 1 for revenue, and 1 when
        the orders give no price to tell."""
        if self.metric == "revenue" or not np.isfinite(self.unit_value):
            return 1.0
        return float(self.unit_value)


_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _lines(orders: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sale lines, cancellation lines), duplicates removed."""
    needed = {"order_date", "line_type"}
    missing = needed - set(orders.columns)
    if missing:
        raise InputError(f"the orders table has no {', '.join(sorted(missing))} column.",
                         fix="load the file on the Data page so its columns are mapped, or use the canonical columns.")
    frame = orders
    if "is_duplicate" in frame.columns:
        frame = frame[~frame["is_duplicate"].fillna(False).astype(bool)]
    from ecom_models.intake import sales_lines

    sales = sales_lines(frame)
    cancels = frame[frame["line_type"] == "cancellation"]
    return sales, cancels


def build_series(
    orders: pd.DataFrame,
    metric: str = "revenue",
    by: str | None = None,
    freq: str = "D",
    traffic: pd.DataFrame | None = None,
    max_series: int | None = None,
    keys: list[str] | None = None,
) -> SeriesData:
    """Series of `metric` per day (or week), for the whole store or per value of `by`."""
    if metric not in METRICS:
        raise InputError(f"'{metric}' is not a metric we can forecast.", fix="use revenue, orders or units.")
    if freq not in ("D", "W"):
        raise InputError(f"'{freq}' is not a supported period.", fix="use D (daily) or W (weekly).")
    if orders is None or len(orders) == 0:
        raise InputError("the orders table is empty.", fix="upload an orders export with at least a few months of sales.")
    if by is not None and by not in orders.columns:
        raise InputError(f"the orders have no '{by}' column to split the forecast by.", column=by,
                         fix=f"use one of: {', '.join(c for c in BY_COLUMNS if c in orders.columns)}.")
    sales, cancels = _lines(orders)
    sales = sales[sales["order_date"].notna()]
    from ecom_models.core.dates import guard_daily

    plausible, date_notes = guard_daily(sales["order_date"], "the forecast")
    sales = sales[plausible.to_numpy()]
    if sales.empty:
        raise InputError("there are no sales lines with a date in the orders.", column="order_date",
                         fix="check that the date column is mapped and the file contains sales, not only returns.")
    notes: list[str] = list(date_notes)
    day = sales["order_date"].dt.normalize()
    first, last = day.min(), day.max()

    # Partial last day: orders stop long before the usual last order of the day.
    last_time = sales.groupby(day)["order_date"].max()
    secs = (last_time - last_time.index).dt.total_seconds()
    if len(secs) > 14 and secs.max() > 0:
        typical = float(secs.iloc[:-1].quantile(0.25))
        if secs.iloc[-1] < typical - 3600:
            notes.append(
                f"The last day ({last.date()}) looks incomplete: orders stop at "
                f"{pd.Timestamp(last_time.iloc[-1]).strftime('%H:%M')}, earlier than on most days. It was left out.")
            last = last - pd.Timedelta(days=1)
            sales = sales[day <= last]
            day = sales["order_date"].dt.normalize()
    days = pd.date_range(first, last, freq="D")

    # Store-level open days: a weekday that (almost) never sells is a closed weekday; other
    # days without a single order are closures (holidays, shutdowns) or gaps in the export.
    store_orders = sales.groupby(day)["order_id"].nunique().reindex(days, fill_value=0)
    sells = store_orders > 0
    weekday = days.day_of_week
    share_by_wd = sells.groupby(weekday).mean()
    closed_weekdays = [int(w) for w, s in share_by_wd.items() if s < 0.1 and len(days) >= 28]
    open_day = ~pd.Series(weekday, index=days).isin(closed_weekdays)
    closure = open_day & ~sells
    if closed_weekdays:
        notes.append("The store does not sell on " + " and ".join(_WEEKDAYS[w] for w in closed_weekdays)
                     + ": the forecast is zero on that day and models learn from the other days only.")
    if closure.sum():
        notes.append(f"{int(closure.sum())} day(s) without any order on a normal trading day (closures or gaps in the "
                     "export) are not used for learning.")
    is_open = open_day & sells

    # Drivers: list-price index per line against the product's usual price; robust to
    # mispriced lines because it takes the median per day.
    has_price = {"unit_price", "product_id"} <= set(sales.columns)
    sales = sales.assign(_day=day)
    if has_price:
        price = pd.to_numeric(sales["unit_price"], errors="coerce")
        ref = price.where(price > 0).groupby(sales["product_id"]).transform("median")
        sales = sales.assign(_logp=np.log(price.where(price > 0) / ref))
    else:
        sales = sales.assign(_logp=np.nan)
    if "discount" in sales.columns:
        disc = pd.to_numeric(sales["discount"], errors="coerce").fillna(0)
        sales = sales.assign(_disc=(disc > 0).astype(float), _disc_amt=disc)
    else:
        sales = sales.assign(_disc=0.0, _disc_amt=0.0)
    share = sales.groupby("_day")["_disc"].mean().reindex(days)
    base = float(share.median()) if share.notna().any() else 0.0
    promo_store = ((share - base) >= 0.2).astype(int).reindex(days, fill_value=0)
    promo_store[~is_open] = 0
    if promo_store.sum():
        notes.append(f"{int(promo_store.sum())} promotion day(s) found (most order lines carry a discount).")

    revenue = pd.to_numeric(sales["revenue"], errors="coerce").fillna(0) if "revenue" in sales else 0
    qty = pd.to_numeric(sales["quantity"], errors="coerce").fillna(0) if "quantity" in sales else 0
    sales = sales.assign(_rev=revenue, _qty=qty)
    price_per_unit = float(sales["_rev"].sum() / max(sales["_qty"].sum(), 1e-9))
    promo_rows = sales[sales["_disc"] > 0]
    promo_discount = float(promo_rows["_disc_amt"].sum() / max(promo_rows["_rev"].sum() + promo_rows["_disc_amt"].sum(), 1e-9)) if len(promo_rows) else 0.0
    unit_value = {"revenue": 1.0, "units": price_per_unit,
                  "orders": float(sales["_rev"].sum() / max(sales["order_id"].nunique(), 1))}[metric]

    cancels = cancels[cancels["order_date"].notna()] if len(cancels) else cancels
    cancels = cancels.assign(_day=cancels["order_date"].dt.normalize()) if len(cancels) else cancels

    # Which series.
    if by is None:
        group_keys = [TOTAL_KEY]
        sales = sales.assign(_key=TOTAL_KEY)
        if len(cancels):
            cancels = cancels.assign(_key=TOTAL_KEY)
    else:
        sales = sales.assign(_key=sales[by].astype("str").fillna("(none)"))
        if len(cancels):
            cancels = cancels.assign(_key=cancels[by].astype("str").fillna("(none)"))
        size = sales.groupby("_key")["_rev" if metric == "revenue" else "_qty"].sum().sort_values(ascending=False)
        group_keys = [k for k in size.index if keys is None or k in keys]
        if keys is not None and not group_keys:
            raise InputError(f"none of {keys[:3]} appears in column '{by}'.", column=by, fix="pick a value from the list.")
        if max_series is not None and len(group_keys) > max_series:
            notes.append(f"{len(group_keys)} values of '{by}'; the {max_series} largest are forecast.")
            group_keys = group_keys[:max_series]
        sales = sales[sales["_key"].isin(group_keys)]

    if metric == "revenue":
        val = sales.groupby(["_key", "_day"])["_rev"].sum()
        neg = (pd.to_numeric(cancels["revenue"], errors="coerce").fillna(0).groupby([cancels["_key"], cancels["_day"]]).sum()
               if len(cancels) else None)
    elif metric == "units":
        val = sales.groupby(["_key", "_day"])["_qty"].sum()
        neg = (pd.to_numeric(cancels["quantity"], errors="coerce").fillna(0).groupby([cancels["_key"], cancels["_day"]]).sum()
               if len(cancels) else None)
    else:
        val = sales.groupby(["_key", "_day"])["order_id"].nunique().astype(float)
        neg = None
    logp = sales.groupby(["_key", "_day"])["_logp"].median()
    store_logp = sales.groupby("_day")["_logp"].median().reindex(days).ffill().bfill().fillna(0.0)

    traffic_spend = None
    if traffic is not None and "ad_spend" in traffic.columns and "date" in traffic.columns:
        t = traffic.assign(_day=pd.to_datetime(traffic["date"], errors="coerce").dt.normalize())
        traffic_spend = pd.to_numeric(t["ad_spend"], errors="coerce").groupby(t["_day"]).sum().reindex(days)
        if traffic_spend.notna().mean() < 0.8:
            traffic_spend = None
        else:
            traffic_spend = traffic_spend.ffill().bfill()

    frames = []
    negative_days = 0
    for key in group_keys:
        y = val.xs(key, level=0).reindex(days, fill_value=0.0).astype(float) if key in val.index.get_level_values(0) else pd.Series(0.0, index=days)
        if neg is not None and key in neg.index.get_level_values(0):
            y = y + neg.xs(key, level=0).reindex(days, fill_value=0.0)  # cancellations are negative
        negative_days += int((y < 0).sum())
        y_raw = y.clip(lower=0.0)
        y_raw[~open_day] = 0.0
        if by is None:
            lp = store_logp
        else:
            lp = logp.xs(key, level=0).reindex(days) if key in logp.index.get_level_values(0) else pd.Series(np.nan, index=days)
            lp = lp.ffill().bfill().fillna(0.0)
        part = pd.DataFrame({"key": key, "ds": days, "y_raw": y_raw.to_numpy(), "open": is_open.to_numpy(),
                             "log_price": lp.to_numpy(), "promo": promo_store.to_numpy()})
        if traffic_spend is not None:
            part["ad_spend"] = traffic_spend.to_numpy()
        part["outlier"] = _outliers(part, country_events=True)
        part["y"] = part["y_raw"].where(part["open"] & ~part["outlier"])
        frames.append(part)
    if negative_days:
        notes.append(f"{negative_days} day(s) had more cancellations than sales; they count as zero.")
    frame = pd.concat(frames, ignore_index=True)
    n_out = int(frame["outlier"].sum())
    if n_out:
        notes.append(f"{n_out} unusual day(s) (far above or below the days around them, not a holiday) are not used for learning.")
    if freq == "W":
        frame = _weekly(frame)
    currency = str(sales["currency"].mode().iloc[0]) if "currency" in sales and sales["currency"].notna().any() else "USD"
    return SeriesData(frame=frame, metric=metric, by=by, freq=freq, closed_weekdays=closed_weekdays,
                      closure_dates=_closure_calendar(days, closure, open_day), notes=notes, currency=currency,
                      unit_value=unit_value, price_per_unit=price_per_unit, promo_discount=promo_discount)


def _closure_calendar(days: pd.DatetimeIndex, closure: pd.Series, open_day: pd.Series) -> list[pd.Timestamp]:
    """Closure days, plus closed weekdays that fall inside a closure (a Saturday in the middle of
    a Christmas shutdown is part of it, so next year's same date is closed too)."""
    closed = closure.to_numpy().copy()
    is_open_wd = open_day.to_numpy()
    n = len(days)
    for i in np.flatnonzero(~is_open_wd):
        j = i - 1
        while j >= 0 and not is_open_wd[j]:
            j -= 1
        k = i + 1
        while k < n and not is_open_wd[k]:
            k += 1
        if j >= 0 and k < n and closed[j] and closed[k]:
            closed[i] = True
    return list(days[closed])


def _retail_event_dates(years) -> dict[str, list[pd.Timestamp]]:
    events: dict[str, list[pd.Timestamp]] = {}
    for year in years:
        thanksgiving = pd.Timestamp(year, 11, 1) + pd.offsets.WeekOfMonth(week=3, weekday=3)
        events.setdefault("Black Friday", []).append(thanksgiving + pd.Timedelta(days=1))
        events.setdefault("Cyber Monday", []).append(thanksgiving + pd.Timedelta(days=4))
        events.setdefault("Christmas Eve", []).append(pd.Timestamp(year, 12, 24))
        events.setdefault("Christmas Day", []).append(pd.Timestamp(year, 12, 25))
        events.setdefault("Day after Christmas", []).append(pd.Timestamp(year, 12, 26))
        events.setdefault("New Year's Eve", []).append(pd.Timestamp(year, 12, 31))
        events.setdefault("New Year's Day", []).append(pd.Timestamp(year, 1, 1))
    return events


def _outliers(part: pd.DataFrame, country_events: bool = True) -> np.ndarray:
    """Hampel filter on open days: far from the median of the same weekday around it.

    Retail event days (Black Friday, Christmas…) are never outliers: they are learned as holidays.
    """
    y = part["y_raw"].where(part["open"])
    n = len(y)
    flags = np.zeros(n, dtype=bool)
    if y.notna().sum() < 28:
        return flags
    # Compare each day with the same weekday in the 4 weeks before and after (robust).
    wd = part["ds"].dt.day_of_week.to_numpy()
    vals = y.to_numpy()
    by_wd = pd.Series(vals).groupby(wd)
    rolled_med = by_wd.transform(lambda s: s.rolling(9, center=True, min_periods=4).median())
    rolled_mad = by_wd.transform(lambda s: (s - s.rolling(9, center=True, min_periods=4).median()).abs()
                                 .rolling(9, center=True, min_periods=4).median())
    med, mad = rolled_med.to_numpy(), rolled_mad.to_numpy()
    scale = np.maximum(1.4826 * mad, 0.1 * np.abs(med) + 1e-9)
    z = (vals - med) / scale
    flags = np.nan_to_num(np.abs(z), nan=0.0) > 5.0
    if flags.any():
        years = sorted(set(part["ds"].dt.year))
        event_days = {d for dates in _retail_event_dates(years).values() for d in dates}
        near = part["ds"].isin([d + pd.Timedelta(days=k) for d in event_days for k in (-1, 0, 1)]).to_numpy()
        flags &= ~near
    return flags


def _weekly(frame: pd.DataFrame) -> pd.DataFrame:
    out = []
    for key, part in frame.groupby("key", sort=False):
        g = part.set_index("ds")
        agg = {"y_raw": "sum", "log_price": "mean", "promo": "max", "open": "max", "outlier": "max"}
        if "ad_spend" in g:
            agg["ad_spend"] = "sum"
        w = g.resample("W-SUN").agg(agg)
        n_days = g["y_raw"].resample("W-SUN").size()
        w = w[n_days == 7]  # only complete weeks
        w["key"] = key
        w["y"] = w["y_raw"].where(w["open"].astype(bool))
        w["outlier"] = False
        out.append(w.reset_index())
    return pd.concat(out, ignore_index=True)[[c for c in frame.columns]]


def country_code(value) -> str | None:
    """Two-letter holiday-calendar code for a country code or name ('United Kingdom' -> 'GB'),
    or None when we have no calendar for it."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    key = re.sub(r"[^a-z]", "", str(value).lower())
    if not key:
        return None
    try:
        from holidays.registry import COUNTRIES
    except ImportError:  # pragma: no cover
        return None
    lookup = {}
    for module_name, names in COUNTRIES.items():
        code = names[1]
        lookup[module_name.replace("_", "")] = code
        lookup[names[0].lower()] = code
        for alias in names[1:]:
            if not alias.startswith("Holidays"):
                lookup[alias.lower()] = code
    lookup.update({"eire": "IE", "england": "GB", "scotland": "GB", "wales": "GB", "northernireland": "GB",
                   "czechrepublic": "CZ", "holland": "NL", "rsa": "ZA", "korea": "KR", "southkorea": "KR"})
    return lookup.get(key)


def supported_countries() -> list[str]:
    try:
        from holidays.registry import COUNTRIES
    except ImportError:  # pragma: no cover
        return []
    return sorted({names[1] for names in COUNTRIES.values()})


def main_country(orders: pd.DataFrame) -> str | None:
    """The holiday calendar of the country most orders come from."""
    if "country" not in orders.columns or not orders["country"].notna().any():
        return None
    return country_code(orders["country"].mode().iloc[0])


def holiday_countries() -> list[str]:
    """Country codes a merchant can pick holidays of: the common shop countries and every
    calendar the holidays package has, sorted."""
    return sorted(set(COMMON_COUNTRIES) | set(supported_countries()))


def by_options(orders: pd.DataFrame, columns=BY_COLUMNS) -> list[str]:
    """The columns of `columns` the orders have, with at least one value: what a forecast can be split by."""
    return [c for c in columns if c in orders.columns and orders[c].notna().any()]


def product_names(orders: pd.DataFrame) -> dict[str, str]:
    """Product id -> name, from the first line of each product (empty without a name column)."""
    if "product_name" not in orders.columns or "product_id" not in orders.columns:
        return {}
    pn = orders[["product_id", "product_name"]].dropna().drop_duplicates("product_id")
    return dict(zip(pn["product_id"].astype(str), pn["product_name"].astype(str)))
