"""Train the bundled sentiment head (logistic regression on MiniLM embeddings). Reproducible.

    .venv/bin/python scripts/train_sentiment_head.py [--data /work/shared/data/sentiment_labelled_sentences]

Data: 'Sentiment Labelled Sentences' (yelp + imdb parts, 2,000 sentences, CC BY 4.0; see NOTICE), plus
data/models/minilm/product_sentences.tsv (177 shop-review sentences written by hand for this project, so
the head knows delivery, fit, returns and support vocabulary, which restaurant and movie reviews lack).
Steps:
1. embed every sentence with the shipped int8 ONNX encoder (the one the app runs); the head's inputs are
   the embedding plus the sentence's VADER compound score;
2. hold out 20% (stratified by source and label, seed 0); pick C by 5-fold cross-validation on the rest;
3. report held-out accuracy of the head and of VADER per source, and cross-domain figures
   (train on one source, test on another) as a proxy for unseen product reviews;
4. if the fp32 export exists (/tmp/minilm_build/model_fp32.onnx) repeat step 3 with it, to show what
   int8 quantisation costs;
5. refit on all sentences with the chosen C and write data/models/minilm/head.npz (plain arrays,
   no pickle) and head_report.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ecom_models.reviews.heads import BundledHead, vader_scores  # noqa: E402
from ecom_models.text.minilm import MODEL_DIR, Encoder  # noqa: E402

# Inputs of the head: the 384-d embedding plus the VADER compound score (see BundledHead).

SEED = 0


def load(folder: Path):
    texts, labels, source = [], [], []
    for name in ("yelp_labelled.txt", "imdb_labelled.txt"):
        for line in (folder / name).read_text(encoding="utf-8").split("\n"):  # \n only: U+0085 inside imdb
            if "\t" not in line:
                continue
            text, label = line.rsplit("\t", 1)
            texts.append(text.strip())
            labels.append(int(label))
            source.append(name.split("_")[0])
    for line in (ROOT / "data" / "models" / "minilm" / "product_sentences.tsv").read_text(encoding="utf-8").split("\n"):
        if "\t" not in line or line.startswith("#"):
            continue
        text, label = line.rsplit("\t", 1)
        texts.append(text.strip())
        labels.append(int(label))
        source.append("shop")
    return texts, np.array(labels), np.array(source)


def choose_c(X, y, seed=SEED):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    scores = {c: cross_val_score(LogisticRegression(C=c, max_iter=2000), X, y, cv=cv).mean() for c in (0.3, 1, 3, 10, 30)}
    return max(scores, key=scores.get), scores


def evaluate(emb, y, source, train, test, vader):
    c, cv = choose_c(emb[train], y[train])
    head = BundledHead().fit(emb[train], y[train], C=c)
    pred = head.predict_score(emb) >= 0
    held = {}
    for s in ("yelp", "imdb", "shop"):
        t = test[source[test] == s]
        held[s] = {"n": int(len(t)), "head": round(float(np.mean(pred[t] == y[t])), 4),
                   "vader": round(float(np.mean((vader[t] >= 0) == y[t])), 4)}
    acc = float(np.mean(pred[test] == y[test]))
    vacc = float(np.mean((vader[test] >= 0) == y[test]))
    cross = {}
    for a, b in (("yelp", "imdb"), ("imdb", "yelp"), ("yelp+imdb", "shop")):
        tr, te = np.isin(source, a.split("+")), source == b
        h = BundledHead().fit(emb[tr], y[tr], C=c)
        cross[f"train_{a}_test_{b}"] = {"head": round(float(np.mean((h.predict_score(emb[te]) >= 0) == y[te])), 4),
                                        "vader": round(float(np.mean((vader[te] >= 0) == y[te])), 4)}
    return {"C": c, "cv_accuracy": {str(k): round(v, 4) for k, v in cv.items()}, "held_out_accuracy": round(acc, 4),
            "vader_held_out_accuracy": round(vacc, 4), "held_out_n": int(len(test)), "held_out_by_source": held, "cross_domain": cross}


def held_out_split(y: np.ndarray, source: np.ndarray, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices: a fifth of each (source, label) cell held out. Both bundled heads
    (MiniLM and multilingual-e5) report on this same split, so their figures compare."""
    rng = np.random.default_rng(seed)
    test = []
    for s in ("yelp", "imdb", "shop"):
        for k in (0, 1):
            members = np.flatnonzero((source == s) & (y == k))
            test.extend(rng.choice(members, size=len(members) // 5, replace=False))
    test = np.array(sorted(test))
    return np.setdiff1d(np.arange(len(y)), test), test


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/work/shared/data/sentiment_labelled_sentences")
    parser.add_argument("--fp32", default="/tmp/minilm_build/model_fp32.onnx")
    args = parser.parse_args()
    texts, y, source = load(Path(args.data))
    train, test = held_out_split(y, source)
    vader = vader_scores(texts)

    emb, _ = Encoder().encode(texts)
    emb_only = emb
    emb = BundledHead.features(emb, vader)
    report = {"data": "Sentiment Labelled Sentences (yelp + imdb, 2,000, CC BY 4.0) + 177 hand-written shop sentences",
              "split": "80/20 stratified by source and label, seed 0",
              "int8": evaluate(emb, y, source, train, test, vader)}
    fp32 = Path(args.fp32)
    if fp32.exists():
        emb32, _ = Encoder(model_dir=MODEL_DIR, model_file=str(fp32.resolve())).encode(texts)
        cos = (emb_only * emb32).sum(axis=1)
        emb32 = BundledHead.features(emb32, vader)
        report["fp32"] = evaluate(emb32, y, source, train, test, vader)
        report["int8_vs_fp32_mean_cosine"] = round(float(cos.mean()), 5)
    c = report["int8"]["C"]
    head = BundledHead().fit(emb, y, C=c)
    head.save(MODEL_DIR / "head.npz")
    report["without_vader_feature"] = evaluate(emb_only, y, source, train, test, vader)
    report["shipped"] = (f"refit on all sentences with C={c} on [embedding, VADER compound] "
                         "(held-out figures above use the same recipe)")
    (MODEL_DIR / "head_report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
