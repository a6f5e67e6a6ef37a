"""The canonical support frame: one row per ticket (intake owns it, as it owns the orders,
reviews, traffic and experiment frames; the support capability reads it).

Columns (always present, NA where the file has none):

| column | type | meaning |
|---|---|---|
| ticket_id | str | from the file, else `row-N` (N = the file's row number), or the conversation id |
| created_at | datetime64 | when the ticket (conversation) was opened |
| channel | str | email, chat, phone… |
| customer_id | str | |
| order_id | str | |
| resolution_minutes | float | agent handling time; for chats without it, first to last message |
| satisfaction | float | CSAT as given (1–5, 1–10 or 0–100) |
| text | str | the customer's request (a chat's first customer message) |
| messages | int | messages in the conversation (1 for tickets) |

Chat exports with one row per message (a conversation id column) are grouped per conversation,
keeping the customer's first message: when a sender/role column exists, the first message
whose sender looks like the customer (customer, user, visitor, client, buyer, 客户, 用户, 买家),
else the conversation's first message.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.intake.parse import parse_dates, parse_number

SUPPORT_COLUMNS = ["ticket_id", "created_at", "channel", "customer_id", "order_id", "resolution_minutes",
                   "satisfaction", "text", "messages"]
MAX_TEXT_CHARS = 5000  # longer messages are cut here (and counted): the request comes first
_CUSTOMER_RE = re.compile(r"(?i)^\s*(?:customer|user|visitor|client|buyer|end.?user|requester|guest|shopper|inbound|in|"
                          r"客户|用户|买家|顾客)\b")
_MISSING = {"", "nan", "None", "NaN", "<NA>", "null", "NULL"}


def text_col(raw: pd.DataFrame, col: str | None) -> pd.Series:
    if col is None:
        return pd.Series(pd.NA, index=raw.index, dtype="str")
    s = raw[col].astype("str").str.strip()
    return s.where(~s.isin(_MISSING)).astype("str")


def clean_support(raw: pd.DataFrame, mapping: dict, report=None) -> pd.DataFrame:
    """Map, clean and (for chats) group a support export. `report` (intake.QualityReport) gets the quirks."""
    if "text" not in mapping:
        raise InputError("no column holds the message text.", column=None,
                         fix="name the column with the customer's message 'text' or 'message'.")
    rows = pd.Series(np.arange(len(raw)) + 2, index=raw.index)
    out = pd.DataFrame(index=raw.index)
    out["text"] = text_col(raw, mapping["text"])
    for f in ("ticket_id", "channel", "customer_id", "order_id"):
        out[f] = text_col(raw, mapping.get(f))
    out["created_at"] = (parse_dates(raw[mapping["created_at"]])[0] if "created_at" in mapping
                         else pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]"))
    for f in ("resolution_minutes", "satisfaction"):
        out[f] = parse_number(raw[mapping[f]])[0] if f in mapping else np.nan
    long = out["text"].str.len() > MAX_TEXT_CHARS
    if report is not None:
        report.add("long_messages", f"Messages longer than {MAX_TEXT_CHARS:,} characters", long.fillna(False),
                   "Read up to that length; the request is nearly always at the start.", raw, rows)
    out["text"] = out["text"].str.slice(0, MAX_TEXT_CHARS)

    if "conversation_id" in mapping:
        out = _group_chats(out, raw, mapping, report, rows)
    else:
        out["messages"] = 1
        if "ticket_id" not in mapping:
            out["ticket_id"] = ("row-" + rows.astype(str)).astype("str")
    empty = out["text"].isna() | (out["text"].str.strip() == "")
    if report is not None:
        report.add("empty_messages", "Tickets without text", empty, "Left out: there is nothing to read.", None)
    bad_minutes = out["resolution_minutes"].notna() & ((out["resolution_minutes"] < 0) | (out["resolution_minutes"] > 60 * 24 * 30))
    if report is not None and bad_minutes.any():
        report.add("odd_handling_times", "Handling times below 0 or above 30 days", bad_minutes,
                   "Ignored in averages; the ticket is kept.", None)
    out.loc[bad_minutes, "resolution_minutes"] = np.nan
    dup = out.duplicated(subset=["ticket_id", "text"]) & out["ticket_id"].notna()
    if report is not None:
        report.add("duplicate_tickets", "Exact duplicate tickets", dup & ~empty, "Counted once.", None)
    out = out.loc[~empty & ~dup, SUPPORT_COLUMNS].reset_index(drop=True)
    for f in ("ticket_id", "channel", "customer_id", "order_id", "text"):
        out[f] = out[f].astype("str")
    out["created_at"] = pd.to_datetime(out["created_at"]).astype("datetime64[us]")
    out["messages"] = out["messages"].astype("int64")
    return out


def _group_chats(out: pd.DataFrame, raw: pd.DataFrame, mapping: dict, report, rows) -> pd.DataFrame:
    conv = text_col(raw, mapping["conversation_id"])
    missing_conv = conv.isna()
    conv = conv.fillna("row-" + rows.astype(str))
    out = out.assign(_conv=conv.to_numpy(), _order=np.arange(len(out)))
    if "sender" in mapping:
        sender = text_col(raw, mapping["sender"]).fillna("")
        out["_customer"] = sender.str.contains(_CUSTOMER_RE, na=False).to_numpy()
    else:
        out["_customer"] = True
    sort_keys = ["_conv", "created_at", "_order"] if out["created_at"].notna().any() else ["_conv", "_order"]
    out = out.sort_values(sort_keys, kind="stable")
    has_text = out["text"].notna() & (out["text"].str.strip() != "")
    g = out.groupby("_conv", sort=False)
    first_time = g["created_at"].min()
    last_time = g["created_at"].max()
    n_messages = g.size()
    # The customer's first message with text; conversations without one keep their first message.
    cust = out[out["_customer"] & has_text].groupby("_conv", sort=False).head(1).set_index("_conv")
    anyone = out[has_text].groupby("_conv", sort=False).head(1).set_index("_conv")
    first = anyone.copy()
    first.loc[cust.index] = cust
    result = pd.DataFrame({"_conv": n_messages.index})
    result = result.join(first, on="_conv", rsuffix="_m")
    result["created_at"] = result["_conv"].map(first_time)
    for f in ("channel", "customer_id", "order_id"):
        result[f] = result["_conv"].map(g[f].first())
    for f in ("resolution_minutes", "satisfaction"):
        result[f] = result["_conv"].map(g[f].max())
    derived = result["resolution_minutes"].isna() & result["created_at"].notna()
    span = (result["_conv"].map(last_time) - result["created_at"]).dt.total_seconds() / 60
    result.loc[derived, "resolution_minutes"] = span[derived].where(span[derived] > 0)
    result["ticket_id"] = result["_conv"]
    result["messages"] = result["_conv"].map(n_messages).fillna(1).astype(int)
    if report is not None:
        report.add("chat_messages_grouped", "Chat messages grouped into conversations",
                   int(len(out) - len(result)), "One ticket per conversation, read from the customer's first message.")
        if missing_conv.any():
            report.add("messages_without_conversation", "Messages without a conversation id", missing_conv,
                       "Each kept as a ticket of its own.", raw, rows)
        if "resolution_minutes" not in mapping and derived.any():
            report.notes.append("No handling-time column: a conversation's time is its first to last message.")
    return result.reset_index(drop=True)
