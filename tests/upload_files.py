"""Files a merchant would drop on the app's uploaders, for the real-browser upload tests
(tests/test_browser_uploads.py): real product photos from ../shared where they exist, otherwise
realistic exports built with the columns and quirks of the real thing, each with a result known
in advance so a test can check the page shows it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

SHARED_PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "product_photos"


def photo_zip(path: Path) -> dict[str, str]:
    """A zip of 300 real product photos, as a merchant exports a catalog: all 114 fashion studio
    photos (up to 1200 px), 120 in-store grocery photos (348 px) and 56 catalog thumbnails
    (60 x 80), plus 10 real near-copies (6 fashion, 4 grocery): an existing photo re-saved at
    60% of its size and JPEG quality 70, under another product's name, as happens when a
    listing is copied. Returns {copy's file name in the zip: its original's}.

    Measured: the page's duplicate check finds exactly these 10 pairs among the 300 (the real
    photos hold no other copies); the analysis takes about 8 s on a 2-core machine."""
    from PIL import Image

    fashion = sorted((SHARED_PHOTOS / "fashion").glob("*/*.jpg"))
    grocery = sorted((SHARED_PHOTOS / "grocery").glob("*/*.jpg"))[::5][:120]
    thumbs = sorted((SHARED_PHOTOS / "more_thumbs").glob("*/*.jpg"))[::10][:56]
    planted: dict[str, str] = {}
    # stored, not deflated: JPEGs do not compress, and a real export zip usually stores them
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for photo in fashion + grocery + thumbs:
            archive.writestr(f"catalog/{photo.parent.name}-{photo.stem}.jpg", photo.read_bytes())
        for k, photo in enumerate(fashion[::19][:6] + grocery[::30][:4]):
            img = Image.open(photo).convert("RGB")
            img = img.resize((round(img.width * 0.6), round(img.height * 0.6)), Image.Resampling.LANCZOS)
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=70)
            name = f"catalog/relisted-{k:02d}.jpg"
            archive.writestr(name, buf.getvalue())
            planted[name] = f"catalog/{photo.parent.name}-{photo.stem}.jpg"
    return planted


def fashion_photos_and_products(folder: Path, every: int = 2) -> tuple[list[Path], Path, dict[str, str]]:
    """Every `every`-th real fashion photo, named after its product id (the catalog's article
    number), and a products file (product_id, product_name, category) for them, as a shop
    system exports it. Returns (photo paths, products file, {product id: category})."""
    import csv

    folder.mkdir(parents=True, exist_ok=True)
    rows = list(csv.DictReader((SHARED_PHOTOS / "fashion" / "labels.csv").open(encoding="utf-8")))[::every]
    photos, categories = [], {}
    for row in rows:
        product_id = "ART-" + Path(row["file"]).stem
        target = folder / f"{product_id}.jpg"
        target.write_bytes((SHARED_PHOTOS / "fashion" / row["file"]).read_bytes())
        photos.append(target)
        categories[product_id] = row["category"]
    products = folder.parent / "products.csv"
    pd.DataFrame({"product_id": list(categories), "product_name": [r["product_name"] for r in rows],
                  "category": list(categories.values())}).to_csv(products, index=False)
    return photos, products, categories


def experiment_csv(path: Path, n: int = 12_000, seed: int = 11) -> dict:
    """A landing-page test exported per visitor (the columns of the public Udacity file:
    user_id, timestamp, group, landing_page, converted): control converts at 10%, the new page
    at 12%, so the new page clearly wins. Returns the counts per group."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["control", "treatment"], n)
    converted = (rng.random(n) < np.where(group == "treatment", 0.12, 0.10)).astype(int)
    stamps = pd.Timestamp("2026-03-02") + pd.to_timedelta(rng.integers(0, 21 * 86400, n), unit="s")
    df = pd.DataFrame({"user_id": rng.choice(np.arange(600_000, 900_000), n, replace=False),
                       "timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S.%f"), "group": group,
                       "landing_page": np.where(group == "control", "old_page", "new_page"),
                       "converted": converted})
    df.to_csv(path, index=False)
    return {g: int((group == g).sum()) for g in ("control", "treatment")}


def interactions_csv(path: Path, users: int = 500, items: int = 160, seed: int = 5) -> int:
    """A product-rating export (customer_id, sku, rating, date): each customer rates products
    of two or three favourite ranges, so a model has a taste to learn beyond popularity.
    Returns the number of rows."""
    rng = np.random.default_rng(seed)
    ranges = 8
    item_range = rng.integers(0, ranges, items)
    popularity = rng.pareto(1.5, items) + 0.1
    rows = []
    for u in range(users):
        liked = rng.choice(ranges, rng.integers(2, 4), replace=False)
        weight = popularity * np.where(np.isin(item_range, liked), 12.0, 1.0)
        picked = rng.choice(items, int(rng.integers(6, 25)), replace=False, p=weight / weight.sum())
        for i in picked:
            rows.append((f"CUST-{u:04d}", f"SKU-{i:03d}", int(rng.integers(3, 6) if item_range[i] in liked else
                                                               rng.integers(1, 4)),
                         (pd.Timestamp("2026-01-01") + pd.Timedelta(hours=int(rng.integers(0, 24 * 180)))).date()))
    pd.DataFrame(rows, columns=["customer_id", "sku", "rating", "date"]).to_csv(path, index=False)
    return len(rows)


# The demo store's intents (ecom_models.demo.support), asked in a merchant's own FAQ wording:
# none of these questions is copied from the demo tickets' templates.
FAQ = {
    "WISMO": ("Where is my parcel?", "How can I follow my delivery?", "My order has not arrived yet, where is it?",
              "Track your parcel with the link in your shipping e-mail; deliveries take 2-4 working days."),
    "RETURNS": ("How do I send an item back?", "Can I exchange shoes for another size?", "What is your returns policy?",
                "Returns are free within 30 days: print the label from your account and drop the parcel off."),
    "REFUND-STATUS": ("When will I get my money back?", "My refund has not arrived.", "How long does a refund take?",
                      "Refunds reach your account 3-5 working days after we receive the return."),
    "CANCEL": ("Can I cancel my order?", "How do I cancel an order I just placed?", "I ordered by mistake, cancel it please.",
               "Orders can be cancelled from your account until they are packed, usually within 2 hours."),
    "PASSWORD": ("I forgot my password.", "How do I reset my password?", "I cannot log in to my account.",
                 "Use 'Forgot password' on the sign-in page; the reset link is valid for one hour."),
    "INVOICE": ("Where can I download my invoice?", "I need a VAT invoice for my order.", "Can you send me the receipt?",
                "Invoices are in your account under Orders; each one has a PDF download."),
}


def faq_csv(path: Path) -> int:
    """The merchant's FAQ: faq_id, question, answer, three phrasings per entry. Returns the entries."""
    rows = [(fid, q, entry[-1]) for fid, entry in FAQ.items() for q in entry[:-1]]
    pd.DataFrame(rows, columns=["faq_id", "question", "answer"]).to_csv(path, index=False)
    return len(FAQ)


def labelled_tickets_csv(path: Path, per_intent: int = 10, seed: int = 3) -> tuple[int, int]:
    """Tickets a support agent labelled by hand (text, intent), about ten per intent, picked from
    the demo store's own tickets (whose true intents are known), with the agent's intent names.
    Returns (rows, intents)."""
    from ecom_models.demo.support import demo_support

    demo = demo_support()
    tickets = pd.DataFrame({"text": demo.tickets["text"], "intent": demo.truth["labels"]})
    picked = tickets.groupby("intent", group_keys=False).sample(n=per_intent, random_state=seed)
    picked["intent"] = picked["intent"].str.replace("_", " ").str.capitalize()  # "Track order", as an agent names it
    picked.sample(frac=1, random_state=seed).to_csv(path, index=False)
    return len(picked), picked["intent"].nunique()


def orders_csv(path: Path, rows: int = 3_000) -> None:
    """An invoice-style orders export (bench/invoices.py: the shape of the public Online Retail file)."""
    from bench.invoices import write_invoices

    write_invoices(str(path), rows=rows)


def reviews_csv(path: Path) -> int:
    """Product reviews with star ratings (review_id, product_id, review_date, stars, review_text)."""
    rng = np.random.default_rng(9)
    good = ["Lovely quality, fits perfectly.", "Fast delivery and exactly as pictured.", "Great value, would buy again."]
    bad = ["The seam came apart after one wash.", "Arrived late and the box was damaged.", "Much smaller than described."]
    rows = []
    for k in range(120):
        stars = int(rng.choice([1, 2, 3, 4, 5], p=[0.1, 0.1, 0.15, 0.3, 0.35]))
        text = (good if stars >= 4 else bad)[int(rng.integers(0, 3))]
        rows.append((f"R{k:04d}", f"SKU-{int(rng.integers(0, 40)):03d}",
                     (pd.Timestamp("2026-02-01") + pd.Timedelta(days=int(rng.integers(0, 120)))).date(), stars, text))
    pd.DataFrame(rows, columns=["review_id", "product_id", "review_date", "stars", "review_text"]).to_csv(path, index=False)
    return len(rows)


def workspace_file(path: Path, folder: Path) -> str:
    """A workspace exported from another machine (Data page > Workspace > Export): a store's
    orders saved in it. Returns the saved dataset's name."""
    from ecom_models import intake
    from ecom_models.intake import save_result
    from ecom_models.workspace import Workspace

    folder.mkdir(parents=True, exist_ok=True)
    orders = folder / "branch_orders.csv"
    orders_csv(orders, rows=1_500)
    ws = Workspace("branch-shop", folder)
    save_result(ws, intake.ingest(str(orders)), "Branch shop orders", source_file="branch_orders.csv")
    path.write_bytes(ws.export_bytes())
    ws.close()
    return "Branch shop orders"


def png_bytes() -> bytes:
    """A real (small) product photo as PNG: the wrong kind of file for every table uploader."""
    from PIL import Image

    buf = io.BytesIO()
    Image.open(min((SHARED_PHOTOS / "fashion" / "bags").glob("*.jpg"))).convert("RGB").save(buf, "PNG")
    return buf.getvalue()
