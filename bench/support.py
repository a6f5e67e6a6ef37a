"""Bench customer service: speed of a first analysis, and accuracy on realistic retail support messages.

    .venv/bin/python bench/support.py [--speed-only] [--seeds 3]

Speed: 2,000 tickets (27 intents, with dates and handling times) analysed in a fresh process, first run
included (model loading, reading, discovery with k chosen from the data, FAQ matching and calibration);
then the same file with 10 labelled tickets per intent (self-training and the 3-fold baseline comparison).

Accuracy (the issue's acceptance, on messages from ecom_models.demo.support_synth; the public 27-intent
retail set is not on this machine): per seed, 2,000 messages of 27 intents,
- 10 labelled examples per intent -> accuracy on the rest: ours (argmax, and with the unsure bucket
  counted wrong) vs TF-IDF words + logistic regression;
- no labels -> NMI of the discovered intents (k chosen by the model) vs TF-IDF k-means given k = 27;
- FAQ of one entry per intent with 3 phrasings -> precision at half coverage (tickets ranked by
  confidence) vs TF-IDF cosine matching, and the operating point calibrated on the FAQ's own
  phrasings for a 90% target (coverage and precision on the tickets);
two difficulty levels: "plain" (few greetings and sign-offs, 2% typos; closer to the public set) and
"noisy" (greetings, context sentences and sign-offs on about a third of messages, 4% typos).
Chinese: 10 intents, 300 messages, 8 labelled per intent, Chinese FAQ.

FAQ operating point (`--faq-only`): precision delivered vs the target (80/85/90/95%) and coverage, without
labels, before (main's code, `--before /work/main`) and after, on sets the bundled confidence curve never saw:
the 13 held-out intents (B) of support_synth with plain and noisy wording, FAQs of 1 and 3 phrasings, an FAQ
covering 9 of the 13 intents; B's tickets against the whole 27-entry FAQ (the case closest to the issue's real
retail set); all 27 intents' tickets (half of them of the calibration intents A); the demo store (its earbuds defect has no FAQ entry);
Chinese with the multilingual encoder. `--fit-prior` refits the bundled curve (faq.PRIOR_COEF,
PRIOR_INTERCEPT) on the other 14 intents (A) and prints it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def speed() -> None:
    from ecom_models.demo.support_synth import faq, labelled_examples, messages

    with tempfile.TemporaryDirectory() as tmp:
        df = messages(2000, seed=21)
        rng = np.random.default_rng(0)
        df["ticket_id"] = [f"T{i}" for i in range(len(df))]
        df["created_at"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 180 * 24, len(df)), unit="h")
        df["resolution_minutes"] = rng.gamma(2, 4, len(df)).round(1)
        df.drop(columns="intent").to_csv(f"{tmp}/tickets.csv", index=False)
        faq().to_csv(f"{tmp}/faq.csv", index=False)
        labelled_examples(df, 10, seed=1)[0][["text", "intent"]].to_csv(f"{tmp}/examples.csv", index=False)
        for label, extra in (("discovery + FAQ", []), ("10 examples per intent + FAQ", ["--examples", f"{tmp}/examples.csv"])):
            t0 = time.perf_counter()
            out = subprocess.run([sys.executable, "-m", "ecom_models", "support", f"{tmp}/tickets.csv", "--faq",
                                  f"{tmp}/faq.csv", *extra, "--json"], cwd=ROOT, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            ok = "ok" if out.returncode == 0 else f"FAILED: {out.stderr[-300:]}"
            print(f"speed  2,000 tickets, {label:30s} {wall:5.1f} s wall, fresh process, first run included ({ok})")


def accuracy(seeds: int) -> None:
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import normalized_mutual_info_score as nmi
    from threadpoolctl import threadpool_limits

    from ecom_models.support import analyse_tickets
    from ecom_models.support.features import Featurizer
    from ecom_models.support.intents import CLASSIFIER_ENCODER_WEIGHT, IntentClassifier
    from ecom_models.demo.support_synth import faq, labelled_examples, messages

    fq = faq()
    for level, extras, typos in (("plain", 0.3, 0.02), ("noisy", 1.0, 0.04)):
        rows = []
        for seed in range(seeds):
            df = messages(2000, seed=100 + seed, extras=extras, typo_rate=typos)
            ex, rest = labelled_examples(df, 10, seed=seed)
            y = rest["intent"].to_numpy()
            with threadpool_limits(1):
                # baseline: TF-IDF + LR on the 270 labelled messages only
                v = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
                base = LogisticRegression(C=10, max_iter=2000).fit(v.fit_transform(ex["text"]), ex["intent"])
                acc_base = float((base.predict(v.transform(rest["text"])) == y).mean())
                # ours, as analyse_tickets does it
                fz = Featurizer().fit(list(rest["text"]) + list(ex["text"]) + list(fq["question"]))
                from scipy import sparse

                from ecom_models.support.features import TicketFeatures
                fr, fe = fz.transform(list(rest["text"])), fz.transform(list(ex["text"]))
                both = TicketFeatures(np.vstack([fr.emb, fe.emb]), sparse.vstack([fr.chars, fe.chars]).tocsr())
                n = len(rest)
                clf = IntentClassifier(encoder_weight=fz.meaning_weight(CLASSIFIER_ENCODER_WEIGHT)).fit(
                    both, np.arange(n, n + len(ex)), ex["intent"].to_numpy(dtype=object), pool=np.arange(n))
                label, conf = clf.predict(fr)
                argmax = clf.classes_[clf.predict_proba(fr).argmax(axis=1)]
                acc_ours = float((argmax == y).mean())
                acc_unsure = float((label == y).mean())
                unsure = float((label == "unsure").mean())
                # discovery and FAQ (no labels)
                a = analyse_tickets(rest.drop(columns="intent"), faq=fq)
                nmi_ours = nmi(y, a.tickets["intent"])
                tv = TfidfVectorizer(sublinear_tf=True, stop_words="english")
                nmi_base = nmi(y, KMeans(27, n_init=5, random_state=seed).fit_predict(tv.fit_transform(rest["text"])))
                conf_faq = a.tickets["faq_confidence"].to_numpy(dtype=float)
                right = a.tickets["best_faq_id"].to_numpy() == y
                half = np.argsort(-conf_faq)[: n // 2]
                p_half = float(right[half].mean())
                answered = a.tickets["faq_id"].notna().to_numpy()
                cov_cal, p_cal = float(answered.mean()), float(right[answered].mean()) if answered.any() else float("nan")
                fv = TfidfVectorizer(sublinear_tf=True).fit(list(fq["question"]) + list(rest["text"]))
                sim = (fv.transform(rest["text"]) @ fv.transform(fq["question"]).T).toarray()
                b_right = fq["faq_id"].to_numpy()[sim.argmax(axis=1)] == y
                p_half_base = float(b_right[np.argsort(-sim.max(axis=1))[: n // 2]].mean())
            rows.append(dict(acc_ours=acc_ours, acc_with_unsure=acc_unsure, unsure=unsure, acc_base=acc_base,
                             nmi_ours=nmi_ours, k=a.k, nmi_base=nmi_base, faq_p_half=p_half, faq_p_half_base=p_half_base,
                             faq_cov_cal=cov_cal, faq_p_cal=p_cal))
        r = pd.DataFrame(rows)
        m = r.mean()
        print(f"\n{level} ({seeds} seeds x 2,000 messages, 27 intents); mean [min-max]")
        fmt = lambda c: f"{m[c]:.3f} [{r[c].min():.3f}-{r[c].max():.3f}]"  # noqa: E731
        print(f"  10 labels/intent  accuracy ours {fmt('acc_ours')}  (unsure counted wrong {fmt('acc_with_unsure')}, "
              f"unsure {m['unsure']:.1%})  vs TF-IDF+LR {fmt('acc_base')}")
        print(f"  no labels         NMI ours {fmt('nmi_ours')} (k chosen: {', '.join(map(str, r['k']))})  "
              f"vs TF-IDF k-means (k=27 given) {fmt('nmi_base')}")
        print(f"  FAQ 27x3          precision at half coverage ours {fmt('faq_p_half')} vs TF-IDF {fmt('faq_p_half_base')}")
        print(f"                    calibrated on FAQ phrasings, target 90%: answers {fmt('faq_cov_cal')} of tickets "
              f"at precision {fmt('faq_p_cal')}")


def chinese() -> None:
    from ecom_models.support import analyse_tickets
    from ecom_models.demo.support_synth import faq_zh, labelled_examples, messages_zh

    df = messages_zh(300, seed=4)
    ex, rest = labelled_examples(df, 8, seed=0)
    a = analyse_tickets(rest.drop(columns="intent"), examples=ex, faq=faq_zh())
    y = rest["intent"].to_numpy()
    sure = (a.tickets["intent"] != "unsure").to_numpy()
    ans = a.tickets["faq_id"].notna().to_numpy()
    print(f"\nChinese (10 intents, {len(rest)} tickets, 8 labels/intent, {a.encoder}): accuracy of sure "
          f"{(a.tickets['intent'].to_numpy()[sure] == y[sure]).mean():.3f} ({sure.mean():.0%} sure); held-out "
          f"{a.comparison.accuracy['self-trained']:.3f} vs TF-IDF+LR {a.comparison.accuracy['baseline']:.3f}; FAQ answers "
          f"{ans.mean():.0%} at precision {(a.tickets['faq_id'].to_numpy()[ans] == y[ans]).mean():.3f}")


def intent_split() -> tuple[list[str], list[str]]:
    from ecom_models.demo.support_synth import INTENTS_EN

    names = sorted(INTENTS_EN)
    return names[0::2], names[1::2]


def prior_sets() -> list[tuple[str, pd.DataFrame, pd.DataFrame, str | None]]:
    """The labelled sets the bundled confidence curves are fitted on, all of intents A: the 27-entry-like cases
    (14 entries, plain/noisy, 1-3 phrasings) and FAQs of 5-14 entries drawn at random, some of them with tickets of
    intents the FAQ has no entry for; both sentence encoders."""
    from ecom_models.demo.support_synth import faq, messages

    A, _ = intent_split()
    out = []
    for seed in range(2):
        out.append((f"A plain {seed}", messages(1000, seed=1000 + seed, intents=A, extras=0.3, typo_rate=0.02), faq(A), None))
        out.append((f"A noisy {seed}", messages(1000, seed=1010 + seed, intents=A, extras=1.0, typo_rate=0.04), faq(A), None))
        out.append((f"A {1 + seed} phrasing(s)", messages(1000, seed=1030 + seed, intents=A, extras=0.6, typo_rate=0.03),
                    faq(A).groupby("faq_id").head(1 + seed), None))
    out.append(("A multilingual encoder", messages(600, seed=1040, intents=A, extras=0.6, typo_rate=0.03), faq(A), "multilingual"))
    rng = np.random.default_rng(11)
    for i in range(14):
        size = int(rng.choice([5, 8, 11, 14]))
        entries = list(rng.choice(A, size, replace=False))
        phrasings = int(rng.choice([1, 2, 3]))
        # a third of them with 3 intents the FAQ does not cover (the demo's defect, a new policy...)
        uncovered = list(rng.choice([a for a in A if a not in entries], 3, replace=False)) if size < 14 and rng.random() < 0.35 else []
        extras, typos = float(rng.choice([0.3, 0.6, 1.0])), float(rng.choice([0.02, 0.03, 0.04]))
        model = "multilingual" if i % 4 == 3 else None
        out.append((f"A {size} entries x {phrasings}, {len(uncovered)} uncovered{', multilingual' if model else ''}",
                    messages(700, seed=3000 + i, intents=entries + uncovered, extras=extras, typo_rate=typos),
                    faq(entries).groupby("faq_id").head(phrasings), model))
    return out


def held_out_sets() -> list[tuple[str, pd.DataFrame, pd.DataFrame, str | None]]:
    from ecom_models.demo.support import demo_support
    from ecom_models.demo.support_synth import faq, faq_zh, messages, messages_zh

    _, B = intent_split()
    rng = np.random.default_rng(7)
    part = list(rng.choice(B, 9, replace=False))
    d = demo_support()
    return [
        ("B plain, 13-entry FAQ", messages(800, seed=2000, intents=B, extras=0.3, typo_rate=0.02), faq(B), None),
        ("B noisy, 13-entry FAQ", messages(800, seed=2010, intents=B, extras=1.0, typo_rate=0.04), faq(B), None),
        ("B, 1 phrasing per entry", messages(800, seed=2030, intents=B, extras=0.6, typo_rate=0.03),
         faq(B).groupby("faq_id").head(1), None),
        ("B, FAQ covers 9 of 13", messages(800, seed=2020, intents=B, extras=0.6, typo_rate=0.03), faq(part), None),
        ("27-entry FAQ, B tickets, plain", messages(800, seed=2040, intents=B, extras=0.3, typo_rate=0.02), faq(), None),
        ("27-entry FAQ, B tickets, noisy", messages(800, seed=2050, intents=B, extras=1.0, typo_rate=0.04), faq(), None),
        ("27-entry FAQ, plain", messages(1200, seed=100, extras=0.3, typo_rate=0.02), faq(), None),
        ("27-entry FAQ, noisy", messages(1200, seed=200, extras=1.0, typo_rate=0.04), faq(), None),
        ("demo store (defect not in FAQ)", d.tickets.assign(intent=d.truth["labels"])[["text", "intent"]], d.faq, None),
        ("Chinese, 10-entry FAQ", messages_zh(400, seed=4), faq_zh(), None),
    ]


def _match_stats(tickets: pd.DataFrame, fq: pd.DataFrame, model: str | None):
    """(matcher, features, best score, margin, right) per ticket, matched as analyse_tickets does (this checkout's code)."""
    from ecom_models.support.faq import FaqMatcher, clean_faq
    from ecom_models.support.features import Featurizer

    fq = clean_faq(fq)
    fz = Featurizer().fit(list(tickets["text"]) + list(fq["question"]))
    if model:
        fz.model_ = model
    m = FaqMatcher().fit(fq, fz)
    feats = fz.transform(list(tickets["text"]))
    best, top, margin = m.raw_match(feats)
    return m, feats, top, margin, m.entries_[best] == tickets["intent"].to_numpy()


def _fit_curves(sets: list[dict]) -> dict:
    """encoder -> (coef of the ticket's stat, coef of the set's median stat, intercept), one logistic per encoder."""
    from sklearn.linear_model import LogisticRegression

    from ecom_models.support.faq import curve_features

    out = {}
    for model in sorted({s["model"] for s in sets}):
        mine = [s for s in sets if s["model"] == model]
        X = np.vstack([curve_features(s["stat"]) for s in mine])
        lr = LogisticRegression(C=10.0).fit(X, np.concatenate([s["right"] for s in mine]).astype(int))
        out[model] = (float(lr.coef_[0, 0]), float(lr.coef_[0, 1]), float(lr.intercept_[0]))
    return out


def _delivered(conf: np.ndarray, right: np.ndarray, target: float) -> tuple[float, float]:
    from ecom_models.support.faq import expected_tradeoff

    thr = expected_tradeoff(conf, "").threshold_for(target)
    ans = conf >= thr
    return (float(right[ans].mean()) if ans.any() else float("nan")), float(ans.mean())


def fit_prior() -> None:
    """Fit the bundled curves on every prior set and print them; then leave each set out in turn, fit on the
    others and read the precision delivered at 90% on the one left out (how the curve transfers to an FAQ it
    never saw, within intents A)."""
    from threadpoolctl import threadpool_limits

    from ecom_models.support.faq import FaqMatcher, curve_confidence

    sets = []
    with threadpool_limits(1):
        for name, t, fq, model in prior_sets():
            _, _, top, margin, right = _match_stats(t, fq, model)
            sets.append({"name": name, "model": model or "minilm", "stat": FaqMatcher._stat(top, margin), "right": right})
            print(f"  {name:44s} {len(t):5d} messages, {right.mean():.1%} matched right", flush=True)
    curves = _fit_curves(sets)
    print(f"PRIOR_CURVES = {{{', '.join(f'{m!r}: ({a:.2f}, {b:.2f}, {c:.2f})' for m, (a, b, c) in curves.items())}}}  "
          f"({sum(len(s['right']) for s in sets):,} labelled messages)")
    print("leave one set out, target 90%: precision delivered (coverage)")
    errs = []
    for i, s in enumerate(sets):
        curve = _fit_curves(sets[:i] + sets[i + 1:])[s["model"]]
        p, c = _delivered(curve_confidence(s["stat"], curve), s["right"], 0.9)
        errs.append(p - 0.9)
        print(f"  {s['name']:44s} {p:.3f} ({c:.0%})  accuracy {s['right'].mean():.3f}")
    e = np.abs(np.array(errs))
    print(f"  |delivered - 90%| mean {np.nanmean(e):.3f}, max {np.nanmax(e):.3f}; within 3 points on {int((e <= 0.03).sum())} of {len(e)}")


TARGETS = (0.8, 0.85, 0.9, 0.93, 0.95)  # 0.93: the page's default (support.analysis)


def operating_points() -> list[dict]:
    """Per held-out set and target: coverage and delivered precision without labels, with this checkout's code."""
    from threadpoolctl import threadpool_limits

    rows = []
    with threadpool_limits(1):
        for name, t, fq, model in held_out_sets():
            m, feats, _, _, right = _match_stats(t, fq, model)
            if hasattr(m, "tradeoff"):  # this branch: expected precision on the tickets themselves
                to = m.calibrate().tradeoff(feats)
            else:  # main before: the FAQ's phrasings matched against each other
                to = m.calibrate()
            conf = m.match(feats)["faq_confidence"].to_numpy(dtype=float)
            # the best coverage any threshold could have had at 90% (needs the labels: an oracle)
            order = np.argsort(-conf, kind="stable")
            cum = np.cumsum(right[order]) / np.arange(1, len(order) + 1)
            ok = np.flatnonzero(cum >= 0.9)
            for target in TARGETS:
                thr = to.threshold_for(target)
                ans = conf >= thr
                rows.append({"set": name, "target": target, "coverage": float(ans.mean()),
                             "precision": float(right[ans].mean()) if ans.any() else float("nan"),
                             "oracle_coverage_90": float((ok.max() + 1) / len(order)) if len(ok) else 0.0})
    return rows


def faq_27_seeds() -> list[dict]:
    """The case closest to the issue's real retail set, over 5 seeds: a 27-entry FAQ, 1,000 tickets of the held-out
    intents B or of all 27, plain or noisy; precision delivered and coverage without labels at 90% and at the
    default target (the issue's bar: >= 90% precision at >= 50% answered)."""
    from threadpoolctl import threadpool_limits

    from ecom_models.demo.support_synth import faq, messages
    from ecom_models.support.analysis import DEFAULT_TARGET_PRECISION

    targets = sorted({0.9, DEFAULT_TARGET_PRECISION})

    _, B = intent_split()
    out = []
    with threadpool_limits(1):
        for seed in range(5):
            for label, intents in (("B tickets", B), ("all tickets", None)):
                for level, extras, typos in (("plain", 0.3, 0.02), ("noisy", 1.0, 0.04)):
                    t = messages(1000, seed=7000 + seed * 10 + (level == "noisy") + 5 * (intents is None), intents=intents,
                                 extras=extras, typo_rate=typos)
                    m, feats, _, _, right = _match_stats(t, faq(), None)
                    to = m.calibrate().tradeoff(feats)
                    conf = m.match(feats)["faq_confidence"].to_numpy(dtype=float)
                    for target in targets:
                        ans = conf >= to.threshold_for(target)
                        out.append({"seed": seed, "set": f"27-entry FAQ, {label}, {level}", "target": target,
                                    "precision": float(right[ans].mean()), "coverage": float(ans.mean())})
    r = pd.DataFrame(out)
    for target, rt in r.groupby("target"):
        print(f"\n27-entry FAQ, 5 seeds x 1,000 tickets, target {target:.0%}: precision delivered mean [min-max], "
              "coverage mean [min]")
        for name, g in rt.groupby("set", sort=False):
            print(f"  {name:36s} {g['precision'].mean():.3f} [{g['precision'].min():.3f}-{g['precision'].max():.3f}]  "
                  f"{g['coverage'].mean():.0%} [{g['coverage'].min():.0%}]   within 3 points of the target "
                  f"{int(((g['precision'] - target).abs() <= 0.03).sum())}/5, >= 90% {int((g['precision'] >= 0.9).sum())}/5,"
                  f" >= 90% and >= 50% answered {int(((g['precision'] >= 0.9) & (g['coverage'] >= 0.5)).sum())}/5")
        print(f"  all 20: within 3 points {int(((rt['precision'] - target).abs() <= 0.03).sum())}/20, >= 90% at >= 50% "
              f"answered {int(((rt['precision'] >= 0.9) & (rt['coverage'] >= 0.5)).sum())}/20")
    return out


def faq_checks() -> None:
    """Answers checked on the page (support.checks): the merchant marks the answer the page shows next, right or
    wrong by the truth; the precision delivered at 90% after 5, 10, 20 and 30 checks, on two sets where the bundled
    curve alone is off (an FAQ missing a third of the questions; one phrasing per entry)."""
    from ecom_models.demo.support_synth import faq, messages
    from ecom_models.support import analyse_tickets, answers_to_check, precision_range, with_checks

    _, B = intent_split()
    part = list(np.random.default_rng(7).choice(B, 9, replace=False))
    cases = {"B, FAQ covers 9 of 13": (messages(800, seed=6020, intents=B, extras=0.6, typo_rate=0.03), faq(part)),
             "B, 1 phrasing per entry": (messages(600, seed=5003, intents=B, extras=0.6, typo_rate=0.03),
                                         faq(B).groupby("faq_id").head(1))}
    print("\nAnswers checked on the page, target 90%: precision delivered (coverage) [90% range shown on the page]")
    for name, (t, fq) in cases.items():
        a = analyse_tickets(t.drop(columns="intent"), faq=fq, k=13)
        truth = pd.Series(t["intent"].to_numpy(), index=a.tickets["ticket_id"].to_numpy())

        def delivered(an):
            thr = an.tradeoff.threshold_for(0.9)
            ans = an.tickets[an.tickets["faq_confidence"] >= thr]
            return float((ans["best_faq_id"].to_numpy() == truth[ans["ticket_id"]].to_numpy()).mean()), len(ans) / len(t), thr

        p, c, _ = delivered(a)
        cells, checks, cur = [f"none {p:.3f} ({c:.0%})"], [], a
        for k in range(1, 31):
            r = answers_to_check(cur, cur.tradeoff.threshold_for(0.9), {x["ticket_id"] for x in checks}).iloc[0]
            checks.append({"ticket_id": r["ticket_id"], "right": r["best_faq_id"] == truth[r["ticket_id"]]})
            cur, summary = with_checks(a, pd.DataFrame(checks))
            if k in (5, 10, 20, 30):
                p, c, thr = delivered(cur)
                lo, hi = precision_range(cur, summary, thr)
                cells.append(f"{k}: {p:.3f} ({c:.0%}) [{lo:.2f}-{hi:.2f}]")
        print(f"  {name:26s} " + "  ".join(cells))


def faq_bench(before: str | None) -> None:
    import json

    after = pd.DataFrame(operating_points())
    runs = {"after": after}
    if before:
        code = (f"import sys, json; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
                f"import support as B; sys.path.insert(0, {before!r}); "  # the bench puts this checkout first: main goes before it
                f"import ecom_models; assert ecom_models.__file__.startswith({before!r}), ecom_models.__file__; "
                "print(json.dumps(B.operating_points()))")
        out = subprocess.run([sys.executable, "-c", code], cwd=before, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print("before: FAILED", out.stderr[-500:])
        else:
            runs = {"before": pd.DataFrame(json.loads(out.stdout.strip().splitlines()[-1])), "after": after}
    print("\nFAQ operating point without labels: precision delivered (coverage) per target; oracle = best coverage at 90%")
    for label, r in runs.items():
        print(f"{label}:")
        for name, g in r.groupby("set", sort=False):
            cells = "  ".join(f"{t:.0%}: {p:.3f} ({c:.0%})" for t, p, c in zip(g["target"], g["precision"], g["coverage"]))
            print(f"  {name:32s} {cells}   oracle {g['oracle_coverage_90'].iloc[0]:.0%}")
        for target in (0.9, 0.93):
            at = r[np.isclose(r["target"], target)]
            if at.empty:
                continue
            err = (at["precision"] - target).abs()
            print(f"  at {target:.0%}: |delivered - target| mean {err.mean():.3f}, max {err.max():.3f}; within 3 points on "
                  f"{int((err <= 0.03).sum())} of {len(err)} sets; >= 90% at >= 50% answered on "
                  f"{int(((at['precision'] >= 0.9) & (at['coverage'] >= 0.5)).sum())}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--speed-only", action="store_true")
    ap.add_argument("--faq-only", action="store_true")
    ap.add_argument("--fit-prior", action="store_true")
    ap.add_argument("--faq-27", action="store_true", help="the 27-entry FAQ over 5 seeds")
    ap.add_argument("--faq-checks", action="store_true", help="answers checked on the page")
    ap.add_argument("--before", default=None, help="a checkout of main to compare the FAQ operating point with")
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    if args.fit_prior:
        fit_prior()
    elif args.faq_27:
        faq_27_seeds()
    elif args.faq_checks:
        faq_checks()
    elif args.faq_only:
        faq_bench(args.before)
    else:
        speed()
        if not args.speed_only:
            accuracy(args.seeds)
            chinese()
            faq_bench(args.before)
