"""Funnel plots: is an area's rate really different, or chance in a small population?

Each area's count is compared with what the municipal rate predicts for its population. Under
that null the count is Poisson with mean ``rate × population``; the 95 % and 99.8 % limits are
that distribution's quantiles, interpolated so the funnel's lines are smooth (Spiegelhalter,
"Funnel plots for comparing institutional performance", Stat Med 2005). An area outside the
99.8 % limits is flagged ``över`` or ``under``; outside 95 % only is a weaker sign.

A published count is the count plus the release's noise, of known variance (``noise_var``):
the limits are widened by it (normal approximation of the sum of the two), so noise alone
flags no more areas than chance does.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd

LIMITS = {"95": 0.95, "998": 0.998}


def _cdf_table(mu: float) -> np.ndarray:
    """P(X <= k) for k = 0, 1, … well past the upper tail, X ~ Poisson(mu)."""
    k = np.arange(int(mu + 12 * math.sqrt(mu) + 25))
    log_factorial = np.concatenate(([0.0], np.cumsum(np.log(k[1:]))))
    log_pmf = k * math.log(mu) - mu - log_factorial
    return np.minimum(np.cumsum(np.exp(log_pmf)), 1.0)


def quantile(p: float, mu: float) -> int:
    """The smallest k with P(X <= k) >= p, X ~ Poisson(mu) (R's ``qpois``)."""
    if mu <= 0:
        return 0
    return int(np.searchsorted(_cdf_table(mu), p - 1e-12))


def limit(p: float, mu: float) -> float:
    """The interpolated count at which a Poisson(mu) reaches cumulative probability *p*.

    Interpolating between integer quantiles gives a smooth funnel (Spiegelhalter 2005, app. A.1.1).
    """
    if mu <= 0:
        return 0.0
    cdf = _cdf_table(mu)
    r = int(np.searchsorted(cdf, p - 1e-12))
    upper, lower = cdf[r], (cdf[r - 1] if r > 0 else 0.0)
    alpha = (upper - p) / (upper - lower) if upper > lower else 0.0
    return max(0.0, r - alpha)


def bounds(rate_per_1000: float, population: float, level: str = "998",
           noise_var: float = 0.0) -> tuple[float, float]:
    """Lower and upper control limits, per 1 000, for an area with this population (widened
    by the published count's noise variance *noise_var*)."""
    if population <= 0:
        return (math.nan, math.nan)
    p = LIMITS[level]
    mu = rate_per_1000 * population / 1000
    low, high = limit((1 - p) / 2, mu), limit(1 - (1 - p) / 2, mu)
    if noise_var > 0:
        z = NormalDist().inv_cdf(1 - (1 - p) / 2)
        wider = z * (math.sqrt(mu + noise_var) - math.sqrt(mu))
        low, high = max(0.0, low - wider), high + wider
    return (1000 * low / population, 1000 * high / population)


def flags(table: pd.DataFrame, rate_per_1000: float, noise_var: float = 0.0) -> pd.DataFrame:
    """Add ``flagga`` (över / under / inom at 99.8 %) and ``tecken`` (outside 95 % only).

    *table* needs ``antal`` and ``befolkning`` (unprotected: the test uses the real counts;
    disclosure control afterwards hides the flag of any area whose count it hides).
    """
    flag, sign = [], []
    for count, pop in zip(table["antal"], table["befolkning"]):
        if pd.isna(pop) or pop <= 0 or pd.isna(count):
            flag.append(None)
            sign.append(None)
            continue
        rate = 1000 * count / pop
        low, high = bounds(rate_per_1000, pop, "998", noise_var)
        low95, high95 = bounds(rate_per_1000, pop, "95", noise_var)
        flag.append("över" if rate > high else "under" if rate < low else "inom")
        sign.append("över" if rate > high95 else "under" if rate < low95 else "inom")
    return table.assign(flagga=flag, tecken=sign)


def curve(rate_per_1000: float, max_population: float, points: int = 120) -> pd.DataFrame:
    """The funnel's lines: population, and lower/upper limits per 1 000 at 95 % and 99.8 %."""
    low = max(10.0, max_population / 500)
    pops = np.unique(np.geomspace(low, max(max_population * 1.05, low * 2), points).round())
    rows = []
    for pop in pops:
        l95, h95 = bounds(rate_per_1000, pop, "95")
        l998, h998 = bounds(rate_per_1000, pop, "998")
        rows.append((pop, l95, h95, l998, h998))
    return pd.DataFrame(rows, columns=["befolkning", "undre_95", "ovre_95", "undre_998",
                                       "ovre_998"])


def chart(safe: pd.DataFrame, names: pd.Series, rate_per_1000: float, title_unit: str,
          highlight: str | None = None):
    """The funnel plot (Altair): each shown area's rate against its target population, the
    municipal rate and the 95 % (dashed) and 99.8 % (solid) limits.

    *safe* is a protected area table; areas whose count is hidden are left out (their rate
    would give the count away). The *highlight* area (a code) gets an orange ring.
    """
    import altair as alt

    points = pd.DataFrame({
        "kod": safe["kod"], "Område": names, "Antal": safe["antal"], "Befolkning": safe["befolkning"],
        "Per 1 000": safe["per_1000"],
        "Bedömning": safe["flagga"].map({"över": "Högre än väntat", "under": "Lägre än väntat",
                                         "inom": "Inom gränserna"}),
    }).dropna(subset=["Per 1 000", "Bedömning"])
    points = points.assign(Antal=points["Antal"].astype(float),
                           Befolkning=points["Befolkning"].astype(float))
    top = float(points["Befolkning"].max()) if len(points) else 1000.0
    lines = curve(rate_per_1000, top).melt("befolkning", var_name="grans", value_name="varde")
    lines = lines.assign(niva=lines["grans"].str.endswith("95").map(
        {True: "95 %", False: "99,8 %"}), sida=lines["grans"].str.startswith("ovre"))
    x = alt.X("befolkning:Q", title="Befolkning i målgruppen", scale=alt.Scale(type="log"),
              axis=alt.Axis(format=",.0f"))
    limit_lines = alt.Chart(lines).mark_line(color="#555555", strokeWidth=1.4).encode(
        x=x, y=alt.Y("varde:Q", title=f"Per 1 000 {title_unit}".strip()),
        detail="grans:N",
        strokeDash=alt.StrokeDash("niva:N", title="Kontrollgräns",
                                  scale=alt.Scale(domain=["95 %", "99,8 %"],
                                                  range=[[5, 4], [1, 0]])))
    mean = alt.Chart(pd.DataFrame({"y": [rate_per_1000]})).mark_rule(
        color="#222222", strokeWidth=2).encode(y="y:Q")
    dots = alt.Chart(points).mark_circle(size=110, opacity=0.9, stroke="white",
                                         strokeWidth=0.8).encode(
        x=alt.X("Befolkning:Q", scale=alt.Scale(type="log")), y="Per 1 000:Q",
        color=alt.Color("Bedömning:N", title="Jämfört med kommunen", scale=alt.Scale(
            domain=["Högre än väntat", "Inom gränserna", "Lägre än väntat"],
            range=["#b2182b", "#2c7fb8", "#762a83"])),
        tooltip=["Område:N", alt.Tooltip("Antal:Q", format=",.0f"),
                 alt.Tooltip("Befolkning:Q", format=",.0f"),
                 alt.Tooltip("Per 1 000:Q", format=",.1f"), "Bedömning:N"])
    layers = [limit_lines, mean, dots]
    # The areas outside the limits are named in the chart, so the image in a slide says which.
    outliers = points[points["Bedömning"] != "Inom gränserna"]
    if len(outliers):
        layers.append(alt.Chart(outliers).mark_text(
            align="left", dx=9, dy=-9, fontSize=13, fontWeight="bold", color="#111827").encode(
            x=alt.X("Befolkning:Q", scale=alt.Scale(type="log")), y="Per 1 000:Q",
            text="Område:N"))
    chosen = points[points["kod"] == highlight]
    if len(chosen):
        layers.append(alt.Chart(chosen).mark_point(size=420, color="#e66101", strokeWidth=3)
                      .encode(x=alt.X("Befolkning:Q", scale=alt.Scale(type="log")),
                              y="Per 1 000:Q"))
    return alt.layer(*layers).properties(height=420)


EXPLANATION = ("Varje punkt är ett område. Linjen i mitten är kommunens nivå; trattens kanter "
               "visar hur mycket ett område av den storleken kan avvika av ren slump. Små "
               "områden varierar mer, därför är tratten bredast till vänster. Bara punkter "
               "utanför den heldragna gränsen (99,8 %) är troligen verkliga skillnader; "
               "områden med färre än {threshold} visas inte.")
