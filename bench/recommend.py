"""Recommendation benchmark: accuracy on MovieLens-100k and speed/memory at 1M interactions.

    .venv/bin/python bench/recommend.py            # both parts
    .venv/bin/python bench/recommend.py accuracy   # MovieLens-100k (or its synthetic stand-in)
    .venv/bin/python bench/recommend.py scale      # 1M interactions, 100k users, 20k items

accuracy: per-user random 75/25 split, top-10, already-seen items excluded. The automatic
choice (`build_recommender`, which tunes EASE's regularisation and picks the model on a
validation split carved out of the 75% training part) is scored once on the 25% test part,
next to an item-Jaccard SAR-like baseline and every other model. MovieLens-100k comes from
the RecBole wheel on PyPI (see bench/movielens.py); without it, a synthetic matrix of the
same shape is used and the output says so.

scale: the default model for a 20k-item catalog (sparse RP3beta; EASE's dense matrix is
not offered above 5,000 items) is fitted and evaluated on every held-out customer of a
synthetic 1M-interaction matrix. Each part runs in its own process so its peak memory
(max RSS) is its own.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def accuracy() -> None:
    from ecom_models import recommend as R
    from movielens import load_ml100k

    df = load_ml100k()
    if df is None:
        print("MovieLens-100k not available (no network to PyPI): using a SYNTHETIC matrix of the same shape "
              "(943 users, 1,682 items, 100k interactions). Figures are not comparable with published ones.")
        df = R.synthetic_interactions(943, 1682, 100_000, seed=0)
        data_name = "synthetic ML-100k-shaped"
    else:
        data_name = "MovieLens-100k"
    inter = R.interactions_from_table(df[["user_id", "item_id"]])  # implicit: every rating is an interaction
    print(f"data: {data_name}: {inter.n_users} users, {inter.n_items} items, {inter.matrix.nnz:,} interactions")
    t0 = time.perf_counter()
    report = R.build_recommender(inter, k=10, include_deep=True, max_eval_users=None, seed=42)
    total = time.perf_counter() - t0
    board = report.leaderboard
    print("\nleaderboard on the 25% test split (top-10, seen items excluded; best settings chosen on validation):")
    print(f"{'model':<12}{'params':<34}{'prec@10':>9}{'recall@10':>11}{'nDCG@10':>9}{'hit@10':>8}{'cover':>7}{'fit s':>8}")
    for _, r in board.iterrows():
        mark = "  <- chosen" if r["chosen"] else ""
        print(f"{r['model']:<12}{str(r['params']):<34}{r['precision']:>9.4f}{r['recall']:>11.4f}{r['ndcg']:>9.4f}"
              f"{r['hit_rate']:>8.4f}{r['coverage']:>7.3f}{r['fit_seconds']:>8.2f}{mark}")
    # the SAR-like reference point: item-item Jaccard on the same split
    train, test = R.split_matrix(inter.matrix, 0.25, seed=42)
    sar = R.evaluate(R.ItemKNN("jaccard").fit(train), train, test, 10)
    chosen = report.chosen_test
    c0, w0 = time.process_time(), time.perf_counter()
    R.make_model(report.chosen, **report.chosen_params).fit(train)
    fit_cpu, fit_wall = time.process_time() - c0, time.perf_counter() - w0
    print(f"\nitem-Jaccard (SAR-like) baseline precision@10: {sar.metrics['precision']:.4f}")
    print(f"chosen model refit on the 75% training part: {fit_wall:.2f} s wall, {fit_cpu:.2f} s CPU")
    print(f"chosen model: {report.chosen} {report.chosen_params}: precision@10 {chosen.metrics['precision']:.4f} "
          f"(95% interval {chosen.interval('precision')[0]:.4f}-{chosen.interval('precision')[1]:.4f}), "
          f"training {chosen.fit_seconds:.2f} s")
    print(f"whole automatic choice (validation of {len(report.validation)} settings incl. the Keras model, test of "
          f"{len(board)} models, final refit): {total:.1f} s")
    print(f"peak memory (max RSS of this process, TensorFlow included): {_rss_mb():,.0f} MB")


def scale() -> None:
    from ecom_models import recommend as R

    t0 = time.perf_counter()
    df = R.synthetic_interactions(100_000, 20_000, 1_000_000, n_clusters=200, seed=0)
    inter = R.interactions_from_table(df)
    prep = time.perf_counter() - t0
    print(f"data: synthetic, {inter.n_users:,} users, {inter.n_items:,} items, {inter.matrix.nnz:,} interactions "
          f"(generated and indexed in {prep:.1f} s)")
    name = R.default_model_name(inter.n_items)
    train, test = R.split_matrix(inter.matrix, 0.25, seed=0)
    results = {}
    for model_name in (name, "popularity"):
        t1, c1 = time.perf_counter(), time.process_time()
        model = R.make_model(model_name).fit(train)
        fit, fit_cpu = time.perf_counter() - t1, time.process_time() - c1
        t2, c2 = time.perf_counter(), time.process_time()
        ev = R.evaluate(model, train, test, 10)
        evaluation, eval_cpu = time.perf_counter() - t2, time.process_time() - c2
        results[model_name] = ev
        print(f"{model_name:<11} fit {fit:6.1f} s ({fit_cpu:.1f} s CPU), evaluate {evaluation:6.1f} s ({eval_cpu:.1f} s CPU) "
              f"on {ev.n_users:,} customers ({ev.n_users / max(evaluation, 1e-9):,.0f} customers/s): "
              f"precision@10 {ev.metrics['precision']:.4f}, hit rate@10 {ev.metrics['hit_rate']:.4f}")
    print(f"default model: {name}; total {time.perf_counter() - t0:.1f} s wall, {time.process_time():.1f} s CPU "
          f"(data generation included); peak memory (max RSS) {_rss_mb():,.0f} MB")


def main() -> None:
    parts = sys.argv[1:] or ["accuracy", "scale"]
    if len(parts) == 1:
        {"accuracy": accuracy, "scale": scale}[parts[0]]()
        return
    for part in parts:  # one process per part, so peak memory is measured per part
        print(f"=== {part} ===", flush=True)
        subprocess.run([sys.executable, __file__, part], check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        print(flush=True)


if __name__ == "__main__":
    main()
