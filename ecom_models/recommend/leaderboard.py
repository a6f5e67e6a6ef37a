"""The honest leaderboard: which model to show, chosen on evidence (what `build_recommender` does).

1. **Held-out split** — per customer, a random 25% of their products are hidden (the
   *test* set; customers with a single product stay in training only). A time-based split
   (each customer's last 25% by date) is available too.
2. **Model choice on a validation split** — the training part is split again; every model
   (and EASE's regularisation) is tuned and compared there, never on the test set. The
   model with the best nDCG@k on validation is chosen.
3. **Leaderboard** — every model is refitted on the full training part and scored once on
   the test set: precision, recall, nDCG and hit rate at k, catalog coverage and novelty,
   with 95% intervals. Popularity is the baseline; the deep (Keras) model stays on the
   board with its real figures whether it wins or not.
4. The chosen model is refitted on all interactions (what `serve` shows customers).

`staged_plan` orders the models for the page (fast ones first); `make_model` and
`candidate_grid` name the models tried for a catalog of a given size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ecom_models.core.errors import InputError
from ecom_models.recommend.deep import NCF, DeepAutoencoder
from ecom_models.recommend.evaluation import Evaluation, evaluate
from ecom_models.recommend.interactions import Interactions, entry_times, split_matrix
from ecom_models.recommend.models import (
    EASE,
    EASE_MAX_ITEMS,
    MODEL_LABELS,
    NCF_MAX_PAIRS,
    ItemKNN,
    Popularity,
    Recommender,
    RP3Beta,
)


def make_model(name: str, **params) -> Recommender:
    classes = {"popularity": Popularity, "item_knn": ItemKNN, "rp3beta": RP3Beta, "ease": EASE, "ncf": NCF,
               "deep_ae": DeepAutoencoder}
    if name not in classes:
        raise InputError(f"there is no model called '{name}'.", fix=f"choose one of: auto, {', '.join(classes)}.")
    return classes[name](**params)


def candidate_grid(n_users: int, n_items: int, include_deep: bool = True) -> dict[str, list[dict]]:
    """The models (and settings) tried on the validation split for a catalog of this size."""
    grid: dict[str, list[dict]] = {
        "popularity": [{}],
        "item_knn": [{"similarity": "jaccard"}, {"similarity": "cosine"}],
        "rp3beta": [{"alpha": 1.0, "beta": b} for b in (0.4, 0.6)],
    }
    if n_items <= EASE_MAX_ITEMS:
        grid["ease"] = [{"l2": l2} for l2 in (50.0, 200.0, 800.0)]
    if include_deep and n_users * n_items <= NCF_MAX_PAIRS:
        grid["deep_ae"] = [{}]
    return grid


def default_model_name(n_items: int) -> str:
    """The model used when there is no time to compare: EASE for small catalogs."""
    return "ease" if n_items <= EASE_MAX_ITEMS else "rp3beta"


@dataclass
class RecommenderReport:
    """Everything the page, the CLI and the value estimate need."""

    inter: Interactions
    chosen: str  # model name
    chosen_params: dict
    model: Recommender  # chosen model, fitted on all interactions
    validation: pd.DataFrame  # model, params, precision, recall, ndcg, hit_rate, coverage, novelty, fit_seconds (validation split)
    leaderboard: pd.DataFrame  # same columns + *_low/*_high, on the test split, best settings per model
    test_evals: dict[str, Evaluation]
    split: str  # "random" | "time"
    k: int
    reason: str  # plain words: why this model
    notes: list[str] = field(default_factory=list)
    baseline: str = "popularity"
    stage: str = "full"  # "full", or the last stage stored while the slower models still train
    pending: list[str] = field(default_factory=list)  # models still training (staged runs)

    @property
    def chosen_test(self) -> Evaluation | None:
        return self.test_evals.get(self.chosen)

    def validation_metrics(self) -> dict:
        row = self.validation[(self.validation["model"] == self.chosen)].sort_values("ndcg", ascending=False)
        if row.empty:
            return {}
        r = row.iloc[0]
        return {m: float(r[m]) for m in ("precision", "recall", "ndcg", "hit_rate", "coverage", "novelty")}


def _fit_timed(name: str, params: dict, X) -> tuple[Recommender, float]:
    t0 = time.perf_counter()
    model = make_model(name, **params).fit(X)
    return model, time.perf_counter() - t0


def build_recommender(inter: Interactions, k: int = 10, model: str = "auto", split: str = "random",
                      include_deep: bool = True, max_eval_users: int | None = 5000, seed: int = 0,
                      progress=None, only=None, reuse: "RecommenderReport | None" = None,
                      max_validation_users: int | None = None) -> RecommenderReport:
    """Choose a model on a validation split, score every model on the held-out test split,
    and refit the chosen one on all the data. `progress(fraction, text)` is called if given.

    Staged use (the page shows cheap models first): `only` limits the grid to these models
    (the best-seller baseline is always included); `reuse` is an earlier report on the same
    interactions, k, split and seed whose validation and test figures are kept, so only the
    models it lacks are fitted. `max_validation_users` scores the validation split on a random
    sample of customers (the test split keeps `max_eval_users`)."""
    say = progress or (lambda f, t: None)
    val_users = max_validation_users or max_eval_users
    X = inter.matrix
    notes = list(inter.notes)
    times = entry_times(inter) if split == "time" else None
    if split == "time" and times is None:
        notes.append("The file has no dates, so a random split was used instead of a time split.")
        split = "random"
    train, test = split_matrix(X, 0.25, seed=seed, times=times)
    if test.nnz == 0 or int((np.diff(test.indptr) > 0).sum()) < 5:
        notes.append("Fewer than 5 customers bought two or more different products, so the models cannot be "
                     "compared on held-out purchases; best sellers are used.")
        fitted = Popularity().fit(X)
        empty = pd.DataFrame(columns=["model", "label", "params", "precision", "recall", "ndcg", "hit_rate", "coverage", "novelty", "fit_seconds"])
        return RecommenderReport(inter=inter, chosen="popularity", chosen_params={}, model=fitted, validation=empty,
                                 leaderboard=empty, test_evals={}, split=split, k=k,
                                 reason="Not enough repeat customers to compare models, so best sellers are shown.", notes=notes)
    grid = candidate_grid(*X.shape, include_deep=include_deep)
    if model != "auto":
        make_model(model)  # validates the name
        if model == "ncf" and X.shape[0] * X.shape[1] <= NCF_MAX_PAIRS:
            grid["ncf"] = [{}]  # neural collaborative filtering: on request only (slower, weaker than deep_ae here)
        if model not in grid:
            raise InputError(f"the model '{model}' is not available for a catalog of {X.shape[1]:,} products.",
                             fix="use --model auto, item_knn or rp3beta.")
        grid = {name: g for name, g in grid.items() if name in (model, "popularity")}
    # validation split inside the training part (same kind of split)
    train_times = None
    if times is not None:
        tm = sp.csr_matrix((times + 1.0, X.nonzero()), shape=X.shape)
        tm = tm.multiply(train > 0).tocsr()
        tm.sort_indices()
        train_times = tm.data - 1.0
    if only is not None:
        grid = {name: g for name, g in grid.items() if name in set(only) | {"popularity"}}
    fit_part, val_part = split_matrix(train, 0.25, seed=seed + 1, times=train_times)
    can_validate = int((np.diff(val_part.indptr) > 0).sum()) >= 3
    reused: set[str] = set()
    if (reuse is not None and can_validate and reuse.split == split and reuse.k == k and model == "auto"
            and not reuse.validation.empty):
        reused = set(reuse.validation["model"]) & set(reuse.test_evals)
        grid = {**{name: [] for name in reuse.validation["model"].unique() if name in reused}, **grid}
    rows = [] if not reused else reuse.validation[reuse.validation["model"].isin(reused)].to_dict("records")
    total = sum(len(g) for name, g in grid.items() if name not in reused) + len(set(grid) - reused) + 1
    done = 0
    if can_validate:
        for name, settings in grid.items():
            if name in reused:
                continue
            for params in settings:
                say(done / total, f"Validating {MODEL_LABELS[name]}…")
                m, secs = _fit_timed(name, params, fit_part)
                ev = evaluate(m, fit_part, val_part, k=k, max_users=val_users, seed=seed)
                rows.append({"model": name, "label": MODEL_LABELS[name], "params": params, **ev.metrics, "fit_seconds": secs})
                done += 1
        validation = pd.DataFrame(rows)
        # stable sort: on a tie the earlier (simpler) model in the grid wins, popularity first
        best_per_model = validation.sort_values("ndcg", ascending=False, kind="stable").drop_duplicates("model")
    else:
        notes.append("Too few customers bought several products to carve a validation split out of the training data, "
                     "so no model can be chosen on evidence: best sellers are used. The test figures below are shown "
                     "for information only.")
        validation = pd.DataFrame(columns=["model", "label", "params", "precision", "recall", "ndcg", "hit_rate",
                                           "coverage", "novelty", "fit_seconds"])
        best_per_model = pd.DataFrame([{"model": name, "params": g[0], "ndcg": float("nan")} for name, g in grid.items()])
    if model != "auto":
        chosen_row = best_per_model[best_per_model["model"] == model].iloc[0]
    elif can_validate:
        chosen_row = best_per_model.iloc[0]
    else:
        chosen_row = best_per_model[best_per_model["model"] == "popularity"].iloc[0]
    chosen, chosen_params = str(chosen_row["model"]), dict(chosen_row["params"])
    # test: every model with its best validation settings, refitted on the full training part
    test_rows, test_evals = [], {}
    for _, r in best_per_model.iterrows():
        name, params = str(r["model"]), dict(r["params"])
        if name in reused:
            test_evals[name] = reuse.test_evals[name]
            row = reuse.leaderboard[reuse.leaderboard["model"] == name].iloc[0].to_dict()
            row["chosen"] = name == chosen
            test_rows.append(row)
            continue
        say(done / total, f"Testing {MODEL_LABELS[name]} on held-out purchases…")
        m, secs = _fit_timed(name, params, train)
        ev = evaluate(m, train, test, k=k, max_users=max_eval_users, seed=seed)
        ev.fit_seconds = secs
        test_evals[name] = ev
        row = {"model": name, "label": MODEL_LABELS[name], "params": params, **ev.metrics, "fit_seconds": secs}
        for metric, col in (("precision", "precision"), ("recall", "recall"), ("ndcg", "ndcg"), ("hit", "hit_rate")):
            row[f"{col}_low"], row[f"{col}_high"] = ev.interval(metric)
        row["chosen"] = name == chosen
        test_rows.append(row)
        done += 1
    leaderboard = pd.DataFrame(test_rows).sort_values("ndcg", ascending=False, kind="stable").reset_index(drop=True)
    if reused and chosen == reuse.chosen and chosen_params == reuse.chosen_params:
        final = reuse.model  # already trained on all purchases
    else:
        say(done / total, f"Training {MODEL_LABELS[chosen]} on all purchases…")
        final = make_model(chosen, **chosen_params).fit(X)
    reason = _reason(chosen, best_per_model, leaderboard, k, model == "auto")
    if not can_validate and model == "auto":
        reason = ("Best sellers are shown: there are too few repeat customers to choose a model on evidence. "
                  "Upload a longer order history to compare the models properly.")
    say(1.0, "Done")
    return RecommenderReport(inter=inter, chosen=chosen, chosen_params=chosen_params, model=final,
                             validation=validation, leaderboard=leaderboard, test_evals=test_evals, split=split, k=k,
                             reason=reason, notes=notes)


def staged_plan(inter: Interactions, include_deep: bool) -> list[list[str]]:
    """Models in the order the page shows them: fast similarity models first (seconds), then
    EASE (a products x products inverse), then the deep model (the slowest)."""
    grid = candidate_grid(inter.n_users, inter.n_items, include_deep=include_deep)
    stages = [["popularity", "item_knn", "rp3beta"], ["ease"], ["deep_ae"]]
    return [[m for m in stage if m in grid] for stage in stages if any(m in grid for m in stage)]


def _reason(chosen: str, val_best: pd.DataFrame, board: pd.DataFrame, k: int, auto: bool) -> str:
    v = val_best.set_index("model")
    t = board.set_index("model")
    label = MODEL_LABELS[chosen]
    if not auto:
        text = f"{label} was chosen by hand."
    else:
        text = (f"{label} was chosen because it had the best nDCG@{k} on the validation split "
                f"({v.at[chosen, 'ndcg']:.3f}), which is carved out of the training data; the test split was not used to choose.")
    if chosen != "popularity" and "popularity" in t.index:
        p_model, p_base = t.at[chosen, "precision"], t.at["popularity", "precision"]
        verdict = "beats" if p_model > p_base else "does not beat"
        text += (f" On held-out purchases it {verdict} the best-seller baseline: precision@{k} "
                 f"{p_model:.3f} vs {p_base:.3f}.")
    best_test = t["ndcg"].idxmax()
    if best_test != chosen:
        text += (f" On the test split {MODEL_LABELS[best_test]} scored higher "
                 f"(nDCG {t.at[best_test, 'ndcg']:.3f} vs {t.at[chosen, 'ndcg']:.3f}); the choice is not changed after the fact.")
    return text
