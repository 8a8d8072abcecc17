"""What the Karta page shows, ready to draw: its period choices, the map with its labels, the
funnel plot, and one area's profile with its charts.

Each is made once per store version and choice (the Streamlit layer caches them), so a rerun
that changes nothing in the view draws what was made.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lagesbild import fmt
from lagesbild.analysis import aggregate, periods
from lagesbild.analysis.areas import LEVEL_NOUNS, LEVELS, members
from lagesbild.config import Config, Measure
from lagesbild.present.export import Caption
from lagesbild.views import areas as area_views

PERIOD_KINDS = periods.PERIOD_KINDS
period_label = periods.period_label
__all__ = ["LEVELS", "LEVEL_NOUNS", "PERIOD_KINDS", "members", "period_label"]


@dataclass(frozen=True)
class Months:
    """A measure's published months and its latest complete one."""

    months: tuple[pd.Timestamp, ...]
    latest: pd.Timestamp

    def options(self, kind: str) -> list[str]:
        """The periods of *kind* to choose from, newest first."""
        return periods.period_options(kind, list(self.months), self.latest)


def months(frame: pd.DataFrame) -> Months:
    latest = aggregate.latest_complete_month(frame) or frame["month"].max()
    return Months(tuple(sorted(frame["month"].unique())), latest)


@dataclass(frozen=True)
class Drawn:
    """A map ready for the page: the deck and how many flagged areas have no name on it."""

    deck: object  # present.maps.FrozenDeck
    hidden_flags: int


def drawn(view: area_views.View, measure: Measure, metric: str, layer_bounds: list[float],
          layer_key: str, outline: dict, town_bounds: list[float] | None,
          selected: tuple[str, ...], big: bool) -> Drawn:
    """The map of *view* (pydeck), zoomed on the town when *town_bounds* is given."""
    from lagesbild.present import maps

    bounds = town_bounds or layer_bounds
    names = maps.area_labels(view.coloured, bounds, selected, layer_key)  # placed once
    deck = maps.FrozenDeck(maps.deck(view.coloured, bounds, view.legend_title,
                                     f"Antal {measure.counted}", outline, selected,
                                     key=layer_key,
                                     rate_line="per_1000" in view.safe.columns
                                     and metric != "per_1000",
                                     verdict="flagga" in view.safe.columns,
                                     label_size=20 if big else 15, names=names))
    return Drawn(deck, maps.unnamed_flags(view.coloured, names, layer_key))


def static_map(view: area_views.View, outline: dict, town_bounds: list[float] | None,
               selected: tuple[str, ...], layer_key: str):
    """The map as an Altair chart for PNG and SVG (built on a click only)."""
    from lagesbild.present import maps

    return maps.static_map(view.coloured, view.legend, view.legend_title, outline,
                           town_bounds, selected, layer_key)


def funnel_chart(view: area_views.View, measure: Measure, highlight: str | None):
    from lagesbild.analysis import funnel

    return funnel.chart(view.safe, view.names, view.kommun_rate,
                        f"({measure.target.label})" if measure.target else "", highlight)


def funnel_text(view: area_views.View, threshold: int) -> str:
    """What the funnel shows, the municipality's level and how many areas are outside."""
    from lagesbild.analysis import funnel

    flagged = view.safe["flagga"].isin(["över", "under"]).sum()
    return (funnel.EXPLANATION.format(threshold=threshold)
            + f" Kommunens nivå: **{fmt.number(view.kommun_rate, 1)} per 1 000**. "
            f"Utanför 99,8 %-gränsen: **{fmt.number(flagged)}** områden.")


@dataclass(frozen=True)
class Panel:
    """One chart of a profile with its caption (and the notes under it)."""

    chart: object
    caption: Caption
    heading: str = ""
    key: str = ""  # what the panel shows apart from the others (a dimension)
    notes: tuple = ()  # (month, text)
    hidden_note: str | None = None


@dataclass(frozen=True)
class Profile:
    trend: Panel | None
    parts: tuple[Panel, ...]
    population: Panel
    population_year: int
    period_text: str


def profile(cfg: Config, counts: pd.DataFrame, population: pd.DataFrame, measure: Measure,
            kind: str, period_code: str, filters: aggregate.Filters, name: str,
            inside: list[str], marks: tuple) -> Profile:
    """One area (its postnummer *inside*): its trend against the municipality (with the
    actions there, ``pages.markers``), breakdowns and its population, each as a chart
    with its caption."""
    from lagesbild.present import charts
    from lagesbild.present import columns as col

    cat = cfg.catalogue
    t = cfg.threshold
    selected = aggregate.select(counts, population, measure, filters)
    period = periods.parse_period(kind, period_code)
    period_text = periods.period_label(kind, period_code)
    filters_text = area_views.filter_text(cat, measure, filters)
    trend_panel = None
    if measure.target is not None:
        trend = area_views.profile_trend(selected.rows, selected.population, measure, inside,
                                         period.end, t)
        marks = pd.DataFrame(list(marks), columns=[col.MONTH, col.NOTE, "typ"])
        trend_panel = Panel(
            charts.area_trend_chart(trend, name, marks),
            Caption(f"{name} och hela kommunen: {measure.short.lower()} per 1 000",
                    f"rullande 12 månader till {fmt.month_short(period.end)}", filters_text,
                    source=area_views.source_line(measure), threshold=t),
            notes=tuple(zip(marks[col.MONTH], marks[col.NOTE])),
            hidden_note=(f"Punkter där området har färre än {t} visas inte."
                         if trend.loc[trend["serie"] == "Området", "skyddad"].any() else None))
    parts = []
    for dim, safe in area_views.profile_breakdowns(selected.rows, population, measure, inside,
                                                   period, t).items():
        header = measure.dimension_label(dim)
        shown = area_views.breakdown_table(safe, dim, area_views.value_labels(cat, measure, dim),
                                           t, header)
        parts.append(Panel(charts.area_bar_chart(shown, header, t),
                           Caption(f"{name}: {measure.short.lower()} efter {header.lower()}",
                                   period_text, filters_text,
                                   source=area_views.source_line(measure), threshold=t),
                           heading=header, key=dim))
    pop = area_views.profile_population(population, inside, period.end.year, t)
    sex = {k: cat.sex_label(k) for k in ("K", "M")}
    pop_panel = Panel(charts.area_population_chart(pop, sex, t),
                      Caption(f"{name}: befolkning efter ålder och kön", str(pop.attrs["ar"]),
                              source="Källa: SCB, befolkningsstatistik", threshold=t))
    return Profile(trend_panel, tuple(parts), pop_panel, pop.attrs["ar"], period_text)

