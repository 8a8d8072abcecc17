"""Charts of the measure pages, built from protected tables (``breakdown``), and ``figure``:
the one function the pages and the command line call, so both give the same image.

Builders return unconfigured Altair charts: ``export.screen`` adds the Swedish locale and
type sizes for the page, ``export.png``/``svg`` the caption for files. Hidden counts are
never drawn: lines break there and a "<5" marks the month; missing months break the line
and are annotated, as are series breaks.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

from lagesbild import aggregate, breakdown as bd, fmt
from lagesbild.config import Config, Measure
from lagesbild.errors import UnknownError
from lagesbild.export import Caption

KINDS = {"trend": "Trend", "ar": "År för år", "fordelning": "Fördelning",
         "heatmap": "Värmekarta"}
SEX_COLOURS = ["#D55E00", "#0072B2"]  # Okabe–Ito vermillion and blue: colour-blind safe
LINE = "#0072B2"
ROLLING_COLOUR = "#D55E00"
LAST_YEAR = "#8C8C8C"
NOTE_COLOUR = "#333333"
MISSING_COLOUR = "#B2182B"
HIDDEN_GREY = "#E6E6E6"


def _width(presentation: bool) -> float:
    return 1.6 if presentation else 1.0


def _taller(chart, presentation: bool):
    """Line charts grow on the projector (elsewhere their height is the page's or the
    image's)."""
    return chart.properties(height=460) if presentation else chart


def _hidden_text(data: pd.DataFrame, threshold: int, **encode) -> alt.Chart:
    return alt.Chart(data).mark_text(fontSize=11, color="#555555", align="center").encode(
        text=alt.value(f"<{threshold}"), **encode)


def _notes_layer(notes: pd.DataFrame, y_max: float) -> list[alt.Chart]:
    """Rules and labels for series breaks and missing months."""
    if notes.empty:
        return []
    data = notes.assign(kort=notes["typ"].map({"serieavbrott": "Serieavbrott",
                                               "saknas": "Saknas"}),
                        farg=notes["typ"].map({"serieavbrott": NOTE_COLOUR,
                                               "saknas": MISSING_COLOUR}))
    x = alt.X(f"{bd.MONTH}:T")
    rule = alt.Chart(data).mark_rule(strokeDash=[6, 4], strokeWidth=2).encode(
        x=x, color=alt.Color("farg:N", scale=None),
        tooltip=[alt.Tooltip(f"{bd.MONTH}:T", format="%B %Y", title="Månad"),
                 alt.Tooltip(f"{bd.NOTE}:N", title="Anmärkning")])
    text = alt.Chart(data[data["typ"] == "serieavbrott"]).mark_text(
        align="left", baseline="top", dx=5, dy=4, fontSize=12, color=NOTE_COLOUR).encode(
        x=x, y=alt.datum(y_max), text=f"{bd.NOTE}:N")
    # Missing months: one label per run of consecutive months, at the foot of the chart.
    gone = data.loc[data["typ"] == "saknas", bd.MONTH]
    starts = gone[[i == 0 or (m - gone.iloc[i - 1]).days > 31 for i, m in enumerate(gone)]]
    missing = alt.Chart(pd.DataFrame({bd.MONTH: starts.to_numpy()})).mark_text(
        align="left", baseline="bottom", dx=4, dy=-4, fontSize=12, color=MISSING_COLOUR
    ).encode(x=x, y=alt.datum(0), text=alt.value("Uppgift saknas"))
    return [rule, text, missing]


def trend_chart(table: pd.DataFrame, notes: pd.DataFrame, start: pd.Timestamp, y_title: str,
                threshold: int, presentation: bool = False) -> alt.LayerChart:
    """The monthly count, its rolling 12-month average and the same month last year."""
    w = _width(presentation)
    months = pd.date_range(start, table[bd.MONTH].max(), freq="MS")
    by_month = table.set_index(bd.MONTH)
    count = by_month[bd.COUNT].astype("Float64").reindex(months)
    last_year = by_month[bd.COUNT].astype("Float64").reindex(months - pd.DateOffset(years=1))
    series = {"Per månad": count.to_numpy(),
              "Rullande 12 mån, medel": by_month[bd.ROLLING].reindex(months).to_numpy(),
              "Samma månad året innan": last_year.to_numpy()}
    long = pd.concat([pd.DataFrame({bd.MONTH: months, "Serie": name,
                                    "Värde": pd.array(values, dtype="Float64")})
                      for name, values in series.items()], ignore_index=True)
    long["Värde"] = long["Värde"].astype(object).where(long["Värde"].notna(), None)
    names = list(series)
    colour = alt.Color("Serie:N", scale=alt.Scale(domain=names, range=[
        LINE, ROLLING_COLOUR, LAST_YEAR]), legend=alt.Legend(
        title=None, orient="bottom", symbolType="stroke", symbolStrokeWidth=4,
        symbolSize=400, labelLimit=0))
    x = alt.X(f"{bd.MONTH}:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0,
                                                           tickCount="month", labelOverlap=True))
    tooltip = [alt.Tooltip(f"{bd.MONTH}:T", format="%B %Y", title="Månad"),
               alt.Tooltip("Serie:N"), alt.Tooltip("Värde:Q", format=",.1~f")]
    top = pd.to_numeric(long["Värde"], errors="coerce").max()
    top = max(float(top) if pd.notna(top) else 0.0, float(threshold))
    if (notes["typ"] == "serieavbrott").any():
        top *= 1.12  # room above the lines for the note's text
    y = alt.Y("Värde:Q", title=y_title, scale=alt.Scale(domain=[0, top], nice=True))
    base = alt.Chart(long).encode(x=x, y=y, color=colour, tooltip=tooltip)
    lines = base.mark_line(strokeWidth=2.5 * w).encode(
        strokeDash=alt.StrokeDash("Serie:N", scale=alt.Scale(
            domain=names, range=[[1, 0], [1, 0], [5, 4]]), legend=None),
        size=alt.Size("Serie:N", scale=alt.Scale(domain=names, range=[
            2.5 * w, 4.5 * w, 2 * w]), legend=None))
    points = base.transform_filter(alt.datum.Serie == "Per månad").mark_point(
        filled=True, size=36 * w)
    layers = [lines, points]
    hidden = table[(table[bd.MONTH] >= start) & table[bd.COUNT].isna()]
    if len(hidden):
        # Placed in the band 1 … threshold−1, where the hidden value lies.
        layers.append(_hidden_text(hidden[[bd.MONTH]], threshold, x=f"{bd.MONTH}:T",
                                   y=alt.datum(threshold / 2)))
    layers += _notes_layer(notes, top)
    return _taller(alt.layer(*layers), presentation)


def year_chart(table: pd.DataFrame, y_title: str, presentation: bool = False) -> alt.Chart:
    """One line per calendar year over January–December: the seasons and the level."""
    w = _width(presentation)
    years = sorted(table[bd.MONTH].dt.year.unique())
    full = pd.date_range(f"{years[0]}-01-01", f"{years[-1]}-12-01", freq="MS")
    count = table.set_index(bd.MONTH)[bd.COUNT].reindex(full)
    data = pd.DataFrame({"År": full.year.astype(str), "Månad i året": full.month,
                         "Mån": [fmt.MONTHS_SHORT[m - 1] for m in full.month],
                         bd.COUNT: count.astype(object).where(count.notna(), None).values})
    # Earlier years in greys, the latest in strong blue and thicker: the eye goes to now.
    greys = ["#D0D0D0", "#B0B0B0", "#8C8C8C", "#6A6A6A", "#4D4D4D"]
    domain = [str(y) for y in years]
    colours = greys[len(greys) - len(domain) + 1:] + [LINE] if len(domain) > 1 else [LINE]
    latest = alt.datum["År"] == domain[-1]
    chart = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(filled=True, size=30 * w)).encode(
        x=alt.X("Mån:O", sort=fmt.MONTHS_SHORT, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{bd.COUNT}:Q", title=y_title),
        color=alt.Color("År:O", scale=alt.Scale(domain=domain, range=colours),
                        legend=alt.Legend(orient="bottom", title=None, symbolType="stroke",
                                          symbolStrokeWidth=4, symbolSize=400, labelLimit=0)),
        strokeWidth=alt.condition(latest, alt.value(4 * w), alt.value(2 * w)),
        tooltip=["År:O", "Mån:O", alt.Tooltip(f"{bd.COUNT}:Q", format=",d")]
    )
    return _taller(chart, presentation)


def breakdown_chart(table: pd.DataFrame, heading: str, threshold: int,
                    presentation: bool = False) -> alt.LayerChart:
    """Horizontal bars per category; girls and boys (women and men) side by side."""
    split = bd.SEX in table.columns
    order = list(dict.fromkeys(table[heading]))
    step = (19 if split else 28) * (1.25 if presentation else 1)
    height = max(220, int(len(order) * step * (2 if split else 1)))
    y = alt.Y(f"{heading}:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    data = table.assign(**{bd.COUNT: table[bd.COUNT].astype(object).where(
        table[bd.COUNT].notna(), None)})
    encode = {"y": y}
    tooltip = [alt.Tooltip(f"{heading}:N"), alt.Tooltip(f"{bd.COUNT}:Q", format=",d")]
    if split:
        sexes = list(dict.fromkeys(table[bd.SEX]))
        encode["yOffset"] = alt.YOffset(f"{bd.SEX}:N", sort=sexes)
        encode["color"] = alt.Color(f"{bd.SEX}:N", sort=sexes, scale=alt.Scale(
            domain=sexes, range=SEX_COLOURS[:len(sexes)]), legend=alt.Legend(
            orient="top", title=None))
        tooltip.insert(1, alt.Tooltip(f"{bd.SEX}:N"))
    else:
        encode["color"] = alt.value(LINE)
    if bd.RATE in table.columns:
        tooltip.append(alt.Tooltip(f"{bd.RATE}:Q", format=",.1f"))
    base = alt.Chart(data).encode(**encode)
    x = alt.X(f"{bd.COUNT}:Q", title="Antal", axis=alt.Axis(format=",d", tickCount=8))
    bars = base.mark_bar().encode(x=x, tooltip=tooltip)
    labels = base.transform_filter(f"datum['{bd.COUNT}'] != null").mark_text(
        align="left", dx=4, fontSize=11 * (1.2 if presentation else 1), color="#333333"
    ).encode(x=x, text=alt.Text(f"{bd.COUNT}:Q", format=",d"))
    layers = [bars, labels]
    hidden = data[data[bd.COUNT].isna()]
    if len(hidden):
        hidden_enc = {k: v for k, v in encode.items() if k != "color"}
        layers.append(_hidden_text(hidden, threshold, x=alt.datum(0), **hidden_enc
                                   ).mark_text(align="left", dx=4, fontSize=11,
                                               color="#555555"))
    return alt.layer(*layers).properties(height=height)


def heatmap_chart(table: pd.DataFrame, heading: str, threshold: int,
                  presentation: bool = False) -> alt.LayerChart:
    """Month × category: colour and number per cell; hidden cells grey with "<5"."""
    order = list(dict.fromkeys(table[heading]))
    data = table.assign(**{bd.COUNT: table[bd.COUNT].astype(object).where(
        table[bd.COUNT].notna(), None)})
    top = pd.to_numeric(table[bd.COUNT], errors="coerce").max()
    top = float(top) if pd.notna(top) else 1.0
    x = alt.X(f"yearmonth({bd.MONTH}):O", title=None,
              axis=alt.Axis(format="%b %Y", labelAngle=-40))
    y = alt.Y(f"{heading}:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    size = 12 * (1.25 if presentation else 1)
    base = alt.Chart(data).encode(x=x, y=y)
    grey = base.transform_filter(f"datum['{bd.COUNT}'] == null").mark_rect(
        stroke="white", strokeWidth=1, color=HIDDEN_GREY)
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(f"{bd.COUNT}:Q", scale=alt.Scale(scheme="blues"),
                        legend=alt.Legend(title="Antal", format=",d")),
        tooltip=[alt.Tooltip(f"{bd.MONTH}:T", format="%B %Y", title="Månad"),
                 alt.Tooltip(f"{heading}:N"), alt.Tooltip(f"{bd.COUNT}:Q", format=",d")])
    numbers = base.transform_filter(f"datum['{bd.COUNT}'] != null").mark_text(
        fontSize=size).encode(
        text=alt.Text(f"{bd.COUNT}:Q", format=",d"),
        color=alt.condition(f"datum['{bd.COUNT}'] > {top * 0.55}", alt.value("white"),
                            alt.value("#222222")))
    hidden = base.transform_filter(f"datum['{bd.COUNT}'] == null").mark_text(
        fontSize=size, color="#555555").encode(text=alt.value(f"<{threshold}"))
    return alt.layer(grey, cells, numbers, hidden).properties(
        height=max(160, int(len(order) * 30 * (1.2 if presentation else 1))))


# --- one figure: table, chart and caption ---------------------------------------------------

@dataclass(frozen=True)
class Figure:
    """A chart, the protected table behind it, and what its image says about itself."""

    kind: str
    chart: alt.TopLevelMixin
    table: pd.DataFrame
    caption: Caption
    notes: pd.DataFrame  # data-quality notes in the period (Månad, Anmärkning, typ)
    ignored: list[str]  # filters that do not apply to the measure


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


def default_period(kind: str, end: pd.Timestamp) -> aggregate.Period:
    """What the page shows: 36 months of trend, four calendar years, else 12 months."""
    end = pd.Timestamp(end)
    if kind == "trend":
        return aggregate.Period(end - pd.DateOffset(months=bd.TREND_MONTHS - 1), end)
    if kind == "ar":
        return aggregate.Period(pd.Timestamp(year=end.year - 3, month=1, day=1), end)
    return aggregate.Period.rolling12(end)


def figure(kind: str, counts: pd.DataFrame, population: pd.DataFrame, measure: Measure,
           cfg: Config, period: aggregate.Period, *, dim: str | None = None,
           filters: aggregate.Filters = aggregate.Filters(), storhet: str | None = None,
           names: dict | None = None, presentation: bool = False) -> Figure:
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

    Returns
    -------
    Figure
    """
    if kind not in KINDS:
        raise UnknownError(f"Okänd diagramtyp ”{kind}”. Möjliga: {', '.join(KINDS)}.")
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
            raise UnknownError(f"{KINDS[kind]} för {measure.code} kan inte delas upp efter "
                               f"”{dim}”. Möjliga: {', '.join(allowed)}.")
    chosen = bd.with_defaults(measure, filters, dim, storhet)
    rows, ignored = aggregate.apply_filters(counts, measure, chosen)
    if filters.kon and not chosen.kon:
        ignored.append("kon")
    m = bd.effective(measure, chosen, storhet)
    variable = m.variables[storhet]
    what = variable.label
    notes = bd.quality_notes(counts, measure, period.start, period.end)
    if kind == "trend":
        table = bd.trend(rows, counts, m, period, storhet, t)
        title = f"{measure.short}: {what.lower()} per månad"
        start = max(period.start, table[bd.MONTH].min()) if len(table) else period.start
        chart = trend_chart(table, notes, start, what, t, presentation)
    elif kind == "ar":
        table = bd.by_year(rows, counts, m, period.end, storhet, t,
                           years=period.end.year - period.start.year + 1)
        title = f"{measure.short}: {what.lower()} per månad, år för år"
        chart = year_chart(table, what, presentation)
    elif kind == "fordelning":
        table = bd.breakdown(rows, population, m, cat, period, dim, storhet, t, names,
                             by_sex=len(chosen.kon) != 1)
        heading = m.dimension_label(dim)
        split = " och kön" if bd.SEX in table.columns else ""
        title = f"{measure.short}: {what.lower()} per {heading.lower()}{split}"
        chart = breakdown_chart(table, heading, t, presentation)
    else:
        table = bd.heatmap(rows, m, cat, period, dim, storhet, t, names)
        heading = m.dimension_label(dim)
        title = f"{measure.short}: {what.lower()} per månad och {heading.lower()}"
        chart = heatmap_chart(table, heading, t, presentation)
    if variable.aggregation == "medel" and kind == "fordelning":
        title += " (medel per månad)"
    caption = Caption(title, fmt.period(period.start, period.end),
                      bd.describe(measure, cat, chosen, names),
                      f"Källa: {measure.source}", t)
    return Figure(kind, chart, table, caption, notes, ignored)
