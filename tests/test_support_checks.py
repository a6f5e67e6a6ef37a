"""Answers the merchant marks right or wrong on the page correct the bundled FAQ confidence curve, with its
uncertainty: where the bundled curve is off (an FAQ missing a third of the questions asked), twenty checks bring
the precision delivered at the 90% target back within 3 points, and the range narrows as checks come in."""

import numpy as np
import pandas as pd

from ecom_models.demo.support_synth import INTENTS_EN, faq, messages
from ecom_models.support import analyse_tickets, answers_to_check, precision_range, with_checks
from ecom_models.support.checks import PRIOR_SD, fit_shift

HELD_OUT = sorted(INTENTS_EN)[1::2]


def test_shift_follows_the_checks_and_its_prior():
    conf = np.full(10, 0.9)
    assert fit_shift(conf, np.ones(10, bool))[0] > 0 > fit_shift(conf, np.zeros(10, bool))[0]
    # as many right as the curve expects: no shift; one check cannot move it far from the bundled curve
    assert abs(fit_shift(np.full(20, 0.5), np.r_[np.ones(10, bool), np.zeros(10, bool)])[0]) < 1e-6
    one, sd = fit_shift([0.9], [False])
    assert -2 * PRIOR_SD < one < 0 and sd < PRIOR_SD
    assert fit_shift(np.full(40, 0.9), np.r_[np.ones(30), np.zeros(10)].astype(bool))[1] < sd


def test_twenty_checked_answers_bring_the_precision_back_to_the_target():
    rng = np.random.default_rng(7)
    part = list(rng.choice(HELD_OUT, 9, replace=False))  # a third of the tickets ask what the FAQ has no entry for
    tickets = messages(800, seed=6020, intents=HELD_OUT, extras=0.6, typo_rate=0.03)
    a = analyse_tickets(tickets.drop(columns="intent"), faq=faq(part), k=13)
    truth = pd.Series(tickets["intent"].to_numpy(), index=a.tickets["ticket_id"].to_numpy())

    def delivered(an):
        thr = an.tradeoff.threshold_for(0.9)
        ans = an.tickets[an.tickets["faq_confidence"] >= thr]
        return float((ans["best_faq_id"].to_numpy() == truth[ans["ticket_id"]].to_numpy()).mean()), thr

    before, _ = delivered(a)
    checks, cur, widths = [], a, []
    for _ in range(20):  # the merchant checks the answer the page shows next
        r = answers_to_check(cur, cur.tradeoff.threshold_for(0.9), {c["ticket_id"] for c in checks}).iloc[0]
        checks.append({"ticket_id": r["ticket_id"], "right": r["best_faq_id"] == truth[r["ticket_id"]]})
        cur, summary = with_checks(a, pd.DataFrame(checks))
        widths.append(summary["high"] - summary["low"])
    after, thr = delivered(cur)
    assert before < 0.87  # the bundled curve alone is too sure here
    assert abs(after - 0.9) <= 0.03 and abs(after - 0.9) < abs(before - 0.9), (before, after)
    lo, hi = precision_range(cur, summary, thr)
    assert lo < after < hi and widths[-1] < widths[0]
    assert "corrected by 20 answers" in cur.tradeoff.source
