"""Business value bench: time and memory of each lever on the demo store, the summary and the
report files; plus a check of the total's interval against the simple baseline (adding up the
lows and the highs), on synthetic truths drawn from each row's own interval.

Run: nice .venv/bin/python bench/value.py [--skip-images] [--skip-reviews]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def coverage_check(n_rows: int = 6, trials: int = 4000, seed: int = 0) -> dict:
    """Share of trials in which the true total falls inside the 90% interval: Monte-Carlo vs
    adding up the lows and the highs (what a spreadsheet would do)."""
    from ecom_models import value as V

    rng = np.random.default_rng(seed)
    mc_hits = naive_hits = 0
    mc_width = naive_width = 0.0
    for t in range(trials):
        mids = rng.uniform(1000, 20000, n_rows)
        lows = mids * rng.uniform(0.2, 0.9, n_rows)
        highs = mids * rng.uniform(1.1, 2.5, n_rows)
        truth = sum(float(V.split_normal_draws(m, lo, hi, rng.standard_normal(1))[0]) for m, lo, hi in zip(mids, lows, highs))
        levers = {m: V.Lever(m, V.ValueEstimate(m, "x", float(mids[i]), float(lows[i]), float(highs[i]), "e", "backtest"))
                  for i, m in enumerate(V.MODELS[:n_rows])}
        s = V.summarise(levers, costs=V.CostInputs(gross_margin=1.0), n_sims=4000, seed=t, with_tornado=False)
        mc_hits += s.monthly.low <= truth <= s.monthly.high
        naive_hits += lows.sum() <= truth <= highs.sum()
        mc_width += s.monthly.high - s.monthly.low
        naive_width += highs.sum() - lows.sum()
    return {"mc_coverage": mc_hits / trials, "naive_coverage": naive_hits / trials,
            "mc_width_vs_naive": mc_width / naive_width}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-images", action="store_true")
    parser.add_argument("--skip-reviews", action="store_true")
    args = parser.parse_args()

    from ecom_models.value import report as RP
    from ecom_models import value as V
    from ecom_models.demo.store import demo_store

    t0 = time.perf_counter()
    store = demo_store()
    print(f"demo store: {len(store.orders):,} order lines, built in {time.perf_counter() - t0:.1f} s")
    levers = {}
    levers["recommendations"] = V.lever_recommendations(store.orders)
    levers["forecasting"] = V.lever_forecasting(store.orders)
    levers["risk"] = V.lever_risk(store.orders)
    if not args.skip_reviews:
        levers["reviews"] = V.lever_reviews(store.reviews, store.orders)
    if not args.skip_images:
        from ecom_models.demo.images import default_folder, demo_images

        demo_images()
        levers["images"] = V.lever_images(str(default_folder(store.seed)), store.products, store.orders)
    levers["abtest"] = V.lever_abtest(store.experiment, store.orders, store.traffic)
    revenue = V.store_figures(store.orders)["monthly_net_revenue"]
    print(f"net revenue per month: {V.fmt_money(revenue)}")
    print("\nlever               seconds   per month  share     90% interval            evidence")
    for m, lv in levers.items():
        e = lv.estimate
        if e is None:
            print(f"{m:<18} {lv.seconds:7.1f}   not computed: {lv.problem}")
            continue
        print(f"{m:<18} {lv.seconds:7.1f}   {V.fmt_money(e.monthly_value, e.currency):>9}  {e.monthly_value / revenue:6.2%}   "
              f"{V.fmt_money(e.monthly_low, e.currency):>8} to {V.fmt_money(e.monthly_high, e.currency):<8}   "
              f"{e.evidence_kind}: {e.evidence[:90]}")
    print(f"first visit, all levers one after the other: {sum(lv.seconds for lv in levers.values()):.1f} s")
    risk = levers.get("risk")
    if risk is not None and risk.estimate is not None:
        from ecom_models.risk.scoring import score_orders

        ranked = score_orders(store.orders).orders
        days = (ranked["order_date"].max() - ranked["order_date"].min()).total_seconds() / 86400 + 1
        queue = ranked[ranked["rank"] <= 5 * days]
        truth = queue.loc[queue["order_id"].isin(set(store.truth["fraud_order_ids"])), "order_value"].sum() / days * 30.44
        e = risk.estimate
        print(f"risk: planted fraud among the 5 riskiest a day {V.fmt_money(truth)} a month; row {V.fmt_money(e.monthly_low)} "
              f"to {V.fmt_money(e.monthly_high)}: {'inside' if e.monthly_low <= truth <= e.monthly_high else 'OUTSIDE'}")

    ab = levers["abtest"]
    if ab.estimate is not None:
        from ecom_models import abtest as AB

        r = AB.analyze(store.experiment).table.query("kind == 'conversion'").iloc[0]
        truth = store.truth["ab_true_rel_lift"]
        print(f"\nA/B lift measured {r.rel_lift:+.1%} (interval {r.rel_ci_low:+.1%} to {r.rel_ci_high:+.1%}); "
              f"planted {truth:+.1%}: {'inside' if r.rel_ci_low <= truth <= r.rel_ci_high else 'OUTSIDE'} the interval")

    costs = V.CostInputs(monthly_cost=2000, setup_cost=15000, gross_margin=0.4)
    t0 = time.perf_counter()
    s = V.summarise(levers, {}, None, costs, monthly_net_revenue=revenue)
    t_sum = time.perf_counter() - t0
    t0 = time.perf_counter()
    V.simulate(s.rows, costs, n=200_000)
    sims_per_s = 200_000 / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    html = RP.report_html(s)
    t_html = time.perf_counter() - t0
    t0 = time.perf_counter()
    pdf = RP.report_pdf(s)
    t_pdf = time.perf_counter() - t0
    csv = RP.report_csv(s)
    c = s.currency
    for name, iv in (("shown by your data", s.measured), ("if the assumptions hold", s.assumed), ("both together", s.monthly)):
        print(f"{name}: {V.fmt_money(iv.mid, c)} a month ({iv.mid / revenue:.1%} of net revenue; 90%: "
              f"{V.fmt_money(iv.low, c)} to {V.fmt_money(iv.high, c)})")
    for flag in s.flags:
        print("flag:", flag)
    print(f"with {V.fmt_money(costs.monthly_cost, c)}/month and {V.fmt_money(costs.setup_cost, c)} setup, 40% margin: "
          f"first-year net {V.fmt_money(s.first_year_net.mid, c)}, ROI {V.fmt_figure(s.roi_first_year, 'ratio')}, "
          f"payback {V.fmt_figure(s.payback_months, 'months')}, chance it pays off {s.chance_positive:.0%}")
    print(f"top sensitivity: {s.tornado.iloc[0]['label'] if len(s.tornado) else '-'}")
    print(f"\nsummary (20,000 simulations + tornado over {len(s.tornado)} shown assumptions): {t_sum:.2f} s")
    print(f"Monte-Carlo throughput: {sims_per_s / 1e6:.1f} M simulated totals per second")
    print(f"report: HTML {len(html) / 1e6:.1f} MB in {t_html:.2f} s, PDF {len(pdf) / 1e3:.0f} kB in {t_pdf:.2f} s, "
          f"CSV {len(csv) / 1e3:.1f} kB")
    t0 = time.perf_counter()
    cov = coverage_check()
    print(f"\ninterval check (4,000 synthetic cases of 6 rows, truth drawn from each row's interval, {time.perf_counter() - t0:.0f} s):")
    print(f"  Monte-Carlo 90% interval covers the true total in {cov['mc_coverage']:.1%} of cases")
    print(f"  baseline (sum of lows to sum of highs) covers it in {cov['naive_coverage']:.1%}, "
          f"while being {1 / cov['mc_width_vs_naive']:.2f}x as wide")
    print(f"\npeak memory (RSS): {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
