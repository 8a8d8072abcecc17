"""What a measure page shows above its charts, ready to draw: the headline figures, the
housing's current status, the filters that do not apply, and the sidebar's choices.

Each is worked out once per store version and choice (the Streamlit layer caches them), so a
filter change on a page is a lookup, not a pass over the published rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lagesbild import fmt
from lagesbild.analysis import aggregate
from lagesbild.config import Config, Measure
from lagesbild.present import export, tables
from lagesbild.views import breakdown as bd
from lagesbild.views import overview

Filters = aggregate.Filters  # what pages build from their widgets
Period = aggregate.Period

NO_DATA = overview.NO_DATA  # a month not delivered, not published, or before the data
WITHHELD = ("Summan visas inte: den är för liten för att visas (röjandekontroll), eller "
            "uppgifter saknas för en del av perioden.")


@dataclass(frozen=True)
class Metric:
    label: str
    value: str
    delta: str | None
    arrow: str  # "up", "down" or "off"
    help: str


@dataclass(frozen=True)
class Headline:
    counted: str  # what is counted, e.g. "Antal anmälningar – Polis"
    metrics: tuple[Metric, ...]


@dataclass(frozen=True)
class Choices:
    """The sidebar's options: published months (newest first), the latest complete one, and
    the postnummer that have data."""

    months: tuple[str, ...]  # "ÅÅÅÅ-MM"
    latest: str | None
    areas: tuple[str, ...]


def choices(counts: dict[str, pd.DataFrame]) -> Choices:
    """The sidebar's months and areas from what is published (one pass per store version)."""
    months = sorted({m for f in counts.values() for m in f["month"].unique()})
    latest = max((aggregate.latest_complete_month(f) for f in counts.values() if not f.empty),
                 default=None)
    areas = sorted({str(p) for f in counts.values() if "postnummer" in f.columns
                    for p in f["postnummer"].dropna().unique()})
    return Choices(tuple(pd.Timestamp(m).strftime("%Y-%m") for m in reversed(months)),
                   latest.strftime("%Y-%m") if latest is not None else None, tuple(areas))


def ignored(frame: pd.DataFrame, measure: Measure, filters: Filters, storhet: str) -> list[str]:
    """The sidebar's and page's filters that do not apply to the measure (or the variable)."""
    _, out = aggregate.apply_filters(frame.head(0), measure, filters)
    if filters.kon and measure.variables[storhet].without_sex:
        out.append("kon")
    return out


def _change(text: str) -> str | None:
    return None if text == "–" else text.replace(" mot föregående 12 mån", "")


def _arrow(text: str) -> str:
    return "up" if text.startswith("+") else "down" if text.startswith("−") else "off"


def headline(frame: pd.DataFrame, population: pd.DataFrame, measure: Measure, cfg: Config,
             month: pd.Timestamp, filters: Filters, storhet: str) -> Headline:
    """The month and the rolling 12 months against last year; per 1 000; each sex apart.

    Parameters
    ----------
    frame : DataFrame
        The measure's published counts (``views.source``).
    population : DataFrame
        The population, for the rate per 1 000.
    measure : Measure
        The measure, before the page's choices narrow it.
    cfg : Config
        For the catalogue and the threshold.
    month : Timestamp
        The sidebar's month.
    filters : Filters
        The sidebar's and the page's choices.
    storhet : str
        The variable shown.
    """
    cat = cfg.catalogue
    chosen = bd.with_defaults(measure, filters, storhet=storhet)
    m = bd.effective(measure, chosen, storhet)
    selected = aggregate.select(frame, population, m, chosen)
    rows = selected.rows
    exclusive = bd.exclusive_dimensions(measure)
    counted = " – ".join([m.variables[storhet].label, *(
        measure.dimensions[dim].categories[values[0]] for dim, values in chosen.categories
        if dim in exclusive)])
    since = overview.first_month(frame)
    card = overview.card(rows, m, cfg.threshold, month, storhet=storhet, counted=counted,
                         since=since)
    r12 = aggregate.Period.rolling12(month)
    metrics = [
        Metric(fmt.month(month), card.value, card.delta, card.direction,
               f"{card.counted} {fmt.month(month)}, jämfört med samma månad året innan."),
        Metric("Rullande 12 mån", card.rolling12, _change(card.rolling12_change),
               _arrow(card.rolling12_change),
               f"{fmt.period(r12.start, r12.end)}, jämfört med de 12 månaderna före."
               + (" Medel per månad." if m.variables[storhet].aggregation == "medel" else "")
               + ("" if card.rolling12_shown else " " + WITHHELD)),
    ]
    per_1000 = (bd.rate(rows, selected.population, m, r12, storhet, cfg.threshold)
                if card.rolling12_shown else None)
    if per_1000 is not None:
        metrics.append(Metric("Per 1 000, 12 mån", fmt.number(per_1000, 1), None, "off",
                              f"Per 1 000 {m.target.label}, rullande 12 månader."))
    if measure.has_sex and not m.variables[storhet].without_sex and not filters.kon:
        for sex, (c, shown) in overview.sex_cards(rows, m, cfg.threshold, month,
                                                  storhet, since).items():
            label = cat.sex_label(sex, measure)
            metrics.append(Metric(
                f"{label}, 12 mån", c.rolling12 if shown else "–",
                _change(c.rolling12_change) if shown else None,
                _arrow(c.rolling12_change) if shown else "off",
                f"{label}: rullande 12 månader jämfört med de 12 månaderna före."
                + ("" if shown else " " + WITHHELD)))
    return Headline(card.counted, tuple(metrics))


def markers_version(engine) -> tuple:
    """Changes whenever an action or omvärld note does (a cache key for :func:`markers`)."""
    from lagesbild.store import process

    return process.version(engine)


def markers(engine, code: str, postnummer: tuple[str, ...] = (), notes: bool = True
            ) -> tuple:
    """Actions (and with *notes* omvärld notes) on a measure's timeline as (month, text,
    kind) tuples, a hashable cache key. With an area chosen, only actions there or for the
    whole municipality."""
    from lagesbild.store import process
    from lagesbild.views import effect

    parts = [effect.markers(process.actions(engine), code, postnummer)]
    if notes:
        parts.append(effect.note_markers(process.notes(engine, matt=code)))
    frame = pd.concat(parts, ignore_index=True)
    return tuple(frame.itertuples(index=False, name=None))


# --- what pages draw and download: charts, tables and their files ----------------------------

Caption = export.Caption  # title, period, filters, source and threshold, in every file
screen = export.screen  # a chart configured for the page (larger type on the projector)
png, svg, xlsx, csv = export.png, export.svg, export.xlsx, export.csv
styled, as_text = tables.style, tables.as_text  # a protected table in Swedish formats
