"""The demo store's customer service: a year of tickets with planted intents, and a small FAQ.

Seeded and deterministic like `ecom_models.demo.store`; prebuilt in data/demo (support_tickets.parquet,
support_faq.parquet, support_truth.json) so the page opens fast; tests/test_support_demo.py checks
the files still equal the generator. Planted, and recorded in `truth`:

- a **"where is my order" spike** after the store's September sale (the demo store's promotion
  of 2026-09-15 for 10 days): tracking questions triple for three weeks from the sale's start;
- a **product defect**: from DEFECT_START, customers write that their Wireless Earbuds stop
  charging / one side goes silent; there were no such tickets before;
- everyday intents at steady rates (returns and size exchanges, refund status, cancellations,
  address changes, discount codes, payment problems, invoices, passwords), with handling
  times and satisfaction per intent (defect and late-parcel tickets take longer and score lower).

Regenerate after a change: bump SUPPORT_DEMO_VERSION and run `python -m ecom_models.demo.support`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from ecom_models.demo.support_synth import (
    CLOSINGS_EN,
    CONTEXT_EN,
    FAQ_EN,
    GREETINGS_EN,
    INTENTS_EN,
    SLOTS_EN,
    _compose,
    _fill_alternatives,
    _fill_slots,
    _noise,
)
from ecom_models.core import paths

SUPPORT_DEMO_VERSION = 1
DEMO_DIR = paths.DEMO_DIR
START, END = pd.Timestamp("2025-11-01"), pd.Timestamp("2026-10-31")
SALE_START, SALE_DAYS, SPIKE_DAYS, SPIKE_FACTOR = pd.Timestamp("2026-09-15"), 10, 21, 3.0
DEFECT_START, DEFECT_PRODUCT = pd.Timestamp("2026-07-01"), "Wireless Earbuds"
TICKETS_PER_DAY = 8.0

# intent -> (share of everyday tickets, median handling minutes, mean satisfaction 1-5)
INTENTS = {
    "track_order": (0.22, 6, 3.6),
    "return_exchange": (0.15, 9, 4.0),
    "track_refund": (0.10, 7, 3.4),
    "cancel_order": (0.09, 5, 4.2),
    "change_shipping_address": (0.07, 5, 4.3),
    "discount_code": (0.09, 6, 3.9),
    "payment_issue": (0.08, 10, 3.5),
    "get_invoice": (0.07, 4, 4.4),
    "recover_password": (0.08, 4, 4.1),
    "earbuds_defect": (0.0, 16, 2.4),  # planted: only from DEFECT_START
}
DEMO_TEMPLATES = {
    "return_exchange": [
        "{the|my} <apparel> {is too small|is too big|doesn't fit|runs small}, {can i exchange it for a|how do i swap it for a|i need a} {bigger|smaller|larger|different} size{?|}",
        "{how do i|how can i|can i} {return|send back|exchange} {the|my} <apparel>{ for another size| for a refund|}{?|}",
        "{i want to|i'd like to|need to} {return|exchange} {an item|the <apparel>|my shoes|order <order>}",
        "{is there|do you have} a {return label|returns form|prepaid label} {for|to return} {the|my} <apparel>{?|}",
        "{ordered|bought} {a|the} <apparel> in {m|l|s|42|38} but {it's too tight|it's huge|the sleeves are too long}, {exchange please|what now}",
    ],
    "discount_code": [
        "{my|the} {discount|promo|coupon|voucher} code {isn't working|doesn't work|is not accepted|says invalid}{ at checkout|}",
        "{i forgot to|i didn't} {use|apply|enter} my {discount code|coupon|promo code}{, can you still apply it|, can i get the discount back}{?|}",
        "{the|your} {sale|promotion|15% off} {price|discount} {wasn't applied|didn't apply|is not showing} {to|on} {my order|order <order>|the <item>}",
        "{where do i|how do i} {enter|put|use} {a|my} {discount|promo|coupon} code{?|}",
        "{code|coupon} {SAVE15|WELCOME10|AUTUMN15} {expired|not valid|rejected}{?|!|}",
    ],
    "earbuds_defect": [
        "{my|the} wireless earbuds {stopped charging|won't charge|don't charge anymore} {after|within} {two weeks|a few days|a week|3 days}",
        "{the|my} {left|right} earbud {doesn't work|stopped working|has no sound|keeps disconnecting}{, the other one is fine|}",
        "{earbuds|wireless earbuds} {case|charging case} {isn't charging|doesn't charge them|light doesn't come on}{, faulty?|}",
        "{bought|got} the wireless earbuds {last month|in july|recently} and {one side went silent|they won't hold a charge|the battery dies in an hour}",
        "{defective|faulty|broken} {earbuds|wireless earbuds}{, i want a replacement|, please replace them|, what can you do|}",
    ],
}
SLOTS = {
    "apparel": ["linen shirt", "merino sweater", "denim jacket", "t-shirt", "rain coat", "chino trousers", "trail runners",
                "leather boots", "sneakers", "sandals"],
    "item": ["backpack", "tote bag", "field watch", "bluetooth speaker", "phone charger", "table lamp", "coffee grinder",
             "yoga mat", "board game", "face serum", "throw blanket"],
}
DEMO_FAQ = {
    "track_order": FAQ_EN["track_order"],
    "return_exchange": (["How do I return or exchange an item?", "Can I exchange clothes or shoes for another size?",
                         "Where do I get a return label?"],
                        "Returns and size exchanges are free within 30 days: open My orders > Return, print the label, drop the parcel off."),
    "track_refund": FAQ_EN["track_refund"],
    "cancel_order": FAQ_EN["cancel_order"],
    "change_shipping_address": FAQ_EN["change_shipping_address"],
    "discount_code": (["My discount code does not work.", "How do I use a promo code?",
                       "I forgot to apply my coupon. Can I still get the discount?"],
                      "Enter the code in the basket before paying; codes are case-sensitive and one per order. Forgot it? Reply with your order number within 7 days."),
    "payment_issue": FAQ_EN["payment_issue"],
    "get_invoice": FAQ_EN["get_invoice"],
    "recover_password": FAQ_EN["recover_password"],
}


@dataclass
class DemoSupport:
    tickets: pd.DataFrame  # canonical support frame (ecom_models.support.tickets)
    faq: pd.DataFrame  # faq_id, question, answer
    truth: dict = field(default_factory=dict)  # planted events + the true intent per ticket ("labels")
    seed: int = 42


def _message(intent: str, rng: np.random.Generator) -> str:
    templates = DEMO_TEMPLATES.get(intent) or INTENTS_EN[intent]
    core = _fill_alternatives(templates[int(rng.integers(len(templates)))], rng)
    text = _compose(core, GREETINGS_EN, CONTEXT_EN, CLOSINGS_EN, rng, 0.6)
    return _noise(_fill_slots(text, {**SLOTS_EN, **SLOTS}, rng), rng, 0.03)


def build_demo_support(seed: int = 42) -> DemoSupport:
    rng = np.random.default_rng(seed + 14)
    days = pd.date_range(START, END, freq="D")
    names = [i for i in INTENTS if i != "earbuds_defect"]
    base = np.array([INTENTS[i][0] for i in names])
    base = base / base.sum()
    rows = []
    for day in days:
        weekday = 1.15 if day.day_of_week == 0 else (0.7 if day.day_of_week >= 5 else 1.0)  # Monday backlog, quiet weekends
        rates = {i: TICKETS_PER_DAY * weekday * p for i, p in zip(names, base)}
        if SALE_START <= day < SALE_START + pd.Timedelta(days=SPIKE_DAYS):
            rates["track_order"] *= SPIKE_FACTOR  # many more parcels in transit after the sale
            rates["discount_code"] *= 2.0
        if day >= DEFECT_START:
            rates["earbuds_defect"] = 0.9 * weekday * min(1.0, (day - DEFECT_START).days / 14 + 0.3)
        for intent, rate in rates.items():
            for _ in range(rng.poisson(rate)):
                rows.append((day + pd.Timedelta(minutes=int(rng.integers(7 * 60, 23 * 60))), intent))
    rows.sort()
    n = len(rows)
    created = pd.to_datetime([r[0] for r in rows])
    intents = [r[1] for r in rows]
    texts = [_message(i, rng) for i in intents]
    minutes = np.array([INTENTS[i][1] for i in intents], dtype=float) * rng.lognormal(0, 0.45, n)
    sat_mean = np.array([INTENTS[i][2] for i in intents])
    spike = (created >= SALE_START) & (created < SALE_START + pd.Timedelta(days=SPIKE_DAYS))
    sat_mean = np.where(spike & (np.array(intents) == "track_order"), sat_mean - 0.6, sat_mean)
    satisfaction = np.clip(np.round(rng.normal(sat_mean, 0.9)), 1, 5)
    answered_survey = rng.random(n) < 0.45  # most customers skip the survey
    channel = rng.choice(["email", "chat", "phone"], size=n, p=[0.5, 0.38, 0.12])
    tickets = pd.DataFrame({
        "ticket_id": [f"T{100000 + i}" for i in range(n)],
        "created_at": created.astype("datetime64[us]"),
        "channel": channel.astype(str),
        "customer_id": [f"C{int(c)}" for c in rng.integers(10000, 40000, n)],
        "order_id": [str(int(o)) if intents[i] not in ("recover_password",) else None
                     for i, o in enumerate(rng.integers(500000, 900000, n))],
        "resolution_minutes": np.round(minutes, 1),
        "satisfaction": np.where(answered_survey, satisfaction, np.nan),
        "text": texts,
        "messages": np.where(channel == "chat", rng.integers(3, 12, n), rng.integers(1, 4, n)).astype("int64"),
    })
    for c in ("ticket_id", "channel", "customer_id", "order_id", "text"):
        tickets[c] = tickets[c].astype("str")
    faq = pd.DataFrame([(fid, q, a) for fid, (qs, a) in DEMO_FAQ.items() for q in qs],
                       columns=["faq_id", "question", "answer"])
    truth = {
        "sale": {"start": str(SALE_START.date()), "days": SALE_DAYS},
        "wismo_spike": {"intent": "track_order", "start": str(SALE_START.date()),
                        "end": str((SALE_START + pd.Timedelta(days=SPIKE_DAYS - 1)).date()), "factor": SPIKE_FACTOR},
        "defect": {"intent": "earbuds_defect", "product": DEFECT_PRODUCT, "start": str(DEFECT_START.date())},
        "faq_ids": list(DEMO_FAQ), "intents": list(INTENTS),
        "labels": intents,
    }
    return DemoSupport(tickets=tickets, faq=faq, truth=truth, seed=seed)


@lru_cache(maxsize=2)
def demo_support(seed: int = 42) -> DemoSupport:
    """Loaded from data/demo when prebuilt for this seed and version, else generated. Memoised."""
    meta = DEMO_DIR / "support_truth.json"
    if meta.exists():
        doc = json.loads(meta.read_text())
        if doc.get("seed") == seed and doc.get("version") == SUPPORT_DEMO_VERSION:
            return DemoSupport(tickets=pd.read_parquet(DEMO_DIR / "support_tickets.parquet"),
                               faq=pd.read_parquet(DEMO_DIR / "support_faq.parquet"), truth=doc["truth"], seed=seed)
    return build_demo_support(seed)


def write_prebuilt(seed: int = 42) -> None:
    d = build_demo_support(seed)
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    d.tickets.to_parquet(DEMO_DIR / "support_tickets.parquet", index=False, compression="zstd")
    d.faq.to_parquet(DEMO_DIR / "support_faq.parquet", index=False, compression="zstd")
    (DEMO_DIR / "support_truth.json").write_text(json.dumps({"seed": seed, "version": SUPPORT_DEMO_VERSION,
                                                             "truth": d.truth}, ensure_ascii=False))


if __name__ == "__main__":
    write_prebuilt()
