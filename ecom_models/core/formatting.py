"""Numbers as merchants read them, shared by the pages, the report and the CLI's text output."""

from __future__ import annotations

import math

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "AUD": "A$", "CAD": "C$",
                    "CHF": "CHF "}


def format_money_range(low, high, currency: str = "USD") -> str:
    """"$4.9k to $117.4k": both ends at the scale of the larger one, so a range never reads "$4,899 to $117.4k"."""
    try:
        lo, hi = float(low), float(high)
    except (TypeError, ValueError):
        return ""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return ""
    top = max(abs(lo), abs(hi))
    if top < 1e4:
        return f"{format_money(lo, currency)} to {format_money(hi, currency)}"
    # an end far below the scale keeps its own form ("-$105 to $95.1k", "$0 to $79.8k"): "$0.1k" reads worse
    div, suffix, dec, floor = (1e6, "M", 2, 1e5) if top >= 1e6 else (1e3, "k", 1, 1e3)
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")

    def one(v: float) -> str:
        if v == 0:
            return f"{symbol}0"
        if abs(v) < floor:
            return format_money(v, currency)
        return _scaled(v, symbol, div, suffix, dec)

    return f"{one(lo)} to {one(hi)}"


def format_money(value, currency: str = "USD", decimals: int | None = None) -> str:
    """$1,234 / €12.5k / £3.20M; '–' for a missing value."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(v):
        return "–"
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    if decimals is None:
        if abs(v) >= 1e6:
            return _scaled(v, symbol, 1e6, "M", 2)
        if abs(v) >= 1e4:
            return _scaled(v, symbol, 1e3, "k", 1)
        decimals = 0 if abs(v) >= 100 else 2
    return _scaled(v, symbol, 1.0, "", decimals)


def _scaled(v: float, symbol: str, div: float, suffix: str, decimals: int) -> str:
    return f"{'-' if v < 0 else ''}{symbol}{abs(v) / div:,.{decimals}f}{suffix}"
