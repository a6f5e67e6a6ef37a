"""The customer service analysis kept in the results store: what the page shows is the same after a
round trip through the workspace file, a restart reads it back without starting a run, an analysis
over the size cap is handed back instead of looping, and an entry that no longer reads is dropped."""

import numpy as np
import pandas as pd
import pytest

from ecom_models.demo.support_synth import faq, labelled_examples, messages
from ecom_models.support import analyse_tickets, answered_at, apply_edits, deflection, faq_usage, saved_intents
from ecom_models.support import pipeline as SP
from ecom_models.support.store import analysis_to_doc
from ecom_models.workspace import results, runs
from ecom_models.workspace.results import ResultsStore
from ecom_models.workspace.workspace import Workspace

INTENTS = ["cancel_order", "track_order", "get_refund", "recover_password", "get_invoice", "payment_issue"]


def _tickets(n: int = 240) -> pd.DataFrame:
    df = messages(n, seed=5, intents=INTENTS, extras=0.3, typo_rate=0.02)
    df["ticket_id"] = [f"T{i}" for i in range(len(df))]
    df["created_at"] = pd.Timestamp("2026-01-05") + pd.to_timedelta(np.arange(len(df)) * 14, unit="h")
    df["resolution_minutes"] = np.where(np.arange(len(df)) % 3 == 0, np.nan, 7.0)
    return df


@pytest.fixture(scope="module")
def discovered():
    """Discovery (silhouette by k) with an FAQ: the trade-off curve and its threshold."""
    tickets = _tickets().drop(columns="intent")
    return tickets, analyse_tickets(tickets, faq=faq(INTENTS))


@pytest.fixture(scope="module")
def labelled():
    """Labelled examples: the comparison with the baseline (intervals as tuples)."""
    examples, rest = labelled_examples(_tickets(300), 12, seed=1)
    return rest.drop(columns="intent"), examples, analyse_tickets(rest.drop(columns="intent"), examples=examples)


def _restart() -> None:
    """What a server restart forgets: the results store's memory layer and the loaded analyses."""
    results._memory.clear()
    from ecom_ui import background

    background._loaded().clear()


def _round_trip(analysis, key: str = "k"):
    ws = Workspace("test")
    assert ResultsStore(ws).put(SP.KIND, key, analysis_to_doc(analysis))
    _restart()
    back = SP.load_analysis(Workspace("test"), key)
    assert back is not None
    return back


def _same_page(a, b) -> None:
    """Everything the Customer service page draws from an analysis."""
    from ecom_ui.support import intent_table

    pd.testing.assert_frame_equal(a.tickets, b.tickets, check_dtype=False)
    pd.testing.assert_frame_equal(a.intents, b.intents, check_dtype=False)
    pd.testing.assert_frame_equal(a.weekly, b.weekly, check_dtype=False)
    pd.testing.assert_frame_equal(intent_table(a), intent_table(b), check_dtype=False)
    assert [list(v) for v in b.intents["top_terms"]] == [list(v) for v in a.intents["top_terms"]]
    assert all(isinstance(v, list) for v in b.intents["examples"])  # lists again, not arrays
    for name in ("mode", "encoder", "k", "silhouette", "target_precision", "threshold", "notes", "has_faq"):
        assert getattr(b, name) == getattr(a, name), name
    assert deflection(b, minutes_per_ticket=6.0) == deflection(a, minutes_per_ticket=6.0)
    pd.testing.assert_frame_equal(saved_intents(a), saved_intents(b), check_dtype=False)


def test_discovered_analysis_with_faq_round_trips(discovered):
    _, a = discovered
    assert a.mode == "discovered" and a.silhouette and a.tradeoff is not None
    b = _round_trip(a)
    _same_page(a, b)
    assert b.silhouette == a.silhouette and all(isinstance(k, int) for k in b.silhouette)
    pd.testing.assert_frame_equal(a.tradeoff.curve, b.tradeoff.curve)
    assert (b.tradeoff.n, b.tradeoff.source, b.tradeoff.n_calibration) == (a.tradeoff.n, a.tradeoff.source,
                                                                           a.tradeoff.n_calibration)
    assert b.tradeoff.threshold_for(0.8) == a.tradeoff.threshold_for(0.8)
    pd.testing.assert_frame_equal(a.faq, b.faq, check_dtype=False)
    thr = a.tradeoff.threshold_for(0.8)
    pd.testing.assert_frame_equal(faq_usage(a, answered_at(a, thr)), faq_usage(b, answered_at(b, thr)),
                                  check_dtype=False)
    # the merchant's edits replay the same on the stored analysis
    first, second = a.intents["intent"].iloc[:2]
    edits = [{"op": "rename", "intent": first, "to": "Where is my order"},
             {"op": "merge", "intents": ["Where is my order", second], "to": "Orders"}]
    pd.testing.assert_frame_equal(apply_edits(a, edits).intents, apply_edits(b, edits).intents, check_dtype=False)


def test_analysis_from_examples_round_trips(labelled):
    _, _, a = labelled
    assert a.mode == "examples" and a.comparison is not None
    b = _round_trip(a)
    _same_page(a, b)
    assert b.comparison == a.comparison
    assert isinstance(b.comparison.difference_interval, tuple)
    assert all(isinstance(v, tuple) for v in b.comparison.interval.values())


def test_a_restart_reads_the_stored_analysis_and_starts_no_run(discovered, monkeypatch):
    from ecom_ui import background
    from ecom_ui.common import ActiveData

    tickets, a = discovered
    fq = faq(INTENTS)
    computed = []

    def analyse(*args, **kwargs):
        computed.append(1)
        return a

    monkeypatch.setattr("ecom_models.support.analysis.analyse_tickets", analyse)
    data = ActiveData(df=tickets, source="tickets.csv", key="restart-tickets")
    first = background.support_analysis(Workspace("test"), data, fq, None, None)  # the run computes and stores
    key = SP.analysis_key(data.key, fq, None, None)
    assert computed == [1] and SP.analysis_ready(Workspace("test"), key)
    assert runs.get(key).has_value is False  # stored, not handed back through the server's memory

    _restart()
    runs.forget(key)
    again = background.support_analysis(Workspace("test"), data, fq, None, None)
    assert runs.get(key) is None  # no run started
    assert computed == [1]
    _same_page(first, again)
    # the worker finds it stored too (e.g. the Data page starts a run for the same tickets)
    assert SP.analyse_and_store("test", str(Workspace("test").folder), key, tickets, fq, None, None) is None
    assert computed == [1]
    # other inputs are another analysis: a changed FAQ is not answered from the stored one
    assert SP.analysis_key(data.key, fq.iloc[:-3], None, None) != key


def test_an_analysis_over_the_size_cap_is_handed_back_once(discovered, monkeypatch):
    from ecom_ui import background
    from ecom_ui.common import ActiveData

    tickets, a = discovered
    computed = []
    monkeypatch.setattr("ecom_models.support.analysis.analyse_tickets", lambda *x, **k: computed.append(1) or a)
    monkeypatch.setenv("ECOM_RESULTS_MAX_MB", "0.001")  # nothing this size fits
    key = SP.analysis_key("too-large")
    assert SP.analyse_and_store("test", str(Workspace("test").folder), key, tickets, None, None, None) is a
    _restart()
    assert not SP.analysis_ready(Workspace("test"), key)  # not written to the workspace
    # in the app the worker is another process: the store's memory layer there is not the server's
    monkeypatch.setattr(results, "_MEMORY_ENTRIES", 0)
    data = ActiveData(df=tickets, source="tickets.csv", key="too-large")
    got = background.support_analysis(Workspace("test"), data, None, None, None)
    assert got is a and runs.get(key).has_value
    assert computed == [1, 1]
    _restart()  # not a server restart: the run and its value stay
    assert background.support_analysis(Workspace("test"), data, None, None, None) is a
    assert computed == [1, 1]  # a run whose value is held is not started again


def test_an_entry_that_no_longer_reads_is_dropped(discovered):
    _, a = discovered
    ws = Workspace("test")
    doc = analysis_to_doc(a)
    del doc["tickets"]  # as stored by code whose analysis had other fields
    ResultsStore(ws).put(SP.KIND, "old", doc)
    _restart()
    assert SP.load_analysis(ws, "old") is None
    assert not SP.analysis_ready(ws, "old")  # so the next run computes it instead of finding it


def test_a_reviews_analysis_over_the_size_cap_is_handed_back_once(monkeypatch):
    """Reviews go through the same path: the worker hands back what it could not store, and the page
    shows it instead of starting the run again on every visit."""
    from ecom_models.reviews import pipeline as RVP
    from ecom_ui import background
    from ecom_ui.common import ActiveData

    made, computed = object(), []
    monkeypatch.setattr("ecom_models.reviews.analysis.analyse_reviews", lambda *x, **k: computed.append(1) or made)
    monkeypatch.setattr(RVP, "save_analysis", lambda ws, key, analysis: False)  # over the cap: not stored
    data = ActiveData(df=pd.DataFrame({"text": ["good", "bad"]}), source="r.csv", key="reviews-too-large")
    assert background.reviews_analysis(Workspace("test"), data) is made
    _restart()
    assert background.reviews_analysis(Workspace("test"), data) is made
    assert computed == [1] and runs.get(RVP.analysis_key(data.key)).has_value
