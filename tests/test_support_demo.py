"""The demo store's support tickets: prebuilt files equal the generator, and the analysis finds what was planted."""

import json

import numpy as np
import pandas as pd

from ecom_models.demo.support import build_demo_support, demo_support
from ecom_models.support.analysis import DEFAULT_TARGET_PRECISION


def test_prebuilt_support_files_equal_the_generator():
    shipped, fresh = demo_support(), build_demo_support(42)
    pd.testing.assert_frame_equal(shipped.tickets, fresh.tickets, check_dtype=False)
    pd.testing.assert_frame_equal(shipped.faq, fresh.faq, check_dtype=False)
    assert shipped.truth == json.loads(json.dumps(fresh.truth))


def test_analysis_finds_the_planted_spike_and_defect():
    from ecom_models.support import analyse_tickets

    d = demo_support()
    assert 2000 < len(d.tickets) < 5000
    a = analyse_tickets(d.tickets, faq=d.faq)
    truth = pd.Series(d.truth["labels"])
    t = a.tickets.assign(truth=truth.to_numpy())
    # the defect: one discovered intent holds most defect tickets, named by the product, new since the planted date
    defect = t[t["truth"] == "earbuds_defect"]["intent"].mode().iloc[0]
    row = a.intents.set_index("intent").loc[defect]
    # "charged twice" payment tickets share words with "won't charge": some join the cluster (split fixes it)
    assert (t.loc[t["intent"] == defect, "truth"] == "earbuds_defect").mean() > 0.6
    assert any("earbud" in term for term in row["top_terms"])
    assert abs((row["new_since"] - pd.Timestamp(d.truth["defect"]["start"])).days) <= 14
    # the spike: an intent of mostly tracking questions peaks within the planted weeks
    spikes = a.intents.dropna(subset=["spike_week"])
    start, end = pd.Timestamp(d.truth["wismo_spike"]["start"]), pd.Timestamp(d.truth["wismo_spike"]["end"])
    found = [r.intent for r in spikes.itertuples() if start - pd.Timedelta(days=7) <= r.spike_week <= end
             and (t.loc[t["intent"] == r.intent, "truth"] == "track_order").mean() > 0.7]
    assert found
    # the FAQ answers the everyday questions at the precision asked (90%, within 3 points) and knows which answers
    # are shaky: the defect has no entry ("won't charge" reads like "charged twice"), so its tickets get the lowest
    # confidence. At the default the demo's matches are right often enough (91%) to answer every ticket, defect
    # included; a stricter target keeps quiet on nearly all of them (docs/support.md Limits)
    answered = t["faq_id"].notna()
    assert answered.mean() > 0.5
    hit = (t.loc[answered, "faq_id"] == t.loc[answered, "truth"]).mean()
    assert DEFAULT_TARGET_PRECISION - 0.03 <= hit <= DEFAULT_TARGET_PRECISION + 0.03, hit
    from sklearn.metrics import roc_auc_score

    defect = (t["truth"] == "earbuds_defect").to_numpy()
    right = (t["best_faq_id"] == t["truth"]).to_numpy()
    conf = t["faq_confidence"].to_numpy(dtype=float)
    assert roc_auc_score(np.r_[np.ones(right.sum()), np.zeros(defect.sum())], np.r_[conf[right], conf[defect]]) > 0.95
    strict = conf >= a.tradeoff.threshold_for(0.95)
    assert strict[defect].mean() < 0.15 and strict.mean() > 0.5
