"""Product photos on a Dask cluster: each chunk of photos is decoded, checked and embedded on a
worker (images.analyse with map_chunks=image_chunk_runner(client))."""

from __future__ import annotations

from pathlib import Path

from ecom_models.core.cluster import ensure_code, ensure_model, n_workers, portable, single_threaded, worker_model_dir


def _image_chunk(files: list[tuple[str, bytes]], wanted: dict[str, str], kwargs: dict) -> dict:
    single_threaded()
    from ecom_models.images import model
    from ecom_models.images.analysis import analyse_chunk
    from ecom_models.images.files import ImageFile

    folder = worker_model_dir("efficientnet_lite0", wanted)
    if folder is None:
        raise RuntimeError("the image model is not on this worker")
    if Path(folder) != model.MODEL_FILE.parent:  # a worker without the bundled files: use the shipped copy
        model.MODEL_FILE = Path(folder) / model.MODEL_FILE.name
        model.CLASSES_FILE = Path(folder) / model.CLASSES_FILE.name
        model._session.cache_clear()
        model.class_names.cache_clear()
    return analyse_chunk([ImageFile(name, data=data) for name, data in files], **kwargs)


def image_chunk_runner(client, in_flight: int | None = None):
    """A `map_chunks` for images.analyse: each chunk of photos is decoded, checked and embedded on
    a worker. The photos travel as bytes (workers need no shared disk); at most `in_flight`
    chunks are out at once, so the client never holds the whole catalog in memory. Results come
    back in chunk order."""
    from collections import deque

    def run(fn, chunks, **kwargs):
        # fn is images.analyse_chunk; workers import it themselves (nothing of ours on the wire)
        ensure_code(client)
        wanted = ensure_model(client, "efficientnet_lite0")
        window = in_flight or 4 * n_workers(client)
        todo = iter(chunks)
        pending: deque = deque()

        def submit(chunk):
            payload = [(f.name, f.content()) for f in chunk]
            pending.append(client.submit(portable(_image_chunk), payload, wanted, kwargs, pure=False))

        for chunk in todo:
            submit(chunk)
            if len(pending) >= window:
                break
        while pending:
            result = pending.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                submit(nxt)
            yield result

    return run
