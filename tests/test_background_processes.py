"""Background runs in worker processes (ecom_models/workspace/tasks.py): one computation per key
for every session, and a worker killed mid-run becomes a message, then a retry succeeds.

Real work: the reviews analysis of demo reviews, in a real forkserver worker process."""

import os
import signal
import sys
import threading
import time
import types

import pytest

from ecom_models.demo.store import demo_store
from ecom_models.reviews import pipeline as RVP
from ecom_models.workspace import runs, tasks
from ecom_models.workspace.workspace import Workspace


@pytest.fixture
def background(monkeypatch):
    monkeypatch.delenv("ECOM_RUNS_INLINE", raising=False)
    monkeypatch.setenv("ECOM_RUN_WORKERS", "1")


def _reviews(n: int = 300):
    return demo_store().reviews.head(n).reset_index(drop=True)


def test_two_sessions_asking_for_the_same_reviews_analysis_run_it_once(background):
    ws, df, data_key = Workspace("test"), _reviews(), "two-sessions"
    run_id = RVP.analysis_key(data_key)
    barrier, got = threading.Barrier(2), []

    def session():
        barrier.wait()
        got.append(runs.submit(run_id, RVP.LABEL, RVP.analysis_task(ws, data_key, df), group=data_key))

    threads = [threading.Thread(target=session) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got[0] is got[1]  # the second session follows the first one's run (same progress)
    run = runs.wait(run_id, timeout=300)
    assert run.status == runs.DONE, run.error
    assert tasks.dispatched[run_id] == 1  # sent to a worker once
    # a third request after the end reuses the result instead of computing again
    assert runs.submit(run_id, RVP.LABEL, RVP.analysis_task(ws, data_key, df), group=data_key) is run
    assert tasks.dispatched[run_id] == 1
    analysis = RVP.load_analysis(ws, data_key, df)
    assert analysis is not None and len(analysis.scored) == len(df)
    assert os.getpid() not in tasks.worker_pids()  # computed outside this (the server's) process


def test_a_killed_worker_shows_a_message_then_a_retry_succeeds(background, monkeypatch, tmp_path):
    ws, df, data_key = Workspace("test"), _reviews(400), "killed-worker"
    run_id = RVP.analysis_key(data_key)
    task = RVP.analysis_task(ws, data_key, df)
    run = runs.submit(run_id, RVP.LABEL, task, group=data_key)
    deadline = time.time() + 120
    while run.status != runs.RUNNING and time.time() < deadline:  # the worker has started on it
        time.sleep(0.05)
    assert run.status == runs.RUNNING
    pids = tasks.worker_pids()
    assert pids
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    run = runs.wait(run_id, timeout=60)
    assert run.status == runs.FAILED
    assert "Try again" in run.error and "Traceback" not in run.error
    assert not RVP.analysis_ready(ws, data_key)

    # As in the app, `__main__` is the running page script (Streamlit sets it): the fresh workers
    # must not run it again (a worker running app.py died at once and the runs failed).
    script = tmp_path / "page_script.py"
    script.write_text("raise SystemExit('the page script ran in a worker')\n")
    page_main = types.ModuleType("__main__")
    page_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page_main)
    again = runs.submit(run_id, RVP.LABEL, task, group=data_key, retry=True)  # the page's "Try again"
    assert again is not run
    again = runs.wait(run_id, timeout=300)
    assert again.status == runs.DONE, again.error
    assert RVP.analysis_ready(ws, data_key)
    assert set(tasks.worker_pids()).isdisjoint(pids)  # a fresh pool


def _restart_server(run_id: str) -> None:
    """What a server restart forgets: the runs, the results store's memory layer, the loaded analyses."""
    from ecom_models.workspace import results
    from ecom_ui import background as BG

    runs.forget(run_id)
    results._memory.clear()
    BG._loaded().clear()


def test_the_worker_stores_the_support_analysis_and_a_restart_reads_it(background):
    from ecom_models.demo.support import demo_support
    from ecom_models.support import pipeline as SP
    from ecom_ui import background as BG
    from ecom_ui.common import ActiveData

    d = demo_support()
    ws, df, data_key = Workspace("test"), d.tickets.head(200).reset_index(drop=True), "worker-tickets"
    key = SP.analysis_key(data_key, d.faq)
    run = runs.submit(key, SP.LABEL, SP.analysis_task(ws, key, df, d.faq), group=data_key)
    run = runs.wait(key, timeout=300)
    assert run.status == runs.DONE, run.error
    assert not run.has_value  # written to the workspace by the worker, nothing sent back to keep in memory
    assert tasks.dispatched[key] == 1

    _restart_server(key)
    got = BG.support_analysis(Workspace("test"), ActiveData(df=df, source="t.csv", key=data_key), d.faq, None, None)
    assert len(got.tickets) == len(df) and got.has_faq
    assert runs.get(key) is None and tasks.dispatched[key] == 1  # read back: nothing computed again


def test_the_worker_stores_the_photo_analysis_and_a_restart_reads_it(background, tmp_path):
    import io

    from PIL import Image, ImageDraw

    from ecom_models.images import pipeline as IP
    from ecom_ui import background as BG

    for i, colour in enumerate([(200, 30, 30), (30, 30, 200), (30, 160, 30)]):
        img = Image.new("RGB", (600, 600), "white")
        ImageDraw.Draw(img).ellipse([100 + 20 * i, 150, 500, 450], fill=colour)
        buf = io.BytesIO()
        img.save(buf, "JPEG")
        (tmp_path / f"SKU-{i}.jpg").write_bytes(buf.getvalue())
    ws, photos_key = Workspace("test"), "upload-worker"
    key = IP.analysis_key(photos_key)
    run = runs.submit(key, IP.LABEL, IP.analysis_task(ws, key, str(tmp_path)), group=photos_key)
    run = runs.wait(key, timeout=300)
    assert run.status == runs.DONE, run.error
    assert not run.has_value and tasks.dispatched[key] == 1

    _restart_server(key)
    got = BG.photos_analysis(photos_key, str(tmp_path), None, ws=Workspace("test"))
    assert sorted(got.table["file"]) == ["SKU-0.jpg", "SKU-1.jpg", "SKU-2.jpg"] and len(got.thumbnails) == 3
    assert runs.get(key) is None and tasks.dispatched[key] == 1


def test_saving_orders_sends_the_pages_own_tasks_to_the_workers(tmp_path, monkeypatch):
    """The Data page's save starts recommendations, risk, forecast and customers as worker Tasks
    under the run ids the pages ask for (a page visited meanwhile follows that run), and sends
    the saved dataset's id, not a frame: the server neither loads nor pickles the orders."""
    import pandas as pd

    from ecom_models import forecast as F
    from ecom_models.customers import pipeline as CP
    from ecom_models.forecast import pipeline as FP
    from ecom_models.recommend import pipeline as RP
    from ecom_models.risk import pipeline as KP
    from ecom_ui import jobs

    sent = {}

    def fake_submit(run_id, label, work, *, group="", retry=False):
        sent[run_id] = work
        return runs.Run(id=run_id, label=label, group=group)

    monkeypatch.setattr(runs, "submit", fake_submit)
    orders = demo_store().orders.head(3000)
    ws = Workspace("saving", tmp_path)
    info = ws.save_dataset("orders", "orders", orders)
    jobs.start_for_orders(ws, info, orders)
    key, d, f = info.content_hash, RP.RECOMMEND_DEFAULTS, FP.FORECAST_DEFAULTS
    parts = FP.forecast_key(key, "none", f["metric"], f["by"], f["series_key"], f["horizon"], F.main_country(orders),
                            f["tune"])
    expected = {RP.recommend_key(key, d["k"], d["split"], d["half_life"], d["deep"]), KP.risk_key(key),
                FP.forecast_result_key(parts), CP.customers_key(key, CP.CUSTOMERS_DEFAULTS["horizon_days"])}
    assert set(sent) == expected
    for work in sent.values():
        assert isinstance(work, tasks.Task), work
        assert info.id in work.args and not any(isinstance(a, pd.DataFrame) for a in work.args), work.func
