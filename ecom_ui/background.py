"""Reviews, customer service and product photos as background runs, one per key for every session.

Saving reviews or tickets on the Data page (and saving photos on the Images page) starts the
analysis in a worker process (ecom_models/workspace/tasks.py), which stores it in the workspace's
results store; a page asks for the stored result and gets it (a reload or a restart reads it back,
nothing is computed again), or shows the run's live progress (`jobs.follow`) and stops there; the
page draws itself again when the run ends. A second session asking for the same result follows the same
run: nothing is computed twice. A run that failed shows its message with "Try again".
"""

from __future__ import annotations

import streamlit as st

from ecom_models.workspace import runs
from ecom_ui import jobs


# The capabilities' pipelines are imported when first used: app.py imports this module for
# `warm_workers` on every first visit, and the images and customers packages pull in scipy (2 s
# of imports while five sessions open the home page at once).
def _rvp():
    from ecom_models.reviews import pipeline

    return pipeline


def _sp():
    from ecom_models.support import pipeline

    return pipeline


def _ip():
    from ecom_models.images import pipeline

    return pipeline


@st.cache_resource(show_spinner=False)
def warm_workers() -> bool:
    """Once per server: a CPU share of its own (ecom_models.core.process), the worker processes started
    (they load the model libraries meanwhile), and freed memory handed back (ecom_models.core.memory)."""
    import os

    from ecom_models.core import memory, process

    if process.is_streamlit_server():  # not in a test runner running the pages itself (AppTest)
        process.own_session()  # before the workers start, so they follow the server into its CPU share
    memory.limit_arenas()
    memory.start_trimmer()
    if not os.environ.get("ECOM_RUNS_INLINE"):
        from ecom_models.workspace.tasks import warm

        warm()
    return True


def _source(data):
    return data.dataset_id if getattr(data, "dataset_id", None) else data.df


def _wait(run: runs.Run) -> None:
    """Show the run's progress (or its failure with "Try again") and end this page's script run."""
    jobs.follow(run)
    st.stop()


# -- the stored analysis, or the run making it --------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _loaded() -> dict:
    """Analyses read back from the store, shared by every session (a few only: photos are large)."""
    return {}


def _stored(key: str, load, start):
    """The stored analysis under `key` (`load()`: it or None); else the run making it (`start()`),
    followed on the page. A run whose analysis was over the store's size cap returned it instead."""
    mem = _loaded()
    if key in mem:
        return mem[key]
    found = load()
    if found is None:
        run = start()
        if run.status == runs.DONE:  # ECOM_RUNS_INLINE, or the analysis was too large to store
            found = load()
            if found is None and run.has_value:
                return run.value
        if found is None:
            _wait(run)
    while len(mem) >= 3:
        mem.pop(next(iter(mem)))
    mem[key] = found
    return found


def _stored_or_held(key: str, stored) -> bool:
    """`ensure`'s test of a finished run: its analysis is stored, or (over the size cap) held on the run."""
    current = runs.get(key)
    return stored() or bool(current is not None and current.has_value)


# -- reviews ------------------------------------------------------------------------------------------
def start_reviews(ws, data_key: str, source) -> runs.Run:
    key = _rvp().analysis_key(data_key)
    return jobs.ensure(key, _rvp().LABEL, _rvp().analysis_task(ws, data_key, source), group=data_key,
                       ready=lambda: _stored_or_held(key, lambda: _rvp().analysis_ready(ws, data_key)))


def reviews_analysis(ws, data):
    """The stored analysis of these reviews; else the page shows the run making it and stops."""
    return _stored(_rvp().analysis_key(data.key), lambda: _rvp().load_analysis(ws, data.key, data.df),
                   lambda: start_reviews(ws, data.key, _source(data)))


# -- customer service and photos ----------------------------------------------------------------------
def start_support(ws, data_key: str, source, faq=None, examples=None, saved=None) -> runs.Run:
    key = _sp().analysis_key(data_key, faq, examples, saved)
    return jobs.ensure(key, _sp().LABEL, _sp().analysis_task(ws, key, source, faq, examples, saved), group=data_key,
                       ready=lambda: _stored_or_held(key, lambda: _sp().analysis_ready(ws, key)))


def support_analysis(ws, data, faq, examples, saved):
    """`saved`: the saved intents when used, else None."""
    key = _sp().analysis_key(data.key, faq, examples, saved)
    return _stored(key, lambda: _sp().load_analysis(ws, key),
                   lambda: start_support(ws, data.key, _source(data), faq, examples, saved))


def start_photos(ws, photos_key: str, source, products) -> runs.Run:
    key = _ip().analysis_key(photos_key, products)
    return jobs.ensure(key, _ip().LABEL, _ip().analysis_task(ws, key, source, products), group=photos_key,
                       ready=lambda: _stored_or_held(key, lambda: _ip().analysis_ready(ws, key)))


def photos_analysis(photos_key: str, source, products, ws=None):
    """The analysis of a photo set (`photos_key`: batch_key, or the demo store's key)."""
    if ws is None:
        from ecom_ui.common import workspace

        ws = workspace()
    key = _ip().analysis_key(photos_key, products)
    return _stored(key, lambda: _ip().load_analysis(ws, key), lambda: start_photos(ws, photos_key, source, products))


def start_for_saved(ws, kind: str, info) -> None:
    """The Data page's saving path: reviews and tickets start their analysis now."""
    if kind == "reviews":
        start_reviews(ws, info.content_hash, info.id)
    elif kind == "support":
        from ecom_models.support import load_examples, load_faq, load_saved_intents

        examples = load_examples(ws)
        saved = load_saved_intents(ws) if examples is None else None  # the page's default: saved intents on
        start_support(ws, info.content_hash, info.id, load_faq(ws), examples, saved)
