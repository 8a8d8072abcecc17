"""Did an action work? Before and after its start, in its area against the rest of the
municipality (a before/after comparison with a control).

The estimate is the ratio of rate ratios: how much the area's rate changed from the period
before the start to the period after, divided by how much the rest of the municipality's rate
changed over the same months. 1 means no difference; 0,6 means the area fared 40 % better than
the rest. With Poisson counts the log of the ratio has standard error
sqrt(1/a0 + 1/a1 + 1/r0 + 1/r1), which gives the 95 % interval.

:func:`cells` returns the four counts (unprotected, with their cell keys); the view publishes
them through ``release`` and calls :func:`estimate` on the *published* counts, so the ratio,
its interval and the verdict never rest on an exact count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
            cell |= {c: part[c].sum() for c in aggregate.summed(table)}
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


def estimate(a0, a1, r0, r1, pa0, pa1, pr0, pr1) -> Estimate:
    """Ratio of rate ratios from counts (area before/after, rest before/after) and their
    populations. Any missing or zero count gives no estimate (``fa``)."""
    values = (a0, a1, r0, r1)
    if any(v is None or pd.isna(v) or v <= 0 for v in values):
        return Estimate(math.nan, math.nan, math.nan, "fa")
    people = (pa0, pa1, pr0, pr1)
    if any(p is None or pd.isna(p) or p <= 0 for p in people):
        return Estimate(math.nan, math.nan, math.nan, "ingen_befolkning")
    a0, a1, r0, r1 = (float(v) for v in values)
    ratio = ((a1 / pa1) / (a0 / pa0)) / ((r1 / pr1) / (r0 / pr0))
    se = math.sqrt(1 / a0 + 1 / a1 + 1 / r0 + 1 / r1)
    low, high = ratio * math.exp(-Z95 * se), ratio * math.exp(Z95 * se)
    verdict = "minskning" if high < 1 else "okning" if low > 1 else "oklart"
    return Estimate(ratio, low, high, verdict)
