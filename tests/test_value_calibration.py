"""The money rows on simulated stores whose truth we know (the bench runs many seeds:
bench/value_calibration.py). Real detector, real injection, real recommender: no stand-ins."""

from __future__ import annotations

import pytest

from ecom_models.value import calibration as C


@pytest.fixture(scope="module")
def zero_and_three():
    return {rate: C.risk_case(rate, seed=2) for rate in (0.0, 0.03)}


def test_a_store_without_fraud_gets_a_risk_row_near_zero(zero_and_three):
    no_labels, labels = zero_and_three[0.0]
    assert no_labels["truth"] == 0
    assert no_labels["covered"] and labels["covered"]
    assert no_labels["low"] == 0  # the range starts at zero
    assert no_labels["value"] / no_labels["revenue"] < 0.002  # the point: under 0.2% of revenue
    # the merchant's decisions (all "fine") bring it down further
    assert labels["kind"] == "labels" and labels["value"] < no_labels["value"]


def test_a_store_with_fraud_is_covered_and_labels_find_it(zero_and_three):
    no_labels, labels = zero_and_three[0.03]
    assert no_labels["truth"] > 0 and no_labels["covered"] and labels["covered"]
    # the detector catches most of the injected fraud at the review capacity
    assert no_labels["catch"] > 0.5
    # with decisions the point moves from the prior's towards the truth
    assert abs(labels["value"] - labels["truth"]) < abs(no_labels["value"] - no_labels["truth"])
    assert labels["low"] > 0 == no_labels["low"]  # the decisions rule out "no fraud at all"


def test_recommendation_rows_cover_no_effect_and_five_percent():
    none = C.recommendation_case(0.0, seed=1)
    assert none["covered"] and none["low"] == 0
    assert none["value"] / none["revenue"] < 0.005  # no taste structure: (almost) nothing to gain
    five = C.recommendation_case(0.05, seed=1)
    assert five["covered"] and five["gain"] > 0.5
