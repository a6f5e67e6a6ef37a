"""Risk scores on a Dask cluster: the order features and the three detectors on the workers,
with the results of one process (risk.score_orders).

The order features are built on the workers too, with the results
of one process (risk.order_features is the same three steps run on everything):
- The lines reach the workers in parts: sent from the client's frame, or read by each worker
  from its own row groups of a Parquet file of the canonical lines (no shipping).
- A small store-wide pass: each product's usual (median) price and quantity, from per-part
  value counts; whether any line names its product; orders whose lines sit in several parts.
- Order rows per part (orders split across parts are rebuilt from all their lines, in store
  order), split by customer; customer history per customer bucket. The client only puts the
  buckets back in store order and counts countries, channels, hours and weekdays.
- Isolation Forest: grown once, on one worker, on random samples of `max_samples` orders (the
  forest's own sampling, with the same seed and the same rows as one process), while other
  workers run ECOD and COPOD; then every worker scores its rows. One process scores the
  training orders twice (PyOD's fit computes sklearn's offset and then the scores); here each
  order is scored once, and the offset (a constant) does not change ranks.
- ECOD and COPOD score each feature column from that column's empirical distribution and add
  the columns up; the columns are split over the workers (each runs PyOD's own fit on its
  columns) and the per-column sums are added.
- Feature surprises, ranks, the ensemble and the reasons of the flagged orders stay in the
  client: they take well under a second on 250,000 orders.
- Workers run one thread each with BLAS/OpenMP limited to one thread, so two workers on two
  cores do twice the work instead of fighting over the cores.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from ecom_models.core.cluster import (
    ensure_code,
    n_workers,
    partitions,
    portable,
    row_group_parts,
    scatter,
    single_threaded,
    worker_addresses,
)
from ecom_models.core.errors import InputError


def warm_up(client) -> None:
    """Import the scoring libraries on every worker once (so a timing measures the work)."""
    def _imports():
        single_threaded()
        import pyarrow.parquet  # noqa: F401
        import pyod.models.copod  # noqa: F401
        import pyod.models.ecod  # noqa: F401
        import sklearn.ensemble  # noqa: F401

        try:
            import ecom_models.risk.scoring  # noqa: F401
        except ImportError:  # a plain Dask image: the code arrives with the first task
            pass
        return True

    client.run(portable(_imports))


# ---------------------------------------------------------------------------------------
# Risk scores
# ---------------------------------------------------------------------------------------
def _signals(pieces) -> np.ndarray:
    """The signal matrix from a scattered matrix, or from `_surprises` results (columns)."""
    if len(pieces) == 1 and isinstance(pieces[0], np.ndarray):
        return pieces[0]
    return np.hstack([piece["X"] for piece in pieces])


def _forest(random_state: int, *pieces) -> dict:
    """The forest's trees, grown on its own random samples of orders (the same trees as one
    process: same data in the same order, same seed). contamination "auto" skips sklearn's
    scoring of every order just to set an offset (a constant: ranks do not change).
    Returns the forest with the matrix its row ranges are scored on."""
    from sklearn.ensemble import IsolationForest

    from ecom_models.risk.scoring import IFOREST

    single_threaded()
    X = _signals(pieces)
    forest = IsolationForest(n_estimators=IFOREST["n_estimators"], max_samples=min(IFOREST["max_samples"], len(X)),
                             contamination="auto", max_features=1.0, bootstrap=False, n_jobs=1,
                             random_state=random_state).fit(X)
    return {"forest": forest, "X": X}


def _matrix(*pieces) -> dict:
    return {"X": _signals(pieces)}


def _iforest_partition(bundle: dict, k: int, parts: int) -> np.ndarray:
    """Scores of the k-th of `parts` row ranges (the task cuts them: it knows the row count)."""
    single_threaded()
    X = bundle["X"]
    ranges = partitions(len(X), parts)
    if k >= len(ranges):
        return np.zeros(0)
    a, b = ranges[k]
    return -bundle["forest"].score_samples(X[a:b])


def _column_detector(name: str, X: np.ndarray, cols: list[int] | None = None) -> np.ndarray:
    """PyOD's ECOD / COPOD on some of the columns: their per-column terms, summed."""
    single_threaded()
    if name == "ecod":
        from pyod.models.ecod import ECOD as Model
    else:
        from pyod.models.copod import COPOD as Model
    X = X["X"] if isinstance(X, dict) else X
    return Model().fit(np.ascontiguousarray(X if cols is None else X[:, cols])).decision_scores_


def _tail(X) -> np.ndarray:
    """risk.tail_scores on a worker (X: the matrix, or a task result holding it)."""
    from ecom_models.risk.scoring import tail_scores

    return tail_scores(X["X"] if isinstance(X, dict) else X)


def _submit_detectors(submit, pieces: list, detectors, random_state: int, parts: int, hosts: list[str],
                      halves: bool = False, tail_here: bool = False) -> dict:
    """Futures of each detector's raw scores. `pieces`: the signal matrix scattered to the
    cluster, or (`halves`) futures of `_surprises` results holding its columns.
    The forest (the longest chain: grow, then score) goes first and on one worker while the
    others run ECOD and COPOD, which need no forest; with `halves` those run by column group
    where the columns were computed. Then every worker scores row ranges with the forest."""
    from ecom_models import risk as A  # the models' names, wherever risk keeps them

    # where: the forest on the first worker, ECOD and COPOD on the others meanwhile, the forest's
    # row ranges on every worker in turn (left to itself the scheduler queued them behind one
    # another on the worker holding the data and let the other wait)
    hosts = hosts or [None]
    others = itertools.cycle(hosts[1:] or hosts)
    futures, bundle = {}, None
    if "iforest" in detectors:
        bundle = submit(_forest, random_state, *pieces, name="forest", priority=3, on=hosts[0])
    for name in detectors:
        if name == "iforest":
            futures[name] = [submit(_iforest_partition, bundle, k, parts, name=f"iforest-{k}", priority=2,
                                    on=hosts[k % len(hosts)]) for k in range(parts)]
        elif name in ("ecod", "copod"):
            rank = 1 if name == "ecod" else 0
            if halves:
                futures[name] = [submit(_column_detector, name, h, name=f"{name}-{i}", priority=rank, on=next(others))
                                 for i, h in enumerate(pieces)]
            else:
                n_signals = len(A.SIGNALS)
                groups = np.array_split(np.arange(n_signals), min(n_signals, max(2, len(hosts))))
                futures[name] = [submit(_column_detector, name, pieces[0], g.tolist(), name=f"{name}-{i}",
                                        priority=rank, on=next(others)) for i, g in enumerate(groups) if len(g)]
        elif name == "tail":
            if tail_here:
                futures[name] = None
            else:
                futures[name] = submit(_tail, bundle if bundle is not None else submit(_matrix, *pieces, name="signals"),
                                       name="tail")
        else:
            raise ValueError(f"unknown detector {name}")
    return futures


def _collect_detectors(client, futures: dict, X: np.ndarray | None = None) -> dict:
    out = {}
    for name, fut in futures.items():
        if name == "tail":
            out[name] = _tail(X) if fut is None else fut.result()
        elif name == "iforest":
            out[name] = np.concatenate(client.gather(fut))
        else:
            out[name] = np.sum(client.gather(fut), axis=0)
    return out


def _submitter(client):
    token = uuid.uuid4().hex[:8]

    def submit(fn, *args, name: str, priority: int = 0, on: str | None = None):
        # named keys: the dashboard and task stream show the step, not "lambda"; `on`: a
        # worker preferred (another one runs the task if that one is gone)
        where = {"workers": [on], "allow_other_workers": True} if on else {}
        return client.submit(portable(fn), *args, key=f"risk-{name}-{token}", pure=False, priority=priority, **where)

    return submit


def cluster_scorer(client, partitions: int | None = None):
    """A drop-in for risk.detector_scores that runs the detectors on the cluster."""

    def scorer(s: pd.DataFrame, detectors, random_state: int = 0) -> pd.DataFrame:
        from ecom_models import risk as A  # the models' names, wherever risk keeps them

        X = A.signal_matrix(s)
        hosts = worker_addresses(client)
        [X_f] = client.scatter([X], broadcast=True)
        futures = _submit_detectors(_submitter(client), [X_f], detectors, random_state,
                                    partitions or 2 * max(1, len(hosts)), hosts, tail_here=True)
        return pd.DataFrame(_collect_detectors(client, futures, X), index=s.index)

    return scorer


# ---------------------------------------------------------------------------------------
# Risk: order features on the workers
# ---------------------------------------------------------------------------------------
# the canonical columns the order features read (intake's names)
LINE_COLUMNS = ("order_id", "order_date", "customer_id", "product_id", "product_name", "quantity", "unit_price",
                "revenue", "discount", "currency", "country", "channel", "line_type", "is_duplicate")
_TEXT = ("order_id", "customer_id", "product_id", "product_name", "currency", "country", "channel", "line_type")


def read_lines(path, row_groups: list[int] | None = None) -> pd.DataFrame:
    """Canonical order lines from a Parquet file of them (intake_big's `to_parquet`, a saved
    dataset), with the dtypes of intake's frame; only the columns risk scoring reads.
    `row_groups`: just those (a worker reads its own part of the file)."""
    return _as_lines(_read_table(path, row_groups).to_pandas())


def _read_table(path, row_groups: list[int] | None = None):
    """The Arrow table of the LINE_COLUMNS the file has (all rows, or those row groups)."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(str(path))
    names = set(pf.schema_arrow.names)
    cols = [c for c in LINE_COLUMNS if c in names]
    return pf.read_row_groups(row_groups, columns=cols) if row_groups is not None else pf.read(columns=cols)


def _as_lines(df: pd.DataFrame) -> pd.DataFrame:
    for c in _TEXT:
        if c in df:
            df[c] = df[c].astype("str")
    if "order_date" in df:
        df["order_date"] = pd.to_datetime(df["order_date"]).astype("datetime64[us]")
    if "is_duplicate" in df:
        df["is_duplicate"] = df["is_duplicate"].fillna(False).astype(bool)
    return df


def _hash_bucket(values: pd.Series, parts: int) -> np.ndarray:
    """A bucket in [0, parts) per value, the same in every process (hashing distinct values only)."""
    codes, uniques = pd.factorize(values, sort=False)
    if len(uniques) == 0:
        return np.zeros(len(codes), dtype=np.int64)
    h = (pd.util.hash_array(np.asarray(uniques, dtype=object)) % np.uint64(parts)).astype(np.int64)
    return np.where(codes >= 0, h[np.maximum(codes, 0)], 0)


def _counts(codes: np.ndarray, uniques, values: np.ndarray) -> pd.DataFrame:
    """(k, v, n): how many lines of each product have each value (NaN left out)."""
    ok = ~np.isnan(values)
    c = pd.DataFrame({"c": codes[ok], "v": values[ok]}).groupby(["c", "v"], sort=False).size()
    return pd.DataFrame({"k": np.asarray(uniques, dtype=object)[c.index.get_level_values(0)],
                         "v": c.index.get_level_values(1).to_numpy(float), "n": c.to_numpy()})


def _medians(counts: list[pd.DataFrame]) -> pd.Series:
    """Each product's median value from per-part counts: pandas' groupby median exactly (the
    middle value, or the mean of the two middle values), without the lines in one place."""
    g = pd.concat(counts, ignore_index=True).groupby(["k", "v"], sort=True)["n"].sum().reset_index()
    if g.empty:
        return pd.Series(dtype=float)
    n = g.groupby("k", sort=False)["n"].transform("sum").to_numpy()
    cum = g.groupby("k", sort=False)["n"].cumsum().to_numpy()
    start = cum - g["n"].to_numpy()
    vals, keys = g["v"].to_numpy(float), g["k"].to_numpy(object)
    at_lo = (start <= (n - 1) // 2) & ((n - 1) // 2 < cum)
    at_hi = (start <= n // 2) & (n // 2 < cum)
    lo = pd.Series(vals[at_lo], index=pd.Index(keys[at_lo], dtype="str"))
    hi = pd.Series(vals[at_hi], index=pd.Index(keys[at_hi], dtype="str"))
    return (hi + lo) / 2


def _lines_part(source, offset: int) -> tuple:
    """On a worker: this part's sale lines, their positions in the whole store and their
    product codes. `source` is a frame (sent by the client) or (path, row groups) of a
    Parquet file the worker reads itself."""
    from ecom_models import risk as A  # the models' names, wherever risk keeps them

    single_threaded()
    if isinstance(source, tuple):
        lines, pos = _read_sale_lines(*source, offset=offset)
    else:  # the client checked the whole frame's columns
        keep = A.sale_mask(source)
        lines, pos = source[keep], offset + np.flatnonzero(keep)
    codes, products = pd.factorize(A.product_key(lines), sort=False)
    return lines, pos, codes, products


def _read_sale_lines(path, row_groups, offset: int) -> tuple[pd.DataFrame, np.ndarray]:
    """read_lines + sale_lines, with the rows dropped before they become pandas strings
    (the same rows: sale_mask decides from the few columns it reads)."""
    import pyarrow as pa

    from ecom_models import risk as A  # the models' names, wherever risk keeps them

    table = _read_table(path, row_groups)
    flags = [c for c in ("line_type", "is_duplicate", "quantity", "order_date") if c in table.column_names]
    keep = A.sale_mask(_as_lines(table.select(flags).to_pandas()))
    return _as_lines(table.filter(pa.array(keep)).to_pandas()), offset + np.flatnonzero(keep)


def _part_summary(part) -> dict:
    """What the store-wide pass needs from one part: value counts of each product's unit price
    and quantity, whether lines name products, the part's order ids."""
    from ecom_models import risk as A  # the models' names, wherever risk keeps them

    lines, _, codes, products = part
    return {"price": _counts(codes, products, A.line_price(lines)),
            "qty": _counts(codes, products, A.line_quantity(lines)),
            "names": A.names_known(lines), "orders": pd.unique(lines["order_id"].astype("str").to_numpy())}


def _store_pass(*summaries) -> dict:
    """The small store-wide step: products' usual price and quantity (medians), whether any
    line names its product, and the orders whose lines sit in more than one part."""
    ids = pd.Series(np.concatenate([s["orders"] for s in summaries]) if summaries else [], dtype="str")
    return {"usual_price": _medians([s["price"] for s in summaries]),
            "usual_qty": _medians([s["qty"] for s in summaries]),
            "names": any(s["names"] for s in summaries),
            "split": set(ids[ids.duplicated()].tolist())}


def _usual(codes: np.ndarray, products, store: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per line: its product's usual price and quantity (the store-wide medians)."""
    price = store["usual_price"].reindex(products).to_numpy(float)[codes]
    qty = store["usual_qty"].reindex(products).to_numpy(float)[codes]
    return price, qty


def _bucket_orders(feats: pd.DataFrame, parts: int) -> list[pd.DataFrame]:
    """Order rows split by customer (guest orders spread by position): each customer's orders
    end up in one bucket."""
    has = feats["customer_id"].notna().to_numpy()
    bucket = np.where(has, _hash_bucket(feats["customer_id"], parts), feats["_first"].to_numpy() % parts)
    return [feats[bucket == b] for b in range(parts)]


def _orders_of(lines: pd.DataFrame, pos: np.ndarray, usual: tuple, store: dict) -> pd.DataFrame:
    from ecom_models import risk as A  # the models' names, wherever risk keeps them

    return A.order_rows(lines, usual[0], usual[1], has_names=store["names"], line_pos=pos)


def _orders_part(part, store: dict, parts: int) -> tuple[list, tuple]:
    """On a worker: the order rows of the orders whose lines are all in this part, split by
    customer bucket; the lines of orders also found in other parts go to `_split_orders`."""
    single_threaded()
    lines, pos, codes, products = part
    if not len(lines):
        return [], None
    usual = _usual(codes, products, store)
    if not store["split"]:
        return _bucket_orders(_orders_of(lines, pos, usual, store), parts), None
    away = lines["order_id"].astype("str").isin(store["split"]).to_numpy()
    here = ~away
    buckets = (_bucket_orders(_orders_of(lines[here], pos[here], (usual[0][here], usual[1][here]), store), parts)
               if here.any() else [])
    return buckets, (lines[away], pos[away], usual[0][away], usual[1][away])


def _split_orders(store: dict, parts: int, *pieces) -> list:
    """Orders whose lines were in several parts, from all their lines in store order."""
    single_threaded()
    pieces = [p for p in pieces if p is not None and len(p[0])]
    if not pieces:
        return []
    lines = pd.concat([p[0] for p in pieces])
    pos, price, qty = (np.concatenate([p[k] for p in pieces]) for k in (1, 2, 3))
    order = np.argsort(pos, kind="stable")
    return _bucket_orders(_orders_of(lines.iloc[order], pos[order], (price[order], qty[order]), store), parts)


def _item(obj, key):
    return obj[key]


def _nth(lst: list, b: int):
    return lst[b] if len(lst) > b else None


def _customer_part(*buckets) -> pd.DataFrame:
    """On a worker: customer history for the orders of some customers (all of their orders)."""
    from ecom_models import risk as A  # the models' names, wherever risk keeps them

    single_threaded()
    frames = [b for b in buckets if b is not None and len(b)]
    if not frames:
        return None
    feats = pd.concat(frames).sort_values("_first", kind="stable").reset_index(drop=True)
    A.add_customer_features(feats)
    return feats



def _feature_parts(orders, client, parts: int, submit) -> list:
    """Futures of the order rows with customer history, one per customer bucket (see
    cluster_order_features)."""
    from ecom_models import risk as A  # the models' names, wherever risk keeps them

    if isinstance(orders, pd.DataFrame):
        A.check_orders(orders)
        cols = [c for c in LINE_COLUMNS if c in orders.columns]
        sources = [(orders.iloc[a:b][cols], a) for a, b in partitions(len(orders), parts)]
        scattered = scatter([s for s, _ in sources], client)
        sources = [(f, off) for f, (_, off) in zip(scattered, sources)]
    else:
        import pyarrow.parquet as pq

        names = pq.ParquetFile(str(orders)).schema_arrow.names
        A.check_orders(pd.DataFrame(columns=names))
        sources = row_group_parts(orders, parts)
    line_parts = [submit(_lines_part, src, off, name=f"lines-{i}") for i, (src, off) in enumerate(sources)]
    summaries = [submit(_part_summary, p, name=f"summary-{i}") for i, p in enumerate(line_parts)]
    store = submit(_store_pass, *summaries, name="store")
    done = [submit(_orders_part, p, store, parts, name=f"orders-{i}") for i, p in enumerate(line_parts)]
    away = [submit(_item, d, 1, name=f"away-{i}") for i, d in enumerate(done)]
    split = submit(_split_orders, store, parts, *away, name="split-orders")
    bucket_lists = [submit(_item, d, 0, name=f"buckets-{i}") for i, d in enumerate(done)] + [split]
    customers = []
    for b in range(parts):
        pieces = [submit(_nth, lst, b, name=f"bucket-{i}-{b}") for i, lst in enumerate(bucket_lists)]
        customers.append(submit(_customer_part, *pieces, name=f"customers-{b}"))
    return customers


def _assemble(frames: list) -> pd.DataFrame:
    """The customer buckets back in store order, with the store's shares (countries, channels,
    hours, weekdays) counted over every order."""
    from ecom_models import risk as A  # the models' names, wherever risk keeps them

    frames = [f for f in frames if f is not None]
    if not frames:
        raise InputError("there are no sale lines to score (only cancellations, returns or fees).",
                         fix="load an orders export that contains the orders themselves.")
    feats = pd.concat(frames).sort_values("_first", kind="stable").drop(columns="_first").reset_index(drop=True)
    A.add_store_rarity(feats)
    return feats[A.ORDER_COLUMNS]


def _feature_columns(part: pd.DataFrame | None):
    """What the surprises are computed from (a few values per order), with positions."""
    from ecom_models import risk as A  # the models' names, wherever risk keeps them

    if part is None:
        return None
    # the store-wide shares are counted again from these in _surprises (not yet in the part)
    return part[["_first", "country", "channel", "order_date", *[f for f in A.FEATURES if f in part.columns]]]


def _surprises(signals: list[str], *parts) -> dict:
    """On a worker: risk.feature_surprise of the features behind some SIGNALS, over every
    order in store order, and those columns of the signal matrix (as detector_scores builds it)."""
    from ecom_models import risk as A  # the models' names, wherever risk keeps them

    single_threaded()
    cols = pd.concat([p for p in parts if p is not None]).sort_values("_first", kind="stable").reset_index(drop=True)
    names = [f for sig in signals for f in A.SIGNALS[sig]]
    if any(f.endswith("_rarity") for f in names):
        A.add_store_rarity(cols)
    p, s = A.feature_surprise(cols, names)
    return {"p": p, "X": A.signal_matrix(s, signals)}


# the surprises are computed in two halves on two workers: order-level signals, and those that
# need the store's shares of countries, channels, hours and weekdays
SIGNAL_HALVES = (("size", "quantity", "price", "discount", "velocity", "newness"),
                 ("country", "channel", "hour", "weekday"))


def cluster_order_features(orders, client, partitions: int | None = None) -> pd.DataFrame:
    """risk.order_features with the work on the cluster's workers: the same frame.

    `orders`: canonical order lines (a frame, sent to the workers in parts), or the path of a
    Parquet file of them that the workers can read (each reads its own row groups).

    1. each part's sale lines (workers); 2. a small store-wide pass: products' usual price and
    quantity (medians from per-part value counts), orders whose lines sit in several parts;
    3. order rows per part (workers), split by customer; 4. customer history per customer
    bucket (workers); 5. in the client: the buckets put back in store order, and the store's
    shares of countries, channels, hours and weekdays (one pass over the orders)."""
    ensure_code(client)
    parts = partitions or 2 * n_workers(client)
    return _assemble(client.gather(_feature_parts(orders, client, parts, _submitter(client))))


def _file_stamp(path: str):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def workers_see(client, path) -> bool:
    """Whether every worker can read this file of the client's (same host, or a shared disk)."""
    want = _file_stamp(str(path))
    seen = client.run(portable(_file_stamp), str(path))
    return want is not None and bool(seen) and all(v == want for v in seen.values())


def score_big_file(path, client, contamination: float = 0.01, **kwargs):
    """score_orders for a folder, zip or big export (intake_big.load_orders' lines): read in
    chunks into DuckDB, written as Parquet next to it, and read by the workers from there when
    they can see it (one host, a shared disk); otherwise the lines are sent to them."""
    import shutil

    from ecom_models.intake import big as intake_big

    folder = Path(tempfile.mkdtemp(prefix="ecom-risk-"))
    try:
        with intake_big.ingested_orders(path) as res:  # intake_big.load_orders' lines
            parquet = res.to_parquet(folder / "lines.parquet")
            orders = parquet if workers_see(client, parquet) else res.to_frame()
        return score_orders(orders, client, contamination=contamination, **kwargs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def score_orders(orders, client, contamination: float = 0.01, partitions: int | None = None,
                 detectors=None, random_state: int = 0, reasons_for: str = "flagged"):
    """risk.score_orders on the cluster: the same RiskResult. `orders` as for
    cluster_order_features (a frame, or a Parquet file the workers can read).

    The features are built on the workers (cluster_order_features); one worker then computes
    the surprises and the signal matrix while the client gathers the order rows, and the
    detectors run on the workers; the client ranks, sorts and explains the flagged orders."""
    from ecom_models import risk as A  # the models' names, wherever risk keeps them

    A.check_share(contamination)
    detectors = tuple(detectors or A.DETECTORS)
    ensure_code(client)
    hosts = worker_addresses(client)
    parts = partitions or 2 * max(1, len(hosts))
    submit = _submitter(client)
    customers = _feature_parts(orders, client, parts, submit)
    columns = [submit(_feature_columns, c, name=f"feature-columns-{i}") for i, c in enumerate(customers)]
    halves = [submit(_surprises, list(h), *columns, name=f"surprises-{i}") for i, h in enumerate(SIGNAL_HALVES)]
    futures = _submit_detectors(submit, halves, A.all_detectors(detectors), random_state, parts, hosts, halves=True)
    feats = _assemble(client.gather(customers))  # while the workers score
    A.check_order_count(len(feats))
    p = pd.concat(client.gather([submit(_item, h, "p", name=f"pvalues-{i}") for i, h in enumerate(halves)]),
                  axis=1)[list(A.FEATURES)]
    raw = pd.DataFrame(_collect_detectors(client, futures), index=feats.index)
    return A.ranked_result(feats, p, raw, contamination, detectors, reasons_for)
