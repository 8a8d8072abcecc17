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
from lagesbild.intake.kolada import Comparison, Group, Kpi, is_municipality
from lagesbild.views import breakdown as bd

SEX_WORDS = {"T": "Totalt", "K": "Kvinnor", "M": "Män"}
EMPTY = ("Inga jämförelsetal hämtade ännu. En analytiker hämtar dem med knappen Hämta från "
         "Kolada; utan förbindelse med Kolada: läs in Koladas export på sidan Import.")
YEAR, SEX, STATUS, RANK = "År", "Kön", "Status (Kolada)", "Plats bland kommunerna"
SIMILAR = "Liknande kommuner (ovägt medel)"
MIN_RANKED = 100  # fewer municipalities with a value: no rank (it would not be "of all")
DEMO = "demo"  # source prefix of the bundled demo snapshot (lagesbild.store.kolada_demo)


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
                     years: list[int], threshold: int, by_sex: bool, own=None
                     ) -> pd.DataFrame:
    """Our published rate per whole year (ar, kon, per_1000), made like Kolada's by *own*
    (``kolada.OwnRate``: variable, categories, age groups; the rate stays per 1 000 here and
    the caller scales it to ``own.per``).

    A year without data for all twelve months has no rate: a part year is not comparable with
    Kolada's whole year. Hidden (small) rates are missing, as everywhere.
    """
    rows = []
    storhet = (own.storhet if own and own.storhet else measure.primary.code)
    categories = own.categories if own else ()
    ages = own.age_groups if own else ()
    for year in years:
        period = aggregate.Period.year(year)
        months = pd.date_range(period.start, period.end, freq="MS")
        if counts.empty or bd.missing_months(counts, months):
            continue
        for sex in ("T", "K", "M") if by_sex and measure.has_sex else ("T",):
            chosen = bd.with_defaults(measure, aggregate.Filters(
                kon=() if sex == "T" else (sex,), aldersgrupp=tuple(ages),
                categories=tuple(categories)), storhet=storhet)
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


def rank(part: pd.DataFrame, kommun: str, year: int, sex: str = "T"
         ) -> tuple[int, int] | None:
    """(place, of how many) of *kommun* among every municipality with a value of one KPI in
    *year*, place 1 the highest value; None without the municipality's value or too few."""
    cell = part[(part["ar"] == year) & (part["kon"] == sex) & part["varde"].notna()]
    cell = cell[cell["kommun"].map(is_municipality).astype(bool)]
    own = cell.loc[cell["kommun"] == kommun, "varde"]
    if own.empty or len(cell) < MIN_RANKED:
        return None
    return int((cell["varde"] > own.iloc[0]).sum()) + 1, len(cell)


def rank_text(found: tuple[int, int] | None) -> str:
    """"12 av 290" (1 = högst), or "–"."""
    return "–" if found is None else f"{fmt.number(found[0])} av {fmt.number(found[1])}"


def _similar_ids(part: pd.DataFrame, comparison: Comparison, group: Group | None) -> list[str]:
    members = group.members if group is not None else comparison.similar
    present = set(part["kommun"])
    return sorted(i for i in members if i in present and i != comparison.kommun)


def group_note(comparison: Comparison, group: Group | None, names: dict[str, str],
               shown: list[str]) -> str:
    """Which group of similar municipalities is used, its year, and who is in it."""
    who = ", ".join(names.get(i, i) for i in shown)
    if group is None or group.id is None:
        return (f"Liknande kommuner: {comparison.similar_name}, en lista som kommunen själv "
                f"valt ({who}). Medlet är ovägt (varje kommun räknas lika).")
    return (f"Liknande kommuner: Koladas grupp ”{group.title}” ({group.id}"
            + (f", {group.year}" if group.year else "") + f"): {who}. Medlet är ovägt "
            "(varje kommun räknas lika).")


def source_line(part: pd.DataFrame, kpi_id: str) -> str:
    """Where the figures come from, saying plainly when they are the demo's snapshot."""
    fetched = pd.to_datetime(part["fetched_at"]).max() if "fetched_at" in part else None
    sources = sorted(set(part["source"])) if "source" in part else []
    latest = f" Senaste år: {int(part['ar'].max())}."
    if any(s.startswith(DEMO) for s in sources):
        return (f"Demo utan nät: en medföljande ögonblicksbild för nyckeltal {kpi_id} "
                f"({', '.join(s.removeprefix(DEMO).strip(' :') for s in sources)}). Värdena är "
                "SYNTETISKA utom där det står publicerat; de är inte Koladas siffror." + latest)
    how = ", ".join("API" if s == "api" else f"export {s}" for s in sources)
    when = f", hämtat {fetched:%Y-%m-%d}" if fetched is not None and pd.notna(fetched) else ""
    return (f"Källa: Kolada (RKA), nyckeltal {kpi_id}{when}" + (f" ({how})" if how else "")
            + "." + latest)


def kpi_view(values: pd.DataFrame, kpi: Kpi, comparison: Comparison, catalogue: Catalogue,
             titles: dict[str, dict] | None = None, own: pd.DataFrame | None = None,
             group: Group | None = None) -> KpiView | None:
    """The comparison table of one KPI, or None when nothing of it is cached.

    *group* is the similar municipalities in use (``store.kolada.group_in_use``); without it
    the catalogue's own list, if any. Every municipality's value, where cached, gives the rank.
    """
    part = values[values["kpi"] == kpi.id]
    if part.empty or comparison.kommun not in set(part["kommun"]):
        return None
    names = {**(group.members if group else {}), **comparison.names()}
    similar_ids = _similar_ids(part, comparison, group)
    rows, single = [], []
    sexes = [s for s in ("T", "K", "M") if s in set(part["kon"])]
    shown_years = sorted(set(part.loc[part["kommun"] == comparison.kommun, "ar"]), reverse=True)
    for year in shown_years:
        for sex in sexes:
            cell = part[(part["ar"] == year) & (part["kon"] == sex)]
            if comparison.kommun not in set(cell["kommun"]):
                continue
            by_area = dict(zip(cell["kommun"], cell["varde"]))
            others = [by_area[i] for i in similar_ids if pd.notna(by_area.get(i))]
            ours = cell[cell["kommun"].isin([comparison.kommun, comparison.lan[0],
                                             comparison.riket[0], *similar_ids])]
            row = {YEAR: int(year), SEX: SEX_WORDS[sex],
                   comparison.kommun_name: by_area.get(comparison.kommun),
                   comparison.lan[1]: by_area.get(comparison.lan[0]),
                   comparison.riket[1]: by_area.get(comparison.riket[0]),
                   SIMILAR: sum(others) / len(others) if others else None,
                   RANK: rank_text(rank(part, comparison.kommun, year, sex)) if kpi.rank
                   else "–",
                   STATUS: _status(ours, names)}
            rows.append(row)
            single.append({YEAR: int(year), SEX: SEX_WORDS[sex],
                           **{names.get(i, i): by_area.get(i) for i in similar_ids}})
    table = pd.DataFrame(rows)
    if (table[RANK] == "–").all():
        table = table.drop(columns=RANK)
    notes = []
    own_column = None
    measure = catalogue.measure(kpi.measure)
    if kpi.own is not None and own is not None:
        target = measure.target.label if measure.target else "invånare"
        if kpi.own.age_groups:
            target = "vuxna 18 år och äldre" if "18-24" in kpi.own.age_groups else target
        variable = measure.variables.get(kpi.own.storhet or measure.primary.code)
        counted = variable.label.lower() if kpi.own.storhet and variable else measure.counted
        own_column = f"Egen: {counted} per {fmt.number(kpi.own.per)} {target}"
        scale = kpi.own.per / 1000
        rates = {(int(r.ar), SEX_WORDS[r.kon]): (None if r.per_1000 is None or pd.isna(r.per_1000)
                                                else r.per_1000 * scale)
                 for r in own.itertuples()}
        table.insert(table.columns.get_loc(STATUS), own_column,
                     [rates.get((r[YEAR], r[SEX])) for r in rows])
        notes.append(f"Definitionerna skiljer sig: {kpi.definition}")
        notes.append("Vår egen siffra räknas för hela kalenderår med data för alla tolv månader "
                     "och visas med röjandeskydd (små tal döljs).")
    meta = (titles or {}).get(kpi.id) or {}
    if similar_ids:
        notes.append(group_note(comparison, group, names, similar_ids))
    if RANK in table.columns:
        notes.append("Plats bland kommunerna: 1 är det högsta värdet bland alla kommuner med "
                     "ett värde det året; om högt eller lågt är bra beror på nyckeltalet.")
    if part["status"].fillna("").ne("").any():
        notes.append("Status är Koladas egen markering av värdet (se kolumnen).")
    return KpiView(kpi, str(meta.get("title") or kpi.label), table,
                   pd.DataFrame(single), source_line(part, kpi.id), notes, own_column)


def measure_views(values: pd.DataFrame, code: str, comparison: Comparison, cfg: Config,
                  counts: pd.DataFrame, population: pd.DataFrame,
                  titles: dict[str, dict] | None = None, group: Group | None = None
                  ) -> list[KpiView]:
    """Every cached indicator of one measure's page, own rates included where configured."""
    views = []
    measure = cfg.catalogue.measure(code)
    for kpi in comparison.for_measure(code):
        part = values[values["kpi"] == kpi.id]
        own = None
        if kpi.own is not None and not part.empty:
            own = own_yearly_rates(counts, population, measure, sorted(set(part["ar"])),
                                   cfg.threshold, by_sex=set(part["kon"]) > {"T"}, own=kpi.own)
        view = kpi_view(values, kpi, comparison, cfg.catalogue, titles, own, group)
        if view is not None:
            views.append(view)
    return views


OWN = "Egen siffra, samma enhet"


def standing_own(values: pd.DataFrame, comparison: Comparison, cfg: Config,
                 counts: dict[str, pd.DataFrame], population: pd.DataFrame
                 ) -> dict[str, pd.DataFrame]:
    """Our own protected yearly rates for the Översikt KPIs that have a recipe (``egen``)."""
    out = {}
    for kpi in comparison.kpis.values():
        part = values[values["kpi"] == kpi.id]
        if kpi.overview and kpi.own is not None and not part.empty:
            out[kpi.id] = own_yearly_rates(counts[kpi.measure], population,
                                           cfg.catalogue.measure(kpi.measure),
                                           sorted(set(part["ar"])), cfg.threshold,
                                           by_sex=False, own=kpi.own)
    return out


def standing(values: pd.DataFrame, comparison: Comparison, catalogue: Catalogue,
             titles: dict[str, dict] | None = None, group: Group | None = None,
             own: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Översikt: for each KPI marked ``oversikt``, the newest year with the municipality's
    value, beside riket, the county and the group's mean, and its rank among all
    municipalities (place 1 the highest); with *own* (``standing_own``) our own protected rate
    in Kolada's unit where the catalogue has a recipe. One row per KPI; none for a KPI not
    cached."""
    rows = []
    name = comparison.kommun_name
    for kpi in [k for k in comparison.kpis.values() if k.overview]:
        part = values[(values["kpi"] == kpi.id) & (values["kon"] == "T")]
        mine = part[(part["kommun"] == comparison.kommun) & part["varde"].notna()]
        if mine.empty:
            continue
        year = int(mine["ar"].max())
        cell = part[part["ar"] == year]
        by_area = dict(zip(cell["kommun"], cell["varde"]))
        similar = [by_area[i] for i in _similar_ids(cell, comparison, group)
                   if pd.notna(by_area.get(i))]
        mine_value = by_area[comparison.kommun]
        riket = by_area.get(comparison.riket[0])
        rows.append({
            "Område": catalogue.measure(kpi.measure).short
            + (" (närliggande)" if kpi.related else ""),
            "Nyckeltal": f"{kpi.id} {(titles or {}).get(kpi.id, {}).get('title') or kpi.label}",
            "Enhet": kpi.unit, YEAR: year, name: mine_value,
            comparison.riket[1]: riket, comparison.lan[1]: by_area.get(comparison.lan[0]),
            SIMILAR: sum(similar) / len(similar) if similar else None,
            RANK: rank_text(rank(part, comparison.kommun, year)) if kpi.rank else "–",
            OWN: _own_value((own or {}).get(kpi.id), kpi, year),
            "Jämfört med riket": _versus(mine_value, riket),
            "Källa": "demo" if part["source"].astype(str).str.startswith(DEMO).any()
            else "Kolada",
        })
    return pd.DataFrame(rows)


def _own_value(rates: pd.DataFrame | None, kpi: Kpi, year: int) -> float | None:
    if rates is None or kpi.own is None:
        return None
    hit = rates[(rates["ar"] == year) & (rates["kon"] == "T")]["per_1000"]
    if hit.empty or hit.iloc[0] is None or pd.isna(hit.iloc[0]):
        return None
    return float(hit.iloc[0]) * kpi.own.per / 1000


def _versus(own, other) -> str:
    if own is None or other is None or pd.isna(own) or pd.isna(other) or not other:
        return "–"
    change = (own - other) / abs(other) * 100
    if abs(change) < 5:
        return "ungefär som riket"
    return f"{fmt.number(abs(change), 0)} % {'högre' if change > 0 else 'lägre'}"


def without_kolada(comparison: Comparison, catalogue: Catalogue) -> list[str]:
    """What Kolada does not have, one Swedish line per measure (from the catalogue)."""
    return [f"{catalogue.measure(code).short}: {text}" for code, text
            in comparison.without.items() if code in catalogue.measures]


def trend(view: KpiView, comparison: Comparison) -> pd.DataFrame:
    """The totals over the years, one column per area (oldest year first), for a line chart."""
    areas = [comparison.kommun_name, comparison.lan[1], comparison.riket[1], SIMILAR]
    totals = view.table[view.table[SEX] == SEX_WORDS["T"]].sort_values(YEAR)
    out = totals.set_index(totals[YEAR].astype(str))[areas].astype(float)
    out.index.name = YEAR
    return out.dropna(how="all", axis=1)


def display(table: pd.DataFrame) -> pd.DataFrame:
    """The table with Swedish numbers as text ("3 011", "6,3"); missing values as "–"."""
    out = table.copy()
    for column in out.columns:
        if column in (YEAR, SEX, STATUS, RANK) or pd.api.types.is_string_dtype(out[column]) \
                or out[column].dtype == object and out[column].map(
                    lambda v: isinstance(v, str)).any():
            continue
        out[column] = [_number(v) for v in out[column]]
    return out


def _number(value) -> str:
    if value is None or pd.isna(value):
        return "–"
    value = float(value)
    if value and abs(value) < 1:  # shares like 0,12 % would all read "0,1"
        return fmt.number(value, 2)
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
