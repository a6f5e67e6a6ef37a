"""One call for the page, the CLI and the bench: `analyse_tickets(tickets, examples=, faq=)`.

Intents come from, in this order of preference:
1. labelled examples (`text,intent`): the self-trained classifier, compared with TF-IDF + LR on
   held-out labelled tickets;
2. intents the merchant saved after editing a discovery (`saved`: typical tickets per named
   intent): the same classifier, so edits carry over to the next file;
3. discovery (clustering, k from the data).

Trends: tickets per intent and week; a **spike** is a week with at least 3× the intent's median
week and 10 tickets more; a **new** intent is one that began after 8 or more quiet weeks: the
week with the largest jump, the weeks after averaging 3x the weeks before (something began then:
a defect, a policy change).

Deflection (evidence, no money here; `ecom_models.value.valuation.support_value` turns it into money):
    share answered right = share of tickets the FAQ answers at the chosen precision × that precision
    hours saved / month  = tickets per month × share × minutes per ticket / 60
    (money: hours saved × agent cost per hour, in the valuation module)
The precision is the expected precision on the merchant's tickets (faq.py). Its 90% interval: Wilson on
the answered tickets (labelled: on the labelled matches), widened by `faq.TRANSFER_ERROR`, the largest
gap between expected and delivered precision measured on held-out sets; the answered share gets a
Wilson interval; low with low and high with high.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.core.stats import sample_size_two_rates, wilson
from ecom_models.support.faq import TRANSFER_ERROR, FaqMatcher, TradeOff, clean_faq
from ecom_models.support.features import Featurizer, encoder_name
from ecom_models.support.intents import (
    CLASSIFIER_ENCODER_WEIGHT,
    UNSURE,
    Comparison,
    IntentClassifier,
    IntentDiscovery,
    compare_on_held_out,
    describe_groups,
    name_from_terms,
)

VERSION = "support-v1"
# 93%, not 90%: without labels, the precision delivered lands within about 3 points of the target either side
# (bench/support.py --faq-27: 0.867-0.936 at a 90% target over 20 held-out runs, 0.907-0.974 at 93%), so a
# 93% default keeps answers at 90% or better when the curve reads a store optimistically, and still answers
# over half the tickets (54-87%). The merchant can move it on the page.
DEFAULT_TARGET_PRECISION = 0.93
DEFAULT_MINUTES = 8.0  # per ticket when the file has no handling times (typical e-mail ticket)
DEFAULT_COST_PER_HOUR = 25.0


@dataclass
class SupportAnalysis:
    tickets: pd.DataFrame  # canonical columns + intent, confidence, faq_id, faq_confidence, best_faq_id
    intents: pd.DataFrame  # intent, size, share, top_terms, examples, mean_minutes, mean_satisfaction, trend...
    weekly: pd.DataFrame  # week, intent, tickets
    mode: str  # "examples" | "saved" | "discovered"
    encoder: str
    k: int | None = None
    silhouette: dict = field(default_factory=dict)
    comparison: Comparison | None = None
    tradeoff: TradeOff | None = None
    faq: pd.DataFrame | None = None
    target_precision: float = DEFAULT_TARGET_PRECISION
    threshold: float | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def has_faq(self) -> bool:
        return self.tradeoff is not None


def clean_examples(examples: pd.DataFrame | None, file: str | None = None) -> pd.DataFrame | None:
    """Labelled tickets as `text, intent` (common header names understood); None stays None."""
    if examples is None:
        return None
    cols = {str(c).strip().lower(): c for c in examples.columns}
    text = next((cols[c] for c in ("text", "message", "ticket", "question", "body") if c in cols), None)
    intent = next((cols[c] for c in ("intent", "label", "category", "topic", "faq_id") if c in cols), None)
    if text is None or intent is None:
        raise InputError("the examples need a text column and an intent column.", file=file,
                         fix="use two columns: text,intent (one labelled ticket per row).")
    out = pd.DataFrame({"text": examples[text].astype("str").str.strip(), "intent": examples[intent].astype("str").str.strip()})
    out = out[~out["text"].isin(["", "nan", "None"]) & ~out["intent"].isin(["", "nan", "None"])].reset_index(drop=True)
    if out["intent"].nunique() < 2:
        raise InputError("the examples name fewer than two intents.", file=file,
                         fix="label a few tickets for at least two intents.")
    return out


def analyse_tickets(tickets: pd.DataFrame, examples: pd.DataFrame | None = None, faq: pd.DataFrame | None = None,
                    saved: pd.DataFrame | None = None, target_precision: float = DEFAULT_TARGET_PRECISION,
                    k: int | None = None, progress=None, file: str | None = None) -> SupportAnalysis:
    """Intents, confidences, FAQ matches and weekly trends for a canonical support frame."""
    # threadpoolctl limits only the thread pools already loaded: import the numeric libraries first.
    import sklearn.cluster  # noqa: F401
    import sklearn.decomposition  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    from threadpoolctl import threadpool_limits

    # One BLAS/OpenMP thread: on a shared 2-core machine, idle-spinning worker threads made the
    # logistic regressions and k-means 8-100x slower (measured). The encoder keeps its own threads.
    with threadpool_limits(1):
        return _analyse(tickets, examples, faq, saved, target_precision, k, progress, file)


def _analyse(tickets, examples, faq, saved, target_precision, k, progress, file) -> SupportAnalysis:
    start = time.time()
    if tickets is None or len(tickets) == 0:
        raise InputError("there are no tickets to read.", file=file, fix="upload a file with one ticket or message per row.")
    if "text" not in tickets.columns:
        raise InputError("no column holds the ticket text.", file=file, fix="name the message column 'text'.")
    df = tickets.reset_index(drop=True).copy()
    df["text"] = df["text"].astype("str")
    # A frame that did not come through the intake gets the canonical columns it lacks.
    if "ticket_id" not in df:
        df["ticket_id"] = [f"row-{i + 2}" for i in range(len(df))]
    for col, empty in (("created_at", pd.NaT), ("resolution_minutes", np.nan), ("satisfaction", np.nan)):
        if col not in df:
            df[col] = empty
    notes: list[str] = []
    examples = clean_examples(examples)
    faq_clean = clean_faq(faq) if faq is not None else None
    say = progress or (lambda f, m: None)

    texts = list(df["text"])
    extra = (list(examples["text"]) if examples is not None else []) + (list(faq_clean["question"]) if faq_clean is not None else []) \
        + (list(saved["text"]) if saved is not None else [])
    say(0.05, "Reading the tickets with the bundled text model…")
    featurizer = Featurizer().fit(texts + extra)
    feats = featurizer.transform(texts, progress=lambda f, m: say(0.05 + 0.6 * f, f"Reading tickets: {m.split(': ')[-1]}"))

    comparison = None
    sil: dict = {}
    chosen_k = None
    space = None
    if examples is not None or (saved is not None and len(saved)):
        mode = "examples" if examples is not None else "saved"
        lab = examples if examples is not None else saved
        say(0.7, "Learning your intents from the examples…")
        ex_feats = featurizer.transform(list(lab["text"]))
        from ecom_models.support.features import TicketFeatures
        from scipy import sparse

        both = TicketFeatures(np.vstack([feats.emb, ex_feats.emb]), sparse.vstack([feats.chars, ex_feats.chars]).tocsr())
        n = len(df)
        labelled = np.arange(n, n + len(lab))
        y = lab["intent"].to_numpy(dtype=object)
        w = featurizer.meaning_weight(CLASSIFIER_ENCODER_WEIGHT)
        clf = IntentClassifier(encoder_weight=w).fit(both, labelled, y, pool=np.arange(n))
        intent, conf = clf.predict(feats)
        if mode == "examples":
            say(0.8, "Comparing with the TF-IDF baseline on held-out examples…")
            comparison = compare_on_held_out(both, texts + list(lab["text"]), labelled, y, encoder_weight=w)
        space = feats.emb
    else:
        mode = "discovered"
        if len(df) < 10:
            notes.append(f"Only {len(df)} ticket{'s' if len(df) != 1 else ''}: too few to find intents; "
                         "they are shown as one group. Intents need a few dozen tickets at least.")
            intent = np.array(["all tickets"] * len(df), dtype=object)
            conf = np.ones(len(df))
        else:
            say(0.7, "Finding the intents (choosing how many from the data)…")
            ngram_weight = 0.5 if featurizer.meaning_weight(1.0) == 1.0 else 2.0
            disc = IntentDiscovery(k=k, ngram_weight=ngram_weight).fit(feats).result_
            sil, chosen_k, space = disc.silhouette, disc.k, disc.space
            groups = describe_groups(texts, disc.labels, disc.space)
            names = {}
            for g in groups:
                name = name_from_terms(g["top_terms"], f"intent {g['group'] + 1}")
                while name in names.values():
                    name += " (2)"
                names[g["group"]] = name
            intent = np.array([names[g] for g in disc.labels], dtype=object)
            conf = disc.confidence
    df["intent"] = intent
    df["confidence"] = np.round(conf.astype(float), 3)

    tradeoff = threshold = None
    if faq_clean is not None:
        say(0.85, "Matching tickets with your FAQ…")
        matcher = FaqMatcher().fit(faq_clean, featurizer)
        lab_feats = lab_y = None
        if examples is not None and examples["intent"].isin(set(faq_clean["faq_id"])).sum() >= 10:
            lab_feats, lab_y = featurizer.transform(list(examples["text"])), examples["intent"].to_numpy(dtype=object)
        tradeoff = matcher.calibrate(lab_feats, lab_y).tradeoff(feats)
        threshold = tradeoff.threshold_for(target_precision)
        m = matcher.match(feats, threshold)
        df["faq_id"] = m["faq_id"].to_numpy()
        # unrounded: the page answers the tickets at or above the curve's threshold, and a rounded confidence
        # would count a few tickets differently from the curve's own figures
        df["faq_confidence"] = m["faq_confidence"].to_numpy(dtype=float)
        df["best_faq_id"] = m["best_faq_id"].to_numpy()
        if not np.isfinite(threshold):
            notes.append(f"No confidence level is expected to reach {target_precision:.0%} precision on your tickets: "
                         "the FAQ answers nothing at this target. Lower the target or add phrasings to the FAQ.")
    else:
        df["faq_id"] = None
        df["faq_confidence"] = np.nan
        df["best_faq_id"] = None

    say(0.95, "Counting volumes and trends…")
    intents = intent_table(df, space)
    weekly = weekly_counts(df)
    intents = intents.merge(trend_flags(weekly, df), on="intent", how="left")
    return SupportAnalysis(
        tickets=df, intents=intents, weekly=weekly, mode=mode, encoder=encoder_name(featurizer.model_), k=chosen_k, silhouette=sil,
        comparison=comparison, tradeoff=tradeoff, faq=faq_clean, target_precision=target_precision,
        threshold=threshold, seconds=round(time.time() - start, 2), notes=notes)


def intent_table(df: pd.DataFrame, space: np.ndarray | None = None) -> pd.DataFrame:
    """intent, size, share, top_terms, examples, mean_minutes, mean_satisfaction, mean_confidence."""
    codes, names = pd.factorize(df["intent"])
    groups = describe_groups(list(df["text"]), codes, space)
    rows = []
    n = len(df)
    for g in groups:
        idx = codes == g["group"]
        part = df.loc[idx]
        rows.append({
            "intent": str(names[g["group"]]), "size": g["size"], "share": g["size"] / n if n else np.nan,
            "top_terms": g["top_terms"], "examples": g["examples"],
            "mean_minutes": float(part["resolution_minutes"].mean()) if "resolution_minutes" in part and part["resolution_minutes"].notna().any() else np.nan,
            "mean_satisfaction": float(part["satisfaction"].mean()) if "satisfaction" in part and part["satisfaction"].notna().any() else np.nan,
            "mean_confidence": float(part["confidence"].mean()),
        })
    out = pd.DataFrame(rows)
    if len(out):
        # the unsure bucket goes last whatever its size
        out = out.assign(_u=out["intent"] == UNSURE).sort_values(["_u", "size"], ascending=[True, False]).drop(columns="_u")
    return out.reset_index(drop=True)


def weekly_counts(df: pd.DataFrame) -> pd.DataFrame:
    """week (Monday), intent, tickets. Empty without dates."""
    if "created_at" not in df or df["created_at"].isna().all():
        return pd.DataFrame(columns=["week", "intent", "tickets"])
    d = df.dropna(subset=["created_at"])
    week = pd.to_datetime(d["created_at"]).dt.to_period("W-SUN").dt.start_time
    counts = d.assign(week=week).groupby(["week", "intent"]).size().rename("tickets").reset_index()
    # whole grid, so a week without tickets shows as zero
    weeks = pd.date_range(counts["week"].min(), counts["week"].max(), freq="7D")
    grid = pd.MultiIndex.from_product([weeks, counts["intent"].unique()], names=["week", "intent"])
    return counts.set_index(["week", "intent"]).reindex(grid, fill_value=0).reset_index()


def trend_flags(weekly: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    """Per intent: trend (change of weekly tickets, last 8 weeks vs the 8 before), spike_week, spike_tickets,
    new_since (the week it began, `_onset`)."""
    cols = ["intent", "trend", "spike_week", "spike_tickets", "new_since"]
    if weekly.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for intent, g in weekly.groupby("intent"):
        s = g.set_index("week")["tickets"].sort_index()
        last, before = s.iloc[-8:].mean(), s.iloc[-16:-8].mean() if len(s) >= 16 else np.nan
        trend = (last - before) / before if before and before > 0 else np.nan
        med = float(s.median())
        peak_week, peak = s.idxmax(), float(s.max())
        spike = peak >= 3 * max(med, 1) and peak >= med + 10
        rows.append({"intent": intent, "trend": trend, "spike_week": peak_week if spike else pd.NaT,
                     "spike_tickets": int(peak) if spike else np.nan, "new_since": _onset(s)})
    return pd.DataFrame(rows, columns=cols)


def _onset(s: pd.Series, min_before: int = 8) -> pd.Timestamp:
    """The week an intent began: the split with the largest jump in weekly tickets, when at least
    `min_before` quiet weeks come before it, the weeks after average 3x the weeks before and at
    least 2 a week. NaT when the intent was always there."""
    v = s.to_numpy(dtype=float)
    best, best_gain = None, 0.0
    for i in range(min_before, len(v) - 3):
        before, after = v[:i].mean(), v[i:].mean()
        if after >= 2 and after >= 3 * max(before, 0.2) and after - before > best_gain:
            best, best_gain = i, after - before
    return pd.Timestamp(s.index[best]) if best is not None else pd.NaT


# ---------------------------------------------------------------------------------------------
# Edits: rename, merge, split (saved in the workspace by the page, replayed here)
# ---------------------------------------------------------------------------------------------
def apply_edits(analysis: SupportAnalysis, edits: list[dict], featurizer: Featurizer | None = None) -> SupportAnalysis:
    """Replay the merchant's edits on the intents. Ops:
    {"op": "rename", "intent": a, "to": b}, {"op": "merge", "intents": [a, b, ...], "to": c},
    {"op": "split", "intent": a} (two sub-intents by meaning, named by their telling words)."""
    df = analysis.tickets.copy()
    for e in edits or []:
        op = e.get("op")
        if op == "rename" and e.get("to"):
            df.loc[df["intent"] == e.get("intent"), "intent"] = str(e["to"])
        elif op == "merge" and e.get("to"):
            df.loc[df["intent"].isin(e.get("intents", [])), "intent"] = str(e["to"])
        elif op == "split":
            idx = np.flatnonzero(df["intent"].to_numpy() == e.get("intent"))
            if len(idx) < 4:
                continue
            from sklearn.cluster import KMeans

            fz = featurizer or Featurizer().fit(list(df["text"]))
            feats = fz.transform(list(df["text"].iloc[idx]))
            x = np.hstack([feats.emb, feats.chars.toarray() * 0.5]) if feats.chars.shape[1] < 5000 else feats.emb
            sub = KMeans(2, n_init=3, random_state=0).fit_predict(x)
            groups = describe_groups(list(df["text"].iloc[idx]), sub, feats.emb, n_terms=3)
            used = set(df["intent"].unique())
            for g in groups:
                name = name_from_terms(g["top_terms"], f"{e['intent']} ({g['group'] + 1})")
                while name in used:
                    name += " (2)"
                used.add(name)
                df.loc[df.index[idx[sub == g["group"]]], "intent"] = name
    intents = intent_table(df)
    weekly = weekly_counts(df)
    intents = intents.merge(trend_flags(weekly, df), on="intent", how="left")
    out = SupportAnalysis(**{**analysis.__dict__, "tickets": df, "intents": intents, "weekly": weekly})
    return out


def saved_intents(analysis: SupportAnalysis, per_intent: int = 15) -> pd.DataFrame:
    """The typical tickets of each named intent (text, intent): what is saved to reuse the intents next time."""
    rows = []
    df = analysis.tickets
    for intent, g in df[df["intent"] != UNSURE].groupby("intent"):
        top = g.sort_values("confidence", ascending=False).drop_duplicates("text").head(per_intent)
        rows.append(top[["text", "intent"]])
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["text", "intent"])


# ---------------------------------------------------------------------------------------------
# Deflection evidence
# ---------------------------------------------------------------------------------------------
def _wilson(k: float, n: float) -> tuple[float, float]:
    """90% Wilson interval; with no tickets at all, everything from 0 to 1 is possible."""
    return wilson(k, n, z=1.645) if n > 0 else (0.0, 1.0)


def tickets_per_month(df: pd.DataFrame) -> float:
    """Tickets per 30.4 days over the file's span (whole file when undated: assumed one month)."""
    dates = pd.to_datetime(df.get("created_at")).dropna() if "created_at" in df else pd.Series(dtype="datetime64[ns]")
    if len(dates) < 2:
        return float(len(df))
    days = max((dates.max() - dates.min()).days + 1, 1)
    return float(len(df) / days * 30.4) if days >= 28 else float(len(df))


def deflection(analysis: SupportAnalysis, threshold: float | None = None, minutes_per_ticket: float | None = None,
               cost_per_hour: float = DEFAULT_COST_PER_HOUR, monthly_tickets: float | None = None) -> dict:
    """Evidence for the value of answering with the FAQ at `threshold` (default: the analysis's)."""
    df = analysis.tickets
    minutes_known = "resolution_minutes" in df and df["resolution_minutes"].notna().any()
    if minutes_per_ticket is None:
        minutes_per_ticket = float(df["resolution_minutes"].median()) if minutes_known else DEFAULT_MINUTES
    per_month = float(monthly_tickets) if monthly_tickets is not None else tickets_per_month(df)
    base = {"tickets": len(df), "tickets_per_month": per_month, "minutes_per_ticket": minutes_per_ticket,
            "minutes_source": "median handling time in your file" if minutes_known else "assumption (no handling times in the file)",
            "cost_per_hour": cost_per_hour}
    if analysis.tradeoff is None:
        return {**base, "share": None, "share_low": None, "share_high": None, "answered_share": None, "precision": None,
                "hours_saved_per_month": None, "evidence": "no FAQ uploaded: nothing is answered automatically"}
    thr = analysis.threshold if threshold is None else threshold
    conf = df["faq_confidence"].to_numpy(dtype=float)
    answered = int((conf >= thr).sum()) if np.isfinite(thr) else 0
    n = len(df)
    to = analysis.tradeoff
    held = to.at(thr) if np.isfinite(thr) else {"precision": float("nan"), "answered": 0, "right": 0.0}
    precision = held["precision"] if held["answered"] else 0.0
    a_lo, a_hi = _wilson(answered, n)
    if held["answered"]:
        # the labelled matches measure the curve when there are some; else the answered tickets bound the
        # sampling error, and the transfer error of the bundled curve is added on both sides
        k = min(held["answered"], to.n_calibration) if to.n_calibration else held["answered"]
        p_lo, p_hi = _wilson(precision * k, k)
        p_lo, p_hi = max(0.0, p_lo - TRANSFER_ERROR), min(1.0, p_hi + TRANSFER_ERROR)
    else:
        p_lo, p_hi = 0.0, 0.0
    share = answered / n * precision if n else 0.0
    hours = per_month * share * minutes_per_ticket / 60
    basis = (f"{to.n_calibration} labelled tickets" if to.n_calibration else "the bundled confidence curve")
    return {**base, "answered": answered, "answered_share": answered / n if n else 0.0, "precision": precision,
            "precision_interval": [p_lo, p_hi], "held_out_matches": to.n_calibration,
            "held_out_source": to.source, "threshold": thr,
            "share": share, "share_low": a_lo * p_lo, "share_high": a_hi * p_hi,
            "hours_saved_per_month": hours, "hours_low": per_month * a_lo * p_lo * minutes_per_ticket / 60,
            "hours_high": per_month * a_hi * p_hi * minutes_per_ticket / 60,
            "evidence": (f"{answered:,} of {n:,} tickets answered by the FAQ at {precision:.0%} expected precision "
                         f"(mean confidence of the answered tickets, from {basis}; ±{TRANSFER_ERROR:.0%} measured "
                         "transfer error in the range)")}


def operating_point(analysis: SupportAnalysis, target_precision: float) -> tuple[float, dict]:
    """The lowest FAQ confidence threshold whose expected precision on the tickets reaches the target (inf
    when none does: the FAQ then answers nothing) and the figures there ({} when none)."""
    threshold = analysis.tradeoff.threshold_for(target_precision)
    return threshold, (analysis.tradeoff.at(threshold) if threshold != float("inf") else {})


def answered_at(analysis: SupportAnalysis, threshold: float) -> pd.DataFrame:
    """The tickets, with `faq_id` the FAQ entry that answers each at this threshold (None: kept quiet)."""
    t = analysis.tickets
    ok = t["faq_confidence"].to_numpy(dtype=float) >= threshold if np.isfinite(threshold) else np.zeros(len(t), bool)
    return t.assign(faq_id=np.where(ok, t["best_faq_id"], None))


def faq_usage(analysis: SupportAnalysis, answered: pd.DataFrame) -> pd.DataFrame:
    """Tickets answered per FAQ entry (from `answered_at`), with its question and answer, most used first.
    Columns: faq_id, tickets_answered, question, answer."""
    per_faq = answered.dropna(subset=["faq_id"]).groupby("faq_id").size().rename("tickets_answered").reset_index()
    per_faq = per_faq.merge(analysis.faq.drop_duplicates("faq_id")[["faq_id", "question", "answer"]], on="faq_id",
                            how="left")
    return per_faq.sort_values("tickets_answered", ascending=False)


def ab_test_plan(d: dict, baseline_resolution: float = 0.0, weeks_available: float | None = None) -> dict:
    """The A/B test that would confirm the deflection: a bot on half the traffic.

    Primary metric: share of tickets resolved without an agent. Control resolves `baseline_resolution`
    without an agent; treatment adds the expected share. Sample size per arm for 80% power at 5%
    two-sided (normal approximation for two proportions); guardrail: satisfaction not lower.
    """
    from math import ceil

    share = d.get("share") or 0.0
    p1 = baseline_resolution
    p2 = min(p1 + share * 0.5, 0.999)  # plan for half the offline estimate: the bot may not convince everyone
    if p2 <= p1:
        return {"per_arm": None, "weeks": None, "detectable_lift": 0.0, "control_rate": p1, "treatment_rate": p2}
    per_arm = sample_size_two_rates(p1, p2)  # 5% two-sided, 80% power
    per_week = (d.get("tickets_per_month") or 0) / 4.35
    weeks = ceil(2 * per_arm / per_week) if per_week > 0 else None
    return {"per_arm": per_arm, "weeks": weeks, "detectable_lift": p2 - p1, "control_rate": p1, "treatment_rate": p2}
