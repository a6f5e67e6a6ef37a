"""The store's currency when the export names none: read from where its customers are.

A UK store's invoice export has amounts and a Country column but no currency; reading its pounds
as dollars put "$" on every page. The order of evidence (clean_orders.py applies it):

    1. a currency column in the file (per line; its blanks take the next rule's answer)
    2. currency symbols in the amounts (£, €, ¥ ...)
    3. the currency the merchant gave (`ingest --currency`, the Data page)
    4. the dominant country: when one currency's countries hold >= 80% (DOMINANT) of the sale
       lines that name a country, e.g. 91% from the United Kingdom -> GBP
    5. USD (DEFAULT_CURRENCY), and the merchant can choose another one on the Data page,
       kept in the workspace under CHOSEN by dataset id (`chosen_currency`)

Countries are matched on the names and codes merchants' exports write: English names, ISO
3166 alpha-2 and alpha-3 codes, a few local names (Deutschland, España, 中国) and the odd ones
of well-known exports ("EIRE", "RSA", "Channel Islands").
"""

from __future__ import annotations

import pandas as pd

DEFAULT_CURRENCY = "USD"
DOMINANT = 0.80  # share of sale lines (with a country) that decides the currency
CHOSEN = "intake.currency"  # workspace namespace: {dataset id: currency the merchant chose}

# The currencies offered on the Data page (ISO 4217), most common first.
COMMON_CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CNY", "CAD", "AUD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK",
                     "HUF", "NZD", "SGD", "HKD", "INR", "BRL", "MXN", "ZAR", "KRW", "TWD", "AED", "SAR", "ILS",
                     "TRY", "THB", "RON", "BGN", "ISK"]

_EURO = ["Austria AT AUT Österreich", "Belgium BE BEL Belgique België", "Croatia HR HRV Hrvatska",
         "Cyprus CY CYP", "Estonia EE EST", "Finland FI FIN Suomi", "France FR FRA",
         "Germany DE DEU Deutschland", "Greece GR GRC", "Ireland IE IRL EIRE Éire", "Italy IT ITA Italia",
         "Latvia LV LVA", "Lithuania LT LTU", "Luxembourg LU LUX", "Malta MT MLT",
         "Netherlands NL NLD Nederland Holland|The Netherlands", "Portugal PT PRT", "Slovakia SK SVK",
         "Slovenia SI SVN", "Spain ES ESP España", "Monaco MC MCO", "Andorra AD AND", "San Marino SM SMR",
         "Vatican VA VAT", "Montenegro ME MNE", "Kosovo XK"]
# currency -> "Name CODE2 CODE3 other-names" per country; "|" separates names that hold spaces
_COUNTRIES = {
    "EUR": _EURO,
    "GBP": ["United Kingdom GB GBR UK|Great Britain|England|Scotland|Wales|Northern Ireland|Britain",
            "Channel Islands", "Jersey JE JEY", "Guernsey GG GGY", "Isle of Man IM IMN"],
    "USD": ["United States US USA|United States of America|U.S.|U.S.A.|America",
            "Puerto Rico PR PRI", "Ecuador EC ECU", "El Salvador SV SLV"],
    "JPY": ["Japan JP JPN 日本"], "CNY": ["China CN CHN 中国|People's Republic of China|PRC"],
    "CAD": ["Canada CA CAN"], "AUD": ["Australia AU AUS"], "NZD": ["New Zealand NZ NZL"],
    "CHF": ["Switzerland CH CHE Schweiz Suisse Svizzera", "Liechtenstein LI LIE"],
    "SEK": ["Sweden SE SWE Sverige"], "NOK": ["Norway NO NOR Norge"], "DKK": ["Denmark DK DNK Danmark"],
    "ISK": ["Iceland IS ISL"], "PLN": ["Poland PL POL Polska"], "CZK": ["Czech Republic CZ CZE Czechia"],
    "HUF": ["Hungary HU HUN"], "RON": ["Romania RO ROU"], "BGN": ["Bulgaria BG BGR"],
    "TRY": ["Turkey TR TUR Türkiye"], "ILS": ["Israel IL ISR"], "AED": ["United Arab Emirates AE ARE UAE"],
    "SAR": ["Saudi Arabia SA SAU"], "INR": ["India IN IND"], "SGD": ["Singapore SG SGP"],
    "HKD": ["Hong Kong HK HKG"], "TWD": ["Taiwan TW TWN"], "KRW": ["South Korea KR KOR Korea|Republic of Korea"],
    "THB": ["Thailand TH THA"], "BRL": ["Brazil BR BRA Brasil"], "MXN": ["Mexico MX MEX México"],
    "ZAR": ["South Africa ZA ZAF RSA"],
}


def _table() -> dict[str, tuple[str, str]]:
    """{casefolded name or code: (currency, the country's English name)}."""
    table: dict[str, tuple[str, str]] = {}
    for currency, countries in _COUNTRIES.items():
        for entry in countries:
            words = entry.split("|")
            head = words[0].split(" ")
            # The English name is every leading word that is not a code (codes are upper case).
            n = next((i for i, w in enumerate(head) if i and (w.isupper() or not w.isascii())), len(head))
            name = " ".join(head[:n])
            for key in [name] + head[n:] + words[1:]:
                table[key.casefold()] = (currency, name)
    return table


COUNTRY_CURRENCY = _table()


def country_currency(value) -> tuple[str, str] | None:
    """(currency, country name) of one country as an export writes it; None when not known."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip().casefold()
    if text.startswith("the "):
        text = text[4:]
    return COUNTRY_CURRENCY.get(text)


def country_counts(countries: pd.Series) -> dict[str, int]:
    """{country as written: lines} of the lines that name a country (sums over chunks of a big store)."""
    counts = countries.dropna().astype("str").str.strip()
    counts = counts[counts != ""].value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def merge_counts(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


def infer_currency(counts: dict[str, int]) -> tuple[str, str, float] | None:
    """(currency, where, share) when the countries of one currency hold >= DOMINANT of the lines
    that name a country; `where` is the country ("United Kingdom") or "countries that use EUR"."""
    total = sum(counts.values())
    if not total:
        return None
    by_currency: dict[str, int] = {}
    names: dict[str, set] = {}
    for value, n in counts.items():
        found = country_currency(value)
        if found is None:
            continue
        by_currency[found[0]] = by_currency.get(found[0], 0) + n
        names.setdefault(found[0], set()).add(found[1])
    if not by_currency:
        return None
    currency = max(sorted(by_currency), key=by_currency.get)
    share = by_currency[currency] / total
    if share < DOMINANT:
        return None
    where = names[currency]
    place = next(iter(where)) if len(where) == 1 else f"countries that use {currency}"
    if place in ("United Kingdom", "United States", "Netherlands", "United Arab Emirates", "Czech Republic"):
        place = "the " + place
    return currency, place, share


def inferred_note(found: tuple[str, str, float]) -> str:
    currency, place, share = found
    return (f"No currency column: amounts read as {currency} because {share:.0%} of sale lines are from {place}. "
            "If that is wrong, choose the currency on the Data page.")


def default_note(currency: str) -> str:
    return (f"No currency in the file: amounts are taken to be in {currency}. "
            "If that is wrong, choose the currency on the Data page.")


def chosen_currency(ws, dataset_id: str | None) -> str | None:
    """The currency the merchant chose for this dataset on the Data page (None: as read)."""
    if ws is None or not dataset_id:
        return None
    return ws.get(CHOSEN, dataset_id) or None


def choose_currency(ws, dataset_id: str, currency: str | None) -> None:
    """Keep the merchant's currency for this dataset; None goes back to the one read from the file."""
    if currency:
        ws.put(CHOSEN, dataset_id, str(currency).upper())
    else:
        ws.delete(CHOSEN, dataset_id)


def with_currency(orders: pd.DataFrame, currency: str | None) -> pd.DataFrame:
    """The orders with every line in `currency` (unchanged when None or already so)."""
    if not currency or orders is None or "currency" not in orders:
        return orders
    if (orders["currency"] == currency).all():
        return orders
    return orders.assign(currency=pd.Series(currency, index=orders.index, dtype=orders["currency"].dtype))
