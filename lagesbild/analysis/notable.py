"""What is notable in a period: the statistics behind the written summary of a report.

Counts are compared with the exact conditional test for two Poisson counts: given that the
two periods together hold ``n1 + n0`` events, the number in the newer one is binomial with
probability ``r / (1 + r)`` when both have the same rate (``r`` is the ratio of their
exposures, e.g. the populations). The p-value is scipy's exact two-sided binomial test. The
functions here take whatever counts they are given; ``views.report`` gives them the
*published* counts, so a verdict never rests on a number the reader cannot see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from lagesbild.analysis import aggregate
from lagesbild.config import Measure

ALPHA = 0.05  # a change is called larger than chance below this p-value
FEW = 20  # fewer events than this in both periods together: too few to say anything


@dataclass(frozen=True)
class Change:
    """Two counts compared: the p-value, and whether the change is larger than chance."""

    now: float | None
    before: float | None
    p: float | None  # None when the test could not be run
    verdict: str  # "okar", "minskar", "slump", "fa" (too few), "okant" (hidden or missing)

    @property
    def significant(self) -> bool:
        return self.verdict in ("okar", "minskar")


def exact_test(now: int, before: int, exposure_ratio: float = 1.0) -> float:
    """Two-sided p-value of the exact conditional test that two Poisson counts have the same
    rate; *exposure_ratio* is the newer period's exposure over the older one's."""
    from scipy.stats import binomtest

    total = int(now) + int(before)
    if total == 0:
        return 1.0
    share = exposure_ratio / (1.0 + exposure_ratio)
    return float(binomtest(int(now), total, share, alternative="two-sided").pvalue)


def compare(now, before, exposure_ratio: float = 1.0, alpha: float = ALPHA,
            few: int = FEW) -> Change:
    """Compare two (published) counts; hidden or missing ones give "okant", small ones "fa"."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return Change(None if now is None or pd.isna(now) else float(now),
                      None if before is None or pd.isna(before) else float(before),
                      None, "okant")
    now, before = float(now), float(before)
    if now + before < few:
        return Change(now, before, None, "fa")
    p = exact_test(round(now), round(before), exposure_ratio)
    if p >= alpha:
        return Change(now, before, p, "slump")
    return Change(now, before, p, "okar" if now / exposure_ratio > before else "minskar")


def compare_dispersed(now, before, exposure_ratio: float = 1.0, phi: float = 1.0,
                      noise_var: float = 0.0, months: int = 12, few: int = FEW) -> Change:
    """Two sums of *months* months compared allowing for overdispersion: the log rate ratio
    over its standard error sqrt(phi*(1/now + 1/before) + noise), two-sided normal p-value.
    *phi* is the monthly series' dispersion (1 = Poisson); *noise_var* the known variance of
    one published monthly count's noise. The verdict is provisional: a report decides with
    all its tests together (:func:`holm`)."""
    from scipy.stats import norm

    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return Change(None if now is None or pd.isna(now) else float(now),
                      None if before is None or pd.isna(before) else float(before),
                      None, "okant")
    now, before = float(now), float(before)
    if now + before < few or now <= 0 or before <= 0:
        return Change(now, before, None, "fa")
    se = math.sqrt(max(phi, 1.0) * (1 / now + 1 / before)
                   + months * noise_var * (1 / now ** 2 + 1 / before ** 2))
    z = (math.log(now / before) - math.log(exposure_ratio)) / se
    p = float(2 * norm.sf(abs(z)))
    return Change(now, before, p, "okar" if z > 0 else "minskar")


def holm(pvalues, alpha: float = ALPHA, weights=None) -> list[bool]:
    """Holm's step-down correction: which of the p-values (None: no test) are rejected with
    the familywise error rate held at *alpha* over all of them together. With *weights*
    (Holm 1979, weighted): tests are taken in order of p/w, and the k-th is rejected while
    p <= alpha * w / (the weight of the tests not yet rejected)."""
    weights = [1.0] * len(pvalues) if weights is None else list(weights)
    tested = sorted((p / weights[i], i) for i, p in enumerate(pvalues)
                    if p is not None and not pd.isna(p) and weights[i] > 0)
    remaining = sum(weights[i] for _, i in tested)
    out = [False] * len(pvalues)
    for ratio, i in tested:
        if ratio > alpha / remaining:
            break
        out[i] = True
        remaining -= weights[i]
    return out


def windows(period: aggregate.Period) -> dict[str, aggregate.Period]:
    """The periods a report compares: the period itself and the same period a year earlier,
    the rolling 12 months up to its end and the 12 months before those."""
    r12 = aggregate.Period.rolling12(period.end)
    return {"period": period, "period_fg": period.shift_years(-1),
            "rullande": r12, "rullande_fg": r12.shift_years(-1)}


def window_cells(frame: pd.DataFrame, measure: Measure, chosen: dict[str, aggregate.Period],
                 since: pd.Timestamp | None = None, storhet: str | None = None
                 ) -> pd.DataFrame:
    """One cell per window: the count over the window's months, summed as
    ``aggregate.headline`` does. A window that reaches before *since* (the measure's first
    month of data) or holds a month the measure did not deliver is unknown (NaN), never 0."""
    storhet = storhet or measure.primary.code
    first = min(p.start for p in chosen.values())
    last = max(p.end for p in chosen.values())
    series = aggregate.monthly(frame, measure, storhet,
                               pd.date_range(first, last, freq="MS")).set_index("month")
    rows = {}
    for name, p in chosen.items():
        part = series.loc[p.start:p.end]
        if since is not None and p.start < pd.Timestamp(since):
            rows[name] = {"antal": math.nan}
            continue
        mean = measure.variables[storhet].aggregation == "medel"  # a level such as places
        # A month not delivered is unknown, so is every window holding it (never 0).
        rows[name] = {c: float(part[c].sum(skipna=False)) / (len(part) if mean else 1)
                      for c in part.columns}
    return pd.DataFrame.from_dict(rows, orient="index")


def aligned_windows(period: aggregate.Period, since: pd.Timestamp) -> dict[str, aggregate.Period]:
    """Every earlier window of the period's length, aligned with it (every month for a month,
    every quarter for a quarter), from the first whole one after *since*."""
    length = period.months
    out = {}
    start = period.start
    i = 0
    while True:
        shifted = aggregate.Period(start - pd.DateOffset(months=length * i),
                                   period.end - pd.DateOffset(months=length * i))
        if shifted.start < pd.Timestamp(since):
            break
        out[f"w{i}"] = shifted
        i += 1
    return out


@dataclass(frozen=True)
class Extreme:
    kind: str  # "hogst" or "lagst"
    since: pd.Timestamp  # the first period compared
    periods: int  # how many periods were compared, this one included


MIN_EXTREME_PERIODS = 24  # a record needs a long series to mean anything


def extreme(values: pd.Series, minimum: int = MIN_EXTREME_PERIODS) -> Extreme | None:
    """Whether the newest value (first in *values*, indexed by each period's start, newest
    first) is the highest or lowest of them all; hidden (NaN) values are left out, and a
    hidden newest value is never a record."""
    if values.empty or pd.isna(values.iloc[0]):
        return None
    known = values.dropna()
    if len(known) < minimum:
        return None
    now, rest = known.iloc[0], known.iloc[1:]
    if now > rest.max():
        return Extreme("hogst", pd.Timestamp(known.index.min()), len(known))
    if now < rest.min():
        return Extreme("lagst", pd.Timestamp(known.index.min()), len(known))
    return None
