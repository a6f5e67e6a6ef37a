"""Reviews, customer service and product photos as background runs, one per key for every session.

Saving reviews or tickets on the Data page (and saving photos on the Images page) starts the
analysis in a worker process (ecom_models/workspace/tasks.py); a page asks for the result and
gets it, or shows the run's live progress (`jobs.follow`) and stops there; the page draws
itself again when the run ends. A second session asking for the same result follows the same
run: nothing is computed twice. A run that failed shows its message with "Try again".
"""

from __future__ import annotations

import streamlit as st

from ecom_models.workspace import runs
from ecom_ui import jobs

# The capabilities' pipelines are imported where they are used: app.py imports this module for
# `warm_workers` on every first visit, and the images and customers packages pull in scipy (2 s
# of imports while five sessions open the home page at once).


@st.cache_resource(show_spinner=False)
def _reviews_memory() -> dict:
    """Loaded analyses shared by every session (a few datasets only)."""
    return {}


@st.cache_resource(show_spinner=False)
def warm_workers() -> bool:
    """Once per server: start the worker processes (they load the model libraries meanwhile)."""
    import os

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


# -- reviews: stored in the results store ------------------------------------------------------------
def start_reviews(ws, data_key: str, source) -> runs.Run:
    from ecom_models.reviews import pipeline as RVP

    return jobs.ensure(RVP.analysis_key(data_key), RVP.LABEL, RVP.analysis_task(ws, data_key, source),
                       group=data_key, ready=lambda: RVP.analysis_ready(ws, data_key))


def reviews_analysis(ws, data):
    """The stored analysis of these reviews; else the page shows the run making it and stops."""
    from ecom_models.reviews import pipeline as RVP

    mem = _reviews_memory()
    if data.key in mem:
        return mem[data.key]
    found = RVP.load_analysis(ws, data.key, data.df)
    if found is None:
        run = start_reviews(ws, data.key, _source(data))
        if run.status == runs.DONE:  # ECOM_RUNS_INLINE: finished on return
            found = RVP.load_analysis(ws, data.key, data.df)
        if found is None:
            _wait(run)
    while len(mem) >= 3:
        mem.pop(next(iter(mem)))
    mem[data.key] = found
    return found


# -- customer service and photos: the value the worker returned, kept on the run ------------------
def _value(run_id: str, label: str, task, group: str):
    def ready() -> bool:
        current = runs.get(run_id)
        return current is not None and current.has_value

    run = jobs.ensure(run_id, label, task, group=group, ready=ready)
    if run.status == runs.DONE and run.has_value:
        return run.value
    _wait(run)


def start_support(ws, data_key: str, source, faq=None, examples=None, saved=None) -> runs.Run:
    from ecom_models.support import pipeline as SP

    key = SP.analysis_key(data_key, faq, examples, saved)
    return jobs.ensure(key, SP.LABEL, SP.analysis_task(ws, source, faq, examples, saved), group=data_key,
                       ready=lambda: bool(runs.get(key) and runs.get(key).has_value))


def support_analysis(ws, data, faq, examples, saved):
    """`saved`: the saved intents when used, else None."""
    from ecom_models.support import pipeline as SP

    return _value(SP.analysis_key(data.key, faq, examples, saved), SP.LABEL,
                  SP.analysis_task(ws, _source(data), faq, examples, saved), data.key)


def photos_analysis(key: str, source, products):
    from ecom_models.images import pipeline as IP

    return _value(f"images|{key}", IP.LABEL, IP.analysis_task(source, products), key)


def start_for_saved(ws, kind: str, info) -> None:
    """The Data page's saving path: reviews and tickets start their analysis now."""
    if kind == "reviews":
        start_reviews(ws, info.content_hash, info.id)
    elif kind == "support":
        from ecom_models.support import load_examples, load_faq, load_saved_intents

        examples = load_examples(ws)
        saved = load_saved_intents(ws) if examples is None else None  # the page's default: saved intents on
        start_support(ws, info.content_hash, info.id, load_faq(ws), examples, saved)
