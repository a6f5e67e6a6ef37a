"""The reviews analysis as a background run: computed once per reviews dataset in a worker
process and kept in the results store (kind `sentiment.analysis`, ecom_models.reviews.store).

Keys, versions and progress follow ecom_models/workspace/results.py ("Capability pipelines").
The Data page starts the run when reviews are saved; the Reviews page reads the stored analysis,
or follows the run that is making it (the same run for every session).
"""

from __future__ import annotations

from ecom_models.reviews.store import MODEL_VERSION, load_analysis, save_analysis
from ecom_models.workspace.results import ResultsStore, result_key
from ecom_models.workspace.runs import say as _say
from ecom_models.workspace.tasks import Task

KIND = "sentiment.analysis"  # persisted: never changes
LABEL = "Reviews analysis"


def analysis_key(data_key: str) -> str:
    """The results key (and run id) of a reviews dataset's analysis."""
    return result_key(KIND, [data_key], MODEL_VERSION)


def analysis_ready(ws, data_key: str) -> bool:
    return ResultsStore(ws).has(KIND, analysis_key(data_key))


def analysis_task(ws, data_key: str, source) -> Task:
    """The picklable work: `source` is a saved dataset's id (the worker reads it from the
    workspace) or a frame (the demo store's reviews, small)."""
    return Task("ecom_models.reviews.pipeline:analyse_and_store", (ws.name, str(ws.folder), data_key, source))


def analyse_and_store(ws_name: str, ws_folder: str, data_key: str, source, run=None):
    """Runs in a worker process: read the reviews, analyse them, store the analysis. Returns None when
    it is stored, else (over the store's size cap) the analysis itself, which the server keeps on the
    run (runs.py) instead of starting the run again and again."""
    from ecom_models.reviews.analysis import analyse_reviews
    from ecom_models.workspace.workspace import Workspace

    ws = Workspace(ws_name, ws_folder)
    if analysis_ready(ws, data_key):
        return
    _say(run, 0.01, "Reading your reviews from the workspace")
    df = ws.load_dataset(source) if isinstance(source, str) else source
    result = analyse_reviews(df, progress=lambda f, msg: _say(run, f, msg))
    _say(run, 0.99, "Saving the analysis")
    return None if save_analysis(ws, data_key, result) else result


__all__ = ["KIND", "LABEL", "analyse_and_store", "analysis_key", "analysis_ready", "analysis_task", "load_analysis"]
