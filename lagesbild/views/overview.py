"""The overview's headline cards: protected numbers and texts, ready to show."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lagesbild import fmt
from lagesbild.analysis import aggregate
from lagesbild.config import Config, Measure
from lagesbild.release import disclosure


@dataclass(frozen=True)
class Card:
    measure: str
    title: str
    counted: str  # "Antal anmälningar"
    value: str  # the month's value, or "<5"
    delta: str | None  # against the same month last year, None when hidden
    direction: str  # "up", "down" or "off": the arrow of the delta
    last_year: str
    rolling12: str
    rolling12_change: str
    trend: list[float] | None  # last 24 months; None when any month is suppressed
    note: str | None  # filters that do not apply to this measure
    rolling12_shown: bool = True  # False when hidden or withheld by disclosure control


def ignored_text(ignored: list[str], what: str) -> str | None:
    """"Urvalet på kön gäller inte detta mått." for filters a measure has no dimension for."""
    if not ignored:
        return None
    labels = {"postnummer": "område", "kon": "kön", "aldersgrupp": "åldersgrupp"}
    return f"Urvalet på {', '.join(labels.get(i, i) for i in ignored)} gäller inte {what}."


def period_caption(month: pd.Timestamp) -> str:
    r12 = aggregate.Period.rolling12(month)
    return (f"Månad: {fmt.month(month)}. Rullande 12 månader: "
            f"{fmt.period(r12.start, r12.end)}, jämfört med samma period året innan.")


def cards(counts: dict[str, pd.DataFrame], cfg: Config, month: pd.Timestamp,
          filters: aggregate.Filters) -> list[Card]:
    """One card per measure in catalogue order, with every count through disclosure control.

    Parameters
    ----------
    counts : dict
        Measure code to canonical counts.
    cfg : Config
        For the catalogue and the suppression threshold.
    month : Timestamp
        The month shown.
    filters : Filters
        The sidebar's choices.

    Returns
    -------
    list of Card
    """
    cat = cfg.catalogue
    out = []
    for code, measure in cat.measures.items():
        frame, ignored = aggregate.apply_filters(counts.get(code, pd.DataFrame(
            columns=["month", "storhet", "antal"])), measure, filters)
        frame, _ = aggregate.apply_filters(frame, measure, aggregate.Filters(
            categories=measure.headline_filter))
        note = ignored_text(ignored, "detta mått")
        known = aggregate.delivered(frame)
        latest = aggregate.latest_complete_month(frame)
        if known is not None and latest is not None and pd.Timestamp(month) not in known:
            # Not delivered for this month: say which month is the latest published.
            note = " ".join(filter(None, [f"Inga uppgifter för {fmt.month(month)}; senast "
                                          f"publicerad {fmt.month(latest)}.", note]))
        out.append(card(frame, measure, cfg.threshold, month, note,
                        since=first_month(counts.get(code))))
    return out


def first_month(frame: pd.DataFrame | None) -> pd.Timestamp:
    """A measure's first month of data; after every month when it has none ("inga uppgifter")."""
    if frame is None or frame.empty:
        return pd.Timestamp.max
    return pd.Timestamp(frame["month"].min())


NO_DATA = "inga uppgifter"  # a window with a month not delivered or before the data


def card(frame: pd.DataFrame, measure: Measure, t: int, month: pd.Timestamp,
         note: str | None = None, storhet: str | None = None, title: str | None = None,
         counted: str | None = None, since: pd.Timestamp | None = None) -> Card:
    """One card from a measure's (filtered) counts, every count through disclosure control.

    *since* is the measure's first month before filtering (:func:`first_month`): months before
    it are "inga uppgifter", never 0.
    """
    h = aggregate.headline(frame, measure, month, storhet, since)
    safe = disclosure.protect(h.cells, t, rate_cols=())
    hidden = safe["skyddad"].tolist()
    now, before, r12, r12_before = [None if pd.isna(v) else int(v) for v in safe["antal"]]
    known = [not pd.isna(v) for v in h.cells["antal"]]
    # Changes are worked out from the published values only.
    delta, direction = None, "off"
    if now is not None and before is not None:
        diff = now - before
        delta = f"{fmt.signed(diff)} mot {fmt.month_short(month - pd.DateOffset(years=1))}"
        direction = "up" if diff > 0 else "down" if diff < 0 else "off"
    change = "–"
    if r12 is not None and r12_before:
        change = f"{fmt.percent(100 * (r12 - r12_before) / r12_before)} mot föregående 12 mån"
    # A line with gaps would still show the hidden months' size: draw all or nothing.
    trend_safe = disclosure.protect(h.trend, t, rate_cols=())
    trend = None if trend_safe["skyddad"].any() or trend_safe["antal"].isna().any() else \
        [float(v) for v in trend_safe["antal"]]

    def shown(value, is_hidden: bool, is_known: bool) -> str:
        return fmt.count(value, is_hidden, t) if is_known else NO_DATA

    return Card(
        measure=measure.code,
        title=title or measure.short,
        counted=counted or measure.headline_label or measure.primary.label,
        value=shown(now, hidden[0], known[0]),
        delta=delta,
        direction=direction,
        last_year=shown(before, hidden[1], known[1]),
        rolling12=shown(r12, hidden[2], known[2]),
        rolling12_change=change,
        trend=trend,
        note=note,
        rolling12_shown=r12 is not None,
    )


def sex_cards(frame: pd.DataFrame, measure: Measure, t: int, month: pd.Timestamp,
              storhet: str | None = None, since: pd.Timestamp | None = None
              ) -> dict[str, tuple[Card, bool]]:
    """Girls/women and boys/men apart: each sex's card and whether its 12-month sum shows.

    Each sex's sum is a cell of its own with its own noise, so the total minus one sex does
    not give the other back exactly.
    """
    by_sex = {sex: card(aggregate.apply_filters(frame, measure, aggregate.Filters(
        kon=(sex,)))[0], measure, t, month, storhet=storhet, since=since) for sex in ("K", "M")}
    return {sex: (c, c.rolling12_shown) for sex, c in by_sex.items()}
