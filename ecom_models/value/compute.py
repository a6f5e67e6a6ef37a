"""Computing each lever: the only part of the value package that imports the capabilities.

One `lever_<model>(...)` per row (recommendations, forecasting, risk, abtest, images, reviews) takes the
store's data (or a result a model page already computed and kept), asks the capability for its evidence
and prices it with `ecom_models.value.valuation` (`priced`). Heavy libraries are imported inside the
functions, and any failure becomes a `Lever` with a plain `problem` (`_run`), never an exception. Also:
levers as plain results-store documents (`lever_to_store` / `lever_from_store`: priced again from their
evidence after a restart, nothing refitted), the estimates the model pages saved (`saved_levers`,
`fill_from_saved`) and the guess of which lever an A/B test measured (`ab_lever_guess`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from ecom_models.core.stats import finite as _finite
from ecom_models.intake.orders import monthly_visitors, store_figures  # noqa: F401 - part of value's API
from ecom_models.value.levers import SAVED_NAMESPACES
from ecom_models.value.summary import (Lever, apply_overrides, call_with_overrides, estimate_from_dict, estimate_to_dict,
                                       match_ab_lever)


def _run(model: str, work: Callable[[], Lever]) -> Lever:
    """Run one lever's computation; any failure becomes a plain message, never an exception."""
    import time

    from ecom_models.core.errors import InputError

    t0 = time.perf_counter()
    try:
        lever = work()
    except InputError as exc:
        lever = Lever(model, problem=exc.message, source="missing")
    except ImportError:
        lever = Lever(model, problem="This model is not available in this version yet.", source="missing")
    except MemoryError:
        lever = Lever(model, problem="The data is too large for this machine's memory.", source="missing")
    except Exception as exc:  # a bug elsewhere must not take the business case down
        lever = Lever(model, problem=f"Could not be computed ({type(exc).__name__}: {str(exc)[:120]}).", source="missing")
    lever.seconds = time.perf_counter() - t0
    return lever


def _need(df, what: str, fix: str):
    from ecom_models.core.errors import InputError

    if df is None or len(df) == 0:
        raise InputError(f"no {what} yet.", fix=fix)


def lever_recommendations(orders, k: int = 10, include_deep: bool = False, report=None) -> Lever:
    """`report`: a RecommenderReport already computed (the results store's), to avoid fitting twice."""

    def work():
        from ecom_models import recommend as R

        _need(orders, "orders", "upload your orders on the Data page.")
        rep = report if report is not None else R.build_recommender(R.interactions_from_orders(orders), k=k,
                                                                    include_deep=include_deep)
        te = rep.test_evals
        gain = None
        if rep.chosen in te and "popularity" in te and rep.chosen != "popularity":
            gain = R.paired_gain(te[rep.chosen], te["popularity"], "hit")
        figs = store_figures(orders)
        kwargs = dict(gain=gain, monthly_orders=figs["monthly_orders"], order_value=figs["order_value"],
                      currency=figs["currency"], model_name=rep.chosen, k=rep.k)
        return priced("recommendations", "recommendations_value", kwargs)

    return _run("recommendations", work)


def lever_forecasting(orders, fast: bool = False, result=None) -> Lever:
    """`result`: a ForecastResult of the store's revenue already computed (the results store's)."""

    def work():
        from ecom_models import forecast as F

        nonlocal result
        _need(orders, "orders", "upload your orders on the Data page.")
        if result is None:
            series = F.build_series(orders, metric="revenue")
            models = (F.MODEL_NAIVE, F.MODEL_ETS) if fast else (F.MODEL_NAIVE, F.MODEL_ETS, F.MODEL_PROPHET)
            result = F.backtest_and_forecast(series, models=models, tune=False)
        kwargs = dict(evidence=F.stock_evidence(result), unit_value=1.0, currency=store_figures(orders)["currency"])
        return priced("forecasting", "forecasting_value", kwargs)

    return _run("forecasting", work)


def lever_risk(orders, labels: dict | None = None, result=None, capacity_per_day: float = 5.0, seed: int = 0,
               catch=None) -> Lever:
    """`result`: the store's scores already computed (e.g. by the Risk page), to place the
    merchant's decided orders in or out of the review queue without scoring twice; `catch`: the
    detector's test on synthetic fraud already run (CatchEvidence), read at this capacity."""

    def work():
        from ecom_models.risk.inject import risk_evidence

        _need(orders, "orders", "upload your orders on the Data page.")
        scored = result
        if scored is None and labels:  # decisions keep their rank on the store's own scores (rank-aware price)
            from ecom_models.risk import score_orders

            scored = score_orders(orders)
        if catch is not None:
            from ecom_models.risk.inject import at_capacity

            found = at_capacity(catch, capacity_per_day)
        else:
            found = None
        evidence = risk_evidence(orders, capacity_per_day, labels=labels or None, result=scored, seed=seed, catch=found)
        return priced("risk", "risk_value", dict(evidence=evidence))

    return _run("risk", work)


def winback_evidence(result) -> dict:
    """The win-back row's evidence from a CustomersResult (plain figures, storable)."""
    w = result.winback
    return {"targeted": int(len(w)), "horizon_days": int(result.horizon_days),
            "spend_if_back": float(w["expected_spend_if_back"].mean()) if len(w) else 0.0,
            "at_stake": float(w["value_at_stake"].sum()) if len(w) else 0.0}


def lever_winback(orders, result=None) -> Lever:
    """`result`: the Customers page's CustomersResult (results store), else fitted here."""

    def work():
        nonlocal result
        _need(orders, "orders", "upload your orders on the Data page.")
        if result is None:
            from ecom_models.customers import analyse_customers

            result = analyse_customers(orders, backtest=False)
        kwargs = dict(evidence=winback_evidence(result), currency=store_figures(orders)["currency"])
        return priced("winback", "winback_value", kwargs)

    return _run("winback", work)


def priced(model: str, valuation_fn: str, kwargs: dict) -> Lever:
    """A lever priced by `ecom_models.value.valuation.<valuation_fn>(**kwargs)` from plain evidence."""
    from ecom_models.value import valuation as VAL

    fn = getattr(VAL, valuation_fn)
    return Lever(model, fn(**kwargs), lambda ov: call_with_overrides(fn, kwargs, ov), valuation=valuation_fn,
                 evidence=kwargs)


_EVIDENCE_TYPES = {"RiskEvidence", "StockEvidence"}


def lever_to_store(lever: Lever) -> dict:
    """A lever as a plain document for the results store (no objects, nothing to unpickle)."""
    import dataclasses

    evidence = None
    if lever.evidence is not None:
        evidence = {}
        for k, v in lever.evidence.items():
            if dataclasses.is_dataclass(v):
                evidence[k] = {"__type__": type(v).__name__, **dataclasses.asdict(v)}
            else:
                evidence[k] = v
    return {"model": lever.model, "estimate": estimate_to_dict(lever.estimate) if lever.estimate else None,
            "problem": lever.problem, "source": lever.source, "seconds": lever.seconds, "context": lever.context,
            "valuation": lever.valuation, "evidence": evidence}


def lever_from_store(doc: dict) -> Lever:
    """The lever back, priced again from its evidence when it has some (edits recompute)."""
    from ecom_models.core import evidence as EV

    est = estimate_from_dict(doc["estimate"]) if doc.get("estimate") else None
    lever = Lever(doc["model"], est, None, doc.get("problem", ""), doc.get("source", "computed"),
                  float(doc.get("seconds") or 0.0), doc.get("context", ""))
    if doc.get("valuation") and doc.get("evidence") is not None and est is not None:
        kwargs = {}
        for k, v in doc["evidence"].items():
            if isinstance(v, dict) and v.get("__type__") in _EVIDENCE_TYPES:
                fields_ = {f: x for f, x in v.items() if f != "__type__"}
                if v["__type__"] == "RiskEvidence" and isinstance(fields_.get("catch"), dict):
                    fields_["catch"] = EV.CatchEvidence(**fields_["catch"])
                v = getattr(EV, v["__type__"])(**fields_)
            kwargs[k] = v
        try:
            rebuilt = priced(doc["model"], doc["valuation"], kwargs)
            rebuilt.source, rebuilt.seconds, rebuilt.context = lever.source, lever.seconds, lever.context
            return rebuilt
        except Exception:  # an old document the valuation no longer reads: keep the stored estimate
            return lever
    return lever


def lever_abtest(experiment, orders=None, traffic=None) -> Lever:
    def work():
        from ecom_models import abtest as AB
        from ecom_models.value.valuation import abtest_value

        _need(experiment, "A/B test", "upload an A/B test file on the Data page or the A/B tests page.")
        result = AB.analyze(experiment)
        visitors, source = monthly_visitors(traffic, orders)
        figs = store_figures(orders)
        aov = figs["order_value"]
        if not _finite(aov):
            from ecom_models.core.errors import InputError

            raise InputError("the A/B test needs your orders to put a money value on the lift (average order value).",
                             fix="upload your orders on the Data page.")
        kwargs = dict(result=result, monthly_visitors=visitors, average_order_value=aov, currency=figs["currency"])
        # The measured *relative* lift applies to the store's own conversion, not to the test
        # group's (a test run on engaged visitors converts better than the store as a whole).
        store_rate = figs["monthly_orders"] / visitors if _finite(visitors) and visitors > 0 else float("nan")

        def bv(control_rate=None, **kw):
            est = abtest_value(**kw)
            target = control_rate if control_rate is not None else store_rate
            test_rate = next((a.value for a in est.assumptions if a.key == "control_rate"), float("nan"))
            if not _finite(target):
                return est
            est, _ = apply_overrides(est, {"control_rate": target})
            help_ = (f"your store's orders per month / visitors per month; the test's control group converted at "
                     f"{test_rate:.2%}")
            return replace(est, assumptions=[replace(a, help=help_, low=None, high=None) if a.key == "control_rate" else a
                                             for a in est.assumptions])

        est = bv(**kwargs)
        est = replace(est, note=(est.note + f" Visitors per month: {source}. Today's conversion rate: your store's.").strip())
        words = [str(v) for v in (getattr(result.spec, "variants", None) or [])]
        words += [str(m) for m in result.table.get("metric", [])]
        return Lever("abtest", est, lambda ov: call_with_overrides(bv, kwargs, ov), context=" ".join(words))

    return _run("abtest", work)


def lever_images(folder, products=None, orders=None) -> Lever:
    def work():
        from ecom_models.images import analysis as V
        from ecom_models.core.errors import InputError
        from ecom_models.value.valuation import images_value

        if folder is None:
            raise InputError("no product photos analysed yet.", fix="analyse your photos on the Product images page.")
        analysis = V.analyse(folder, products=products, learn_categories=False, keep_thumbnails=False)
        kwargs = dict(analysis=analysis, orders=orders)
        fn = images_value
        return Lever("images", fn(**kwargs), lambda ov: call_with_overrides(fn, kwargs, ov))

    return _run("images", work)


def lever_reviews(reviews, orders=None, analysis=None) -> Lever:
    """`analysis`: a ReviewAnalysis already computed (e.g. saved by the Reviews page); else the
    reviews are scored here with the bundled model (no fine-tuning, to stay quick)."""

    def work():
        from ecom_models.reviews.analysis import analyse_reviews
        from ecom_models.value.valuation import reviews_value

        nonlocal analysis
        if analysis is None:
            _need(reviews, "reviews", "upload your product reviews on the Data page.")
            analysis = analyse_reviews(reviews, fine_tune_on_ratings=False)
        _need(orders, "orders", "upload your orders on the Data page.")
        kwargs = dict(analysis=analysis, orders=orders, currency=store_figures(orders)["currency"])
        fn = reviews_value
        return Lever("reviews", fn(**kwargs), lambda ov: call_with_overrides(fn, kwargs, ov))

    return _run("reviews", work)


def lever_from_saved(model: str, document: dict | None) -> Lever | None:
    """An estimate saved by the model's own page (no recompute: edits are applied proportionally)."""
    if not document:
        return None
    try:
        est = estimate_from_dict(document)
    except (TypeError, ValueError, KeyError):
        return None
    if not _finite(est.monthly_value):
        return None
    return Lever(model, est, None, source="saved")


def saved_levers(ws) -> dict[str, Lever]:
    """Estimates that the capability pages saved in the workspace (`<namespace>` / `latest`)."""
    out = {}
    for model, namespaces in SAVED_NAMESPACES.items():
        for ns in namespaces:
            try:
                lever = lever_from_saved(model, ws.get(ns, "latest"))
            except Exception:
                lever = None
            if lever is not None:
                out[model] = lever
                break
    return out


def ab_lever_guess(lever: Lever | None, source_name: str = "") -> str | None:
    """The offline lever an A/B test most likely measured, from its names (None: its own change)."""
    if lever is None or lever.estimate is None:
        return None
    return match_ab_lever(source_name, lever.context, lever.estimate.lever)


def fill_from_saved(levers: dict[str, Lever], ws) -> dict[str, Lever]:
    """The levers, with the estimates saved by the models' own pages filling the rows that could not
    be computed here (a computed estimate always wins)."""
    out = dict(levers)
    for model, saved in saved_levers(ws).items():
        if out.get(model) is None or out[model].estimate is None:
            out[model] = saved
    return out
