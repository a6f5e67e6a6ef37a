"""Customer service on a Dask cluster: the ticket embeddings run on the workers."""

from __future__ import annotations

from contextlib import contextmanager

from ecom_models.text.cluster import ClusterEncoder


@contextmanager
def support_on(client):
    """Within this block, the support capability's sentence embeddings run on the cluster."""
    from ecom_models.support import features

    token = features.REMOTE_ENCODER.set(lambda model: ClusterEncoder(client, model=model))
    try:
        yield
    finally:
        features.REMOTE_ENCODER.reset(token)
