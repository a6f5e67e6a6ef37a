"""Customer models computed once per dataset and kept in the results store.

Same shape as the other capabilities' pipelines (see ecom_models/workspace/results.py). Kind:
`customers.analysis`, keyed by the dataset's content hash and the horizon.
"""

from __future__ import annotations

from ecom_models.workspace.results import (
    ResultsStore,
    dataclass_from_doc,
    dataclass_to_doc,
    result_key,
)
from ecom_models.workspace.runs import say as _say

CUSTOMERS_VERSION = 1
CUSTOMERS_DEFAULTS = {"horizon_days": 90}


def customers_key(data_key: str, horizon_days: int = 90) -> str:
    return result_key("customers.analysis", [data_key, int(horizon_days)], CUSTOMERS_VERSION)


def customers_analysis(store: ResultsStore, data_key: str, orders, horizon_days: int = 90, run=None):
    """The CustomersResult for these orders, once per dataset and horizon."""
    from ecom_models.customers.analysis import analyse_customers

    def compute():
        _say(run, 0.1, "Fitting the purchase and spend models, and the backtest")
        return analyse_customers(orders() if callable(orders) else orders, horizon_days=horizon_days)

    return store.get_or_compute("customers.analysis", [data_key, int(horizon_days)], compute,
                                to_store=dataclass_to_doc, from_store=customers_from_store, version=CUSTOMERS_VERSION)


def customers_task(ws, data_key: str, orders, horizon_days: int = 90):
    """The analysis as picklable work for a worker process (ecom_models/workspace/tasks.py): the fits are
    Python-heavy, and in the server's threads they slowed every session's page (82 s with five sessions)."""
    from ecom_models.workspace.tasks import Task

    return Task("ecom_models.customers.pipeline:customers_in_worker",
                (ws.name, str(ws.folder), data_key, orders, int(horizon_days)))


def customers_in_worker(ws_name: str, ws_folder: str, data_key: str, orders, horizon_days: int = 90,
                        run=None) -> None:
    """Runs in a worker process: analyse and store (the server reads the stored result)."""
    from ecom_models.workspace.workspace import Workspace

    ws = Workspace(ws_name, ws_folder)
    customers_analysis(ResultsStore(ws), data_key, lambda: ws.frame(orders), horizon_days, run=run)


def customers_from_store(doc):
    from ecom_models.customers.analysis import CustomersResult

    if isinstance(doc, CustomersResult):
        return doc
    return dataclass_from_doc(CustomersResult, doc)


def customers_document(store: ResultsStore, data_key: str, horizon_days: int = 90):
    doc = store.get("customers.analysis", customers_key(data_key, horizon_days))
    return None if doc is None else customers_from_store(doc)


def customers_is_stored(store: ResultsStore, data_key: str, horizon_days: int = 90) -> bool:
    return store.has("customers.analysis", customers_key(data_key, horizon_days))
