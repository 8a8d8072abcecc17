"""``figure``: the one function the measure pages and the command line call for a chart and
its table, so both give the same image."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

from lagesbild import fmt
from lagesbild.analysis import aggregate
from lagesbild.config import Config, Measure
from lagesbild.errors import UnknownError
from lagesbild.present import charts
from lagesbild.present.export import Caption
from lagesbild.views import breakdown as bd


@dataclass(frozen=True)
class Figure:
    """A chart, the protected table behind it, and what its image says about itself."""

    kind: str
    chart: alt.TopLevelMixin
    table: pd.DataFrame
    caption: Caption
    notes: pd.DataFrame  # data-quality notes in the period (Månad, Anmärkning, typ)
    ignored: list[str]  # filters that do not apply to the measure
    band_note: str = ""  # why a trend has no expected range, or what it is


def breakdown_dimensions(measure: Measure, storhet: str | None = None) -> list[str]:
    """Dimensions a breakdown can use: age, the categories, sex, then areas."""
    storhet = storhet or measure.primary.code
    dims = [d for d in measure.dimension_columns if d not in ("postnummer", "kon")]
    if measure.has_sex and not measure.variables[storhet].without_sex:
        dims.append("kon")
    return dims + (["postnummer"] if measure.has_postnummer else [])


def heatmap_dimensions(measure: Measure) -> list[str]:
    """Dimensions for the month × category heat map: the categories and age groups."""
    return [d for d in measure.dimension_columns if d not in ("postnummer", "kon")]


def sex_comparable(measure: Measure, storhet: str | None = None) -> bool:
    """Whether the measure can show girls' and boys' trends side by side."""
    storhet = storhet or measure.primary.code
    return measure.has_sex and not measure.variables[storhet].without_sex


def newest_first(table: pd.DataFrame) -> pd.DataFrame:
    """A monthly table, newest month on top, keeping its disclosure marks."""
    out = table.sort_values(bd.MONTH, ascending=False, kind="stable").reset_index(drop=True)
    out.attrs = dict(table.attrs)
    return out


def _by_sex(counts: pd.DataFrame, measure: Measure, cat, period: aggregate.Period,
            filters: aggregate.Filters, storhet: str, threshold: int, what: str,
            presentation: bool) -> tuple[pd.DataFrame, alt.TopLevelMixin]:
    """Each sex's monthly trend (the same published cells as a sex filter gives), in one
    table and one chart."""
    from lagesbild.present.tables import mark

    parts = []
    for sex in ("K", "M"):
        one = aggregate.Filters(filters.postnummer, (sex,), filters.aldersgrupp,
                                filters.categories)
        chosen = bd.with_defaults(measure, one, None, storhet)
        rows, _ = aggregate.apply_filters(counts, measure, chosen)
        part = bd.trend(rows, counts, bd.effective(measure, chosen, storhet), period, storhet,
                        threshold)
        part = part[part[bd.MONTH] >= period.start]
        parts.append(part.assign(**{bd.SEX: cat.sex_label(sex, measure)}))
    long = pd.concat(parts, ignore_index=True)[[bd.MONTH, bd.SEX, bd.COUNT, bd.ROLLING]]
    chart = charts.sex_chart(long, what, threshold, presentation)
    wide = long.pivot(index=bd.MONTH, columns=bd.SEX, values=[bd.COUNT, bd.ROLLING])
    sexes = list(dict.fromkeys(long[bd.SEX]))
    table = pd.DataFrame({bd.MONTH: wide.index})
    for sex in sexes:
        table[f"{sex}, antal"] = wide[(bd.COUNT, sex)].astype("Int64").to_numpy()
    for sex in sexes:
        table[f"{sex}, rullande 12 mån"] = wide[(bd.ROLLING, sex)].astype(float).to_numpy()
    table = mark(table, threshold, counts=[f"{s}, antal" for s in sexes])
    return newest_first(table), chart


def default_period(kind: str, end: pd.Timestamp) -> aggregate.Period:
    """What the page shows: 36 months of trend, four calendar years, else 12 months."""
    end = pd.Timestamp(end)
    if kind in ("trend", "kon"):
        return aggregate.Period(end - pd.DateOffset(months=bd.TREND_MONTHS - 1), end)
    if kind == "ar":
        return aggregate.Period(pd.Timestamp(year=end.year - 3, month=1, day=1), end)
    return aggregate.Period.rolling12(end)


def figure(kind: str, counts: pd.DataFrame, population: pd.DataFrame, measure: Measure,
           cfg: Config, period: aggregate.Period, *, dim: str | None = None,
           filters: aggregate.Filters = aggregate.Filters(), storhet: str | None = None,
           names: dict | None = None, presentation: bool = False,
           markers: pd.DataFrame | None = None, noise_var: float = 0.0) -> Figure:
    """Build one chart with its table and caption, as the page shows and exports it.

    Parameters
    ----------
    kind : str
        ``trend``, ``ar`` (year over year), ``fordelning`` (breakdown) or ``heatmap``.
    counts : DataFrame
        The measure's canonical counts, unfiltered (missing months are judged on them).
    population : DataFrame
        Population rows, for rates.
    measure : Measure
        The measure.
    cfg : Config
        For the catalogue and the disclosure threshold.
    period : Period
        The months shown (see ``default_period``).
    dim : str, optional
        The dimension of a breakdown or heat map; the first possible by default.
    filters : Filters
        Sidebar and page filters.
    storhet : str, optional
        The variable; the measure's first by default.
    names : dict, optional
        Postnummer to postort, for labels.
    presentation : bool
        Thicker lines and larger marks for the projector.
    markers : DataFrame, optional
        Actions and omvärld notes for the timeline (``Månad``, ``Anmärkning``, ``typ``
        ``atgard`` or ``omvarld``; see ``views.effect.markers``); the trend shows those in
        its months.
    noise_var : float
        The known variance of one published monthly count's noise, for the expected band.

    Returns
    -------
    Figure
    """
    if kind not in charts.KINDS:
        raise UnknownError(f"Okänd diagramtyp ”{kind}”. Möjliga: {', '.join(charts.KINDS)}.")
    cat, t = cfg.catalogue, cfg.threshold
    storhet = storhet or measure.primary.code
    if storhet not in measure.variables:
        raise UnknownError(f"Måttet {measure.code} har ingen storhet ”{storhet}”. "
                           f"Möjliga: {', '.join(measure.variables)}.")
    if kind in ("fordelning", "heatmap"):
        allowed = (breakdown_dimensions(measure, storhet) if kind == "fordelning"
                   else heatmap_dimensions(measure))
        if not allowed:
            raise UnknownError(f"{measure.short} har inga kategorier att dela upp efter.")
        dim = dim or allowed[0]
        if dim not in allowed:
            raise UnknownError(f"{charts.KINDS[kind]} för {measure.code} kan inte delas upp efter "
                               f"”{dim}”. Möjliga: {', '.join(allowed)}.")
    if kind == "kon":  # both sexes side by side, whatever the sex filter says
        filters = aggregate.Filters(filters.postnummer, (), filters.aldersgrupp,
                                    filters.categories)
    chosen = bd.with_defaults(measure, filters, dim, storhet)
    m = bd.effective(measure, chosen, storhet)
    selected = aggregate.select(counts, population, m, chosen)
    rows, population, ignored = selected.rows, selected.population, list(selected.ignored)
    if filters.kon and not chosen.kon:
        ignored.append("kon")
    variable = m.variables[storhet]
    what = variable.label
    notes = bd.quality_notes(counts, measure, period.start, period.end)
    if kind == "trend" and markers is not None and len(markers):
        inside = markers[markers[bd.MONTH].between(period.start, period.end)]
        notes = pd.concat([notes, inside], ignore_index=True).sort_values(
            bd.MONTH, ignore_index=True)
        # Concatenated with an empty frame the months are objects, which images cannot hold.
        notes = notes.assign(**{bd.MONTH: pd.to_datetime(notes[bd.MONTH])})
    band_note = ""
    if kind == "trend":
        table = bd.trend(rows, counts, m, period, storhet, t)
        title = f"{measure.short}: {what.lower()} per månad"
        start = max(period.start, table[bd.MONTH].min()) if len(table) else period.start
        band, band_note = expected_band(rows, counts, m, storhet, start, period.end, t,
                                        noise_var)
        chart = charts.trend_chart(table, notes, start, what, t, presentation, band)
        # The table beside the chart: the chart's months (the year before it only feeds the
        # "same month last year" line), newest first.
        table = table[table[bd.MONTH] >= start]
        if band is not None:
            table = with_band(table, band)
        table = newest_first(table)
    elif kind == "kon":
        if not sex_comparable(measure, storhet):
            raise UnknownError(f"{measure.short} kan inte jämföras efter kön.")
        table, chart = _by_sex(counts, m, cat, period, filters, storhet, t, what, presentation)
        title = f"{measure.short}: {what.lower()} per månad, " + " och ".join(
            cat.sex_label(s, measure).lower() for s in ("K", "M"))
    elif kind == "ar":
        table = bd.by_year(rows, counts, m, period.end, storhet, t,
                           years=period.end.year - period.start.year + 1)
        title = f"{measure.short}: {what.lower()} per månad, år för år"
        chart = charts.year_chart(table, what, presentation)
    elif kind == "fordelning":
        table = bd.breakdown(rows, population, m, cat, period, dim, storhet, t, names,
                             by_sex=len(chosen.kon) != 1)
        heading = m.dimension_label(dim)
        split = " och kön" if bd.SEX in table.columns else ""
        title = f"{measure.short}: {what.lower()} per {heading.lower()}{split}"
        chart = charts.breakdown_chart(table, heading, t, presentation)
    else:
        table = bd.heatmap(rows, m, cat, period, dim, storhet, t, names)
        heading = m.dimension_label(dim)
        title = f"{measure.short}: {what.lower()} per månad och {heading.lower()}"
        chart = charts.heatmap_chart(table, heading, t, presentation)
    if variable.aggregation == "medel" and kind == "fordelning":
        title += " (medel per månad)"
    caption = Caption(title, fmt.period(period.start, period.end),
                      bd.describe(measure, cat, chosen, names),
                      f"Källa: {measure.source}", t)
    return Figure(kind, chart, table, caption, notes, ignored, band_note)


BAND_LOW, BAND_HIGH = "Förväntat intervall, lägst", "Förväntat intervall, högst"
OUTSIDE = "Utanför förväntat intervall"


def expected_band(rows, counts, measure: Measure, storhet: str, start, end, threshold: int,
                  noise_var: float = 0.0) -> tuple[pd.DataFrame | None, str]:
    """The expected range of each month shown (``analysis.baseline`` on the published
    series), or None and the reason in Swedish when the data do not allow one."""
    from lagesbild.analysis import baseline

    if measure.variables[storhet].aggregation == "medel":
        return None, "Inget förväntat intervall: storheten är ett medel, inte ett antal."
    first = pd.Timestamp(start) - pd.DateOffset(months=12 * baseline.YEARS + 12)
    series = bd.published_series(rows, counts, measure, first, end, storhet, threshold)
    months = pd.date_range(start, end, freq="MS")
    band = baseline.band(series, months, breaks=[b.month for b in measure.breaks],
                         noise_var=noise_var)
    if band["forvantat"].isna().all():
        reason = band["orsak"].dropna()
        return None, ("Inget förväntat intervall: "
                      f"{reason.iloc[-1] if len(reason) else 'för kort serie'}.")
    gaps = band["orsak"].dropna()
    note = ("Förväntat intervall (99 %): vad säsong, trend och vanlig variation från tidigare "
            "år ger för varje månad; se metodnoten under Om data.")
    if len(gaps):
        note += f" Saknas för vissa månader: {gaps.iloc[-1]}."
    return band, note


def with_band(table: pd.DataFrame, band: pd.DataFrame) -> pd.DataFrame:
    """The trend table with each month's expected range and whether it lies outside."""
    b = band.set_index("month")
    months = table[bd.MONTH]
    out = table.assign(**{
        BAND_LOW: b["undre"].reindex(months).to_numpy(),
        BAND_HIGH: b["ovre"].reindex(months).to_numpy(),
        OUTSIDE: b["utanfor"].reindex(months).map({"over": "över", "under": "under"})
        .fillna("").to_numpy()})
    out.attrs = dict(table.attrs)
    return out
