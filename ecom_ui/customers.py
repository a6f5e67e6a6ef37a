"""Cached work and the drawing of the Customers page: the analysis from the results store (with
the background run's progress while it is made), the cohort heatmap and the repeat curve."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ecom_models.customers import pipeline as P
from ecom_models.customers.analysis import CustomersResult
from ecom_ui.identities import show_ids


def _display_ids(df: pd.DataFrame) -> pd.DataFrame:
    """Every customer table and download on the page passes through here: the merchant's own ids
    unless "Hide customer identities" is on."""
    return show_ids(df, "customer_id")


@st.cache_resource(show_spinner=False, max_entries=4)
def _decoded(key: str, horizon: int, _doc) -> CustomersResult:
    return P.customers_from_store(_doc)


def analysis(key: str, orders: pd.DataFrame, horizon: int = 90) -> CustomersResult:
    """The customer analysis; while it runs, the page shows its progress and stops."""
    from ecom_models.workspace import runs
    from ecom_ui import jobs
    from ecom_ui.common import results

    store = results()
    doc = store.get("customers.analysis", P.customers_key(key, horizon))
    if doc is not None:
        return _decoded(key, horizon, doc)

    from ecom_ui.common import workspace

    run = jobs.ensure(P.customers_key(key, horizon), "Customers", P.customers_task(workspace(), key, orders, horizon),
                      group=key,
                      ready=lambda: P.customers_is_stored(store, key, horizon))
    doc = store.get("customers.analysis", P.customers_key(key, horizon))
    if doc is not None:  # finished already (inline runs in page tests)
        return _decoded(key, horizon, doc)
    if run.status != runs.FAILED:
        st.info("Fitting the purchase and spend models to your customers (first time for this data only; the "
                "results are kept in your workspace).", icon=":material/hourglass_top:")
    jobs.follow(run)
    st.stop()


def cohort_heatmap(cohorts: pd.DataFrame) -> go.Figure:
    grid = cohorts.pivot(index="cohort", columns="months_since", values="share").sort_index()
    fig = go.Figure(go.Heatmap(z=grid.to_numpy() * 100, x=[str(c) for c in grid.columns], y=list(grid.index),
                               colorscale="Blues", zmin=0, zmax=max(5.0, float(grid.iloc[:, 1:].max().max() * 100))
                               if grid.shape[1] > 1 else 100,
                               hovertemplate="Cohort %{y}, month %{x}: %{z:.1f}% bought<extra></extra>",
                               colorbar={"title": "% buying"}))
    fig.update_layout(height=420, margin={"t": 10, "b": 10}, xaxis_title="Months since the first purchase",
                      yaxis_title="First purchase in", yaxis={"autorange": "reversed", "type": "category"})
    return fig


def repeat_chart(repeat: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Bar(x=[f"{n}{'nd' if n == 2 else 'rd' if n == 3 else 'th'}" for n in repeat["order_number"]],
                           y=repeat["share"] * 100, hovertemplate="%{x} purchase: %{y:.1f}% of customers<extra></extra>"))
    fig.update_layout(height=300, margin={"t": 10, "b": 10}, yaxis_title="% of customers", xaxis_title="Purchase")
    return fig


def customer_table(result: CustomersResult, currency_fmt) -> pd.DataFrame:
    h = result.horizon_days
    c = result.customers.sort_values(f"expected_spend_{h}", ascending=False, kind="stable")
    out = pd.DataFrame({
        "Customer": c["customer_id"], "Segment": c["segment"], f"Chance of buying in {h} days": c["p_active"].round(2),  # whole percents: "12%", not "12.34%" beside "15%"
        f"Expected purchases ({h} d)": c[f"expected_purchases_{h}"],
        f"Expected spend ({h} d)": c[f"expected_spend_{h}"],
        "80% range": ["unlikely to buy" if hi <= 0 else f"{currency_fmt(lo)} – {currency_fmt(hi)}" for lo, hi in
                      zip(c[f"expected_spend_{h}_low"], c[f"expected_spend_{h}_high"])],
        "Last purchase": pd.to_datetime(c["last_purchase"]).dt.date, "Purchases": c["purchases"].astype(int),
        "Total spend": c["total_spend"]})
    return _display_ids(out.rename(columns={"Customer": "customer_id"})).rename(columns={"customer_id": "Customer"})


# A table of every customer is sent whole to each browser (5 MB for 47,800 customers): five people
# opening it at once held the server's event loop back. The page shows the top ones and finds the rest.
SHOWN = 1000


def find_customers(table: pd.DataFrame, segment: str | None, query: str) -> pd.DataFrame:
    """The rows of `customer_table` in this segment (None: all) whose id contains `query` (any case)."""
    out = table if not segment else table[table["Segment"] == segment]
    q = (query or "").strip().lower()
    if q:
        out = out[out["Customer"].astype(str).str.lower().str.contains(q, regex=False)]
    return out


def customers_export(result: CustomersResult) -> pd.DataFrame:
    """Every customer with numbers a spreadsheet can sum (the range as two columns), own ids as shown."""
    h = result.horizon_days
    c = result.customers.sort_values(f"expected_spend_{h}", ascending=False, kind="stable")
    cols = ["customer_id", "segment", "p_active", f"expected_purchases_{h}", f"expected_spend_{h}",
            f"expected_spend_{h}_low", f"expected_spend_{h}_high", "last_purchase", "purchases", "total_spend"]
    return _display_ids(c[[col for col in cols if col in c]].reset_index(drop=True))


@st.cache_data(show_spinner=False, max_entries=4)
def _recommended(data_key: str, ids: tuple[str, ...]) -> pd.DataFrame | None:
    """Three products per customer from the Recommendations page's kept recommender, or None
    when it has not run on this data yet."""
    from ecom_models.recommend import pipeline as RP
    from ecom_models.recommend.serve import recommend_for_users
    from ecom_ui.common import results

    d = RP.RECOMMEND_DEFAULTS
    try:
        report = RP.stored_recommendations(results(), RP.recommend_key(data_key, d["k"], d["split"], d["half_life"],
                                                                       d["deep"]))
        if report is None or getattr(report, "model", None) is None:
            return None
        recs = recommend_for_users(report, list(ids), k=3)
    except Exception:  # noqa: BLE001 - a partial or older report: the list is shown without products
        return None
    return recs.rename(columns={"user_id": "customer_id", "item_id": "product_id"})


def winback_frame(result: CustomersResult, data_key: str | None = None) -> pd.DataFrame:
    w = result.winback.copy()
    if data_key is not None and len(w):
        recs = _recommended(data_key, tuple(w["customer_id"].astype(str)))
        if recs is not None:
            from ecom_models.customers import winback_list

            w = winback_list(result.customers, result.horizon_days, recs)
    if "last_purchase" in w:
        w["last_purchase"] = pd.to_datetime(w["last_purchase"]).dt.date
    return _display_ids(w)


def backtest_table(bt: dict) -> pd.DataFrame:
    rows = []
    for m in bt["models"]:
        def err(kind, m=m):
            a = m[f"total_{kind}_actual"]
            return (m[f"total_{kind}_predicted"] - a) / a if a else float("nan")
        rows.append({"Model": m["name"], "Purchases: predicted vs actual": 100 * err("purchases"),
                     "Spend: predicted vs actual": 100 * err("spend"), "Error per customer (purchases)": m["mae_purchases"],
                     "Spend rank correlation": m["spearman_spend"], "Top-10% capture": m["top_decile_capture"],
                     "Spotting who lapses (AUC)": m["churn_auc"]})
    return pd.DataFrame(rows)
