"""The product photos analysis as a background run in a worker process, one per photo set.

Keyed by `batch_key` (the photos' content and the products file). The page starts the run as
soon as photos are saved and follows it (the same run for every session). The analysis holds
thumbnails and embeddings in objects the results store does not keep, so the worker returns it
(pickled between the app's own processes only) and the server keeps the last few in memory
(ecom_models/workspace/runs.py).
"""

from __future__ import annotations

from ecom_models.workspace.runs import say as _say
from ecom_models.workspace.tasks import Task

LABEL = "Photo analysis"


def analysis_task(source, products=None) -> Task:
    """`source`: a folder path or the stored photos (`ImageFile`s that point at files)."""
    return Task("ecom_models.images.pipeline:analyse_photos", (source, products))


def analyse_photos(source, products, run=None):
    """Runs in a worker process: the ImageAnalysis of these photos."""
    from ecom_models.images.analysis import analyse

    _say(run, 0.05, "Reading the photos and running the image model")
    return analyse(source, products=products)
