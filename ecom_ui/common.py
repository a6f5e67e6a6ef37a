"""What every page needs: the workspace, the active datasets (or the demo store), formatting,
and the house style for errors, help texts and empty states.

Pages call these instead of touching session state or the workspace directly, so that the
demo fallback, caching and error display behave the same everywhere.
"""

from __future__ import annotations

import os
import re

import pandas as pd
import streamlit as st

from ecom_models.core.errors import InputError
from ecom_models.core.formatting import format_money, format_money_range
from ecom_models.workspace.workspace import Workspace, content_hash, default_workspace_name


@st.cache_resource(show_spinner=False)
def _workspace(name: str, folder: str) -> Workspace:
    return Workspace(name, folder or None)


def workspace() -> Workspace:
    """The workspace chosen in this browser session (default: $ECOM_WORKSPACE or 'default')."""
    name = st.session_state.get("workspace_name") or default_workspace_name()
    return _workspace(name, os.environ.get("ECOM_WORKSPACE_DIR", ""))


def results():
    """The results store of this session's workspace (model results kept across restarts)."""
    from ecom_models.workspace.results import ResultsStore

    return ResultsStore(workspace())


@st.cache_resource(show_spinner="Building the demo store…")
def demo_store():
    from ecom_models.demo.store import demo_store as build

    return build()


@st.cache_resource(show_spinner="Reading your data…", max_entries=4)
def _load_dataset(workspace_name: str, dataset_id: str, content: str, currency: str | None = None) -> pd.DataFrame:
    # `content` (the stored hash) is part of the cache key, so a replaced dataset is reloaded.
    # cache_resource, not cache_data: every page run would otherwise unpickle a fresh copy
    # (0.4 s for 541k lines, twice per page: data and currency). One shared frame, like the
    # demo store's: pages and models never change it in place. `currency`: the one the merchant
    # chose on the Data page for orders read without one; every line then carries it.
    from ecom_models.intake.currency import with_currency

    return with_currency(workspace().load_dataset(dataset_id), currency)


class ActiveData:
    """The data a page uses: `df` (loaded on first use: a page whose results are kept can draw
    them before the dataset is read), `source` (a file name, or "demo store"), `is_demo`,
    `key` (content hash: the key of every result computed from df), `rows`."""

    def __init__(self, df: pd.DataFrame | None = None, source: str = "", is_demo: bool = False, key: str = "", *,
                 rows: int | None = None, loader=None, dataset_id: str | None = None):
        self._df, self._loader, self.dataset_id = df, loader, dataset_id
        self.source, self.is_demo, self.key = source, is_demo, key
        self.rows = rows if rows is not None else (len(df) if df is not None else 0)

    @property
    def df(self) -> pd.DataFrame:
        if self._df is None and self._loader is not None:
            self._df = self._loader()
        return self._df


def active_data(kind: str) -> ActiveData | None:
    """The merchant's active dataset of this kind, else the demo store's, else None.

    kinds: orders, reviews, experiment, traffic.
    """
    ws = workspace()
    info = ws.active_dataset(kind)
    if info is not None:
        from ecom_models.intake.currency import chosen_currency

        # A currency chosen on the Data page is part of the key: results that carry amounts are
        # computed again in it instead of being shown from before with the old symbol.
        currency = chosen_currency(ws, info.id) if kind == "orders" else None
        key = info.content_hash + (f"|{currency}" if currency else "")
        return ActiveData(source=info.source_file or info.name, is_demo=False, key=key, rows=info.rows,
                          loader=lambda: _load_dataset(ws.name, info.id, info.content_hash, currency),
                          dataset_id=info.id)
    if not st.session_state.get("use_demo", True):
        return None
    store = demo_store()
    df = getattr(store, kind, None)
    if df is None:
        return None
    return ActiveData(df=df, source="demo store", is_demo=True, key=f"demo-{kind}-{store.seed}")


def store_currency() -> str:
    """The active orders' currency: the one chosen on the Data page, else intake's rule (the most
    common one over the lines, which carry the file's, the given or the dominant country's)."""
    from ecom_models.intake.orders import store_currency as currency_of

    orders = active_data("orders")
    return currency_of(orders.df if orders is not None else None)


def money(value: float | None, currency: str | None = None, decimals: int | None = None) -> str:
    """Format an amount in the store's currency: $1,234 / €12.5k / £3.2M."""
    return format_money(value, currency or store_currency(), decimals)


def money_range(low: float | None, high: float | None, currency: str | None = None) -> str:
    """"$4.9k to $117.4k": both ends at one scale."""
    return format_money_range(low, high, currency or store_currency())


def money_column(currency: str | None = None, **kw):
    """A table column of amounts in the store's currency, with thousands separators ($1,234.56);
    currencies without a preset in Streamlit show as plain localized numbers."""
    preset = {"USD": "dollar", "EUR": "euro", "JPY": "yen"}.get((currency or store_currency() or "").upper(), "localized")
    return st.column_config.NumberColumn(format=preset, **kw)


def pct(value: float | None, decimals: int = 1, signed: bool = False) -> str:
    if value is None or pd.isna(value):
        return "–"
    value = float(value) + 0.0  # -0.0 + 0.0 is +0.0: no "-0.0%" on the page
    return f"{value * 100:+.{decimals}f}%" if signed else f"{value * 100:.{decimals}f}%"


def number(value: float | None, decimals: int = 0) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{value:,.{decimals}f}"


def page_header(title: str, subtitle: str) -> None:
    st.title(title)
    st.caption(subtitle)


def data_source_note(data: ActiveData) -> None:
    if data.is_demo:
        st.info("You are looking at the **demo store**. Upload your own exports on the **Data** page to see your store.", icon=":material/science:")
    else:
        st.caption(f"Data: **{data.source}** ({data.rows:,} rows)")


def empty_state(kind: str, what_for: str) -> None:
    """Say which data is needed and offer the demo store."""
    st.warning(f"This page needs **{kind}** data {what_for}. Upload a file on the **Data** page, or use the demo store.", icon=":material/upload_file:")
    if st.button("Use the demo store", key=f"use-demo-{kind}"):
        st.session_state["use_demo"] = True
        st.rerun()


def require_data(kind: str, what_for: str) -> ActiveData:
    """The page's data of this kind, with the note saying where it comes from; without it, an
    empty state naming the file needed, and the page stops there."""
    data = active_data(kind)
    if data is None:
        empty_state(kind, what_for)
        st.stop()
    data_source_note(data)
    return data


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])")


def md_escape(text) -> str:
    """Merchant text (file names, categories, intent names) made inert for Markdown: no emphasis,
    links, colour or icon directives (`:red[...]`, `:material/...:`)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def show_input_error(exc: InputError) -> None:
    st.error(exc.message, icon=":material/error:")


def guarded(fn, *args, **kwargs):
    """Run a library call; bad input becomes a message, never a traceback."""
    try:
        return fn(*args, **kwargs)
    except InputError as exc:
        show_input_error(exc)
        return None


__all__ = [
    "ActiveData", "active_data", "content_hash", "data_source_note", "demo_store", "empty_state", "guarded", "md_escape",
    "money", "number", "page_header", "pct", "require_data", "results", "show_input_error", "store_currency", "workspace",
]
