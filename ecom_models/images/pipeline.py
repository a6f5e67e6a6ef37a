"""The product photos analysis as a background run in a worker process, kept in the results store.

Keyed by the photo set (`batch_key`: the photos' names, sizes and times, and the products file; or
the demo store's key) and the products table's content (`analysis_key`, also the run's id). The
page starts the run as soon as photos are saved and reads the stored analysis or follows the run
(the same run for every session). The worker stores the analysis as plain data (kind
`images.analysis`, `store.analysis_to_doc`: tables, embeddings, fingerprints, thumbnails as JPEG
bytes), so a reload, a restart or another session reads it back instead of running the image model
again. An analysis over the store's size cap is not stored (ResultsStore): the worker then returns
it and the server keeps the last few in memory (ecom_models/workspace/runs.py).
"""

from __future__ import annotations

from ecom_models.images.store import ANALYSIS as KIND
from ecom_models.images.store import analysis_from_doc, analysis_to_doc
from ecom_models.workspace.results import ResultsStore, result_key
from ecom_models.workspace.runs import say as _say
from ecom_models.workspace.tasks import Task
from ecom_models.workspace.workspace import content_hash

LABEL = "Photo analysis"
VERSION = 2  # bump when the analysis (or what is stored of it) changes (2: tiny photos' mutual-match limits)


def analysis_key(photos_key: str, products=None) -> str:
    """The results key (and run id) of a photo set's analysis with these products."""
    return result_key(KIND, [photos_key, content_hash(products) if products is not None else "-"], VERSION)


def analysis_ready(ws, key: str) -> bool:
    return ResultsStore(ws).has(KIND, key)


def load_analysis(ws, key: str):
    """The stored ImageAnalysis, or None (an entry that no longer reads as one is dropped)."""
    return ResultsStore(ws).get_as(KIND, key, analysis_from_doc)


def analysis_task(ws, key: str, source, products=None) -> Task:
    """`key`: analysis_key of these photos; `source`: a folder path or the stored photos (`ImageFile`s
    that point at files)."""
    return Task("ecom_models.images.pipeline:analyse_and_store", (ws.name, str(ws.folder), key, source, products))


def analyse_and_store(ws_name: str, ws_folder: str, key: str, source, products, run=None):
    """Runs in a worker process: analyse the photos and store the analysis. Returns None when it is
    stored, else (over the size cap) the analysis itself."""
    from ecom_models.images.analysis import analyse
    from ecom_models.workspace.workspace import Workspace

    ws = Workspace(ws_name, ws_folder)
    if analysis_ready(ws, key):
        return None
    _say(run, 0.05, "Reading the photos and running the image model")
    analysis = analyse(source, products=products)
    _say(run, 0.99, "Saving the analysis")
    return None if ResultsStore(ws).put(KIND, key, analysis_to_doc(analysis)) else analysis
