"""Benchmark: score 1M order lines (order level) and build the daily alerts.

Run: .venv/bin/python bench/risk.py [--lines 1000000]
Prints wall time per stage, throughput and peak memory. Target: 1M lines in <= 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from test_risk_synth import inject_fraud, make_store  # noqa: E402

from ecom_models import risk as A  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    t = time.perf_counter()
    n_orders = max(200, int(args.lines / 9.5))
    orders = make_store(n_orders=n_orders, n_customers=max(100, n_orders // 7), n_products=3000, seed=3)
    orders, ids = inject_fraud(orders, n_each=20, seed=5)
    gen = time.perf_counter() - t
    print(f"data: {len(orders):,} order lines, {orders['order_id'].nunique():,} orders "
          f"(generated in {gen:.1f} s, not counted)")

    import pyod.models.ecod  # noqa: F401  (import cost reported separately)
    import pyod.models.iforest  # noqa: F401

    t = time.perf_counter()
    feats = A.order_features(orders)
    t_feat = time.perf_counter() - t
    t = time.perf_counter()
    result = A.score_orders(orders, contamination=0.01)
    t_score = time.perf_counter() - t
    t = time.perf_counter()
    days = A.daily_anomalies(orders)
    t_days = time.perf_counter() - t
    ev = A.evaluate(result, ids, k=len(ids)).set_index("detector")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"feature engineering alone: {t_feat:.1f} s ({len(feats):,} orders)")
    print(f"order scoring end to end (features + IForest + ECOD + rare signals + COPOD + reasons): {t_score:.1f} s "
          f"= {len(orders) / t_score:,.0f} lines/s")
    print(f"daily alerts: {t_days:.2f} s for {days['date'].nunique()} days")
    print(f"peak memory (max RSS): {peak:,.0f} MB")
    print(f"injected fraud: {len(ids)} orders; ROC-AUC ensemble {ev.loc['ensemble', 'roc_auc']:.3f}, "
          f"baseline (biggest orders) {ev.loc['baseline', 'roc_auc']:.3f}")


if __name__ == "__main__":
    main()
