"""Running the capabilities' batch work on a Dask cluster: connecting, shipping this project's
code and bundled model files to workers that lack them, and the worker-side helpers every
capability's `cluster.py` shares.

    with connect("tcp://scheduler:8786") as client:      # or ECOM_DASK_SCHEDULER
        result = risk.cluster.score_orders(orders, client)   # = risk.score_orders(orders)

Each capability keeps its own cluster code beside its models (`risk/cluster.py`,
`text/cluster.py`, `images/cluster.py`, `support/cluster.py`); this module only decides how
work reaches the workers. Results are those of one process: identical scores for risk, equal
within float tolerance for the neural models (a batch padded to another length changes the
last bits).

Code: task functions travel by value (cloudpickle), so the scheduler needs nothing of this
project; a worker that cannot import ecom_models gets a zip of the package (ensure_code).
Model files: a worker built from this repository (the usual image for dask-kubernetes or
dask-cloudprovider) has them in data/models/. A worker that lacks them, or holds other
versions, gets the client's bundled files (checked by SHA-256, cached in the worker's temporary
folder). Nothing is ever downloaded. Workers run one thread each with BLAS/OpenMP limited to
one thread, so two workers on two cores do twice the work instead of fighting over the cores.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ecom_models.core.errors import InputError
from ecom_models.core import paths

ENV = "ECOM_DASK_SCHEDULER"
MODELS_ROOT = paths.MODELS_DIR
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
        if worker_count(client) == 0:
            client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError):
        client.close()
        raise InputError(f"the Dask scheduler at {address} has no workers.",
                         fix="start at least one worker (dask worker ADDRESS), or run without --dask-scheduler.") from None
    tasks_by_value()
    try:
        yield client
    finally:
        client.close()


def tasks_by_value(module_name: str = __name__) -> None:
    """A cluster module's task functions travel by value: the scheduler (which unpickles task
    graphs) and the workers need not have this project installed to run them. This module is
    always registered too: the capabilities' task functions call its worker-side helpers."""
    import sys

    import cloudpickle

    for name in {__name__, module_name}:
        cloudpickle.register_pickle_by_value(sys.modules[name])


def portable(fn):
    """fn wrapped so that the scheduler, which unpickles task graphs, needs nothing of this
    project: plain pickle cannot take a lambda, so distributed falls back to cloudpickle, which
    carries fn (its module is registered by value) instead of a reference to ecom_models."""
    tasks_by_value(fn.__module__)
    return lambda *args, **kwargs: fn(*args, **kwargs)


def has_code() -> bool:
    import importlib.util

    return importlib.util.find_spec("ecom_models") is not None


def ensure_code(client) -> None:
    """Workers that cannot import ecom_models (a plain Dask image) get this project's Python code
    (a zip of the package, no data) through client.upload_file. Workers built from this
    repository already have it and get nothing."""
    import zipfile

    missing = [w for w, ok in client.run(portable(has_code)).items() if not ok]
    if not missing:
        return
    package = Path(__file__).resolve().parents[1]  # the whole ecom_models package, not core/
    folder = Path(tempfile.mkdtemp(prefix="ecom-code-"))
    target = folder / "ecom_models_code.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(package.rglob("*.py")):
            zf.write(f, Path("ecom_models") / f.relative_to(package))
    client.upload_file(str(target))


def takes_n_workers(client) -> bool:
    import inspect

    return "n_workers" in inspect.signature(client.scheduler_info).parameters


def worker_addresses(client) -> list[str]:
    # recent versions list only 5 workers unless asked for all
    info = client.scheduler_info(n_workers=-1) if takes_n_workers(client) else client.scheduler_info()
    return sorted(info.get("workers", {}))


def worker_count(client) -> int:
    return len(worker_addresses(client))


def n_workers(client) -> int:
    return max(1, worker_count(client))


def single_threaded() -> None:
    """In a worker: BLAS and OpenMP on one thread (one worker per core does the parallelism)."""
    for k, v in SINGLE_THREAD_ENV.items():
        os.environ.setdefault(k, v)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover
        pass
    try:  # Arrow's own pool (reading Parquet, filtering, casting), which OMP_NUM_THREADS does not bound
        import pyarrow

        if pyarrow.cpu_count() != 1:
            pyarrow.set_cpu_count(1)
    except ImportError:  # pragma: no cover
        pass


def partitions(n: int, parts: int) -> list[tuple[int, int]]:
    bounds = np.linspace(0, n, max(1, min(parts, n)) + 1).astype(int)
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]

def scatter(data: list, client) -> list:
    """Parts of the client's frame sent straight to the workers: through the scheduler (Dask's
    default) 5M lines took twice as long. Through the scheduler when the workers cannot be
    reached from here (a gateway), or when the cluster's configuration says so."""
    import dask

    if dask.config.get("distributed.client.direct-to-workers", None) is False:
        return client.scatter(data)
    try:
        return client.scatter(data, direct=True)
    except (OSError, TimeoutError):
        return client.scatter(data, direct=False)


def row_group_parts(path, parts: int) -> list[tuple[tuple, int]]:
    """Contiguous row groups of a Parquet file in `parts` parts: ((path, row groups), first row)."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(str(path)).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    out = []
    for a, b in partitions(len(sizes), parts):
        out.append(((str(path), list(range(a, b))), int(starts[a])))
    return out


# ---------------------------------------------------------------------------------------
# Bundled model files on the workers
# ---------------------------------------------------------------------------------------
def manifest(model: str) -> dict[str, str]:
    """{file name: sha256} of a bundled model folder (data/models/<model>)."""
    folder = MODELS_ROOT / model
    if not folder.is_dir():
        raise InputError(f"the bundled model '{model}' is missing ({folder}).",
                         fix="reinstall the project; model files ship with it in data/models/.")
    return {p.name: sha256(p) for p in sorted(folder.iterdir()) if p.is_file()}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def local_models_root() -> Path:
    """On a worker: data/models next to the ecom_models it imports (this module travels by
    value, so its own MODELS_ROOT is the client's path)."""
    import importlib.util

    spec = importlib.util.find_spec("ecom_models")
    if spec is not None and spec.origin and Path(spec.origin).exists():
        return Path(spec.origin).resolve().parents[1] / "data" / "models"
    return MODELS_ROOT


def worker_model_dir(model: str, wanted: dict[str, str]) -> str | None:
    """On a worker: a folder holding exactly the client's model files, or None."""
    for folder in (local_models_root() / model, Path(tempfile.gettempdir()) / "ecom_models_cache" / model / model_key(wanted)):
        if all((folder / name).is_file() for name in wanted):
            if folder.parent.name == "models" and not all(sha256(folder / n) == h for n, h in wanted.items()):
                continue
            return str(folder)
    return None


def model_key(wanted: dict[str, str]) -> str:
    return hashlib.sha256("".join(f"{k}{v}" for k, v in sorted(wanted.items())).encode()).hexdigest()[:16]


def install_model(model: str, wanted: dict[str, str], files: dict[str, bytes]) -> str:
    folder = Path(tempfile.gettempdir()) / "ecom_models_cache" / model / model_key(wanted)
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
    found = client.run(portable(worker_model_dir), model, wanted)
    missing = [w for w, folder in found.items() if folder is None]
    if missing:
        files = {name: (MODELS_ROOT / model / name).read_bytes() for name in wanted}
        client.run(portable(install_model), model, wanted, files, workers=missing)
    return wanted


def worker_cache() -> dict:
    """A per-worker-process cache (module globals travel by value, so they cannot hold it)."""
    import builtins

    cache = getattr(builtins, "_ecom_worker_cache", None)
    if cache is None:
        cache = {}
        builtins._ecom_worker_cache = cache
    return cache
