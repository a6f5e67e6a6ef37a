"""The merchant's own customer ids on every page and download, instead of the pseudonyms the
workspace stores (ecom_models.workspace.identities), and the "Hide customer identities"
switch (kept per workspace) that shows the pseudonyms again, for screen sharing."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from ecom_models.workspace import (
    IDENTITIES_MISSING_NOTE,
    get_hide_identities,
    identities_status,
    load_identity_frame,
    reveal_with,
    set_hide_identities,
)
from ecom_ui.common import workspace

_PSEUDONYM = re.compile(r"\bc-[0-9a-f]{16}\b")


def _key() -> pd.DataFrame | None:
    """The key to show (by pseudonym), or None when identities are hidden or there is no key."""
    ws = workspace()
    if get_hide_identities(ws):
        return None
    return load_identity_frame(ws)


def show_ids(df: pd.DataFrame, column: str = "customer_id") -> pd.DataFrame:
    """`df` with `column`'s pseudonyms replaced by the merchant's own ids (a copy), unless
    "Hide customer identities" is on; values the key does not know stay as they are."""
    if df is None or column not in getattr(df, "columns", ()):
        return df
    key = _key()
    if key is None or key.empty:
        return df
    out = df.copy()
    out[column] = reveal_with(key, out[column])
    return out


def id_formatter():
    """A function showing one customer id as the merchant should see it, with the switch and the key
    looked up once: a select box calls its `format_func` for every option (looking them up per
    option, 300 a run, took the server about 7 s of CPU over a five-session walk)."""
    key = _key()
    if key is None or key.empty:
        return lambda value: value
    own = key["customer_id"]

    def shown(value):
        if not isinstance(value, str):
            return value
        mine = own.get(value)
        return mine if isinstance(mine, str) and mine else value

    return shown


def show_text(text: str) -> str:
    """Text naming customers by pseudonym (`customer c-e867…`), with their own ids instead."""
    key = _key()
    if key is None or not isinstance(text, str):
        return text
    own = key["customer_id"]
    return _PSEUDONYM.sub(lambda m: own.get(m.group(0)) or m.group(0), text)


def to_pseudonym(typed: str) -> str:
    """An id the merchant typed (their own, or a pseudonym) as the models know it."""
    typed = (typed or "").strip()
    key = load_identity_frame(workspace())
    if key is None or _PSEUDONYM.fullmatch(typed):
        return typed
    hits = key.index[key["customer_id"].astype("str").str.lower() == typed.lower()]
    return hits[0] if len(hits) else typed


def token() -> str:
    """Part of the cache key of anything showing customer ids: changes with the switch and the key."""
    ws = workspace()
    if get_hide_identities(ws):
        return "hidden"
    path = ws.folder / f"{ws.name}.identities"
    try:
        return f"{path.stat().st_mtime_ns}-{path.stat().st_size}"
    except FileNotFoundError:
        return "none"


def _toggled(ws_name: str) -> None:
    set_hide_identities(workspace(), bool(st.session_state.get(f"hide_ids_{ws_name}")))


def sidebar_switch() -> None:
    """The switch in the sidebar of every page; the one-line note when the key is missing."""
    ws = workspace()
    state = identities_status(ws)
    with st.sidebar:
        if state == "ok":
            name = f"hide_ids_{ws.name}"
            if name not in st.session_state:
                st.session_state[name] = get_hide_identities(ws)
            st.toggle("Hide customer identities", key=name, on_change=_toggled, args=(ws.name,),
                      help="Shows pseudonyms instead of your customers' ids on every page and download, for "
                           "screen sharing. Kept for this workspace.")
        elif state == "missing":
            st.caption("🔒 " + IDENTITIES_MISSING_NOTE)
