"""The demo store: a seeded, deterministic, realistic small shop.

Used whenever the merchant has not uploaded anything, so every page shows real output on
first run. Every effect is planted from a known rule and recorded in `truth`, so tests can
check that the models recover it:

- demand: weekly and yearly seasonality, a gentle trend, Black Friday / Christmas peaks,
  closed on 25 December;
- price: store-wide list-price steps, units respond as (price / reference) ** elasticity;
- promotions: periods with a 15% coupon; units rise by `promo_lift` on those days;
- baskets: each product has two "bought together" partners;
- customers: new and repeat, guest checkouts without an id; a planted lapsing segment (40
  regulars who bought every two to four weeks for a year, then stopped five months before the
  end: `truth["lapsing_customers"]`, found by the Customers page's win-back list);
- cancellations, returns (more for apparel and shoes: size and fit), postage lines;
- fraud: pricing-error abuse, card-testing bursts from new customers, bulk buys, shipped to
  countries the store rarely sees; broken days on which a checkout bug lost most orders;
- reviews with ratings whose text talks about shipping, quality, size/fit, price, service;
- daily traffic (sessions, ad spend, promo flag);
- one finished A/B test with a known relative lift in conversion.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from ecom_models.core import paths

END_DATE = pd.Timestamp("2026-10-31")
DAYS = 730
CURRENCY = "USD"

PRICE_ELASTICITY = -1.5
PROMO_LIFT = 0.30
PROMO_DISCOUNT = 0.15
PRICE_CHANGES = [("2025-03-01", 0.10), ("2025-07-15", -0.15), ("2026-01-10", 0.12), ("2026-06-01", -0.08)]
PROMO_STARTS = [("2025-01-15", 7), ("2025-04-10", 10), ("2025-06-20", 7), ("2025-09-05", 10),
                ("2026-02-12", 7), ("2026-04-22", 10), ("2026-07-08", 7), ("2026-09-15", 10)]
BROKEN_DAYS = ["2025-05-14", "2025-10-02", "2026-03-19"]
AB_CONTROL_RATE = 0.05
AB_REL_LIFT = 0.12

CATALOG = {
    "apparel": ["Linen Shirt", "Merino Sweater", "Denim Jacket", "Cotton T-Shirt", "Rain Coat", "Chino Trousers"],
    "shoes": ["Trail Runner", "Leather Boot", "Canvas Sneaker", "House Slipper", "Sandal", "Dress Shoe"],
    "bags": ["Backpack", "Tote Bag", "Duffel Bag", "Laptop Sleeve", "Crossbody Bag", "Wallet"],
    "watches & jewellery": ["Field Watch", "Silver Necklace", "Gold Earrings", "Smart Band", "Charm Bracelet", "Signet Ring"],
    "electronics": ["Wireless Earbuds", "Bluetooth Speaker", "Phone Charger", "USB-C Hub", "Action Camera", "E-Reader"],
    "home": ["Throw Blanket", "Table Lamp", "Scented Candle", "Wall Clock", "Cushion Cover", "Picture Frame"],
    "kitchen": ["Chef Knife", "Coffee Grinder", "Water Bottle", "Cast Iron Pan", "Tea Kettle", "Salad Bowl"],
    "toys": ["Wooden Blocks", "Puzzle 1000", "Plush Bear", "Kite", "Toy Train", "Board Game"],
    "beauty": ["Face Serum", "Lip Balm", "Shampoo Bar", "Hand Cream", "Perfume", "Hair Brush"],
    "sports": ["Yoga Mat", "Dumbbell Set", "Tennis Racket", "Cycling Gloves", "Jump Rope", "Football"],
}
PRICE_RANGE = {
    "apparel": (25, 120), "shoes": (35, 160), "bags": (20, 140), "watches & jewellery": (40, 300),
    "electronics": (15, 250), "home": (12, 90), "kitchen": (10, 130), "toys": (8, 60), "beauty": (6, 70),
    "sports": (10, 150),
}
COUNTRIES = (["US", "GB", "DE", "FR", "CA", "AU", "NL"], [0.55, 0.15, 0.1, 0.08, 0.06, 0.04, 0.02])
RARE_COUNTRIES = ["NG", "RU", "VN", "BR", "ID"]
CHANNELS = (["web", "app", "marketplace"], [0.66, 0.27, 0.07])
ASPECTS = ["shipping", "quality", "size/fit", "price", "service"]


@dataclass
class DemoStore:
    orders: pd.DataFrame
    products: pd.DataFrame
    reviews: pd.DataFrame
    traffic: pd.DataFrame
    experiment: pd.DataFrame
    truth: dict = field(default_factory=dict)
    seed: int = 42


# The default store ships prebuilt in data/demo (Parquet + JSON) so the home page opens in well
# under a second; tests/test_demo.py checks the files still equal what the generator makes.
# Bump DEMO_VERSION whenever the generator changes, then run `python -m ecom_models.demo.store`.
DEMO_VERSION = 2
DEMO_DIR = paths.DEMO_DIR
_TABLES = ("orders", "products", "reviews", "traffic", "experiment")


@lru_cache(maxsize=2)
def demo_store(seed: int = 42) -> DemoStore:
    """The demo store for a seed: loaded from data/demo when prebuilt, else generated. Memoised."""
    stored = _load_prebuilt(seed)
    return stored if stored is not None else build_demo_store(seed)


def _load_prebuilt(seed: int) -> DemoStore | None:
    meta_path = DEMO_DIR / "truth.json"
    if not meta_path.exists():
        return None
    meta = json.loads(meta_path.read_text())
    if meta.get("seed") != seed or meta.get("version") != DEMO_VERSION:
        return None
    tables = {name: pd.read_parquet(DEMO_DIR / f"{name}.parquet") for name in _TABLES}
    tables["products"]["partners"] = tables["products"]["partners"].map(list)
    return DemoStore(**tables, truth=meta["truth"], seed=seed)


def write_prebuilt(seed: int = 42) -> None:
    store = build_demo_store(seed)
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    for name in _TABLES:
        getattr(store, name).to_parquet(DEMO_DIR / f"{name}.parquet", index=False, compression="zstd")
    (DEMO_DIR / "truth.json").write_text(json.dumps({"seed": seed, "version": DEMO_VERSION, "truth": store.truth}, indent=1))


def build_demo_store(seed: int = 42) -> DemoStore:
    """Generate the demo store (a few seconds). Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    products = _products(rng)
    days = pd.date_range(END_DATE - pd.Timedelta(days=DAYS - 1), END_DATE, freq="D")
    drivers = _daily_drivers(days, rng)
    orders, fraud_ids = _orders(products, drivers, rng)
    traffic = _traffic(orders, drivers, rng)
    reviews = _reviews(orders, products, rng)
    experiment = _experiment(rng)
    truth = {
        "price_elasticity": PRICE_ELASTICITY,
        "price_changes": [{"date": d, "pct": p} for d, p in PRICE_CHANGES],
        "promo_lift": PROMO_LIFT,
        "promo_discount": PROMO_DISCOUNT,
        "promo_periods": [
            {"start": s, "end": str((pd.Timestamp(s) + pd.Timedelta(days=n - 1)).date())} for s, n in PROMO_STARTS
        ],
        "fraud_order_ids": fraud_ids,
        "broken_days": BROKEN_DAYS,
        "closed_days": ["12-25"],
        "ab_control_rate": AB_CONTROL_RATE,
        "ab_true_rel_lift": AB_REL_LIFT,
        "aspects": ASPECTS,
        "ad_spend_effect": 0.0,
        "currency": CURRENCY,
        "lapsing_customers": orders.attrs.pop("lapsing_customers", []),
    }
    return DemoStore(orders=orders, products=products, reviews=reviews, traffic=traffic,
                     experiment=experiment, truth=truth, seed=seed)


def _products(rng) -> pd.DataFrame:
    rows = []
    for c_index, (category, names) in enumerate(CATALOG.items()):
        low, high = PRICE_RANGE[category]
        for p_index, name in enumerate(names):
            price = float(np.round(np.exp(rng.uniform(np.log(low), np.log(high))), 0) - 0.01)
            rows.append({"product_id": f"SKU-{c_index + 1:02d}{p_index + 1:02d}", "product_name": name,
                         "category": category, "list_price": price})
    products = pd.DataFrame(rows)
    # Popularity follows a power law; cheap items sell more often.
    popularity = rng.pareto(1.2, len(products)) + 0.3
    products["popularity"] = popularity / popularity.sum()
    # Each product has two partners bought with it: one in its category, one elsewhere.
    n = len(products)
    partners = []
    for i in range(n):
        same = [j for j in range(n) if products.category[j] == products.category[i] and j != i]
        other = [j for j in range(n) if products.category[j] != products.category[i]]
        partners.append([int(rng.choice(same)), int(rng.choice(other))])
    products["partners"] = partners
    return products


def _daily_drivers(days: pd.DatetimeIndex, rng) -> pd.DataFrame:
    d = pd.DataFrame({"date": days})
    t = np.arange(len(days))
    weekday = np.array([0.95, 0.92, 0.95, 1.0, 1.08, 1.12, 1.0])[days.day_of_week]
    doy = days.day_of_year.to_numpy()
    yearly = 1 + 0.12 * np.sin(2 * np.pi * (doy - 100) / 365.25) + 0.35 * np.exp(-((doy - 345) / 18.0) ** 2)
    trend = 1 + 0.25 * t / len(days)
    holiday = np.ones(len(days))
    for year in sorted(set(days.year)):
        thanksgiving = pd.Timestamp(year, 11, 1) + pd.offsets.WeekOfMonth(week=3, weekday=3)
        for day, factor in [(thanksgiving + pd.Timedelta(days=1), 2.2), (thanksgiving + pd.Timedelta(days=4), 1.8),
                            (pd.Timestamp(year, 12, 24), 0.5), (pd.Timestamp(year, 12, 25), 0.0),
                            (pd.Timestamp(year, 12, 26), 1.3), (pd.Timestamp(year, 1, 1), 0.6)]:
            holiday[days == day] = factor
    price_mult = np.ones(len(days))
    for date, change in PRICE_CHANGES:
        price_mult[days >= pd.Timestamp(date)] *= 1 + change
    promo = np.zeros(len(days), dtype=int)
    for start, n in PROMO_STARTS:
        s = pd.Timestamp(start)
        promo[(days >= s) & (days < s + pd.Timedelta(days=n))] = 1
    broken = days.isin(pd.to_datetime(BROKEN_DAYS))
    spend = 400 * np.exp(np.cumsum(rng.normal(0, 0.05, len(days))) * 0.3) * (1 + 0.8 * promo)
    d["weekday"], d["yearly"], d["trend"], d["holiday"] = weekday, yearly, trend, holiday
    d["price_mult"], d["promo"], d["broken"], d["ad_spend"] = price_mult, promo, broken, np.round(spend, 2)
    d["demand"] = (weekday * yearly * trend * holiday * price_mult ** PRICE_ELASTICITY * (1 + PROMO_LIFT * promo))
    return d


def _orders(products: pd.DataFrame, drivers: pd.DataFrame, rng) -> tuple[pd.DataFrame, list[str]]:
    base_orders_per_day = 95
    lam = base_orders_per_day * drivers["demand"].to_numpy() * np.where(drivers["broken"], 0.22, 1.0)
    n_per_day = rng.poisson(lam)
    n_orders = int(n_per_day.sum())
    day_index = np.repeat(np.arange(len(drivers)), n_per_day)
    hours = rng.choice(24, n_orders, p=_hour_profile())
    order_time = (drivers["date"].to_numpy()[day_index]
                  + pd.to_timedelta(hours, unit="h").to_numpy()
                  + pd.to_timedelta(rng.integers(0, 3600, n_orders), unit="s").to_numpy())
    order_ids = np.array([f"{100000 + i}" for i in range(n_orders)])

    # Customers: 40% of orders come from returning customers (more likely recent ones).
    is_new = rng.random(n_orders) < 0.6
    is_new[0] = True
    new_count = np.cumsum(is_new)
    pick = np.floor(new_count * (1 - rng.random(n_orders) ** 2)).astype(int)
    customer_number = np.where(is_new, new_count - 1, np.minimum(pick, new_count - 1))
    customer = np.array([f"CUST-{c:06d}" for c in customer_number], dtype=object)
    guest = rng.random(n_orders) < 0.07
    customer[guest] = None
    home_country = rng.choice(COUNTRIES[0], int(new_count[-1]) + 1, p=COUNTRIES[1])
    country = home_country[customer_number]
    lapsing = _plant_lapsing(customer, country, is_new | guest, drivers["date"].to_numpy()[day_index])
    channel = rng.choice(CHANNELS[0], n_orders, p=CHANNELS[1])

    # Lines: the first product by popularity, then partners ("bought together") or random picks.
    n_lines = 1 + rng.binomial(3, 0.28, n_orders)
    order_of_line = np.repeat(np.arange(n_orders), n_lines)
    line_number = np.concatenate([np.arange(k) for k in n_lines])
    first = rng.choice(len(products), n_orders, p=products["popularity"].to_numpy())
    partners = np.array(products["partners"].tolist())
    partner_choice = partners[first[order_of_line], rng.integers(0, 2, len(order_of_line))]
    random_pick = rng.choice(len(products), len(order_of_line), p=products["popularity"].to_numpy())
    use_partner = rng.random(len(order_of_line)) < 0.7
    product_index = np.where(line_number == 0, first[order_of_line], np.where(use_partner, partner_choice, random_pick))
    lines = pd.DataFrame({"o": order_of_line, "p": product_index}).drop_duplicates()
    o, p = lines["o"].to_numpy(), lines["p"].to_numpy()

    quantity = 1 + rng.binomial(2, 0.12, len(o))
    d_idx = day_index[o]
    unit_price = np.round(products["list_price"].to_numpy()[p] * drivers["price_mult"].to_numpy()[d_idx], 2)
    promo_day = drivers["promo"].to_numpy()[d_idx] == 1
    discount = np.round(np.where(promo_day, unit_price * quantity * PROMO_DISCOUNT, 0.0), 2)
    orders = pd.DataFrame({
        "order_id": order_ids[o],
        "order_date": order_time[o],
        "customer_id": pd.array(customer[o], dtype="str"),
        "product_id": products["product_id"].to_numpy()[p],
        "product_name": products["product_name"].to_numpy()[p],
        "category": products["category"].to_numpy()[p],
        "quantity": quantity.astype(float),
        "unit_price": unit_price,
        "revenue": np.round(unit_price * quantity - discount, 2),
        "discount": discount,
        "currency": CURRENCY,
        "country": country[o],
        "channel": channel[o],
        "status": "completed",
    })

    fraud = _fraud_orders(products, drivers, rng, start_id=100000 + n_orders)
    fraud_ids = sorted(fraud["order_id"].unique().tolist())
    orders = pd.concat([orders, fraud], ignore_index=True)
    orders = _add_cancellations_returns_postage(orders, rng)
    orders["line_type"] = orders.pop("_line_type").astype("str")
    orders["category"] = orders["category"].astype("str")
    orders["is_duplicate"] = False
    orders = orders.sort_values(["order_date", "order_id"], kind="stable").reset_index(drop=True)
    orders.attrs["lapsing_customers"] = lapsing
    return orders, fraud_ids


LAPSING_CUSTOMERS = 40
LAPSED_DAYS = 150  # the planted regulars' last order is at least this long before END_DATE


def _plant_lapsing(customer: np.ndarray, country: np.ndarray, taken: np.ndarray, order_day: np.ndarray) -> list[str]:
    """Hand some returning orders of the year before the lapse to 40 new regulars (ids, orders,
    revenue and dates of the store unchanged; only who placed them), every two to four weeks.
    Its own random stream: the rest of the store is drawn exactly as before."""
    rng = np.random.default_rng(20261031)
    stop = np.datetime64(END_DATE - pd.Timedelta(days=LAPSED_DAYS))
    start = stop - np.timedelta64(365, "D")
    free = np.flatnonzero(~taken & (order_day >= start) & (order_day <= stop))
    free_days = order_day[free]
    used = np.zeros(len(free), dtype=bool)
    ids = []
    for k in range(LAPSING_CUSTOMERS):
        cid = f"CUST-9{k:05d}"
        when = start + np.timedelta64(int(rng.integers(0, 20)), "D")
        home = None
        while when <= stop:
            pos = np.searchsorted(free_days, when)
            while pos < len(free) and used[pos]:
                pos += 1
            if pos >= len(free) or free_days[pos] > stop:
                break
            used[pos] = True
            customer[free[pos]] = cid
            home = country[free[pos]] if home is None else home
            country[free[pos]] = home
            when = free_days[pos] + np.timedelta64(int(rng.integers(14, 29)), "D")
        ids.append(cid)
    return ids


def _hour_profile() -> np.ndarray:
    hours = np.arange(24)
    profile = 0.15 + np.exp(-((hours - 13) / 4.5) ** 2) + 0.8 * np.exp(-((hours - 20.5) / 2.0) ** 2)
    return profile / profile.sum()


def _fraud_orders(products, drivers, rng, start_id: int) -> pd.DataFrame:
    """Planted fraud: each pattern combines a few signals, none of them alone decisive."""
    rows = []
    next_id = start_id
    dates = drivers["date"].to_numpy()[30:]
    expensive = products.sort_values("list_price", ascending=False).head(15)
    price_mult = dict(zip(drivers["date"], drivers["price_mult"]))

    def add(order_time, customer, country, items):
        nonlocal next_id
        oid = f"{next_id}"
        next_id += 1
        for product, qty, unit_price in items:
            rows.append({"order_id": oid, "order_date": order_time, "customer_id": customer,
                         "product_id": product.product_id, "product_name": product.product_name,
                         "category": product.category, "quantity": float(qty), "unit_price": round(unit_price, 2),
                         "revenue": round(unit_price * qty, 2), "discount": 0.0, "currency": CURRENCY,
                         "country": country, "channel": "web", "status": "completed"})

    def list_price(product, day):
        return product.list_price * price_mult[pd.Timestamp(day).normalize()]

    # 1) pricing-error abuse at night: a product at ~85% below its usual price, bought in bulk.
    for k in range(20):
        day = pd.Timestamp(rng.choice(dates)) + pd.Timedelta(hours=int(rng.integers(1, 5)), minutes=int(rng.integers(0, 60)))
        product = products.iloc[int(rng.integers(len(products)))]
        price = list_price(product, day) * rng.uniform(0.1, 0.2)
        add(day, f"FR-{k:04d}", str(rng.choice(COUNTRIES[0][:3])), [(product, int(rng.integers(8, 30)), price)])
    # 2) card testing: a new customer, several high-value orders within an hour, rare country.
    for k in range(12):
        day = pd.Timestamp(rng.choice(dates)) + pd.Timedelta(hours=int(rng.integers(0, 24)))
        country = str(rng.choice(RARE_COUNTRIES))
        for j in range(int(rng.integers(3, 6))):
            t = day + pd.Timedelta(minutes=int(8 * j + rng.integers(0, 6)))
            items = [(row, int(rng.integers(1, 3)), list_price(row, t))
                     for row in expensive.sample(int(rng.integers(1, 3)), random_state=int(rng.integers(1e9))).itertuples()]
            add(t, f"CT-{k:04d}", country, items)
    # 3) bulk resale: a new customer buying 15-40 units of expensive items.
    for k in range(14):
        day = pd.Timestamp(rng.choice(dates)) + pd.Timedelta(hours=int(rng.integers(0, 24)))
        product = expensive.iloc[int(rng.integers(len(expensive)))]
        add(day, None if k % 4 == 0 else f"BK-{k:04d}", str(rng.choice(RARE_COUNTRIES + ["US"])),
            [(product, int(rng.integers(15, 40)), list_price(product, day))])
    frame = pd.DataFrame(rows)
    frame["category"] = frame["category"].astype("str")
    frame["customer_id"] = pd.array(frame["customer_id"].tolist(), dtype="str")
    return frame


def _add_cancellations_returns_postage(orders: pd.DataFrame, rng) -> pd.DataFrame:
    orders["_line_type"] = "sale"
    order_ids = orders["order_id"].unique()
    cancelled = set(rng.choice(order_ids, int(len(order_ids) * 0.02), replace=False))
    cancel_lines = orders[orders["order_id"].isin(cancelled)].copy()
    cancel_lines["order_id"] = "C" + cancel_lines["order_id"]
    cancel_lines["order_date"] = cancel_lines["order_date"] + pd.to_timedelta(rng.integers(10, 600, len(cancel_lines)), unit="m")
    cancel_lines["status"] = "cancelled"
    cancel_lines["_line_type"] = "cancellation"

    return_rate = np.where(orders["category"].isin(["apparel", "shoes"]), 0.09, 0.025)
    returned = orders[(rng.random(len(orders)) < return_rate) & ~orders["order_id"].isin(cancelled)].copy()
    returned["order_date"] = returned["order_date"] + pd.to_timedelta(rng.integers(5, 30, len(returned)), unit="D")
    returned["status"] = "refunded"
    returned["_line_type"] = "return"

    for frame in (cancel_lines, returned):
        frame["quantity"] = -frame["quantity"]
        frame["revenue"] = -frame["revenue"]
        frame["discount"] = 0.0

    # Postage on 30% of orders: a non-product line, as invoice exports have.
    first_lines = orders.drop_duplicates("order_id")
    postage = first_lines.sample(frac=0.3, random_state=int(rng.integers(1e9))).copy()
    postage["product_id"], postage["product_name"], postage["category"] = "POST", "Postage", pd.NA
    postage["quantity"], postage["unit_price"] = 1.0, 4.95
    postage["revenue"], postage["discount"], postage["_line_type"] = 4.95, 0.0, "non_product"
    return pd.concat([orders, cancel_lines, returned, postage], ignore_index=True)


def _traffic(orders: pd.DataFrame, drivers: pd.DataFrame, rng) -> pd.DataFrame:
    sales = orders[orders["line_type"] == "sale"]
    daily_orders = sales.groupby(sales["order_date"].dt.normalize())["order_id"].nunique()
    daily_orders = daily_orders.reindex(drivers["date"], fill_value=0).to_numpy()
    # Sessions follow demand, not orders: on broken days visitors came but could not buy.
    expected_orders = 95 * drivers["demand"].to_numpy()
    conversion = 0.024 * np.exp(rng.normal(0, 0.05, len(drivers)))
    sessions = np.round(np.maximum(expected_orders, 1) / conversion).astype(int)
    sessions[drivers["holiday"].to_numpy() == 0] = np.round(sessions.mean() * 0.1).astype(int)
    return pd.DataFrame({"date": drivers["date"], "sessions": sessions, "ad_spend": drivers["ad_spend"],
                         "promo": drivers["promo"].astype(int), "orders": daily_orders})


_POSITIVE = {
    "shipping": ["It arrived two days early and well packed.", "Delivery was fast and the box was in perfect shape.",
                 "Shipping was quick, tracking worked the whole way.", "Got here sooner than promised."],
    "quality": ["The quality is excellent, it feels solid and well made.", "Great materials, clearly built to last.",
                "Really well made, the stitching is flawless.", "Sturdy and beautifully finished."],
    "size/fit": ["Fits perfectly, true to size.", "The size chart was spot on and it fits great.",
                 "Perfect fit, I ordered my usual size."],
    "price": ["Great value for the money.", "Worth every penny at this price.", "Cheaper than in the shops and just as good."],
    "service": ["Customer service answered within an hour and was very helpful.", "Support was friendly and sorted my question quickly.",
                "The team was lovely when I had a question."],
}
_NEGATIVE = {
    "shipping": ["It arrived a week late and the box was crushed.", "Delivery took forever and tracking never updated.",
                 "The parcel was left in the rain and arrived damaged.", "Shipping was slow, almost three weeks."],
    "quality": ["It broke after two days of use.", "Cheap materials, the seams are already coming apart.",
                "Poor quality, it scratched the first time I used it.", "Stopped working within a week.",
                "The bottle leaks no matter how tight I close it."],
    "size/fit": ["Runs very small, I had to send it back.", "The sizing is way off, far too tight.",
                 "Too big even in the smallest size.", "Does not fit as described, the sleeves are too short."],
    "price": ["Overpriced for what you get.", "Far too expensive for this quality.", "Not worth the money at all."],
    "service": ["Customer service never answered my emails.", "Support was rude and unhelpful.",
                "I waited two weeks for a reply about my refund."],
}
_NEUTRAL = ["It does what it says.", "Okay for the price, nothing special.", "Average product, as expected.",
            "It is fine, neither good nor bad."]
_GENERAL_POS = ["Love it!", "Highly recommend.", "Would buy again.", "Very happy with this purchase."]
_GENERAL_NEG = ["Very disappointed.", "Would not recommend.", "I want my money back.", "Never again."]


def _reviews(orders: pd.DataFrame, products: pd.DataFrame, rng) -> pd.DataFrame:
    sales = orders[(orders["line_type"] == "sale") & orders["customer_id"].notna()
                   & ~orders["customer_id"].str.match(r"^(FR|CT|BK)-", na=False)]
    sample = sales.sample(n=min(4000, len(sales)), random_state=int(rng.integers(1e9))).sort_values("order_date")
    # Each product has a weak aspect; apparel and shoes also suffer on size/fit.
    weak = {pid: ASPECTS[int(rng.integers(len(ASPECTS)))] for pid in products["product_id"]}
    badness = dict(zip(products["product_id"], rng.beta(2, 6, len(products))))
    records = []
    for i, row in enumerate(sample.itertuples(index=False)):
        bad_rate = badness[row.product_id]
        complaints = [a for a in ASPECTS if rng.random() < (0.12 * bad_rate + 0.01
                      + (0.9 * bad_rate if a == weak[row.product_id] else 0)
                      + (0.10 if a == "size/fit" and row.category in ("apparel", "shoes") else 0))]
        complaints = [a for a in complaints if a != "size/fit" or row.category in ("apparel", "shoes")]
        praise_pool = [a for a in ASPECTS if a not in complaints and (a != "size/fit" or row.category in ("apparel", "shoes"))]
        praises = list(rng.choice(praise_pool, size=min(len(praise_pool), int(rng.choice(3, p=[0.12, 0.5, 0.38]))), replace=False))
        if not complaints and not praises:
            rating, sentences = 3, [str(rng.choice(_NEUTRAL))]
        elif not complaints:
            rating = int(rng.choice([4, 5], p=[0.35, 0.65]))
            sentences = [str(rng.choice(_POSITIVE[a])) for a in praises] + [str(rng.choice(_GENERAL_POS))]
        else:
            rating = 1 if len(complaints) >= 2 else int(rng.choice([1, 2, 3], p=[0.3, 0.5, 0.2]))
            sentences = [str(rng.choice(_NEGATIVE[a])) for a in complaints]
            if praises and rating >= 2:
                sentences.insert(0, str(rng.choice(_POSITIVE[praises[0]])))
            if rng.random() < 0.5:
                sentences.append(str(rng.choice(_GENERAL_NEG)))
        if rng.random() < 0.02:  # stars that contradict the text: someone clicked the wrong star
            rating = 6 - rating
        title = {1: "Terrible", 2: "Disappointing", 3: "It's okay", 4: "Good", 5: "Excellent"}[rating]
        records.append({
            "review_id": f"R{i + 1:05d}", "product_id": row.product_id,
            "date": (row.order_date + pd.Timedelta(days=int(rng.integers(3, 25)))).normalize(),
            "rating": rating, "title": title, "text": " ".join(sentences), "customer_id": row.customer_id,
            "true_complaints": ",".join(complaints),
        })
    return pd.DataFrame(records)


def _experiment(rng) -> pd.DataFrame:
    n = 24000
    variant = np.where(rng.random(n) < 0.5, "control", "treatment")
    device = rng.choice(["mobile", "desktop", "tablet"], n, p=[0.6, 0.32, 0.08])
    propensity = rng.gamma(2.0, 0.5, n)  # some users simply buy more: shows in pre-period and test
    rate = AB_CONTROL_RATE * propensity * np.where(variant == "treatment", 1 + AB_REL_LIFT, 1.0)
    converted = (rng.random(n) < np.clip(rate, 0, 1)).astype(int)
    revenue = np.round(converted * rng.lognormal(np.log(55), 0.6, n), 2)
    pre_revenue = np.round((rng.random(n) < AB_CONTROL_RATE * propensity) * rng.lognormal(np.log(55), 0.6, n)
                           + propensity * 4 + rng.normal(0, 1, n).clip(-2, 2), 2).clip(0)
    exposure = pd.Timestamp("2026-09-20") + pd.to_timedelta(rng.integers(0, 21, n), unit="D")
    return pd.DataFrame({"user_id": [f"U{i:06d}" for i in range(n)], "variant": variant, "converted": converted,
                         "revenue": revenue, "pre_revenue": pre_revenue, "device": device, "exposure_date": exposure})


if __name__ == "__main__":
    write_prebuilt()
    print(f"wrote {DEMO_DIR}")
