"""Bench the review-sentiment model: throughput on short reviews (English and Chinese), model size, memory,
full analysis time.

    .venv/bin/python bench/reviews.py [--n 1500] [--full]

Short reviews: distinct sentences of up to 30 words (the UCI labelled sentences, plus the shop sentences),
so no repeat is encoded only once. Timing includes tokenisation, length-sorted batching, the ONNX
encoder, VADER (an input of the head) and the head. Chinese: distinct reviews of at most 40 characters
from ../shared/data/chinese_reviews/waimai_10k.csv (measure only; the hand-written fixture when absent),
through the multilingual encoder (normalisation, tokenisation, ONNX) and the multilingual head. --full also times the whole analysis of the demo store's reviews (aspects and
fine-tuning included).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from ecom_models import reviews as S  # noqa: E402
from ecom_models.text import minilm  # noqa: E402
from ecom_models.text import encoders as te  # noqa: E402

DATA = Path("/work/shared/data/sentiment_labelled_sentences")
WAIMAI = ROOT.parent / "shared" / "data" / "chinese_reviews" / "waimai_10k.csv"


def short_chinese_reviews(n: int) -> list[str]:
    import pandas as pd

    if WAIMAI.exists():
        texts = pd.read_csv(WAIMAI)["review"].dropna().astype(str).tolist()
    else:
        fx = pd.read_csv(ROOT / "tests" / "fixtures" / "multilingual_reviews.csv")
        texts = fx.loc[fx["language"] == "zh", "text"].tolist()
    return list(dict.fromkeys(t for t in texts if 0 < len(t) <= 40))[:n]


def short_reviews(n: int) -> list[str]:
    texts = []
    for name in ("yelp_labelled.txt", "imdb_labelled.txt"):
        path = DATA / name
        if path.exists():
            texts += [line.rsplit("\t", 1)[0].strip() for line in path.read_text(encoding="utf-8").split("\n") if "\t" in line]
    shop = minilm.MODEL_DIR / "product_sentences.tsv"
    texts += [line.rsplit("\t", 1)[0] for line in shop.read_text(encoding="utf-8").split("\n") if "\t" in line and not line.startswith("#")]
    texts = list(dict.fromkeys(t for t in texts if 0 < len(t.split()) <= 30))
    return texts[:n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1500)
    parser.add_argument("--full", action="store_true", help="also time the full analysis of the demo reviews")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f} (other work on the machine slows this down)")
    size = sum(p.stat().st_size for p in minilm.MODEL_DIR.iterdir() if p.is_file())
    size_ml = sum(p.stat().st_size for p in te.E5_DIR.iterdir() if p.is_file())
    print(f"model files: data/models/minilm {size / 1e6:.1f} MB + data/models/multilingual_e5 {size_ml / 1e6:.1f} MB "
          f"= {(size + size_ml) / 1e6:.1f} MB (limit 150 MB)")

    t0 = time.perf_counter()
    enc = minilm.get_encoder()
    head = S.get_bundled_head()
    print(f"model load: {time.perf_counter() - t0:.2f} s")
    texts = short_reviews(args.n)
    words = np.mean([len(t.split()) for t in texts])
    enc.encode(texts[:64])  # warm-up
    for batch in (32, 64, 128):
        t0, c0 = time.perf_counter(), time.process_time()
        emb, _ = enc.encode(texts, batch_size=batch)
        head.predict_score(S.BundledHead.features(emb, S.vader_scores(texts)))
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"short reviews (n={len(texts)}, mean {words:.1f} words), batch {batch}: {len(texts) / secs:,.0f} reviews/s "
              f"wall clock; CPU time {cpu:.1f} s = {len(texts) / (cpu / 2):,.0f} reviews/s if 2 cores were free")
    zh = short_chinese_reviews(args.n)
    t0 = time.perf_counter()
    ml = te.get_model("multilingual")
    ml_head = S.get_multilingual_head()
    print(f"multilingual model load: {time.perf_counter() - t0:.2f} s")
    ml.encode(zh[:64])  # warm-up
    for batch in (32, 64, 128):
        t0, c0 = time.perf_counter(), time.process_time()
        ml_head.predict_score(ml.encode(zh, batch_size=batch))
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"short Chinese reviews (n={len(zh)}, mean {np.mean([len(t) for t in zh]):.1f} characters), batch {batch}: "
              f"{len(zh) / secs:,.0f} reviews/s wall clock; CPU time {cpu:.1f} s = {len(zh) / (cpu / 2):,.0f} reviews/s "
              "if 2 cores were free")
    t0 = time.perf_counter()
    S.vader_scores(texts)
    print(f"VADER baseline: {len(texts) / (time.perf_counter() - t0):,.0f} reviews/s")

    if args.full:
        from ecom_models.demo.store import demo_store

        reviews = demo_store().reviews
        t0 = time.perf_counter()
        a = S.analyse_reviews(reviews)
        secs = time.perf_counter() - t0
        print(f"full analysis of the demo store's {len(reviews):,} reviews (distinct texts encoded once, aspects, "
              f"Keras fine-tuning): {secs:.1f} s; {a.comparison.reason}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS): {peak:,.0f} MB")


if __name__ == "__main__":
    main()
