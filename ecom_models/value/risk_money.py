"""The risk row: fraud losses prevented by reviewing the riskiest orders (formula in
`ecom_models.value.valuation`'s docstring). Split out of valuation.py, which re-exports it: the
business case prices levers by name from there (`compute.priced`)."""

from __future__ import annotations

import math

from ecom_models.core.evidence import Assumption, RiskEvidence, ValueEstimate
from ecom_models.core.stats import finite as _finite
from ecom_models.value.priors import as_assumption, prior, prior_value, zero_lognormal

P_NO_FRAUD = 0.10  # prior chance that a store has no fraud at all
MIN_DECISIONS = 20  # from this many decisions the row rests on the merchant's labels
_N_DRAWS = 4000


def base_rate_posterior(median: float, high: float, evidence: RiskEvidence | None = None, q: float | None = None):
    """Grid (rates, probabilities) of the share of orders that are fraud, after the decisions.

    Prior: P_NO_FRAUD at zero, else log-normal. Each decided order in the review queue is fraud
    with chance min(r x lift, 0.99); outside the queue r x (1 - q) / (1 - s)."""
    import numpy as np
    from scipy.stats import norm

    mu, sigma = zero_lognormal(median, high, P_NO_FRAUD)
    grid = np.concatenate([[0.0], np.logspace(-6, math.log10(0.5), 600)])
    edges = np.concatenate([[grid[1] / 2], np.sqrt(grid[1:-1] * grid[2:]), [grid[-1] * 1.01]])
    cdf = norm.cdf((np.log(edges[:-1]) - mu) / sigma)  # cell i (i >= 1) ends at edges[i]
    cells = np.diff(np.concatenate([[0.0], cdf[1:], [1.0]]))  # the tails land in the first and last cell
    w = np.concatenate([[P_NO_FRAUD], (1 - P_NO_FRAUD) * cells])
    if evidence is not None and evidence.decided > 0 and evidence.catch is not None:
        catch = evidence.catch
        s = min(max(catch.reviewed_share, 1e-6), 1 - 1e-6)
        qq = min(max(q if q is not None else catch.catch_share, 1e-3), 1 - 1e-3)
        lift_in, lift_out = qq / s, (1 - qq) / (1 - s)
        x_in, n_in = evidence.decided_fraud_in_queue, evidence.decided_in_queue
        x_out, n_out = evidence.decided_fraud - x_in, evidence.decided - n_in
        with np.errstate(divide="ignore"):
            p_in = np.clip(grid * lift_in, 0, 0.99)
            p_out = np.clip(grid * lift_out, 0, 0.99)
            def term(x, p):
                return np.where(x > 0, x * np.log(np.where(p > 0, p, 1e-300)), 0.0) if x else 0.0

            loglik = (term(x_in, p_in) + (n_in - x_in) * np.log1p(-p_in)
                      + term(x_out, p_out) + (n_out - x_out) * np.log1p(-p_out))
            if x_in or x_out:  # a store with fraud cannot have none
                loglik = np.where(grid > 0, loglik, -np.inf)
        loglik = np.where(np.isfinite(loglik), loglik, -np.inf)
        loglik -= loglik.max()
        w = w * np.exp(loglik)
    return grid, w / w.sum()


def risk_value(evidence: RiskEvidence, base_rate: float | None = None, fraud_order_value: float | None = None,
               loss_share: float | None = None, capacity_per_day: float | None = None, seed: int = 0) -> ValueEstimate:
    """Monthly fraud loss prevented by reviewing the riskiest orders (see the module docstring)."""
    import numpy as np

    cur = evidence.currency
    p_rate = prior("risk", "base_rate")
    median = float(base_rate) if _finite(base_rate) else p_rate.value
    high = p_rate.high * median / p_rate.value if p_rate.value else p_rate.high  # an edit moves the whole prior
    p_size = prior("risk", "fraud_order_value")
    size_source = "prior"
    if _finite(fraud_order_value):
        size, size_sd = float(fraud_order_value), math.log(p_size.high / p_size.value) / 1.645
    elif evidence.fraud_value_n >= 3 and _finite(evidence.fraud_value_ratio) and evidence.fraud_value_ratio > 0:
        # the orders the merchant marked as fraud update the prior (normal on the log scale): fraud
        # order values are heavy-tailed, so a few of them move it only a little
        sd0 = math.log(p_size.high / p_size.value) / 1.645
        spread = max(evidence.fraud_value_log_sd if _finite(evidence.fraud_value_log_sd) else 1.5, 0.5)
        # the mean of log-normal values: its relative spread is sqrt(exp(sigma^2) - 1) / sqrt(n)
        se = math.sqrt(math.expm1(min(spread, 3.0) ** 2) / evidence.fraud_value_n)
        w0, w1 = 1 / sd0 ** 2, 1 / se ** 2
        size = math.exp((w0 * math.log(p_size.value) + w1 * math.log(evidence.fraud_value_ratio)) / (w0 + w1))
        size_sd, size_source = 1 / math.sqrt(w0 + w1), "your orders marked fraud"
    else:
        size, size_sd = p_size.value, math.log(p_size.high / p_size.value) / 1.645
    loss = float(loss_share) if _finite(loss_share) else prior_value("risk", "loss_share")
    capacity = float(capacity_per_day) if _finite(capacity_per_day) else evidence.capacity_per_day
    catch = evidence.catch
    if catch is None or catch.injected == 0 or not _finite(evidence.monthly_orders):
        return ValueEstimate("risk", "fraud losses prevented by reviewing the riskiest orders before shipping", float("nan"),
                             float("nan"), float("nan"), "the detector could not be tested on these orders", "assumption",
                             [], cur)
    if capacity != catch.capacity_per_day:  # the same scored copy answers any capacity
        from ecom_models.risk.inject import at_capacity

        catch = at_capacity(catch, capacity)
    rng = np.random.default_rng(seed)
    q = rng.beta(catch.caught + 1, catch.injected - catch.caught + 1, _N_DRAWS)
    use_labels = evidence.decided > 0
    ranked = None
    if use_labels and evidence.ranked_values:  # rank-aware: the decisions keep their place in the list
        from ecom_models.value.risk_decisions import decision_money, decisions_estimate

        ranked = decision_money(evidence, capacity, n_draws=_N_DRAWS, seed=seed,
                                rate_prior=zero_lognormal(median, high, P_NO_FRAUD))
    grid, w = base_rate_posterior(median, high, evidence if use_labels and ranked is None else None, catch.catch_share)
    r = rng.choice(grid, size=_N_DRAWS, p=w)
    caught_orders = np.minimum(r * evidence.monthly_orders * q, capacity * 30.44)
    sizes = size * np.exp(rng.standard_normal(_N_DRAWS) * size_sd)
    draws = caught_orders * evidence.order_value * sizes * loss
    mid, lo, hi = (float(x) for x in np.quantile(draws, [0.5, 0.05, 0.95]))
    r_mid, r_lo, r_hi = (float(x) for x in np.quantile(r, [0.5, 0.05, 0.95]))
    kind = "labels" if evidence.decided >= MIN_DECISIONS else "assumption"
    decided = (f"; your {evidence.decided:,} decisions ({evidence.decided_fraud:,} fraud, "
               f"{evidence.decided_in_queue:,} of them in the review queue) update it to {r_mid:.2%} "
               f"({r_lo:.2%} to {r_hi:.2%})" if use_labels else
               "; no decisions yet: mark reviewed orders on the Risk page to replace this prior")
    evidence_text = (
        f"detector tested on your own orders: {catch.caught} of {catch.injected} synthetic fraud orders "
        f"({catch.catch_share:.0%}) landed among the {capacity:g} riskiest a day (you review {catch.reviewed_share:.1%} "
        f"of orders, so fraud is {catch.lift:.1f}x denser in the queue); share of orders that are fraud: prior "
        f"{median:.2%} (0 to {high:.1%}){decided}")
    precision = min(1.0, r_mid * catch.lift) if _finite(catch.lift) else float("nan")
    note = (f"Chance that a reviewed order is fraud: about {precision:.1%} (fraud share x {catch.lift:.1f}). "
            "Only orders stopped before shipping count; review time is not costed.")
    assumptions = [
        Assumption("capacity_per_day", "Orders your team can review per day", capacity, "orders/day",
                   "how many of the riskiest orders someone checks before shipping", 1.0, 50.0),
        Assumption("base_rate", p_rate.label, median, "%",
                   p_rate.source + (" Your decisions update it." if use_labels else ""), 0.0005, 0.01),
        as_assumption("risk", "fraud_order_value", size,
                      help_=None if size_source == "prior" else f"measured: mean of {evidence.fraud_value_n} orders "
                                                                "you marked as fraud, against your average order"),
        as_assumption("risk", "loss_share", loss),
    ]
    if ranked is not None:
        catch_text = evidence_text.split("; share of orders")[0]
        return decisions_estimate(ranked, draws, evidence, capacity, loss, catch_text,
                                  f"prior {median:.2%} of orders ({catch.catch_share:.0%} of them caught)", assumptions)
    return ValueEstimate(
        model="risk", lever="fraud losses prevented by reviewing the riskiest orders before shipping",
        monthly_value=mid, monthly_low=min(lo, mid), monthly_high=max(hi, mid), evidence=evidence_text,
        evidence_kind=kind, currency=cur, note=note, assumptions=assumptions)
