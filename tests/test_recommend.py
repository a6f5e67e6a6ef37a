"""Unit tests for ecom_models.recommend.models: interactions, splits, metrics, models, outputs,
business value and bad input. Small synthetic data only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from ecom_models import recommend as R
from ecom_models.core.errors import InputError


def _orders(rows):
    """Canonical order lines from (order_id, customer_id, product_id, line_type) tuples."""
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "product_id", "line_type"])
    n = len(df)
    df["order_date"] = pd.date_range("2026-01-01", periods=n, freq="D")
    df["product_name"] = "Name " + df["product_id"].astype(str)
    df["category"] = "cat"
    df["quantity"] = 1.0
    df["unit_price"] = 10.0
    df["revenue"] = np.where(df["line_type"] == "cancellation", -10.0, 10.0)
    df["discount"] = 0.0
    df["currency"] = "EUR"
    df["is_duplicate"] = False
    return df


@pytest.fixture(scope="module")
def synthetic():
    return R.interactions_from_table(R.synthetic_interactions(400, 300, 12_000, n_clusters=10, seed=3))


# -- interactions --------------------------------------------------------------------------------
def test_ids_numbers_and_strings_are_the_same_customer():
    as_float = R.normalise_ids(pd.Series([123.0, 7.0, np.nan]))
    as_text = R.normalise_ids(pd.Series(["123", " 7 ", None], dtype=object))
    as_int = R.normalise_ids(pd.Series([123, 7]))
    assert list(as_float[:2]) == ["123", "7"] and pd.isna(as_float[2])
    assert list(as_text[:2]) == ["123", "7"] and pd.isna(as_text[2])
    assert list(as_int) == ["123", "7"]
    assert list(R.normalise_ids(pd.Series(["123.0", "A-1"]))) == ["123", "A-1"]


def test_most_active_best_sellers_and_history():
    inter = R.interactions_from_table(pd.DataFrame({"user_id": ["a", "a", "a", "b", "b", "c"],
                                                    "item_id": ["x", "y", "z", "x", "y", "x"]}))
    assert inter.most_active(2) == ["a", "b"]
    assert inter.best_sellers(2) == ["x", "y"]
    assert list(inter.history("b")["item_id"]) == ["x", "y"]
    assert inter.history("nobody").empty


def test_orders_exclude_cancellations_non_product_and_guests():
    df = _orders([
        ("o1", "c1", "p1", "sale"), ("o1", "c1", "p2", "sale"), ("o2", "c1", "p3", "cancellation"),
        ("o3", "c2", "p1", "sale"), ("o3", "c2", "POST", "non_product"), ("o4", None, "p2", "sale"),
        ("o4", None, "p4", "sale"), ("o5", "c2", "p1", "sale"),
    ])
    df.loc[7, "is_duplicate"] = False
    inter = R.interactions_from_orders(df)
    assert set(inter.users) == {"c1", "c2"}
    assert "p3" not in set(inter.df["item_id"]) and "POST" not in set(inter.items)
    # p1 bought twice by c2 (two orders) -> weight 2
    row = inter.df[(inter.df["user_id"] == "c2") & (inter.df["item_id"] == "p1")].iloc[0]
    assert row["weight"] == 2 and row["n"] == 2
    # guest order still feeds baskets for "frequently bought together"
    assert ("o4", "p4") in set(map(tuple, inter.baskets[["basket_id", "item_id"]].to_numpy()))
    assert any("guest" in note for note in inter.notes)


def test_ratings_0_to_10_are_accepted_and_zero_is_not_a_signal():
    df = pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "item_id": [10, 11, 10, 12, 11], "rating": [10, 0, 7, 3, 9]})
    inter = R.interactions_from_table(df)
    assert inter.matrix.nnz == 4  # the 0 rating is dropped
    assert inter.matrix.max() == pytest.approx(1.0)
    assert any("0 or below" in n for n in inter.notes) and any("0 to 10" in n for n in inter.notes)


def test_text_rating_is_refused_with_its_row():
    df = pd.DataFrame({"user_id": ["a", "b", "c"], "item_id": ["x", "y", "x"], "rating": ["5", "n/a", "3"]})
    with pytest.raises(InputError) as err:
        R.interactions_from_table(df, file="ratings.csv")
    assert err.value.row == 3 and err.value.column == "rating" and "ratings.csv" in err.value.message


def test_one_customer_or_one_product_is_refused():
    with pytest.raises(InputError, match="only 1 customer"):
        R.interactions_from_table(pd.DataFrame({"user_id": ["a", "a"], "item_id": ["x", "y"]}))
    with pytest.raises(InputError, match="only one product"):
        R.interactions_from_table(pd.DataFrame({"user_id": ["a", "b"], "item_id": ["x", "x"]}))
    with pytest.raises(InputError, match="user_id"):
        R.interactions_from_table(pd.DataFrame({"who": ["a", "b"], "what": ["x", "y"]}))


def test_recency_decay_weights_recent_purchases_more():
    df = pd.DataFrame({"user_id": ["a", "a", "b"], "item_id": ["x", "y", "x"],
                       "timestamp": ["2026-01-01", "2026-07-01", "2026-07-01"]})
    inter = R.interactions_from_table(df, half_life_days=30)
    w = inter.df.set_index(["user_id", "item_id"])["weight"]
    assert w[("a", "x")] < 0.05 * w[("a", "y")]


# -- splits and metrics ---------------------------------------------------------------------------
def test_random_split_is_per_customer_and_disjoint(synthetic):
    X = synthetic.matrix
    train, test = R.split_matrix(X, 0.25, seed=0)
    assert train.nnz + test.nnz == X.nnz
    assert (train.multiply(test)).nnz == 0
    n = np.diff(X.indptr)
    n_test = np.diff(test.indptr)
    many = n >= 4
    assert np.all(np.abs(n_test[many] - 0.25 * n[many]) <= 1)
    assert np.all(np.diff(train.indptr) >= 1)  # nobody loses all their history


def test_time_split_holds_out_the_latest():
    X = sp.csr_matrix(np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]], dtype=np.float32))
    times = np.array([4, 1, 3, 2, 5, 9, 7], dtype=float)  # CSR order
    train, test = R.split_matrix(X, 0.25, times=times)
    assert test[0].indices.tolist() == [0]  # time 4 is user 0's latest
    assert test[1].indices.tolist() == [1]
    assert test[2].nnz == 0  # single purchase stays in training


class _Fixed(R.Recommender):
    name = "fixed"

    def __init__(self, scores):
        self.scores = np.asarray(scores, dtype=np.float32)
        self.params = {}

    def fit(self, X):
        self._tiebreak = np.zeros(X.shape[1], np.float32)
        return self

    def score(self, X_rows, rows=None):
        return np.tile(self.scores, (X_rows.shape[0], 1))


def test_metrics_match_hand_computation():
    # 5 items; the model ranks items 0,1,2,3,4 (item 4 is seen by user 0 and excluded)
    train = sp.csr_matrix(np.array([[0, 0, 0, 0, 1], [0, 0, 0, 0, 1]], dtype=np.float32))
    test = sp.csr_matrix(np.array([[0, 1, 0, 1, 0], [0, 0, 0, 0, 0]], dtype=np.float32))
    ev = R.evaluate(_Fixed([5, 4, 3, 2, 1]).fit(train), train, test, k=2)
    assert ev.n_users == 1  # user 1 has nothing held out
    assert ev.metrics["precision"] == pytest.approx(0.5)  # hits: item 1 at rank 2
    assert ev.metrics["recall"] == pytest.approx(0.5)
    assert ev.metrics["ndcg"] == pytest.approx((1 / np.log2(3)) / (1 + 1 / np.log2(3)))
    assert ev.metrics["hit_rate"] == 1.0
    assert ev.metrics["coverage"] == pytest.approx(2 / 5)


# -- models -------------------------------------------------------------------------------------
def test_models_beat_popularity_on_held_out_data(synthetic):
    train, test = R.split_matrix(synthetic.matrix, 0.25, seed=0)
    base = R.evaluate(R.Popularity().fit(train), train, test, 10).metrics["precision"]
    for name, params in [("item_knn", {}), ("rp3beta", {}), ("ease", {"l2": 100.0})]:
        p = R.evaluate(R.make_model(name, **params).fit(train), train, test, 10).metrics["precision"]
        assert p > base * 1.15, (name, p, base)


def test_recommend_never_returns_seen_items(synthetic):
    X = synthetic.matrix
    model = R.EASE(100.0).fit(X)
    idx, _ = model.recommend(X[:50], k=10, exclude_seen=True)
    for r in range(50):
        assert not set(idx[r]) & set(X[r].indices)


def test_item_graphs_stay_sparse_and_pruned(synthetic):
    model = R.ItemKNN("jaccard", neighbours=5).fit(synthetic.matrix)
    assert sp.issparse(model.W_) and np.diff(model.W_.indptr).max() <= 5
    model = R.RP3Beta(neighbours=7).fit(synthetic.matrix)
    assert sp.issparse(model.W_) and np.diff(model.W_.indptr).max() <= 7


def test_large_catalog_skips_dense_models():
    grid = R.candidate_grid(100_000, 200_000)
    assert "ease" not in grid and "ncf" not in grid and "item_knn" in grid
    X = sp.random(50, R.EASE_MAX_ITEMS + 1, density=0.001, format="csr", dtype=np.float32, random_state=0)
    with pytest.raises(InputError, match="limited"):
        R.EASE().fit(X)


def test_auto_choice_is_made_on_validation_and_keeps_the_deep_model(synthetic):
    report = R.build_recommender(synthetic, k=10, include_deep=True, max_eval_users=None)
    board = report.leaderboard.set_index("model")
    assert {"popularity", "item_knn", "rp3beta", "ease", "deep_ae"} <= set(board.index)
    val_best = report.validation.sort_values("ndcg", ascending=False, kind="stable").iloc[0]["model"]
    assert report.chosen == val_best  # chosen from validation, not from the test figures
    assert board.loc[report.chosen, "precision"] > board.loc["popularity", "precision"]
    assert 0 <= board.loc["deep_ae", "precision"] <= 1 and board.loc["deep_ae", "fit_seconds"] > 0
    assert "validation" in report.reason and "best-seller baseline" in report.reason


# -- outputs ------------------------------------------------------------------------------------
def test_outputs_reasons_cold_start_and_bought_together():
    rng = np.random.default_rng(0)
    rows, oid = [], 0
    pairs = [("A", "B"), ("C", "D"), ("E", "F")]
    for c in range(120):
        a, b = pairs[c % 3]
        for _ in range(2):
            oid += 1
            rows += [(f"o{oid}", f"c{c}", a, "sale"), (f"o{oid}", f"c{c}", b, "sale")]
        if rng.random() < 0.5:
            oid += 1
            rows.append((f"o{oid}", f"c{c}", "G", "sale"))
    inter = R.interactions_from_orders(_orders(rows))
    report = R.build_recommender(inter, k=2, include_deep=False)
    fbt = R.frequently_bought_together(inter, "A", k=3)
    assert fbt.iloc[0]["item_id"] == "B" and fbt.iloc[0]["unit"] == "orders"
    assert (fbt["lift"] > 1).all() and not {"C", "D", "E", "F"} & set(fbt["item_id"])  # never bought with A
    recs = R.recommend_for_users(report, ["c0", "nobody"], k=2, with_reasons=True)
    new = recs[recs["user_id"] == "nobody"]
    assert not new["known_customer"].any() and new["reason"].str.contains("best seller").all()
    assert len(R.cold_start(inter, 3)) == 3
    with pytest.raises(InputError, match="does not appear"):
        R.frequently_bought_together(inter, "ZZZ")


def test_too_few_repeat_customers_falls_back_to_best_sellers():
    df = pd.DataFrame({"user_id": ["a", "b", "c", "d"], "item_id": ["x", "y", "x", "z"]})
    report = R.build_recommender(R.interactions_from_table(df), k=2, include_deep=False)
    assert report.chosen == "popularity" and "best sellers" in report.reason.lower()


# -- business value -----------------------------------------------------------------------------
def test_business_value_follows_the_gain_and_gives_an_ab_sample_size():
    gain = {"gain": 0.3, "low": 0.1, "high": 0.5, "model": 0.39, "baseline": 0.3}
    from ecom_models.value.valuation import recommendations_value

    est = recommendations_value(gain, monthly_orders=1000, order_value=50, widget_share=0.5, widget_ctr=0.04,
                                click_to_order=0.1, store_conversion=0.02, online_share=0.5)
    # visits 50,000 x 0.5 x 0.04 x 0.1 = 100 widget orders; x 0.3 x 0.5 = 15 extra orders x 50
    assert est.monthly_value == pytest.approx(750.0)
    # low: none of the gain online (10% prior chance); high: every prior and the gain at once, below
    # all of them at their high ends together (100 x 1.6 x 1.5 x 1.875 x 2 x 0.5 x 1.0 x 50)
    assert est.monthly_low == pytest.approx(0.0)
    assert 1500 < est.monthly_high < 100 * 1.6 * 1.5 * 1.875 * 2 * 0.5 * 1.0 * 50
    assert est.model == "recommendations" and est.evidence_kind == "offline"
    assert {a.key for a in est.assumptions} >= {"widget_share", "widget_ctr", "order_value"}
    assert "A/B test" in est.note and "per arm" in est.note
    none = recommendations_value({"gain": -0.1, "low": -0.2, "high": 0.0, "model": 0.2, "baseline": 0.22},
                            monthly_orders=1000, order_value=50)
    assert none.monthly_value == 0.0


def test_paired_gain_interval_contains_the_gain(synthetic):
    train, test = R.split_matrix(synthetic.matrix, 0.25, seed=0)
    a = R.evaluate(R.EASE(100.0).fit(train), train, test, 10)
    b = R.evaluate(R.Popularity().fit(train), train, test, 10)
    g = R.paired_gain(a, b, "hit")
    assert g["low"] <= g["gain"] <= g["high"]


def test_neural_collaborative_filtering_learns_something(synthetic):
    train, test = R.split_matrix(synthetic.matrix, 0.25, seed=0)
    ncf = R.NCF(epochs=2).fit(train)
    ev = R.evaluate(ncf, train, test, 10)
    assert ev.metrics["precision"] > 0.05  # random lists would get about 10/300 * 10 held-out = 0.03
    # unknown customers (row -1) get best sellers from the deep model too
    idx, _ = ncf.recommend(train[:1], k=3, exclude_seen=False, rows=np.array([-1]))
    assert list(idx[0]) == list(np.argsort(-ncf.popularity_, kind="stable")[:3])


def test_catalog_of_200k_products_runs_sparse():
    rng = np.random.default_rng(0)
    tail = pd.DataFrame({"user_id": rng.integers(0, 20_000, 200_000), "item_id": rng.permutation(200_000)})
    head = pd.DataFrame({"user_id": rng.integers(0, 20_000, 10_000), "item_id": rng.integers(0, 50, 10_000)})
    inter = R.interactions_from_table(pd.concat([head, tail], ignore_index=True))  # best sellers give some signal
    assert inter.n_items == 200_000
    report = R.build_recommender(inter, k=10, include_deep=True, max_eval_users=300)
    assert "ease" not in set(report.leaderboard["model"]) and "deep_ae" not in set(report.leaderboard["model"])
    assert report.chosen in {"popularity", "item_knn", "rp3beta"}
    recs = R.recommend_for_users(report, [inter.users[0]], k=10)
    assert len(recs) == 10


def test_time_split_and_single_purchase_customers():
    df = R.synthetic_interactions(300, 80, 5_000, n_clusters=6, seed=2)
    df["timestamp"] = pd.date_range("2025-01-01", periods=len(df), freq="h").to_numpy()[np.random.default_rng(0).permutation(len(df))]
    extra = pd.DataFrame({"user_id": ["solo"], "item_id": [df["item_id"].iloc[0]], "timestamp": [pd.Timestamp("2026-01-01")]})
    inter = R.interactions_from_table(pd.concat([df, extra], ignore_index=True))
    report = R.build_recommender(inter, k=5, split="time", include_deep=False)
    assert report.split == "time" and not report.leaderboard.empty
    solo_row = inter.users.get_loc("solo")
    assert solo_row not in set(report.chosen_test.per_user["row"])  # one purchase: training only
    recs = R.recommend_for_users(report, ["solo"], k=5)
    assert len(recs) == 5 and recs["known_customer"].all()


def test_business_value_from_orders_alone():
    rows, oid = [], 0
    for c in range(90):
        for _ in range(2):
            oid += 1
            a, b = [("A", "B"), ("C", "D"), ("E", "F")][c % 3]
            rows += [(f"o{oid}", f"c{c}", a, "sale"), (f"o{oid}", f"c{c}", b, "sale")]
        oid += 1
        rows.append((f"o{oid}", f"c{c}", "G", "sale"))
    from ecom_models.value.valuation import recommendations_value

    est = recommendations_value(_orders(rows))
    assert est.model == "recommendations" and est.currency == "EUR"
    assert est.monthly_low <= est.monthly_value <= est.monthly_high
    assert any(a.key == "monthly_orders" and a.value > 0 for a in est.assumptions)
