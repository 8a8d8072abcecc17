"""Filter, aggregate and compare monthly counts; rates per 1 000 of the target population.

Everything here takes canonical frames (see ``store.read_counts``) and returns new frames.
Nothing here is safe to show yet: pass results through ``disclosure.protect``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from lagesbild.codes import age_groups
from lagesbild.config import Measure
from lagesbild.errors import DataError, UnknownError


@dataclass(frozen=True)
class Period:
    """An inclusive range of whole months."""

    start: pd.Timestamp
    end: pd.Timestamp

    @classmethod
    def month(cls, month: pd.Timestamp) -> "Period":
        m = pd.Timestamp(month).to_period("M").to_timestamp()
        return cls(m, m)

    @classmethod
    def rolling12(cls, end: pd.Timestamp) -> "Period":
        end = pd.Timestamp(end).to_period("M").to_timestamp()
        return cls(end - pd.DateOffset(months=11), end)

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(pd.Timestamp(year=year, month=1, day=1), pd.Timestamp(year=year, month=12,
                                                                          day=1))

    def shift_years(self, years: int) -> "Period":
        offset = pd.DateOffset(years=years)
        return Period(self.start + offset, self.end + offset)

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def contains(self, months: pd.Series) -> pd.Series:
        return months.between(self.start, self.end)


@dataclass(frozen=True)
class Filters:
    """The user's choices; empty tuples mean "all"."""

    postnummer: tuple[str, ...] = ()
    kon: tuple[str, ...] = ()
    aldersgrupp: tuple[str, ...] = ()
    categories: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())


def latest_complete_month(frame: pd.DataFrame, today: pd.Timestamp | None = None
                          ) -> pd.Timestamp | None:
    """The last month with data that has ended (a current, partial month does not count):
    for a published frame, its newest published month."""
    known = delivered(frame)
    if known is not None:
        return known.max() if len(known) else None
    if frame.empty:
        return None
    current = (pd.Timestamp.today() if today is None else pd.Timestamp(today)).to_period("M")
    months = frame["month"]
    done = months[months < current.to_timestamp()]
    return None if done.empty else done.max()


def apply_filters(frame: pd.DataFrame, measure: Measure, filters: Filters
                  ) -> tuple[pd.DataFrame, list[str]]:
    """Keep the rows the filters select; return the rows and the filters that did not apply.

    A filter the measure has no dimension for (sex for evictions, say) is ignored and named
    in the returned list, so the page can say so rather than show nothing.
    """
    mask = pd.Series(True, index=frame.index)
    ignored = []
    chosen = [("postnummer", filters.postnummer), ("kon", filters.kon),
              ("aldersgrupp", filters.aldersgrupp), *filters.categories]
    for column, values in chosen:
        if not values:
            continue
        if column not in frame.columns:
            ignored.append(column)
            continue
        if column == "aldersgrupp":
            usable = [v for v in values if v in {g.code for g in measure.age_groups}]
            if not usable:
                ignored.append(column)
                continue
            values = usable
        mask &= frame[column].isin(values)
    return frame[mask], ignored


def filter_population(population: pd.DataFrame, measure: Measure, filters: Filters
                      ) -> pd.DataFrame:
    """The population rows that match the filters' postnummer, sex and age groups.

    A filtered count's denominator: girls' reports per 1 000 girls, an area's per 1 000 of its
    inhabitants. A filter the measure has no dimension for is ignored here as in
    :func:`apply_filters`; category filters (reason, reporter …) do not narrow the population.
    """
    if population.empty:
        return population
    mask = pd.Series(True, index=population.index)
    columns = measure.dimension_columns
    if filters.postnummer and "postnummer" in columns:
        mask &= population["postnummer"].isin(filters.postnummer)
    if filters.kon and "kon" in columns:
        mask &= population["kon"].isin(filters.kon)
    usable = [v for v in filters.aldersgrupp if v in {g.code for g in measure.age_groups}]
    if usable and "aldersgrupp" in columns:
        mask &= age_groups(population["alder"], measure.age_groups).isin(usable)
    return population[mask]


@dataclass(frozen=True)
class Selected:
    """The rows a view counts and the people they are counted per: always chosen together."""

    rows: pd.DataFrame
    population: pd.DataFrame
    ignored: list[str]  # filters the measure has no dimension for


def select(counts: pd.DataFrame, population: pd.DataFrame, measure: Measure,
           filters: Filters) -> Selected:
    """The engine's one way in: the counts the filters select and, with the same filters,
    the population they are rates of, so a rate's denominator always matches its count."""
    rows, ignored = apply_filters(counts, measure, filters)
    return Selected(rows, filter_population(population, measure, filters), ignored)


def categories(measure: Measure, dim: str) -> list[str] | None:
    """A dimension's codes in catalogue order; None for postnummer (any area)."""
    if dim in measure.dimensions:
        return list(measure.dimensions[dim].categories)
    if dim == "aldersgrupp":
        return [g.code for g in measure.age_groups]
    if dim == "kon":
        return ["K", "M"]
    return None


def _primary(frame: pd.DataFrame, measure: Measure, storhet: str | None) -> pd.DataFrame:
    storhet = storhet or measure.primary.code
    if storhet not in measure.variables:
        raise DataError(f"Måttet {measure.code} har ingen storhet ”{storhet}”.")
    return frame[frame["storhet"] == storhet]


DELIVERED = "levererade"  # frame.attrs: the months (ÅÅÅÅ-MM) a published frame holds


def delivered(frame: pd.DataFrame) -> pd.DatetimeIndex | None:
    """The months a published frame holds (a month the measure did not deliver, or that is
    not published, is unknown: never 0); None for rows that are not a release (every month
    between their first and last is then known)."""
    months = frame.attrs.get(DELIVERED)
    if months is None:
        return None
    return pd.DatetimeIndex([pd.Timestamp(f"{m}-01") for m in months])


def undelivered(frame: pd.DataFrame, period: "Period") -> list[pd.Timestamp]:
    """The months of *period* the frame has no figures for ("inga uppgifter")."""
    known = delivered(frame)
    if known is None:
        return []
    wanted = pd.date_range(period.start, period.end, freq="MS")
    return list(wanted[~wanted.isin(known)])


def monthly(frame: pd.DataFrame, measure: Measure, storhet: str | None = None,
            months: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """Total per month (columns month, antal); months without rows get 0, months the
    measure did not deliver (see :func:`delivered`) are missing (NaN)."""
    rows = _primary(frame, measure, storhet)
    sums = rows.groupby("month", observed=True)[["antal"]].sum()
    if months is None and not sums.empty:
        months = pd.date_range(sums.index.min(), sums.index.max(), freq="MS")
    if months is not None:
        sums = sums.reindex(months, fill_value=0)
    known = delivered(frame)
    if known is not None:
        unknown = ~sums.index.isin(known)
        sums = sums.astype(float).mask(pd.DataFrame({c: unknown for c in sums.columns},
                                                    index=sums.index))
    return sums.rename_axis("month").reset_index()


def _over_months(values, measure: Measure, storhet: str) -> float:
    """Monthly values over a period: summed, or averaged for levels such as places."""
    total = float(sum(values))
    if measure.variables[storhet].aggregation == "medel":
        return total / max(len(values), 1)
    return total


def period_total(frame: pd.DataFrame, measure: Measure, period: Period,
                 storhet: str | None = None) -> float:
    """Sum over the period, or the monthly mean for variables that are levels (places)."""
    storhet = storhet or measure.primary.code
    months = pd.date_range(period.start, period.end, freq="MS")
    return _over_months(monthly(frame, measure, storhet, months)["antal"], measure, storhet)


@dataclass(frozen=True)
class Headline:
    """One measure's key numbers for the overview."""

    month: pd.Timestamp
    month_value: float
    month_last_year: float
    rolling12: float
    rolling12_before: float
    trend: pd.DataFrame  # month, antal: the last 24 months
    cells: pd.DataFrame  # the four figures above as cells (antal), for release

    @property
    def change(self) -> float:
        return self.rolling12 - self.rolling12_before

    @property
    def change_pct(self) -> float | None:
        if not self.rolling12_before or pd.isna(self.change):
            return None
        return 100 * self.change / self.rolling12_before


def headline(frame: pd.DataFrame, measure: Measure, month: pd.Timestamp,
             storhet: str | None = None, since: pd.Timestamp | None = None) -> Headline:
    """Latest month, same month last year, rolling 12 months and its change, and a trend.

    Parameters
    ----------
    frame : DataFrame
        The measure's (filtered) canonical counts.
    measure : Measure
        The measure.
    month : Timestamp
        The month the overview is about (usually the latest complete month).
    storhet : str, optional
        The variable; the measure's first by default.
    since : Timestamp, optional
        The measure's first month of data (before any filter). Months before it are not
        zeros but unknown: a window that reaches back before it gives no value (NaN), so a
        "rolling 12 months" always holds 12 months.

    Returns
    -------
    Headline
    """
    storhet = storhet or measure.primary.code
    month = pd.Timestamp(month)
    # One monthly series covering both 12-month windows; every figure is a slice of it.
    first = month - pd.DateOffset(months=23)
    series = monthly(frame, measure, storhet, pd.date_range(first, month, freq="MS"))
    if since is not None:
        unknown = series["month"] < pd.Timestamp(since)
        series = series.assign(antal=series["antal"].astype(float).mask(unknown))
    windows = {"month": slice(23, 24), "last_year": slice(11, 12), "rolling12": slice(12, 24),
               "rolling12_before": slice(0, 12)}
    cells = pd.DataFrame([{"antal": _over_months(series["antal"].to_numpy(dtype=float)[w],
                                                 measure, storhet)}
                          for w in windows.values()], index=list(windows))
    values = cells["antal"]
    return Headline(
        month=month,
        month_value=values["month"],
        month_last_year=values["last_year"],
        rolling12=values["rolling12"],
        rolling12_before=values["rolling12_before"],
        trend=series,
        cells=cells,
    )


def population_year(population: pd.DataFrame, year: int) -> int | None:
    """The population year to use for *year*: itself, else the nearest earlier, else earliest."""
    years = sorted(population["ar"].unique())
    if not years:
        return None
    earlier = [y for y in years if y <= year]
    return int(earlier[-1] if earlier else years[0])


def target_population(population: pd.DataFrame, measure: Measure, year: int,
                      by: list[str]) -> pd.DataFrame | None:
    """Persons in the measure's target group, grouped by the population dimensions in *by*.

    Returns None when the measure has no target population or none is loaded.
    """
    if measure.target is None or population.empty:
        return None
    use_year = population_year(population, year)
    rows = population[population["ar"] == use_year]
    t = measure.target
    rows = rows[(rows["alder"] >= t.low) & ((rows["alder"] <= t.high) if t.high is not None
                                            else True)]
    keys = [c for c in by if c in ("postnummer", "kon", "aldersgrupp")]
    if "aldersgrupp" in keys:
        rows = rows.assign(aldersgrupp=age_groups(rows["alder"], measure.age_groups))
        rows = rows.dropna(subset=["aldersgrupp"])
    if not keys:
        return pd.DataFrame({"befolkning": [int(rows["antal"].sum())]})
    out = rows.groupby(keys, observed=True)["antal"].sum().reset_index(name="befolkning")
    return out.astype({k: "object" for k in keys})


def summary(frame: pd.DataFrame, population: pd.DataFrame, measure: Measure, period: Period,
            by: list[str], storhet: str | None = None, all_areas: bool = False) -> pd.DataFrame:
    """Counts over a period grouped by *by*, with population and rate per 1 000 where possible.

    Parameters
    ----------
    frame : DataFrame
        The measure's (filtered) canonical counts.
    population : DataFrame
        Population rows (ar, postnummer, kon, alder, antal).
    measure : Measure
        The measure.
    period : Period
        Months to sum.
    by : list of str
        Dimension columns to group by (catalogue names).
    storhet : str, optional
        The variable; the measure's first by default.
    all_areas : bool
        With ``by == ["postnummer"]``: also list postnummer that have population but no counts.

    Returns
    -------
    DataFrame
        The *by* columns, ``antal`` and, where the measure has a target population and the
        grouping allows it, ``befolkning`` and ``per_1000``.
    """
    for column in by:
        measure.check_dimension(column)
    storhet = storhet or measure.primary.code
    rows = _primary(frame, measure, storhet)
    if "kon" in by and measure.variables[storhet].without_sex:
        raise UnknownError(f"{measure.variables[storhet].label} för {measure.short.lower()} "
                           "är inte uppdelade på kön.")
    missing = undelivered(frame, period)
    rows = rows[period.contains(rows["month"])]
    columns = ["antal"]
    if by:
        out = rows.groupby(by, observed=False)[columns].sum().reset_index()
        out = out.astype({c: "object" for c in by})
    else:
        out = pd.DataFrame({c: [rows[c].sum()] for c in columns})
    if measure.variables[storhet].aggregation == "medel":
        # A level such as places: the mean per month, not the sum over months.
        out = out.assign(**{c: out[c] / period.months for c in columns})
        out = out.assign(antal=out["antal"].round())
    pop_dims = {"postnummer", "kon", "aldersgrupp"}
    pop = (target_population(population, measure, period.end.year, by)
           if set(by) <= pop_dims | set(measure.dimensions) else None)
    if pop is not None:
        keys = [c for c in by if c in pop_dims]
        if keys:
            how = "outer" if all_areas and keys == ["postnummer"] else "left"
            out = out.merge(pop, on=keys, how=how)
            out = out.assign(**{c: out[c].fillna(0) for c in columns})
        else:
            out = out.assign(befolkning=int(pop["befolkning"].iloc[0]))
        out = out.assign(per_1000=(1000 * out["antal"] / out["befolkning"]).where(
            out["befolkning"] > 0))
    out = out.assign(antal=out["antal"].astype("int64"))
    if missing:  # a month of the period not delivered: "inga uppgifter", never a sum
        out = out.assign(antal=out["antal"].astype("Int64").mask(out.index >= 0))
        if "per_1000" in out:
            out = out.assign(per_1000=float("nan"))
    if not by:
        return out
    # Catalogue order, as everywhere else (postnummer, with no such order, by code).
    order = {dim: {code: i for i, code in enumerate(categories(measure, dim) or [])}
             for dim in by}
    return out.sort_values(by, key=lambda s: s.map(order[s.name]).fillna(len(order[s.name]))
                           if order[s.name] else s).reset_index(drop=True)
