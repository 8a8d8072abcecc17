"""The numbers of the measure pages: trend, year over year, breakdowns, heat map, headline
figures, the emergency housing's current status and data-quality notes.

Every table leaves here protected (``disclosure``), with Swedish headers and the disclosure
marker (``tables.mark``), in the convention ``export`` expects: integer columns are counts
where a missing value means hidden, float columns are rates, datetime columns are months.
``charts`` draws them; the pages and the command line show and export them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from lagesbild import fmt
from lagesbild.analysis import aggregate
from lagesbild.config import Catalogue, Measure
from lagesbild.errors import UnknownError
from lagesbild.present import tables
from lagesbild.present.columns import (
    COUNT,
    MEASURE,
    MONTH,
    NOTE,
    POPULATION,
    RATE,
    ROLLING,
    SEX,
    TOTAL,
)
from lagesbild.release import disclosure

TREND_MONTHS = 36  # the trend chart's span on the page


def exclusive_dimensions(measure: Measure) -> list[str]:
    """Dimensions whose categories must not be added up (the headline filter's): the same
    eviction passes both stages; open cases are a stock, new contacts a flow."""
    return [d for d, _ in measure.headline_filter]


def with_defaults(measure: Measure, filters: aggregate.Filters,
                  breakdown: str | None = None, storhet: str | None = None
                  ) -> aggregate.Filters:
    """The filters with the headline category chosen for every exclusive dimension the user
    left open, except the dimension being broken down (whose categories are shown apart);
    without a sex filter for a variable that has no sex (places)."""
    if storhet and measure.variables[storhet].without_sex:
        filters = replace(filters, kon=())
    chosen = dict(filters.categories)
    for dim, values in measure.headline_filter:
        if dim == breakdown:
            chosen.pop(dim, None)
        elif not chosen.get(dim):
            chosen[dim] = values
    return replace(filters, categories=tuple((d, tuple(v)) for d, v in chosen.items() if v))


def effective(measure: Measure, filters: aggregate.Filters, storhet: str) -> Measure:
    """The measure as aggregated under *filters*: a stock category chosen alone (open cases at
    month end) is averaged over months instead of summed."""
    for dim, values in filters.categories:
        stock = measure.dimensions[dim].stock if dim in measure.dimensions else ()
        if values and stock and set(values) <= set(stock):
            variable = replace(measure.variables[storhet], aggregation="medel")
            return replace(measure, variables={**measure.variables, storhet: variable})
    return measure


def label(measure: Measure, cat: Catalogue, dim: str, code, names: dict | None = None) -> str:
    """A category code as users read it: "Flickor", "0–5 år", "974 42 Luleå", "Skolfrånvaro"."""
    if dim == "kon":
        return cat.sex_label(str(code), measure)
    if dim == "aldersgrupp":
        return next((g.label for g in measure.age_groups if g.code == code), str(code))
    if dim == "postnummer":
        return f"{fmt.postnummer(code)} {(names or {}).get(code, '')}".strip()
    return measure.dimensions[dim].categories.get(code, str(code))


def _order(measure: Measure, dim: str, codes) -> list:
    known = aggregate.categories(measure, dim) or sorted(str(c) for c in codes)
    return [c for c in known if c in set(codes)]


def describe(measure: Measure, cat: Catalogue, filters: aggregate.Filters,
             names: dict | None = None) -> str:
    """The filters in words for captions: "Flickor · 0–5 år · Orsak: Skolfrånvaro"."""
    parts = []
    if filters.kon and measure.has_sex:
        parts.append(" och ".join(cat.sex_label(k, measure) for k in filters.kon))
    usable_ages = [a for a in filters.aldersgrupp if a in {g.code for g in measure.age_groups}]
    if usable_ages:
        parts.append(", ".join(label(measure, cat, "aldersgrupp", a) for a in usable_ages))
    for dim, values in filters.categories:
        if values and dim in measure.dimensions:
            parts.append(f"{measure.dimension_label(dim)}: "
                         + ", ".join(label(measure, cat, dim, v) for v in values))
    if filters.postnummer and measure.has_postnummer:
        parts.append(", ".join(label(measure, cat, "postnummer", p, names)
                               for p in filters.postnummer))
    return " · ".join(parts)


def missing_months(all_rows: pd.DataFrame, months: pd.DatetimeIndex) -> list[pd.Timestamp]:
    """Months of *months* with no rows at all in the measure's data (not: zero in a filter).

    Pass the measure's unfiltered rows: a filtered month without rows is a true zero.
    """
    present = set(pd.to_datetime(all_rows["month"]).unique())
    return [m for m in months if m not in present]


def quality_notes(all_rows: pd.DataFrame, measure: Measure, start: pd.Timestamp,
                  end: pd.Timestamp) -> pd.DataFrame:
    """Series breaks (from the catalogue) and missing months between *start* and *end*.

    Returns
    -------
    DataFrame
        ``Månad``, ``Anmärkning`` and ``typ`` ("serieavbrott" or "saknas"), by month.
    """
    rows = [(b.month, f"Serieavbrott: {b.text}", "serieavbrott") for b in measure.breaks
            if start <= b.month <= end]
    months = pd.date_range(start, end, freq="MS")
    rows += [(m, "Uppgift saknas: månaden finns inte i de inlästa filerna", "saknas")
             for m in missing_months(all_rows, months)]
    return pd.DataFrame(rows, columns=[MONTH, NOTE, "typ"]).sort_values(MONTH,
                                                                        ignore_index=True)


def _first_month(all_rows: pd.DataFrame) -> pd.Timestamp | None:
    return None if all_rows.empty else pd.Timestamp(all_rows["month"].min())


def published_series(rows: pd.DataFrame, all_rows: pd.DataFrame, measure: Measure,
                     start: pd.Timestamp, end: pd.Timestamp, storhet: str | None,
                     threshold: int) -> pd.Series:
    """The published monthly counts from *start* to *end* (the same month cells as
    :func:`trend`), NaN where unknown: before the data start, not delivered, or hidden.
    Expected ranges and tests are computed on these, never on the exact counts."""
    months = pd.date_range(start, end, freq="MS")
    series = aggregate.monthly(rows, measure, storhet, months)
    unknown = series["month"].isin(set(missing_months(all_rows, months)))
    first = _first_month(all_rows)
    if first is not None:
        unknown |= series["month"] < first
    cells = series.assign(antal=series["antal"].astype(float).mask(unknown))
    safe = disclosure.protect(cells, threshold, rate_cols=())
    values = safe["antal"].astype("Float64").astype(float).mask(unknown.to_numpy())
    return pd.Series(values.to_numpy(), index=pd.DatetimeIndex(series["month"]), name="antal")


def trend(rows: pd.DataFrame, all_rows: pd.DataFrame, measure: Measure, period:
          aggregate.Period, storhet: str, threshold: int) -> pd.DataFrame:
    """Monthly counts with the rolling 12-month average, for the trend chart.

    The table starts 12 months before *period* (so the chart can draw the same month last
    year from it) and never before the measure's first month. Each 12-month window is a
    cell of its own (published with its own noise), so its average is shown even when one of
    its months is hidden; only a missing month, or one before the data start, leaves a window
    without an average.

    Returns
    -------
    DataFrame
        ``Månad``, ``Antal``, ``Rullande 12 mån, medel per månad``, ``Anmärkning``; missing
        months have no row (their notes come from ``quality_notes``).
    """
    first = _first_month(all_rows)
    start = period.start - pd.DateOffset(months=12)
    if first is not None:
        start = max(start, first)
    # 11 more months, so every row shown has its rolling average.
    months = pd.date_range(start - pd.DateOffset(months=11), period.end, freq="MS")
    series = aggregate.monthly(rows, measure, storhet, months)
    gone = set(missing_months(all_rows, months))
    unknown = series["month"].isin(gone)
    if first is not None:  # before the first month nothing is known: no partial windows
        unknown |= series["month"] < first
    cells = series.assign(antal=series["antal"].astype(float).mask(unknown))
    safe = disclosure.protect(cells, threshold, rate_cols=())
    # min_periods=12: a window over an unknown month has no sum.
    windows = cells[["antal"]].rolling(12, min_periods=12).sum()
    published = disclosure.protect(windows, threshold, rate_cols=())
    rolling = (published["antal"].astype("Float64") / 12).astype(float).mask(
        published["skyddad"])
    breaks = {b.month: f"Serieavbrott: {b.text}" for b in measure.breaks}
    table = pd.DataFrame({
        MONTH: safe["month"],
        COUNT: safe["antal"],
        ROLLING: rolling.round(1),
        NOTE: [breaks.get(m, "") for m in safe["month"]],
    })
    keep = (table[MONTH] >= start) & ~table[MONTH].isin(gone)
    return tables.mark(table[keep].reset_index(drop=True), threshold)


def by_year(rows: pd.DataFrame, all_rows: pd.DataFrame, measure: Measure, end: pd.Timestamp,
            storhet: str, threshold: int, years: int = 4) -> pd.DataFrame:
    """Monthly counts for the last *years* calendar years up to *end*, for the year-over-year
    chart (one line per year). Returns ``Månad`` and ``Antal``."""
    start = pd.Timestamp(year=end.year - years + 1, month=1, day=1)
    first = _first_month(all_rows)
    if first is not None:
        start = max(start, pd.Timestamp(year=first.year, month=1, day=1))
    months = pd.date_range(start, end, freq="MS")
    series = aggregate.monthly(rows, measure, storhet, months)
    series = series[~series["month"].isin(missing_months(all_rows, months))]
    safe = disclosure.protect(series, threshold, rate_cols=())  # the same month cells as trend
    return tables.mark(pd.DataFrame({MONTH: safe["month"], COUNT: safe["antal"]})
                       .reset_index(drop=True), threshold)


def splits_by_sex(measure: Measure, dim: str, storhet: str) -> bool:
    """Whether a breakdown by *dim* shows the sexes side by side."""
    return (measure.has_sex and dim != "kon"
            and not measure.variables[storhet].without_sex)


def breakdown(rows: pd.DataFrame, population: pd.DataFrame, measure: Measure, cat: Catalogue,
              period: aggregate.Period, dim: str, storhet: str, threshold: int,
              names: dict | None = None, by_sex: bool = True) -> pd.DataFrame:
    """Counts over *period* by one dimension, girls and boys (women and men) side by side.

    Parameters
    ----------
    rows : DataFrame
        The measure's filtered counts.
    population : DataFrame
        Population, for rates per 1 000 of the target group where the grouping allows.
    measure, cat : Measure, Catalogue
        The measure (see ``effective``) and the catalogue, for labels.
    period : Period
        Months summed (levels and stocks are averaged).
    dim : str
        The dimension to break down by.
    storhet : str
        The variable.
    threshold : int
        Disclosure threshold.
    names : dict, optional
        Postnummer to postort, for labels.
    by_sex : bool
        Show the sexes side by side where the measure has them (not when one is chosen).

    Returns
    -------
    DataFrame
        The dimension's label column, ``Kön`` when split, ``Antal``, and ``Befolkning`` and
        ``Per 1 000`` where the measure has a target population.
    """
    measure.check_dimension(dim)
    if dim == "kon" and measure.variables[storhet].without_sex:
        raise UnknownError(f"{measure.variables[storhet].label} för {measure.short.lower()} "
                           "är inte uppdelade på kön.")
    split = by_sex and splits_by_sex(measure, dim, storhet)
    by = [dim, "kon"] if split else [dim]
    table = aggregate.summary(rows, population, measure, period, by, storhet)
    stock = measure.dimensions[dim].stock if dim in measure.dimensions else ()
    if stock:
        # Open cases at month end: the monthly mean, not the sum over months.
        is_stock = table[dim].isin(stock)
        table = table.assign(antal=table["antal"].where(~is_stock,
                                                        table["antal"] / period.months))
        table = table.assign(antal=table["antal"].round().astype("int64"))
    order = {c: i for i, c in enumerate(_order(measure, dim, table[dim].unique()))}
    table = table.assign(_o=table[dim].map(order)).sort_values(["_o", *by[1:]])
    table = table[table["_o"].notna()].drop(columns="_o").reset_index(drop=True)
    safe = disclosure.protect(table, threshold, count_cols=("antal", "befolkning"))
    heading = measure.dimension_label(dim)
    suffix = {c: " (medel per månad)" for c in stock}
    out = pd.DataFrame({heading: [label(measure, cat, dim, c, names) + suffix.get(c, "")
                                  for c in safe[dim]]})
    if split:
        out[SEX] = [label(measure, cat, "kon", k) for k in safe["kon"]]
    out[COUNT] = safe["antal"]
    if "per_1000" in safe.columns:
        out[POPULATION] = safe["befolkning"]
        out[RATE] = safe["per_1000"].astype(float).round(1)
    return tables.mark(out, threshold)


def heatmap(rows: pd.DataFrame, measure: Measure, cat: Catalogue, period: aggregate.Period,
            dim: str, storhet: str, threshold: int, names: dict | None = None) -> pd.DataFrame:
    """Counts per month and category of *dim* (every combination, zeros included).

    Returns ``Månad``, the dimension's label column and ``Antal``.
    """
    measure.check_dimension(dim)
    months = pd.date_range(period.start, period.end, freq="MS")
    picked = rows[(rows["storhet"] == storhet) & period.contains(rows["month"])]
    codes = aggregate.categories(measure, dim) or _order(measure, dim, picked[dim].dropna().unique())
    grid = pd.MultiIndex.from_product([months, codes], names=["month", dim])
    counts = (picked.assign(**{dim: picked[dim].astype(object)})
              .groupby(["month", dim])[["antal"]].sum()
              .reindex(grid, fill_value=0).reset_index())
    safe = disclosure.protect(counts, threshold, rate_cols=())
    heading = measure.dimension_label(dim)
    out = pd.DataFrame({MONTH: safe["month"],
                        heading: [label(measure, cat, dim, c, names) for c in safe[dim]],
                        COUNT: safe["antal"]})
    return tables.mark(out, threshold)


@dataclass(frozen=True)
class Status:
    """The emergency housing's latest month: the table and the occupancy rate."""

    month: pd.Timestamp
    table: pd.DataFrame  # Uppgift, Kvinnor, Män, Totalt
    occupancy: float | None  # occupied nights / (places × days), per cent; None if hidden
    places: float


def housing_status(all_rows: pd.DataFrame, measure: Measure, cat: Catalogue,
                   month: pd.Timestamp, threshold: int) -> Status:
    """Occupied nights and guests by sex, places, and the occupancy rate in *month*.

    The occupancy rate is nights / (places × days in the month); it is not shown when the
    nights are hidden.
    """
    month = pd.Timestamp(month)
    now = all_rows[all_rows["month"] == month]
    sexes = ["K", "M"]
    rows = []
    columns = ["antal"]
    for code in ("belagda_natter", "unika_gaster"):
        part = now[now["storhet"] == code]
        by_sex = part.groupby("kon", observed=False)[columns].sum().reindex(sexes,
                                                                            fill_value=0)
        label_ = measure.variables[code].label
        rows += [{"storhet": label_, "kon": sex, **by_sex.loc[sex].to_dict()} for sex in sexes]
        rows.append({"storhet": label_, "kon": "total", **part[columns].sum().to_dict()})
    long = pd.DataFrame(rows)
    safe = disclosure.protect(long, threshold, rate_cols=())
    wide = safe.pivot(index="storhet", columns="kon", values="antal").reindex(
        list(dict.fromkeys(r["storhet"] for r in rows)))
    table = pd.DataFrame({MEASURE: wide.index,
                          cat.sex_label("K", measure): wide["K"].astype("Int64").values,
                          cat.sex_label("M", measure): wide["M"].astype("Int64").values,
                          TOTAL: wide["total"].astype("Int64").values})
    places = float(now.loc[now["storhet"] == "platser", "antal"].sum())
    nights = table[TOTAL].iloc[0]
    days = month.days_in_month
    occupancy = (None if pd.isna(nights) or not places
                 else round(100 * float(nights) / (places * days), 1))
    return Status(month, tables.mark(table, threshold), occupancy, places)


def rate(rows: pd.DataFrame, population: pd.DataFrame, measure: Measure,
         period: aggregate.Period, storhet: str, threshold: int) -> float | None:
    """Per 1 000 of the target group over *period*; None without a population or if hidden."""
    if measure.target is None or measure.variables[storhet].aggregation != "summa":
        return None
    safe = disclosure.protect(aggregate.summary(rows, population, measure, period, [],
                                                storhet), threshold)
    if "per_1000" not in safe.columns or pd.isna(safe["per_1000"].iloc[0]):
        return None
    return float(safe["per_1000"].iloc[0])
