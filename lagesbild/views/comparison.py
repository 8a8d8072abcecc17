"""Compared with riket, länet and similar municipalities: Kolada's yearly figures per measure,
and our own yearly rate beside them where the catalogue asks for it.

Kolada's values are public statistics and are shown as Kolada gives them, with its status
flags. Our own rate is not: it comes from the store's keyed counts through disclosure control
(``breakdown.rate``: published counts, a rate computed from them, hidden when small), the same
number the measure page shows for a year.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pandas as pd

from lagesbild import fmt
from lagesbild.analysis import aggregate
from lagesbild.config import Catalogue, Config, Measure
from lagesbild.intake.kolada import Comparison, Kpi
from lagesbild.views import breakdown as bd

SEX_WORDS = {"T": "Totalt", "K": "Kvinnor", "M": "Män"}
EMPTY = ("Inga jämförelsetal hämtade ännu – kör python -m lagesbild kolada hamta --ar "
         "2020-2025 eller läs in Koladas export på sidan Import.")
YEAR, SEX, STATUS = "År", "Kön", "Status (Kolada)"


@dataclass(frozen=True)
class KpiView:
    """One indicator on a measure page: the table and what to say under it."""

    kpi: Kpi
    title: str
    table: pd.DataFrame  # År, Kön, the municipality, the county, riket, similar, [own], status
    similar: pd.DataFrame  # År, Kön, each similar municipality apart
    source: str
    notes: list[str]
    own_column: str | None


def own_yearly_rates(counts: pd.DataFrame, population: pd.DataFrame, measure: Measure,
                     years: list[int], threshold: int, by_sex: bool) -> pd.DataFrame:
    """Our published rate per 1 000 of the target group per whole year (ar, kon, per_1000).

    A year without data for all twelve months has no rate: a part year is not comparable with
    Kolada's whole year. Hidden (small) rates are missing, as everywhere.
    """
    rows = []
    storhet = measure.primary.code
    for year in years:
        period = aggregate.Period.year(year)
        months = pd.date_range(period.start, period.end, freq="MS")
        if counts.empty or bd.missing_months(counts, months):
            continue
        for sex in ("T", "K", "M") if by_sex and measure.has_sex else ("T",):
            chosen = bd.with_defaults(measure, aggregate.Filters(kon=() if sex == "T"
                                                                 else (sex,)), storhet=storhet)
            m = bd.effective(measure, chosen, storhet)
            selected, _ = aggregate.apply_filters(counts, m, chosen)
            people = aggregate.filter_population(population, m, chosen)
            rows.append({"ar": year, "kon": sex,
                         "per_1000": bd.rate(selected, people, m, period, storhet, threshold)})
    return pd.DataFrame(rows, columns=["ar", "kon", "per_1000"])


def _status(part: pd.DataFrame, names: dict[str, str]) -> str:
    flagged = part[part["status"].fillna("").ne("")]
    return "; ".join(f"{names.get(r.kommun, r.kommun)}: {r.status}"
                     for r in flagged.itertuples()) if len(flagged) else ""


def kpi_view(values: pd.DataFrame, kpi: Kpi, comparison: Comparison, catalogue: Catalogue,
             titles: dict[str, dict] | None = None, own: pd.DataFrame | None = None
             ) -> KpiView | None:
    """The comparison table of one KPI, or None when nothing of it is cached."""
    part = values[values["kpi"] == kpi.id]
    if part.empty:
        return None
    names = comparison.names()
    fixed = [comparison.kommun, comparison.lan[0], comparison.riket[0]]
    similar_ids = sorted(set(part["kommun"]) - set(fixed))
    similar_col = f"{comparison.similar_name} (ovägt medel)"
    rows, single = [], []
    sexes = [s for s in ("T", "K", "M") if s in set(part["kon"])]
    for year in sorted(set(part["ar"]), reverse=True):
        for sex in sexes:
            cell = part[(part["ar"] == year) & (part["kon"] == sex)]
            by_area = dict(zip(cell["kommun"], cell["varde"]))
            others = [by_area[i] for i in similar_ids if pd.notna(by_area.get(i))]
            row = {YEAR: int(year), SEX: SEX_WORDS[sex],
                   comparison.kommun_name: by_area.get(comparison.kommun),
                   comparison.lan[1]: by_area.get(comparison.lan[0]),
                   comparison.riket[1]: by_area.get(comparison.riket[0]),
                   similar_col: sum(others) / len(others) if others else None,
                   STATUS: _status(cell, names)}
            rows.append(row)
            single.append({YEAR: int(year), SEX: SEX_WORDS[sex],
                           **{names.get(i, i): by_area.get(i) for i in similar_ids}})
    table = pd.DataFrame(rows)
    notes = []
    own_column = None
    measure = catalogue.measure(kpi.measure)
    if kpi.own_rate and own is not None:
        target = measure.target.label if measure.target else "invånare"
        own_column = f"Egen: {measure.counted} per 1 000 {target}"
        rates = {(int(r.ar), SEX_WORDS[r.kon]): r.per_1000 for r in own.itertuples()}
        table.insert(table.columns.get_loc(STATUS), own_column,
                     [rates.get((r[YEAR], r[SEX])) for r in rows])
        notes.append(f"Definitionerna skiljer sig: {kpi.definition}")
        notes.append("Vår egen siffra räknas för hela kalenderår med data för alla tolv månader "
                     "och visas med röjandeskydd (små tal döljs).")
    meta = (titles or {}).get(kpi.id) or {}
    fetched = pd.to_datetime(part["fetched_at"]).max() if "fetched_at" in part else None
    sources = sorted(set(part["source"])) if "source" in part else []
    how = ", ".join("API" if s == "api" else f"export {s}" for s in sources)
    when = f", hämtat {fetched:%Y-%m-%d}" if fetched is not None and pd.notna(fetched) else ""
    source = (f"Källa: Kolada (RKA), nyckeltal {kpi.id}{when}" + (f" ({how})" if how else "")
              + f". Senaste år: {int(part['ar'].max())}.")
    if similar_ids:
        shown = ", ".join(names.get(i, i) for i in similar_ids)
        notes.append(f"{comparison.similar_name}: {shown}. Medlet är ovägt (varje kommun "
                     "räknas lika).")
    if part["status"].fillna("").ne("").any():
        notes.append("Status är Koladas egen markering av värdet (se kolumnen).")
    return KpiView(kpi, str(meta.get("title") or kpi.label), table,
                   pd.DataFrame(single), source, notes, own_column)


def measure_views(values: pd.DataFrame, code: str, comparison: Comparison, cfg: Config,
                  counts: pd.DataFrame, population: pd.DataFrame,
                  titles: dict[str, dict] | None = None) -> list[KpiView]:
    """Every cached indicator of one measure's page, own rates included where configured."""
    views = []
    measure = cfg.catalogue.measure(code)
    for kpi in comparison.for_measure(code):
        part = values[values["kpi"] == kpi.id]
        own = None
        if kpi.own_rate and not part.empty:
            own = own_yearly_rates(counts, population, measure, sorted(set(part["ar"])),
                                   cfg.threshold, by_sex=set(part["kon"]) > {"T"})
        view = kpi_view(values, kpi, comparison, cfg.catalogue, titles, own)
        if view is not None:
            views.append(view)
    return views


def trend(view: KpiView, comparison: Comparison) -> pd.DataFrame:
    """The totals over the years, one column per area (oldest year first), for a line chart."""
    areas = [comparison.kommun_name, comparison.lan[1], comparison.riket[1],
             f"{comparison.similar_name} (ovägt medel)"]
    totals = view.table[view.table[SEX] == SEX_WORDS["T"]].sort_values(YEAR)
    out = totals.set_index(totals[YEAR].astype(str))[areas].astype(float)
    out.index.name = YEAR
    return out.dropna(how="all", axis=1)


def display(table: pd.DataFrame) -> pd.DataFrame:
    """The table with Swedish numbers as text ("3 011", "6,3"); missing values as "–"."""
    out = table.copy()
    for column in out.columns:
        if column in (YEAR, SEX, STATUS) or pd.api.types.is_string_dtype(out[column]):
            continue
        out[column] = [_number(v) for v in out[column]]
    return out


def _number(value) -> str:
    if value is None or pd.isna(value):
        return "–"
    value = float(value)
    return fmt.number(value, 0 if value.is_integer() and abs(value) >= 100 else 1)


def to_csv(values: pd.DataFrame, comparison: Comparison, kpi: str) -> str:
    """One KPI's cached values as CSV (semicolons, decimal commas), for ``kolada visa``."""
    part = values[values["kpi"] == kpi]
    names = comparison.names()
    out = pd.DataFrame({
        "nyckeltal": part["kpi"], "omrade_id": part["kommun"],
        "omrade": [names.get(k, k) for k in part["kommun"]], "ar": part["ar"],
        "kon": part["kon"], "varde": part["varde"], "status": part["status"],
        "kalla": part["source"], "hamtad": pd.to_datetime(part["fetched_at"]).dt.strftime(
            "%Y-%m-%d"),
    })
    buffer = io.StringIO()
    out.to_csv(buffer, sep=";", decimal=",", index=False)
    return buffer.getvalue()
