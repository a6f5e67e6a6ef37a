"""Risk scores computed once per dataset and kept in the results store.

Pages and the background runs started by the Data page call the same functions, with the same
default settings, so a run started when data arrives fills exactly the result the page will ask
for. `<thing>_key(...)` gives the results key (content hash of the data + every setting + the
version below); `<thing>(store, ..., run=None)` returns the stored result or computes and stores
it, reporting progress to `run` (an `ecom_models.workspace.runs.Run`) if given.

Bump the version when the code behind it changes what it returns: old results are then never
found again and age out through the store's size cap. The results-store kind strings are
persisted data and never change.
"""

from __future__ import annotations

from ecom_models.workspace.results import ResultsStore, dataclass_from_doc, dataclass_to_doc, result_key
from ecom_models.workspace.runs import say as _say

RISK_VERSION = 1


def risk_key(data_key: str) -> str:
    return result_key("risk.scores", [data_key], RISK_VERSION)


def risk_scores(store: ResultsStore, data_key: str, orders, run=None):
    """Every order scored (RiskResult), once per dataset."""
    from ecom_models.risk import scoring as A

    def compute():
        _say(run, 0.1, "Scoring every order with three detectors")
        return A.score_orders(orders)

    return store.get_or_compute("risk.scores", [data_key], compute, to_store=dataclass_to_doc, from_store=risk_from_store,
                                version=RISK_VERSION)


def risk_from_store(doc):
    """A stored risk document back as a RiskResult."""
    from ecom_models.risk import scoring as A

    if isinstance(doc, A.RiskResult):  # the in-process memory layer keeps what was put
        return doc
    result = dataclass_from_doc(A.RiskResult, doc, tuples=("detectors", "ensemble_of"))
    if "reasons" in result.orders:
        result.orders["reasons"] = [list(r) if r is not None else [] for r in result.orders["reasons"]]
    return result


def stored_risk(store: ResultsStore, data_key: str):
    doc = store.get("risk.scores", risk_key(data_key))
    return None if doc is None else risk_from_store(doc)
