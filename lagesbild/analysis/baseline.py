"""The expected range of a month: what season, trend and ordinary spread predict for it.

The method is the one public-health surveillance uses to flag unusual weeks, the Farrington
flexible algorithm as improved by Noufaily et al. (2013, Stat Med 32:1206) and implemented in
the R package *surveillance*, here for months:

- **Reference data**: the months of the last ``years`` years up to half a year before the
  target (the newest months are left out, so a change under way does not raise its own
  baseline),
  never before the last declared series break nor before the series starts. Unknown months
  (NaN: not delivered, or hidden) are skipped, never taken as 0.
- **Model**: a quasi-Poisson GLM (statsmodels) with a seasonal factor — the target's own
  calendar month (± ``window``) and each other month (Noufaily's ``noPeriods`` factor, with
  one level per month because monthly seasons are sharp) — and a linear trend when three or
  more years are available and the trend is significant (p < 0,05).
- **Earlier alarms down-weighted**: months whose Anscombe residual exceeds 2,58 get weight
  ``r**-2`` and the model is fitted again, so an old outbreak does not widen today's range.
- **Predictive distribution**: mean ``mu`` and variance ``phi*mu + mu**2*var(log mu) +
  noise_var`` (the dispersion ``phi`` >= 1 from the weighted Pearson residuals, the
  estimate's own uncertainty, and the known noise of a published count; ``phi`` is taken at
  the upper end of its 75 % interval, as it is estimated from few months), taken as a negative
  binomial with those two moments. The range is its 0,5 % and 99,5 % quantiles; a p-value
  is its tail probability.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

YEARS = 5  # years of history used at most (Noufaily's b)
MIN_YEARS = 2  # fewer years of comparable months: no expected range
TREND_YEARS = 3  # a trend is fitted only with this many years
WINDOW = 0  # months either side of the target's calendar month in its own season
RECENT = 6  # the newest months left out of the reference (Noufaily: 26 weeks)
REWEIGHT = 2.58  # Anscombe residuals above this are earlier alarms (Noufaily 2013)
PHI_CAUTION = 0.75  # the dispersion used: the upper end of its one-sided 75 % interval
LEVEL = 0.99  # the expected range: 0,5 % – 99,5 %

REASONS = {
    "kort": "för kort serie: minst två år av jämförbara månader behövs",
    "avbrott": "serien bröts {month}; för kort serie efter brottet för ett förväntat intervall",
    "okand": "månaden saknas",
}


@dataclass(frozen=True)
class Expectation:
    """A month's (or a sum of months') predictive distribution, or why there is none."""

    month: pd.Timestamp
    mean: float = math.nan
    var: float = math.nan
    phi: float = math.nan  # the dispersion of the reference months (1 = Poisson)
    years: int = 0  # years of reference data used
    trend: bool = False
    reason: str | None = None  # set when there is no expected range

    @property
    def ok(self) -> bool:
        return self.reason is None

    def quantile(self, q: float) -> float:
        return predictive_quantile(self.mean, self.var, q)

    def range(self, level: float = LEVEL) -> tuple[float, float]:
        """The central *level* predictive interval (counts)."""
        return self.quantile((1 - level) / 2), self.quantile(1 - (1 - level) / 2)

    def p_value(self, observed: float) -> float:
        """Two-sided tail probability of *observed* under the predictive distribution."""
        return predictive_p(observed, self.mean, self.var)


def _nb(mean: float, var: float):
    """scipy's negative binomial with this mean and variance (Poisson when var <= mean)."""
    from scipy.stats import nbinom, poisson

    if var <= mean * (1 + 1e-9):
        return poisson(mean)
    n = mean * mean / (var - mean)
    return nbinom(n, n / (n + mean))


def predictive_quantile(mean: float, var: float, q: float) -> float:
    if not mean > 0:
        return 0.0
    return float(_nb(mean, var).ppf(q))


def predictive_p(observed: float, mean: float, var: float) -> float:
    """Two-sided p: twice the smaller tail, P(Y >= y) or P(Y <= y), at most 1."""
    if observed is None or pd.isna(observed) or not mean > 0:
        return math.nan
    return float(predictive_ps([observed], [mean], [var])[0])


def predictive_ps(observed, mean, var) -> np.ndarray:
    """:func:`predictive_p` for arrays (NaN where the observation or the mean is unknown)."""
    from scipy.stats import nbinom, poisson

    y = np.round(np.asarray(observed, dtype=float))
    mu = np.asarray(mean, dtype=float)
    v = np.maximum(np.asarray(var, dtype=float), mu)
    ok = np.isfinite(y) & np.isfinite(mu) & (mu > 0)
    out = np.full(y.shape, np.nan)
    over = ok & (v > mu * (1 + 1e-9))
    pois = ok & ~over
    if pois.any():
        out[pois] = np.minimum(1.0, 2 * np.minimum(poisson.sf(y[pois] - 1, mu[pois]),
                                                   poisson.cdf(y[pois], mu[pois])))
    if over.any():
        n = mu[over] ** 2 / (v[over] - mu[over])
        q = n / (n + mu[over])
        out[over] = np.minimum(1.0, 2 * np.minimum(nbinom.sf(y[over] - 1, n, q),
                                                   nbinom.cdf(y[over], n, q)))
    return out


def last_break(breaks, month: pd.Timestamp) -> pd.Timestamp | None:
    """The newest declared break at or before *month* (its first month), if any."""
    month = pd.Timestamp(month)
    before = [pd.Timestamp(b) for b in breaks if pd.Timestamp(b) <= month]
    return max(before) if before else None


def _season_level(months: pd.DatetimeIndex, target: pd.Timestamp, window: int) -> np.ndarray:
    """The seasonal factor's level: 0 for the target's own season (its calendar month, and
    *window* months either side), otherwise the calendar month (1–11 after the target's).
    Monthly data have sharp seasons (July), so each month keeps its own level rather than
    Noufaily's coarse blocks of weeks."""
    d = (months.month - target.month) % 12  # 0 … 11 months after the target's month
    own = (d <= window) | (d >= 12 - window)
    return np.where(own, 0, d)


def _anscombe(y: np.ndarray, mu: np.ndarray, phi: float, h: np.ndarray) -> np.ndarray:
    """Poisson Anscombe residuals, standardised (Farrington 1996)."""
    r = 1.5 * (np.cbrt(y) ** 2 - np.cbrt(mu) ** 2) / (mu ** (1 / 6))
    return r / np.sqrt(phi * np.clip(1 - h, 1e-6, None))


def _design(months: pd.DatetimeIndex, target: pd.Timestamp, window: int, trend: bool
            ) -> np.ndarray:
    level = _season_level(months, target, window)
    cols = [np.ones(len(months))] + [(level == k).astype(float) for k in range(1, 12)]
    if trend:
        t = ((months.year - target.year) * 12 + months.month - target.month) / 12.0
        cols.append(np.asarray(t, dtype=float))
    return np.column_stack(cols)


def _hat(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The diagonal of the GLM hat matrix W^½ X (X'WX)⁻¹ X' W^½."""
    xw = X * np.sqrt(w)[:, None]
    inv = np.linalg.pinv(xw.T @ xw)
    return np.einsum("ij,jk,ik->i", xw, inv, xw)


def _fit(y, X, weights):
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.GLM(y, X, family=sm.families.Poisson(), var_weights=weights)
        res = model.fit(scale="X2")
    return res


def _predict(y, months, target, window, use_trend):
    """Fit (twice, down-weighting earlier alarms); the target's mean, var(log mean), phi."""
    levels = _season_level(months, target, window)
    # Every level of the seasonal factor needs data, or the fit is singular.
    keep = [0] + [k for k in range(1, 12) if (levels == k).any()]
    weights = np.ones(len(y))
    for _ in range(2):
        cols = keep + ([12] if use_trend else [])
        X = _design(months, target, window, use_trend)[:, cols]
        res = _fit(y, X, weights)
        if use_trend and res.pvalues[-1] >= 0.05:  # Farrington: keep a trend only if real
            use_trend = False
            cols = keep
            X = X[:, :-1]
            res = _fit(y, X, weights)
        mu = np.clip(res.fittedvalues, 1e-9, None)
        phi = max(1.0, float(res.scale))
        h = _hat(X, mu * weights)
        r = _anscombe(y, mu, phi, h)
        new = np.where(r > REWEIGHT, 1.0 / np.maximum(r, REWEIGHT) ** 2, 1.0)
        weights = new * len(y) / new.sum()
    x0 = _design(pd.DatetimeIndex([target]), target, window, use_trend)[:, cols]
    eta = float((x0 @ res.params)[0])
    var_eta = float((x0 @ res.cov_params() @ x0.T)[0, 0])
    return math.exp(eta), var_eta, _cautious(float(res.scale), float(res.df_resid)), use_trend


def _cautious(phi: float, df: float) -> float:
    """The dispersion is itself estimated from a few dozen months: take the upper end of its
    one-sided 75 % interval (phi·df / chi²(0,25; df)), at least 1, so a short or noisy
    history widens the range instead of making it falsely narrow."""
    from scipy.stats import chi2

    if df < 1:
        return max(1.0, phi)
    return max(1.0, phi * df / float(chi2.ppf(1 - PHI_CAUTION, df)))


def expected(series: pd.Series, target, *, breaks=(), years: int = YEARS,
             window: int = WINDOW, noise_var: float = 0.0) -> Expectation:
    """The predictive distribution of *target*'s count from the months before it.

    Parameters
    ----------
    series : Series
        Monthly counts indexed by month start; NaN means unknown (skipped, never 0).
    target : Timestamp
        The month to predict (it and later months are not used).
    breaks : iterable of Timestamp
        Declared series breaks (first month of the new series); no reference month lies
        before the last one at or before *target*.
    noise_var : float
        The known variance of a published count's noise (0 for exact counts).
    """
    target = pd.Timestamp(target).to_period("M").to_timestamp()
    brk = last_break(breaks, target)
    s = series.astype(float)
    s.index = pd.DatetimeIndex(s.index)
    first = target - pd.DateOffset(months=12 * years + window)
    last = target - pd.DateOffset(months=RECENT + 1)
    if brk is not None:
        first = max(first, brk)
    ref = s[(s.index >= first) & (s.index <= last)].dropna()
    # Years with the target's own season in the reference data.
    own = ref.index[_season_level(ref.index, target, window) == 0]
    n_years = len({(target.year * 12 + target.month - (m.year * 12 + m.month) + window) // 12
                   for m in own})
    if n_years < MIN_YEARS or len(ref) < 12:
        if brk is not None and target - pd.DateOffset(months=12 * MIN_YEARS) < brk:
            from lagesbild import fmt
            return Expectation(target, reason=REASONS["avbrott"].format(month=fmt.month(brk)))
        return Expectation(target, reason=REASONS["kort"])
    y = ref.to_numpy()
    if y.sum() == 0:
        return Expectation(target, 0.0, float(noise_var), 1.0, n_years, False)
    use_trend = n_years >= TREND_YEARS
    mean, var_eta, phi, use_trend = _predict(y, ref.index, target, window, use_trend)
    # Farrington: a trend must not predict beyond anything seen; without it then.
    if use_trend and mean > y.max():
        mean, var_eta, phi, use_trend = _predict(y, ref.index, target, window, False)
    var = phi * mean + mean * mean * var_eta + float(noise_var)
    return Expectation(target, mean, var, phi, n_years, use_trend)


def expected_sum(series: pd.Series, months, *, breaks=(), noise_var: float = 0.0,
                 stock: bool = False, **kw) -> Expectation:
    """The predictive distribution of a sum of months (a quarter): means and variances added
    (each month's noise counted once). A *stock* (nights occupied by guests who stay) carries
    over from month to month, so its months are taken as fully correlated: the standard
    deviations add, not the variances. Unknown when any month has no expected range."""
    parts = [expected(series, m, breaks=breaks, noise_var=noise_var, **kw) for m in months]
    bad = next((p for p in parts if not p.ok), None)
    first = pd.Timestamp(months[0])
    if bad is not None:
        return Expectation(first, reason=bad.reason)
    var = (sum(math.sqrt(p.var) for p in parts) ** 2 if stock
           else sum(p.var for p in parts))
    return Expectation(first, sum(p.mean for p in parts), var,
                       max(p.phi for p in parts), min(p.years for p in parts),
                       any(p.trend for p in parts))


def band(series: pd.Series, months, *, breaks=(), level: float = LEVEL,
         noise_var: float = 0.0) -> pd.DataFrame:
    """Per month: the expected count, the range, whether the observed count lies outside
    (``over`` / ``under`` / ``inom``; None when unknown), and the reason when no range."""
    rows = []
    for m in pd.DatetimeIndex(months):
        e = expected(series, m, breaks=breaks, noise_var=noise_var)
        obs = series.get(m, math.nan)
        if not e.ok:
            rows.append((m, math.nan, math.nan, math.nan, None, e.reason))
            continue
        low, high = e.range(level)
        flag = None if pd.isna(obs) else ("over" if obs > high else
                                           "under" if obs < low else "inom")
        rows.append((m, e.mean, low, high, flag, None))
    return pd.DataFrame(rows, columns=["month", "forvantat", "undre", "ovre", "utanfor",
                                       "orsak"])


def dispersion(series: pd.Series, target, *, breaks=(), years: int = YEARS) -> float:
    """The reference months' dispersion (1 = Poisson), or 1 when too short to estimate."""
    e = expected(series, target, breaks=breaks, years=years)
    return e.phi if e.ok else 1.0
