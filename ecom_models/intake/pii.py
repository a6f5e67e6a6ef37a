"""Personal data in merchants' uploads: found, reported, and never stored or shown raw.

- `detect_pii(df)` names the columns holding personal data, by header and content:
  `email`, `phone`, `person_name`, `street_address`, `card_number`.
- `pseudonym(value, salt)` replaces a customer identifier with a salted hash
  (`c-` + 16 hex digits). The salt is drawn once per workspace and kept in it, so the same
  customer gets the same pseudonym in every upload of that workspace: the models (repeat
  rate, recommendations, risk) only need equality, and work unchanged.
- `mask_text(text)` replaces e-mail addresses, phone numbers and card numbers inside free
  text (reviews, tickets) with `[email]`, `[phone]`, `[card]`.
- `protect_frame` applies both before a dataset is stored; `scrub_report` removes raw values
  from a quality report's examples (which are stored with the dataset and shown on the page).
"""

from __future__ import annotations

import hashlib
import re
import secrets

import numpy as np
import pandas as pd

KINDS = ("email", "phone", "person_name", "street_address", "card_number")
LABELS = {"email": "e-mail addresses", "phone": "phone numbers", "person_name": "person names",
          "street_address": "street addresses", "card_number": "card-like numbers"}
MASK = "•••"

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# 8 to 15 digits, optionally with +, spaces, dots, dashes or brackets between them.
PHONE_RE = re.compile(r"(?<![\w.,/-])\+?\(?\d[\d\s().-]{6,18}\d(?![\w.,/-]|\.\d)")
CARD_RE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_PSEUDONYM_RE = re.compile(r"^c-[0-9a-f]{16}$")

_HEADER_HINTS = {
    "email": re.compile(r"e-?mail|邮箱|mail address"),
    "phone": re.compile(r"phone|tel\b|telephone|mobile|cell\b|handy|telefon|手机|电话"),
    "person_name": re.compile(
        r"(first|last|given|family|full|customer|billing|shipping|contact|buyer|recipient|reviewer|author|client|sur)"
        r"[ _-]?name|^name$|^surname$|vorname|nachname|姓名|收货人|联系人"),
    "street_address": re.compile(r"(?<!e-mail )(?<!email )(?<!ip )address|street|addr\b|adresse|straße|strasse|地址|"
                                 r"address ?1|address ?2|postal address"),
    "card_number": re.compile(r"card ?(number|no|num)|credit ?card|\bpan\b|\bcc ?(number|no)?\b"),
}
_NOT_PERSON = re.compile(r"product|item|sku|store|shop|vendor|brand|company|category|file|campaign|variant|page")


def _norm(header) -> str:
    return re.sub(r"\s+", " ", str(header).strip().lower().replace("_", " "))


def _luhn(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _share(values: pd.Series, test) -> float:
    if values.empty:
        return 0.0
    return float(np.mean([bool(test(v)) for v in values]))


def _is_phone(v: str) -> bool:
    v = v.strip()
    digits = re.sub(r"\D", "", v)
    return 8 <= len(digits) <= 15 and bool(re.fullmatch(r"\+?[\d\s().-]+", v)) and (
        v.startswith("+") or v.startswith("(") or bool(re.search(r"\d[\s.-]\d", v)) or v.startswith("0"))


def _is_card(v: str) -> bool:
    digits = re.sub(r"[\s-]", "", v.strip())
    return digits.isdigit() and 13 <= len(digits) <= 19 and _luhn(digits)


def _is_person_name(v: str) -> bool:
    words = v.strip().split()
    return 1 <= len(words) <= 4 and all(re.fullmatch(r"[^\W\d_][^\W\d_'.-]*", w) for w in words)


def _is_address(v: str) -> bool:
    return bool(re.search(r"\d", v)) and bool(re.search(r"[^\W\d_]{3,}", v)) and len(v) >= 6


def detect_pii(df: pd.DataFrame, sample: int = 500) -> dict[str, str]:
    """{column: kind} for columns holding personal data (see the module docstring)."""
    found: dict[str, str] = {}
    for col in df.columns:
        s = df[col].head(sample * 4).dropna()
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            continue
        if pd.api.types.is_numeric_dtype(s):  # phone or card numbers kept as numbers by a spreadsheet
            s = s.map(lambda v: f"{v:.0f}" if float(v).is_integer() else str(v))
        s = s.astype("str").str.strip()
        s = s[~s.isin(["", "nan", "None", "<NA>", "null"])].head(sample)
        if s.empty:
            continue
        header = _norm(col)
        hint = next((k for k, rx in _HEADER_HINTS.items() if rx.search(header)), None)
        if _share(s, EMAIL_RE.fullmatch) > 0.5:
            found[col] = "email"
        elif _share(s, _is_card) > 0.6 and (hint == "card_number" or s.str.contains(r"[\s-]").mean() > 0.5
                                           or s.str.len().between(15, 19).mean() > 0.9 and hint != "phone"):
            found[col] = "card_number"
        elif hint == "phone" and _share(s, _is_phone) > 0.5:
            found[col] = "phone"
        elif hint is None and _share(s, lambda v: _is_phone(v) and (v.startswith("+") or "(" in v)) > 0.8:
            found[col] = "phone"
        elif hint == "person_name" and not _NOT_PERSON.search(header) and _share(s, _is_person_name) > 0.7:
            found[col] = "person_name"
        elif hint == "street_address" and _share(s, _is_address) > 0.5:
            found[col] = "street_address"
        elif hint == "email" and _share(s, lambda v: "@" in v) > 0.5:
            found[col] = "email"
    return found


def new_salt() -> str:
    return secrets.token_hex(16)


def pseudonym(value, salt: str):
    """`c-` + 16 hex digits of SHA-256(salt, value); missing stays missing, a pseudonym stays itself."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return value
    text = str(value).strip()
    if _PSEUDONYM_RE.match(text):
        return text
    return "c-" + hashlib.sha256((salt + "\x1f" + text.lower()).encode("utf-8")).hexdigest()[:16]


def pseudonymise(values: pd.Series, salt: str) -> pd.Series:
    codes, uniques = pd.factorize(values)
    if len(uniques) == 0:
        return values
    hashed = np.array([pseudonym(u, salt) for u in uniques], dtype=object)
    out = pd.Series(np.where(codes >= 0, hashed[np.maximum(codes, 0)], None), index=values.index, dtype="object")
    return out.astype("str") if str(values.dtype) == "str" else out


def mask_text(text):
    """E-mail addresses, card numbers and phone numbers inside free text replaced by placeholders."""
    if not isinstance(text, str) or not text:
        return text
    text = EMAIL_RE.sub("[email]", text)
    text = CARD_RE.sub(lambda m: "[card]" if _is_card(m.group(0)) else m.group(0), text)
    return PHONE_RE.sub(_phone_or_not, text)


_DATE_LIKE = re.compile(r"\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")


def _phone_or_not(m: re.Match) -> str:
    found = m.group(0)
    if len(re.sub(r"\D", "", found)) < 8 or _DATE_LIKE.match(found.strip()):
        return found
    return "[phone]"


def mask_series(values: pd.Series) -> pd.Series:
    if values.empty:
        return values
    s = values.astype("str")
    maybe = s.str.contains(r"@|\d{3}", regex=True, na=False)  # only these can hold what we mask
    if not maybe.any():
        return values
    out = values.copy()
    out.loc[maybe] = s[maybe].map(mask_text)
    return out


# Canonical columns holding free text, per kind (support tickets: issue 14's kind).
TEXT_COLUMNS = ("text", "title", "subject", "body", "message", "comment", "note", "notes", "description")
ID_COLUMNS = ("customer_id", "unit_id", "user_id", "reviewer_id")


def protect_frame(df: pd.DataFrame, kind: str, salt: str, pii_columns: dict[str, str] | None = None
                  ) -> tuple[pd.DataFrame, list[str]]:
    """The frame as it may be stored, and what was done (sentences for the Data page).

    Customer identifiers and every other column found to hold personal data become salted
    pseudonyms (equality kept); free-text columns have e-mails, phones and card numbers masked.
    """
    out = df.copy()
    actions: list[str] = []
    found = {c: k for c, k in detect_pii(out).items()}
    found.update({c: k for c, k in (pii_columns or {}).items() if c in out.columns})
    hashed = []
    for col in out.columns:
        name = _norm(col)
        if col in ID_COLUMNS or name in ("customer id", "user id") or (col in found and col not in TEXT_COLUMNS):
            if out[col].notna().any():
                out[col] = pseudonymise(out[col], salt)
                hashed.append(str(col))
    if hashed:
        actions.append("Stored as pseudonyms (a salted hash per workspace; the same customer keeps the same "
                       "pseudonym): " + ", ".join(h.replace("_", " ") for h in hashed) + ".")
    masked = []
    for col in out.columns:
        if str(col) in hashed:
            continue
        if _norm(col) in TEXT_COLUMNS or (kind in ("reviews", "support") and out[col].dtype == object
                                           and out[col].astype("str").str.len().mean() > 30):
            before = out[col]
            out[col] = mask_series(before)
            if not before.equals(out[col]):
                masked.append(str(col))
    if masked:
        actions.append("E-mail addresses, phone and card numbers inside the text were masked: " + ", ".join(masked) + ".")
    return out, actions


def scrub_report(report: dict, pii_columns: dict[str, str]) -> dict:
    """A quality report without raw personal data: values of personal columns replaced, text masked."""
    def clean(obj, key=None):
        if isinstance(obj, dict):
            return {k: (v if k in ("pii", "mapping", "confidence") else clean(v, k)) for k, v in obj.items()}
        if isinstance(obj, list):
            return [clean(v, key) for v in obj]
        if isinstance(obj, str):
            if key in pii_columns and key not in ("kind", "label", "advice", "key"):
                return MASK
            # Ids, dates and amounts in other columns stay readable; contact details do not.
            return mask_text(obj) if re.search(r"[@+(]", obj) or CARD_RE.search(obj) else obj
        return obj

    return clean(report)


# Contact details kept with the merchant's key to their own ids (ecom_models.workspace.identities).
_CONTACT_FIELDS = {"email": "email", "person_name": "name", "phone": "phone"}


def identity_frame(df: pd.DataFrame, salt: str, raw: pd.DataFrame | None = None,
                   raw_id_column: str | None = None, raw_pii: dict[str, str] | None = None) -> pd.DataFrame:
    """Each pseudonym `protect_frame` gives the customer ids of `df` (canonical, not yet
    protected), with the original id and, from the file's own rows (`raw`, its id column and
    the personal columns found in it), the customer's e-mail, name and phone where it had them.
    Columns: pseudonym, customer_id, email, name, phone."""
    cols = ["pseudonym", "customer_id", "email", "name", "phone"]
    parts = []
    for col in ("customer_id", "user_id", "reviewer_id"):
        if col in df.columns:
            ids = df[col].dropna().astype("str").str.strip()
            parts.append(ids[(ids != "") & ~ids.str.match(_PSEUDONYM_RE.pattern)].drop_duplicates())
    if not parts:
        return pd.DataFrame(columns=cols)
    ids = pd.concat(parts).drop_duplicates()
    out = pd.DataFrame({"pseudonym": [pseudonym(v, salt) for v in ids], "customer_id": ids.to_numpy()})
    for field in ("email", "name", "phone"):
        out[field] = None
    if raw is not None and raw_id_column in getattr(raw, "columns", ()):
        contacts = {c: _CONTACT_FIELDS[k] for c, k in (raw_pii or {}).items()
                    if k in _CONTACT_FIELDS and c in raw.columns and c != raw_id_column}
        if raw_pii and raw_pii.get(raw_id_column) == "email":
            out["email"] = out["customer_id"]
        if contacts:
            # one row per distinct (customer, contacts) first: a customer's many lines cost nothing more
            frame = raw[[raw_id_column, *contacts]].dropna(subset=[raw_id_column]).drop_duplicates()
            frame = frame.astype("str").replace({"": None, "nan": None, "None": None, "<NA>": None})
            firsts = frame.groupby(raw_id_column, sort=False).first()
            firsts.index = [pseudonym(v, salt) for v in firsts.index]
            firsts = firsts[~firsts.index.duplicated()]
            for col, field in contacts.items():
                found = out["pseudonym"].map(firsts[col])
                out[field] = out[field].where(out[field].notna(), found)
    return out.drop_duplicates("pseudonym").reset_index(drop=True)


def pseudonymise_document(doc, salt: str, keys=("customer_id", "user_id")):
    """A JSON document (a CLI output) with the values under `keys` replaced by pseudonyms, at any depth."""
    if isinstance(doc, dict):
        return {k: (pseudonym(v, salt) if k in keys and isinstance(v, (str, int)) and not isinstance(v, bool)
                    else pseudonymise_document(v, salt, keys)) for k, v in doc.items()}
    if isinstance(doc, list):
        return [pseudonymise_document(v, salt, keys) for v in doc]
    return doc
