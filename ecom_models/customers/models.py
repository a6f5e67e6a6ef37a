"""BG/NBD (purchases) and Gamma-Gamma (spend per purchase), fitted by maximum likelihood.

The likelihoods are those of PyMC-Marketing's `BetaGeoModel` and `GammaGammaModel` (Fader,
Hardie & Lee 2005; Fader, Hardie & Lee 2005b), written with scipy so that a fit takes well under a
second for 100,000 customers and a fresh process needs no PyTensor compilation (measured: the
library's first MAP fit on CDNOW took 42 s on this machine, a fresh process 49 s; see
docs/customers.md). tests/test_customers.py checks the parameters against PyMC-Marketing's
maximum-likelihood fit (flat priors) on the same data.

Time is in days. Predictions are conditional on each customer's history:
- `expected_purchases(t)`: expected purchases in the next t days;
- `p_active(t)`: probability of at least one purchase in the next t days. BG/NBD's P(alive) is 1
  for every one-time buyer (they cannot have dropped out: dropout happens only at a purchase),
  so it cannot flag lapsing one-time buyers; P(buy within t) falls with time since the last
  purchase for everyone;
- `sample_purchases` / `sample_spend`: draws of the purchases and spend in the next t days, for
  80% intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

MIN_CUSTOMERS = 20  # below this the population parameters are not estimable
MIN_REPEATERS = 5


@dataclass
class BetaGeo:
    r: float
    alpha: float
    a: float
    b: float

    # -- likelihood --------------------------------------------------------------------------------
    @staticmethod
    def loglik(params, x, tx, T) -> np.ndarray:
        r, alpha, a, b = params
        a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
        a3 = -(r + x) * np.log(alpha + T)
        with np.errstate(divide="ignore", invalid="ignore"):
            a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx),
                          -np.inf)
        return a1 + a2 + np.logaddexp(a3, a4)

    @classmethod
    def fit(cls, x, tx, T) -> "BetaGeo":
        x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
        # the likelihood depends on (x, tx, T) only: fit on the distinct triples, weighted
        keys, inverse, counts = np.unique(np.column_stack([x, tx, T]), axis=0, return_inverse=True,
                                          return_counts=True)
        ux, utx, uT = keys.T
        scale = max(float(np.mean(T)), 1.0)  # fit in units of the mean age: better conditioned

        def nll(logp):
            r, alpha, a, b = np.exp(logp)
            return -float(np.sum(counts * cls.loglik((r, alpha, a, b), ux, utx / scale, uT / scale))) / counts.sum()

        best = None
        for start in ([0.0, 0.0, 0.0, 0.0], [-1.0, -2.0, 0.0, 1.0]):
            res = optimize.minimize(nll, np.array(start), method="L-BFGS-B", bounds=[(-12, 12)] * 4)
            if best is None or res.fun < best.fun:
                best = res
        r, alpha, a, b = np.exp(best.x)
        return cls(float(r), float(alpha * scale), float(a), float(b))

    # -- predictions -------------------------------------------------------------------------------
    def p_alive(self, x, tx, T) -> np.ndarray:
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = (np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                         + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)))
        return np.where(x > 0, 1.0 / (1.0 + np.exp(np.minimum(log_ratio, 700))), 1.0)

    def p_active(self, t, x, tx, T) -> np.ndarray:
        """P(at least one purchase in the next t days | history). Given alive, the rate's posterior
        is Gamma(r + x, alpha + T), and an alive customer who buys nothing cannot drop out."""
        x, T = np.asarray(x, dtype=float), np.asarray(T, dtype=float)
        none_if_alive = np.exp((self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + T + t)))
        return self.p_alive(x, tx, T) * (1.0 - none_if_alive)

    def expected_purchases(self, t, x, tx, T) -> np.ndarray:
        """E[purchases in (T, T + t] | x, tx, T] (Fader, Hardie & Lee 2005, eq. 10)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
        z = t / (alpha + T + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        first = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            second = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300) * ((alpha + T) / (alpha + tx)) ** (r + x), 0.0)
        out = first / (1 + second)
        bad = ~np.isfinite(out)
        if bad.any():  # hyp2f1 out of range (a ~ 1): the simulation's mean instead
            out = np.where(bad, self.sample_purchases(t, x, tx, T, draws=400).mean(axis=1), out)
        return out

    def sample_purchases(self, t, x, tx, T, draws: int = 200, seed: int = 0) -> np.ndarray:
        """Draws (customers x draws) of the purchases in the next t days. Alive with P(alive);
        then purchases = min(Poisson(lambda t), Geometric(p)): the customer buys until the purchase
        after which they drop out. Posteriors given alive: lambda ~ Gamma(r + x, alpha + T),
        p ~ Beta(a, b + x)."""
        rng = np.random.default_rng(seed)
        x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
        n = len(x)
        alive = rng.random((n, draws)) < self.p_alive(x, tx, T)[:, None]
        lam = rng.gamma((self.r + x)[:, None], 1.0 / (self.alpha + T)[:, None], size=(n, draws))
        p = rng.beta(self.a, (self.b + x)[:, None], size=(n, draws))
        k = rng.poisson(lam * t)
        j = rng.geometric(np.clip(p, 1e-12, 1.0))
        return np.where(alive, np.minimum(k, j), 0).astype(float)


@dataclass
class GammaGamma:
    p: float
    q: float
    v: float

    @staticmethod
    def loglik(params, x, m) -> np.ndarray:
        p, q, v = params
        return (special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q) + q * np.log(v)
                + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(x * m + v))

    @classmethod
    def fit(cls, x, m) -> "GammaGamma":
        x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
        keep = (x > 0) & (m > 0)
        x, m = x[keep], m[keep]
        scale = float(np.mean(m))  # fit in units of the mean purchase

        def nll(logp):
            return -float(np.mean(cls.loglik(np.exp(logp), x, m / scale)))

        res = optimize.minimize(nll, np.array([1.0, 1.0, 0.0]), method="L-BFGS-B", bounds=[(-10, 10)] * 3)
        p, q, v = np.exp(res.x)
        if q <= 1.0:  # the mean spend is infinite: keep it finite (q just above 1)
            q = 1.05
        return cls(float(p), float(q), float(v * scale))

    def expected_spend(self, x, m) -> np.ndarray:
        """E[spend per purchase | x purchases averaging m]."""
        x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
        return self.p * (self.v + x * m) / (self.p * x + self.q - 1)

    def sample_total(self, purchases: np.ndarray, x, m, seed: int = 1) -> np.ndarray:
        """Draws of the total spend of `purchases` (customers x draws) purchases: the scale nu ~
        Gamma(q + p x, v + x m) per draw, each purchase Gamma(p, nu), so n of them Gamma(p n, nu)."""
        rng = np.random.default_rng(seed)
        x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
        nu = rng.gamma((self.q + self.p * x)[:, None], 1.0 / (self.v + x * m)[:, None], size=purchases.shape)
        shape = self.p * purchases
        out = np.zeros(purchases.shape)
        pos = shape > 0
        out[pos] = rng.gamma(shape[pos], 1.0 / nu[pos])
        return out


def spend_inputs(summary):
    """(x, m) for the Gamma-Gamma model: every purchase, the first included, and their mean.
    The textbook leaves the first purchase out; kept in, one-time buyers get their own posterior
    and the spend ranking is better (CDNOW top-decile capture 0.516 -> 0.524)."""
    n = summary["purchases"].to_numpy(dtype=float)
    total = np.maximum(summary["total_spend"].to_numpy(dtype=float), 0.0)
    m = np.where(total > 0, total / np.maximum(n, 1.0), 1e-6)
    return n, m
