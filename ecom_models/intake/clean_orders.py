"""Cleaning order lines: from a merchant's export to the canonical orders frame.

Amounts and dates are parsed per column (parse.py), order-level fields that Shopify-style
exports give on an order's first line only are filled in, derived amounts (revenue from price x
quantity, price from revenue) are computed, and every line gets its type: a sale, a
cancellation, a return, a non-product line (postage, fees) or a zero price, as the README
defines them. Figures over the cleaned lines (sales, KPIs, store figures) are in orders.py.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ecom_models.core.dates import implausible_dates
from ecom_models.core.whole_store import whole_column
from ecom_models.intake.currency import (DEFAULT_CURRENCY, country_counts, default_note, infer_currency,
                                         inferred_note)
from ecom_models.intake.parse import NumberParse, parse_dates, parse_number
from ecom_models.intake.report import IMPLAUSIBLE_ADVICE, IMPLAUSIBLE_LABEL, QualityReport
from ecom_models.intake.schemas import ORDERS_FIELDS


# Multi-letter codes only: one-letter codes (M, D, S, B in invoice exports) are caught by their
# description instead, so a shop whose SKU happens to be "B" keeps its product.
NON_PRODUCT_CODES = {"POST", "DOT", "C2", "CRUK", "BANK CHARGES", "AMAZONFEE", "ADJUST",
                     "ADJUST2", "TEST001", "TEST002", "SHIPPING", "FEE", "GIFT"}
# Anchored at the start of the name, so "Manual Coffee Grinder" stays a product and "Manual" does not.
_NON_PRODUCT_RE = (r"(?i)^\W*(?:dotcom postage|postage|shipping(?: fee| charge| cost)?|carriage|delivery (?:charge|fee)|"
                   r"bank charges?|amazon fee|fees?|adjust(?:ment)?(?: bad debt)?|bad debt|discount|"
                   r"cruk commission|commission|samples?|service charge|handling(?: fee)?|surcharge|gift card|tip|"
                   r"manual|write.?off)\W*$")
_CANCEL_STATUS_RE = r"(?i)(?:cancel|void|declin|fail|abandon|取消)"
_RETURN_STATUS_RE = r"(?i)(?:refund|return|退款|退货)"


def _strip_float_suffix(u: pd.Series) -> pd.Series:
    """'17850.0' -> '17850': ids that went through a spreadsheet as numbers."""
    return u.where(~u.str.endswith(".0", na=False), u.str.slice(0, -2))


def _cancellation_ids(u: pd.Series, numeric_ids: bool) -> pd.Series:
    """Invoice exports mark a cancellation with a C before the invoice number (C536379)."""
    first, rest = u.str.slice(0, 1), u.str.slice(1)
    if numeric_ids:
        return (first.isin(["C", "c"]) & rest.str.slice(0, 1).str.isdigit()).fillna(False)
    return ((first == "C") & rest.str.isdigit() & (rest.str.len() >= 5)).fillna(False)


def _exact_duplicates(raw: pd.DataFrame, order_id: pd.Series, product_id: pd.Series) -> np.ndarray:
    """Rows repeating an earlier row exactly. Only rows sharing an order and a product can be
    exact repeats, so the full-row hash runs on those few candidates, not on every row."""
    o_codes = pd.factorize(order_id)[0].astype(np.int64)
    p_codes = pd.factorize(product_id)[0].astype(np.int64)
    candidates = pd.Series(o_codes * (p_codes.max() + 2) + p_codes).duplicated(keep=False).to_numpy()
    result = np.zeros(len(raw), dtype=bool)
    if candidates.any():
        subset = raw.loc[candidates]
        result[candidates] = pd.util.hash_pandas_object(subset, index=False).duplicated(keep="first").to_numpy()
    return result


def _per_unique(values: pd.Series, fn) -> pd.Series:
    """Apply a string function once per distinct value: exports repeat ids, names and statuses."""
    codes, uniques = pd.factorize(values)
    if len(uniques) == 0:
        return fn(values.astype("str"))
    result = fn(pd.Series(uniques, dtype="str"))
    taken = pd.api.extensions.take(result.array, codes, allow_fill=True)
    return pd.Series(taken, index=values.index)


def _store_currency(out: pd.DataFrame, sales: pd.Series, given: str | None, no_column: bool, from_symbols: bool,
                    report: QualityReport) -> None:
    """Fill the lines the file gives no currency for: the currency of symbols in the amounts or
    the merchant's (`given`), else the dominant country's (intake.currency), else USD. The
    country shares are the whole store's when a big store is cleaned in chunks."""
    counts = country_counts(out.loc[sales, "country"]) if given is None else {}
    counts = whole_column("country_currency", counts)
    found = infer_currency(counts) if given is None else None
    fill = given or (found[0] if found else DEFAULT_CURRENCY)
    out["currency"] = out["currency"].fillna(fill)
    if found:
        report.notes.append(inferred_note(found))
    elif no_column and given is None:
        report.notes.append(default_note(fill))
    if no_column and not from_symbols:
        report.currency = {"code": fill, "from": "country" if found else "default" if given is None else "given"}


def clean_orders(raw: pd.DataFrame, mapping: dict, report: QualityReport, default_currency: str | None) -> pd.DataFrame:
    """The canonical order lines (docs/CONTRACTS.md) of a raw export, `mapping` canonical -> column.

    Every line gets a `line_type`: sale, cancellation, return, non_product, zero_price (and
    `is_duplicate` for exact repeats). Status-only exports (voided, refunded orders) are turned
    into the same line types; lines with no usable date, product, amount or order id are left
    out. Each decision is counted in `report`."""
    n = len(raw)
    rows = pd.Series(np.arange(n) + 2, index=raw.index)  # file row numbers (header is row 1)
    col = lambda f: raw[mapping[f]] if f in mapping else None  # noqa: E731
    out = pd.DataFrame(index=raw.index)

    def text(f):
        s = col(f)
        if s is None:
            return pd.Series(pd.NA, index=raw.index, dtype="str")
        s = s.astype("str").str.strip()
        return s.where(~s.isin(["", "nan", "None", "NaN", "<NA>", "null"])).astype("str")

    out["order_id"] = _per_unique(text("order_id"), _strip_float_suffix).astype("str")
    product_id = text("product_id")
    product_name = text("product_name")
    out["product_id"] = product_id.fillna(product_name)
    out["product_name"] = product_name.fillna(product_id)
    if "order_id" not in mapping:
        report.notes.append("No order id column: each line is treated as its own order.")
        out["order_id"] = pd.Series(np.arange(n).astype(str), index=raw.index, dtype="str")

    # Shopify-style exports put order-level fields only on an order's first line.
    order_level = ["order_date", "customer_id", "country", "channel", "status", "currency"]
    frame_cols = {f: (text(f) if f != "order_date" else col(f)) for f in order_level}
    filled = 0
    date_col = frame_cols["order_date"]
    if date_col is not None and "order_id" in mapping and out["order_id"].notna().all():
        date_missing = date_col.isna() | (date_col.astype("str").str.strip() == "")
        # Only Shopify-style exports leave the date blank on an order's later lines; then every
        # order-level field is taken from the order's first line. Elsewhere a blank customer is a guest.
        if date_missing.any() and (~date_missing).any():
            order_key = out["order_id"]
            for f in order_level:
                s = frame_cols[f]
                if s is None or f not in mapping:
                    continue
                missing_before = date_missing if f == "order_date" else s.isna()
                s = s.where(~missing_before)
                filled_s = s.groupby(order_key).transform("first")
                filled_mask = missing_before & filled_s.notna()
                if f == "order_date":
                    filled = int(filled_mask.sum())
                frame_cols[f] = s.where(~filled_mask, filled_s)
    if filled:
        report.add("order_fields_filled", "Order-level fields filled in from the order's first line", filled,
                   "Normal for Shopify-style exports; nothing to do.")

    dates, dstats = parse_dates(frame_cols["order_date"]) if frame_cols["order_date"] is not None else (None, None)
    out["order_date"] = dates
    out["customer_id"] = _per_unique(frame_cols["customer_id"], _strip_float_suffix).astype("str") if frame_cols["customer_id"] is not None else pd.Series(pd.NA, index=raw.index, dtype="str")
    if "category" in mapping:
        out["category"] = text("category")
    else:
        out["category"] = pd.Series(pd.NA, index=raw.index, dtype="str")

    quantity, qstats = parse_number(col("quantity")) if "quantity" in mapping else (pd.Series(np.nan, index=raw.index), NumberParse())
    unit_price, pstats = parse_number(col("unit_price")) if "unit_price" in mapping else (pd.Series(np.nan, index=raw.index), NumberParse())
    revenue, rstats = parse_number(col("revenue")) if "revenue" in mapping else (pd.Series(np.nan, index=raw.index), NumberParse())
    discount, dstats2 = parse_number(col("discount")) if "discount" in mapping else (pd.Series(0.0, index=raw.index), NumberParse())

    symbols = max(pstats.symbols, rstats.symbols, dstats2.symbols)
    thousands = max(pstats.thousands, rstats.thousands, qstats.thousands)
    report.add("currency_symbols", "Currency symbols in amounts", symbols, "Removed before reading the numbers.")
    report.add("thousands_separators", "Thousands separators in numbers", thousands, "Read correctly; nothing to do.")
    if any(s.decimal_comma for s in (pstats, rstats, qstats, dstats2)):
        report.add("decimal_commas", "Decimal commas (1.234,50)",
                   int(sum(col(f).notna().sum() for f in ("unit_price", "revenue") if f in mapping)),
                   "Read as decimals; nothing to do.")

    if "quantity" not in mapping:
        quantity = pd.Series(1.0, index=raw.index)
        report.notes.append("No quantity column: every line counts as one unit.")
    missing_qty = quantity.isna()
    if "quantity" in mapping:
        report.add("missing_quantity", "Missing quantity (assumed 1)", missing_qty, "Fill in the quantity in your export.",
                   raw, rows)
    quantity = quantity.fillna(1.0)

    discount = discount.fillna(0.0)
    # Decided on the whole column (whole_store: also when a big store is cleaned in chunks).
    top_discount, any_discount = whole_column("discount", (float(discount.abs().max()), bool((discount > 0).any())))
    if "discount" in mapping and top_discount <= 1.0 and any_discount:
        # BI exports give the discount as a rate of the list price ("0.2"); turn it into money.
        base = revenue / (1 - discount.clip(upper=0.99)) if revenue.notna().any() else unit_price * quantity
        discount = (base * discount).round(2)
        report.notes.append("Discount was given as a rate (0 to 1); converted to an amount per line.")
    discount = discount.abs()

    derived_revenue = revenue.isna() & unit_price.notna()
    revenue = revenue.where(~derived_revenue, unit_price * quantity - discount)
    derived_price = unit_price.isna() & revenue.notna() & (quantity != 0)
    unit_price = unit_price.where(~derived_price, ((revenue + discount) / quantity).abs())
    if derived_revenue.all() and "revenue" not in mapping:
        report.notes.append("No line total column: revenue = quantity x unit price - discount.")
    if derived_price.all() and "unit_price" not in mapping:
        report.notes.append("No unit price column: unit price = (line total + discount) / quantity.")

    out["quantity"] = quantity.astype("float64")
    out["unit_price"] = unit_price.astype("float64")
    out["revenue"] = revenue.astype("float64")
    out["discount"] = discount.astype("float64")
    currency = frame_cols["currency"]
    detected = pstats.currency or rstats.currency
    if detected == "JPY" and any(re.search(r"[\u4e00-\u9fff]", str(c)) for c in raw.columns):
        detected = "CNY"  # ¥ under Chinese headers is the renminbi
    # The file's own currency (a column, then symbols in the amounts), then the merchant's; when
    # none of these names one, the dominant country decides once the sale lines are known below.
    given = detected or default_currency
    if currency is not None and currency.notna().any():
        out["currency"] = currency.str.upper()
    else:
        currency = None
        out["currency"] = pd.Series(pd.NA if given is None else given, index=raw.index, dtype="object")
    for f in ("country", "channel", "status"):
        out[f] = frame_cols[f] if frame_cols[f] is not None else pd.Series(pd.NA, index=raw.index, dtype="str")

    # Rows that cannot be used at all.
    bad_date = out["order_date"].isna()
    report.add("unreadable_dates", "Dates that could not be read", bad_date,
               "Left out. Use one date format in the column, e.g. 2024-03-31.", raw, rows)
    odd_date = implausible_dates(out["order_date"]) & ~bad_date
    report.add("implausible_dates", IMPLAUSIBLE_LABEL, odd_date, IMPLAUSIBLE_ADVICE, raw, rows)
    bad_date = bad_date | odd_date
    no_product = out["product_id"].isna() & out["product_name"].isna()
    if "product_id" in mapping or "product_name" in mapping:
        report.add("missing_product", "Lines without a product", no_product & ~bad_date,
                   "Left out. Fill in the SKU or product name.", raw, rows)
    else:
        no_product = pd.Series(False, index=raw.index)
        out["product_id"] = out["product_name"] = pd.Series("(all products)", index=raw.index, dtype="str")
    no_amount = out["revenue"].isna()
    report.add("unreadable_amounts", "Prices or totals that could not be read", no_amount & ~bad_date & ~no_product,
               "Left out. Amounts must be numbers, e.g. 12.50.", raw, rows)
    no_order = out["order_id"].isna()
    report.add("missing_order_id", "Lines without an order id", no_order & ~bad_date,
               "Left out. Every line needs the order (invoice) number it belongs to.", raw, rows)
    usable = ~(bad_date | no_product | no_amount | no_order)
    if dstats is not None and dstats.ambiguous:
        report.notes.append(f"Every date fits both day-first and month-first; read as {dstats.style}. "
                            "If that is wrong, change the date format in the export to year-month-day.")
    if dstats is not None:
        report.read["date_format"] = dstats.style
        report.add("excel_serial_dates", "Dates stored as Excel serial numbers", dstats.excel_serial,
                   "Converted; nothing to do.")
        report.add("dates_with_timezone", "Dates with a time zone", dstats.with_timezone,
                   "Shown in the store's most common time zone.")

    # Line types.
    oid = out["order_id"].fillna("")
    status = out["status"].fillna("")
    numeric_ids = whole_column("numeric_ids", bool(oid.head(10000).str.fullmatch(r"\d+").mean() > 0.5))
    cancel_id = _per_unique(oid, lambda u: _cancellation_ids(u, numeric_ids)).astype(bool)
    cancel_status = _per_unique(status, lambda u: u.str.contains(_CANCEL_STATUS_RE, regex=True)).astype(bool)
    return_status = _per_unique(status, lambda u: u.str.contains(_RETURN_STATUS_RE, regex=True)).astype(bool)
    negative = out["quantity"] < 0
    pid_upper = _per_unique(out["product_id"].fillna(""), lambda u: u.str.upper().str.strip())
    name_text = out["product_name"].fillna("")
    non_product = (pid_upper.isin(NON_PRODUCT_CODES)
                   | _per_unique(name_text, lambda u: u.str.contains(_NON_PRODUCT_RE, regex=True)).astype(bool))
    line_type_names = np.array(["sale", "non_product", "cancellation", "zero_price", "return", "cancelled_order",
                                "refunded_sale"])
    line_code = np.select(
        # Negative quantities at a zero price are stock adjustments ("damaged", "missing"), not returns.
        [non_product, cancel_id | (cancel_status & negative), negative & (out["unit_price"] == 0), return_status & negative,
         cancel_status, return_status, negative | (out["revenue"] < 0), out["unit_price"] <= 0],
        [1, 2, 3, 4, 5, 6, 4, 3], default=0)
    # Integer codes then a small categorical: a million Python strings from np.select would cost a second.
    line_type = pd.Categorical.from_codes(line_code, line_type_names)
    out["line_type"] = pd.Series(line_type, index=raw.index).astype("str")
    # A separate cancellation or return line is a negative amount whatever sign the export used.
    refund = out["line_type"].isin(["cancellation", "return"])
    out.loc[refund, "quantity"] = -out.loc[refund, "quantity"].abs()
    out.loc[refund, "revenue"] = -out.loc[refund, "revenue"].abs()
    # Status-only exports (Shopify, WooCommerce) mark the order line itself. A voided order never
    # was a sale: it is kept as a cancellation worth nothing. A refunded line was a sale that was
    # paid back: it becomes the sale plus a return line, so gross and net revenue both come out right.
    voided = (out["line_type"] == "cancelled_order").to_numpy()
    refunded = (out["line_type"] == "refunded_sale").to_numpy()
    report.add("cancellations", "Cancelled lines", usable & (out["line_type"] == "cancellation"),
               "Kept as negative lines: they reduce net revenue, not orders.", raw, rows)
    report.add("cancelled_orders", "Orders cancelled or voided before payment (by status)", usable & voided,
               "Not counted as sales or orders.", raw, rows)
    report.add("returns", "Returned or refunded lines", usable & (out["line_type"] == "return"),
               "Kept as negative lines: they reduce net revenue.", raw, rows)
    report.add("refunded_by_status", "Lines refunded (by status)", usable & refunded,
               "Counted as a sale and a return: in gross revenue, not in net revenue.", raw, rows)
    report.add("non_product_lines", "Non-product lines (postage, fees, adjustments, discounts)",
               usable & (out["line_type"] == "non_product"),
               "Kept out of product sales and models; shown separately.", raw, rows)
    report.add("zero_or_negative_price", "Zero or negative prices", usable & (out["line_type"] == "zero_price"),
               "Kept out of sales (free items, samples, stock adjustments or errors). Check them if they are real sales.", raw, rows)
    dup = pd.Series(_exact_duplicates(raw, out["order_id"], out["product_id"]), index=raw.index) & usable
    report.add("duplicate_lines", "Exact duplicate lines", dup,
               "Counted once. If they are real repeat purchases, give each line its own id.", raw, rows)
    out["is_duplicate"] = dup.to_numpy()
    guests = usable & out["customer_id"].isna() & out["line_type"].isin(["sale", "refunded_sale"])
    if "customer_id" in mapping:
        report.add("guest_checkouts", "Lines without a customer id (guest checkouts)", guests,
                   "Kept: counted in revenue and orders, not in customer figures.", raw, rows)
    else:
        report.notes.append("No customer column: customer figures (repeat rate, customers) are not available.")

    if currency is None or out["currency"].isna().any():
        _store_currency(out, usable & out["line_type"].isin(["sale", "refunded_sale"]), given, currency is None,
                        bool(detected), report)

    out.loc[voided, ["quantity", "revenue", "discount"]] = 0.0
    out.loc[voided, "line_type"] = "cancellation"
    out.loc[refunded, "line_type"] = "sale"
    out = out.loc[usable]
    refund_rows = out.loc[refunded[usable.to_numpy()]].copy()
    if len(refund_rows):
        refund_rows["line_type"] = "return"
        refund_rows["quantity"] = -refund_rows["quantity"].abs()
        refund_rows["revenue"] = -refund_rows["revenue"].abs()
        out = pd.concat([out, refund_rows])
    out = out[ORDERS_FIELDS + ["line_type", "is_duplicate"]].reset_index(drop=True)
    out.attrs["added_rows"] = len(refund_rows)
    for f in ("order_id", "customer_id", "product_id", "product_name", "category", "currency", "country", "channel",
              "status", "line_type"):
        out[f] = out[f].astype("str")
    out["order_date"] = out["order_date"].astype("datetime64[us]")
    return out

