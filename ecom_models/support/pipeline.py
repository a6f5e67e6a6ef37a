"""The support tickets analysis as a background run in a worker process, one per key.

The key is the tickets' content hash and those of the FAQ, the labelled tickets and the saved
intents in use (`analysis_key`); the Data page starts the run when tickets are saved, and the
Customer service page follows it (the same run for every session). The analysis holds fitted
text models and nested results the results store does not keep, so the worker returns it
(pickled between the app's own processes only) and the server keeps the last few in memory
(ecom_models/workspace/runs.py); a restart computes it again.
"""

from __future__ import annotations

from ecom_models.workspace.runs import say as _say
from ecom_models.workspace.tasks import Task
from ecom_models.workspace.workspace import content_hash

LABEL = "Customer service analysis"
VERSION = 1


def analysis_key(data_key: str, faq=None, examples=None, saved=None) -> str:
    """`saved`: the saved intents only when they are used (None otherwise)."""
    return "|".join(["support", str(VERSION), data_key, content_hash(faq) if faq is not None else "-",
                     content_hash(examples) if examples is not None else "-",
                     content_hash(saved) if saved is not None else "-"])


def analysis_task(ws, source, faq=None, examples=None, saved=None) -> Task:
    """`source`: a saved dataset's id (read by the worker) or the tickets frame itself."""
    return Task("ecom_models.support.pipeline:analyse", (ws.name, str(ws.folder), source, faq, examples, saved))


def analyse(ws_name: str, ws_folder: str, source, faq, examples, saved, run=None):
    """Runs in a worker process: the SupportAnalysis of these tickets."""
    from ecom_models.support.analysis import analyse_tickets

    if isinstance(source, str):
        from ecom_models.workspace.workspace import Workspace

        _say(run, 0.01, "Reading your tickets from the workspace")
        source = Workspace(ws_name, ws_folder).load_dataset(source)
    return analyse_tickets(source, examples=examples, faq=faq, saved=saved, progress=lambda f, m: _say(run, f, m))
