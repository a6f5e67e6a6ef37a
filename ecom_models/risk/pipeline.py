"""Risk scores computed once per dataset and kept in the results store.

Every capability's `pipeline.py` has this shape (keys, versions, progress): see the
"Capability pipelines" part of ecom_models/workspace/results.py. Kinds: `risk.scores`, `risk.catch`.
"""

from __future__ import annotations

from ecom_models.workspace.results import ResultsStore, dataclass_from_doc, dataclass_to_doc, result_key
from ecom_models.workspace.runs import say as _say

RISK_VERSION = 1
CATCH_VERSION = 1
CATCH_CAPACITY = 5.0  # reviews per day at which the synthetic-fraud test is run (any capacity is read off it)


def risk_key(data_key: str) -> str:
    return result_key("risk.scores", [data_key], RISK_VERSION)


def risk_scores(store: ResultsStore, data_key: str, orders, run=None):
    """Every order scored (RiskResult), once per dataset."""
    from ecom_models.risk.scoring import score_orders

    def compute():
        _say(run, 0.1, "Scoring every order with three detectors")
        return score_orders(orders)

    return store.get_or_compute("risk.scores", [data_key], compute, to_store=dataclass_to_doc, from_store=risk_from_store,
                                version=RISK_VERSION)


def risk_from_store(doc):
    """A stored risk document back as a RiskResult."""
    from ecom_models.risk.scoring import RiskResult

    if isinstance(doc, RiskResult):  # the in-process memory layer keeps what was put
        return doc
    result = dataclass_from_doc(RiskResult, doc, tuples=("detectors", "ensemble_of"))
    if "reasons" in result.orders:
        result.orders["reasons"] = [list(r) if r is not None else [] for r in result.orders["reasons"]]
    return result


def risk_document(store: ResultsStore, data_key: str):
    """The stored scores as kept (decode with `risk_from_store`, once: they are large), or None."""
    return store.get("risk.scores", risk_key(data_key))


def risk_is_stored(store: ResultsStore, data_key: str) -> bool:
    return store.has("risk.scores", risk_key(data_key))


def catch_key(data_key: str) -> str:
    return result_key("risk.catch", [data_key, CATCH_CAPACITY, 60], CATCH_VERSION)


def catch_is_stored(store: ResultsStore, data_key: str) -> bool:
    return store.has("risk.catch", catch_key(data_key))


def stored_catch(store: ResultsStore, data_key: str):
    """The kept CatchEvidence for this dataset, or None (nothing is measured here)."""
    from ecom_models.core.evidence import CatchEvidence

    doc = store.get("risk.catch", catch_key(data_key))
    return None if doc is None else CatchEvidence(**doc)


def catch_evidence(store: ResultsStore, data_key: str, orders):
    """How much synthetic fraud the review queue catches on these orders (a CatchEvidence),
    measured once per dataset: shared by the Risk and Business value pages, and kept so that a
    restart does not score the injected copy again."""
    from dataclasses import asdict

    from ecom_models.core.evidence import CatchEvidence
    from ecom_models.risk.inject import measure_catch

    return store.get_or_compute("risk.catch", [data_key, CATCH_CAPACITY, 60],
                                lambda: measure_catch(orders, CATCH_CAPACITY), to_store=asdict,
                                from_store=lambda doc: CatchEvidence(**doc), version=CATCH_VERSION)


def risk_task(ws, data_key: str, orders):
    """The scoring as picklable work for a worker process (ecom_models/workspace/tasks.py).
    `orders`: a frame, or a saved dataset's id (the worker reads it)."""
    from ecom_models.workspace.tasks import Task

    return Task("ecom_models.risk.pipeline:score_in_worker", (ws.name, str(ws.folder), data_key, orders))


def score_in_worker(ws_name: str, ws_folder: str, data_key: str, orders, run=None):
    """Runs in a worker process: score and store (the server reads the stored scores), then, on a
    later turn (`MORE`: other pages' first results go first), the test on synthetic fraud that the
    Risk page's money tab and the Business value page read (tens of seconds: it scores a copy)."""
    from ecom_models.workspace.tasks import MORE
    from ecom_models.workspace.workspace import Workspace

    ws = Workspace(ws_name, ws_folder)
    store = ResultsStore(ws)
    if not risk_is_stored(store, data_key):
        risk_scores(store, data_key, ws.frame(orders), run=run)
        if not catch_is_stored(store, data_key):
            if run is not None:
                run.reached("scores")
            return MORE
    if not catch_is_stored(store, data_key):
        _say(run, 0.5, "Testing the detector on synthetic fraud in a copy of your orders")
        catch_evidence(store, data_key, ws.frame(orders))
    return None
