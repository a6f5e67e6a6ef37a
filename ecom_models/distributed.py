"""Batch scoring on a Dask cluster: risk scores, review sentiment, product photos (and support).

    with connect("tcp://scheduler:8786") as client:      # or ECOM_DASK_SCHEDULER
        result = score_orders(orders, client)             # = anomaly.score_orders(orders)
        analysis = sentiment.analyse_reviews(reviews, encoder=ClusterEncoder(client))

Each capability keeps its own public functions; this module only decides what runs where.
Results are those of one process: identical scores for risk, equal within float tolerance
for the neural models (a batch padded to another length changes the last bits).

Risk (`score_orders`)
- Order features, feature surprises, ranks, the ensemble and the reasons stay in the client
  (they need the whole store: a product's usual price, a customer's history).
- Isolation Forest is fitted once in the client: its trees are grown on random samples of
  `max_samples` orders (the forest's own sampling, with the same seed as one process), then
  the fitted forest is sent to the workers, which score the orders in row partitions.
  One process scores the training orders twice (PyOD's fit computes sklearn's offset and then
  the scores); here each order is scored once, and the offset (a constant) does not change ranks.
- ECOD and COPOD score each feature column from that column's empirical distribution and add
  the columns up; the columns are split over the workers (each runs PyOD's own fit on its
  columns) and the per-column sums are added.
- Workers run one thread each with BLAS/OpenMP limited to one thread, so two workers on two
  cores do twice the work instead of fighting over the cores.

Reviews (`ClusterEncoder`): the sentence embeddings (the bulk of the work) are computed on the
workers, in partitions of distinct sentences; the heads, the fine-tuning on star ratings and
the comparison with VADER run in the client as without a cluster.

Model files reach the workers with the code: a worker built from this repository (the usual
image for dask-kubernetes or dask-cloudprovider) has them in data/models/. A worker that lacks
them, or holds other versions, gets the client's bundled files (checked by SHA-256, cached in
the worker's temporary folder). Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import os
import threading
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from ecom_models.errors import InputError

ENV = "ECOM_DASK_SCHEDULER"
MODELS_ROOT = Path(__file__).resolve().parents[1] / "data" / "models"
# One process's Isolation Forest (anomaly.detector_scores): the same trees need the same settings.
IFOREST = {"n_estimators": 200, "max_samples": 512}
SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                     "NUMEXPR_NUM_THREADS": "1", "ECOM_VISION_THREADS": "1"}


# ---------------------------------------------------------------------------------------
# Connecting
# ---------------------------------------------------------------------------------------
def add_argument(parser) -> None:
    """The `--dask-scheduler` flag shared by the batch commands."""
    parser.add_argument("--dask-scheduler", metavar="ADDRESS", default=None,
                        help=f"spread the work over a Dask cluster (e.g. tcp://10.0.0.5:8786; default: ${ENV}, "
                             "else one process)")


def scheduler_address(value: str | None = None) -> str | None:
    return value or os.environ.get(ENV) or None


@contextmanager
def connect(address: str, timeout: str | None = None):
    """A client of the scheduler at `address`; a clear message when it cannot be reached
    (after ECOM_DASK_TIMEOUT, default 20s)."""
    from distributed import Client

    timeout = timeout or os.environ.get("ECOM_DASK_TIMEOUT") or "20s"
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"could not reach the Dask scheduler at {address} ({type(exc).__name__}).",
                         fix=f"start the cluster first, check the address (tcp://host:8786), or unset {ENV} "
                             "and drop --dask-scheduler to run in one process.") from None
    try:
        if _worker_count(client) == 0:
            client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError):
        client.close()
        raise InputError(f"the Dask scheduler at {address} has no workers.",
                         fix="start at least one worker (dask worker ADDRESS), or run without --dask-scheduler.") from None
    _tasks_by_value()
    try:
        yield client
    finally:
        client.close()


def _tasks_by_value() -> None:
    """This module's task functions travel by value: the scheduler (which unpickles task graphs)
    and the workers need not have this project installed to run them."""
    import sys

    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])


def _portable(fn):
    """fn wrapped so that the scheduler, which unpickles task graphs, needs nothing of this
    project: plain pickle cannot take a lambda, so distributed falls back to cloudpickle, which
    carries fn (this module is registered by value) instead of a reference to ecom_models."""
    _tasks_by_value()
    return lambda *args, **kwargs: fn(*args, **kwargs)


def _has_code() -> bool:
    import importlib.util

    return importlib.util.find_spec("ecom_models") is not None


def ensure_code(client) -> None:
    """Workers that cannot import ecom_models (a plain Dask image) get this project's Python code
    (a zip of the package, no data) through client.upload_file. Workers built from this
    repository already have it and get nothing."""
    import zipfile

    _tasks_by_value()
    missing = [w for w, ok in client.run(_portable(_has_code)).items() if not ok]
    if not missing:
        return
    package = Path(__file__).resolve().parent
    folder = Path(tempfile.mkdtemp(prefix="ecom-code-"))
    target = folder / "ecom_models_code.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(package.rglob("*.py")):
            zf.write(f, Path("ecom_models") / f.relative_to(package))
    client.upload_file(str(target))


def _takes_n_workers(client) -> bool:
    import inspect

    return "n_workers" in inspect.signature(client.scheduler_info).parameters


def _worker_count(client) -> int:
    # recent versions list only 5 workers unless asked for all
    info = client.scheduler_info(n_workers=-1) if _takes_n_workers(client) else client.scheduler_info()
    return len(info.get("workers", {}))


def n_workers(client) -> int:
    return max(1, _worker_count(client))


def _single_threaded() -> None:
    """In a worker: BLAS and OpenMP on one thread (one worker per core does the parallelism)."""
    for k, v in SINGLE_THREAD_ENV.items():
        os.environ.setdefault(k, v)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover
        pass


def warm_up(client) -> None:
    """Import the scoring libraries on every worker once (so a timing measures the work)."""
    def _imports():
        _single_threaded()
        import pyod.models.copod  # noqa: F401
        import pyod.models.ecod  # noqa: F401
        import sklearn.ensemble  # noqa: F401

        return True

    client.run(_portable(_imports))


def _partitions(n: int, parts: int) -> list[tuple[int, int]]:
    bounds = np.linspace(0, n, max(1, min(parts, n)) + 1).astype(int)
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


# ---------------------------------------------------------------------------------------
# Risk scores
# ---------------------------------------------------------------------------------------
def _iforest_partition(forest, X: np.ndarray) -> np.ndarray:
    _single_threaded()
    return -forest.score_samples(X)


def _column_detector(name: str, X: np.ndarray) -> np.ndarray:
    """PyOD's ECOD / COPOD on some of the columns: their per-column terms, summed."""
    _single_threaded()
    if name == "ecod":
        from pyod.models.ecod import ECOD as Model
    else:
        from pyod.models.copod import COPOD as Model
    return Model().fit(X).decision_scores_


def cluster_scorer(client, partitions: int | None = None):
    """A drop-in for anomaly.detector_scores that runs the detectors on the cluster."""

    _tasks_by_value()

    def scorer(s: pd.DataFrame, detectors, random_state: int = 0) -> pd.DataFrame:
        from sklearn.ensemble import IsolationForest

        from ecom_models import anomaly as A

        X = np.column_stack([s[list(cols)].to_numpy(float).max(axis=1) for cols in A.SIGNALS.values()])
        workers = n_workers(client)
        parts = partitions or 4 * workers
        futures = {}
        if "iforest" in detectors:
            # the forest's trees: fitted once, here, on its own random samples of orders (cheap);
            # contamination "auto" skips sklearn's scoring of every order just to set an offset
            forest = IsolationForest(n_estimators=IFOREST["n_estimators"], max_samples=min(IFOREST["max_samples"], len(X)),
                                     contamination="auto", max_features=1.0, bootstrap=False, n_jobs=1,
                                     random_state=random_state).fit(X)
            [forest_f] = client.scatter([forest], broadcast=True)
            futures["iforest"] = [client.submit(_portable(_iforest_partition), forest_f, X[a:b], pure=False)
                                  for a, b in _partitions(len(X), parts)]
        for name in ("ecod", "copod"):
            if name in detectors:
                groups = np.array_split(np.arange(X.shape[1]), min(X.shape[1], max(2, workers)))
                futures[name] = [client.submit(_portable(_column_detector), name, np.ascontiguousarray(X[:, g]), pure=False)
                                 for g in groups if len(g)]
        out = {}
        for name in detectors:
            if name == "tail":
                top = -np.sort(-X, axis=1)
                out[name] = top[:, 0] + 0.5 * top[:, 1]
            elif name == "iforest":
                out[name] = np.concatenate(client.gather(futures[name]))
            elif name in ("ecod", "copod"):
                out[name] = np.sum(client.gather(futures[name]), axis=0)
            else:
                raise ValueError(f"unknown detector {name}")
        return pd.DataFrame(out, index=s.index)

    return scorer


def score_orders(orders: pd.DataFrame, client, contamination: float = 0.01, partitions: int | None = None,
                 **kwargs):
    """anomaly.score_orders with the detectors on the cluster: the same RiskResult."""
    from ecom_models import anomaly as A

    return A.score_orders(orders, contamination=contamination, scorer=cluster_scorer(client, partitions), **kwargs)


# ---------------------------------------------------------------------------------------
# Bundled model files on the workers
# ---------------------------------------------------------------------------------------
def manifest(model: str) -> dict[str, str]:
    """{file name: sha256} of a bundled model folder (data/models/<model>)."""
    folder = MODELS_ROOT / model
    if not folder.is_dir():
        raise InputError(f"the bundled model '{model}' is missing ({folder}).",
                         fix="reinstall the project; model files ship with it in data/models/.")
    return {p.name: _sha256(p) for p in sorted(folder.iterdir()) if p.is_file()}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _local_models_root() -> Path:
    """On a worker: data/models next to the ecom_models it imports (this module travels by
    value, so its own MODELS_ROOT is the client's path)."""
    import importlib.util

    spec = importlib.util.find_spec("ecom_models")
    if spec is not None and spec.origin and Path(spec.origin).exists():
        return Path(spec.origin).resolve().parents[1] / "data" / "models"
    return MODELS_ROOT


def _worker_model_dir(model: str, wanted: dict[str, str]) -> str | None:
    """On a worker: a folder holding exactly the client's model files, or None."""
    for folder in (_local_models_root() / model, Path(tempfile.gettempdir()) / "ecom_models_cache" / model / _key(wanted)):
        if all((folder / name).is_file() for name in wanted):
            if folder.parent.name == "models" and not all(_sha256(folder / n) == h for n, h in wanted.items()):
                continue
            return str(folder)
    return None


def _key(wanted: dict[str, str]) -> str:
    return hashlib.sha256("".join(f"{k}{v}" for k, v in sorted(wanted.items())).encode()).hexdigest()[:16]


def _install_model(model: str, wanted: dict[str, str], files: dict[str, bytes]) -> str:
    folder = Path(tempfile.gettempdir()) / "ecom_models_cache" / model / _key(wanted)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        if hashlib.sha256(data).hexdigest() != wanted[name]:
            raise RuntimeError(f"model file {name} damaged in transit")
        # one part file per process: two workers on one host may install the same model at once
        tmp = folder / f".{name}.{os.getpid()}.{threading.get_ident()}.part"
        tmp.write_bytes(data)
        tmp.replace(folder / name)
    return str(folder)


def ensure_model(client, model: str) -> dict[str, str]:
    """Make sure every worker holds the client's bundled files of `model`; returns the manifest."""
    wanted = manifest(model)
    found = client.run(_portable(_worker_model_dir), model, wanted)
    missing = [w for w, folder in found.items() if folder is None]
    if missing:
        files = {name: (MODELS_ROOT / model / name).read_bytes() for name in wanted}
        client.run(_portable(_install_model), model, wanted, files, workers=missing)
    return wanted


# ---------------------------------------------------------------------------------------
# Reviews: sentence embeddings on the workers
# ---------------------------------------------------------------------------------------
def _worker_cache() -> dict:
    """A per-worker-process cache (module globals travel by value, so they cannot hold it)."""
    import builtins

    cache = getattr(builtins, "_ecom_worker_cache", None)
    if cache is None:
        cache = {}
        builtins._ecom_worker_cache = cache
    return cache


MODEL_FOLDERS = {"minilm": "minilm", "multilingual": "multilingual_e5"}


def _driver_model(model: str):
    """The client's own encoder object for `model`: only its tokenizer is used here, so the
    partitions are cut on exactly the batches one process would run."""
    if model == "minilm":
        from ecom_models.sentiment import get_encoder

        return get_encoder()
    from ecom_models import text_encoder

    return text_encoder.get_model(model)


def _encode_partition(texts: list[str], wanted: dict[str, str], batch_size: int, model: str = "minilm"):
    _single_threaded()
    key = ("encoder", model, _key(wanted))
    encoder = _worker_cache().get(key)
    if encoder is None:
        folder = _worker_model_dir(MODEL_FOLDERS[model], wanted)
        if folder is None:
            raise RuntimeError("the text model is not on this worker")
        if model == "minilm":
            from ecom_models.sentiment import Encoder

            encoder = Encoder(model_dir=folder, threads=1)
        else:
            from ecom_models.text_encoder import _E5Model

            encoder = _E5Model(model_dir=folder, threads=1)
        _worker_cache()[key] = encoder
    if model == "minilm":
        return encoder.encode(texts, batch_size=batch_size)
    return encoder.encode(texts, batch_size=batch_size, return_truncated=True)


class ClusterEncoder:
    """Stands in for sentiment.Encoder (model "minilm") or text_encoder's multilingual model
    ("multilingual"): `encode` runs on the cluster's workers, in partitions.

    Pass it as `encoder=` to sentiment.analyse_reviews (or encode_unique); support uses it
    through `support_on(client)`."""

    def __init__(self, client, partitions: int | None = None, min_partition: int = 256, model: str = "minilm"):
        if model not in MODEL_FOLDERS:
            raise ValueError(f"unknown text model {model!r}")
        self.client = client
        self.partitions = partitions
        self.min_partition = min_partition
        self.model = model
        self._wanted = None

    def encode(self, texts: list[str], batch_size: int = 64, progress=None) -> tuple[np.ndarray, np.ndarray]:
        """The local encoder's encode, with the same batches. The bundled models are quantised
        dynamically (int8 scales computed per batch), so an embedding depends on the texts it is
        batched with: partitions are cut from one process's batches (texts sorted by token
        count, `batch_size` at a time), never across them."""
        texts = [str(t) for t in texts]
        n = len(texts)
        if n == 0:
            return np.zeros((0, 384), dtype=np.float32), np.zeros(0, dtype=bool)
        if self._wanted is None:
            ensure_code(self.client)
            self._wanted = ensure_model(self.client, MODEL_FOLDERS[self.model])
        tokenizer = _driver_model(self.model)
        lengths = np.array([len(e.ids) for e in tokenizer.tokenize(texts)])
        order = np.argsort(lengths, kind="stable")
        n_batches = -(-n // batch_size)
        parts = self.partitions or 4 * n_workers(self.client)
        parts = max(1, min(parts, n_batches, max(1, n // self.min_partition)))
        cuts = [b * batch_size for b in np.linspace(0, n_batches, parts + 1).astype(int)]
        bounds = [(a, min(b, n)) for a, b in zip(cuts[:-1], cuts[1:]) if min(b, n) > a]
        futures = [self.client.submit(_portable(_encode_partition), [texts[i] for i in order[a:b]], self._wanted, batch_size,
                                      self.model, pure=False) for a, b in bounds]
        emb = None
        truncated = np.zeros(n, dtype=bool)
        done = 0
        # in order (as_completed would need a default client, and the command's is private)
        for fut, (a, b) in zip(futures, bounds):
            part_emb, part_cut = fut.result()
            if emb is None:
                emb = np.zeros((n, part_emb.shape[1]), dtype=np.float32)
            emb[order[a:b]], truncated[order[a:b]] = part_emb, part_cut
            done += b - a
            if progress:
                progress(done / n, f"Reading texts on the cluster: {done:,} of {n:,}")
        return emb, truncated


@contextmanager
def support_on(client):
    """Within this block, the support capability's sentence embeddings run on the cluster."""
    from ecom_models.support import features

    token = features.REMOTE_ENCODER.set(lambda model: ClusterEncoder(client, model=model))
    try:
        yield
    finally:
        features.REMOTE_ENCODER.reset(token)


# ---------------------------------------------------------------------------------------
# Product photos: decoding, checks and embeddings on the workers
# ---------------------------------------------------------------------------------------
def _image_chunk(files: list[tuple[str, bytes]], wanted: dict[str, str], kwargs: dict) -> dict:
    _single_threaded()
    from ecom_models import vision

    folder = _worker_model_dir("efficientnet_lite0", wanted)
    if folder is None:
        raise RuntimeError("the image model is not on this worker")
    if Path(folder) != vision.MODEL_FILE.parent:  # a worker without the bundled files: use the shipped copy
        vision.MODEL_FILE = Path(folder) / vision.MODEL_FILE.name
        vision.CLASSES_FILE = Path(folder) / vision.CLASSES_FILE.name
        vision._session.cache_clear()
        vision.class_names.cache_clear()
    return vision.analyse_chunk([vision.ImageFile(name, data=data) for name, data in files], **kwargs)


def image_chunk_runner(client, in_flight: int | None = None):
    """A `map_chunks` for vision.analyse: each chunk of photos is decoded, checked and embedded on
    a worker. The photos travel as bytes (workers need no shared disk); at most `in_flight`
    chunks are out at once, so the client never holds the whole catalog in memory. Results come
    back in chunk order."""
    from collections import deque

    def run(fn, chunks, **kwargs):
        # fn is vision.analyse_chunk; workers import it themselves (nothing of ours on the wire)
        ensure_code(client)
        wanted = ensure_model(client, "efficientnet_lite0")
        window = in_flight or 4 * n_workers(client)
        todo = iter(chunks)
        pending: deque = deque()

        def submit(chunk):
            payload = [(f.name, f.content()) for f in chunk]
            pending.append(client.submit(_portable(_image_chunk), payload, wanted, kwargs, pure=False))

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
