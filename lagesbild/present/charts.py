"""Charts of the measure pages and of an area's profile, built from protected tables
(``views.breakdown``, ``views.areas``); ``views.figures`` puts table and chart together.

Builders return unconfigured Altair charts: ``export.screen`` adds the Swedish locale and
type sizes for the page, ``export.png``/``svg`` the caption for files. Hidden counts are
never drawn: lines break there and a "<5" marks the month; missing months break the line
and are annotated, as are series breaks.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from lagesbild import fmt
from lagesbild.present import columns as col

KINDS = {"trend": "Trend", "ar": "År för år", "fordelning": "Fördelning",
         "heatmap": "Värmekarta", "kon": "Flickor och pojkar"}
# Earlier years in År för år: Okabe–Ito hues (colour-blind safe) and their own dashes, so the
# years tell apart in a slide too; the latest year is the strong blue line.
EARLIER_YEARS = [("#E69F00", [8, 3]), ("#009E73", [3, 3]), ("#CC79A7", [10, 3, 2, 3]),
                 ("#56B4E9", [2, 2]), ("#999999", [6, 6])]
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


ACTION_COLOUR = "#1a7f37"  # an action's start: green, apart from the data's own notes
WORLD_COLOUR = "#6f42c1"  # an omvärld note
LABELLED = ("serieavbrott", "atgard", "omvarld")  # notes whose text is written in the chart


def _notes_layer(notes: pd.DataFrame, y_max: float) -> list[alt.Chart]:
    """Rules and labels for series breaks, missing months, actions and omvärld notes."""
    if notes.empty:
        return []
    data = notes.assign(farg=notes["typ"].map({"serieavbrott": NOTE_COLOUR,
                                               "saknas": MISSING_COLOUR,
                                               "atgard": ACTION_COLOUR,
                                               "omvarld": WORLD_COLOUR}).fillna(NOTE_COLOUR))
    x = alt.X(f"{col.MONTH}:T")
    rule = alt.Chart(data).mark_rule(strokeDash=[6, 4], strokeWidth=2).encode(
        x=x, color=alt.Color("farg:N", scale=None),
        tooltip=[alt.Tooltip(f"{col.MONTH}:T", format="%B %Y", title="Månad"),
                 alt.Tooltip(f"{col.NOTE}:N", title="Anmärkning")])
    labelled = data[data["typ"].isin(LABELLED)]
    # Labels step down a line each, so notes in nearby months do not print over each other.
    labelled = labelled.assign(rad=[y_max * (1 - 0.065 * (i % 4)) for i in
                                    range(len(labelled))])
    # aria off: the rule beside it carries month and text; the label's own description
    # would read out its helper fields (row, colour).
    text = alt.Chart(labelled).mark_text(
        align="left", baseline="top", dx=5, dy=4, fontSize=12, aria=False).encode(
        x=x, y=alt.Y("rad:Q"), text=f"{col.NOTE}:N",
        color=alt.Color("farg:N", scale=None))
    # Missing months: one label per run of consecutive months, at the foot of the chart.
    gone = data.loc[data["typ"] == "saknas", col.MONTH]
    starts = gone[[i == 0 or (m - gone.iloc[i - 1]).days > 31 for i, m in enumerate(gone)]]
    missing = alt.Chart(pd.DataFrame({col.MONTH: starts.to_numpy()})).mark_text(
        align="left", baseline="bottom", dx=4, dy=-4, fontSize=12, color=MISSING_COLOUR
    ).encode(x=x, y=alt.datum(0), text=alt.value("Uppgift saknas"))
    return [rule, text, missing]


BAND_COLOUR = "#9ecae1"
OUTSIDE_COLOUR = "#b2182b"


def trend_chart(table: pd.DataFrame, notes: pd.DataFrame, start: pd.Timestamp, y_title: str,
                threshold: int, presentation: bool = False,
                band: pd.DataFrame | None = None) -> alt.LayerChart:
    """The monthly count, its rolling 12-month average and the same month last year; with
    *band* (month, undre, ovre, utanfor) the expected range ("förväntat intervall") behind
    them and a ring on each month outside it."""
    w = _width(presentation)
    months = pd.date_range(start, table[col.MONTH].max(), freq="MS")
    by_month = table.set_index(col.MONTH)
    count = by_month[col.COUNT].astype("Float64").reindex(months)
    last_year = by_month[col.COUNT].astype("Float64").reindex(months - pd.DateOffset(years=1))
    series = {"Per månad": count.to_numpy(),
              "Rullande 12 mån, medel": by_month[col.ROLLING].reindex(months).to_numpy(),
              "Samma månad året innan": last_year.to_numpy()}
    long = pd.concat([pd.DataFrame({col.MONTH: months, "Serie": name,
                                    "Värde": pd.array(values, dtype="Float64")})
                      for name, values in series.items()], ignore_index=True)
    long["Värde"] = long["Värde"].astype(object).where(long["Värde"].notna(), None)
    names = list(series)
    colour = alt.Color("Serie:N", scale=alt.Scale(domain=names, range=[
        LINE, ROLLING_COLOUR, LAST_YEAR]), legend=alt.Legend(
        title=None, orient="bottom", symbolType="stroke", symbolStrokeWidth=4,
        symbolSize=400, labelLimit=0))
    x = alt.X(f"{col.MONTH}:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0,
                                                           tickCount="month", labelOverlap=True))
    tooltip = [alt.Tooltip(f"{col.MONTH}:T", format="%B %Y", title="Månad"),
               alt.Tooltip("Serie:N"), alt.Tooltip("Värde:Q", format=",.1~f")]
    top = pd.to_numeric(long["Värde"], errors="coerce").max()
    top = max(float(top) if pd.notna(top) else 0.0, float(threshold))
    if band is not None:
        band = band[(band["month"] >= start) & band["ovre"].notna()]
        if len(band):
            top = max(top, float(band["ovre"].max()))
    if notes["typ"].isin(LABELLED).any():  # room above the lines for the notes' text
        top *= 1.12 + 0.08 * min(int(notes["typ"].isin(LABELLED).sum()) - 1, 3)
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
    if band is not None and len(band):
        shade = pd.DataFrame({col.MONTH: band["month"], "Lägst": band["undre"],
                              "Högst": band["ovre"], "Serie": "Förväntat intervall"})
        layers.insert(0, alt.Chart(shade).mark_area(opacity=0.35, color=BAND_COLOUR).encode(
            x=x, y=alt.Y("Lägst:Q", scale=alt.Scale(domain=[0, top], nice=True)),
            y2="Högst:Q", tooltip=[alt.Tooltip(f"{col.MONTH}:T", format="%B %Y",
                                               title="Månad"),
                                   alt.Tooltip("Lägst:Q", format=",.0f",
                                               title="Förväntat, lägst"),
                                   alt.Tooltip("Högst:Q", format=",.0f",
                                               title="Förväntat, högst")]))
        outside = band[band["utanfor"].isin(["over", "under"])]
        if len(outside):
            rings = pd.DataFrame({col.MONTH: outside["month"].to_numpy(),
                                  "Värde": count.reindex(outside["month"]).astype(float)
                                  .to_numpy()})
            layers.append(alt.Chart(rings).mark_point(
                shape="circle", size=260 * w, strokeWidth=2.5 * w, color=OUTSIDE_COLOUR,
                filled=False).encode(x=x, y=alt.Y("Värde:Q")))
    hidden = table[(table[col.MONTH] >= start) & table[col.COUNT].isna()]
    if len(hidden):
        # Placed in the band 1 … threshold−1, where the hidden value lies.
        layers.append(_hidden_text(hidden[[col.MONTH]], threshold, x=f"{col.MONTH}:T",
                                   y=alt.datum(threshold / 2)))
    layers += _notes_layer(notes, top)
    return _taller(alt.layer(*layers), presentation)


def year_chart(table: pd.DataFrame, y_title: str, presentation: bool = False) -> alt.Chart:
    """One line per calendar year over January–December: the seasons and the level."""
    w = _width(presentation)
    years = sorted(table[col.MONTH].dt.year.unique())
    full = pd.date_range(f"{years[0]}-01-01", f"{years[-1]}-12-01", freq="MS")
    count = table.set_index(col.MONTH)[col.COUNT].reindex(full)
    data = pd.DataFrame({"År": full.year.astype(str), "Månad i året": full.month,
                         "Mån": [fmt.MONTHS_SHORT[m - 1] for m in full.month],
                         col.COUNT: count.astype(object).where(count.notna(), None).values})
    # Earlier years in distinct hues and dashes, the latest in strong blue, solid and
    # thicker: the eye goes to now, and each earlier year can still be told apart.
    domain = [str(y) for y in years]
    earlier = EARLIER_YEARS[:len(domain) - 1][::-1]
    colours = [c for c, _ in earlier] + [LINE]
    dashes = [d for _, d in earlier] + [[1, 0]]
    latest = alt.datum["År"] == domain[-1]
    chart = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(filled=True, size=30 * w)).encode(
        x=alt.X("Mån:O", sort=fmt.MONTHS_SHORT, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{col.COUNT}:Q", title=y_title),
        color=alt.Color("År:O", scale=alt.Scale(domain=domain, range=colours),
                        legend=alt.Legend(orient="bottom", title=None, symbolType="stroke",
                                          symbolStrokeWidth=4, symbolSize=400, labelLimit=0)),
        strokeDash=alt.StrokeDash("År:O", scale=alt.Scale(domain=domain, range=dashes),
                                  legend=None),
        strokeWidth=alt.condition(latest, alt.value(4 * w), alt.value(2.5 * w)),
        tooltip=["År:O", "Mån:O", alt.Tooltip(f"{col.COUNT}:Q", format=",d")]
    )
    return _taller(chart, presentation)


def breakdown_chart(table: pd.DataFrame, heading: str, threshold: int,
                    presentation: bool = False) -> alt.LayerChart:
    """Horizontal bars per category; girls and boys (women and men) side by side."""
    split = col.SEX in table.columns
    order = list(dict.fromkeys(table[heading]))
    step = (19 if split else 28) * (1.25 if presentation else 1)
    height = max(220, int(len(order) * step * (2 if split else 1)))
    y = alt.Y(f"{heading}:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    data = table.assign(**{col.COUNT: table[col.COUNT].astype(object).where(
        table[col.COUNT].notna(), None)})
    encode = {"y": y}
    tooltip = [alt.Tooltip(f"{heading}:N"), alt.Tooltip(f"{col.COUNT}:Q", format=",d")]
    if split:
        sexes = list(dict.fromkeys(table[col.SEX]))
        encode["yOffset"] = alt.YOffset(f"{col.SEX}:N", sort=sexes)
        encode["color"] = alt.Color(f"{col.SEX}:N", sort=sexes, scale=alt.Scale(
            domain=sexes, range=SEX_COLOURS[:len(sexes)]), legend=alt.Legend(
            orient="top", title=None))
        tooltip.insert(1, alt.Tooltip(f"{col.SEX}:N"))
    else:
        encode["color"] = alt.value(LINE)
    if col.RATE in table.columns:
        tooltip.append(alt.Tooltip(f"{col.RATE}:Q", format=",.1f"))
    base = alt.Chart(data).encode(**encode)
    x = alt.X(f"{col.COUNT}:Q", title="Antal", axis=alt.Axis(format=",d", tickCount=8))
    bars = base.mark_bar().encode(x=x, tooltip=tooltip)
    labels = base.transform_filter(f"datum['{col.COUNT}'] != null").mark_text(
        align="left", dx=4, fontSize=11 * (1.2 if presentation else 1), color="#333333"
    ).encode(x=x, text=alt.Text(f"{col.COUNT}:Q", format=",d"))
    layers = [bars, labels]
    hidden = data[data[col.COUNT].isna()]
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
    data = table.assign(**{col.COUNT: table[col.COUNT].astype(object).where(
        table[col.COUNT].notna(), None)})
    top = pd.to_numeric(table[col.COUNT], errors="coerce").max()
    top = float(top) if pd.notna(top) else 1.0
    x = alt.X(f"yearmonth({col.MONTH}):O", title=None,
              axis=alt.Axis(format="%b %Y", labelAngle=-40))
    y = alt.Y(f"{heading}:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    size = 12 * (1.25 if presentation else 1)
    base = alt.Chart(data).encode(x=x, y=y)
    grey = base.transform_filter(f"datum['{col.COUNT}'] == null").mark_rect(
        stroke="white", strokeWidth=1, color=HIDDEN_GREY)
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(f"{col.COUNT}:Q", scale=alt.Scale(scheme="blues"),
                        legend=alt.Legend(title="Antal", format=",d")),
        tooltip=[alt.Tooltip(f"{col.MONTH}:T", format="%B %Y", title="Månad"),
                 alt.Tooltip(f"{heading}:N"), alt.Tooltip(f"{col.COUNT}:Q", format=",d")])
    numbers = base.transform_filter(f"datum['{col.COUNT}'] != null").mark_text(
        fontSize=size).encode(
        text=alt.Text(f"{col.COUNT}:Q", format=",d"),
        color=alt.condition(f"datum['{col.COUNT}'] > {top * 0.55}", alt.value("white"),
                            alt.value("#222222")))
    hidden = base.transform_filter(f"datum['{col.COUNT}'] == null").mark_text(
        fontSize=size, color="#555555").encode(text=alt.value(f"<{threshold}"))
    # Rows tall enough to read on a laptop too (was ~60 px for two categories at 1366 px).
    return alt.layer(grey, cells, numbers, hidden).properties(
        height=max(280, int(len(order) * 40 * (1.2 if presentation else 1))))


def sex_chart(table: pd.DataFrame, y_title: str, threshold: int,
              presentation: bool = False) -> alt.LayerChart:
    """Girls' and boys' (women's and men's) trends in one chart: the rolling 12-month
    average as a thick line, each month as a thin line with points; hidden months are gaps.

    *table* has ``Månad``, ``Kön``, ``Antal`` and the rolling average, oldest first."""
    w = _width(presentation)
    sexes = list(dict.fromkeys(table[col.SEX]))
    data = table.assign(**{c: table[c].astype(object).where(table[c].notna(), None)
                           for c in (col.COUNT, col.ROLLING)})
    colour = alt.Color(f"{col.SEX}:N", sort=sexes, scale=alt.Scale(
        domain=sexes, range=SEX_COLOURS[:len(sexes)]), legend=alt.Legend(
        orient="bottom", title=None, symbolType="stroke", symbolStrokeWidth=5,
        symbolSize=400, labelLimit=0))
    x = alt.X(f"{col.MONTH}:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0,
                                                           tickCount="month", labelOverlap=True))
    tooltip = [alt.Tooltip(f"{col.MONTH}:T", format="%B %Y", title="Månad"),
               alt.Tooltip(f"{col.SEX}:N"), alt.Tooltip(f"{col.COUNT}:Q", format=",d"),
               alt.Tooltip(f"{col.ROLLING}:Q", format=",.1f")]
    base = alt.Chart(data).encode(x=x, color=colour, tooltip=tooltip)
    monthly = base.mark_line(strokeWidth=1.5 * w, opacity=0.75, point=alt.OverlayMarkDef(
        filled=True, size=28 * w)).encode(y=alt.Y(f"{col.COUNT}:Q", title=y_title))
    rolling = base.mark_line(strokeWidth=4.5 * w).encode(y=alt.Y(f"{col.ROLLING}:Q"))
    layers = [monthly, rolling]
    hidden = table[table[col.COUNT].isna()]
    if len(hidden):
        layers.append(_hidden_text(hidden[[col.MONTH]].drop_duplicates(), threshold,
                                   x=f"{col.MONTH}:T", y=alt.datum(threshold / 2)))
    return _taller(alt.layer(*layers), presentation)


# --- one figure: table, chart and caption ---------------------------------------------------




def area_bar_chart(table: pd.DataFrame, label_col: str, threshold: int):
    """Horizontal bars of a breakdown; hidden counts are named in the bar's label."""
    import altair as alt

    shown = table.assign(Visas=table["Antal"].astype("Float64").fillna(0).astype(float),
                         Text=[f"<{threshold}" if pd.isna(v) else fmt.number(v)
                               for v in table["Antal"]])
    base = alt.Chart(shown).encode(
        y=alt.Y(f"{label_col}:N", sort=None, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("Visas:Q", title="Antal", axis=alt.Axis(format=",.0f")))
    return (base.mark_bar(color="#2c7fb8") + base.mark_text(align="left", dx=4).encode(
        text="Text:N")).properties(height=alt.Step(28))


def area_trend_chart(safe: pd.DataFrame, name: str, markers: pd.DataFrame | None = None):
    """The area's rolling 12-month rate against the municipality's (hidden points left out),
    with the actions that started there (``Månad``, ``Anmärkning``, ``typ``) as rules."""
    import altair as alt

    data = safe.dropna(subset=["per_1000"]).assign(
        serie=lambda f: f["serie"].replace({"Området": name}))
    lines = _area_lines(data, name)
    if markers is None or markers.empty or data.empty:
        return lines
    markers = markers.assign(**{col.MONTH: pd.to_datetime(markers[col.MONTH])})
    shown = markers[markers[col.MONTH].between(data["month"].min() - pd.DateOffset(months=12),
                                               data["month"].max())]
    if shown.empty:
        return lines
    top = float(data["per_1000"].max()) * 1.15
    return alt.layer(lines, *_notes_layer(shown, top)).properties(height=300)


def _area_lines(data: pd.DataFrame, name: str):
    import altair as alt

    return alt.Chart(data).mark_line(point=True, strokeWidth=3).encode(
        x=alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y")),
        y=alt.Y("per_1000:Q", title="Per 1 000, rullande 12 månader"),
        color=alt.Color("serie:N", title=None, sort=[name, "Hela kommunen"],
                        scale=alt.Scale(range=["#e66101", "#555555"])),
        tooltip=[alt.Tooltip("serie:N", title="Serie"),
                 alt.Tooltip("month:T", title="12 månader till", format="%b %Y"),
                 alt.Tooltip("per_1000:Q", title="Per 1 000", format=",.1f")],
    ).properties(height=300)


def area_population_chart(safe: pd.DataFrame, labels: dict[str, str], threshold: int):
    """Inhabitants by age band, women/girls and men/boys side by side."""
    import altair as alt

    shown = safe.dropna(subset=["antal"])  # hidden cells are left out, not drawn as zero
    data = shown.assign(Kön=shown["kon"].map(labels).fillna(shown["kon"]),
                        Antal=shown["antal"].astype(float))
    order = list(dict.fromkeys(data["alder"].astype(str)))
    return alt.Chart(data.assign(alder=data["alder"].astype(str))).mark_bar().encode(
        x=alt.X("alder:N", sort=order, title="Ålder"),
        xOffset=alt.XOffset("Kön:N"),
        y=alt.Y("Antal:Q", title="Invånare", axis=alt.Axis(format=",.0f")),
        color=alt.Color("Kön:N", title=None, scale=alt.Scale(range=["#7b3294", "#008837"])),
        tooltip=["alder:N", "Kön:N", alt.Tooltip("Antal:Q", format=",.0f")],
    ).properties(height=260)


def effect_chart(halfyears: pd.DataFrame, presentation: bool = False) -> alt.LayerChart:
    """An action's ratio of rate ratios per half-year since its start, with its 95 %
    intervals and a line at 1 (no difference): a rebound shows as points climbing to 1.
    *halfyears* has ``fran``, ``till``, ``kvot``, ``ki_lag``, ``ki_hog``."""
    w = _width(presentation)
    data = halfyears.dropna(subset=["kvot"]).assign(
        Halvår=lambda f: [f"{fmt.month_short(a)}–{fmt.month_short(b)}"
                          for a, b in zip(f["fran"], f["till"])])
    order = list(data["Halvår"])
    x = alt.X("Halvår:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelLimit=0))
    y_scale = alt.Scale(type="log", domain=[
        min(0.2, float(data["ki_lag"].min()) if len(data) else 0.2),
        max(2.0, float(data["ki_hog"].max()) if len(data) else 2.0)])
    tooltip = ["Halvår:N", alt.Tooltip("kvot:Q", title="Kvot", format=".2f"),
               alt.Tooltip("ki_lag:Q", title="95 % KI, lägst", format=".2f"),
               alt.Tooltip("ki_hog:Q", title="95 % KI, högst", format=".2f")]
    bars = alt.Chart(data).mark_rule(strokeWidth=3 * w, color=LINE).encode(
        x=x, y=alt.Y("ki_lag:Q", scale=y_scale, title="Kvot mot resten av kommunen"),
        y2="ki_hog:Q", tooltip=tooltip)
    dots = alt.Chart(data).mark_point(filled=True, size=110 * w, color=LINE).encode(
        x=x, y=alt.Y("kvot:Q", scale=y_scale), tooltip=tooltip)
    one = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(
        color="#222222", strokeDash=[5, 4], strokeWidth=1.5).encode(y="y:Q")
    return alt.layer(one, bars, dots).properties(height=260 * (1.4 if presentation else 1))
