"""Retention as merchants read it: first-purchase cohorts and the repeat-purchase curve."""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_COHORTS = 24


def cohort_table(days: pd.DataFrame, max_cohorts: int = MAX_COHORTS) -> pd.DataFrame:
    """Long frame: cohort (first-purchase month, "YYYY-MM"), months_since (0, 1, ...), customers
    (cohort size), active (customers of the cohort buying in that month), share (active /
    customers). The latest `max_cohorts` cohorts."""
    if days.empty:
        return pd.DataFrame(columns=["cohort", "months_since", "customers", "active", "share"])
    month = days["day"].dt.year * 12 + days["day"].dt.month - 1
    first = month.groupby(days["customer_id"]).transform("min")
    d = pd.DataFrame({"customer_id": days["customer_id"], "first": first, "since": month - first}).drop_duplicates()
    size = d[d["since"] == 0].groupby("first")["customer_id"].nunique()
    keep = size.index[-max_cohorts:]
    d = d[d["first"].isin(keep)]
    active = d.groupby(["first", "since"])["customer_id"].nunique().rename("active").reset_index()
    active["customers"] = active["first"].map(size)
    active["share"] = active["active"] / active["customers"]
    active["cohort"] = [f"{f // 12:04d}-{f % 12 + 1:02d}" for f in active["first"]]
    return active.rename(columns={"since": "months_since"})[["cohort", "months_since", "customers", "active", "share"]]


def repeat_curve(summary: pd.DataFrame, up_to: int = 10) -> pd.DataFrame:
    """order_number (2..up_to), customers (with at least that many purchases), share (of all
    customers), share_of_previous (of those who made the previous purchase)."""
    n = summary["purchases"].to_numpy(dtype=float)
    total = max(len(n), 1)
    rows, previous = [], float(len(n))
    for k in range(2, up_to + 1):
        c = float(np.sum(n >= k))
        rows.append({"order_number": k, "customers": int(c), "share": c / total,
                     "share_of_previous": c / previous if previous else 0.0})
        previous = c
    return pd.DataFrame(rows)
