"""Numbers as merchants read them, shared by the pages, the report and the CLI's text output."""

from __future__ import annotations

import math

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "AUD": "A$", "CAD": "C$",
                    "CHF": "CHF "}


def format_money(value, currency: str = "USD", decimals: int | None = None) -> str:
    """$1,234 / €12.5k / £3.20M; '–' for a missing value."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(v):
        return "–"
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    sign = "-" if v < 0 else ""
    v = abs(v)
    if decimals is None:
        if v >= 1e6:
            return f"{sign}{symbol}{v / 1e6:,.2f}M"
        if v >= 1e4:
            return f"{sign}{symbol}{v / 1e3:,.1f}k"
        decimals = 0 if v >= 100 else 2
    return f"{sign}{symbol}{v:,.{decimals}f}"
