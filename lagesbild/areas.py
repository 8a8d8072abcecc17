"""Area analysis: counts and rates by postnummer or larger area, change against last year, and
which areas stand out beyond chance (funnel limits).

``area_table`` returns unprotected numbers; ``protect`` is the only way to something shown.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from lagesbild import aggregate, disclosure, fmt, funnel
from lagesbild.config import Measure
from lagesbild.errors import ConfigError, DataError, UnknownError

LEVELS = {"postnummer": "Postnummer", "omrade": "Områden"}
LEVEL_NOUNS = {"postnummer": "postnummer", "omrade": "område"}
PERIOD_KINDS = {"rullande": "Rullande 12 månader", "ar": "År", "kvartal": "Kvartal",
                "manad": "Månad"}
METRICS = {"per_1000": "Per 1 000 i målgruppen", "antal": "Antal",
           "forandring": "Förändring mot samma period i fjol (antal)",
           "forandring_pct": "Förändring mot samma period i fjol (%)"}
FLAG_LABELS = {"över": "Högre än väntat", "under": "Lägre än väntat", "inom": "Inom gränserna"}


# --- groupings of postnummer into larger areas ----------------------------------------------

@dataclass(frozen=True)
class Grouping:
    """A mapping from postnummer to larger areas (stadsdelar, socioeconomic groups)."""

    name: str
    labels: dict[str, str]  # area code -> name, in the file's order
    patterns: tuple[tuple[str, str], ...]  # (postnummer or prefix*, area code)

    def area_of(self, postnummer: str) -> str | None:
        for pattern, code in self.patterns:
            if fnmatch.fnmatchcase(str(postnummer), pattern):
                return code
        return None

    def assign(self, codes) -> dict[str, str | None]:
        return {c: self.area_of(c) for c in codes}


def load_grouping(path: Path | str) -> Grouping:
    """Read a grouping YAML (see shapes/lulea_omraden_demo.yaml); Swedish errors if malformed."""
    path = Path(path)
    where = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"Områdesindelningen {path} finns inte. Kontrollera "
                          "LAGESBILD_OMRADEN.") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"Områdesindelningen {where} är inte giltig YAML ({exc}).") from None
    areas = raw.get("omraden")
    if not isinstance(areas, list) or not areas:
        raise ConfigError(f"Områdesindelningen {where} saknar listan ”omraden”.")
    labels, patterns = {}, []
    for i, area in enumerate(areas, start=1):
        if not isinstance(area, dict) or not area.get("kod") or not area.get("postnummer"):
            raise ConfigError(f"Område nr {i} i {where} behöver ”kod”, ”namn” och "
                              "”postnummer”.")
        code = str(area["kod"])
        if code in labels:
            raise ConfigError(f"Områdeskoden ”{code}” förekommer två gånger i {where}.")
        labels[code] = str(area.get("namn") or code)
        for pattern in area["postnummer"]:
            pattern = str(pattern).replace(" ", "")
            if not re.fullmatch(r"\d{1,5}\*|\d{5}", pattern):
                raise ConfigError(f"”{pattern}” i området {labels[code]} ({where}) är varken ett "
                                  "postnummer (fem siffror) eller ett prefix som slutar på *.")
            patterns.append((pattern, code))
    # Overlaps: the same postnummer must not be claimed by two areas.
    for a, (pa, ca) in enumerate(patterns):
        for pb, cb in patterns[a + 1:]:
            if ca != cb and (pa.rstrip("*").startswith(pb.rstrip("*")) and pb.endswith("*")
                             or pb.rstrip("*").startswith(pa.rstrip("*")) and pa.endswith("*")
                             or pa == pb):
                raise ConfigError(f"Postnummer ”{pa}” och ”{pb}” i {where} hamnar i två "
                                  f"områden ({labels[ca]}, {labels[cb]}).")
    return Grouping(str(raw.get("namn") or where), labels, tuple(patterns))


def dissolve(layer, grouping: Grouping):
    """Polygons of the larger areas: postnummer polygons dissolved per area (GeoPandas)."""
    codes = layer["postnummer"].map(grouping.area_of)
    grouped = layer.assign(omrade=codes).dropna(subset=["omrade"])
    out = grouped.dissolve(by="omrade", as_index=False)[["omrade", "geometry"]]
    return out.assign(namn=out["omrade"].map(grouping.labels))


# --- periods ---------------------------------------------------------------------------------

def period_options(kind: str, months: list[pd.Timestamp], latest: pd.Timestamp) -> list[str]:
    """The periods of *kind* the data cover, newest first, as codes for ``parse_period``."""
    done = sorted({pd.Timestamp(m) for m in months if pd.Timestamp(m) <= latest})
    if not done:
        return []
    if kind in ("manad", "rullande"):
        return [m.strftime("%Y-%m") for m in reversed(done)]
    if kind == "kvartal":
        # Only whole quarters: a part quarter would look like a drop.
        return sorted({f"{m.year}-Q{m.month // 3}" for m in done if m.month % 3 == 0},
                      reverse=True)
    if kind == "ar":
        return [str(y) for y in sorted({m.year for m in done}, reverse=True)]
    raise UnknownError(f"Okänd periodtyp ”{kind}”. Möjliga: {', '.join(PERIOD_KINDS)}.")


def parse_period(kind: str, code: str) -> aggregate.Period:
    """``rullande 2025-03``, ``manad 2025-03``, ``kvartal 2025-Q1``, ``ar 2024`` → Period."""
    code = str(code).strip()
    if kind in ("manad", "rullande") and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", code):
        month = pd.Timestamp(code + "-01")
        return aggregate.Period.month(month) if kind == "manad" else \
            aggregate.Period.rolling12(month)
    match = re.fullmatch(r"(\d{4})-?[QqKk]([1-4])", code)
    if kind == "kvartal" and match:
        year, q = int(match.group(1)), int(match.group(2))
        start = pd.Timestamp(year=year, month=3 * q - 2, day=1)
        return aggregate.Period(start, start + pd.DateOffset(months=2))
    if kind == "ar" and re.fullmatch(r"\d{4}", code):
        return aggregate.Period.year(int(code))
    examples = {"manad": "2025-03", "rullande": "2025-03", "kvartal": "2025-Q1", "ar": "2024"}
    if kind not in examples:
        raise UnknownError(f"Okänd periodtyp ”{kind}”. Möjliga: {', '.join(PERIOD_KINDS)}.")
    raise UnknownError(f"Perioden ”{code}” går inte att läsa; skriv till exempel "
                       f"{examples[kind]}.")


def period_label(kind: str, code: str) -> str:
    period = parse_period(kind, code)
    if kind == "kvartal":
        return f"kvartal {code[-1]} {period.start.year}"
    if kind == "ar":
        return code
    return fmt.period(period.start, period.end)


# --- the area table --------------------------------------------------------------------------

def _by_area(table: pd.DataFrame, level: str, grouping: Grouping | None) -> pd.DataFrame:
    """Per-postnummer summary → one row per area code (``kod``), counts and population summed."""
    if level == "postnummer":
        out = table.rename(columns={"postnummer": "kod"})
    elif level == "omrade":
        if grouping is None:
            raise ConfigError("Ingen områdesindelning är inläst (LAGESBILD_OMRADEN).")
        codes = table["postnummer"].map(grouping.area_of)
        sums = {"antal": "sum"} | ({"befolkning": "sum"} if "befolkning" in table else {})
        out = (table.assign(kod=codes).dropna(subset=["kod"])
               .groupby("kod", sort=False).agg(sums).reset_index())
    else:
        raise UnknownError(f"Okänd nivå ”{level}”. Möjliga: {', '.join(LEVELS)}.")
    cols = ["kod", "antal"] + (["befolkning"] if "befolkning" in out else [])
    return out[cols]


def area_table(frame: pd.DataFrame, population: pd.DataFrame, measure: Measure,
               period: aggregate.Period, level: str = "postnummer",
               grouping: Grouping | None = None, storhet: str | None = None) -> pd.DataFrame:
    """One row per area: count, population, rate, the same period last year, the change, and
    the funnel flag against the municipal rate.

    Returns unprotected numbers (pass through ``protect``). Columns: ``kod``, ``antal``,
    ``befolkning``, ``per_1000``, ``antal_fg``, ``per_1000_fg``, ``forandring``,
    ``forandring_pct``, ``flagga`` and ``tecken`` (the last five where they can be computed).
    The frame's ``attrs["kommun_per_1000"]`` holds the municipal rate the flags compare with.
    """
    if "postnummer" not in measure.dimension_columns:
        raise UnknownError(f"{measure.short} är inte uppdelat på postnummer och kan inte "
                           "visas på kartan.")
    now = _by_area(aggregate.summary(frame, population, measure, period, ["postnummer"],
                                     storhet, all_areas=True), level, grouping)
    before = _by_area(aggregate.summary(frame, population, measure, period.shift_years(-1),
                                        ["postnummer"], storhet, all_areas=True), level,
                      grouping)
    before = before.rename(columns={"antal": "antal_fg", "befolkning": "befolkning_fg"})
    out = now.merge(before, on="kod", how="outer")
    out = out.assign(antal=out["antal"].fillna(0), antal_fg=out["antal_fg"].fillna(0))
    out = out.assign(forandring=out["antal"] - out["antal_fg"],
                     forandring_pct=(100 * (out["antal"] - out["antal_fg"]) / out["antal_fg"])
                     .where(out["antal_fg"] > 0))
    kommun_rate = None
    if "befolkning" in out:
        out = out.assign(
            per_1000=(1000 * out["antal"] / out["befolkning"]).where(out["befolkning"] > 0),
            per_1000_fg=(1000 * out["antal_fg"] / out["befolkning_fg"])
            .where(out["befolkning_fg"] > 0))
        known = out[out["befolkning"] > 0]
        if known["befolkning"].sum() > 0:
            kommun_rate = 1000 * known["antal"].sum() / known["befolkning"].sum()
            out = funnel.flags(out, kommun_rate)
        out = out.drop(columns=["befolkning_fg"])
    if level == "omrade":
        order = {code: i for i, code in enumerate(grouping.labels)}
        out = out.sort_values("kod", key=lambda s: s.map(order))
    else:
        out = out.sort_values("kod")
    out = out.reset_index(drop=True)
    out.attrs["kommun_per_1000"] = kommun_rate
    return out


DERIVED = {"per_1000": ("antal",), "per_1000_fg": ("antal_fg",),
           "forandring": ("antal", "antal_fg"), "forandring_pct": ("antal", "antal_fg"),
           "flagga": ("antal",), "tecken": ("antal",)}


def protect(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Disclosure control for an area table: a hidden count hides every figure built on it —
    its rate, its change against last year and its funnel flag."""
    safe = disclosure.protect(table, threshold, count_cols=("antal", "antal_fg"),
                              rate_cols=DERIVED)
    safe.attrs["kommun_per_1000"] = table.attrs.get("kommun_per_1000")
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
    from lagesbild import tables

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


# --- one area's profile ----------------------------------------------------------------------

def members(code: str, level: str, grouping: Grouping | None, known: list[str]) -> list[str]:
    """The postnummer an area consists of."""
    if level == "postnummer":
        return [code]
    return [p for p in known if grouping is not None and grouping.area_of(p) == code]


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
        series = aggregate.monthly(part, measure, months=months).set_index("month")["antal"]
        rolled = series.rolling(12).sum()
        for month in ends:
            n = people.get((label, month.year))
            count = rolled.get(month)
            rows.append({"month": month, "serie": label, "antal": count, "befolkning": n,
                         "per_1000": (1000 * count / n) if n else None})
    out = pd.DataFrame(rows)
    return disclosure.protect(out, threshold)


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
    safe = disclosure.protect(out, threshold)
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
    from lagesbild import tables

    order = {code: i for i, code in enumerate(labels)}
    rows = safe.assign(_o=safe[dim].map(order).fillna(len(order))).sort_values("_o")
    out = pd.DataFrame({header: rows[dim].map(labels).fillna(rows[dim]).to_numpy(),
                        "Antal": rows["antal"].to_numpy()})
    return tables.mark(out, threshold)


def bar_chart(table: pd.DataFrame, label_col: str, threshold: int):
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


def trend_chart(safe: pd.DataFrame, name: str):
    """The area's rolling 12-month rate against the municipality's (hidden points left out)."""
    import altair as alt

    data = safe.dropna(subset=["per_1000"]).assign(
        serie=lambda f: f["serie"].replace({"Området": name}))
    return alt.Chart(data).mark_line(point=True, strokeWidth=3).encode(
        x=alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y")),
        y=alt.Y("per_1000:Q", title="Per 1 000, rullande 12 månader"),
        color=alt.Color("serie:N", title=None, sort=[name, "Hela kommunen"],
                        scale=alt.Scale(range=["#e66101", "#555555"])),
        tooltip=[alt.Tooltip("serie:N", title="Serie"),
                 alt.Tooltip("month:T", title="12 månader till", format="%b %Y"),
                 alt.Tooltip("per_1000:Q", title="Per 1 000", format=",.1f")],
    ).properties(height=300)


def population_chart(safe: pd.DataFrame, labels: dict[str, str], threshold: int):
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


# --- one whole map view, shared by the page and the command line ---------------------------

@dataclass(frozen=True)
class DisplayLayer:
    geojson: dict  # EPSG:4326, simplified for display
    bounds: list[float]
    key: str  # the feature property holding the area code


def display_layer(layer, level: str, grouping: Grouping | None) -> DisplayLayer:
    """The polygons to draw for a level: postnummer, or the grouping's dissolved areas."""
    from lagesbild import geo

    if level == "omrade":
        if grouping is None:
            raise ConfigError("Ingen områdesindelning är inläst (LAGESBILD_OMRADEN).")
        # for_display works on a "postnummer" column; the area code stands in for it.
        layer = dissolve(layer, grouping).rename(columns={"omrade": "postnummer"})
    shown = geo.for_display(layer)
    key = "postnummer" if level == "postnummer" else "omrade"
    shown = shown.rename(columns={"postnummer": key})[[key, "geometry"]]
    return DisplayLayer(geo.to_geojson_dict(shown), list(shown.total_bounds), key)


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


def view(cfg, counts: pd.DataFrame, population: pd.DataFrame, measure: Measure, kind: str,
         period_code: str, metric: str, level: str, filters: aggregate.Filters,
         layer: DisplayLayer, postorter: dict[str, str], grouping: Grouping | None) -> View:
    """Everything one map shows: the protected table, colours, legend and caption."""
    from lagesbild import export, maps

    if metric not in METRICS:
        raise UnknownError(f"Okänt värde ”{metric}”. Möjliga: {', '.join(METRICS)}.")
    if metric == "per_1000" and measure.target is None:
        raise UnknownError(f"{measure.short} har ingen målgrupp; välj antal eller förändring.")
    frame, ignored = aggregate.apply_filters(counts, measure, filters)
    period = parse_period(kind, period_code)
    table = area_table(frame, population, measure, period, level, grouping)
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
        threshold=cfg.threshold)
    shown = display_table(safe, level, postorter, grouping, cfg.threshold)
    drawn = {f["properties"][layer.key] for f in layer.geojson["features"]}
    counted = safe.loc[safe["antal"].fillna(1) > 0, "kod"]
    missing = sorted(str(c) for c in counted if c not in drawn)
    return View(safe, area_names, shown, coloured, legend, legend_title, caption,
                table.attrs.get("kommun_per_1000"), ignored, missing)
