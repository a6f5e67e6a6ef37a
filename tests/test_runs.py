"""Background runs: one run per key whichever session asks first, progress visible while it
works, a crash kept as a message (not retried by itself), staged recommendations stored."""

import threading
import time

import pytest

from ecom_models.workspace import runs


@pytest.fixture(autouse=True)
def _background(monkeypatch):
    monkeypatch.delenv("ECOM_RUNS_INLINE", raising=False)
    yield
    runs._runs.clear()


def test_one_run_per_key_and_progress():
    gate, calls = threading.Event(), []

    def work(run):
        calls.append(1)
        run.progress(0.5, "Halfway")
        gate.wait(5)

    first = runs.submit("key-1", "Demo", work, group="data")
    second = runs.submit("key-1", "Demo", work, group="data")  # another session, same data and settings
    assert first is second
    deadline = time.time() + 5
    while first.message != "Halfway" and time.time() < deadline:
        time.sleep(0.01)
    assert first.active and first.fraction == 0.5 and first.message == "Halfway"
    assert [r.id for r in runs.runs("data")] == ["key-1"]
    gate.set()
    assert runs.wait("key-1", 5).status == runs.DONE and calls == [1]
    assert runs.submit("key-1", "Demo", work) is first  # done: not run again


def test_a_crash_becomes_a_message_and_is_retried_only_on_request():
    from ecom_models.core.errors import InputError

    def broken(run):
        raise InputError("the file has no order dates.", fix="map a date column.")

    run = runs.wait(runs.submit("key-2", "Forecast", broken).id, 5)
    assert run.status == runs.FAILED and "no order dates" in run.error and "Traceback" not in run.error
    assert runs.submit("key-2", "Forecast", broken) is run  # no crash loop
    bug = runs.wait(runs.submit("key-3", "Risk", lambda r: 1 / 0).id, 5)
    assert bug.status == runs.FAILED and bug.error.startswith("Risk stopped with an unexpected error (ZeroDivisionError")
    again = runs.submit("key-2", "Forecast", lambda r: None, retry=True)
    assert runs.wait(again.id, 5).status == runs.DONE


def test_staged_recommendations_are_stored_after_each_stage(tmp_path):
    from ecom_models.recommend import pipeline as P
    from ecom_models import recommend as R
    from ecom_models.workspace.results import ResultsStore
    from ecom_models.workspace.workspace import Workspace

    table = R.synthetic_interactions(n_users=300, n_items=120, n_interactions=6000, seed=1)
    store = ResultsStore(Workspace("runs", tmp_path))
    key = P.recommend_key("synthetic", 10, "random", None, False)
    stages = []

    def work(run):
        real = run.reached
        run.reached = lambda stage: (stages.append((stage, store.get("recommend.report", key)["stage"])), real(stage))
        P.recommendations(store, key, table, "table", 10, "random", None, False, run=run)

    assert runs.wait(runs.submit(key, "Recommendations", work).id, 120).status == runs.DONE
    assert stages[0] == ("item_knn+popularity+rp3beta", "item_knn+popularity+rp3beta")  # fast models first, stored
    assert stages[-1][0] == "full"
    report = P.stored_recommendations(store, key)
    assert set(report.leaderboard["model"]) == {"popularity", "item_knn", "rp3beta", "ease"} and not report.pending
    # the EASE stage reused the fast models' figures instead of fitting them again
    first = report.test_evals["rp3beta"].metrics["ndcg"]
    assert report.leaderboard.set_index("model").at["rp3beta", "ndcg"] == pytest.approx(first)
    recs = R.recommend_for_users(report, [report.inter.users[0], "never-seen"], k=10)
    assert len(recs) == 20 and not recs["known_customer"].iloc[-1]


def test_work_that_returns_more_goes_back_in_the_queue_and_finishes():
    steps = []

    def second(run):
        steps.append(("second", run.stage))

    def first(run):
        steps.append(("first", run.stage))
        run.reached("quick")
        return second

    run = runs.wait(runs.submit("key-4", "Staged", first).id, 5)
    assert run.status == runs.DONE and steps == [("first", ""), ("second", "quick")]
