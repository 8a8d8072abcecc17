"""One map view and one area's profile: area counts (``analysis.areas``), protected
(``release``), coloured and captioned (``present``). The page and the command line both call
:func:`view`, so they show the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lagesbild import fmt
from lagesbild.analysis import aggregate, funnel
from lagesbild.analysis.areas import LEVEL_NOUNS, LEVELS, area_table
from lagesbild.analysis.periods import parse_period, period_label
from lagesbild.config import Measure
from lagesbild.errors import ConfigError, DataError, UnknownError
from lagesbild.geo.groupings import Grouping, dissolve
from lagesbild.present import tables
from lagesbild.release import disclosure

METRICS = {"per_1000": "Per 1 000 i målgruppen", "antal": "Antal",
           "forandring": "Förändring mot samma period i fjol (antal)",
           "forandring_pct": "Förändring mot samma period i fjol (%)"}


FLAG_LABELS = {"över": "Högre än väntat", "under": "Lägre än väntat", "inom": "Inom gränserna"}


DERIVED = {"per_1000": ("antal",), "per_1000_fg": ("antal_fg",),
           "forandring": ("antal", "antal_fg"), "forandring_pct": ("antal", "antal_fg"),
           "flagga": ("antal",), "tecken": ("antal",)}


NOISE_VAR = "brusvarians"  # table.attrs: the variance of each area's published count
SCALES = "skalor"  # frame.attrs (views.source): the noise scales of the newest release


def protect(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Disclosure control for an area table: counts published (perturbed, small ones hidden),
    rates and changes worked out again from them, and the funnel flags tested on the
    published counts against the published municipal rate. A hidden count hides every figure
    built on it. ``attrs["kommun_per_1000"]`` is the published municipal rate (rounded)."""
    safe = disclosure.protect(table, threshold, count_cols=("antal", "antal_fg"),
                              rate_cols=DERIVED)
    kommun = table.attrs.get("kommun")
    rate = None
    if kommun and kommun.get("befolkning"):
        cell = disclosure.protect(pd.DataFrame([kommun]), threshold, rate_cols=())
        count = cell["antal"].iloc[0]
        if not pd.isna(count):
            rate = round(1000 * float(count) / float(kommun["befolkning"]),
                         disclosure.RATE_DECIMALS)
    if rate is not None and "befolkning" in safe:
        published = safe[["antal", "befolkning"]].astype("Float64").astype(float)
        flagged = funnel.flags(published, rate, table.attrs.get(NOISE_VAR, 0.0))
        safe = safe.assign(flagga=flagged["flagga"].where(safe["antal"].notna()),
                           tecken=flagged["tecken"].where(safe["antal"].notna()))
    elif "flagga" in safe:
        safe = safe.assign(flagga=None, tecken=None)
    safe.attrs["kommun_per_1000"] = rate
    return safe


def names(table: pd.DataFrame, level: str, postorter: dict[str, str],
          grouping: Grouping | None) -> pd.Series:
    """Readable area names: "972 31 Luleå" or the grouping's name."""
    if level == "omrade" and grouping is not None:
        return table["kod"].map(grouping.labels).fillna(table["kod"])
    return table["kod"].map(lambda c: f"{fmt.postnummer(c)} {postorter.get(c, '')}".strip())


def display_table(safe: pd.DataFrame, level: str, postorter: dict[str, str],
                  grouping: Grouping | None, threshold: int) -> pd.DataFrame:
    """The table behind the map with Swedish headers (numeric cells, see ``export``)."""

    if not disclosure.is_protected(safe):
        raise DataError("Tabellen kan bara visa uppgifter som har gått genom "
                        "röjandekontrollen.")
    out = pd.DataFrame({
        LEVELS[level] if level == "omrade" else "Postnummer": names(safe, level, postorter,
                                                                    grouping),
        "Antal": safe["antal"],
    })
    if "befolkning" in safe:
        out["Befolkning i målgruppen"] = safe["befolkning"].astype("Int64")
        out["Per 1 000"] = safe["per_1000"].astype(float)
    out["Antal samma period i fjol"] = safe["antal_fg"]
    out["Förändring (antal)"] = safe["forandring"].astype(float)
    out["Förändring (%)"] = safe["forandring_pct"].astype(float)
    if "flagga" in safe:
        out["Jämfört med kommunen"] = safe["flagga"].map(FLAG_LABELS).fillna("–")
    return tables.mark(out, threshold, counts=["Antal", "Antal samma period i fjol"],
                       decimals={"Förändring (antal)": 0},
                       signed=["Förändring (antal)", "Förändring (%)"])


def profile_trend(frame: pd.DataFrame, population: pd.DataFrame, measure: Measure,
                  codes: list[str], end: pd.Timestamp, threshold: int,
                  quarters: int = 12) -> pd.DataFrame:
    """Rolling 12-month rate per 1 000 for the area and the whole municipality, at each
    quarter's end over the last *quarters* quarters. Protected: a hidden area count hides
    its rate."""
    end = pd.Timestamp(end)
    ends = [end - pd.DateOffset(months=3 * i) for i in reversed(range(quarters))]
    months = pd.date_range(ends[0] - pd.DateOffset(months=11), end, freq="MS")
    people = {}  # (series, year) -> persons in the target group
    for year in {m.year for m in ends}:
        pop = aggregate.target_population(population, measure, year, ["postnummer"])
        if pop is not None:
            people["Området", year] = int(pop.loc[pop["postnummer"].isin(codes),
                                                  "befolkning"].sum())
            people["Hela kommunen", year] = int(pop["befolkning"].sum())
    rows = []
    for label, part in (("Området", frame[frame["postnummer"].isin(codes)]),
                        ("Hela kommunen", frame)):
        series = aggregate.monthly(part, measure, months=months).set_index("month")
        # Each 12-month window is a cell of its own: its count summed over its rows.
        rolled = series[["antal"]].rolling(12).sum()
        for month in ends:
            n = people.get((label, month.year))
            rows.append({"month": month, "serie": label,
                         **{c: rolled[c].get(month) for c in rolled.columns},
                         "befolkning": n if n else None, "per_1000": None})
    out = pd.DataFrame(rows)
    return disclosure.protect(out, threshold, count_cols=("antal",))


def profile_breakdowns(frame: pd.DataFrame, population: pd.DataFrame, measure: Measure,
                       codes: list[str], period: aggregate.Period, threshold: int
                       ) -> dict[str, pd.DataFrame]:
    """The area's counts over the period by each of the measure's dimensions (protected)."""
    part = frame[frame["postnummer"].isin(codes)]
    out = {}
    for dim in measure.dimension_columns:
        if dim == "postnummer":
            continue
        table = aggregate.summary(part, population.iloc[0:0], measure, period, [dim])
        out[dim] = disclosure.protect(table[[dim, "antal"]], threshold)
    return out


AGE_BANDS = [(0, 5), (6, 11), (12, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64),
             (65, 79), (80, None)]


def profile_population(population: pd.DataFrame, codes: list[str], year: int,
                       threshold: int) -> pd.DataFrame:
    """The area's inhabitants by age band and sex (the latest population year up to *year*)."""
    use = aggregate.population_year(population, year)
    rows = population[(population["ar"] == use) & population["postnummer"].isin(codes)]
    labels = [f"{lo}–{hi}" if hi is not None else f"{lo}+" for lo, hi in AGE_BANDS]
    bins = [lo for lo, _ in AGE_BANDS] + [200]
    band = pd.cut(rows["alder"], bins=bins, right=False, labels=labels)
    out = (rows.assign(alder=band).groupby(["alder", "kon"], observed=False)["antal"].sum()
           .reset_index())
    # Inhabitants are public statistics: small ones are suppressed, not perturbed.
    safe = disclosure.protect(out.rename(columns={"antal": "befolkning"}), threshold,
                              count_cols=("befolkning",), rate_cols=())
    safe = safe.rename(columns={"befolkning": "antal"})
    safe.attrs["ar"] = use
    return safe


def value_labels(cat, measure: Measure, dim: str) -> dict[str, str]:
    """A dimension's values in catalogue order with their Swedish labels."""
    if dim == "kon":
        return {code: cat.sex_label(code, measure) for code in ("K", "M")}
    if dim == "aldersgrupp":
        return {g.code: g.label for g in measure.age_groups}
    return dict(measure.dimensions[dim].categories)


def breakdown_table(safe: pd.DataFrame, dim: str, labels: dict[str, str], threshold: int,
                    header: str) -> pd.DataFrame:
    """One profile breakdown with Swedish labels, in catalogue order."""

    order = {code: i for i, code in enumerate(labels)}
    rows = safe.assign(_o=safe[dim].map(order).fillna(len(order))).sort_values("_o")
    out = pd.DataFrame({header: rows[dim].map(labels).fillna(rows[dim]).to_numpy(),
                        "Antal": rows["antal"].to_numpy()})
    return tables.mark(out, threshold)


@dataclass(frozen=True)
class DisplayLayer:
    geojson: dict  # EPSG:4326, simplified for display
    bounds: list[float]
    key: str  # the feature property holding the area code


def display_layer(layer, level: str, grouping: Grouping | None) -> DisplayLayer:
    """The polygons to draw for a level: postnummer, or the grouping's dissolved areas."""
    from lagesbild.geo import layers

    if level == "omrade":
        if grouping is None:
            raise ConfigError("Ingen områdesindelning är inläst (LAGESBILD_OMRADEN).")
        # for_display works on a "postnummer" column; the area code stands in for it.
        layer = dissolve(layer, grouping).rename(columns={"omrade": "postnummer"})
    shown = layers.for_display(layer)
    key = "postnummer" if level == "postnummer" else "omrade"
    shown = shown.rename(columns={"postnummer": key})[[key, "geometry"]]
    return DisplayLayer(layers.to_geojson_dict(shown), list(shown.total_bounds), key)


@dataclass(frozen=True)
class View:
    safe: pd.DataFrame  # protected area table (column ``kod``)
    names: pd.Series  # area names aligned with ``safe``
    table: pd.DataFrame  # the table behind the map: Swedish headers, marked for export
    coloured: dict  # GeoJSON with fill colours and tooltip texts
    legend: list
    legend_title: str
    caption: object  # export.Caption
    kommun_rate: float | None
    ignored: list[str]
    missing: list[str]  # areas with counts but no polygon on the map


TOO_SHORT_SHARE = 0.5


def source_line(measure: Measure) -> str:
    """The one source line of a measure, the same on every page and in every file."""
    return f"Källa: {measure.source}"


def too_short(safe: pd.DataFrame) -> str:
    """A hint when most areas with counts are hidden (a month of a small measure gives an
    all-grey map): pick a longer period. Empty when the map shows enough."""
    counted = safe[~(safe["antal"].fillna(1).eq(0))]
    if counted.empty:
        return ""
    hidden = counted["skyddad"].astype(bool).mean()
    if hidden <= TOO_SHORT_SHARE:
        return ""
    return (f"{fmt.percent(hidden * 100, 0, sign=False)} av områdena har för få för att visas. Välj en "
            "längre period (kvartal, år eller rullande 12 månader) eller den större "
            "områdesnivån, så syns fler.")


def filter_text(cat, measure: Measure, filters: aggregate.Filters) -> str:
    """The chosen filters in words, for captions: "Flickor · Anmälare: Skola"."""
    parts = []
    if filters.kon and measure.has_sex:
        parts.append(", ".join(cat.sex_label(k, measure) for k in filters.kon))
    if filters.aldersgrupp and measure.age_groups:
        labels = value_labels(cat, measure, "aldersgrupp")
        parts.append(", ".join(labels.get(a, a) for a in filters.aldersgrupp if a in labels))
    for dim, values in filters.categories:
        labels = value_labels(cat, measure, dim)
        parts.append(f"{measure.dimension_label(dim)}: "
                     + ", ".join(labels.get(v, v) for v in values))
    return " · ".join(p for p in parts if p)


def exact_table(counts: pd.DataFrame, population: pd.DataFrame, measure: Measure, kind: str,
                period_code: str, level: str, filters: aggregate.Filters,
                grouping: Grouping | None) -> tuple[pd.DataFrame, list[str]]:
    """The unprotected area table behind a map, and the filters that did not apply.

    Only :func:`view` (through :func:`protect`) and ``areas --exakt`` (for those with direct
    access to the store) use it.
    """
    chosen = aggregate.select(counts, population, measure, filters)
    period = parse_period(kind, period_code)
    table = area_table(chosen.rows, chosen.population, measure, period, level, grouping)
    scales = counts.attrs.get(SCALES)
    if scales:  # each area's published count carries the release's noise, month by month
        sigma = scales.get("postnummer" if level == "postnummer" else "omrade", 0.0)
        table.attrs[NOISE_VAR] = period.months * sigma ** 2
    return table, chosen.ignored


def view(cfg, counts: pd.DataFrame, population: pd.DataFrame, measure: Measure, kind: str,
         period_code: str, metric: str, level: str, filters: aggregate.Filters,
         layer: DisplayLayer, postorter: dict[str, str], grouping: Grouping | None) -> View:
    """Everything one map shows: the protected table, colours, legend and caption."""
    from lagesbild.present import export, maps

    if metric not in METRICS:
        raise UnknownError(f"Okänt värde ”{metric}”. Möjliga: {', '.join(METRICS)}.")
    if metric == "per_1000" and measure.target is None:
        raise UnknownError(f"{measure.short} har ingen målgrupp; välj antal eller förändring.")
    table, ignored = exact_table(counts, population, measure, kind, period_code, level,
                                 filters, grouping)
    safe = protect(table, cfg.threshold)
    area_names = names(safe, level, postorter, grouping)
    legend_title = {"per_1000": "Per 1 000", "antal": f"Antal {measure.counted}",
                    "forandring": "Förändring (antal)",
                    "forandring_pct": "Förändring (%)"}[metric]
    coloured, legend = maps.choropleth(
        layer.geojson, safe.rename(columns={"kod": layer.key}),
        postorter if level == "postnummer" else dict(zip(safe["kod"], area_names)),
        cfg.threshold, value=metric, value_label=legend_title,
        count_label=f"Antal {measure.counted}", key=layer.key,
        decimals=0 if metric in ("antal", "forandring") else 1,
        diverging=metric.startswith("forandring"))
    caption = export.Caption(
        f"{measure.short}: {METRICS[metric].lower()}, per {LEVEL_NOUNS[level]}",
        period_label(kind, period_code), filter_text(cfg.catalogue, measure, filters),
        source=source_line(measure), threshold=cfg.threshold)
    shown = display_table(safe, level, postorter, grouping, cfg.threshold)
    drawn = {f["properties"][layer.key] for f in layer.geojson["features"]}
    counted = safe.loc[safe["antal"].fillna(1) > 0, "kod"]
    missing = sorted(str(c) for c in counted if c not in drawn)
    return View(safe, area_names, shown, coloured, legend, legend_title, caption,
                safe.attrs.get("kommun_per_1000"), ignored, missing)
