"""Interactions: who bought (or rated) what, as a sparse customers x products matrix.

From canonical order lines (sales only: cancellations, returns, postage/fees and duplicates
are excluded) or from a plain table `user_id,item_id[,rating][,quantity][,timestamp]`.
Implicit feedback: one row per (customer, product) with a weight (number of orders, or the
rating), optionally decayed with a recency half-life. Ids are always text, so `123`, `123.0`
and `"123"` are the same customer whichever file they came from. Also here: the per-customer
held-out split (`split_matrix`: a random or the most recent 25% of each customer's products),
and seeded synthetic interactions for tests and the bench. The store's monthly orders and
order value are intake's (`ecom_models.intake.store_figures`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ecom_models.core.errors import InputError

MAX_ITEMS = 500_000


# ---------------------------------------------------------------------------------------
# Interactions
# ---------------------------------------------------------------------------------------
@dataclass
class Interactions:
    """Implicit feedback as a sparse customers x products matrix.

    df columns: user_id (str), item_id (str), weight (float > 0), n (number of orders or
    rows), last_time (datetime64 or NaT).
    """

    df: pd.DataFrame
    users: pd.Index
    items: pd.Index
    matrix: sp.csr_matrix  # users x items, weights (float32)
    item_info: pd.DataFrame  # index item_id: product_name, category (may be empty)
    baskets: pd.DataFrame | None = None  # basket_id, item_id (for "frequently bought together")
    source_kind: str = "table"  # "orders" | "table"
    notes: list[str] = field(default_factory=list)

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def has_time(self) -> bool:
        return "last_time" in self.df and self.df["last_time"].notna().any()

    def item_name(self, item_id: str) -> str:
        if "product_name" in self.item_info and item_id in self.item_info.index:
            name = self.item_info.at[item_id, "product_name"]
            if isinstance(name, str) and name:
                return name
        return str(item_id)

    def most_active(self, n: int = 300) -> list[str]:
        """The `n` customers with the most different products, most first (ties: id order)."""
        counts = pd.Series((self.matrix > 0).sum(axis=1).A1, index=self.users)
        return list(counts.sort_values(ascending=False, kind="stable").index[:n])

    def best_sellers(self, n: int = 500) -> list[str]:
        """The `n` products bought by the most customers, most first (ties: id order)."""
        counts = pd.Series(self.matrix.getnnz(axis=0), index=self.items)
        return list(counts.sort_values(ascending=False, kind="stable").index[:n])

    def history(self, user_id) -> pd.DataFrame:
        """What a customer bought: columns item_id, product_name (the id when the file has no
        names); no rows for a customer not in the data. The id is read as `normalise_ids` does."""
        key = normalise_ids(pd.Series([user_id], dtype=object)).iloc[0]
        row = self.users.get_indexer([key])[0] if isinstance(key, str) else -1
        if row < 0:
            return pd.DataFrame({"item_id": pd.Series(dtype="str"), "product_name": pd.Series(dtype="str")})
        items = self.items[self.matrix.indices[self.matrix.indptr[row]:self.matrix.indptr[row + 1]]]
        return pd.DataFrame({"item_id": items, "product_name": [self.item_name(i) for i in items]})


def normalise_ids(values: pd.Series) -> pd.Series:
    """Ids as text: 123, 123.0 and ' 123 ' all become '123'. NA stays NA."""
    s = pd.Series(values)
    if pd.api.types.is_float_dtype(s):
        whole = s.notna() & (s % 1 == 0)
        out = s.astype(object)
        out[whole] = s[whole].astype("int64").astype(str)
        out[~whole & s.notna()] = s[~whole & s.notna()].astype(str)
        return pd.Series(out, index=s.index).astype("str").where(s.notna(), None).astype("str")
    if pd.api.types.is_integer_dtype(s) or pd.api.types.is_bool_dtype(s):
        return s.astype("str")
    text = s.astype("str").str.strip()
    text = text.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
    return text.where(s.notna() & (text != ""), None)


def _parse_time(values: pd.Series, column: str, file: str | None) -> pd.Series:
    s = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(s):
        out = pd.to_datetime(s)
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        return out
    numeric = pd.to_numeric(s, errors="coerce")
    if numeric.notna().mean() > 0.95:
        # unix seconds (or milliseconds)
        unit = "ms" if numeric.median() > 1e11 else "s"
        return pd.to_datetime(numeric, unit=unit, errors="coerce")
    from ecom_models.core.dates import parse_loose

    out = parse_loose(s)
    if out.notna().mean() < 0.5:
        raise InputError("most values in the date column could not be read as dates.", file=file, column=column,
                         fix="use dates like 2026-03-31 or unix timestamps, or remove the column.")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out


def _finish(pairs: pd.DataFrame, item_info: pd.DataFrame, baskets, source_kind: str, notes: list[str],
            half_life_days: float | None, file: str | None) -> Interactions:
    """pairs: user_id, item_id, weight, n, last_time (one row per pair)."""
    pairs = pairs[pairs["weight"] > 0]
    if pairs.empty:
        raise InputError("there is no purchase or rating left to learn from after cleaning.", file=file,
                         fix="check that the file has customer ids and product ids on sale lines.")
    if half_life_days and pairs["last_time"].notna().any():
        ref = pairs["last_time"].max()
        age = (ref - pairs["last_time"]).dt.total_seconds() / 86400.0
        decay = np.power(0.5, age.fillna(0).to_numpy() / float(half_life_days))
        pairs = pairs.assign(weight=pairs["weight"].to_numpy() * np.maximum(decay, 1e-6))
        notes.append(f"Older purchases count less: weight halves every {half_life_days:g} days.")
    users = pd.Index(sorted(pairs["user_id"].unique()), name="user_id")
    items = pd.Index(sorted(pairs["item_id"].unique()), name="item_id")
    if len(users) < 2:
        raise InputError(f"the data has only {len(users)} customer with a known id; recommendations are learnt from "
                         "what different customers buy.", file=file,
                         fix="use an export covering many customers (guest orders without a customer id are not enough).")
    if len(items) < 2:
        raise InputError("the data has only one product; there is nothing to recommend.", file=file,
                         fix="use an export covering your whole catalog.")
    if len(items) > MAX_ITEMS:
        raise InputError(f"the catalog has {len(items):,} products, more than the {MAX_ITEMS:,} this tool handles on one machine.",
                         file=file, fix="keep the products sold in the last year, or split the file by category.")
    ui = users.get_indexer(pairs["user_id"])
    ii = items.get_indexer(pairs["item_id"])
    matrix = sp.csr_matrix((pairs["weight"].to_numpy(np.float32), (ui, ii)), shape=(len(users), len(items)))
    matrix.sum_duplicates()
    matrix.sort_indices()
    return Interactions(df=pairs.reset_index(drop=True), users=users, items=items, matrix=matrix,
                        item_info=item_info, baskets=baskets, source_kind=source_kind, notes=notes)


def interactions_from_orders(orders: pd.DataFrame, half_life_days: float | None = None,
                             file: str | None = None) -> Interactions:
    """Customer x product interactions from canonical order lines (sales only)."""
    needed = {"order_id", "customer_id", "product_id"}
    missing = needed - set(orders.columns)
    if missing:
        raise InputError(f"the orders have no {', '.join(sorted(missing))} column.", file=file,
                         fix="map your export's columns on the Data page, or use a table with user_id and item_id.")
    try:
        from ecom_models.intake import sales_lines

        sales = sales_lines(orders)
    except ImportError:  # intake not available: same rule as documented in CONTRACTS.md
        sales = orders
        if "line_type" in sales:
            sales = sales[sales["line_type"].astype("str") == "sale"]
        if "is_duplicate" in sales:
            sales = sales[~sales["is_duplicate"].fillna(False).astype(bool)]
    notes = []
    excluded = len(orders) - len(sales)
    if excluded:
        notes.append(f"{excluded:,} lines that are not sales (cancellations, returns, postage, fees, duplicates) were left out.")
    sales = sales.assign(user_id=normalise_ids(sales["customer_id"]), item_id=normalise_ids(sales["product_id"]))
    sales = sales[sales["item_id"].notna()]
    baskets = pd.DataFrame({"basket_id": sales["order_id"].astype("str").to_numpy(), "item_id": sales["item_id"].to_numpy()})
    baskets = baskets.drop_duplicates().reset_index(drop=True)
    guests = int(sales["user_id"].isna().sum())
    if guests:
        notes.append(f"{guests:,} sale lines from guest checkouts (no customer id) only feed 'frequently bought together'.")
    known = sales[sales["user_id"].notna()]
    time_col = known["order_date"] if "order_date" in known else pd.Series(pd.NaT, index=known.index)
    known = known.assign(_t=pd.to_datetime(time_col, errors="coerce"))
    pairs = known.groupby(["user_id", "item_id"], sort=False).agg(n=("order_id", "nunique"), last_time=("_t", "max")).reset_index()
    pairs["weight"] = pairs["n"].astype(float)
    info_cols = [c for c in ("product_name", "category") if c in sales]
    item_info = (sales.drop_duplicates("item_id", keep="last").set_index("item_id")[info_cols]
                 if info_cols else pd.DataFrame(index=pd.Index([], name="item_id")))
    return _finish(pairs, item_info, baskets, "orders", notes, half_life_days, file)


_USER_ALIASES = ["user_id", "user", "userid", "customer_id", "customer", "customerid", "client_id", "visitor_id", "member_id"]
_ITEM_ALIASES = ["item_id", "item", "itemid", "product_id", "product", "productid", "sku", "movie_id", "article_id", "stockcode"]
_RATING_ALIASES = ["rating", "score", "stars", "rating_value"]
_QTY_ALIASES = ["quantity", "qty", "count", "clicks", "n"]
_TIME_ALIASES = ["timestamp", "time", "date", "datetime", "event_time", "order_date", "created_at"]


def _find(columns, aliases):
    lookup = {str(c).strip().lower().replace(" ", "_").replace(":token", "").replace(":float", ""): c for c in columns}
    for alias in aliases:
        if alias in lookup:
            return lookup[alias]
    return None


def looks_like_interactions(df: pd.DataFrame) -> bool:
    """A plain user-item table (not order lines): has user and item columns and no order id."""
    has_order = _find(df.columns, ["order_id", "invoice", "invoiceno", "invoice_no", "order", "order_number"]) is not None
    return _find(df.columns, _USER_ALIASES) is not None and _find(df.columns, _ITEM_ALIASES) is not None and not has_order


def interactions_from_table(df: pd.DataFrame, half_life_days: float | None = None, file: str | None = None) -> Interactions:
    """Interactions from `user_id,item_id[,rating][,quantity][,timestamp]` (any of the aliases)."""
    ucol, icol = _find(df.columns, _USER_ALIASES), _find(df.columns, _ITEM_ALIASES)
    if ucol is None or icol is None:
        raise InputError("the table needs a customer column (user_id) and a product column (item_id).", file=file,
                         fix="rename the columns to user_id and item_id, or upload order lines instead.")
    rcol, qcol, tcol = _find(df.columns, _RATING_ALIASES), _find(df.columns, _QTY_ALIASES), _find(df.columns, _TIME_ALIASES)
    notes: list[str] = []
    frame = pd.DataFrame({"user_id": normalise_ids(df[ucol]), "item_id": normalise_ids(df[icol])})
    blank = frame["user_id"].isna() | frame["item_id"].isna()
    if blank.all():
        raise InputError("every row has an empty customer or product id.", file=file, column=str(ucol),
                         fix="check that the file's id columns are filled in.")
    if blank.any():
        notes.append(f"{int(blank.sum()):,} rows without a customer or product id were skipped.")
    weight = pd.Series(1.0, index=df.index)
    if rcol is not None:
        rating = pd.to_numeric(df[rcol], errors="coerce")
        bad = rating.isna() & df[rcol].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2  # +1 header, +1 one-based
            raise InputError(f"the rating '{df[rcol][bad].iloc[0]}' is not a number.", file=file, column=str(rcol), row=row,
                             fix="ratings must be numbers (for example 1-5 or 0-10); remove text such as 'n/a'.")
        lo, hi = float(rating.min()), float(rating.max())
        if hi > 1000:
            raise InputError(f"ratings go up to {hi:g}, which does not look like a rating scale.", file=file, column=str(rcol),
                             fix="use ratings such as 1-5 or 0-10; for amounts or counts name the column 'quantity'.")
        nonpos = rating <= 0
        if nonpos.any():
            notes.append(f"{int(nonpos.sum()):,} ratings of 0 or below are not a sign of interest and were not counted.")
        notes.append(f"Ratings from {lo:g} to {hi:g}: every rated product counts as an interaction; "
                     "higher ratings count more in the similarity model.")
        weight = rating.where(rating > 0, 0.0) / max(hi, 1e-9)
        blank |= rating.isna()
    elif qcol is not None:
        qty = pd.to_numeric(df[qcol], errors="coerce").fillna(0)
        weight = np.log1p(qty.clip(lower=0))
    frame["weight"] = weight.astype(float).to_numpy()
    frame["last_time"] = _parse_time(df[tcol], str(tcol), file) if tcol is not None else pd.NaT
    frame = frame[~blank]
    pairs = frame.groupby(["user_id", "item_id"], sort=False).agg(
        weight=("weight", "max"), n=("weight", "size"), last_time=("last_time", "max")).reset_index()
    item_info = pd.DataFrame(index=pd.Index([], name="item_id"))
    return _finish(pairs, item_info, None, "table", notes, half_life_days, file)


def load_interactions(source, half_life_days: float | None = None, name: str | None = None) -> Interactions:
    """Read a file (order lines or a plain interactions table) into interactions."""
    from ecom_models.intake import read_table

    from pathlib import Path

    file = name or (Path(source).name if isinstance(source, (str, Path)) else str(getattr(source, "name", "upload")))
    table = read_table(source, name=name)
    if looks_like_interactions(table):
        return interactions_from_table(table, half_life_days, file=file)
    from ecom_models.intake import ingest

    orders = ingest(table, kind="orders", name=file).df
    return interactions_from_orders(orders, half_life_days, file=file)


def interactions_from_frame(df: pd.DataFrame, half_life_days: float | None = None, file: str | None = None) -> Interactions:
    """Canonical orders or a plain table, whichever the frame is."""
    if {"order_id", "customer_id", "product_id"} <= set(df.columns):
        return interactions_from_orders(df, half_life_days, file=file)
    return interactions_from_table(df, half_life_days, file=file)


# ---------------------------------------------------------------------------------------
# Splits
# ---------------------------------------------------------------------------------------
def _split_rows(indptr: np.ndarray, order_within: np.ndarray, test_frac: float) -> np.ndarray:
    """Boolean mask over nnz: True = test. `order_within` ranks entries inside each row
    (the highest ranks go to test). Rows with fewer than 2 entries stay in train."""
    counts = np.diff(indptr)
    n_test = np.where(counts >= 2, np.maximum(1, np.floor(counts * test_frac + 0.5)).astype(int), 0)
    n_test = np.minimum(n_test, counts - 1).clip(min=0)
    row_of = np.repeat(np.arange(len(counts)), counts)
    return order_within >= (counts - n_test)[row_of]


def rank_within_rows(indptr: np.ndarray, keys: np.ndarray) -> np.ndarray:
    counts = np.diff(indptr)
    row_of = np.repeat(np.arange(len(counts)), counts)
    order = np.lexsort((keys, row_of))
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[order] = np.arange(len(keys)) - indptr[row_of[order]]
    return ranks


def split_matrix(X: sp.csr_matrix, test_frac: float = 0.25, seed: int = 0,
                 times: np.ndarray | None = None) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Per-customer split of a users x items matrix into (train, test).

    Random: each customer's products are shuffled and `test_frac` of them (rounded, at
    least one, never all) are held out. With `times` (one value per stored entry, in CSR
    order): each customer's most recent products are held out instead.
    """
    X = X.tocsr()
    X.sort_indices()
    if times is None:
        keys = np.random.default_rng(seed).random(X.nnz)
    else:
        keys = np.asarray(times, dtype=np.float64)
    ranks = rank_within_rows(X.indptr, keys)
    test_mask = _split_rows(X.indptr, ranks, test_frac)
    coo = X.tocoo()
    train = sp.csr_matrix((coo.data[~test_mask], (coo.row[~test_mask], coo.col[~test_mask])), shape=X.shape)
    test = sp.csr_matrix((coo.data[test_mask], (coo.row[test_mask], coo.col[test_mask])), shape=X.shape)
    return train, test


def entry_times(inter: Interactions) -> np.ndarray | None:
    """The last purchase time of each stored matrix entry (CSR order), as float seconds."""
    if not inter.has_time:
        return None
    t = inter.df["last_time"]
    seconds = (t - pd.Timestamp("1970-01-01")).dt.total_seconds().fillna(0).to_numpy()
    ui = inter.users.get_indexer(inter.df["user_id"])
    ii = inter.items.get_indexer(inter.df["item_id"])
    m = sp.csr_matrix((seconds + 1.0, (ui, ii)), shape=inter.matrix.shape)
    m.sort_indices()
    return m.data - 1.0


# ---------------------------------------------------------------------------------------
# Synthetic data (tests and benchmarks)
# ---------------------------------------------------------------------------------------
def synthetic_interactions(n_users: int = 943, n_items: int = 1682, n_interactions: int = 100_000, n_clusters: int = 20,
                           affinity: float = 0.7, seed: int = 0) -> pd.DataFrame:
    """A user_id,item_id table with power-law item popularity, heavy-tailed activity per
    user, and latent taste: each user mostly buys within one or two product clusters.
    Duplicated pairs are removed, so the table has slightly fewer rows than requested."""
    rng = np.random.default_rng(seed)
    pop = 1.0 / np.power(np.arange(1, n_items + 1), 0.9)
    pop = pop[rng.permutation(n_items)]
    cluster = rng.integers(0, n_clusters, n_items)
    activity = rng.pareto(1.5, n_users) + 1.0
    main = rng.integers(0, n_clusters, n_users)
    second = rng.integers(0, n_clusters, n_users)
    cdf = np.cumsum(pop) / pop.sum()
    members_of = [np.flatnonzero(cluster == c) for c in range(n_clusters)]
    cdfs = [np.cumsum(pop[m]) / pop[m].sum() if len(m) else None for m in members_of]
    factor, df = 1.1, None
    for _ in range(6):  # draw more until enough distinct pairs exist (popular items repeat)
        per_user = np.minimum(np.maximum(2, np.round(activity / activity.sum() * n_interactions * factor)), n_items // 2)
        users = np.repeat(np.arange(n_users), per_user.astype(int))
        n = len(users)
        in_taste = rng.random(n) < affinity
        pick_cluster = np.where(rng.random(n) < 0.7, main[users], second[users])
        items = np.searchsorted(cdf, rng.random(n))
        for c in range(n_clusters):
            sel = in_taste & (pick_cluster == c)
            if cdfs[c] is not None and sel.any():
                items[sel] = members_of[c][np.minimum(np.searchsorted(cdfs[c], rng.random(int(sel.sum()))),
                                                      len(members_of[c]) - 1)]
        items = np.minimum(items, n_items - 1)
        df = pd.DataFrame({"user_id": users, "item_id": items}).drop_duplicates()
        if len(df) >= n_interactions:
            break
        factor *= 1.05 * n_interactions / max(len(df), 1)
    if len(df) > n_interactions:
        df = df.sample(n_interactions, random_state=seed)
    return pd.DataFrame({"user_id": ("U" + df["user_id"].astype("str")).to_numpy(),
                         "item_id": ("I" + df["item_id"].astype("str")).to_numpy()})
