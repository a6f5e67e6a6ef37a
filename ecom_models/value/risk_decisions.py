"""The risk row from the merchant's decisions, rank-aware.

Merchants decide on the riskiest orders first, so the fraud share among their decisions is the
share at the *top* of the review queue, not in the whole queue: reading the decisions as a random
sample of the queue overstates the money (2.4x on a real wholesaler's orders). Here each decision
keeps its rank:

    confirmed     the orders marked fraud that the queue (the `capacity x days` riskiest) holds,
                  at their own values: measured, no model.
    extrapolated  the undecided queue orders' fraud value, from a chance of fraud
                  logit p = a + b log(rank / ref) + c log(value / vref), b <= 0 (the chance never
                  rises down the list), c free (at one rank big wholesale orders are mostly fine),
                  a grid posterior fitted on the decisions (rank, value, fraud or fine), flat in the
                  slopes, its prior on (a, b) the row's prior on the share of orders that are fraud
                  (each curve weighted by the prior mass of the store-wide share it implies: decisions
                  far from the top pin the level where they are, not the slope, and flat priors read
                  steep slopes up the list into dozens of fraud orders in the queue);
                  ref = their geometric-mean rank, vref = the riskiest orders' median value.
                  Two forms, half the draws each: every order at its own value x p; and the count
                  of fraud by the rank-only curve (c = 0) x the value of the orders marked fraud
                  (with two orders' worth of the prior fraud order value, itself uncertain).
                  The draws carry the curve's uncertainty, the chance that an order is fraud or
                  not (normal approximation) and a model error (MODEL_SD).

Any shape of decisions works: the top N (the curve is extrapolated below them, its slope only
loosely known, so the range is wide), a random sample of the queue, scattered picks, orders
outside the queue (the curve bounds the queue from below; the share-of-fraud prior from above).
With fewer than CURVE_MIN_DECISIONS decisions the curve is not fitted: the undecided part is
priced with the prior's draws (confirmed money stays measured), so the range is the prior's width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

DAYS_PER_MONTH = 30.44
SLOPES = np.linspace(-3.0, 0.0, 31)  # b: the chance of fraud never rises down the list
LEVELS = np.linspace(-12.0, 6.0, 121)  # a, on the logit scale
VALUE_SLOPES = np.linspace(-2.0, 2.0, 13)  # c: at one rank, big orders may be more or less often fraud
MODEL_SD = 0.6  # log-normal error of the curve's form itself (set on the simulated stores of bench/value_calibration.py)
MAX_FIT = 1500  # decisions used for the fit (a random subset, weighted up, beyond it)


@dataclass(frozen=True)
class DecisionMoney:
    """Monthly money of the review queue from the decisions: confirmed + extrapolated."""

    queue: int  # orders in the review queue (capacity x days)
    confirmed: float  # monthly value of the queue orders marked fraud (before the loss share)
    confirmed_orders: int
    decided_in_queue: int
    open_orders: int  # queue orders without a decision
    extrapolated: float  # median monthly value of fraud among them
    extrapolated_low: float
    extrapolated_high: float
    draws: np.ndarray  # monthly totals (confirmed + extrapolated), before the loss share
    p_top: float  # median chance of fraud at the first undecided queue order
    p_end: float  # ... at the queue's last order
    fitted: bool  # False: too few decisions, the extrapolated part is left to the caller


def queue_size(capacity_per_day: float, period_days: float, n_ranked: int) -> int:
    return int(min(n_ranked, round(capacity_per_day * period_days)))


def split_decisions(evidence, k: int):
    """(ranks, is_fraud, values) of the decisions and the mask of undecided ranks 1..k."""
    dec = np.asarray(evidence.decisions, dtype=float).reshape(-1, 3)
    ranks, fraud, values = dec[:, 0].astype(int), dec[:, 1] > 0.5, dec[:, 2]
    open_ = np.ones(k, dtype=bool)
    inside = ranks[(ranks >= 1) & (ranks <= k)]
    open_[inside - 1] = False
    return ranks, fraud, values, open_


def curve_posterior(x: np.ndarray, z: np.ndarray, fraud: np.ndarray, weight: float = 1.0,
                    log_prior: np.ndarray | float = 0.0) -> np.ndarray:
    """Posterior weights [c, b, a] of logit p = a + b x + c z (x: log rank, z: log value, both centred);
    `log_prior` [b, a] (`rate_log_prior`; flat when 0); `weight`: each decision's weight (a subset
    stands for all)."""
    loglik = np.empty((len(VALUE_SLOPES), len(SLOPES), len(LEVELS)))
    for h, c in enumerate(VALUE_SLOPES):
        for i, b in enumerate(SLOPES):
            eta = LEVELS[:, None] + (b * x + c * z)[None, :]
            # log sigmoid(eta) for fraud, log sigmoid(-eta) for fine, without overflow
            loglik[h, i] = -(np.logaddexp(0, -eta[:, fraud]).sum(1) + np.logaddexp(0, eta[:, ~fraud]).sum(1))
    loglik = loglik * weight + log_prior
    w = np.exp(loglik - loglik.max())
    return w / w.sum()


def _value_ref(values: np.ndarray) -> float:
    positive = values[values > 0]
    return float(np.median(positive)) if len(positive) else 1.0


def rate_log_prior(n_ranked: int, ref: float, rate_prior: tuple[float, float] | None) -> np.ndarray | float:
    """Log prior weights [b, a] of the curve from the prior on the share of orders that are fraud
    (log-normal `rate_prior` = (mu, sigma), the one the row uses without decisions): each grid cell
    gets the prior mass of the store-wide fraud share its curve implies (mean chance over all
    `n_ranked` orders, at an order of median value). Flat when there is no prior.

    Why: a few decisions far from the top of the list (scattered picks, orders below the queue) pin
    the curve's level where they are but hardly its slope, and with flat priors most steep slopes,
    read up the list, put dozens of fraud orders in the queue: a store-wide share far above
    anything the decisions or the prior support."""
    if rate_prior is None or n_ranked < 1:
        return 0.0
    from scipy.stats import norm

    mu, sigma = rate_prior
    # ranks 1..n in geometric cells: one representative rank and the count of ranks it stands for
    edges = np.unique(np.round(np.geomspace(1, n_ranked + 1, 400)).astype(int))
    rep, count = np.sqrt(edges[:-1] * np.maximum(edges[1:] - 1, edges[:-1])), np.diff(edges)
    step = LEVELS[1] - LEVELS[0]
    a_edges = np.concatenate([LEVELS - step / 2, [LEVELS[-1] + step / 2]])
    eta = a_edges[None, :, None] + SLOPES[:, None, None] * np.log(rep / ref)[None, None, :]
    rate = (count / (1 + np.exp(-eta))).sum(-1) / n_ranked  # [b, a edge], rising in a
    mass = np.diff(norm.cdf((np.log(np.clip(rate, 1e-300, None)) - mu) / sigma), axis=1)
    return np.log(np.clip(mass, 1e-300, None))


@lru_cache(maxsize=8)
def _posterior(decisions: tuple, vref: float, n_ranked: int = 0, rate_prior: tuple[float, float] | None = None):
    """(weights, ref rank, vref) for these decisions: the same at every review capacity, so the Risk
    page's curve by capacity fits once."""
    dec = np.asarray(decisions, dtype=float).reshape(-1, 3)
    ranks, fraud, values = dec[:, 0], dec[:, 1] > 0.5, dec[:, 2]
    ref = float(np.exp(np.mean(np.log(ranks))))
    n = len(ranks)
    fit = np.arange(n) if n <= MAX_FIT else np.random.default_rng(0).choice(n, MAX_FIT, replace=False)
    z = np.log(np.clip(values[fit], 0.01 * vref, None) / vref)
    log_prior = rate_log_prior(max(n_ranked, int(ranks.max())), ref, rate_prior)
    return curve_posterior(np.log(ranks[fit] / ref), z, fraud[fit], n / len(fit), log_prior), ref, vref


CURVE_MIN_DECISIONS = 30  # 20 decisions at the top pin the curve's level there, not its fall below


def decision_money(evidence, capacity_per_day: float, min_decisions: int = CURVE_MIN_DECISIONS, n_draws: int = 4000,
                   seed: int = 0, rate_prior: tuple[float, float] | None = None) -> DecisionMoney | None:
    """See the module docstring. None when the evidence carries no ranked queue (an old document).
    `rate_prior`: (mu, sigma) of the log-normal prior on the share of orders that are fraud."""
    values = np.asarray(evidence.ranked_values, dtype=float)
    days = float(evidence.period_days)
    if not len(values) or not (days > 0):
        return None
    k = min(queue_size(capacity_per_day, days, evidence.n_ranked), len(values))
    ranks, fraud, dvalues, open_ = split_decisions(evidence, k)
    per_month = DAYS_PER_MONTH / days
    in_queue = ranks <= k
    confirmed = float(np.clip(dvalues[in_queue & fraud], 0, None).sum()) * per_month
    open_ranks = np.arange(1, k + 1)[open_]
    base = {"queue": k, "confirmed": confirmed, "confirmed_orders": int((in_queue & fraud).sum()),
            "decided_in_queue": int(in_queue.sum()), "open_orders": int(open_.sum())}
    if len(ranks) < min_decisions:
        return DecisionMoney(**base, extrapolated=float("nan"), extrapolated_low=float("nan"),
                             extrapolated_high=float("nan"), draws=np.full(n_draws, confirmed), p_top=float("nan"),
                             p_end=float("nan"), fitted=False)
    queue_values = np.clip(values[:k], 0, None)
    w, ref, vref = _posterior(tuple(tuple(float(v) for v in d) for d in evidence.decisions), _value_ref(values),
                              int(evidence.n_ranked), None if rate_prior is None else tuple(map(float, rate_prior)))
    rng = np.random.default_rng(seed)

    def logv(v):
        return np.log(np.clip(v, 0.01 * vref, None) / vref)

    cells = rng.choice(w.size, size=n_draws, p=w.ravel())
    uniq, inverse = np.unique(cells, return_inverse=True)
    ci, bi, ai = np.unravel_index(uniq, w.shape)
    open_values = queue_values[open_]
    x, z = np.log(open_ranks / ref), logv(open_values)
    mean, var = np.zeros(len(uniq)), np.zeros(len(uniq))
    for start in range(0, len(uniq), 256):  # bounded memory on a long queue
        sl = slice(start, start + 256)
        eta = LEVELS[ai[sl], None] + SLOPES[bi[sl], None] * x[None, :] + VALUE_SLOPES[ci[sl], None] * z[None, :]
        p = 1 / (1 + np.exp(-eta))
        mean[sl], var[sl] = p @ open_values, (p * (1 - p)) @ open_values ** 2
    # each undecided order at its own value: how many are fraud and which ones (normal approximation)
    # and the curve's form is itself an assumption: decisions of one stretch of time or one part of the
    # list can mislead it (on simulated stores by up to 2x), so the draws carry a model error (MODEL_SD)
    model = np.exp(rng.standard_normal(n_draws) * MODEL_SD)
    extra = np.clip(mean[inverse] + rng.standard_normal(n_draws) * np.sqrt(var[inverse]), 0, None) * model * per_month
    # A second form, equal weight: the chance by rank alone (the c = 0 slice of the same grid) times the
    # value of the orders marked fraud (Bayesian bootstrap, with two orders' worth of the prior's 1.5x the
    # average order). Where the two disagree (the tail below the top-N decisions, scattered picks),
    # the range holds both.
    half = n_draws // 2
    extra[half:] = _by_count(w, ref, open_ranks, np.clip(dvalues[fraud], 0, None), evidence.order_value,
                             n_draws - half, rng) * per_month
    mid, lo, hi = (float(v) for v in np.quantile(extra, [0.5, 0.05, 0.95]))

    def p_at(rank):
        eta = LEVELS[ai] + SLOPES[bi] * math.log(rank / ref)  # an order of the queue's median value
        return float(np.median((1 / (1 + np.exp(-eta)))[inverse]))

    return DecisionMoney(**base, extrapolated=mid, extrapolated_low=lo, extrapolated_high=hi, draws=confirmed + extra,
                         p_top=p_at(open_ranks[0]) if len(open_ranks) else float("nan"),
                         p_end=p_at(k), fitted=True)


def _by_count(w: np.ndarray, ref: float, open_ranks: np.ndarray, fraud_values: np.ndarray, order_value: float,
              n: int, rng) -> np.ndarray:
    """Draws of the undecided queue's fraud value: how many are fraud (rank-only curve) x their value."""
    wc = w[int(np.argmin(np.abs(VALUE_SLOPES)))]
    cells = rng.choice(wc.size, size=n, p=(wc / wc.sum()).ravel())
    uniq, inverse = np.unique(cells, return_inverse=True)
    bi, ai = np.unravel_index(uniq, wc.shape)
    x = np.log(open_ranks / ref)
    count, count_var = np.zeros(len(uniq)), np.zeros(len(uniq))
    for start in range(0, len(uniq), 256):
        sl = slice(start, start + 256)
        p = 1 / (1 + np.exp(-(LEVELS[ai[sl], None] + SLOPES[bi[sl], None] * x[None, :])))
        count[sl], count_var[sl] = p.sum(1), (p * (1 - p)).sum(1)
    from ecom_models.value.priors import prior

    size = prior("risk", "fraud_order_value")
    pseudo = 2.0
    # the prior's fraud order value is itself uncertain (its own range): with one or two orders marked
    # fraud the Bayesian bootstrap barely moves, so without this the value of the undecided fraud
    # would be read as known from a single order
    m0 = (size.value * (order_value if math.isfinite(order_value) else 0.0)
          * np.exp(rng.standard_normal(n) * math.log(size.high / size.value) / 1.645))
    if len(fraud_values):
        boot = rng.dirichlet(np.ones(len(fraud_values)), n) * len(fraud_values)
        m_f = (boot @ fraud_values + pseudo * m0) / (len(fraud_values) + pseudo)
        s2 = float(np.var(fraud_values)) if len(fraud_values) > 1 else m0 ** 2
    else:
        m_f, s2 = m0, m0 ** 2
    n_f, n_var = count[inverse], count_var[inverse]
    sd = np.sqrt(n_var * m_f ** 2 + n_f * s2)
    model = np.exp(rng.standard_normal(n) * MODEL_SD)
    return np.clip(n_f * m_f + rng.standard_normal(n) * sd, 0, None) * model


def decisions_estimate(dm: DecisionMoney, prior_draws: np.ndarray, evidence, capacity: float, loss: float,
                       catch_text: str, prior_text: str, assumptions: list):
    """The risk row priced from the decisions (`decision_money`); with too few decisions to fit the
    curve, the undecided queue orders take their share of the prior's draws (`prior_draws`, monthly,
    loss included) so the range stays as wide as the prior's."""
    from ecom_models.core.evidence import ValueEstimate
    from ecom_models.core.formatting import format_money, format_money_range
    from ecom_models.value.format import SPLIT_END, SPLIT_START

    cur = evidence.currency
    values = np.clip(np.asarray(evidence.ranked_values, dtype=float)[:dm.queue], 0, None)
    *_, open_ = split_decisions(evidence, dm.queue)
    confirmed = dm.confirmed * loss
    if dm.fitted:
        extra = (dm.draws - dm.confirmed) * loss
        how = (f"chance of fraud by rank fitted on your decisions (never rising down the list): about {dm.p_top:.1%} "
               f"at the first of them, {dm.p_end:.1%} at the queue's end")
    else:
        share = float(values[open_].sum() / values.sum()) if values.sum() > 0 else 0.0
        extra = np.asarray(prior_draws, dtype=float) * share
        how = (f"too few decisions to fit a chance of fraud by rank, so the typical figure: {prior_text}, on their "
               f"{share:.0%} of the queue's value")
    total = confirmed + extra
    mid, lo, hi = (float(v) for v in np.quantile(total, [0.5, 0.05, 0.95]))
    e_mid, e_lo, e_hi = (float(v) for v in np.quantile(extra, [0.5, 0.05, 0.95]))

    def m(x):
        return format_money(x, cur)

    split = (f"{SPLIT_START}{m(confirmed)} a month (measured: the {dm.confirmed_orders:,} orders you marked fraud "
             f"that the queue holds) + extrapolated {m(e_mid)} ({format_money_range(e_lo, e_hi, cur)}) for the {dm.open_orders:,}"
             f"{SPLIT_END}")
    evidence_text = (
        f"your {evidence.decided:,} decisions ({evidence.decided_fraud:,} fraud, {dm.decided_in_queue:,} in the review "
        f"queue of the {dm.queue:,} riskiest orders, {capacity:g} a day); the {dm.open_orders:,} undecided queue orders: "
        f"{how} (extrapolated); {catch_text}")
    note = split + " Only orders stopped before shipping count; review time is not costed."
    if dm.fitted:  # the curve replaces the fraud order size; the base rate stays the curve's prior
        assumptions = [a for a in assumptions if a.key in ("capacity_per_day", "loss_share", "base_rate")]
    kind = "measured" if dm.open_orders == 0 else ("labels" if dm.fitted else "assumption")
    return ValueEstimate(
        model="risk", lever="fraud losses prevented by reviewing the riskiest orders before shipping",
        monthly_value=mid, monthly_low=min(lo, mid), monthly_high=max(hi, mid), evidence=evidence_text,
        evidence_kind=kind, currency=cur, note=note, assumptions=assumptions)
