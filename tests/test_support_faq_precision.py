"""The FAQ keeps its word: without labels, the precision delivered at the default target (93%) is within 3 points
of it, and at 90% or better, on tickets of intents the bundled confidence curve never saw (faq.PRIOR_CURVES is fitted on the other half of
the 27 intents, bench/support.py --fit-prior), matched against a 27-entry FAQ as in the issue, and it answers
at least half of them.

The old operating point (precision read off the FAQ's phrasings matched against each other) delivered 0.96-0.98
with a 27-entry FAQ (bench/support.py): this test fails on it."""

import functools

import numpy as np
import pytest
import pandas as pd

from ecom_models.demo.support_synth import INTENTS_EN, faq, messages
from ecom_models.support import analyse_tickets, deflection
from ecom_models.support.analysis import DEFAULT_TARGET_PRECISION
from ecom_models.support.faq import SOURCE_PRIOR

HELD_OUT = sorted(INTENTS_EN)[1::2]  # the 13 intents kept out of the bundled curve's fit


def test_default_target_delivers_its_precision_on_held_out_intents():
    tickets = pd.concat([messages(450, seed=5000, intents=HELD_OUT, extras=0.3, typo_rate=0.02),
                         messages(450, seed=5001, intents=HELD_OUT, extras=1.0, typo_rate=0.04)], ignore_index=True)
    a = analyse_tickets(tickets.drop(columns="intent"), faq=faq(), k=13)  # the whole 27-entry FAQ
    assert a.tradeoff.source == SOURCE_PRIOR and a.target_precision == DEFAULT_TARGET_PRECISION == 0.93
    answered = a.tickets["faq_id"].notna().to_numpy()
    delivered = float((a.tickets["faq_id"].to_numpy()[answered] == tickets["intent"].to_numpy()[answered]).mean())
    assert abs(delivered - DEFAULT_TARGET_PRECISION) <= 0.03 and delivered >= 0.9, (delivered, answered.mean())
    assert answered.mean() >= 0.5
    d = deflection(a)
    assert d["precision"] >= DEFAULT_TARGET_PRECISION - 0.01 and d["precision_interval"][0] <= delivered <= d["precision_interval"][1]


def test_stricter_target_answers_fewer_and_the_curve_is_monotone():
    tickets = messages(300, seed=5002, intents=HELD_OUT, extras=0.6, typo_rate=0.03)
    a = analyse_tickets(tickets.drop(columns="intent"), faq=faq(HELD_OUT), k=13)
    curve = a.tradeoff.curve
    assert np.all(np.diff(curve["coverage"]) > 0) and np.all(np.diff(curve["precision"]) <= 1e-12)
    cov = [a.tradeoff.at(a.tradeoff.threshold_for(t))["coverage"] for t in (0.8, 0.9, 0.95)]
    assert cov[0] >= cov[1] >= cov[2] and cov[0] > cov[2]


def _delivered(tickets: pd.DataFrame, fq: pd.DataFrame, target: float = 0.9) -> tuple[float, float, float, object]:
    """(precision delivered, coverage, accuracy of the best match) without labels, and the matcher."""
    from ecom_models.support.faq import FaqMatcher, clean_faq
    from ecom_models.support.features import Featurizer

    fq = clean_faq(fq)
    fz = Featurizer().fit(list(tickets["text"]) + list(fq["question"]))
    m = FaqMatcher().fit(fq, fz)
    feats = fz.transform(list(tickets["text"]))
    to = m.calibrate().tradeoff(feats)
    out = m.match(feats, to.threshold_for(target))
    y = tickets["intent"].to_numpy()
    answered = out["faq_id"].notna().to_numpy()
    return (float((out["faq_id"].to_numpy()[answered] == y[answered]).mean()), float(answered.mean()),
            float((out["best_faq_id"].to_numpy() == y).mean()), m)


def test_default_target_holds_with_the_multilingual_encoder():
    from ecom_models.demo.support_synth import faq_zh, messages_zh

    delivered, coverage, accuracy, m = _delivered(messages_zh(400, seed=5), faq_zh())
    assert m.featurizer_.model_ == "multilingual"  # its own curve: its similarities live on another scale
    # within 3 points of the target; when the matches are right more often than asked, answering every ticket is
    # the most a threshold can do
    assert abs(delivered - 0.9) <= 0.03 or (coverage == 1.0 and delivered >= 0.9), (delivered, coverage, accuracy)
    assert coverage >= 0.5


@functools.lru_cache(maxsize=1)
def _one_phrasing():
    return _delivered(messages(600, seed=5003, intents=HELD_OUT, extras=0.6, typo_rate=0.03),
                      faq(HELD_OUT).groupby("faq_id").head(1))[:3]


def test_one_phrasing_per_entry_answers_most_tickets_at_the_target():
    delivered, coverage, accuracy = _one_phrasing()
    assert delivered >= 0.9 and coverage >= 0.5, (delivered, coverage, accuracy)


@pytest.mark.xfail(strict=True, reason="FAQs of one phrasing per entry: 0.93-0.94 delivered at 90% (the curve "
                                       "under-trusts them; docs/support.md Limits)")
def test_one_phrasing_per_entry_within_3_points():
    delivered, coverage, accuracy = _one_phrasing()
    assert abs(delivered - 0.9) <= 0.03, (delivered, coverage, accuracy)


def test_the_same_tickets_are_less_sure_among_questions_the_faq_does_not_cover():
    covered = messages(300, seed=5004, intents=HELD_OUT[:8], extras=0.6, typo_rate=0.03)
    uncovered = messages(300, seed=5005, intents=HELD_OUT[8:], extras=0.6, typo_rate=0.03)
    _, _, _, alone = _delivered(covered, faq(HELD_OUT[:8]))
    mixed = pd.concat([covered, uncovered], ignore_index=True)
    _, _, _, among = _delivered(mixed, faq(HELD_OUT[:8]))
    feats_alone = alone.featurizer_.transform(list(covered["text"]))
    feats_among = among.featurizer_.transform(list(covered["text"]))
    c_alone = alone.match(feats_alone)["faq_confidence"].to_numpy()
    c_among = among.match(feats_among)["faq_confidence"].to_numpy()
    # a store whose tickets sit far from its FAQ as a whole is one where close-looking matches are more often wrong
    assert c_among.mean() < c_alone.mean() - 0.02
