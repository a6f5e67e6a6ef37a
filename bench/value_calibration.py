"""Calibration bench: do the money rows' 90% ranges cover the truth on simulated stores?

Risk: invoice-style stores with fraud planted in 0%, 0.3%, 1% and 3% of orders, valued without
labels and with the merchant's decisions of several shapes: every queue order of the last 30 days
(recent), 100 queue orders at random (random), the N riskiest orders (top20 ... top200: merchants
decide on the top of the list first), 100 orders of the whole store (scattered) and 100 orders
just below the queue (outside).
Recommendations: stores whose widget truly lifts revenue by 0 or +5%.
Prints the coverage table (share of seeds whose range covers the truth; target >= 90%) and
the median truth, point and range as shares of monthly net revenue, and the median range width
over the truth (stores with fraud).

Run: nice .venv/bin/python bench/value_calibration.py [--seeds 20] [--rates 0.01,0.03] [--shapes top100,random]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from ecom_models.value import calibration as C


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--skip-recommendations", action="store_true")
    parser.add_argument("--rates", default="0,0.003,0.01,0.03", help="planted fraud shares, comma-separated")
    parser.add_argument("--shapes", default=",".join(C.SHAPES), help="decision shapes, comma-separated")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    pd.set_option("display.width", 160)
    t0 = time.perf_counter()
    risk = []
    shapes = tuple(s for s in args.shapes.split(",") if s)
    for rate in (float(r) for r in args.rates.split(",")):
        for seed in range(args.seeds):
            risk += C.risk_case(rate, seed, shapes=shapes)
    t_risk = time.perf_counter() - t0
    table = C.coverage_table(risk, ["rate", "shape"])
    table["shape"] = pd.Categorical(table["shape"], ["none", *C.SHAPES])
    table = table.sort_values(["rate", "shape"])
    for col in ("truth", "point", "low", "high"):
        table[col] = table[col].map(lambda x: f"{x:.3%}")
    table["rate"] = table["rate"].map(lambda x: f"{x:.1%} of orders")
    table["coverage"] = table["coverage"].map(lambda x: f"{x:.0%}")
    table["width"] = table["width"].map(lambda x: f"{x:.2f}x truth" if x == x else "-")
    print(f"Risk row, {args.seeds} seeds per store ({t_risk:.0f} s; 2,500 orders over 120 days, 2 reviews a day):")
    print(table.to_string(index=False))
    zero = pd.DataFrame([r for r in risk if r["rate"] == 0 and not r["labels"]])
    if len(zero):
        print(f"zero-fraud stores without labels: point {((zero['value'] / zero['revenue']).max()):.3%} of revenue at most, "
              f"range starts at {(zero['low'] / zero['revenue']).max():.3%}")
    frame = pd.DataFrame(risk)
    print(f"risk coverage over all {len(risk)} cases: {frame['covered'].mean():.0%}")
    by_shape = frame.groupby("shape")["covered"].mean().reindex(["none", *shapes])
    print("coverage by decision shape (all rates): " + ", ".join(f"{k} {v:.0%}" for k, v in by_shape.items()))
    fraud = frame[frame["truth"] > 0]
    err = (fraud["value"] / fraud["truth"]).groupby(fraud["shape"]).median().reindex(["none", *shapes])
    print("median point / truth on stores with fraud: " + ", ".join(f"{k} {v:.2f}x" for k, v in err.items()))
    if not args.skip_recommendations:
        t0 = time.perf_counter()
        reco = [C.recommendation_case(effect, seed) for effect in (0.0, 0.05) for seed in range(args.seeds)]
        table = C.coverage_table(reco, ["effect"])
        for col in ("truth", "point", "low", "high"):
            table[col] = table[col].map(lambda x: f"{x:.2%}")
        table["coverage"] = table["coverage"].map(lambda x: f"{x:.0%}")
        gains = pd.DataFrame(reco).groupby("effect")["gain"].median()
        print(f"\nRecommendations row, {args.seeds} seeds per store ({time.perf_counter() - t0:.0f} s; median offline gain "
              + ", ".join(f"{g:+.0%} at effect {e:.0%}" for e, g in gains.items()) + "):")
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
