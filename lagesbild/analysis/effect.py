"""Did an action work? Before and after its start, in its area against the rest of the
municipality (a before/after comparison with a control).

The estimate is the ratio of rate ratios: how much the area's rate changed from the period
before the start to the period after, divided by how much the rest of the municipality's rate
changed over the same months. 1 means no difference; 0,6 means the area fared 40 % better than
the rest. With Poisson counts the log of the ratio has standard error
sqrt(1/a0 + 1/a1 + 1/r0 + 1/r1); real monthly counts vary more, so that is multiplied by the
overdispersion ``phi`` of the area's share of the municipality's monthly counts before the
start (:func:`share_dispersion`, at least 1), and the known noise of published counts is
added (``noise_var``), which gives the 95 % interval.

Followed over time (:func:`halfyears`), each half-year after the start is compared with the
same calendar months of the year before it, so a rebound shows. A placebo check
(:func:`placebo`) runs the same estimate where nothing was done — other areas with the same
start, and the action's area with invented earlier starts — and counts how often chance gives
as large a difference. :func:`after_peak` warns when the start came right after a peak
(regression to the mean).

:func:`cells` returns the four counts (unprotected, with their cell keys); the view publishes
them through ``release`` and calls :func:`estimate` on the *published* counts, so the ratio,
its interval and the verdict never rest on an exact count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lagesbild.analysis import aggregate
from lagesbild.config import Measure

Z95 = 1.959964
MIN_AFTER_MONTHS = 3  # fewer months after the start tell nothing yet
MAX_MONTHS = 12  # a year after against the year before: whole seasons on both sides
VERDICTS = {
    "minskning": "Minskningen är större än slumpen brukar ge, men andra förklaringar kan "
                 "finnas.",
    "okning": "Ökningen är större än slumpen brukar ge, men andra förklaringar kan finnas.",
    "oklart": "Går inte att skilja från slumpen ännu.",
    "fa": "För få händelser för att bedöma (under gränsen för röjandekontroll eller inga "
          "alls).",
    "kort": "För kort tid sedan start för att bedöma (minst tre hela månader behövs).",
    "ingen_kontroll": "Åtgärden gäller hela kommunen: det finns inget område att jämföra "
                      "med.",
    "ingen_postnummer": "Måttet är inte uppdelat på postnummer: åtgärdens område kan inte "
                        "jämföras med resten av kommunen.",
    "ingen_befolkning": "Måttet saknar målgruppsbefolkning; ingen jämförelse per invånare.",
}


@dataclass(frozen=True)
class Windows:
    """The months before and after the start; equally long, so seasons weigh the same."""

    before: aggregate.Period
    after: aggregate.Period


def windows(start, latest, end=None, max_months: int = MAX_MONTHS) -> Windows | None:
    """After: from the start month to the end (or the latest complete month), at most
    *max_months*; before: as many months just before the start. None before the start."""
    first = pd.Timestamp(start).to_period("M").to_timestamp()
    last = pd.Timestamp(latest).to_period("M").to_timestamp()
    if end is not None:
        last = min(last, pd.Timestamp(end).to_period("M").to_timestamp())
    if last < first:
        return None
    n = min((last.year - first.year) * 12 + last.month - first.month + 1, max_months)
    after = aggregate.Period(first, first + pd.DateOffset(months=n - 1))
    return Windows(aggregate.Period(first - pd.DateOffset(months=n),
                                    first - pd.DateOffset(months=1)), after)


def cells(frame: pd.DataFrame, population: pd.DataFrame, measure: Measure,
          postnummer: tuple[str, ...], w: Windows, filters: aggregate.Filters) -> pd.DataFrame:
    """The four cells of the comparison, unprotected.

    Rows ``omrade`` (``atgard`` / ``ovriga``) × ``period`` (``fore`` / ``efter``) with
    ``antal`` and ``befolkning`` (the
    target population the filters select, of the period's last year), in that order.
    """
    rows, _ = aggregate.apply_filters(frame, measure, filters)
    people = aggregate.filter_population(population, measure, filters)
    inside = set(postnummer)
    out = []
    for period_code, period in (("fore", w.before), ("efter", w.after)):
        table = aggregate.summary(rows, people, measure, period, ["postnummer"], all_areas=True)
        here = table["postnummer"].isin(inside)
        for area, mask in (("atgard", here), ("ovriga", ~here)):
            part = table[mask]
            cell = {"omrade": area, "period": period_code}
            cell["antal"] = part["antal"].sum()
            cell["befolkning"] = part["befolkning"].sum() if "befolkning" in part else math.nan
            out.append(cell)
    return pd.DataFrame(out)


@dataclass(frozen=True)
class Estimate:
    """The ratio of rate ratios, its 95 % interval and the verdict's code."""

    kvot: float
    ki_lag: float
    ki_hog: float
    slutsats: str

    @property
    def text(self) -> str:
        return VERDICTS[self.slutsats]


def estimate(a0, a1, r0, r1, pa0, pa1, pr0, pr1, phi: float = 1.0, noise_var: float = 0.0,
             months: int = 12) -> Estimate:
    """Ratio of rate ratios from counts (area before/after, rest before/after) and their
    populations. Any missing or zero count gives no estimate (``fa``). *phi* widens the
    Poisson variance (overdispersion, at least 1); *noise_var* is the known variance of one
    published monthly count's noise, and each count is a sum of *months* of them."""
    values = (a0, a1, r0, r1)
    if any(v is None or pd.isna(v) or v <= 0 for v in values):
        return Estimate(math.nan, math.nan, math.nan, "fa")
    people = (pa0, pa1, pr0, pr1)
    if any(p is None or pd.isna(p) or p <= 0 for p in people):
        return Estimate(math.nan, math.nan, math.nan, "ingen_befolkning")
    a0, a1, r0, r1 = (float(v) for v in values)
    ratio = ((a1 / pa1) / (a0 / pa0)) / ((r1 / pr1) / (r0 / pr0))
    se = math.sqrt(max(phi, 1.0) * (1 / a0 + 1 / a1 + 1 / r0 + 1 / r1)
                   + months * noise_var * (1 / a0 ** 2 + 1 / a1 ** 2 + 1 / r0 ** 2
                                           + 1 / r1 ** 2))
    low, high = ratio * math.exp(-Z95 * se), ratio * math.exp(Z95 * se)
    verdict = "minskning" if high < 1 else "okning" if low > 1 else "oklart"
    return Estimate(ratio, low, high, verdict)


PRE_MONTHS = 36  # months before the start the dispersion is estimated on
PEAK = 1.2  # the area's share just before the start this much above its earlier share: a peak


def share_dispersion(area: pd.Series, rest: pd.Series) -> float:
    """The overdispersion of the area's monthly share of all counts (area + rest): Pearson's
    chi-square over its degrees of freedom under a constant share, at least 1. Seasons that
    hit the whole municipality cancel out. Unknown months (NaN) are skipped, never 0."""
    both = pd.DataFrame({"a": area, "r": rest}).dropna()
    n = both["a"] + both["r"]
    both, n = both[n > 0], n[n > 0]
    if len(both) < 6 or both["a"].sum() == 0:
        return 1.0
    share = both["a"].sum() / n.sum()
    if share >= 1:
        return 1.0
    chi2 = float((((both["a"] - n * share) ** 2) / (n * share * (1 - share))).sum())
    return max(1.0, chi2 / (len(both) - 1))


def after_peak(area: pd.Series, rest: pd.Series, start, phi: float = 1.0) -> bool:
    """Whether the area's share in the six months before *start* was clearly above its share
    in the 24 months before those (ratio >= :data:`PEAK` and z >= 2): a fall afterwards may
    be regression to the mean rather than the action's effect."""
    first = pd.Timestamp(start).to_period("M").to_timestamp()
    months = pd.DatetimeIndex(area.index)
    recent = (months >= first - pd.DateOffset(months=6)) & (months < first)
    earlier = (months >= first - pd.DateOffset(months=30)) & (
        months < first - pd.DateOffset(months=6))
    a_r, r_r = area[recent].dropna().sum(), rest[recent].dropna().sum()
    a_e, r_e = area[earlier].dropna().sum(), rest[earlier].dropna().sum()
    if min(a_r, a_e) <= 0 or r_r <= 0 or r_e <= 0:
        return False
    s_r, s_e = a_r / (a_r + r_r), a_e / (a_e + r_e)
    se = math.sqrt(max(phi, 1.0) * s_e * (1 - s_e) / (a_r + r_r))
    return s_r / s_e >= PEAK and (s_r - s_e) / se >= 2


def halfyears(start, latest, end=None) -> list[Windows]:
    """Each half-year since the start (the last may be shorter, at least
    :data:`MIN_AFTER_MONTHS`), with its before-window: the same calendar months of the
    year before the start, so seasons weigh the same."""
    first = pd.Timestamp(start).to_period("M").to_timestamp()
    last = pd.Timestamp(latest).to_period("M").to_timestamp()
    if end is not None:
        last = min(last, pd.Timestamp(end).to_period("M").to_timestamp())
    out = []
    k = 0
    while True:
        a_start = first + pd.DateOffset(months=6 * k)
        if a_start > last:
            break
        a_end = min(a_start + pd.DateOffset(months=5), last)
        n = (a_end.year - a_start.year) * 12 + a_end.month - a_start.month + 1
        if n < MIN_AFTER_MONTHS:
            break
        back = pd.DateOffset(months=12 * (k // 2 + 1))
        out.append(Windows(aggregate.Period(a_start - back, a_end - back),
                           aggregate.Period(a_start, a_end)))
        k += 1
    return out


def panel(frame: pd.DataFrame, population: pd.DataFrame, measure: Measure,
          filters: aggregate.Filters, first, last) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly counts per postnummer (long: month, postnummer, antal and key sums; unprotected)
    and the target population per postnummer and year (wide: year × postnummer)."""
    rows, _ = aggregate.apply_filters(frame, measure, filters)
    people = aggregate.filter_population(population, measure, filters)
    rows = rows[(rows["storhet"] == measure.primary.code)
                & rows["month"].between(pd.Timestamp(first), pd.Timestamp(last))]
    long = rows.groupby(["month", "postnummer"], observed=True)[
        ["antal"]].sum().reset_index()
    pops = {}
    for year in range(pd.Timestamp(first).year, pd.Timestamp(last).year + 1):
        pop = aggregate.target_population(people, measure, year, ["postnummer"])
        if pop is not None:
            pops[year] = pop.set_index("postnummer")["befolkning"]
    return long, pd.DataFrame(pops).T.fillna(0)


def _window_sum(wide: pd.DataFrame, p: aggregate.Period) -> pd.Series:
    """Each column's sum over the window; NaN when any month of it is unknown."""
    part = wide.loc[(wide.index >= p.start) & (wide.index <= p.end)]
    if len(part) < p.months:
        return pd.Series(math.nan, index=wide.columns)
    return part.sum(min_count=len(part)).where(part.notna().all())


def _rest_sum(wide: pd.DataFrame, p: aggregate.Period) -> float:
    """The rest's sum over a window; NaN when a whole month of it is unknown."""
    part = wide.loc[(wide.index >= p.start) & (wide.index <= p.end)]
    if len(part) < p.months or part.isna().all(axis=1).any():
        return math.nan
    return float(part.sum().sum())


def _pop(pops: pd.DataFrame, areas, year: int) -> float:
    if pops.empty:
        return math.nan
    years = [y for y in pops.index if y <= year] or [min(pops.index)]
    row = pops.loc[max(years)]
    return float(row.reindex(list(areas)).fillna(0).sum())


def placebo(wide: pd.DataFrame, pops: pd.DataFrame, inside, start, latest, end=None,
            noise_var: float = 0.0, starts_back=(12, 18, 24)) -> pd.DataFrame:
    """The same estimate where nothing was done: every other area with the action's start
    (against the rest, the action's area left out), and the action's area with starts
    *starts_back* months earlier (windows ending before the real start). *wide* holds
    published monthly counts (month × postnummer, NaN unknown). Rows: ``typ`` (omrade /
    start), ``vad``, ``kvot``, ``ki_lag``, ``ki_hog``, ``slutsats``."""
    inside = [c for c in inside if c in wide.columns]
    others = [c for c in wide.columns if c not in inside]
    rows = []

    def one(area_cols, rest_cols, begin, stop):
        w = windows(begin, stop)
        if w is None or w.after.months < MIN_AFTER_MONTHS:
            return None
        pre = wide.loc[(wide.index < w.after.start)
                       & (wide.index >= w.after.start - pd.DateOffset(months=PRE_MONTHS))]
        a_m = pre[area_cols].sum(axis=1, min_count=1)
        # The rest is many areas: a hidden small cell is left out of its sum (there are
        # none in a published release), an unknown month (all NaN) stays unknown.
        r_m = pre[rest_cols].sum(axis=1, min_count=1)
        phi = share_dispersion(a_m, r_m)
        a0 = _window_sum(wide[area_cols], w.before).sum(min_count=len(area_cols))
        a1 = _window_sum(wide[area_cols], w.after).sum(min_count=len(area_cols))
        r0, r1 = (_rest_sum(wide[rest_cols], p) for p in (w.before, w.after))
        return estimate(a0, a1, r0, r1, _pop(pops, area_cols, w.before.end.year),
                        _pop(pops, area_cols, w.after.end.year),
                        _pop(pops, rest_cols, w.before.end.year),
                        _pop(pops, rest_cols, w.after.end.year), phi, noise_var,
                        w.after.months)

    stop = end if end is not None else latest
    w = windows(start, stop)
    if w is not None and w.after.months >= MIN_AFTER_MONTHS and others:
        rows += _area_placebos(wide[others], pops, w, noise_var)
    first = pd.Timestamp(start).to_period("M").to_timestamp()
    for back in starts_back:
        fake = first - pd.DateOffset(months=back)
        fake_end = first - pd.DateOffset(months=1)
        if inside:
            est = one(inside, others, fake, fake_end)
            if est is not None and est.slutsats != "fa":
                rows.append(("start", f"{fake:%Y-%m}", est))
    return pd.DataFrame([(t, v, e.kvot, e.ki_lag, e.ki_hog, e.slutsats) for t, v, e in rows],
                        columns=["typ", "vad", "kvot", "ki_lag", "ki_hog", "slutsats"])


def _area_placebos(wide: pd.DataFrame, pops: pd.DataFrame, w: Windows, noise_var: float
                   ) -> list:
    """Every area of *wide* as if it had the action, against the sum of the others (all
    areas at once: a hundred postnummer in milliseconds)."""
    months = pd.DatetimeIndex(wide.index)
    values = wide.to_numpy(dtype=float)
    pre = (months < w.after.start) & (months >= w.after.start - pd.DateOffset(months=PRE_MONTHS))

    def sums(p: aggregate.Period):
        m = (months >= p.start) & (months <= p.end)
        part = values[m]
        own = np.where(np.isnan(part).any(axis=0) | (m.sum() < p.months), np.nan,
                       np.nansum(part, axis=0))
        whole = np.nansum(part)
        return own, whole - own

    a0, r0 = sums(w.before)
    a1, r1 = sums(w.after)
    # Dispersion of each area's monthly share, as share_dispersion does for one.
    part = values[pre]
    known_month = ~np.isnan(part).all(axis=1)
    part = part[known_month]
    total = np.nansum(part, axis=1)[:, None]
    ok = ~np.isnan(part) & (total > 0)
    a = np.where(ok, part, 0.0)
    n = np.where(ok, total, 0.0)
    share = a.sum(axis=0) / np.where(n.sum(axis=0) > 0, n.sum(axis=0), np.nan)
    expect = n * share
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = np.where(ok, (a - expect) ** 2 / (expect * (1 - share)), 0.0).sum(axis=0)
        phi = np.maximum(1.0, chi2 / np.maximum(ok.sum(axis=0) - 1, 1))
    phi = np.where(np.isfinite(phi) & (ok.sum(axis=0) >= 6), phi, 1.0)
    cols = list(wide.columns)

    def pop(p: aggregate.Period):
        if pops.empty:
            return np.full(len(cols), np.nan), math.nan
        years = [y for y in pops.index if y <= p.end.year] or [min(pops.index)]
        row = pops.loc[max(years)].reindex(cols).fillna(0).to_numpy(dtype=float)
        return row, row.sum() - row

    (pa0, pr0), (pa1, pr1) = pop(w.before), pop(w.after)
    out = []
    for j, code in enumerate(cols):
        est = estimate(a0[j], a1[j], r0[j], r1[j], pa0[j], pa1[j], pr0[j], pr1[j], phi[j],
                       noise_var, w.after.months)
        if est.slutsats != "fa":
            out.append(("omrade", code, est))
    return out


def as_large(kvot: float, placebos: pd.DataFrame) -> tuple[int, int]:
    """How many placebo estimates are at least as far from 1 (on the log scale) as *kvot*,
    and how many there are."""
    if placebos.empty or kvot is None or pd.isna(kvot) or kvot <= 0:
        return 0, 0
    logs = placebos["kvot"].astype(float).map(lambda v: abs(math.log(v)) if v > 0 else math.inf)
    return int((logs >= abs(math.log(kvot)) - 1e-12).sum()), len(placebos)
