"""The support tickets analysis as a background run in a worker process, kept in the results store.

The key is the tickets' content hash and those of the FAQ, the labelled tickets and the saved
intents in use (`analysis_key`, also the run's id); the Data page starts the run when tickets are
saved, and the Customer service page reads the stored analysis or follows the run making it (the
same run for every session). The worker stores the analysis as plain data (kind `support.analysis`,
`store.analysis_to_doc`), so a reload, a restart or another session reads it back instead of
computing it again. An analysis over the store's size cap is not stored (ResultsStore): the worker
then returns it and the server keeps the last few in memory (ecom_models/workspace/runs.py).
"""

from __future__ import annotations

from ecom_models.support.store import ANALYSIS as KIND
from ecom_models.support.store import analysis_from_doc, analysis_to_doc
from ecom_models.workspace.results import ResultsStore, result_key
from ecom_models.workspace.runs import say as _say
from ecom_models.workspace.tasks import Task
from ecom_models.workspace.workspace import content_hash

LABEL = "Customer service analysis"
VERSION = 3  # bump when the analysis (or what is stored of it) changes


def analysis_key(data_key: str, faq=None, examples=None, saved=None) -> str:
    """The results key (and run id). `saved`: the saved intents only when they are used (None otherwise)."""
    parts = [data_key] + [content_hash(f) if f is not None else "-" for f in (faq, examples, saved)]
    return result_key(KIND, parts, VERSION)


def analysis_ready(ws, key: str) -> bool:
    return ResultsStore(ws).has(KIND, key)


def load_analysis(ws, key: str):
    """The stored SupportAnalysis, or None (an entry that no longer reads as one is dropped)."""
    return ResultsStore(ws).get_as(KIND, key, analysis_from_doc)


def analysis_task(ws, key: str, source, faq=None, examples=None, saved=None) -> Task:
    """`key`: analysis_key of these inputs; `source`: a saved dataset's id (read by the worker) or the
    tickets frame itself."""
    return Task("ecom_models.support.pipeline:analyse_and_store",
                (ws.name, str(ws.folder), key, source, faq, examples, saved))


def analyse_and_store(ws_name: str, ws_folder: str, key: str, source, faq, examples, saved, run=None):
    """Runs in a worker process: analyse the tickets and store the analysis. Returns None when it is
    stored, else (over the size cap) the analysis itself."""
    from ecom_models.support.analysis import analyse_tickets
    from ecom_models.workspace.workspace import Workspace

    ws = Workspace(ws_name, ws_folder)
    if analysis_ready(ws, key):
        return None
    if isinstance(source, str):
        _say(run, 0.01, "Reading your tickets from the workspace")
        source = ws.load_dataset(source)
    analysis = analyse_tickets(source, examples=examples, faq=faq, saved=saved, progress=lambda f, m: _say(run, f, m))
    _say(run, 0.99, "Saving the analysis")
    return None if ResultsStore(ws).put(KIND, key, analysis_to_doc(analysis)) else analysis
