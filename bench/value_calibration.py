"""Calibration bench: do the money rows' 90% ranges cover the truth on simulated stores?

Risk: invoice-style stores with fraud planted in 0%, 0.3%, 1% and 3% of orders, valued without
labels and with the merchant's decisions on the last 30 days of the review queue.
Recommendations: stores whose widget truly lifts revenue by 0 or +5%.
Prints the coverage table (share of seeds whose range covers the truth; target >= 85%) and
the median truth, point and range as shares of monthly net revenue.

Run: nice .venv/bin/python bench/value_calibration.py [--seeds 12]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402

from ecom_models.value import calibration as C  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--skip-recommendations", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    pd.set_option("display.width", 160)
    t0 = time.perf_counter()
    risk = []
    for rate in (0.0, 0.003, 0.01, 0.03):
        for seed in range(args.seeds):
            risk += C.risk_case(rate, seed)
    t_risk = time.perf_counter() - t0
    table = C.coverage_table(risk, ["rate", "labels"])
    for col in ("truth", "point", "low", "high"):
        table[col] = table[col].map(lambda x: f"{x:.3%}")
    table["rate"] = table["rate"].map(lambda x: f"{x:.1%} of orders")
    table["coverage"] = table["coverage"].map(lambda x: f"{x:.0%}")
    print(f"Risk row, {args.seeds} seeds per store ({t_risk:.0f} s; 2,500 orders over 120 days, 2 reviews a day):")
    print(table.to_string(index=False))
    zero = pd.DataFrame([r for r in risk if r["rate"] == 0 and not r["labels"]])
    print(f"zero-fraud stores without labels: point {((zero['value'] / zero['revenue']).max()):.3%} of revenue at most, "
          f"range starts at {(zero['low'] / zero['revenue']).max():.3%}")
    overall = pd.DataFrame(risk)["covered"].mean()
    print(f"risk coverage over all {len(risk)} cases: {overall:.0%}")
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
