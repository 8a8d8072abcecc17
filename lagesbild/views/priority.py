"""The area-priority overview: every area against every measure with a target population,
each measure's area table published (``views.areas.protect``), the funnel verdicts and rates
side by side, ranked (``analysis.priority``), with the area's population and the actions
already running there. The meeting page and the Prioritering page call :func:`view`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lagesbild import fmt
from lagesbild.analysis import aggregate, priority
from lagesbild.analysis.areas import LEVELS, area_table
from lagesbild.config import Config
from lagesbild.geo.groupings import Grouping
from lagesbild.present.export import Caption
from lagesbild.release import disclosure
from lagesbild.store.process import Action
from lagesbild.views import areas as area_views

SYMBOLS = {"över": "▲ högre", "under": "▼ lägre", "inom": "inom"}
__all__ = ["LEVELS", "Priority", "caption", "display", "flagged", "measures_with_areas",
           "twelve_months", "view"]


@dataclass(frozen=True)
class Priority:
    """The ranked table (published numbers) and what it covers."""

    ranked: pd.DataFrame  # kod, namn, over, tecken_over, styrka, under, befolkning, atgarder
    cells: pd.DataFrame  # kod, matt, per_1000, flagga, tecken (published)
    measures: dict[str, str]  # code -> short label, in catalogue order
    municipal: dict[str, float | None]  # published municipal rates per 1 000
    period: aggregate.Period


def measures_with_areas(cfg: Config, counts: dict[str, pd.DataFrame]) -> list[str]:
    """Measures that can be compared area by area: by postnummer, with a target population."""
    return [code for code, m in cfg.catalogue.measures.items()
            if code in counts and "postnummer" in m.dimension_columns and m.target is not None
            and not counts[code].empty]


def _population(population: pd.DataFrame, year: int, level: str,
                grouping: Grouping | None) -> pd.Series:
    use = aggregate.population_year(population, year)
    rows = population[population["ar"] == use]
    by = rows.groupby("postnummer")["antal"].sum()
    if level == "omrade" and grouping is not None:
        by = by.groupby(by.index.map(grouping.area_of)).sum()
    return by


def _actions_in(code: str, level: str, grouping: Grouping | None, actions: list[Action]
                ) -> str:
    names = []
    for a in actions:
        places = a.postnummer if level == "postnummer" else tuple(
            grouping.area_of(p) for p in a.postnummer) if grouping else ()
        if code in places:
            names.append(a.titel)
    return "; ".join(names)


def view(cfg: Config, counts: dict[str, pd.DataFrame], population: pd.DataFrame,
         period: aggregate.Period, level: str, postorter: dict[str, str],
         grouping: Grouping | None, actions: list[Action]) -> Priority:
    """Every area × measure, published and ranked.

    Parameters
    ----------
    cfg : Config
        Catalogue and disclosure threshold.
    counts : dict
        Keyed counts per measure (``views.source.all_counts``).
    population : DataFrame
        Population rows.
    period : Period
        The months compared (usually the latest 12).
    level : str
        ``postnummer`` or ``omrade``.
    postorter, grouping
        For names and larger areas.
    actions : list of Action
        Open actions, listed beside the areas they run in.

    Returns
    -------
    Priority
    """
    codes = measures_with_areas(cfg, counts)
    published, municipal, cells = {}, {}, []
    for code in codes:
        measure = cfg.catalogue.measure(code)
        rows, _ = aggregate.apply_filters(counts[code], measure, aggregate.Filters(
            categories=measure.headline_filter))
        safe = area_views.protect(area_table(rows, population, measure, period, level,
                                             grouping), cfg.threshold)
        published[code] = safe
        municipal[code] = safe.attrs.get("kommun_per_1000")
        if "flagga" in safe:
            cells.append(safe[["kod", "per_1000", "flagga", "tecken"]].assign(matt=code))
    ranked = priority.rank(published, municipal)
    people = _population(population, period.end.year, level, grouping)
    ranked = ranked.assign(
        namn=area_views.names(ranked, level, postorter, grouping),
        befolkning=ranked["kod"].map(people).astype("Int64"),
        atgarder=[_actions_in(c, level, grouping, actions) for c in ranked["kod"]])
    labels = {c: cfg.catalogue.measure(c).short for c in codes}
    cell_frame = pd.concat(cells, ignore_index=True) if cells else pd.DataFrame(
        columns=["kod", "per_1000", "flagga", "tecken", "matt"])
    ranked.attrs[disclosure.PROTECTED_ATTR] = cfg.threshold
    return Priority(ranked, cell_frame, labels, municipal, period)


def _cell(flag, sign, rate) -> str:
    if flag is None or pd.isna(flag):
        return "–" if pd.isna(rate) else fmt.number(rate, 1)
    text = SYMBOLS.get(flag, flag)
    if flag == "inom" and sign in ("över", "under"):
        text = "(▲)" if sign == "över" else "(▼)"
    return f"{text} {fmt.number(rate, 1)}" if flag != "inom" or sign in ("över", "under") \
        else fmt.number(rate, 1)


def display(p: Priority, level: str, top: int | None = None) -> pd.DataFrame:
    """The ranked table in Swedish: one column per measure with its rate per 1 000 and
    ▲/▼ where the funnel flags it (in brackets: beyond 95 % only)."""
    ranked = p.ranked if top is None else p.ranked.head(top)
    lookup = {(r.kod, r.matt): r for r in p.cells.itertuples()}
    out = pd.DataFrame({
        "Postnummer" if level == "postnummer" else "Område": ranked["namn"],
        "Befolkning": [fmt.number(v) if not pd.isna(v) else "–" for v in ranked["befolkning"]],
        "Högre än väntat (antal mått)": ranked["over"].astype(int),
        "Svagare tecken": ranked["tecken_over"].astype(int),
    })
    for code, label in p.measures.items():
        values = []
        for kod in ranked["kod"]:
            r = lookup.get((kod, code))
            values.append("–" if r is None else _cell(r.flagga, r.tecken, r.per_1000))
        out[label] = values
    out["Pågående åtgärder"] = ranked["atgarder"].replace("", "–")
    out = out.reset_index(drop=True)
    # Published through views.areas.protect; no column is a count of events (the integer
    # columns count measures), so nothing here is "hidden" in the export's sense.
    out.attrs[disclosure.PROTECTED_ATTR] = p.ranked.attrs.get(disclosure.PROTECTED_ATTR)
    out.attrs["antal"] = []
    return out


def twelve_months(cfg: Config, counts: dict[str, pd.DataFrame], population: pd.DataFrame,
                  end: pd.Timestamp, level: str, postorter: dict[str, str],
                  grouping: Grouping | None, actions: list[Action]) -> Priority:
    """:func:`view` of the twelve months to *end* (the pages' period)."""
    return view(cfg, counts, population, aggregate.Period.rolling12(end), level, postorter,
                grouping, actions)


def caption(p: Priority, level: str, threshold: int) -> Caption:
    """What the ranked table says about itself when downloaded."""
    return Caption(
        f"Områden att prioritera: alla mått per "
        f"{'postnummer' if level == 'postnummer' else 'område'}",
        fmt.period(p.period.start, p.period.end),
        source="Källa: socialförvaltningens verksamhetssystem, SCB (befolkning)",
        threshold=threshold)


def flagged(p: Priority, top: int) -> pd.DataFrame:
    """The meeting's short list: of the *top* postnummer, only those with a sign at all (a
    room reads "stands out" as a reason to act), with the measures where they stand out
    (beyond 99.8 %) or show a weaker sign (beyond 95 %), and the actions there; the rates of
    every measure are on the page Områden att prioritera."""
    table = display(p, "postnummer", top)
    table = table[(table["Högre än väntat (antal mått)"] > 0) | (table["Svagare tecken"] > 0)]

    def where(row, weak: bool) -> str:
        return ", ".join(c for c in p.measures.values()
                         if "▲" in str(row[c]) and ("(" in str(row[c])) == weak) or "–"

    return pd.DataFrame({
        "Postnummer": table["Postnummer"], "Befolkning": table["Befolkning"],
        "Högre än väntat i": [where(r, False) for _, r in table.iterrows()],
        "Svagare tecken i": [where(r, True) for _, r in table.iterrows()],
        "Pågående åtgärder": table["Pågående åtgärder"]})
