"""The Business value page's inputs, keys and kept levers: what it computes once per dataset.

`lever_inputs` lists each lever's inputs with the key that identifies them (the datasets' content hashes,
a hash of the merchant's fraud decisions); `ready_key` and `summary_key` identify a set of levers and a
summary. `lever` reads a lever from the results store (kind `value.lever`, keyed by the model, that key
and `VALUE_VERSION`) or computes it (`compute_lever`: with the model pages' own kept results where they
exist: the Recommendations page's report, the Forecast page's default forecast, the Risk page's scores and
its test on synthetic fraud, kind `risk.catch`, and the Reviews page's saved analysis) and keeps it.
The results store is passed in (the app's or a test's); nothing here knows Streamlit, whose caches stay
in ecom_ui/value.py.

The page values its levers in a worker process (`levers_task`, ecom_models/workspace/tasks.py), one run
per set of inputs for every session: the fits and scorings behind them (risk scores, the synthetic-fraud
test, a forecast, photo checks) held the web server's loop for tens of seconds when done in its threads.
"""

from __future__ import annotations

import hashlib
import json
from typing import Callable, NamedTuple

from ecom_models.value import compute
from ecom_models.value.summary import Lever

VALUE_VERSION = 3  # bump when a valuation or the shape of its evidence changes (3: rank-aware risk decisions)
RESULT_KIND = "value.lever"  # persisted: never rename
CATCH_KIND = "risk.catch"  # the Risk page's test of the review queue on synthetic fraud (shared with it)
CATCH_PARAMS = (5.0, 60)  # (review capacity per day, injected fraud orders) it is measured at: as the Risk page
CATCH_VERSION = 1


# --------------------------------------------------------------------------------------------
# Inputs and keys
# --------------------------------------------------------------------------------------------
def decided_labels(ws) -> dict:
    """The merchant's fraud decisions (Risk page), or {} when there are none or they cannot be read."""
    try:
        from ecom_models.risk import load_labels

        return load_labels(ws)
    except Exception:
        return {}


def labels_key(labels: dict) -> str:
    """A hash of the decisions, stable across restarts (it keys the risk lever)."""
    return hashlib.sha256(json.dumps(sorted(labels.items())).encode()).hexdigest()[:16]


def lever_inputs(orders, *, reviews=None, experiment=None, traffic=None, labels: dict | None = None,
                 photo_folder: str | None = None, products=None,
                 review_analysis: Callable[[], object] | None = None) -> list[tuple[str, str, tuple, dict]]:
    """(model, key, args, kwargs) per lever, in the page's order. `orders`, `reviews`, `experiment` and
    `traffic` are datasets with `.key` (content hash) and `.df`; the key of each lever names every input
    it reads, so a stored lever is only read back for the same data and settings. `review_analysis` is
    called only when the reviews lever is computed (it loads the Reviews page's saved analysis)."""
    labels = labels or {}
    return [
        ("recommendations", orders.key, (orders.df,), {}),
        ("forecasting", orders.key, (orders.df,), {}),
        ("risk", f"{orders.key}|labels={labels_key(labels)}", (orders.df,), {"_labels": labels}),
        ("reviews", f"{orders.key}|{reviews.key if reviews else 'none'}",
         (orders.df, reviews.df if reviews else None, review_analysis), {}),
        ("images", f"{orders.key}|{photo_folder}", (orders.df, photo_folder, products), {}),
        ("winback", orders.key, (orders.df,), {}),
        ("abtest", f"{orders.key}|{experiment.key if experiment else 'none'}|{traffic.key if traffic else 'none'}",
         (orders.df, experiment.df if experiment else None, traffic.df if traffic else None), {}),
    ]


def ready_key(jobs: list[tuple[str, str, tuple, dict]]) -> str:
    """One key for the whole set of levers (the page shows its progress until they are all there)."""
    return "value-ready|" + "|".join(k for _, k, _, _ in jobs)


def summary_key(ready: str, effective: dict, costs, ab_replaces: str | None, levers: dict[str, Lever]) -> str:
    """The key of a summary: the levers, the edited assumptions, the costs, the A/B choice and the
    values of the estimates saved by the model pages."""
    return ready + "|" + json.dumps([effective, [costs.monthly_cost, costs.setup_cost, costs.gross_margin], ab_replaces,
                                     sorted((m, lv.source, lv.estimate.monthly_value if lv.source == "saved" else None)
                                            for m, lv in levers.items())], default=str)


# --------------------------------------------------------------------------------------------
# Levers, kept in the results store
# --------------------------------------------------------------------------------------------
def lever(store, model: str, key: str, orders, other=None, third=None, labels=None,
          forecast_traffic: Callable[[], object] | None = None) -> Lever:
    """One model's lever: from the results store when it was kept for this key, else computed and kept
    (failures are retried, not kept). `store` may be None (nothing is read or kept)."""
    rkey = None
    try:
        if store is not None:
            rkey = store.key(RESULT_KIND, [model, key], version=VALUE_VERSION)
            doc = store.get(RESULT_KIND, rkey)
            if doc is not None:
                return compute.lever_from_store(doc)
    except Exception:  # a store that cannot be read only costs a recomputation
        store = None
    found = compute_lever(store, model, key, orders, other, third, labels, forecast_traffic)
    if store is not None and found.estimate is not None:
        try:
            store.put(RESULT_KIND, rkey, compute.lever_to_store(found))
        except Exception:
            pass
    return found


def compute_lever(store, model: str, key: str, orders, other=None, third=None, labels=None,
                  forecast_traffic: Callable[[], object] | None = None) -> Lever:
    """Compute one lever from `lever_inputs`' arguments, re-using the model pages' kept results."""
    data_key = key.split("|")[0]
    if model == "recommendations":  # the Recommendations page's kept report (results store)
        return compute.lever_recommendations(orders, report=_kept(store, "recommendations", data_key, orders))
    if model == "forecasting":  # the Forecast page's kept default forecast (results store)
        return compute.lever_forecasting(orders, result=_kept(store, "forecasting", data_key, orders, forecast_traffic))
    if model == "risk":
        result = None
        if labels:  # decisions are placed in or out of the review queue with the store's own scores
            try:  # the Risk page's kept scores (results store), computed once for both pages
                from ecom_models.risk.pipeline import risk_scores

                result = risk_scores(store, data_key, orders) if store is not None else None
            except Exception:
                result = None
        try:  # one test of the detector per dataset, shared with the Risk page
            catch = catch_evidence(store, data_key, orders)
        except Exception:
            catch = None
        return compute.lever_risk(orders, labels=labels, result=result, catch=catch)
    if model == "abtest":
        return compute.lever_abtest(other, orders, third)
    if model == "reviews":
        analysis = third() if callable(third) else third  # loaded lazily: only when not kept
        return compute.lever_reviews(other, orders, analysis=analysis)
    if model == "images":
        return compute.lever_images(other, third, orders)
    if model == "winback":  # the Customers page's kept analysis (results store)
        return compute.lever_winback(orders, result=_kept(store, "customers", data_key, orders))
    return Lever(model, problem="Unknown model.", source="missing")


def _kept(store, model: str, data_key: str, orders, forecast_traffic=None):
    """The model page's result for the same data from the results store (computed and kept there if
    missing, or waited for if a background run is making it); None if that fails, and the lever then
    computes its own."""
    if store is None:
        return None
    try:
        if model == "recommendations":
            from ecom_models.recommend.pipeline import recommendations_for_value

            return recommendations_for_value(store, data_key, orders)
        if model == "customers":
            from ecom_models.customers.pipeline import customers_analysis

            return customers_analysis(store, data_key, orders)
        from ecom_models.forecast.pipeline import default_forecast

        # the traffic the Forecast page uses, so that its kept forecast is the one found
        traffic = forecast_traffic() if callable(forecast_traffic) else forecast_traffic
        return default_forecast(store, data_key, orders, traffic=traffic)
    except Exception:
        return None


def catch_evidence(store, data_key: str, orders):
    """How much synthetic fraud the review queue catches on these orders (`CatchEvidence`), kept in the
    results store under the same kind, params and version as the Risk page's, so either page's
    measurement serves both and a restart does not score the injected copy again."""
    from dataclasses import asdict

    from ecom_models.core.evidence import CatchEvidence
    from ecom_models.risk.inject import measure_catch

    capacity, n = CATCH_PARAMS
    if store is None:
        return measure_catch(orders, capacity, n)
    try:
        return store.get_or_compute(CATCH_KIND, [data_key, *CATCH_PARAMS], lambda: measure_catch(orders, capacity, n),
                                    to_store=asdict, from_store=lambda doc: CatchEvidence(**doc), version=CATCH_VERSION)
    except Exception:  # a store that cannot be used only costs the measurement
        return measure_catch(orders, capacity, n)


def saved_review_analysis(ws, reviews):
    """The Reviews page's saved analysis of these reviews (results store, under their data key), if any."""
    if reviews is None:
        return None
    try:
        from ecom_models.reviews.store import load_analysis

        return load_analysis(ws, reviews.key, reviews.df)
    except Exception:
        return None


# --------------------------------------------------------------------------------------------
# All levers at once, in a worker process
# --------------------------------------------------------------------------------------------
LABEL = "Business value"


class Data(NamedTuple):
    """What a lever reads of a dataset (its content key and frame), picklable for a worker."""

    key: str
    df: object


def stored_lever(store, model: str, key: str) -> Lever | None:
    """The lever kept for this key, priced again from its evidence; None if none is kept."""
    try:
        doc = store.get(RESULT_KIND, store.key(RESULT_KIND, [model, key], version=VALUE_VERSION))
    except Exception:  # a store that cannot be read: the levers are computed again
        return None
    return None if doc is None else compute.lever_from_store(doc)


def levers_run_key(ws, ready: str) -> str:
    """The run id of one set of levers in one workspace (`ready_key` names every input; hashed: it is
    long). The run's value is what the page shows: another workspace's decisions are not these."""
    return "value.levers|" + hashlib.sha256(f"{ws.folder}|{ws.name}|{ready}".encode()).hexdigest()[:24]


def levers_task(ws, jobs: list[tuple[str, str, tuple, dict]], reviews=None, forecast_traffic=None):
    """Every lever of `jobs` (`lever_inputs`) as picklable work for a worker process. Callables in the
    jobs are dropped: the worker loads the Reviews page's saved analysis itself (from `reviews`, a
    `Data` or None). `forecast_traffic`: the traffic the Forecast page uses (a `Data` or None)."""
    from ecom_models.workspace.tasks import Task

    plain = [(model, key, tuple(None if callable(a) else a for a in args), dict(kw)) for model, key, args, kw in jobs]
    return Task("ecom_models.value.pipeline:levers_in_worker", (ws.name, str(ws.folder), plain, reviews,
                                                                forecast_traffic))


def levers_in_worker(ws_name: str, ws_folder: str, jobs, reviews=None, forecast_traffic=None, run=None) -> dict:
    """Runs in a worker process: each lever from the results store, else computed and kept there.
    Returns {model: plain document} (`compute.lever_to_store`), levers without an estimate included
    (those are not kept in the store: they are retried on a later run)."""
    from ecom_models.value.levers import TITLES, WHAT_IT_MEASURES
    from ecom_models.workspace.results import ResultsStore
    from ecom_models.workspace.runs import say
    from ecom_models.workspace.workspace import Workspace

    ws = Workspace(ws_name, ws_folder)
    store = ResultsStore(ws)
    docs = {}
    for i, (model, key, args, kw) in enumerate(jobs):
        say(run, i / len(jobs), f"{TITLES[model]}: {WHAT_IT_MEASURES[model]}")
        if model == "reviews":
            args = (*args[:2], (lambda: saved_review_analysis(ws, reviews)) if reviews is not None else None)
        found = lever(store, model, key, *args, labels=kw.get("_labels"), forecast_traffic=forecast_traffic)
        docs[model] = compute.lever_to_store(found)
    return docs
